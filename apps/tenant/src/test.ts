import { pipelineTask } from './pipeline-task.ts';

export const main = pipelineTask('test', 'Runs data tests (YAML beside the models and sql/tests); failing rows are shown.', ['test']);
