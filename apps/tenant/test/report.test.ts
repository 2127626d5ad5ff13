import { execFile } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import test from 'ava';
import { makeWorkspace, REPO, type TestWorkspace } from './support/workspace.ts';

const exec = promisify(execFile);
const CHROMIUM = process.env.CHROMIUM ?? '/usr/bin/chromium';
let ws: TestWorkspace;

test.before(async () => {
  ws = await makeWorkspace({ tenants: ['tenant_a'] });
  for (const [script, args] of [['tenant-run', []], ['analysis', ['--name', 'dashboard', '--name', 'basic']]] as const) {
    const r = await ws.task(`tenant/src/${script}.ts`, ['--tenant', 'tenant_a', ...args]);
    if (r.code !== 0) throw new Error(r.stderr);
  }
});
test.after.always(async () => ws?.cleanup());

/** Headless Chromium as Debian ships it, with the flags this closed network needs. */
async function chromium(args: string[]): Promise<string> {
  const profile = mkdtempSync(join(tmpdir(), 'chromium-'));
  try {
    const flags = ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync', `--user-data-dir=${profile}`];
    return (await exec(CHROMIUM, [...flags, ...args], { maxBuffer: 32 << 20, timeout: 60_000 })).stdout;
  } finally {
    rmSync(profile, { recursive: true, force: true });
  }
}

test('the report is one self-contained page; Chromium renders its charts and KPI values', async (t) => {
  const r = await ws.task('tenant/src/report.ts', ['--tenant', 'tenant_a']);
  t.is(r.code, 0, r.stderr);
  const html = ws.read('dist/reports/tenant_a/index.html');
  t.notRegex(html, /<script|<link|\ssrc=|url\(/i, 'no script, stylesheet, image or font to fetch');

  t.true(existsSync(CHROMIUM), `${CHROMIUM} is missing: install Debian's chromium (.ci/run does)`);
  const page = `file://${join(ws.root, 'dist/reports/tenant_a/index.html')}`;
  const dom = await chromium(['--dump-dom', page]);
  for (const [id, value] of [['total_customers', '5'], ['active_customers', '5'], ['total_orders', '5'], ['total_sales', '3,464.89'], ['average_order_value', '692.98']]) {
    t.regex(dom, new RegExp(`id="kpi-${id}"><div class="label">[^<]+</div><div class="value">${value.replace('.', '\\.')}</div>`), id);
  }
  for (const chart of ['daily', 'monthly', 'categories', 'ranking', 'segments']) {
    t.regex(dom, new RegExp(`id="chart-${chart}"><svg[^>]*class="marks"[\\s\\S]*?<path`), chart);
  }
  t.regex(dom, /Electronics<\/td><td class="num">3,199\.96<\/td><td class="num">92\.4 %/);
  t.regex(dom, /<td>Premium<\/td><td>500 - 999<\/td><td class="num">4<\/td>/);

  const shots = join(REPO, 'dist', 'screenshots');
  mkdirSync(shots, { recursive: true });
  const png = join(shots, 'report-tenant_a.png');
  await chromium(['--window-size=1280,1400', `--screenshot=${png}`, page]);
  t.true(statSync(png).size > 20_000, 'a real picture, not a blank page');
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
