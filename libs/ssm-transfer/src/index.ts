export { runPhaseOverSsm, CHUNK_BYTES, type RemotePhaseOptions, type RemotePhaseReport } from './transport.ts';
export { buildBundle, type Bundle } from './bundle.ts';
export { clusterEndpoint, Bastion } from './aws.ts';
