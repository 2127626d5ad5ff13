/// <reference lib="dom" />
/**
 * dbt's commands that read the project: compile, ls, show, source-freshness and docs (the lineage site,
 * opened in a real headless Chromium), on the scratch project of fixtures/dbt-features.
 */
import { join } from 'node:path';
import chromium from '@sparticuz/chromium';
import puppeteer, { type Browser } from 'puppeteer-core';
import test from 'ava';
import { makeFeaturesWorkspace } from './support/features.ts';
import type { TestWorkspace } from './support/workspace.ts';

let ws: TestWorkspace;
let browser: Browser | undefined;
const task = (script: string, args: string[] = [], env: NodeJS.ProcessEnv = {}) => ws.task(`tenant/src/${script}.ts`, ['--tenant', 'tenant_a', ...args], env);

test.before(async () => {
  ws = await makeFeaturesWorkspace();
  const built = await task('tenant-run');
  if (built.code !== 0) throw new Error(built.stderr);
});
test.after.always(async () => {
  await browser?.close();
  await ws?.cleanup();
});

test.serial('compile writes the selection to dist/compiled (the analyses too), and --print shows one model alone', async (t) => {
  const r = await task('compile', ['--select', 'big_orders', '--print']);
  t.is(r.code, 0, r.stderr);
  t.is(r.stdout, ws.read('dist/compiled/tenant_a/sql/models/marts/big_orders.sql'));
  t.regex(r.stdout, /^\s*with "__dbt__cte__order_facts" as/);
  t.regex(r.stderr, /tenant_a: compiled \d+ nodes into dist\/compiled\/tenant_a\//);
  const all = await task('compile');
  t.is(all.code, 0, all.stderr);
  t.regex(ws.read('dist/compiled/tenant_a/sql/analyses/basic.sql'), /from "public"\."dim_customers"/);
  const none = await task('compile', ['--select', 'tag:nothing']);
  t.is(none.code, 0);
  t.regex(none.stderr, /warning: The selection criterion 'tag:nothing' does not match any node\./);
});

test.serial('ls lists nodes with type, materialization and tags; --output json is one object per line', async (t) => {
  const table = await task('ls', ['--select', 'tag:daily', 'order_facts']);
  t.is(table.code, 0, table.stderr);
  t.regex(table.stdout, /^type\s+name\s+materialized\s+tags\s+file$/m);
  t.regex(table.stdout, /^model\s+order_facts\s+ephemeral\s+marts\s+sql\/models\/marts\/order_facts\.sql$/m);
  t.regex(table.stdout, /^model\s+big_orders\s+table\s+marts, daily\s+sql\/models\/marts\/big_orders\.sql$/m);
  const json = await task('ls', ['--select', 'resource_type:seed', '--output', 'json']);
  const lines = json.stdout
    .trim()
    .split('\n')
    .map((l) => JSON.parse(l));
  t.deepEqual(
    lines.map((l) => l.name),
    ['customers', 'orders', 'products', 'regions'],
  );
  t.like(lines[0], { unique_id: 'seed.customers', resource_type: 'seed', materialized: 'seed', tags: [] });
  t.regex((await task('ls', ['--output', 'path', '--select', 'customer_totals_mv'])).stdout, /^sql\/models\/marts\/customer_totals_mv\.sql\n/);
});

test.serial('show prints the first rows psql-aligned, of a node or an inline query, and cannot write', async (t) => {
  const r = await task('show', ['--select', 'big_orders', '--limit', '2']);
  t.is(r.code, 0, r.stderr);
  t.regex(r.stdout, /big_orders \(first 2 rows\)\n order_id \| customer_id \| total_cents \| label \| target_name \| run_year \| order_total ?\n-+\+/);
  t.regex(r.stdout, /\(2 rows\)\n$/);
  const inline = await task('show', ['--inline', "select count(*) as n from {{ ref('big_orders') }}"]);
  t.regex(inline.stdout, /^ n \n-+\n +\d+\n\(1 row\)\n$/);
  const write = await task('show', ['--inline', "select * from big_orders; delete from {{ ref('big_orders') }}"]);
  t.is(write.code, 1);
  t.regex(write.stderr, /\[MULTIPLE_STATEMENTS\]/);
  const bad = await task('show', ['--inline', 'select nope from big_orders']);
  t.is(bad.code, 1);
  t.regex(bad.stderr, /column "nope" does not exist/);
  const missing = await task('show');
  t.is(missing.code, 1);
  t.regex(missing.stderr, /show needs --select <node> or --inline/);
  t.true((await ws.query('tenant_a', 'select count(*)::int as n from big_orders'))[0].n > 0);
});

test.serial('source-freshness judges each source table by its newest loaded_at value; an error exits 1', async (t) => {
  const fresh = await task('source-freshness', ['--select', 'audit.run_audit']);
  t.is(fresh.code, 0, fresh.stderr);
  t.regex(fresh.stdout, /^audit\.run_audit\s+\d{4}-\d\d-\d\d [\d:.]+\+00\s+\d+s\s+1 hour\s+pass$/m);
  const stale = await task('source-freshness', ['--json']);
  t.is(stale.code, 1);
  const rows = JSON.parse(stale.stdout);
  t.like(
    rows.find((r: { table: string }) => r.table === 'never_loaded'),
    { source: 'audit', status: 'error', maxLoadedAt: null, detail: 'no rows' },
  );
  const none = await task('source-freshness', ['--select', 'nowhere']);
  t.is(none.code, 1);
  t.regex(none.stderr, /\[UNKNOWN_SELECTOR\] No source matching nowhere declares freshness\./);
});

test.serial('docs: one offline page whose lineage graph has every node and edge, interactive in Chromium; Japanese with --lang ja', async (t) => {
  const r = await task('docs');
  t.is(r.code, 0, r.stderr);
  const html = ws.read('dist/docs/tenant_a/index.html');
  const data = JSON.parse(/<script type="application\/json" id="docs-data">([\s\S]*?)<\/script>/.exec(html)![1]);
  const ids = data.nodes.map((n: { id: string }) => n.id);
  for (const id of [
    'seed.customers',
    'model.stg_customers',
    'model.order_facts',
    'model.big_orders',
    'snapshot.customers_snapshot',
    'analysis.basic',
    'source.audit.run_audit',
  ])
    t.true(ids.includes(id), id);
  t.false(
    ids.some((id: string) => id.startsWith('test.')),
    'tests are listed under their nodes, not drawn',
  );
  for (const edge of [
    ['seed.customers', 'model.stg_customers'],
    ['model.order_facts', 'model.big_orders'],
    ['model.dim_customers', 'analysis.basic'],
  ])
    t.true(
      data.edges.some((e: string[]) => e[0] === edge[0] && e[1] === edge[1]),
      edge.join(' → '),
    );

  browser = await puppeteer.launch({
    executablePath: await chromium.executablePath(),
    args: [...chromium.args, '--disable-background-networking', '--disable-component-update', '--disable-sync', '--no-first-run'],
    headless: 'shell',
  });
  const page = await browser.newPage();
  const fetched: string[] = [];
  const errors: string[] = [];
  await page.setRequestInterception(true);
  page.on('request', (req) => {
    if (!req.url().startsWith('file:')) fetched.push(req.url());
    void (req.url().startsWith('file:') ? req.continue() : req.abort());
  });
  page.on('pageerror', (e) => errors.push(String(e)));
  await page.goto(`file://${join(ws.root, 'dist/docs/tenant_a/index.html')}`, { waitUntil: 'load' });
  const drawn = await page.evaluate(() => ({
    nodes: [...document.querySelectorAll('#lineage g.node')].map((g) => (g as SVGGElement).dataset.id),
    edges: [...document.querySelectorAll('#lineage path.edge')].map((p) => `${(p as SVGPathElement).dataset.from}>${(p as SVGPathElement).dataset.to}`),
    laidOut: [...document.querySelectorAll('#lineage g.node')].every((g) => (g as SVGGElement).getBoundingClientRect().width > 100),
  }));
  t.deepEqual([...drawn.nodes].sort(), [...ids].sort(), 'every node drawn once');
  t.deepEqual([...drawn.edges].sort(), data.edges.map((e: string[]) => `${e[0]}>${e[1]}`).sort(), 'every edge drawn');
  t.true(drawn.laidOut);

  await page.click('#lineage g.node[data-id="model.big_orders"]');
  const picked = await page.evaluate(() => ({
    title: document.querySelector('#details h2')?.textContent,
    text: document.getElementById('details')?.textContent ?? '',
    lit: [...document.querySelectorAll('#lineage g.node.on')].map((g) => (g as SVGGElement).dataset.id),
    hash: location.hash,
  }));
  t.is(picked.title, 'model big_orders');
  t.regex(picked.text, /total_cents[\s\S]*accepted_range/);
  t.regex(picked.text, /__dbt__cte__order_facts/);
  t.true(picked.lit.includes('model.order_facts') && picked.lit.includes('seed.orders') && !picked.lit.includes('seed.regions'), picked.lit.join(' '));
  t.is(picked.hash, '#model.big_orders');
  t.deepEqual(fetched, [], 'nothing fetched from the network');
  t.deepEqual(errors, []);

  t.is((await task('docs', ['--lang', 'ja'])).code, 0);
  t.regex(ws.read('dist/docs/tenant_a/index.html'), /<html lang="ja">[\s\S]*<h1>データカタログ: Tenant A \(tenant_a\)<\/h1>[\s\S]*リネージ（系統図）/);
  await task('docs', [], { LANG: 'ja_JP.UTF-8' });
  t.regex(ws.read('dist/docs/tenant_a/index.html'), /<html lang="ja">/);
  await task('docs', [], { LANG: 'C.UTF-8' });
  t.regex(ws.read('dist/docs/tenant_a/index.html'), /<html lang="en">[\s\S]*<h1>Data docs: /);
});
