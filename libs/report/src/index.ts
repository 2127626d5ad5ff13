export { renderReport, type AnalysisJson } from './page.ts';
export { renderDocsSite } from './docs-page.ts';
export { DOCS_LANGS, docsLang, type DocsLang } from './docs-labels.ts';
