/** CloudFormation DescribeStacks and Secrets Manager GetSecretValue through the real SDK clients. */
import { DescribeStacksCommand } from '@aws-sdk/client-cloudformation';
import { GetSecretValueCommand } from '@aws-sdk/client-secrets-manager';
import { SendCommandCommand } from '@aws-sdk/client-ssm';
import test from 'ava';
import { harness, INSTANCE, REGION, rejection } from './helpers.ts';

const stacks = {
  aurora: { outputs: { ClusterEndpoint: 'db.cluster.internal', Tricky: `a & b < c > d "e" 'f'\r\n  ü 😀 ` } },
  network: { outputs: {}, status: 'UPDATE_COMPLETE' },
};

test('DescribeStacks returns the outputs, values intact through XML', async (t) => {
  const { cfn } = await harness(t, { stacks });
  const [stack, ...rest] = (await cfn.send(new DescribeStacksCommand({ StackName: 'aurora' }))).Stacks ?? [];
  t.deepEqual(rest, []);
  t.is(stack?.StackName, 'aurora');
  t.is(stack?.StackStatus, 'CREATE_COMPLETE');
  t.true(stack?.CreationTime instanceof Date);
  t.deepEqual(stack?.Outputs, [
    { OutputKey: 'ClusterEndpoint', OutputValue: 'db.cluster.internal' },
    { OutputKey: 'Tricky', OutputValue: stacks.aurora.outputs.Tricky },
  ]);
  t.regex(stack?.StackId ?? '', new RegExp(`^arn:aws:cloudformation:${REGION}:123456789012:stack/aurora/[0-9a-f-]{36}$`));
  // A stack is also found by its StackId.
  t.is((await cfn.send(new DescribeStacksCommand({ StackName: stack?.StackId }))).Stacks?.[0]?.StackName, 'aurora');
});

test('DescribeStacks without a name lists every stack; a stack without outputs has none', async (t) => {
  const { cfn } = await harness(t, { stacks });
  const all = (await cfn.send(new DescribeStacksCommand({}))).Stacks ?? [];
  t.deepEqual(
    all.map((s) => s.StackName),
    ['aurora', 'network'],
  );
  t.is(all[1]?.StackStatus, 'UPDATE_COMPLETE');
  t.is(all[1]?.Outputs, undefined);
});

test("an unknown stack is ValidationError with the service's message; the request is a recorded form POST", async (t) => {
  const { emu, cfn } = await harness(t, { stacks });
  const error = await rejection(t, cfn.send(new DescribeStacksCommand({ StackName: 'nope' })));
  t.is(error.name, 'ValidationError');
  t.is(error.message, 'Stack with id nope does not exist');
  t.is(error.$metadata?.httpStatusCode, 400);
  t.like(emu.requests[0], { service: 'cloudformation', action: 'DescribeStacks', body: 'Action=DescribeStacks&Version=2010-05-15&StackName=nope' });
  t.is(emu.requests[0]?.headers['content-type'], 'application/x-www-form-urlencoded');
});

test('GetSecretValue by name, full ARN or partial ARN', async (t) => {
  const arn = 'arn:aws:secretsmanager:eu-west-1:123456789012:secret:aurora/admin-Ab12Cd';
  const { sm } = await harness(t, { secrets: { 'tenant/db': '{"password":"p"}', [arn]: 's3cr3t' } });
  const byName = await sm.send(new GetSecretValueCommand({ SecretId: 'tenant/db' }));
  t.like(byName, { Name: 'tenant/db', SecretString: '{"password":"p"}', VersionStages: ['AWSCURRENT'] });
  t.true(byName.CreatedDate instanceof Date);
  t.regex(byName.VersionId ?? '', /^[0-9a-f-]{36}$/);
  t.regex(byName.ARN ?? '', new RegExp(`^arn:aws:secretsmanager:${REGION}:123456789012:secret:tenant/db-[A-Za-z0-9]{6}$`));
  t.is((await sm.send(new GetSecretValueCommand({ SecretId: byName.ARN }))).SecretString, '{"password":"p"}');
  for (const id of [arn, 'aurora/admin', arn.slice(0, -7)]) {
    t.like(await sm.send(new GetSecretValueCommand({ SecretId: id })), { ARN: arn, Name: 'aurora/admin', SecretString: 's3cr3t' }, id);
  }
});

test('an unknown secret is ResourceNotFoundException', async (t) => {
  const { emu, sm } = await harness(t, { secrets: { db: 'x' } });
  const error = await rejection(t, sm.send(new GetSecretValueCommand({ SecretId: 'nope' })));
  t.is(error.name, 'ResourceNotFoundException');
  t.is(error.message, "Secrets Manager can't find the specified secret.");
  t.like(emu.requests[0], { service: 'secretsmanager', action: 'GetSecretValue', body: '{"SecretId":"nope"}' });
  t.is(emu.requests[0]?.headers['x-amz-target'], 'secretsmanager.GetSecretValue');
});

test('denyAccess: every client gets AccessDenied(Exception) and no command runs', async (t) => {
  const { emu, ssm, cfn, sm } = await harness(t, { denyAccess: true, stacks, secrets: { db: 'x' } });
  const ssmError = await rejection(
    t,
    ssm.send(new SendCommandCommand({ DocumentName: 'AWS-RunShellScript', InstanceIds: [INSTANCE], Parameters: { commands: ['true'] } })),
  );
  t.is(ssmError.name, 'AccessDeniedException');
  t.regex(ssmError.message, /not authorized to perform: ssm:SendCommand/);
  const cfnError = await rejection(t, cfn.send(new DescribeStacksCommand({ StackName: 'aurora' })));
  t.is(cfnError.name, 'AccessDenied');
  t.is(cfnError.$metadata?.httpStatusCode, 403);
  t.regex(cfnError.message, /not authorized to perform: cloudformation:DescribeStacks/);
  const smError = await rejection(t, sm.send(new GetSecretValueCommand({ SecretId: 'db' })));
  t.is(smError.name, 'AccessDeniedException');
  t.deepEqual(emu.commands, []);
  t.deepEqual(
    emu.requests.map((r) => `${r.service}:${r.action}`),
    ['ssm:SendCommand', 'cloudformation:DescribeStacks', 'secretsmanager:GetSecretValue'],
  );
});
