/**
 * Aurora phases through the bastion, end to end: the real AWS SDK clients against tools/aws-emulator,
 * which runs the commands with sh/bash in a local "bastion" directory, where scripts/sql-execute.sh
 * reads the secret with the aws CLI stand-in and runs real psql against the test PostgreSQL.
 */
import { createHash, randomBytes } from 'node:crypto';
import { cpSync, existsSync, mkdtempSync, readFileSync, rmSync, symlinkSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import test from 'ava';
import { startEmulator, type Emulator, type EmulatorOptions } from '../../../tools/aws-emulator/src/index.ts';
import { dropDatabase, makeWorkspace, queryOn, REPO, testEngine, type TestWorkspace } from '../../tenant/test/support/workspace.ts';

let ws: TestWorkspace;
let bastionDir: string;
const target = `mtb_${randomBytes(4).toString('hex')}`;
const STACK = 'multitenant-aurora-dev';
const SECRET = 'multitenant-aurora-dev/master';

async function emulator(extra: Partial<EmulatorOptions> = {}): Promise<Emulator> {
  const cfg = testEngine().clientConfig('postgres');
  return startEmulator({
    bastionDir,
    stacks: { [STACK]: { outputs: { ClusterEndpoint: String(cfg.host), ClusterPort: String(cfg.port) } } },
    secrets: { [SECRET]: JSON.stringify({ engine: 'postgres', username: cfg.user, password: cfg.password, port: String(cfg.port) }) },
    ...extra,
  });
}
const phase = (emu: Emulator, name: string, ...args: string[]) => ws.task('aurora/src/phase.ts', ['--phase', name, '--environment', 'dev', ...args], emu.env());
/** Runs `fn` with an extra phase file in the workspace and a fresh emulator; both go afterwards. */
async function withPhaseFile(file: string, sql: string, extra: Partial<EmulatorOptions>, fn: (emu: Emulator) => Promise<void>): Promise<void> {
  ws.write(file, sql);
  const emu = await emulator(extra);
  try {
    await fn(emu);
  } finally {
    rmSync(join(ws.root, file));
    await emu.stop();
  }
}
const chunkCommands = (emu: Emulator) => emu.commands.filter((c) => c.script.includes('>> ') && /incoming\.[0-9a-f]+\.[0-9a-f]+\.b64/.test(c.script)).length;

test.before(async () => {
  ws = await makeWorkspace({ tenants: ['tenant_a', 'tenant_b', 'tenant_c'] });
  bastionDir = mkdtempSync(join(tmpdir(), 'mt-bastion-'));
  cpSync(join(REPO, 'scripts'), join(ws.root, 'scripts'), { recursive: true });
  const config = JSON.parse(ws.read('../../../config.json').replaceAll('"multitenant_analytics"', `"${target}"`));
  config.environments.dev.workspace = join(bastionDir, 'var/lib/multitenant-etl');
  ws.write('config.json', JSON.stringify(config, null, 2));
});
test.after.always(async () => {
  await dropDatabase(target);
  await ws?.cleanup();
  rmSync(bastionDir, { recursive: true, force: true });
});

test.serial('all four phases through the bastion: one transfer, psql output surfaced, no password in any request', async (t) => {
  const emu = await emulator();
  try {
    for (const name of ['database', 'schema', 'data']) {
      const r = await phase(emu, name);
      t.is(r.code, 0, r.stderr);
      t.regex(r.stderr, name === 'database' ? /bundle [0-9a-f]{12} sent: \d+ files/ : /already on the bastion: not sent/);
    }
    const v = await phase(emu, 'verification');
    t.is(v.code, 0, v.stderr);
    t.regex(v.stdout, / schema_name \n-------------\n tenant_a\n tenant_b\n tenant_c\n\(3 rows\)/);
    t.regex(v.stdout, / tenant_a {3}\| users {5}\| postgres\n/);
    t.regex(v.stdout, / tenant_c \| {10}5\n\(3 rows\)/);
    t.is(chunkCommands(emu), 1);
    const password = String(testEngine().clientConfig('postgres').password);
    t.false(
      emu.requests.some((r) => r.body.includes(password)),
      'no request body carries the password',
    );
    t.true(
      emu.requests.some((r) => r.service === 'secretsmanager'),
      'the bastion read it with its role',
    );
    for (const c of emu.commands) t.false(c.script.includes(password));
  } finally {
    await emu.stop();
  }
});

test.serial('a re-run sends no bundle and verifies the same; --skip-copy uses the workspace', async (t) => {
  const emu = await emulator();
  try {
    for (const name of ['database', 'schema', 'data']) t.is((await phase(emu, name)).code, 0);
    const v = await phase(emu, 'verification', '--skip-copy');
    t.is(v.code, 0, v.stderr);
    t.regex(v.stdout, / tenant_b \| {10}5\n/);
    t.is(chunkCommands(emu), 0);
    t.regex(v.stderr, /no bundle sent/);
  } finally {
    await emu.stop();
  }
});

test.serial('--skip-copy without a workspace prints the two warnings and runs nothing', async (t) => {
  const emu = await emulator();
  try {
    await ws.edit(
      'config.json',
      (c) => c.replace('var/lib/multitenant-etl', 'var/lib/elsewhere'),
      async () => {
        const r = await phase(emu, 'schema', '--skip-copy');
        t.is(r.code, 1);
        t.regex(r.stdout + r.stderr, /\[WARNING\] Workspace directory .*var\/lib\/elsewhere\/current does not exist on Bastion Host/);
        t.regex(r.stdout + r.stderr, /\[WARNING\] You may need to run without --skip-copy first to transfer files/);
        t.regex(r.stderr, /\[NO_WORKSPACE\]/);
        t.false(emu.commands.some((c) => c.script.includes('sql-execute.sh')));
      },
    );
  } finally {
    await emu.stop();
  }
});

test.serial('a workspace path with $(…), backticks and quotes reaches the bastion shell as text, never as a command', async (t) => {
  const emu = await emulator();
  try {
    const hostile = "var/lib/it's $(touch pwned-a) `touch pwned-b`";
    await ws.edit(
      'config.json',
      (c) => c.replace('var/lib/multitenant-etl', hostile),
      async () => {
        const r = await phase(emu, 'schema', '--skip-copy');
        t.is(r.code, 1);
        t.true((r.stdout + r.stderr).includes(`[WARNING] Workspace directory ${join(bastionDir, hostile)}/current does not exist on Bastion Host`), r.stderr);
      },
    );
    const made = emu.commands.flatMap((c) => ['pwned-a', 'pwned-b'].filter((f) => c.stdout.includes(f) || existsSync(join(bastionDir, f))));
    t.deepEqual(made, []);
    const { stdout } = await promisify(execFile)('find', [bastionDir, '-name', 'pwned-*']);
    t.is(stdout, '', 'no command in the path ran');
  } finally {
    await emu.stop();
  }
});

test.serial('a corrupted chunk fails the checksum: nothing is unpacked or executed', async (t) => {
  await withPhaseFile(
    'sql/aurora/data/zz-extra.sql',
    '-- a new file, so the bundle changes\nSELECT 1;\n',
    {
      tamper: (cmds) =>
        cmds.map((c) =>
          /incoming\.[0-9a-f.]+\.b64/.test(c) && c.startsWith("printf '%s' '") ? c.replace(/'([A-Za-z0-9+/])/, (_, ch) => `'${ch === 'A' ? 'B' : 'A'}`) : c,
        ),
    },
    async (emu) => {
      const before = existsSync(join(bastionDir, 'var/lib/multitenant-etl/current/sql/aurora/data/zz-extra.sql'));
      const r = await phase(emu, 'data');
      t.is(r.code, 1);
      t.regex(r.stderr, /\[TRANSFER_FAILED\] The bastion refused the bundle \(exit 4\): \[ERROR\] bundle checksum mismatch: nothing was unpacked/);
      t.false(before);
      t.false(existsSync(join(bastionDir, 'var/lib/multitenant-etl/current/sql/aurora/data/zz-extra.sql')));
      t.false(emu.commands.some((c) => c.script.includes('sql-execute.sh')));
    },
  );
});

test.serial('a failing SQL file: the remote exit code and psql error are surfaced; nothing of the file and no history row stay', async (t) => {
  const sql =
    "INSERT INTO tenant_a.users (user_id, email, full_name) VALUES (96, 'kept@example.com', 'not kept');\nINSERT INTO tenant_a.users (user_id, emial) VALUES (1, 2);\n";
  await withPhaseFile('sql/aurora/data/zz-bad.sql', sql, {}, async (emu) => {
    const r = await phase(emu, 'data');
    t.is(r.code, 1);
    t.regex(
      r.stderr,
      /\[REMOTE_FAILED\] Phase data failed on the bastion \(exit 3\):[\s\S]*zz-bad\.sql:2: ERROR: +column "emial" of relation "users" does not exist/,
    );
    t.deepEqual(
      await queryOn(target, 'select count(*)::int as n from tenant_a.users where user_id = 96'),
      [{ n: 0 }],
      'the first statement went with the file',
    );
    t.deepEqual(await queryOn(target, "select count(*)::int as n from aurora_setup.applied_files where file like '%zz-bad%'"), [{ n: 0 }]);
  });
});

test.serial('a --! no-transaction file runs outside a transaction on the bastion too, and is recorded', async (t) => {
  await withPhaseFile(
    'sql/aurora/data/zz-index.sql',
    '--! no-transaction\nCREATE INDEX CONCURRENTLY IF NOT EXISTS users_email_b ON tenant_b.users (email);\n',
    {},
    async (emu) => {
      const r = await phase(emu, 'data');
      t.is(r.code, 0, r.stderr);
      t.deepEqual(await queryOn(target, "select count(*)::int as n from pg_indexes where indexname = 'users_email_b'"), [{ n: 1 }]);
      // Recorded after it ran (its own statement, not its transaction): with the file's checksum, so a re-run skips it.
      const sql = ws.read('sql/aurora/data/zz-index.sql');
      t.deepEqual(await queryOn(target, "select phase, checksum from aurora_setup.applied_files where file like '%zz-index%'"), [
        { phase: 'data', checksum: createHash('sha256').update(sql).digest('hex') },
      ]);
      const again = await phase(emu, 'data');
      t.is(again.code, 0, again.stderr);
      t.regex(again.stdout, /zz-index\.sql: already applied, unchanged/);
    },
  );
});

test.serial('a symbolic link in a transferred folder is refused with its path; nothing is sent', async (t) => {
  const link = join(ws.root, 'scripts/leak.txt');
  symlinkSync('/etc/hostname', link);
  const emu = await emulator();
  try {
    const r = await phase(emu, 'schema');
    t.is(r.code, 1);
    t.regex(r.stderr, /\[BUNDLE_SYMLINK\] The files sent to the bastion may not be symbolic links .*: scripts\/leak\.txt\./);
    t.false(
      emu.requests.some((q) => q.action === 'SendCommand'),
      'nothing reached the bastion',
    );
  } finally {
    rmSync(link);
    await emu.stop();
  }
});

test.serial('a phase killed during psql (SSM cancel or timeout: TERM to its process group) leaves no password file', async (t) => {
  await withPhaseFile('sql/aurora/data/zz-slow.sql', 'SELECT pg_sleep(8);\n', {}, async (emu) => {
    const running = phase(emu, 'data');
    let psql: number | undefined;
    for (let i = 0; i < 300 && !psql; i++) {
      await new Promise((r) => setTimeout(r, 100));
      const { stdout } = await promisify(execFile)('pgrep', ['-f', 'pg_sleep|zz-slow.sql']).catch(() => ({ stdout: '' }));
      for (const pid of stdout.split('\n').filter(Boolean).map(Number)) {
        // A process pgrep saw may be gone already (the agent's shell steps are short-lived).
        const cmd = (() => {
          try {
            return readFileSync(`/proc/${pid}/cmdline`, 'utf8').split('\0');
          } catch {
            return [''];
          }
        })();
        if (cmd[0].endsWith('psql') && cmd.includes('sql/aurora/data/zz-slow.sql')) psql = pid;
      }
    }
    t.truthy(psql, 'psql ran on the bastion');
    const passfile = readFileSync(`/proc/${psql}/environ`, 'utf8')
      .split('\0')
      .find((v) => v.startsWith('PGPASSFILE='))!
      .slice('PGPASSFILE='.length);
    t.true(existsSync(passfile), 'the password file exists while psql runs');
    const pgid = Number(readFileSync(`/proc/${psql}/stat`, 'utf8').split(') ')[1].split(' ')[2]);
    process.kill(-pgid, 'SIGTERM');
    const r = await running;
    t.is(r.code, 1);
    t.false(existsSync(passfile), `${passfile} was removed`);
    t.false(existsSync(dirname(passfile)), 'and its folder');
  });
});

test.serial('two phases at once after a bundle change: one waits for the other on the bastion, both succeed', async (t) => {
  await withPhaseFile('sql/aurora/data/zz-both.sql', 'SELECT pg_sleep(1);\n', {}, async (emu) => {
    const [a, b] = await Promise.all([phase(emu, 'data'), phase(emu, 'data')]);
    t.is(a.code, 0, a.stderr);
    t.is(b.code, 0, b.stderr);
    t.regex(a.stderr + b.stderr + a.stdout + b.stdout, /another phase is using this workspace; waiting for it to finish/);
  });
});

test.serial('a bundle larger than one command goes in chunks under the 64 KB limit', async (t) => {
  ws.write('scripts/reference-data.txt', randomBytes(120 * 1024).toString('hex'));
  const emu = await emulator();
  try {
    const r = await phase(emu, 'verification');
    t.is(r.code, 0, r.stderr);
    t.true(chunkCommands(emu) >= 3, `chunks: ${chunkCommands(emu)}`);
    t.true(emu.requests.filter((q) => q.action === 'SendCommand').every((q) => Buffer.byteLength(q.body) <= 64 * 1024));
  } finally {
    rmSync(join(ws.root, 'scripts/reference-data.txt'));
    await emu.stop();
  }
});

test.serial('CloudFormation problems give the original error line and a hint', async (t) => {
  const emu = await startEmulator({ bastionDir, stacks: {}, secrets: {} });
  try {
    const r = await phase(emu, 'schema');
    t.is(r.code, 1);
    t.regex(
      r.stderr,
      /\[AURORA_ENDPOINT\] \[ERROR\] Could not retrieve Aurora endpoint from CloudFormation: Stack with id multitenant-aurora-dev does not exist/,
    );
    t.regex(r.stderr, /hint +Make sure the phase-1 stack finished/);
  } finally {
    await emu.stop();
  }
});

test.serial('the original command shape: etl-manager -p aurora-postgresql -c config.json --bastion-command …', async (t) => {
  const emu = await emulator();
  try {
    const run = (...extra: string[]) =>
      ws.task(
        'aurora/src/etl-manager.ts',
        [
          '-p',
          'aurora-postgresql',
          '-c',
          'config.json',
          '--bastion-command',
          'scripts/sql-execute.sh config.json sql/aurora/verification/verify-setup.sql',
          ...extra,
        ],
        emu.env(),
      );
    const r = await run();
    t.is(r.code, 0, r.stderr);
    t.regex(r.stdout, /user_count/);
    const skip = await run('--skip-copy');
    t.is(skip.code, 0, skip.stderr);
    const bad = await ws.task(
      'aurora/src/etl-manager.ts',
      ['-p', 'aurora-postgresql', '-c', 'config.json', '--bastion-command', 'scripts/sql-execute.sh config.json sql/aurora/indexes/x.sql'],
      emu.env(),
    );
    t.regex(bad.stderr, /\[UNKNOWN_PHASE\] Unknown phase "indexes": known phases are database, schema, data, verification/);
  } finally {
    await emu.stop();
  }
});

test.serial('the bastion can be found by its tag', async (t) => {
  const emu = await emulator({
    instances: [
      { id: 'i-0aaaaaaaaaaaaaaaa', tags: { Role: 'bastion' } },
      { id: 'i-0bbbbbbbbbbbbbbbb', tags: { Role: 'web' } },
    ],
  });
  try {
    await ws.edit(
      'config.json',
      (c) => c.replace('"instanceId": "i-0123456789abcdef0"', '"tag": { "key": "Role", "value": "bastion" }'),
      async () => {
        const r = await phase(emu, 'verification');
        t.is(r.code, 0, r.stderr);
        t.true(emu.commands.every((c) => c.instanceId === 'i-0aaaaaaaaaaaaaaaa'));
      },
    );
  } finally {
    await emu.stop();
  }
});

test.serial('clear errors: missing stack output, unknown secret, access denied, no credentials', async (t) => {
  const noPort = await startEmulator({ bastionDir, stacks: { [STACK]: { outputs: { Endpoint: 'x' } } } });
  try {
    const r = await phase(noPort, 'schema');
    t.regex(
      r.stderr,
      /\[AURORA_ENDPOINT\] \[ERROR\] Could not retrieve Aurora endpoint from CloudFormation: stack "multitenant-aurora-dev" has no output "ClusterEndpoint" \(outputs: Endpoint\)/,
    );
  } finally {
    await noPort.stop();
  }
  const noSecret = await emulator({ secrets: {} });
  try {
    const r = await phase(noSecret, 'verification');
    t.is(r.code, 1);
    t.regex(r.stderr, /\[REMOTE_FAILED\] Phase verification failed on the bastion[\s\S]*ResourceNotFoundException/);
  } finally {
    await noSecret.stop();
  }
  const denied = await emulator({ denyAccess: true });
  try {
    const r = await phase(denied, 'schema');
    t.regex(r.stderr, /\[AWS_ACCESS\] CloudFormation DescribeStacks in ap-northeast-1 was refused: AccessDenied/);
  } finally {
    await denied.stop();
  }
  const open = await emulator();
  try {
    const r = await ws.taskProcess('aurora/src/phase.ts', ['--phase', 'schema', '--environment', 'dev'], open.envWithoutCredentials());
    t.is(r.code, 1);
    t.regex(r.stderr, /\[AWS_CREDENTIALS\]/);
  } finally {
    await open.stop();
  }
});

test.serial('output beyond SSM’s 24,000-character cap is flagged', async (t) => {
  ws.write('sql/aurora/verification/zz-wide.sql', "SELECT repeat('x', 30000) AS wide;\n");
  const emu = await emulator();
  try {
    const r = await phase(emu, 'verification');
    t.is(r.code, 0, r.stderr);
    t.regex(r.stderr, /\[WARNING\] SSM returned only the first 24,000 characters of output/);
  } finally {
    rmSync(join(ws.root, 'sql/aurora/verification/zz-wide.sql'));
    await emu.stop();
  }
});

test.serial('the bastion keeps the same history: unchanged files skipped, an edited one refused unless --force', async (t) => {
  const emu = await emulator();
  const file = 'sql/aurora/data/insert-sample-data.sql';
  const before = ws.read(file);
  try {
    const again = await phase(emu, 'data');
    t.is(again.code, 0, again.stderr);
    t.regex(again.stdout, /\[INFO\] sql\/aurora\/data\/insert-sample-data\.sql: already applied, unchanged/);
    ws.write(file, before.replace("'Emma Novak'", "'Emma Nowak'"));
    const refused = await phase(emu, 'data');
    t.is(refused.code, 1);
    t.regex(refused.stderr, /\[ERROR\] sql\/aurora\/data\/insert-sample-data\.sql was applied on \d{4}-\d\d-\d\dT[\d:]+Z and has changed since[\s\S]*--force/);
    const forced = await phase(emu, 'data', '--force');
    t.is(forced.code, 0, forced.stderr);
    t.notRegex(forced.stdout, /already applied/);
  } finally {
    ws.write(file, before);
    await emu.stop();
  }
});

test.serial('bastion.autoTransfer.enabled false sends nothing and uses the workspace there', async (t) => {
  const emu = await emulator();
  try {
    await ws.edit(
      'config.json',
      (c) => c.replace('"enabled": true', '"enabled": false'),
      async () => {
        const r = await phase(emu, 'verification');
        t.is(r.code, 0, r.stderr);
        t.is(chunkCommands(emu), 0);
        t.false(emu.commands.some((c) => c.script.includes('.bundle-sha256')));
      },
    );
  } finally {
    await emu.stop();
  }
});
