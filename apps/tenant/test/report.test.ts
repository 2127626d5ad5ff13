import { mkdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import test from 'ava';
import chromium from '@sparticuz/chromium';
import puppeteer from 'puppeteer-core';
import { makeWorkspace, REPO, type TestWorkspace } from './support/workspace.ts';

let ws: TestWorkspace;

test.before(async () => {
  ws = await makeWorkspace({ tenants: ['tenant_a'] });
  for (const [script, args] of [
    ['tenant-run', []],
    ['analysis', ['--name', 'dashboard', '--name', 'basic']],
  ] as const) {
    const r = await ws.task(`tenant/src/${script}.ts`, ['--tenant', 'tenant_a', ...args]);
    if (r.code !== 0) throw new Error(r.stderr);
  }
});
test.after.always(async () => ws?.cleanup());

test('the report is one self-contained page; Chromium renders its charts and KPI values', async (t) => {
  const r = await ws.task('tenant/src/report.ts', ['--tenant', 'tenant_a']);
  t.is(r.code, 0, r.stderr);
  const html = ws.read('dist/reports/tenant_a/index.html');
  t.notRegex(html, /<script|<link|\ssrc=|url\(/i, 'no script, stylesheet, image or font to fetch');

  // A real headless Chromium from the npm registry (@sparticuz/chromium ships the binary), driven
  // over the DevTools protocol: no system browser, no download at test time.
  const browser = await puppeteer.launch({
    executablePath: await chromium.executablePath(),
    args: [...chromium.args, '--disable-background-networking', '--disable-component-update', '--disable-sync', '--no-first-run'],
    headless: 'shell',
  });
  try {
    const page = await browser.newPage();
    await page.setViewport({ width: 1280, height: 1400 });
    await page.goto(`file://${join(ws.root, 'dist/reports/tenant_a/index.html')}`, { waitUntil: 'load' });
    const dom = await page.content();
    for (const [id, value] of [
      ['total_customers', '5'],
      ['active_customers', '5'],
      ['total_orders', '5'],
      ['total_sales', '3,464.89'],
      ['average_order_value', '692.98'],
    ]) {
      t.regex(dom, new RegExp(`id="kpi-${id}"><div class="label">[^<]+</div><div class="value">${value.replace('.', '\\.')}</div>`), id);
    }
    for (const chart of ['daily', 'monthly', 'categories', 'ranking', 'segments']) {
      t.regex(dom, new RegExp(`id="chart-${chart}"><svg[^>]*class="marks"[\\s\\S]*?<path`), chart);
      const box = await page.$eval(`#chart-${chart} svg`, (svg) => svg.getBoundingClientRect().toJSON());
      t.true(box.width > 100 && box.height > 50, `${chart} is laid out (${box.width}×${box.height})`);
    }
    t.regex(dom, /Electronics<\/td><td class="num">3,199\.96<\/td><td class="num">92\.4 %/);
    t.regex(dom, /<td>Premium<\/td><td>500 - 999<\/td><td class="num">4<\/td>/);

    const shots = join(REPO, 'dist', 'screenshots');
    mkdirSync(shots, { recursive: true });
    const png = join(shots, 'report-tenant_a.png');
    await page.screenshot({ path: png, fullPage: true });
    t.true(statSync(png).size > 20_000, 'a real picture, not a blank page');
  } finally {
    await browser.close();
  }
});

test('report before its analyses ran: a clear error naming the missing file', async (t) => {
  const other = await makeWorkspace({ tenants: ['tenant_a'] });
  try {
    const r = await other.task('tenant/src/report.ts', ['--tenant', 'tenant_a']);
    t.is(r.code, 1);
    t.regex(r.stderr, /\[REPORT_INPUT\] dist\/analysis\/tenant_a\/dashboard\.json does not exist yet[\s\S]*make report TENANT=tenant_a/);
  } finally {
    await other.cleanup();
  }
});
