import { readFile } from 'node:fs/promises';
import type { Server } from 'node:net';
import { join } from 'node:path';
import test from 'ava';
import { cleanup, closedPort, embedded, occupy, tempDir } from './helpers.ts';

const dir = await tempDir('ports');
const preferred = await closedPort();
const engine = embedded(dir, { POSTGRES_PORT: String(preferred) });
const blockers: Server[] = [];
test.after.always(async () => {
  await cleanup(engine, dir);
  for (const server of blockers) server.close();
});

const rememberedPort = async () => (JSON.parse(await readFile(join(dir, 'engine.json'), 'utf8')) as { port: number }).port;

async function block(port: number): Promise<void> {
  const server = await occupy(port);
  if (server) blockers.push(server);
}

test.serial('when the preferred port is taken, the first start picks another port and remembers it', async (t) => {
  // The preferred port is 54329 unless POSTGRES_PORT says otherwise; other test files start servers on
  // 54329 at the same time, so this test prefers (and holds) a port of its own.
  await block(preferred);
  const { status, port } = await engine.up();
  t.is(status, 'started');
  t.not(port, preferred);
  t.is(await rememberedPort(), port);
  t.is(engine.clientConfig('postgres').port, port);
});

test.serial('a restart uses the remembered port', async (t) => {
  const before = await rememberedPort();
  await engine.down();
  t.is((await engine.up()).port, before);
});

test.serial('when the remembered port is taken by another program, a new one is chosen and saved', async (t) => {
  const before = await rememberedPort();
  await engine.down();
  await block(before);
  const { status, port } = await engine.up();
  t.is(status, 'started');
  t.not(port, before);
  t.is(await rememberedPort(), port);
  t.true(engine.describe().includes(`127.0.0.1:${port}`));
});
