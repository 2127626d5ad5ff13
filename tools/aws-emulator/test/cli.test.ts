import { type ChildProcess, spawn } from 'node:child_process';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { CloudFormationClient, DescribeStacksCommand } from '@aws-sdk/client-cloudformation';
import test from 'ava';
import { parseConfig } from '../src/config.ts';
import { rootDir } from './helpers.ts';

const CLI = join(import.meta.dirname, '..', 'src', 'cli.ts');

function startCli(args: string[]): ChildProcess {
  return spawn(process.execPath, ['--import', 'tsx', CLI, ...args], { cwd: rootDir, stdio: ['ignore', 'pipe', 'pipe'] });
}

/** Resolves with stdout once it holds `lines` lines; rejects if the process ends first. */
function firstLines(child: ChildProcess, lines: number): Promise<string[]> {
  return new Promise((resolve, reject) => {
    let out = '';
    let err = '';
    child.stderr?.on('data', (chunk: Buffer) => (err += chunk.toString()));
    child.stdout?.on('data', (chunk: Buffer) => {
      out += chunk.toString();
      const all = out.split('\n');
      if (all.length > lines) resolve(all.slice(0, lines));
    });
    child.once('exit', (code) => reject(new Error(`cli exited (${code}) before printing ${lines} lines: ${err}`)));
  });
}

const exited = (child: ChildProcess): Promise<number | null> =>
  child.exitCode !== null ? Promise.resolve(child.exitCode) : new Promise((resolve) => child.once('exit', (code) => resolve(code)));

test('the CLI prints the export lines, serves the configured stacks and stops on SIGTERM', async (t) => {
  const dir = await mkdtemp(join(tmpdir(), 'mt-aws-emulator-cli-'));
  t.teardown(() => rm(dir, { recursive: true, force: true }));
  await writeFile(
    join(dir, 'emulator.json'),
    JSON.stringify({ bastionDir: 'bastion', region: 'eu-west-1', stacks: { aurora: { outputs: { Endpoint: 'db.internal' } } } }),
  );
  const child = startCli(['--config', join(dir, 'emulator.json'), '--port', '0']);
  t.teardown(() => child.kill('SIGKILL'));

  const lines = await firstLines(child, 6);
  const env = Object.fromEntries(lines.map((line) => /^export ([A-Z_]+)='([^']*)'$/.exec(line)?.slice(1) ?? [line, '']));
  t.is(env.AWS_REGION, 'eu-west-1');
  t.regex(env.AWS_ENDPOINT_URL_CLOUDFORMATION ?? '', /^http:\/\/127\.0\.0\.1:\d+$/);
  t.is(env.AWS_ENDPOINT_URL_SSM, env.AWS_ENDPOINT_URL_CLOUDFORMATION);

  const cfn = new CloudFormationClient({
    endpoint: env.AWS_ENDPOINT_URL_CLOUDFORMATION,
    region: 'eu-west-1',
    credentials: { accessKeyId: 'a', secretAccessKey: 'b' },
  });
  t.teardown(() => cfn.destroy());
  const stacks = await cfn.send(new DescribeStacksCommand({ StackName: 'aurora' }));
  t.is(stacks.Stacks?.[0]?.Outputs?.[0]?.OutputValue, 'db.internal');

  child.kill('SIGTERM');
  t.is(await exited(child), 0);
});

test('a config with an unknown key is refused with the file and the key named', async (t) => {
  const dir = await mkdtemp(join(tmpdir(), 'mt-aws-emulator-cli-'));
  t.teardown(() => rm(dir, { recursive: true, force: true }));
  const file = join(dir, 'emulator.json');
  await writeFile(file, JSON.stringify({ bastionDir: 'b', secret: { x: 'y' } }));
  const child = startCli(['--config', file, '--port', '0']);
  let stderr = '';
  child.stderr?.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
  t.is(await exited(child), 1);
  t.true(stderr.includes(`${file}: unknown key "secret"`), stderr);
});

test('the config: s3Dir is relative to the config file; s3MaxKeys must be 1 … 1000', (t) => {
  t.like(parseConfig({ bastionDir: 'b', s3Dir: '../lake', s3MaxKeys: 5 }, '/etc/emu/emulator.json'), {
    bastionDir: '/etc/emu/b',
    s3Dir: '/etc/lake',
    s3MaxKeys: 5,
  });
  t.throws(() => parseConfig({ bastionDir: 'b', s3MaxKeys: 0 }, '/x.json'), { message: '/x.json: "s3MaxKeys" must be a whole number from 1 to 1000' });
  t.throws(() => parseConfig({ bastionDir: 'b', s3Dir: 3 }, '/x.json'), { message: /"s3Dir" must be a directory path/ });
});
