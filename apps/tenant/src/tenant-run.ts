import { pipelineTask } from './pipeline-task.ts';

export const main = pipelineTask(
  'tenant-run',
  'Builds one tenant end to end: debug → seed → run → snapshot → test, with a summary table.',
  ['seed', 'run', 'snapshot', 'test'],
  {
    debugFirst: true,
  },
);
