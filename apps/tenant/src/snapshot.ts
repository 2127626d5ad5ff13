#!/usr/bin/env -S node --import tsx
import { pipelineTask } from './pipeline-task.ts';

await pipelineTask('snapshot', 'Records SCD type 2 history for sql/snapshots (timestamp and check strategies).', ['snapshot']);
