/** Analysis result formatting: decimals, the aligned text, JSON values and the written files (analysis-output.ts). */
import test from 'ava';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { formatAnalysis, formatDecimal, toJson, writeAnalysisFiles, type AnalysisResult, type AnalysisSection } from '../../src/analysis-output.ts';
import { tempWorkspace } from './support/fixtures.ts';

const TEXT = 25,
  INT8 = 20,
  INT4 = 23,
  NUMERIC = 1700,
  FLOAT8 = 701,
  BOOL = 16;

const section = (title: string, slug: string, fields: Array<[string, number]>, rows: Array<Array<string | null>>): AnalysisSection => ({
  title,
  slug,
  fields: fields.map(([name, dataTypeID]) => ({ name, dataTypeID })),
  rows,
});
const result = (...sections: AnalysisSection[]): AnalysisResult => ({ analysis: 'revenue', tenant: 'tenant_a', database: 'tenant_a_db', sections });

test('formatDecimal groups thousands and cuts to two decimals, keeping fewer when the value has fewer', (t) => {
  t.is(formatDecimal('1234567.891'), '1,234,567.89');
  t.is(formatDecimal('92.4'), '92.4');
  t.is(formatDecimal('1000'), '1,000');
  t.is(formatDecimal('-1234567.891'), '-1,234,567.89');
  t.is(formatDecimal('5.'), '5');
  t.is(formatDecimal('.5'), '0.5');
});

test('formatDecimal rounds half away from zero on the digits, with carries and no float error', (t) => {
  t.is(formatDecimal('1.005'), '1.01', 'a float would give 1.00');
  t.is(formatDecimal('0.125'), '0.13');
  t.is(formatDecimal('-0.005'), '-0.01');
  t.is(formatDecimal('9.999'), '10.00');
  t.is(formatDecimal('99.995'), '100.00');
  t.is(formatDecimal('999999.995'), '1,000,000.00');
  t.is(formatDecimal('1.0049'), '1.00', 'only the first dropped digit decides');
  t.is(formatDecimal('12345678901234567890.125'), '12,345,678,901,234,567,890.13', 'beyond double precision');
});

test('formatDecimal never prints -0 and passes NaN and Infinity through', (t) => {
  t.is(formatDecimal('-0.001'), '0.00');
  t.is(formatDecimal('-0.4', 0), '0');
  t.is(formatDecimal('NaN'), 'NaN');
  t.is(formatDecimal('-Infinity'), '-Infinity');
});

test('formatDecimal honours maxPlaces', (t) => {
  t.is(formatDecimal('2.5', 0), '3');
  t.is(formatDecimal('-2.5', 0), '-3');
  t.is(formatDecimal('3.14159', 4), '3.1416');
  t.is(formatDecimal('3.1', 4), '3.1');
});

test('formatAnalysis: integers grouped, numeric via formatDecimal, floats at two places, NULL blank, text as is', (t) => {
  const text = formatAnalysis(
    result(
      section(
        'Revenue by region',
        'revenue-by-region',
        [
          ['region', TEXT],
          ['orders', INT8],
          ['revenue', NUMERIC],
          ['share', FLOAT8],
        ],
        [
          ['Kanto', '1234', '1234567.891', '0.4'],
          ['Kansai', '-56', '92.4', null],
          [null, '7', '-0.001', '1e+21'],
        ],
      ),
    ),
  );
  t.is(
    text,
    [
      '           Revenue by region',
      ' region | orders |   revenue    | share ',
      '--------+--------+--------------+-------',
      ' Kanto  |  1,234 | 1,234,567.89 |  0.40',
      ' Kansai |    -56 |         92.4 |      ',
      '        |      7 |         0.00 | 1e+21',
      '(3 rows)',
      '',
      '',
    ].join('\n'),
  );
});

