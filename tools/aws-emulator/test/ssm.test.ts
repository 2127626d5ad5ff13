import { existsSync, readFileSync } from 'node:fs';
import { mkdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import {
  DescribeInstanceInformationCommand,
  type DescribeInstanceInformationCommandInput,
  GetCommandInvocationCommand,
  SendCommandCommand,
  SSMClient,
} from '@aws-sdk/client-ssm';
import test from 'ava';
import { SEND_COMMAND_MAX_BYTES, STDERR_LIMIT, STDOUT_LIMIT } from '../src/index.ts';
import { harness, INSTANCE, rejection, run, waitForInvocation } from './helpers.ts';

const send = (commands: string[], instanceIds = [INSTANCE], documentName = 'AWS-RunShellScript') =>
  new SendCommandCommand({ DocumentName: documentName, InstanceIds: instanceIds, Parameters: { commands } });

test('SendCommand answers Pending at once; the invocation is first unknown, then ends in Success with stdout', async (t) => {
  const { emu, ssm } = await harness(t);
  const sent = await ssm.send(send(['echo hello', 'echo "from $AWS_SSM_INSTANCE_ID"']));
  t.is(sent.Command?.Status, 'Pending');
  t.deepEqual(sent.Command?.InstanceIds, [INSTANCE]);
  t.true(sent.Command?.RequestedDateTime instanceof Date);

  const { invocation, notYet } = await waitForInvocation(ssm, sent.Command?.CommandId as string);
  t.is(notYet, 1); // the default invocationNotReadyCalls
  t.is(invocation.Status, 'Success');
  t.is(invocation.StatusDetails, 'Success');
  t.is(invocation.ResponseCode, 0);
  t.is(invocation.StandardOutputContent, `hello\nfrom ${INSTANCE}\n`);
  t.is(invocation.StandardErrorContent, '');
  t.regex(invocation.ExecutionStartDateTime ?? '', /^\d{4}-\d\d-\d\dT/);
  t.regex(invocation.ExecutionEndDateTime ?? '', /^\d{4}-\d\d-\d\dT/);
  t.regex(invocation.ExecutionElapsedTime ?? '', /^PT\d+\.\d{3}S$/);
  t.is(invocation.PluginName, 'aws:runShellScript');
  t.like(emu.commands[0], { commandId: sent.Command?.CommandId, instanceId: INSTANCE, status: 'Success', exitCode: 0, stdout: `hello\nfrom ${INSTANCE}\n` });
});

test('the first invocationNotReadyCalls polls answer InvocationDoesNotExist (an SDK error, HTTP 400)', async (t) => {
  const { ssm } = await harness(t, { invocationNotReadyCalls: 3 });
  const sent = await ssm.send(send(['true']));
  const get = () => ssm.send(new GetCommandInvocationCommand({ CommandId: sent.Command?.CommandId, InstanceId: INSTANCE }));
  for (let i = 0; i < 3; i++) {
    const error = await rejection(t, get());
    t.is(error.name, 'InvocationDoesNotExist');
    t.is(error.$metadata?.httpStatusCode, 400);
  }
  t.is((await waitForInvocation(ssm, sent.Command?.CommandId as string)).notYet, 0);
});

test('with invocationNotReadyCalls 0 the invocation is visible at once', async (t) => {
  const { ssm } = await harness(t, { invocationNotReadyCalls: 0 });
  const { notYet, invocation } = await run(ssm, ['echo ok']);
  t.is(notYet, 0);
  t.is(invocation.Status, 'Success');
});

test('an unknown command or instance is InvocationDoesNotExist, however often asked', async (t) => {
  const { ssm } = await harness(t, { invocationNotReadyCalls: 0 });
  const sent = await ssm.send(send(['true']));
  for (const [commandId, instanceId] of [
    ['00000000-0000-0000-0000-000000000000', INSTANCE],
    [sent.Command?.CommandId, 'i-00000000000000000'],
  ]) {
    for (let i = 0; i < 3; i++) {
      const error = await rejection(t, ssm.send(new GetCommandInvocationCommand({ CommandId: commandId, InstanceId: instanceId })));
      t.is(error.name, 'InvocationDoesNotExist');
    }
  }
  await waitForInvocation(ssm, sent.Command?.CommandId as string);
});

test('a failing command is Failed with its exit code; stderr ends with the agent\'s "failed to run commands"', async (t) => {
  const { emu, ssm } = await harness(t);
  const { invocation } = await run(ssm, ['echo out', 'echo oops >&2', 'exit 3']);
  t.is(invocation.Status, 'Failed');
  t.is(invocation.StatusDetails, 'Failed');
  t.is(invocation.ResponseCode, 3);
  t.is(invocation.StandardOutputContent, 'out\n');
  // iohandler.AppendError: a newline, then the message.
  t.is(invocation.StandardErrorContent, 'oops\n\nfailed to run commands: exit status 3');
  t.like(emu.commands[0], { status: 'Failed', exitCode: 3, stderr: 'oops\n' });
});

test('output is cut to the first 24,000 (stdout) and 8,000 (stderr) characters; the record keeps it all', async (t) => {
  const { emu, ssm } = await harness(t);
  const { invocation } = await run(ssm, ["head -c 30000 /dev/zero | tr '\\0' a", "head -c 10000 /dev/zero | tr '\\0' e >&2"]);
  t.is(invocation.Status, 'Success');
  t.is(invocation.StandardOutputContent, 'a'.repeat(STDOUT_LIMIT));
  t.is(invocation.StandardErrorContent, 'e'.repeat(STDERR_LIMIT));
  t.is(emu.commands[0]?.stdout.length, 30_000);
  t.is(emu.commands[0]?.stderr.length, 10_000);
});

test('the cut counts characters, not bytes or UTF-16 units', async (t) => {
  const { ssm } = await harness(t);
  // 25,000 × U+1F600 (4 bytes in UTF-8, 2 UTF-16 units each)
  const { invocation } = await run(ssm, ['awk \'BEGIN { for (i = 0; i < 25000; i++) printf "\\360\\237\\230\\200" }\'']);
  t.is(invocation.Status, 'Success');
  t.is(invocation.StandardOutputContent, '😀'.repeat(STDOUT_LIMIT));
});

test('a SendCommand request over 64 KB is MaxDocumentSizeExceeded and runs nothing', async (t) => {
  const { emu, ssm, bastionDir } = await harness(t);
  const marker = join(bastionDir, 'ran');
  const padding = `# ${'x'.repeat(SEND_COMMAND_MAX_BYTES)}`;
  const error = await rejection(t, ssm.send(send([`touch ${marker}`, padding])));
  t.is(error.name, 'MaxDocumentSizeExceeded');
  t.is(error.$metadata?.httpStatusCode, 400);
  t.true(Buffer.byteLength(emu.requests.at(-1)?.body ?? '') > SEND_COMMAND_MAX_BYTES);
  t.deepEqual(emu.commands, []);
  t.false(existsSync(marker));
  t.false(existsSync(join(bastionDir, 'var')));
});

test('a request just under 64 KB runs', async (t) => {
  const { ssm } = await harness(t);
  const { invocation } = await run(ssm, ['echo small enough', `# ${'x'.repeat(SEND_COMMAND_MAX_BYTES - 1_000)}`]);
  t.is(invocation.Status, 'Success');
  t.is(invocation.StandardOutputContent, 'small enough\n');
});

test('an unknown instance is InvalidInstanceId; another document is InvalidDocument; nothing runs', async (t) => {
  const { emu, ssm } = await harness(t, { instances: ['i-0aaaaaaaaaaaaaaaa'] });
  const unknown = await rejection(t, ssm.send(send(['true'], ['i-0bbbbbbbbbbbbbbbb'])));
  t.is(unknown.name, 'InvalidInstanceId');
  t.regex(unknown.message, /i-0bbbbbbbbbbbbbbbb/);
  const document = await rejection(t, ssm.send(send(['true'], ['i-0aaaaaaaaaaaaaaaa'], 'AWS-RunPowerShellScript')));
  t.is(document.name, 'InvalidDocument');
  t.deepEqual(emu.commands, []);
});

test('document parameters are checked like the service: unknown names and a bad executionTimeout are InvalidParameters', async (t) => {
  const { emu, ssm } = await harness(t);
  const cases: Array<Record<string, string[]>> = [
    { commands: ['true'], shell: ['bash'] },
    { commands: ['true'], executionTimeout: ['0'] },
    { commands: ['true'], executionTimeout: ['172801'] },
    { commands: [] },
  ];
  for (const Parameters of cases) {
    const error = await rejection(t, ssm.send(new SendCommandCommand({ DocumentName: 'AWS-RunShellScript', InstanceIds: [INSTANCE], Parameters })));
    t.is(error.name, 'InvalidParameters', JSON.stringify(Parameters));
  }
  t.deepEqual(emu.commands, []);
});

test('a command that outlives executionTimeout is TimedOut with exit code 137, its whole process group killed', async (t) => {
  const { emu, ssm, bastionDir } = await harness(t);
  const { invocation } = await run(ssm, ['sleep 60 &', `echo $! > ${bastionDir}/child.pid`, 'wait'], { executionTimeout: ['1'] });
  t.is(invocation.Status, 'TimedOut');
  t.is(invocation.StatusDetails, 'Execution Timed Out');
  t.is(invocation.ResponseCode, 137);
  t.is(emu.commands[0]?.status, 'TimedOut');
  const pid = Number(await readFile(join(bastionDir, 'child.pid'), 'utf8'));
  t.false(alive(pid), 'the background sleep was killed with the script');
});

/** Whether a process exists and is not a zombie (an unreaped zombie is dead for our purpose). */
function alive(pid: number): boolean {
  try {
    return !/^State:\s+Z/m.test(readFileSync(`/proc/${pid}/status`, 'utf8'));
  } catch {
    return false;
  }
}

test('the agent layout: _script.sh (commands joined by newlines) with stdout/stderr files in the orchestration directory', async (t) => {
  const { ssm, bastionDir } = await harness(t);
  const { invocation, commandId } = await run(ssm, ['echo one', 'echo two >&2', 'pwd']);
  const dir = join(bastionDir, 'var/lib/amazon/ssm', INSTANCE, 'document/orchestration', commandId, 'awsrunShellScript/0.awsrunShellScript');
  t.is(await readFile(join(dir, '_script.sh'), 'utf8'), 'echo one\necho two >&2\npwd\n');
  t.is(await readFile(join(dir, 'stdout'), 'utf8'), `one\n${dir}\n`);
  t.is(await readFile(join(dir, 'stderr'), 'utf8'), 'two\n');
  t.is(invocation.StandardOutputContent, `one\n${dir}\n`);
});

test('commands see HOME and TMPDIR inside the bastion, the options.env variables, and PATH additions first', async (t) => {
  const { ssm, bastionDir } = await harness(t, { env: { PATH: '/opt/extra/bin', PGHOST: 'db.internal' } });
  const { invocation } = await run(ssm, ['echo "$HOME"', 'echo "$TMPDIR"', 'echo "$PGHOST"', 'echo "$PATH"', 'command -v aws', 'd=$(mktemp -d) && echo "$d"']);
  const [home, tmp, pghost, path, aws, mktemp] = (invocation.StandardOutputContent ?? '').trim().split('\n');
  t.is(home, join(bastionDir, 'root'));
  t.is(tmp, join(bastionDir, 'tmp'));
  t.is(pghost, 'db.internal');
  t.true(path?.startsWith(`/opt/extra/bin:${bastionDir}/usr/local/bin:`), path);
  t.is(aws, join(bastionDir, 'usr/local/bin/aws'));
  t.true(mktemp?.startsWith(join(bastionDir, 'tmp/')), mktemp);
});

test('workingDirectory is a directory on the bastion; a missing one fails like the agent', async (t) => {
  const { ssm, bastionDir } = await harness(t);
  await mkdir(join(bastionDir, 'srv', 'work'), { recursive: true });
  const { invocation } = await run(ssm, ['pwd'], { workingDirectory: ['/srv/work'] });
  t.is(invocation.StandardOutputContent, `${join(bastionDir, 'srv', 'work')}\n`);
  const missing = await run(ssm, ['pwd'], { workingDirectory: ['/nope'] });
  t.is(missing.invocation.Status, 'Failed');
  t.is(missing.invocation.StandardErrorContent, 'failed to run commands: chdir /nope: no such file or directory');
});

test('stop() kills what still runs, and may be called again', async (t) => {
  const { emu, ssm } = await harness(t);
  await ssm.send(send(['echo started', 'sleep 60']));
  for (let poll = 0; poll < 400 && !emu.commands[0]?.stdout; poll++) await new Promise((resolve) => setTimeout(resolve, 25));
  t.is(emu.commands[0]?.status, 'InProgress');
  await emu.stop();
  t.like(emu.commands[0], { status: 'Failed', exitCode: -1, stdout: 'started\n' });
  await emu.stop();
});

test('the tamper hook changes what runs, not what was sent', async (t) => {
  const { emu, ssm } = await harness(t, { tamper: (commands) => commands.map((c) => c.replace('intact', 'CORRUPTED')) });
  const { invocation } = await run(ssm, ['echo intact']);
  t.is(invocation.StandardOutputContent, 'CORRUPTED\n');
  t.is(emu.commands[0]?.script, 'echo CORRUPTED\n');
  t.true(emu.requests.find((r) => r.action === 'SendCommand')?.body.includes('echo intact'));
});

test('DescribeInstanceInformation lists known instances, filtered by id or tag', async (t) => {
  const { ssm } = await harness(t, { instances: ['i-0aaaaaaaaaaaaaaaa', { id: 'i-0bbbbbbbbbbbbbbbb', tags: { Name: 'bastion', Env: 'prod' } }] });
  const ids = async (input: DescribeInstanceInformationCommandInput) =>
    ((await ssm.send(new DescribeInstanceInformationCommand(input))).InstanceInformationList ?? []).map((i) => i.InstanceId);
  t.deepEqual(await ids({}), ['i-0aaaaaaaaaaaaaaaa', 'i-0bbbbbbbbbbbbbbbb']);
  t.deepEqual(await ids({ Filters: [{ Key: 'tag:Name', Values: ['bastion'] }] }), ['i-0bbbbbbbbbbbbbbbb']);
  t.deepEqual(
    await ids({
      Filters: [
        { Key: 'tag:Name', Values: ['bastion'] },
        { Key: 'tag:Env', Values: ['dev'] },
      ],
    }),
    [],
  );
  t.deepEqual(await ids({ Filters: [{ Key: 'tag-key', Values: ['Env'] }] }), ['i-0bbbbbbbbbbbbbbbb']);
  t.deepEqual(await ids({ InstanceInformationFilterList: [{ key: 'InstanceIds', valueSet: ['i-0aaaaaaaaaaaaaaaa'] }] }), ['i-0aaaaaaaaaaaaaaaa']);
  const info = (await ssm.send(new DescribeInstanceInformationCommand({}))).InstanceInformationList?.[0];
  t.like(info, { PingStatus: 'Online', PlatformType: 'Linux', ResourceType: 'EC2Instance' });
  t.true(info?.LastPingDateTime instanceof Date);
  const error = await rejection(t, ssm.send(new DescribeInstanceInformationCommand({ Filters: [{ Key: 'Colour', Values: ['blue'] }] })));
  t.is(error.name, 'InvalidFilterKey');
});

test('throttleEvery: every n-th SSM request answers ThrottlingException (HTTP 400), which the SDK retries', async (t) => {
  const { emu, ssm } = await harness(t, { throttleEvery: 2 });
  const noRetry = new SSMClient({ endpoint: emu.url, region: 'eu-west-1', credentials: { accessKeyId: 'test', secretAccessKey: 'test' }, maxAttempts: 1 });
  t.teardown(() => noRetry.destroy());
  await noRetry.send(send(['true']));
  const error = await rejection(t, noRetry.send(send(['true'])));
  t.is(error.name, 'ThrottlingException');
  t.is(error.$metadata?.httpStatusCode, 400);
  t.deepEqual(
    emu.requests.map((r) => Boolean(r.throttled)),
    [false, true],
  );
  // The default client retries it: the command goes through.
  t.is((await ssm.send(send(['true']))).Command?.Status, 'Pending');
});

test('agentDelayMs: the command stays Pending until the agent picks it up', async (t) => {
  const { emu, ssm } = await harness(t, { agentDelayMs: 800, invocationNotReadyCalls: 0 });
  const sent = await ssm.send(send(['echo late']));
  await new Promise((r) => setTimeout(r, 300));
  t.is(emu.commands[0].status, 'Pending');
  const { invocation } = await waitForInvocation(ssm, sent.Command?.CommandId as string);
  t.is(invocation.Status, 'Success');
  t.is(invocation.StandardOutputContent, 'late\n');
});
