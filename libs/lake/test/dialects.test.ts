/**
 * The cloud DDL (dialects/): golden files for every dialect, determinism, quoting of hostile values,
 * partition batching, and the dialect name check. `UPDATE_GOLDEN=1` rewrites libs/lake/test/golden/
 * (then read the diff: it is the review of the generated DDL).
 */
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import test, { type ExecutionContext } from 'ava';
import { TaskError } from '@mt/cli';
import { loadTenant } from '@mt/tenant-config';
import { assertDialect, DIALECTS, renderDialect, type Dialect, type DialectFile } from '../src/dialects/index.ts';
import { discoverLocal, loadExternalTables, writeLakeFromSeeds } from '../src/index.ts';
import { parseLakeType } from '../src/lake-types.ts';
import type { DiscoveredPartition, DiscoveredTable, ExternalTable, LakeColumn, LakePartitionKey, PartitionPath } from '../src/types.ts';

const GOLDEN = join(dirname(fileURLToPath(import.meta.url)), 'golden');
const CTX = { tenant: 'tenant_a', region: 'ap-northeast-1' };
const BUCKET = 'tenant-a-data-lake';

const column = (name: string, typeText: string, description?: string): LakeColumn => ({
  name,
  typeText,
  type: parseLakeType(typeText)!,
  ...(description === undefined ? {} : { description }),
});
const key = (name: string, typeText: string, path: PartitionPath): LakePartitionKey => ({ name, typeText, type: parseLakeType(typeText)!, path });

function table(name: string, fields: Partial<ExternalTable> & Pick<ExternalTable, 'columns'>): ExternalTable {
  const prefix = `ecommerce-data/${name}/`;
  return {
    source: 'lake',
    schema: 'lake',
    name,
    file: 'sql/sources/lake.yml',
    location: `s3://${BUCKET}/${prefix}`,
    bucket: BUCKET,
    prefix,
    format: 'csv',
    csv: { header: true, delimiter: ',', nullString: '' },
    partitions: [],
    checksum: `checksum-of-${name}`,
    ...fields,
  };
}

/** One partition per value, each holding one file. */
const partitions = (keyName: string, path: PartitionPath, values: string[], file: string): DiscoveredPartition[] =>
  values.map((value) => {
    const dir = path === 'key_value' ? `${keyName}=${value}/` : `${value}/`;
    return { values: { [keyName]: value }, path: dir, files: [`${dir}${file}`] };
  });

const ORDERS: DiscoveredTable = {
  table: table('orders', {
    description: 'One row per order line.',
    columns: [
      column('order_line_id', 'integer'),
      column('order_id', 'integer'),
      column('customer_id', 'integer'),
      column('product_id', 'integer'),
      column('quantity', 'integer'),
      column('total_amount', 'numeric(10,2)', 'Line total, tax included.'),
    ],
    partitions: [key('order_date', 'date', 'key_value')],
  }),
  partitions: partitions('order_date', 'key_value', ['2024-01-10', '2024-01-11', '2024-01-12'], 'part-00000.csv'),
  files: [],
};

const CUSTOMERS: DiscoveredTable = {
  table: table('customers', {
    columns: [
      column('customer_id', 'integer'),
      column('name', 'text'),
      column('email', 'varchar(255)'),
      column('tier', 'smallint'),
      column('lifetime_value', 'double precision'),
      column('discount_rate', 'real'),
      column('is_active', 'boolean'),
      column('signed_up_at', 'timestamp'),
    ],
    csv: { header: false, delimiter: '|', nullString: '\\N' },
  }),
  partitions: [],
  files: ['customers-0001.csv', 'customers-0002.csv'],
};

const YEARS = Array.from({ length: 150 }, (_, i) => String(1900 + i));
const EVENTS: DiscoveredTable = {
  table: table('events', {
    format: 'jsonl',
    // Few columns: Glue repeats them in each of the 150 partitions of the golden files.
    columns: [column('event_id', 'bigint'), column('kind', 'varchar(32)'), column('happened_at', 'timestamp')],
    partitions: [key('year', 'integer', 'value_only')],
  }),
  partitions: partitions('year', 'value_only', YEARS, 'part-00000.json'),
  files: [],
};

const TABLES = [ORDERS, CUSTOMERS, EVENTS];
/** tenant_a's own output covers a partitioned csv table (below); the fixture's goldens hold what it does not. */
const GOLDEN_TABLES = [CUSTOMERS, EVENTS];

