#!/usr/bin/env -S node --import tsx
import { pipelineTask } from './pipeline-task.ts';

await pipelineTask(
  'tenant-run',
  'Builds one tenant end to end: debug → seed → run → snapshot → test, with a summary table.',
  ['seed', 'run', 'snapshot', 'test'],
  {
    debugFirst: true,
  },
);
