/**
 * The dashboard page, a nunjucks template (autoescape on: every `{{ }}` is HTML-escaped unless marked
 * `| safe`, as the server-rendered SVG charts are). A string module rather than a .njk file: the task
 * scripts run as esbuild bundles (tools/bundle/bundle.mjs), which carry no files beside them, and the
 * bundle's fingerprint covers the modules it holds, so an edit here rebuilds it.
 */
export default String.raw`<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>{{ displayName }} — sales dashboard</title>
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
<header><h1>{{ displayName }} — sales dashboard</h1><p>tenant {{ tenant }} · from sql/analyses/dashboard.sql and basic.sql</p></header>
<main>
<section class="tiles">
{%- for id, label, value in tiles %}
<div class="tile" id="kpi-{{ id }}"><div class="label">{{ label }}</div><div class="value">{{ value }}</div></div>
{%- endfor %}
</section>
<section class="grid">
<div class="card chart" id="chart-daily">{{ charts.daily | safe }}</div>
<div class="card chart" id="chart-monthly">{{ charts.monthly | safe }}</div>
<div class="card chart" id="chart-categories">{{ charts.categories | safe }}
<table><tr><th>Category</th><th class="num">Sales</th><th class="num">Share</th></tr>
{%- for r in categories %}
<tr><td>{{ r.category }}</td><td class="num">{{ r.sales | money }}</td><td class="num">{{ r.share_pct }} %</td></tr>
{%- endfor %}</table></div>
<div class="card chart" id="chart-ranking">{{ charts.ranking | safe }}</div>
<div class="card" id="ranking"><h2>Product ranking</h2>
<table><tr><th class="num">#</th><th>Product</th><th>Category</th><th class="num">Sales</th><th class="num">Orders</th></tr>
{%- for r in ranking %}
<tr><td class="num">{{ r.rank }}</td><td>{{ r.product_name }}</td><td>{{ r.product_category }}</td><td class="num">{{ r.sales | money }}</td><td class="num">{{ r.orders }}</td></tr>
{%- endfor %}</table></div>
<div class="card chart" id="chart-segments">{{ charts.segments | safe }}
<table><tr><th>Segment</th><th>Rule</th><th class="num">Customers</th></tr>
{%- for r in segments %}
<tr><td>{{ r.segment }}</td><td>{{ r.rule }}</td><td class="num">{{ r.customers }}</td></tr>
{%- endfor %}</table></div>
</section>
</main>
</body>
</html>
`;
