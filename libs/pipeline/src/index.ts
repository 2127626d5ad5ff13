export { loadProject, loadSettings } from './project.ts';
export { topologicalOrder, selectNodes } from './graph.ts';
export { runPipeline, openTenantDatabase, progressLine, formatSummary, type Phase, type PipelineOptions, type PipelineReport } from './runner.ts';
export { seedColumns } from './seeds.ts';
export { META_SCHEMA, lastRun, buildFingerprint, type LastRun } from './state.ts';
export type { PipelineNode, Project, NodeResult, NodeStatus } from './types.ts';
export { listAnalyses, assertAnalysis, runAnalysis, ANALYSES_DIR } from './analyses.ts';
export { formatAnalysis, formatDecimal, toJson, writeAnalysisFiles, type AnalysisResult, type AnalysisSection } from './analysis-output.ts';
export { renderTemplate } from './render.ts';