/** The files against `dir`, byte for byte and the same list; UPDATE_GOLDEN=1 writes them there first. */
function matchesGolden(t: ExecutionContext, dir: string, files: DialectFile[]): void {
  if (process.env.UPDATE_GOLDEN === '1') {
    rmSync(dir, { recursive: true, force: true });
    mkdirSync(dir, { recursive: true });
    for (const f of files) writeFileSync(join(dir, f.file), f.content);
  }
  const sorted = (names: string[]) => [...names].sort((a, b) => (a < b ? -1 : a > b ? 1 : 0));
  t.deepEqual(sorted(files.map((f) => f.file)), sorted(readdirSync(dir)), 'the golden file list');
  for (const f of files) t.is(f.content, readFileSync(join(dir, f.file), 'utf8'), f.file);
}

for (const dialect of DIALECTS) {
  test(`${dialect}: the files match libs/lake/test/golden/${dialect}/ byte for byte`, (t) => {
    matchesGolden(t, join(GOLDEN, dialect), renderDialect(dialect, GOLDEN_TABLES, CTX));
  });
}

// The shipped project as tenant_a builds it: sql/sources over a lake written from its seeds.
const REPO = join(dirname(fileURLToPath(import.meta.url)), '..', '..', '..');
const shipped = (async () => {
  const tenant = loadTenant(REPO, 'tenant_a');
  const tables = loadExternalTables(REPO, tenant);
  const lake = mkdtempSync(join(tmpdir(), 'mt-golden-lake-'));
  await writeLakeFromSeeds(REPO, tenant, tables, lake);
  const discovered = tables.map((table) => discoverLocal(lake, table, REPO));
  rmSync(lake, { recursive: true, force: true });
  return discovered;
})();

for (const dialect of DIALECTS) {
  test(`${dialect}: tenant_a's own output (sql/sources, its seeds' lake) matches libs/lake/test/golden/tenant_a/${dialect}/`, async (t) => {
    matchesGolden(t, join(GOLDEN, 'tenant_a', dialect), renderDialect(dialect, await shipped, CTX));
  });
}

test('rendering is deterministic: same input, same files in the same order; every file ends with one newline', (t) => {
  for (const dialect of DIALECTS) {
    const first = renderDialect(dialect, TABLES, CTX);
    t.deepEqual(renderDialect(dialect, structuredClone(TABLES), CTX), first);
    for (const f of first) t.regex(f.content, /[^\n]\n$/, `${dialect}/${f.file}`);
  }
  t.deepEqual(
    renderDialect('glue', TABLES, CTX).map((f) => f.file),
    [
      'tenant_a_lake.database.json',
      'lake.orders.table.json',
      'lake.orders.partitions.001.json',
      'lake.customers.table.json',
      'lake.events.table.json',
      'lake.events.partitions.001.json',
      'lake.events.partitions.002.json',
    ],
  );
});

