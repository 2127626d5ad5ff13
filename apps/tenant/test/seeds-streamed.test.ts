/**
 * Seeds larger than the first MiB the types are guessed from: the whole file decides, whether COPY
 * refuses the guess (a decimal late in an integer column) or accepts what our rules call a code (a zip
 * code with a leading zero, which PostgreSQL would read as a number). The file is streamed, never read
 * whole; a bad row late in the file names its line and leaves the previous table.
 */
import { existsSync, readFileSync, statSync, utimesSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import test from 'ava';
import { makeWorkspace, type TestWorkspace } from './support/workspace.ts';

let ws: TestWorkspace;
test.before(async () => {
  ws = await makeWorkspace({ tenants: ['tenant_a'], lake: false });
});
test.after.always(() => ws?.cleanup());

const ROWS = 60_000; // about 1.3 MB: past the first MiB
/** seeds/big.csv: id, zip, amount, day; `last` is the final row (line ROWS + 2). */
function writeBig(last: string) {
  const lines = ['id,zip,amount,day'];
  for (let i = 1; i <= ROWS; i++) lines.push(`${i},${10000 + (i % 89999)},${i % 1000},2024-01-${String((i % 28) + 1).padStart(2, '0')}`);
  lines.push(last);
  writeFileSync(join(ws.root, 'seeds/big.csv'), `${lines.join('\n')}\n`);
}
const seed = () => ws.task('tenant/src/seed.ts', ['--tenant', 'tenant_a']);
const types = async () =>
  Object.fromEntries(
    (
      await ws.query<{ column_name: string; data_type: string }>(
        'tenant_a',
        "select column_name, data_type from information_schema.columns where table_name = 'big' order by ordinal_position",
      )
    ).map((r) => [r.column_name, r.data_type]),
  );

test.serial('the first MiB guesses; the whole file decides: a late decimal makes numeric, a late zip code with a leading zero makes text', async (t) => {
  writeBig(`${ROWS + 1},10001,1,2024-02-01`);
  let r = await seed();
  t.is(r.code, 0, r.stderr);
  t.deepEqual(await types(), { id: 'integer', zip: 'integer', amount: 'integer', day: 'date' });

  // COPY refuses 2.5 for the guessed integer: loaded again as numeric.
  writeBig(`${ROWS + 1},10001,2.5,2024-02-01`);
  r = await seed();
  t.is(r.code, 0, r.stderr);
  t.is((await types()).amount, 'numeric');
  t.deepEqual(await ws.query('tenant_a', `select amount::text from big where id = ${ROWS + 1}`), [{ amount: '2.5' }]);

  // COPY would take 00501 as the integer 501; our rule keeps codes as text, zeros and all.
  writeBig(`${ROWS + 1},00501,1,2024-02-01`);
  r = await seed();
  t.is(r.code, 0, r.stderr);
  t.is((await types()).zip, 'text');
  t.deepEqual(await ws.query('tenant_a', `select zip from big where id = ${ROWS + 1}`), [{ zip: '00501' }]);
  t.deepEqual(await ws.query('tenant_a', 'select count(*)::int as n from big'), [{ n: ROWS + 1 }]);
});

test.serial('a malformed row late in a large file: its line, and the previous table stays', async (t) => {
  writeBig(`${ROWS + 1},10001,1,2024-02-01`);
  t.is((await seed()).code, 0);
  writeBig(`${ROWS + 1},10001,1`);
  const r = await seed();
  t.is(r.code, 1);
  t.regex(r.stderr, new RegExp(`\\[SEED_MALFORMED\\] seeds/big\\.csv:${ROWS + 2}: malformed CSV row: expected 4 fields, found 3`));
  t.deepEqual(await ws.query('tenant_a', 'select count(*)::int as n from big'), [{ n: ROWS + 1 }]);
});

test.serial('the digest of a seed is remembered by size, time and inode once its time is old enough to trust', async (t) => {
  writeBig(`${ROWS + 1},10001,1,2024-02-01`);
  t.is((await seed()).code, 0);
  const file = join(ws.root, '.data/file-digests.json');
  const digests = () => (existsSync(file) ? JSON.parse(readFileSync(file, 'utf8')) : {}) as Record<string, { mtimeNs: string; sha256: string }>;
  // Just written: a write within the file system's time resolution could hide behind the same time.
  t.false('seeds/big.csv' in digests());
  const old = new Date(Date.now() - 60_000);
  utimesSync(join(ws.root, 'seeds/big.csv'), old, old);
  t.regex((await seed()).stdout, /seed big\s+skipped/, 'a new time, the same content: nothing to load');
  const remembered = digests()['seeds/big.csv'];
  t.is(remembered?.mtimeNs, String(statSync(join(ws.root, 'seeds/big.csv'), { bigint: true }).mtimeNs));
  t.regex((await seed()).stdout, /seed big\s+skipped/);
});
