import { execFileSync } from 'node:child_process';
import { writeFileSync, readFileSync } from 'node:fs';
import { splitStatements } from '../src/split.ts';
const frags = ["select 1", ";", " ", "\n", "'a;b'", "''", "E'\\''", "e'x\\\\'", "$$", "$t$", "$$;$$", "(", ")", "/*", "*/", "-- c;\n", "\"q;\"", "begin", "end", "case", "create", "function", "or", "replace", "procedure", "atomic", "a$", "$1", "U&'x'", "x", "+", "-", "*", "/", "\r\n", "é", "'", "\"", "E'", "b'", "n'", "1e", "::", "1e-", ".5", "1.", "0x1F", "$1e", "begin atomic ", "create function f() ", "CREATE OR REPLACE PROCEDURE p() ", " end;", "\t", "\f", "\r", "$é$", "N'", "X'", "u&\"", "--", "/* /* */", "E'\\\\'"];
let fails = 0;
for (let iter = 0; iter < 2500; iter++) {
  let s = '';
  const n = 5 + Math.floor(Math.random() * 25);
  for (let i = 0; i < n; i++) s += frags[Math.floor(Math.random() * frags.length)];
  writeFileSync('/tmp/fuzz/f.sql', s);
  try { execFileSync('psql', ['-X', '-q', '-h', '127.0.0.1', '-p', '54999', '-U', 'postgres', '-L', '/tmp/fuzz/f.log', '-f', '/tmp/fuzz/f.sql'], { stdio: 'ignore', env: { ...process.env, PGCLIENTENCODING: 'UTF8' } }); } catch {}
  const log = readFileSync('/tmp/fuzz/f.log', 'utf8'); writeFileSync('/tmp/fuzz/f.log', '');
  const sent: string[] = [];
  const re = /\*{9} QUERY \*{10}\n([\s\S]*?)\n\*{26}\n/g;
  for (let m; (m = re.exec(log)); ) sent.push(m[1]!);
  let stm;
  try { stm = splitStatements(s); } catch { continue; }
  const ours = stm.map(x => x.sql);
  const core = (q: string) => { for (;;) { q = q.replace(/^[ \t\r\n\f]+/, ''); if (q.startsWith('--')) q = q.replace(/^--[^\r\n]*/, ''); else if (q.startsWith('/*')) { let d = 0, i = 0; for (; i < q.length; i++) { if (q.startsWith('/*', i)) { d++; i++; } else if (q.startsWith('*/', i)) { if (--d === 0) break; i++; } } if (i >= q.length) return q; q = q.slice(i + 2); } else return q; } };
  const TAIL = /^(?:[ \t\r\n\f]+|--[^\r\n]*|\/\*[\s\S]*?\*\/)*;?$/;
  const theirs = sent.map(core).filter(q => !/^;?$/.test(q));
  const ok = ours.length === theirs.length && stm.every((st, k) => { const atEof = st.offset + st.sql.length === s.length && s.endsWith('\n'); const e = atEof ? st.sql.slice(0, -1) : st.sql; const nb = (x: string) => x.replace(/\n\n+/g, '\n'); const e2 = nb(e), th = nb(theirs[k]!); return th.startsWith(e2) && TAIL.test(th.slice(e2.length)); });
  if (!ok) { fails++; if (fails < 6) console.log(JSON.stringify(s), '\n ours', JSON.stringify(ours), '\n psql', JSON.stringify(theirs)); }
}
console.log('fails', fails);