test('a header line names the dialect, tenant, source, file and command in every SQL file', (t) => {
  const [athena] = renderDialect('athena', [ORDERS], CTX);
  t.is(
    athena.content.split('\n')[0],
    "-- athena DDL for tenant_a: source('lake', 'orders') from sql/sources/lake.yml, generated by nx run tenant_a:external-tables --dialect=athena",
  );
  const [aurora] = renderDialect('aurora', [EVENTS], CTX);
  t.regex(aurora.content, /^-- aurora DDL for tenant_a: .*\n-- Aurora's aws_s3\.table_import_from_s3 reads csv\/text only: [^\n]*\n$/);
});

test('partitions are added 100 at a time: 150 make 100 + 50', (t) => {
  const count = (sql: string) =>
    sql
      .split(/;\n/)
      .filter((s) => s.includes('ADD IF NOT EXISTS'))
      .map((s) => s.match(/PARTITION \(/g)!.length);
  for (const dialect of ['athena', 'redshift'] as const) t.deepEqual(count(renderDialect(dialect, [EVENTS], CTX)[0].content), [100, 50], dialect);
  const glue = renderDialect('glue', [EVENTS], CTX).filter((f) => f.file.includes('.partitions.'));
  const inputs = glue.map((f) => JSON.parse(f.content));
  t.deepEqual(
    inputs.map((i) => i.PartitionInputList.length),
    [100, 50],
  );
  t.deepEqual(inputs[1].PartitionInputList[49].Values, ['2049']);
  t.is(inputs[1].PartitionInputList[49].StorageDescriptor.Location, `s3://${BUCKET}/ecommerce-data/events/2049/`);
});

// A quote, a backquote, a double quote and a backslash: each could end a literal or an identifier somewhere.
const HOSTILE = 'a\'b`c"d\\e';
const QUOTED: DiscoveredTable = {
  table: table('quoted', { description: HOSTILE, columns: [column('id', 'integer', HOSTILE)], partitions: [key('tag', 'text', 'key_value')] }),
  partitions: partitions('tag', 'key_value', [HOSTILE], 'part.csv'),
  files: [],
};

test('descriptions and partition values with quotes, backquotes and backslashes come out as whole literals', (t) => {
  const sql = (dialect: Dialect) => renderDialect(dialect, [QUOTED], CTX)[0].content;
  const location = (quoted: string) => quoted.replace(/^(E?)'/, `$1's3://${BUCKET}/ecommerce-data/quoted/tag=`).replace(/'$/, "/'");

  // Hive: backslash escapes (a doubled quote would be two adjacent literals, i.e. the quote dropped).
  const hive = "'a\\'b`c\"d\\\\e'";
  t.true(sql('athena').includes(`COMMENT ${hive}\n`));
  t.true(sql('athena').includes(`\`id\` int COMMENT ${hive}\n`));
  t.true(sql('athena').includes(`PARTITION (\`tag\` = ${hive}) LOCATION ${location(hive)}`));

  // Redshift: both the quote and the backslash doubled, as its QUOTE_LITERAL does.
  const redshift = "'a''b`c\"d\\\\e'";
  t.true(sql('redshift').includes(`PARTITION ("tag" = ${redshift}) LOCATION ${location(redshift)}`));

  // PostgreSQL: quote_literal's form, E'' because of the backslash.
  const pg = "E'a''b`c\"d\\\\e'";
  t.true(sql('aurora').includes(`COMMENT ON TABLE "lake"."quoted" IS ${pg};`));
  t.true(sql('aurora').includes(`ALTER COLUMN "tag" SET DEFAULT ${pg}::text;`));
  t.true(sql('aurora').includes(`create_s3_uri('${BUCKET}', E'ecommerce-data/quoted/tag=a''b\`c"d\\\\e/part.csv', 'ap-northeast-1')`));

  // Glue: JSON, so the values come back exactly.
  const glue = renderDialect('glue', [QUOTED], CTX).map((f) => JSON.parse(f.content));
  t.is(glue[1].TableInput.Description, HOSTILE);
  t.is(glue[1].TableInput.StorageDescriptor.Columns[0].Comment, HOSTILE);
  t.deepEqual(glue[2].PartitionInputList[0].Values, [HOSTILE]);

  // A line break cannot leave the header comment.
  const broken = { ...QUOTED, table: { ...QUOTED.table, file: 'sql/sources/x\n DROP TABLE y;.yml' } };
  for (const dialect of ['athena', 'redshift', 'aurora'] as const) {
    const lines = renderDialect(dialect, [broken], CTX)[0].content.split('\n');
    t.true(lines[0].endsWith(`from sql/sources/x  DROP TABLE y;.yml, generated by nx run tenant_a:external-tables --dialect=${dialect}`), dialect);
  }
});

test('aurora: the COPY options are a literal inside a literal, quotes doubled twice', (t) => {
  const [orders] = renderDialect('aurora', [ORDERS], CTX);
  t.true(orders.content.includes(`'(format csv, header true, delimiter '','', null '''')'`));
  const [customers] = renderDialect('aurora', [CUSTOMERS], CTX);
  t.true(customers.content.includes(`E'(format csv, header false, delimiter ''|'', null E''\\\\\\\\N'')'`));
});

test('two tables that become one catalog table are INVALID_SOURCES', (t) => {
  const twin = { ...ORDERS, table: { ...ORDERS.table, source: 'shop', file: 'sql/sources/shop.yml' } };
  const err = t.throws(() => renderDialect('athena', [ORDERS, twin], CTX), { instanceOf: TaskError });
  t.is(err?.code, 'INVALID_SOURCES');
  t.is(
    err?.message,
    "source('lake', 'orders') in sql/sources/lake.yml and source('shop', 'orders') in sql/sources/shop.yml are both the external table tenant_a_lake.orders.",
  );
});

test('assertDialect accepts the four dialects and names them for anything else', (t) => {
  for (const dialect of DIALECTS) t.is(assertDialect(dialect), dialect);
  const err = t.throws(() => assertDialect('bigquery'), { instanceOf: TaskError });
  t.is(err?.code, 'UNKNOWN_DIALECT');
  t.is(err?.message, 'Unknown dialect "bigquery": known dialects are athena, glue, redshift, aurora.');
  t.is(err?.hint, 'Pass one of them, e.g. --dialect=athena.');
});
