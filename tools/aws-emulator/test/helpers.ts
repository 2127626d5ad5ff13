import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { CloudFormationClient } from '@aws-sdk/client-cloudformation';
import { SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { GetCommandInvocationCommand, type GetCommandInvocationCommandOutput, SendCommandCommand, SSMClient } from '@aws-sdk/client-ssm';
import type { ExecutionContext } from 'ava';
import { DEFAULT_INSTANCE_ID, type Emulator, type EmulatorOptions, startEmulator } from '../src/index.ts';

export const rootDir = join(import.meta.dirname, '..', '..', '..');
export const INSTANCE = DEFAULT_INSTANCE_ID;
export const REGION = 'eu-west-1';

export interface Harness {
  emu: Emulator;
  bastionDir: string;
  ssm: SSMClient;
  cfn: CloudFormationClient;
  sm: SecretsManagerClient;
}

/** An emulator on a fresh temp bastion, with the three real SDK clients; stopped and removed after the test. */
export async function harness(t: ExecutionContext, options: Omit<EmulatorOptions, 'bastionDir'> = {}): Promise<Harness> {
  const bastionDir = await mkdtemp(join(tmpdir(), 'mt-aws-emulator-'));
  const emu = await startEmulator({ ...options, bastionDir });
  const config = { endpoint: emu.url, region: REGION, credentials: { accessKeyId: 'test', secretAccessKey: 'test' } };
  const clients = { ssm: new SSMClient(config), cfn: new CloudFormationClient(config), sm: new SecretsManagerClient(config) };
  t.teardown(async () => {
    for (const client of Object.values(clients)) client.destroy();
    await emu.stop();
    await rm(bastionDir, { recursive: true, force: true });
  });
  return { emu, bastionDir, ...clients };
}

export interface Finished {
  commandId: string;
  invocation: GetCommandInvocationCommandOutput;
  /** How many polls answered InvocationDoesNotExist before the invocation became visible. */
  notYet: number;
  /** Statuses seen while polling, in order. */
  seen: string[];
}

const TERMINAL = new Set(['Success', 'Failed', 'TimedOut', 'Cancelled']);

/** Polls GetCommandInvocation until a terminal status; bounded by a number of polls, never by asserting on time. */
export async function waitForInvocation(ssm: SSMClient, commandId: string, instanceId = INSTANCE, maxPolls = 600): Promise<Finished> {
  let notYet = 0;
  const seen: string[] = [];
  for (let poll = 0; poll < maxPolls; poll++) {
    try {
      const invocation = await ssm.send(new GetCommandInvocationCommand({ CommandId: commandId, InstanceId: instanceId }));
      seen.push(invocation.Status ?? '?');
      if (TERMINAL.has(invocation.Status ?? '')) return { commandId, invocation, notYet, seen };
    } catch (error) {
      if ((error as Error).name !== 'InvocationDoesNotExist') throw error;
      notYet++;
    }
    await new Promise((resolve) => setTimeout(resolve, 25));
  }
  throw new Error(`command ${commandId} did not finish within ${maxPolls} polls`);
}

/** SendCommand(AWS-RunShellScript) and wait for the invocation to end. */
export async function run(ssm: SSMClient, commands: string[], parameters: Record<string, string[]> = {}): Promise<Finished> {
  const sent = await ssm.send(new SendCommandCommand({ DocumentName: 'AWS-RunShellScript', InstanceIds: [INSTANCE], Parameters: { commands, ...parameters } }));
  return waitForInvocation(ssm, sent.Command?.CommandId as string);
}

/** The error a promise rejects with (fails the test when it resolves). */
export async function rejection(t: ExecutionContext, promise: Promise<unknown>): Promise<Error & { $metadata?: { httpStatusCode?: number } }> {
  return (await t.throwsAsync(promise)) as Error & { $metadata?: { httpStatusCode?: number } };
}
