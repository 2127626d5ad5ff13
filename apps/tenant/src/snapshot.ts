import { pipelineTask } from './pipeline-task.ts';

export const main = pipelineTask('snapshot', 'Records SCD type 2 history for sql/snapshots (timestamp and check strategies).', ['snapshot']);
