import * as vega from 'vega';
import { compile, type TopLevelSpec } from 'vega-lite';

type Row = Record<string, unknown>;

const COLORS = ['#2563eb', '#16a34a', '#f59e0b', '#dc2626', '#7c3aed', '#0891b2'];
const BASE = {
  width: 'container' as const,
  height: 220,
  background: 'transparent',
  config: {
    view: { stroke: null },
    axis: { labelFont: 'sans-serif', titleFont: 'sans-serif', gridColor: '#e5e7eb' },
    legend: { labelFont: 'sans-serif', titleFont: 'sans-serif' },
  },
};

/** Vega-Lite → static SVG on the server (no browser, no network): the page needs no script. */
export async function toSvg(spec: TopLevelSpec, width = 520): Promise<string> {
  const vegaSpec = compile({ ...spec, width } as TopLevelSpec).spec;
  const view = new vega.View(vega.parse(vegaSpec), { renderer: 'none' });
  try {
    return await view.toSVG();
  } finally {
    view.finalize();
  }
}

export const salesOverTime = (rows: Row[], field: string, title: string, timeUnit?: 'yearmonth') =>
  toSvg({
    ...BASE,
    title,
    data: { values: rows },
    mark: { type: 'bar', color: COLORS[0], tooltip: true },
    encoding: {
      x: { field, type: 'ordinal', title: null, timeUnit, axis: { labelAngle: -30 } },
      y: { field: 'sales', type: 'quantitative', title: 'sales', axis: { format: ',.2f' } },
    },
  } as TopLevelSpec);

export const categoryShare = (rows: Row[]) =>
  toSvg(
    {
      ...BASE,
      title: 'Sales by category',
      data: { values: rows },
      mark: { type: 'arc', innerRadius: 55, stroke: '#fff' },
      encoding: {
        theta: { field: 'sales', type: 'quantitative', stack: true },
        color: { field: 'category', type: 'nominal', scale: { range: COLORS }, legend: { title: null, orient: 'right' } },
        order: { field: 'sales', sort: 'descending' },
      },
    } as TopLevelSpec,
    420,
  );

export const horizontalBars = (rows: Row[], label: string, value: string, title: string, format = ',.2f') =>
  toSvg({
    ...BASE,
    title,
    data: { values: rows },
    mark: { type: 'bar', color: COLORS[1] },
    encoding: {
      y: { field: label, type: 'nominal', sort: null, title: null },
      x: { field: value, type: 'quantitative', title: value, axis: { format } },
    },
  } as TopLevelSpec);
