/**
 * The docs site of one tenant: one self-contained HTML file (no network: styles, data and script are
 * inline). The lineage graph is SVG laid out by lineage.ts; the script only adds what is interactive —
 * picking a node shows its details and lights up its upstream and downstream, the search narrows the
 * list. A nunjucks template with autoescape; the data reaches the script as JSON with `<` escaped.
 * A string module for the same reason as page.njk.ts.
 */
export default String.raw`<!doctype html>
<html lang="{{ lang }}">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>{{ L.title }} — {{ displayName }}</title>
<style>
  * { box-sizing: border-box; }
  body { font-family: system-ui, -apple-system, "Segoe UI", "Hiragino Sans", "Noto Sans JP", sans-serif; margin: 0; background: #f8fafc; color: #0f172a; }
  header { background: #0f172a; color: #fff; padding: 16px 24px; }
  header h1 { margin: 0; font-size: 20px; } header p { margin: 4px 0 0; color: #cbd5e1; font-size: 13px; }
  .layout { display: grid; grid-template-columns: 260px 1fr; min-height: calc(100vh - 70px); }
  nav { border-right: 1px solid #e2e8f0; background: #fff; padding: 12px; overflow: auto; max-height: calc(100vh - 70px); position: sticky; top: 0; }
  nav input { width: 100%; padding: 6px 8px; border: 1px solid #cbd5e1; border-radius: 6px; font: inherit; }
  nav ul { list-style: none; padding: 0; margin: 10px 0 0; font-size: 13px; }
  nav li { padding: 4px 6px; border-radius: 4px; cursor: pointer; display: flex; justify-content: space-between; gap: 8px; }
  nav li:hover, nav li.on { background: #e0f2fe; } nav li small { color: #64748b; }
  nav li.hidden { display: none; }
  main { padding: 16px 24px; overflow: hidden; }
  h2 { font-size: 15px; margin: 0 0 8px; }
  .canvas { overflow: auto; background: #fff; border: 1px solid #e2e8f0; border-radius: 8px; max-height: 60vh; }
  .legend { font-size: 12px; color: #475569; margin-bottom: 6px; display: flex; gap: 12px; flex-wrap: wrap; }
  .legend span::before { content: ""; display: inline-block; width: 10px; height: 10px; border-radius: 2px; margin-right: 4px; vertical-align: -1px; background: var(--c); }
  .edge { fill: none; stroke: #94a3b8; stroke-width: 1.4; }
  .node { cursor: pointer; } .node rect { fill: var(--c); stroke: #0f172a22; }
  .node text { font-size: 12px; fill: #0f172a; pointer-events: none; }
  .kind-source { --c: #fde68a; } .kind-seed { --c: #bbf7d0; } .kind-model { --c: #bfdbfe; } .kind-snapshot { --c: #ddd6fe; } .kind-analysis { --c: #fbcfe8; }
  .ephemeral rect { stroke-dasharray: 4 3; stroke: #1e3a8a; }
  svg.picked .node:not(.on) { opacity: .25; } svg.picked .edge:not(.on) { opacity: .12; }
  svg .edge.on { stroke: #0f172a; stroke-width: 2; } svg .node.current rect { stroke: #0f172a; stroke-width: 2.5; }
  .details { margin-top: 16px; background: #fff; border: 1px solid #e2e8f0; border-radius: 8px; padding: 16px; }
  .details .hint { color: #64748b; margin: 0; }
  .details dl { display: grid; grid-template-columns: max-content 1fr; gap: 4px 16px; font-size: 13px; margin: 8px 0 12px; }
  .details dt { color: #64748b; }
  table { border-collapse: collapse; width: 100%; font-size: 13px; margin-bottom: 12px; }
  th, td { text-align: left; padding: 5px 8px; border-bottom: 1px solid #f1f5f9; vertical-align: top; }
  th { color: #64748b; font-weight: 600; }
  pre { background: #0f172a; color: #e2e8f0; padding: 12px; border-radius: 6px; overflow: auto; font-size: 12px; max-height: 420px; }
  .pass { color: #15803d; } .fail, .error { color: #b91c1c; } .warn { color: #a16207; }
</style>
</head>
<body>
<header>
  <h1>{{ L.title }}: {{ displayName }} ({{ tenant }})</h1>
  <p>{{ L.database }} {{ database }} · {{ L.generated }} {{ generatedAt }} · {{ nodes | length }} {{ L.nodes }}, {{ edges | length }} {{ L.edges }}</p>
</header>
<div class="layout">
<nav>
  <input id="search" type="search" placeholder="{{ L.search }}" aria-label="{{ L.search }}">
  <ul id="list">
  {%- for n in nodes %}
    <li data-id="{{ n.id }}"><span>{{ n.name }}</span><small>{{ L.kinds[n.kind] }}</small></li>
  {%- endfor %}
  </ul>
</nav>
<main>
  <section>
    <h2>{{ L.lineage }}</h2>
    <div class="legend">{% for kind, label in L.kinds %}<span class="kind-{{ kind }}">{{ label }}</span>{% endfor %}</div>
    <div class="canvas">
      <svg id="lineage" xmlns="http://www.w3.org/2000/svg" width="{{ graph.width }}" height="{{ graph.height }}" viewBox="0 0 {{ graph.width }} {{ graph.height }}" role="img" aria-label="{{ L.lineage }}">
        <g class="edges">
        {%- for p in graph.paths %}
          <path class="edge" data-from="{{ p.from }}" data-to="{{ p.to }}" d="{{ p.d }}"/>
        {%- endfor %}
        </g>
        <g class="nodes">
        {%- for b in graph.boxes %}{% set n = byId[b.id] %}
          <g class="node kind-{{ n.kind }}{% if n.materialized == 'ephemeral' %} ephemeral{% endif %}" data-id="{{ n.id }}" transform="translate({{ b.x }},{{ b.y }})" tabindex="0">
            <title>{{ L.kinds[n.kind] }} {{ n.name }}</title>
            <rect width="{{ graph.boxWidth }}" height="{{ graph.boxHeight }}" rx="6"/>
            <text x="10" y="19">{{ n.name | truncate(26, true, '…') }}</text>
          </g>
        {%- endfor %}
        </g>
      </svg>
    </div>
  </section>
  <section id="details" class="details"><p class="hint">{{ L.pick }}</p></section>
</main>
</div>
<script type="application/json" id="docs-data">{{ json | safe }}</script>
<script>
(() => {
  const data = JSON.parse(document.getElementById('docs-data').textContent);
  const L = data.labels;
  const byId = new Map(data.nodes.map((n) => [n.id, n]));
  const up = new Map(), down = new Map();
  for (const [a, b] of data.edges) { (down.get(a) || down.set(a, []).get(a)).push(b); (up.get(b) || up.set(b, []).get(b)).push(a); }
  const reach = (id, next, seen) => { for (const x of next.get(id) || []) if (!seen.has(x)) { seen.add(x); reach(x, next, seen); } return seen; };
  const svg = document.getElementById('lineage');
  const el = (tag, text, cls) => { const e = document.createElement(tag); if (text !== undefined) e.textContent = String(text); if (cls) e.className = cls; return e; };
  const table = (head, rows) => {
    const t = el('table'); const tr = el('tr'); head.forEach((h) => tr.append(el('th', h))); t.append(tr);
    const cell = (c) => { const td = el('td'); if (c instanceof Node) td.append(c); else td.textContent = c ?? ''; return td; };
    rows.forEach((r) => { const row = el('tr'); r.forEach((c) => row.append(cell(c))); t.append(row); });
    return t;
  };
  function details(n) {
    const box = document.getElementById('details');
    box.replaceChildren();
    box.append(el('h2', L.kinds[n.kind] + ' ' + n.name));
    box.append(el('p', n.description || L.noDescription));
    const dl = el('dl');
    const item = (k, v) => { if (v === undefined || v === '' || v === null) return; dl.append(el('dt', k), el('dd', v)); };
    item(L.relation, n.relation); item(L.file, n.file); item(L.materialized, n.materialized); item(L.tags, (n.tags || []).join(', '));
    item(L.rows, n.rows); item(L.lastBuild, n.lastBuild ? n.lastBuild.status + ' · ' + n.lastBuild.finishedAt + ' · ' + n.lastBuild.ms + ' ms' : (n.relation ? L.notBuilt : undefined));
    box.append(dl);
    if (n.columns.length) { box.append(el('h2', L.columns)); box.append(table([L.name, L.type, L.description, L.tests], n.columns.map((c) => [c.name, c.type, c.description, c.tests.join(', ')]))); }
    if (n.tests.length) { box.append(el('h2', L.tests)); box.append(table([L.name, L.status], n.tests.map((t) => [t.name, el('span', t.status || '', t.status)]))); }
    if (n.sql) { box.append(el('h2', L.sql)); box.append(el('pre', n.sql)); }
  }
  function pick(id) {
    const n = byId.get(id); if (!n) return;
    const on = new Set([id, ...reach(id, up, new Set()), ...reach(id, down, new Set())]);
    svg.classList.add('picked');
    svg.querySelectorAll('.node').forEach((g) => { g.classList.toggle('on', on.has(g.dataset.id)); g.classList.toggle('current', g.dataset.id === id); });
    svg.querySelectorAll('.edge').forEach((p) => p.classList.toggle('on', on.has(p.dataset.from) && on.has(p.dataset.to)));
    document.querySelectorAll('#list li').forEach((li) => li.classList.toggle('on', li.dataset.id === id));
    details(n);
    if (location.hash !== '#' + id) history.replaceState(null, '', '#' + id);
  }
  svg.addEventListener('click', (e) => { const g = e.target.closest('.node'); if (g) pick(g.dataset.id); });
  svg.addEventListener('keydown', (e) => { const g = e.target.closest('.node'); if (g && (e.key === 'Enter' || e.key === ' ')) { e.preventDefault(); pick(g.dataset.id); } });
  document.getElementById('list').addEventListener('click', (e) => {
    const li = e.target.closest('li'); if (!li) return;
    pick(li.dataset.id);
    svg.querySelector('.node[data-id="' + CSS.escape(li.dataset.id) + '"]').scrollIntoView({ block: 'nearest', inline: 'center' });
  });
  document.getElementById('search').addEventListener('input', (e) => {
    const q = e.target.value.trim().toLowerCase();
    document.querySelectorAll('#list li').forEach((li) => li.classList.toggle('hidden', !!q && !byId.get(li.dataset.id).name.toLowerCase().includes(q)));
  });
  if (location.hash.length > 1) pick(decodeURIComponent(location.hash.slice(1)));
})();
</script>
</body>
</html>
`;
