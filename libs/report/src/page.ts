import { TaskError } from '@mt/cli';
import { categoryShare, horizontalBars, salesOverTime } from './charts.ts';

type Row = Record<string, unknown>;
/** The JSON an analysis target writes (dist/analysis/<tenant>/<name>.json). */
export interface AnalysisJson {
  analysis: string;
  tenant: string;
  sections: Array<{ title: string; slug: string; columns: string[]; rows: Row[] }>;
}

const escapeHtml = (v: unknown) => String(v ?? '').replace(/[&<>"']/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c]!);
const money = (v: unknown) => Number(v).toLocaleString('en-US', { minimumFractionDigits: 2, maximumFractionDigits: 2 });

function section(data: AnalysisJson, slug: string): Row[] {
  const s = data.sections.find((x) => x.slug === slug);
  if (!s) {
    throw new TaskError(
      'REPORT_INPUT',
      `dist/analysis/${data.tenant}/${data.analysis}.json has no section "${slug}" (has: ${data.sections.map((x) => x.slug).join(', ')}).`,
      {
        hint: `The report reads the sections of sql/analyses/${data.analysis}.sql by their "-- section:" titles; rerun the analysis or restore the section.`,
      },
    );
  }
  return s.rows;
}

/**
 * The tenant dashboard as one self-contained HTML page: KPI tiles, sales over time, category
 * shares, the product ranking and the customer segments, from the dashboard and basic analyses.
 */
export async function renderReport(input: { tenant: string; displayName: string; dashboard: AnalysisJson; basic: AnalysisJson }): Promise<string> {
  const { dashboard, basic } = input;
  const [kpi] = section(dashboard, 'kpis');
  const daily = section(dashboard, 'daily-sales-trend');
  const categories = section(dashboard, 'sales-by-category');
  const ranking = section(dashboard, 'product-ranking');
  const monthly = section(basic, 'monthly-sales-trend');
  const segments = section(basic, 'customer-segments');

  const tiles: Array<[string, string, string]> = [
    ['total_customers', 'Customers', String(kpi.total_customers)],
    ['active_customers', 'Active customers', String(kpi.active_customers)],
    ['total_orders', 'Orders', String(kpi.total_orders)],
    ['total_sales', 'Total sales', money(kpi.total_sales)],
    ['average_order_value', 'Average order value', money(kpi.average_order_value)],
  ];
  const charts = await Promise.all([
    salesOverTime(daily, 'order_date', 'Daily sales'),
    salesOverTime(monthly, 'month', 'Monthly sales'),
    categoryShare(categories),
    horizontalBars(ranking, 'product_name', 'sales', 'Product ranking (sales)'),
    horizontalBars(segments, 'segment', 'customers', 'Customers per segment', 'd'),
  ]);
  const [dailyChart, monthlyChart, categoryChart, rankingChart, segmentChart] = charts;

  const rankingRows = ranking
    .map(
      (r) =>
        `<tr><td class="num">${escapeHtml(r.rank)}</td><td>${escapeHtml(r.product_name)}</td><td>${escapeHtml(r.product_category)}</td><td class="num">${money(r.sales)}</td><td class="num">${escapeHtml(r.orders)}</td></tr>`,
    )
    .join('\n');
  const categoryRows = categories
    .map((r) => `<tr><td>${escapeHtml(r.category)}</td><td class="num">${money(r.sales)}</td><td class="num">${escapeHtml(r.share_pct)} %</td></tr>`)
    .join('\n');
  const segmentRows = segments
    .map((r) => `<tr><td>${escapeHtml(r.segment)}</td><td>${escapeHtml(r.rule)}</td><td class="num">${escapeHtml(r.customers)}</td></tr>`)
    .join('\n');

  return `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>${escapeHtml(input.displayName)} — sales dashboard</title>
<style>
  body { font-family: system-ui, -apple-system, "Segoe UI", sans-serif; margin: 0; background: #f8fafc; color: #0f172a; }
  header { background: #0f172a; color: #fff; padding: 20px 32px; }
  header h1 { margin: 0; font-size: 22px; } header p { margin: 4px 0 0; color: #cbd5e1; font-size: 13px; }
  main { padding: 24px 32px; max-width: 1200px; }
  .tiles { display: grid; grid-template-columns: repeat(5, 1fr); gap: 12px; }
  .tile { background: #fff; border: 1px solid #e2e8f0; border-radius: 8px; padding: 14px 16px; }
  .tile .label { font-size: 12px; color: #64748b; text-transform: uppercase; letter-spacing: .04em; }
  .tile .value { font-size: 26px; font-weight: 600; margin-top: 6px; font-variant-numeric: tabular-nums; }
  .grid { display: grid; grid-template-columns: 1fr 1fr; gap: 16px; margin-top: 16px; }
  .card { background: #fff; border: 1px solid #e2e8f0; border-radius: 8px; padding: 16px; overflow: hidden; }
  .card h2 { font-size: 15px; margin: 0 0 10px; }
  table { border-collapse: collapse; width: 100%; font-size: 13px; }
  th, td { text-align: left; padding: 6px 8px; border-bottom: 1px solid #f1f5f9; }
  th { color: #64748b; font-weight: 600; } td.num, th.num { text-align: right; font-variant-numeric: tabular-nums; }
  svg { max-width: 100%; height: auto; }
</style>
</head>
<body>
<header><h1>${escapeHtml(input.displayName)} — sales dashboard</h1><p>tenant ${escapeHtml(input.tenant)} · from sql/analyses/dashboard.sql and basic.sql</p></header>
<main>
<section class="tiles">
${tiles.map(([id, label, value]) => `<div class="tile" id="kpi-${id}"><div class="label">${label}</div><div class="value">${escapeHtml(value)}</div></div>`).join('\n')}
</section>
<section class="grid">
<div class="card chart" id="chart-daily">${dailyChart}</div>
<div class="card chart" id="chart-monthly">${monthlyChart}</div>
<div class="card chart" id="chart-categories">${categoryChart}
<table><tr><th>Category</th><th class="num">Sales</th><th class="num">Share</th></tr>
${categoryRows}</table></div>
<div class="card chart" id="chart-ranking">${rankingChart}</div>
<div class="card" id="ranking"><h2>Product ranking</h2>
<table><tr><th class="num">#</th><th>Product</th><th>Category</th><th class="num">Sales</th><th class="num">Orders</th></tr>
${rankingRows}</table></div>
<div class="card chart" id="chart-segments">${segmentChart}
<table><tr><th>Segment</th><th>Rule</th><th class="num">Customers</th></tr>
${segmentRows}</table></div>
</section>
</main>
</body>
</html>
`;
}
