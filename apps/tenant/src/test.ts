#!/usr/bin/env -S node --import tsx
import { pipelineTask } from './pipeline-task.ts';

await pipelineTask('test', 'Runs data tests (YAML beside the models and sql/tests); failing rows are shown.', ['test']);
