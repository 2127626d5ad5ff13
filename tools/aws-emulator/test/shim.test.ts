/** The bastion's `aws` stand-in: a command reads a secret "with its instance role" through the emulator. */
import { stat } from 'node:fs/promises';
import { join } from 'node:path';
import test from 'ava';
import { harness, run } from './helpers.ts';

const SECRET = 'pa$$ "word" with spaces';
const ARN = 'arn:aws:secretsmanager:eu-west-1:123456789012:secret:aurora/admin-Ab12Cd';

test('a command reads a secret with `aws secretsmanager get-secret-value`; the call is recorded as the instance role', async (t) => {
  const { emu, ssm } = await harness(t, { secrets: { 'tenant/db': SECRET } });
  const { invocation } = await run(ssm, ['aws secretsmanager get-secret-value --secret-id tenant/db --region eu-west-1 --query SecretString --output text']);
  t.is(invocation.Status, 'Success', invocation.StandardErrorContent);
  t.is(invocation.StandardOutputContent, `${SECRET}\n`);
  const call = emu.requests.find((r) => r.service === 'secretsmanager');
  t.like(call, { action: 'GetSecretValue', body: JSON.stringify({ SecretId: 'tenant/db' }) });
  t.regex(call?.headers.authorization ?? '', /Credential=ASIAEMULATORINSTANCEROLE\/\d{8}\/eu-west-1\/secretsmanager\//);
});

test('the secret itself never travels in an SSM request when the script reads it on the bastion', async (t) => {
  const { emu, ssm, bastionDir } = await harness(t, { secrets: { [ARN]: SECRET } });
  const { invocation } = await run(ssm, [
    'set -eu',
    'umask 077',
    `aws secretsmanager get-secret-value --secret-id=${ARN} --query SecretString --output text > "$HOME/pgpass"`,
    'wc -c < "$HOME/pgpass"',
  ]);
  t.is(invocation.Status, 'Success', invocation.StandardErrorContent);
  t.is(invocation.StandardOutputContent?.trim(), String(Buffer.byteLength(`${SECRET}\n`)));
  t.false(emu.requests.some((r) => r.body.includes(SECRET)));
  t.true(emu.requests.some((r) => r.service === 'secretsmanager'));
  t.is((await stat(join(bastionDir, 'root', 'pgpass'))).mode & 0o777, 0o600);
});

test('--output json without --query prints the whole response', async (t) => {
  const { ssm } = await harness(t, { secrets: { db: 'x' } });
  const { invocation } = await run(ssm, ['aws secretsmanager get-secret-value --secret-id db']);
  const response = JSON.parse(invocation.StandardOutputContent ?? '{}') as Record<string, unknown>;
  t.like(response, { Name: 'db', SecretString: 'x', VersionStages: ['AWSCURRENT'] });
  t.is(typeof response.CreatedDate, 'number');
});

test("an unknown secret: the shim exits 254 with the CLI's error message", async (t) => {
  const { emu, ssm } = await harness(t);
  const { invocation } = await run(ssm, ['aws secretsmanager get-secret-value --secret-id missing --query SecretString --output text']);
  t.is(invocation.Status, 'Failed');
  t.is(invocation.ResponseCode, 254);
  t.regex(
    invocation.StandardErrorContent ?? '',
    /An error occurred \(ResourceNotFoundException\) when calling the GetSecretValue operation: Secrets Manager can't find the specified secret\./,
  );
  t.true(emu.requests.some((r) => r.service === 'secretsmanager' && r.body.includes('missing')));
});

test('unknown subcommands and options exit 2 with a message on stderr, without calling the emulator', async (t) => {
  const { emu, ssm } = await harness(t);
  for (const [command, message] of [
    ['aws s3 ls', /does not support "s3 ls"/],
    ['aws secretsmanager get-secret-value --secret-id x --profile p', /Unknown options: --profile/],
    ['aws secretsmanager get-secret-value', /required: --secret-id/],
  ] as const) {
    const { invocation } = await run(ssm, [command]);
    t.is(invocation.ResponseCode, 2, command);
    t.regex(invocation.StandardErrorContent ?? '', message);
  }
  t.false(emu.requests.some((r) => r.service === 'secretsmanager'));
});
