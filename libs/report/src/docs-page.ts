import nunjucks from 'nunjucks';
import type { DocsData } from '@mt/pipeline';
import { DOCS_LABELS, type DocsLang } from './docs-labels.ts';
import { layoutLineage } from './lineage.ts';
import PAGE from './docs-page.njk.ts';

let compiled: nunjucks.Template | undefined;
/** docs-page.njk.ts, compiled once; autoescape HTML-escapes every value but the data block. */
function page(): nunjucks.Template {
  compiled ??= new nunjucks.Template(
    PAGE,
    new nunjucks.Environment(null, { autoescape: true, throwOnUndefined: true }),
    'libs/report/src/docs-page.njk.ts',
    true,
  );
  return compiled;
}

/** The docs site of one tenant as one HTML file; `<` in the embedded JSON is escaped so no text can end the script. */
export function renderDocsSite(data: DocsData, lang: DocsLang): string {
  const labels = DOCS_LABELS[lang];
  const json = JSON.stringify({ ...data, labels }).replace(/</g, '\\u003c');
  return page().render({
    ...data,
    lang,
    L: labels,
    graph: layoutLineage(data.nodes, data.edges),
    byId: Object.fromEntries(data.nodes.map((n) => [n.id, n])),
    json,
  });
}
