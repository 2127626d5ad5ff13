export { renderReport, type AnalysisJson } from './page.ts';
