import nunjucks from 'nunjucks';
import { TaskError } from '@mt/cli';
import { categoryShare, horizontalBars, salesOverTime } from './charts.ts';
import PAGE from './page.njk.ts';

type Row = Record<string, unknown>;
/** The JSON an analysis target writes (dist/analysis/<tenant>/<name>.json). */
export interface AnalysisJson {
  analysis: string;
  tenant: string;
  sections: Array<{ title: string; slug: string; columns: string[]; rows: Row[] }>;
}

const money = (v: unknown) => Number(v).toLocaleString('en-US', { minimumFractionDigits: 2, maximumFractionDigits: 2 });

let compiled: nunjucks.Template | undefined;
/** page.njk.ts, compiled once; autoescape HTML-escapes every value but the charts (`| safe`). */
function page(): nunjucks.Template {
  if (!compiled) {
    const env = new nunjucks.Environment(null, { autoescape: true, throwOnUndefined: false });
    env.addFilter('money', money);
    compiled = new nunjucks.Template(PAGE, env, 'libs/report/src/page.njk.ts', true);
  }
  return compiled;
}

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
  const [dailyChart, monthlyChart, categoryChart, rankingChart, segmentChart] = await Promise.all([
    salesOverTime(daily, 'order_date', 'Daily sales'),
    salesOverTime(monthly, 'month', 'Monthly sales'),
    categoryShare(categories),
    horizontalBars(ranking, 'product_name', 'sales', 'Product ranking (sales)'),
    horizontalBars(segments, 'segment', 'customers', 'Customers per segment', 'd'),
  ]);
  return page().render({
    displayName: input.displayName,
    tenant: input.tenant,
    tiles,
    charts: { daily: dailyChart, monthly: monthlyChart, categories: categoryChart, ranking: rankingChart, segments: segmentChart },
    categories,
    ranking,
    segments,
  });
}
