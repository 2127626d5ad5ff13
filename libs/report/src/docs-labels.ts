/** The docs site's words, in English and Japanese (`--lang ja`, or a LANG of ja*). */
export const DOCS_LANGS = ['en', 'ja'] as const;
export type DocsLang = (typeof DOCS_LANGS)[number];

const en = {
  title: 'Data docs',
  database: 'Database',
  generated: 'Generated',
  lineage: 'Lineage',
  search: 'Search nodes',
  pick: 'Pick a node in the graph or the list to see its description, columns, tests and SQL.',
  columns: 'Columns',
  name: 'Name',
  type: 'Type',
  description: 'Description',
  tests: 'Tests',
  sql: 'Compiled SQL',
  rows: 'Rows',
  lastBuild: 'Last build',
  file: 'File',
  relation: 'Relation',
  materialized: 'Materialized',
  tags: 'Tags',
  status: 'Status',
  noDescription: 'No description.',
  notBuilt: 'not built yet',
  nodes: 'nodes',
  edges: 'edges',
  kinds: { source: 'source', seed: 'seed', model: 'model', snapshot: 'snapshot', analysis: 'analysis' },
};

export type DocsLabels = typeof en;

const ja: DocsLabels = {
  title: 'データカタログ',
  database: 'データベース',
  generated: '生成日時',
  lineage: 'リネージ（系統図）',
  search: 'ノードを検索',
  pick: 'グラフまたは一覧からノードを選ぶと、説明・列・テスト・SQL が表示されます。',
  columns: '列',
  name: '名前',
  type: '型',
  description: '説明',
  tests: 'テスト',
  sql: 'コンパイル済み SQL',
  rows: '行数',
  lastBuild: '最終ビルド',
  file: 'ファイル',
  relation: 'リレーション',
  materialized: 'マテリアライズ',
  tags: 'タグ',
  status: '状態',
  noDescription: '説明はありません。',
  notBuilt: '未ビルド',
  nodes: 'ノード',
  edges: '依存関係',
  kinds: { source: 'ソース', seed: 'シード', model: 'モデル', snapshot: 'スナップショット', analysis: '分析' },
};

export const DOCS_LABELS: Record<DocsLang, DocsLabels> = { en, ja };

/** `--lang` when given, else Japanese when LANG (or LC_ALL) is ja*, else English. */
export function docsLang(flag: string | undefined, env: NodeJS.ProcessEnv): DocsLang {
  if (flag) return flag as DocsLang;
  return /^ja/i.test(env.LC_ALL || env.LANG || '') ? 'ja' : 'en';
}