test('toJson keeps numbers as numbers only when exact, booleans as booleans, and text as text', (t) => {
  const json = toJson(
    result(
      section(
        'S',
        's',
        [
          ['id', INT8],
          ['amount', NUMERIC],
          ['ratio', FLOAT8],
          ['paid', BOOL],
          ['code', TEXT],
        ],
        [
          ['9007199254740993', '0.1000000000000000055511151231257827', '0.5', 't', '007'],
          ['42', '1.50', null, 'f', null],
        ],
      ),
    ),
  );
  t.deepEqual(json, {
    analysis: 'revenue',
    tenant: 'tenant_a',
    database: 'tenant_a_db',
    sections: [
      {
        title: 'S',
        slug: 's',
        columns: ['id', 'amount', 'ratio', 'paid', 'code'],
        rows: [
          { id: '9007199254740993', amount: '0.1000000000000000055511151231257827', ratio: 0.5, paid: true, code: '007' },
          { id: 42, amount: 1.5, ratio: null, paid: false, code: null },
        ],
      },
    ],
  });
});

test('toJson: columns of one name get distinct keys (n, n_2), the same in columns and rows, so no value is lost', (t) => {
  const json = toJson(
    result(
      section(
        'S',
        's',
        [
          ['n', INT4],
          ['n', INT4],
          ['label', TEXT],
        ],
        [['1', '2', 'a']],
      ),
    ),
  ) as any;
  t.deepEqual(json.sections[0].columns, ['n', 'n_2', 'label']);
  t.deepEqual(json.sections[0].rows, [{ n: 1, n_2: 2, label: 'a' }]);
  const taken = toJson(
    result(
      section(
        'S',
        's',
        [
          ['n', INT4],
          ['n', INT4],
          ['n_2', INT4],
          ['n', INT4],
        ],
        [['1', '2', '3', '4']],
      ),
    ),
  ) as any;
  t.deepEqual(taken.sections[0].columns, ['n', 'n_3', 'n_2', 'n_4'], 'a name the query returns itself is never reused');
  t.deepEqual(taken.sections[0].rows, [{ n: 1, n_3: 2, n_2: 3, n_4: 4 }]);
});

test('writeAnalysisFiles writes <name>.json, .md and .csv; CSV tells NULL from empty text and quotes as RFC 4180', (t) => {
  const ws = tempWorkspace();
  t.teardown(() => ws.cleanup());
  const dir = join(ws.root, 'out');
  const rows = [
    ['Kanto', '1234'],
    ['a "quoted", | piped\nname', null],
    ['', '0'],
  ];
  const files = writeAnalysisFiles(
    dir,
    result(
      section(
        'Orders',
        'orders',
        [
          ['region', TEXT],
          ['orders', INT4],
        ],
        rows,
      ),
    ),
  );
  t.deepEqual(
    files,
    ['revenue.json', 'revenue.md', 'revenue.csv'].map((f) => join(dir, f)),
  );
  t.is(readFileSync(join(dir, 'revenue.csv'), 'utf8'), 'region,orders\nKanto,1234\n"a ""quoted"", | piped\nname",\n"",0\n');
  t.is(
    readFileSync(join(dir, 'revenue.md'), 'utf8'),
    [
      '# revenue — tenant_a\n',
      '## Orders\n',
      '| region | orders |',
      '| --- | ---: |',
      '| Kanto | 1234 |',
      '| a "quoted", \\| piped<br>name |  |',
      '|  | 0 |',
      '\n(3 rows)\n',
    ].join('\n'),
  );
  t.deepEqual(JSON.parse(readFileSync(join(dir, 'revenue.json'), 'utf8')).sections[0].rows[2], { region: '', orders: 0 });
});

test('writeAnalysisFiles: several sections get one CSV each, and files of an earlier run of the same analysis go', (t) => {
  const ws = tempWorkspace({ 'out/revenue.csv': 'stale', 'out/revenue.old-section.csv': 'stale', 'out/other.csv': 'keep', 'out/revenue_2.csv': 'keep' });
  t.teardown(() => ws.cleanup());
  const dir = join(ws.root, 'out');
  writeAnalysisFiles(dir, result(section('By region', 'by-region', [['n', INT4]], [['1']]), section('By month', 'by-month', [['n', INT4]], [])));
  t.deepEqual(readdirSync(dir).sort(), ['other.csv', 'revenue.by-month.csv', 'revenue.by-region.csv', 'revenue.json', 'revenue.md', 'revenue_2.csv']);
  t.is(readFileSync(join(dir, 'revenue.by-month.csv'), 'utf8'), 'n\n');
  t.regex(readFileSync(join(dir, 'revenue.md'), 'utf8'), /\(1 row\)\n[\s\S]*\(0 rows\)\n$/);
});
