/**
 * The agent runs `sh -c <path of _script.sh>`: sh executes the file, so the kernel honours a `#!` at
 * byte 0 and otherwise sh (dash on Debian/Ubuntu) interprets it. These tests pin that behaviour.
 */
import { realpathSync } from 'node:fs';
import test from 'ava';
import { harness, run } from './helpers.ts';

// What a script without a shebang runs in depends on this machine's /bin/sh, as on a real bastion.
const shIsDash = realpathSync('/bin/sh').endsWith('dash');
const onDash = shIsDash ? test : test.skip;

test('a script whose first command is #!/bin/bash runs in bash', async (t) => {
  const { ssm } = await harness(t);
  const { invocation } = await run(ssm, [
    '#!/bin/bash',
    'set -euo pipefail',
    'words=(alpha beta gamma)',
    'echo "${words[1]} ${BASH_VERSION%%.*}"',
    '[[ -n "$BASH" ]] && echo bash',
  ]);
  t.is(invocation.Status, 'Success', invocation.StandardErrorContent);
  t.regex(invocation.StandardOutputContent ?? '', /^beta \d+\nbash\n$/);
});

onDash('without a shebang the script runs in sh (dash): bash syntax is a syntax error (needs /bin/sh = dash, as on Debian/Ubuntu bastions)', async (t) => {
  const { ssm } = await harness(t);
  const { invocation } = await run(ssm, ['echo before', 'words=(alpha beta gamma)', 'echo "${words[1]}"']);
  t.is(invocation.Status, 'Failed');
  t.is(invocation.ResponseCode, 2);
  t.regex(invocation.StandardErrorContent ?? '', /_script\.sh: 2: Syntax error: "\(" unexpected/);
  t.is(invocation.StandardOutputContent, 'before\n'); // dash runs line 1 before it parses line 2
});

onDash('an indented #!/bin/bash is only a comment: the script still runs in dash (needs /bin/sh = dash)', async (t) => {
  const { ssm } = await harness(t);
  const { invocation } = await run(ssm, ['  #!/bin/bash', '[[ 1 == 1 ]] && echo bash-test']);
  t.is(invocation.Status, 'Failed');
  t.is(invocation.ResponseCode, 127);
  t.regex(invocation.StandardErrorContent ?? '', /\[\[: not found/);
});

test('#!/bin/sh and plain POSIX scripts behave the same', async (t) => {
  const { ssm } = await harness(t);
  for (const first of ['#!/bin/sh', ': no shebang']) {
    const { invocation } = await run(ssm, [first, 'x=$((6 * 7))', 'echo "$x"']);
    t.is(invocation.StandardOutputContent, '42\n');
  }
});
