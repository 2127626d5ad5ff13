#!/usr/bin/env -S node --import tsx
import { pipelineTask } from './pipeline-task.ts';

await pipelineTask('seed', 'Loads seeds/*.csv (tenants/<name>/seeds/ overrides) with COPY; unchanged files are skipped.', ['seed']);
