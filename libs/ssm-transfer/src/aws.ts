import { CloudFormationClient, DescribeStacksCommand } from '@aws-sdk/client-cloudformation';
import {
  DescribeInstanceInformationCommand,
  GetCommandInvocationCommand,
  SendCommandCommand,
  SSMClient,
  waitUntilCommandExecuted,
  type GetCommandInvocationCommandInput,
  type GetCommandInvocationCommandOutput,
} from '@aws-sdk/client-ssm';
import { accessError, clientConfig } from '@mt/aws';
import { TaskError } from '@mt/cli';
import type { AuroraEnvironment } from '@mt/tenant-config';

/** The cluster endpoint and port, from the phase-1 CloudFormation stack's outputs. */
export async function clusterEndpoint(env: AuroraEnvironment): Promise<{ host: string; port: number }> {
  const cfn = new CloudFormationClient(clientConfig(env.region, 'CLOUDFORMATION'));
  const failed = (why: string, hint = 'Make sure the phase-1 stack finished (CREATE_COMPLETE) and the Aurora cluster is running.') =>
    new TaskError('AURORA_ENDPOINT', `[ERROR] Could not retrieve Aurora endpoint from CloudFormation: ${why}`, { hint });
  let outputs: Record<string, string>;
  try {
    const { Stacks } = await cfn.send(new DescribeStacksCommand({ StackName: env.stackName }));
    outputs = Object.fromEntries((Stacks?.[0]?.Outputs ?? []).map((o) => [o.OutputKey ?? '', o.OutputValue ?? '']));
  } catch (err) {
    throw awsError(err, 'CloudFormation DescribeStacks', env, failed);
  } finally {
    cfn.destroy();
  }
  const host = outputs[env.outputs.endpoint];
  if (!host)
    throw failed(
      `stack "${env.stackName}" has no output "${env.outputs.endpoint}" (outputs: ${Object.keys(outputs).join(', ') || 'none'}).`,
      'Fix environments.<env>.outputs.endpoint in config.json, or check the stack template.',
    );
  const port = Number(outputs[env.outputs.port] ?? 5432);
  return { host, port: Number.isInteger(port) && port > 0 ? port : 5432 };
}

/** AWS errors as one-paragraph TaskErrors: access and credentials (@mt/aws), the stack, the bastion. */
export function awsError(err: unknown, call: string, env: AuroraEnvironment, stackError?: (why: string) => TaskError): TaskError {
  const denied = accessError(err, call, env.region, [
    'ssm:SendCommand',
    'ssm:GetCommandInvocation',
    'ssm:DescribeInstanceInformation',
    'cloudformation:DescribeStacks',
  ]);
  if (denied) return denied;
  const e = err as { name?: string; message?: string };
  const name = e.name ?? 'Error';
  if (stackError && name === 'ValidationError') return stackError(`${e.message} (region ${env.region}).`);
  if (name === 'InvalidInstanceId') {
    return new TaskError(
      'BASTION_UNKNOWN',
      `${call}: the bastion ${env.bastion.instanceId ?? `tagged ${env.bastion.tag?.key}=${env.bastion.tag?.value}`} is not a managed instance in ${env.region} (${e.message}).`,
      { hint: 'Check environments.<env>.bastion.instanceId in config.json and that the SSM agent runs on it.', cause: err },
    );
  }
  return new TaskError('AWS_ERROR', `${call} failed: ${name}: ${e.message}`, { cause: err });
}

export interface RemoteResult {
  exitCode: number;
  stdout: string;
  stderr: string;
  /** SSM keeps only the first 24,000 characters of output. */
  truncated: boolean;
}

const OUTPUT_CAP = 24_000;
const NOT_YET_GRACE_MS = 30_000;

/** Runs shell commands on the bastion with SSM Run Command and waits for them (the SDK's waiter). */
export class Bastion {
  private readonly ssm: SSMClient;
  calls = 0;
  bytesSent = 0;

  private instanceId?: string;

  constructor(private readonly env: AuroraEnvironment) {
    this.ssm = new SSMClient(clientConfig(env.region, 'SSM'));
    this.instanceId = env.bastion.instanceId;
  }

