/**
 * A layered drawing of the DAG, computed here so the page needs no layout library: each node in the
 * column of its longest path from a root (sources and seeds left, analyses right), ordered in its column
 * by the mean position of its parents (two sweeps cut most crossings), edges as curves between the sides.
 */
export interface LineageBox {
  id: string;
  x: number;
  y: number;
}

export interface Lineage {
  width: number;
  height: number;
  boxWidth: number;
  boxHeight: number;
  boxes: LineageBox[];
  paths: Array<{ from: string; to: string; d: string }>;
}

const BOX_W = 190;
const BOX_H = 30;
const COL_GAP = 90;
const ROW_GAP = 12;
const PAD = 16;

export function layoutLineage(nodes: Array<{ id: string; name: string }>, edges: Array<[string, string]>): Lineage {
  const parents = new Map(nodes.map((n) => [n.id, [] as string[]]));
  for (const [from, to] of edges) if (parents.has(from) && parents.has(to)) parents.get(to)!.push(from);
  const layer = new Map<string, number>();
  const depth = (id: string, seen = new Set<string>()): number => {
    if (layer.has(id)) return layer.get(id)!;
    if (seen.has(id)) return 0; // a cycle cannot be built, but must not hang the page
    seen.add(id);
    const d = Math.max(-1, ...parents.get(id)!.map((p) => depth(p, seen))) + 1;
    layer.set(id, d);
    return d;
  };
  nodes.forEach((n) => depth(n.id));
  const columns: string[][] = [];
  for (const n of [...nodes].sort((a, b) => a.name.localeCompare(b.name))) (columns[layer.get(n.id)!] ??= []).push(n.id);
  const row = new Map<string, number>();
  const place = () => columns.forEach((col) => col.forEach((id, i) => row.set(id, i)));
  place();
  for (let sweep = 0; sweep < 2; sweep++) {
    for (const col of columns.slice(1)) {
      const mean = (id: string) => {
        const ps = parents.get(id)!;
        return ps.length ? ps.reduce((a, p) => a + row.get(p)!, 0) / ps.length : row.get(id)!;
      };
      col.sort((a, b) => mean(a) - mean(b));
    }
    place();
  }
  const boxes = nodes.map((n) => ({ id: n.id, x: PAD + layer.get(n.id)! * (BOX_W + COL_GAP), y: PAD + row.get(n.id)! * (BOX_H + ROW_GAP) }));
  const at = new Map(boxes.map((b) => [b.id, b]));
  const paths = edges
    .filter(([from, to]) => at.has(from) && at.has(to))
    .map(([from, to]) => {
      const a = at.get(from)!;
      const b = at.get(to)!;
      const [x1, y1, x2, y2] = [a.x + BOX_W, a.y + BOX_H / 2, b.x, b.y + BOX_H / 2];
      const bend = Math.max(30, (x2 - x1) / 2);
      return { from, to, d: `M${x1},${y1} C${x1 + bend},${y1} ${x2 - bend},${y2} ${x2},${y2}` };
    });
  const rows = Math.max(1, ...columns.map((c) => c.length));
  return {
    width: PAD * 2 + columns.length * BOX_W + Math.max(0, columns.length - 1) * COL_GAP,
    height: PAD * 2 + rows * BOX_H + (rows - 1) * ROW_GAP,
    boxWidth: BOX_W,
    boxHeight: BOX_H,
    boxes,
    paths,
  };
}
