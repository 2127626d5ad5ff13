import { pipelineTask } from './pipeline-task.ts';

export const main = pipelineTask('run', 'Builds sql/models in DAG order (view, table, incremental); unchanged models are skipped.', ['run']);
