import { execFile } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import test from 'ava';
import { harness, INSTANCE, rootDir } from './helpers.ts';

const exec = promisify(execFile);

test('env() is all a client process needs: per-service endpoint variables, region and credentials', async (t) => {
  const s3Dir = mkdtempSync(join(tmpdir(), 'mt-s3-'));
  t.teardown(() => rmSync(s3Dir, { recursive: true, force: true }));
  mkdirSync(join(s3Dir, 'lake', 'a'), { recursive: true });
  writeFileSync(join(s3Dir, 'lake', 'a', 'b.csv'), '1\n');
  const { emu } = await harness(t, { region: 'eu-central-1', stacks: { aurora: { outputs: { Endpoint: 'db' } } }, secrets: { db: 'x' }, s3Dir });
  t.deepEqual(Object.keys(emu.env()).sort(), [
    'AWS_ACCESS_KEY_ID',
    'AWS_ENDPOINT_URL_CLOUDFORMATION',
    'AWS_ENDPOINT_URL_S3',
    'AWS_ENDPOINT_URL_SECRETS_MANAGER',
    'AWS_ENDPOINT_URL_SSM',
    'AWS_REGION',
    'AWS_SECRET_ACCESS_KEY',
  ]);
  // A clean environment: nothing of the developer's AWS setup may leak in.
  const { stdout } = await exec(process.execPath, ['--import', 'tsx', join(import.meta.dirname, 'fixtures', 'env-client.ts')], {
    cwd: rootDir,
    env: { PATH: process.env.PATH, HOME: '/nonexistent', ...emu.env() },
  });
  const { arn, ...rest } = JSON.parse(stdout) as { arn: string };
  t.deepEqual(rest, { output: 'db', secret: 'x', instance: INSTANCE, keys: ['a/b.csv'] });
  t.regex(arn, /^arn:aws:secretsmanager:eu-central-1:/); // the region came from AWS_REGION
  t.deepEqual(emu.requests.map((r) => r.service).sort(), ['cloudformation', 's3', 'secretsmanager', 'ssm']);
});
