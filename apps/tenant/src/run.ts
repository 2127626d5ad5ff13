#!/usr/bin/env -S node --import tsx
import { pipelineTask } from './pipeline-task.ts';

await pipelineTask('run', 'Builds sql/models in DAG order (view, table, incremental); unchanged models are skipped.', ['run']);
