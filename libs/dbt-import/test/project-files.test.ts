/** The edits of the copied YAML: only what has to change changes, every other byte (comments, layout) stays. */
import test from 'ava';
import { parse } from 'yaml';
import { cutExternalBlocks, keepBuiltInPackages, pointSeedsHere } from '../src/project-files.ts';
import { parseYaml } from '../src/yaml-edit.ts';

const NOTE = /# make import-dbt: the seeds are the workspace's seeds\/ \(was [^)]*\)\n/;

test('seed-paths as a flow list: the list is replaced, its comment and every other line stay', (t) => {
  const text = 'name: shop   # the shop\nseed-paths: [data, more]   # exports\nvars: { a: 1 }\n';
  const out = pointSeedsHere(parseYaml(text));
  t.is(
    out,
    'name: shop   # the shop\n# make import-dbt: the seeds are the workspace\'s seeds/ (was ["data","more"])\nseed-paths: ["../seeds"]   # exports\nvars: { a: 1 }\n',
  );
});

test('seed-paths as a block list: the entry is written again in one line', (t) => {
  const text = 'name: shop\nseed-paths:\n  - seeds\n  - more_seeds\nmodels:\n  shop: {}\n';
  const out = pointSeedsHere(parseYaml(text));
  t.is(out.replace(NOTE, ''), 'name: shop\nseed-paths: ["../seeds"]\nmodels:\n  shop: {}\n');
  t.deepEqual(parse(out)['seed-paths'], ['../seeds']);
});

test("no seed-paths (dbt's default): written after the other path keys, or at the end", (t) => {
  const after = pointSeedsHere(parseYaml('name: shop\nmodel-paths: ["models"]\nmacro-paths:\n  - macros\nvars: {}\n'));
  t.is(after.replace(NOTE, ''), 'name: shop\nmodel-paths: ["models"]\nmacro-paths:\n  - macros\nseed-paths: ["../seeds"]\nvars: {}\n');
  t.regex(after, /\(was dbt's default \["seeds"\]\)/);
  t.is(pointSeedsHere(parseYaml('name: shop')).replace(NOTE, ''), 'name: shop\nseed-paths: ["../seeds"]\n');
});

test('packages.yml: the packages not built in are cut with their lines (comments of the others stay) and listed', (t) => {
  const text = [
    'packages:',
    '  # the usual helpers',
    '  - package: dbt-labs/dbt_utils',
    '    version: 1.1.1',
    '  - git: "https://github.com/example/dbt-private.git"',
    '    revision: v2',
    '  - package: dbt-labs/dbt_external_tables   # the lake',
    '    version: 0.11.1',
    '',
  ].join('\n');
  const { text: out, left } = keepBuiltInPackages(text, 'src/packages.yml');
  t.is(out, text.replace('  - git: "https://github.com/example/dbt-private.git"\n    revision: v2\n', ''));
  t.deepEqual(
    left.map((l) => l.what),
    ['package https://github.com/example/dbt-private.git (src/packages.yml:5)'],
  );
});

test('external: blocks are cut from the sources YAML; a flow-style one falls back to yaml, comments kept', (t) => {
  const block = [
    'sources:',
    '  - name: raw',
    '    tables:',
    '      - name: events',
    '        external:',
    '          location: "s3://bucket/events/"  # where',
    '        columns:',
    '          - name: id',
    '      - { name: clicks, external: { location: "s3://b/c/" } }',
    '# the end',
    '',
  ].join('\n');
  const { text, left } = cutExternalBlocks(block, 'models/src.yml');
  t.deepEqual(parse(text), { sources: [{ name: 'raw', tables: [{ name: 'events', columns: [{ name: 'id' }] }, { name: 'clicks' }] }] });
  t.regex(text, /# the end/);
  t.deepEqual(
    left.map((l) => l.what),
    ['external table raw.events (models/src.yml:5)', 'external table raw.clicks (models/src.yml:9)'],
  );
  const plain = cutExternalBlocks(block.split('      - { name: clicks')[0], 'x.yml').text;
  t.is(plain, 'sources:\n  - name: raw\n    tables:\n      - name: events\n        columns:\n          - name: id\n');
});
