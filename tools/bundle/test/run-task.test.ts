import test from 'ava';
import { splitWords } from '../run-task.mjs';

const cases: Array<[string, string[]]> = [
  [`--sql 'select * from t'`, ['--sql', 'select * from t']],
  [`--select stg_customers+ --full-refresh`, ['--select', 'stg_customers+', '--full-refresh']],
  [`"a \\"quoted\\" $HOME"`, ['a "quoted" $HOME']],
  ['$$ `id` $(touch x) ; *', ['$$', '`id`', '$(touch', 'x)', ';', '*']],
  [`a\\ b 'it'"'"'s'`, ['a b', "it's"]],
  [`'' ""`, ['', '']],
  ['  spaced\tout\n', ['spaced', 'out']],
  ['', []],
];

for (const [text, words] of cases) {
  test(`ARGS ${JSON.stringify(text)} splits like a shell, expanding nothing`, (t) => {
    t.deepEqual(splitWords(text), words);
  });
}

test('an unterminated quote is an error, not a guess', (t) => {
  t.throws(() => splitWords(`--sql 'select 1`), { message: /unterminated '/ });
  t.throws(() => splitWords('--sql "select 1'), { message: /unterminated "/ });
});
