/**
 * Edits of the copied YAML that keep every other byte as the user wrote it: the Document API finds the
 * node and its lines, the text is cut there. yaml's own toString() keeps comments and order too, but
 * re-lays the whole file out (aligned comments, `[a, b]` lists, a comment after a key moved to the
 * next line), so it is only the fallback for a node that does not fill whole lines.
 */
import { isMap, isSeq, LineCounter, parseDocument, type Document, type Node, type Pair, type YAMLSeq } from 'yaml';
import type { Left } from './types.ts';

export interface YamlText {
  text: string;
  doc: Document;
  lines: LineCounter;
}

export function parseYaml(text: string): YamlText {
  const lines = new LineCounter();
  return { text, doc: parseDocument(text, { lineCounter: lines }), lines };
}

export const lineOf = (yaml: YamlText, node: Node) => yaml.lines.linePos(node.range?.[0] ?? 0).line;

/** The entry `key:` of a mapping node, if it has one. */
export function pairOf(map: unknown, key: string): Pair<Node, Node> | undefined {
  return isMap(map) ? (map.items.find((p) => (p.key as { value?: unknown } | null)?.value === key) as Pair<Node, Node> | undefined) : undefined;
}

/** A node to remove: its path in the document, and its whole lines when it fills them. */
interface Removal {
  path: Array<string | number>;
  lines: [number, number] | undefined;
}

/** The offset where the line holding `offset` starts. */
export const lineStart = (text: string, offset: number) => text.lastIndexOf('\n', offset - 1) + 1;

/** The offset after the line break of the line where a node ending at `offset` ends. */
export function lineEnd(text: string, offset: number): number {
  if (text[offset - 1] === '\n') return offset;
  const at = text.indexOf('\n', offset);
  return at < 0 ? text.length : at + 1;
}

/** [start of the line of `from`, end of the line where `to` ends], when only `before` stands before `from` on its line. */
function wholeLines(text: string, from: number, to: number, before: RegExp): [number, number] | undefined {
  const start = lineStart(text, from);
  return before.test(text.slice(start, from)) ? [start, lineEnd(text, to)] : undefined;
}

/** A block mapping entry (`external:` and everything under it). */
export const entryRemoval = (yaml: YamlText, path: Array<string | number>, pair: Pair<Node, Node>): Removal => ({
  path: [...path, String((pair.key as { value?: unknown }).value)],
  lines: wholeLines(yaml.text, pair.key.range![0], (pair.value ?? pair.key).range![1], /^[ \t]*$/),
});

/** A block sequence item (`- package: …` and its other keys). */
export const itemRemoval = (yaml: YamlText, path: Array<string | number>, index: number, item: Node): Removal => ({
  path: [...path, index],
  lines: wholeLines(yaml.text, item.range![0], item.range![1], /^[ \t]*-[ \t]+$/),
});

/** The text without these nodes: cut out line by line, or, if one does not fill its lines, re-written by yaml. */
function remove(yaml: YamlText, removals: Removal[]): string {
  if (!removals.length) return yaml.text;
  if (removals.every((r) => r.lines)) {
    const ranges = removals.map((r) => r.lines!).sort((a, b) => b[0] - a[0]);
    return ranges.reduce((text, [start, end]) => text.slice(0, start) + text.slice(end), yaml.text);
  }
  // Last first, so the indexes of earlier items in the same list still hold.
  for (const r of [...removals].reverse()) yaml.doc.deleteIn(r.path);
  return yaml.doc.toString({ lineWidth: 0, flowCollectionPadding: false });
}

/**
 * The text without the nodes `cut` picks from the top-level list `key`, and what it says of each. A file
 * the engine cannot read (or without that list) stays as it is: the engine's own check reports it, in its words.
 */
export function cutFromList(
  text: string,
  key: string,
  cut: (yaml: YamlText, list: YAMLSeq) => Array<{ removal: Removal; left: Left }>,
): { text: string; left: Left[] } {
  const yaml = parseYaml(text);
  const list = pairOf(yaml.doc.contents, key)?.value;
  if (yaml.doc.errors.length || !isSeq(list)) return { text, left: [] };
  const cuts = cut(yaml, list);
  return {
    text: remove(
      yaml,
      cuts.map((c) => c.removal),
    ),
    left: cuts.map((c) => c.left),
  };
}
