/**
 * Python's Jinja semantics (python-jinja.ts): every case of fixtures/jinja2-corpus.json — dbt-style
 * snippets whose expected output was produced by Python's Jinja2 3.1 — renders the same here, but for
 * the differences listed below with their reasons.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import test from 'ava';
import nunjucks from 'nunjucks';
import { renderTemplate } from '../../src/render.ts';
import { toJson } from '../../src/python-jinja.ts';

interface Case {
  id: string;
  construct: string;
  template: string;
  context?: Record<string, unknown>;
  jinja2: { ok?: string; error?: string };
}
const corpus: Case[] = JSON.parse(readFileSync(join(import.meta.dirname, 'fixtures', 'jinja2-corpus.json'), 'utf8'));

/** Where this engine knowingly differs from Jinja2, and why. */
const DIFFERENT: Record<string, string> = {
  n_print: 'None printed into SQL is refused (TEMPLATE_ERROR naming the expression): an SQL text with "None" in it is a bug far more often than a wish',
  f_default: 'the same: `none | default("d")` stays None in Jinja2 (default replaces only undefined), and None is not printed',
  u_if: 'an undefined name in {% if %} is false, as in nunjucks and in Jinja2 without StrictUndefined; output, attributes and calls are errors',
};

const globals = { tojson: (v: unknown) => toJson(v), fromjson: (s: string) => JSON.parse(s), log: () => '' };

for (const c of corpus) {
  test(`${c.construct}: ${c.id}`, (t) => {
    if (DIFFERENT[c.id]) return t.pass(DIFFERENT[c.id]);
    const render = () => renderTemplate(c.template, `corpus/${c.id}.sql`, { ...globals, ...structuredClone(c.context ?? {}) });
    if (c.jinja2.error !== undefined) t.throws(render, { code: 'TEMPLATE_ERROR' });
    else t.is(render(), c.jinja2.ok!.replace(/\n$/, ''));
  });
}

test('the Python semantics stay inside our templates: another nunjucks environment keeps its own', (t) => {
  renderTemplate('{{ "a".upper() }}', 'warm.sql', {});
  const other = new nunjucks.Environment(null, { autoescape: true });
  t.is(other.renderString('{{ d.items }} {{ x }} {{ s.replace("a", "b") }}', { d: { items: 5 }, x: [1, 2], s: 'aa' }), '5 1,2 ba');
});
