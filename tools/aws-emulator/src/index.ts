/**
 * @mt/aws-emulator — a local HTTP emulator of the three AWS APIs the task runner uses (SSM Run
 * Command, CloudFormation DescribeStacks, Secrets Manager GetSecretValue), so tests run the real
 * AWS SDK v3 clients against it. This file is the package's only public door.
 */
export { startEmulator, DEFAULT_INSTANCE_ID } from './server.ts';
export { SEND_COMMAND_MAX_BYTES, STDERR_LIMIT, STDOUT_LIMIT } from './ssm.ts';
export type { CommandStatus, EmulatedCommand, EmulatedInstance, Emulator, EmulatorOptions, RecordedRequest, ServiceName } from './types.ts';
