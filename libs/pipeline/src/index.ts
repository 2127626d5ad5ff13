export { runPipeline, progressLine, formatSummary, type Phase } from './runner.ts';
export { lastRun, buildFingerprint, openTenantDatabase } from './state.ts';
export { listAnalyses, runAnalysis, analysisOutputDir } from './analyses.ts';
export { formatAnalysis, toJson, writeAnalysisFiles } from './analysis-output.ts';
export { renderTemplate } from './render.ts';
export { discoverLake, externalTables, describeRefresh, externalOutputDir, writeDialect } from './lake.ts';
export { loadProject } from './project.ts';
export { parseVars } from './vars.ts';
