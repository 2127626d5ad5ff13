import { pipelineTask } from './pipeline-task.ts';

export const main = pipelineTask('seed', 'Loads seeds/*.csv (tenants/<name>/seeds/ overrides) with COPY; unchanged files are skipped.', ['seed']);