  /** The bastion's instance id: configured, or the one managed instance carrying the configured tag. */
  async instance(): Promise<string> {
    if (this.instanceId) return this.instanceId;
    const { key, value } = this.env.bastion.tag!;
    try {
      this.calls++;
      const { InstanceInformationList = [] } = await this.ssm.send(
        new DescribeInstanceInformationCommand({ Filters: [{ Key: `tag:${key}`, Values: [value] }] }),
      );
      const ids = InstanceInformationList.map((i) => i.InstanceId!).filter(Boolean);
      if (ids.length !== 1) {
        throw new TaskError(
          'BASTION_UNKNOWN',
          `${ids.length ? `${ids.length} managed instances (${ids.join(', ')})` : 'No managed instance'} carry the tag ${key}=${value} in ${this.env.region}; exactly one bastion is needed.`,
          {
            hint: 'Tag exactly one instance, or set environments.<env>.bastion.instanceId in config.json.',
          },
        );
      }
      return (this.instanceId = ids[0]);
    } catch (err) {
      throw err instanceof TaskError ? err : awsError(err, 'SSM DescribeInstanceInformation', this.env);
    }
  }

  async run(commands: string[], timeoutSeconds = 3600): Promise<RemoteResult> {
    const body = commands.join('\n');
    const InstanceId = await this.instance();
    let CommandId: string;
    try {
      this.calls++;
      this.bytesSent += Buffer.byteLength(body);
      const { Command } = await this.ssm.send(
        new SendCommandCommand({
          DocumentName: 'AWS-RunShellScript',
          InstanceIds: [InstanceId],
          Parameters: { commands, executionTimeout: [String(timeoutSeconds)] },
        }),
      );
      CommandId = Command!.CommandId!;
    } catch (err) {
      throw awsError(err, 'SSM SendCommand', this.env);
    }
    const out = await this.waitFor({ CommandId, InstanceId }, timeoutSeconds);
    const stdout = out.StandardOutputContent ?? '';
    return {
      exitCode: out.ResponseCode ?? (out.Status === 'Success' ? 0 : 1),
      stdout,
      stderr: out.StandardErrorContent ?? '',
      truncated: stdout.length >= OUTPUT_CAP,
    };
  }

  /**
   * The SDK's waiter (backoff with jitter from 0.25 s to 5 s) until the command ended, then its output.
   * The waiter retries on any error; only "the invocation is not there yet", right after SendCommand, is
   * worth waiting for, so any other error (access denied, throttling beyond the SDK's retries) stops it.
   */
  private async waitFor(input: GetCommandInvocationCommandInput, timeoutSeconds: number): Promise<GetCommandInvocationCommandOutput> {
    const started = Date.now();
    const abort = new AbortController();
    let fatal: unknown;
    const client = {
      send: async (command: GetCommandInvocationCommand) => {
        this.calls++;
        try {
          return await this.ssm.send(command);
        } catch (err) {
          if ((err as Error).name !== 'InvocationDoesNotExist' || Date.now() - started > NOT_YET_GRACE_MS) {
            fatal ??= err;
            abort.abort();
          }
          throw err;
        }
      },
    } as unknown as SSMClient;
    const waiter = { client, abortSignal: abort.signal, minDelay: 0.25, maxDelay: 5, maxWaitTime: timeoutSeconds + 60 };
    try {
      const { reason } = await waitUntilCommandExecuted(waiter, input);
      return reason as GetCommandInvocationCommandOutput;
    } catch (err) {
      if (fatal) throw awsError(fatal, 'SSM GetCommandInvocation', this.env);
      if ((err as Error).name === 'TimeoutError')
        throw new TaskError('SSM_TIMEOUT', `The command on ${input.InstanceId} did not finish within ${timeoutSeconds} s.`);
      // It ended, and not with success (Failed, Cancelled, TimedOut): its output says why.
      try {
        this.calls++;
        return await this.ssm.send(new GetCommandInvocationCommand(input));
      } catch (again) {
        throw awsError(again, 'SSM GetCommandInvocation', this.env);
      }
    }
  }

  close() {
    this.ssm.destroy();
  }
}
