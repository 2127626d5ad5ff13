/**
 * SSM (JSON 1.1, `x-amz-target: AmazonSSM.<Action>`): SendCommand with AWS-RunShellScript,
 * GetCommandInvocation and DescribeInstanceInformation, with the service's limits and error codes.
 */
import { randomUUID } from 'node:crypto';
import { AgentRun } from './agent.ts';
import type { Bastion } from './bastion.ts';
import { ACCOUNT_ID, type Call, type Input, optionalList, optionalString, optionalStringList, requiredString, ServiceError, unsupported } from './protocol.ts';
import type { EmulatedCommand, EmulatedInstance } from './types.ts';

/** SendCommand's request limit ("MaxDocumentSizeExceeded ... 64 KB"), measured on the request body. */
export const SEND_COMMAND_MAX_BYTES = 65_536;
/** GetCommandInvocation returns at most this much output; the rest needs S3 or CloudWatch output. */
export const STDOUT_LIMIT = 24_000;
export const STDERR_LIMIT = 8_000;

const DOCUMENT_NAME = 'AWS-RunShellScript';
const PLUGIN_NAME = 'aws:runShellScript';
const DOCUMENT_PARAMETERS = new Set(['commands', 'workingDirectory', 'executionTimeout']);
/** AWS-RunShellScript's executionTimeout allowedPattern: 1 … 172800 seconds. */
const EXECUTION_TIMEOUT = /^(?:[1-9][0-9]{0,4}|1[0-6][0-9]{4}|17[01][0-9]{3}|172[0-7][0-9]{2}|172800)$/;
const DEFAULT_EXECUTION_TIMEOUT = 3600;

export interface SsmOptions {
  bastion: Bastion;
  instances: EmulatedInstance[];
  env: Record<string, string>;
  tamper?: (commands: string[]) => string[];
  invocationNotReadyCalls: number;
  /** The emulator's public list; new invocations are pushed here. */
  commands: EmulatedCommand[];
  log: (line: string) => void;
  /** Delay before the agent starts a command. */
  agentDelayMs: number;
}

interface Invocation {
  run: AgentRun;
  comment: string;
  /** GetCommandInvocation calls still to answer InvocationDoesNotExist. */
  notReadyLeft: number;
}

export class Ssm {
  private readonly invocations = new Map<string, Invocation>();
  private readonly instanceIds: Set<string>;

  constructor(private readonly options: SsmOptions) {
    this.instanceIds = new Set(options.instances.map((i) => i.id));
  }

  handle(action: string, body: string, input: Input, call: Call): unknown {
    switch (action) {
      case 'SendCommand':
        return this.sendCommand(body, input, call);
      case 'GetCommandInvocation':
        return this.getCommandInvocation(input);
      case 'DescribeInstanceInformation':
        return this.describeInstanceInformation(input);
      default:
        throw unsupported(`SSM ${action}`);
    }
  }

  /** Kills what still runs and waits for it. */
  async stop(): Promise<void> {
    const runs = [...this.invocations.values()].map((i) => i.run);
    for (const run of runs) run.kill();
    await Promise.all(runs.map((run) => run.done));
  }

  private sendCommand(body: string, input: Input, call: Call): unknown {
    // Checked first and on the raw request, so an oversized command is refused before anything runs.
    if (Buffer.byteLength(body) > SEND_COMMAND_MAX_BYTES) {
      throw new ServiceError('MaxDocumentSizeExceeded', `The size limit of a document is 64 KB (this request has ${Buffer.byteLength(body)} bytes)`);
    }
    const documentName = requiredString(input, 'DocumentName');
    if (documentName !== DOCUMENT_NAME) {
      throw new ServiceError('InvalidDocument', `Document with name ${documentName} does not exist (the emulator knows ${DOCUMENT_NAME} only)`);
    }
    if (Array.isArray(input.Targets) && input.Targets.length > 0) throw unsupported('SendCommand with Targets (name the instances in InstanceIds)');
    const instanceIds = optionalStringList(input, 'InstanceIds') ?? [];
    if (instanceIds.length === 0) throw new ServiceError('ValidationException', 'InstanceIds or Targets must be specified');
    if (instanceIds.length > 50) throw new ServiceError('ValidationException', 'InstanceIds: Member must have length less than or equal to 50');
    const unknown = instanceIds.filter((id) => !this.instanceIds.has(id));
    if (unknown.length > 0) {
      throw new ServiceError('InvalidInstanceId', `Instances [[${unknown.join(', ')}]] not in a valid state for account ${ACCOUNT_ID}`);
    }
    const parameters = documentParameters(input.Parameters);
    const timeoutSeconds = input.TimeoutSeconds;
    if (timeoutSeconds !== undefined && (typeof timeoutSeconds !== 'number' || timeoutSeconds < 30 || timeoutSeconds > 2_592_000)) {
      throw new ServiceError('ValidationException', 'TimeoutSeconds must be between 30 and 2592000');
    }
    const comment = optionalString(input, 'Comment') ?? '';

    const commandId = randomUUID();
    const requestedAt = new Date();
    const commands = this.options.tamper ? this.options.tamper([...parameters.commands]) : parameters.commands;
    for (const instanceId of instanceIds) {
      const record: EmulatedCommand = {
        commandId,
        instanceId,
        // The agent writes the commands joined by "\n", plus a final newline.
        script: `${commands.join('\n')}\n`,
        status: 'Pending',
        stdout: '',
        stderr: '',
      };
      this.options.commands.push(record);
      const run = new AgentRun(record, {
        bastion: this.options.bastion,
        instanceId,
        commandId,
        commands,
        executionTimeoutSeconds: parameters.executionTimeout,
        workingDirectory: parameters.workingDirectory,
        env: this.options.env,
        region: call.region,
        delayMs: this.options.agentDelayMs,
      });
      void run.done.then(() => this.options.log(`ssm command ${commandId} on ${instanceId}: ${record.status} (exit ${record.exitCode})`));
      this.invocations.set(key(commandId, instanceId), { run, comment, notReadyLeft: this.options.invocationNotReadyCalls });
    }

    const echoedParameters: Record<string, string[]> = { commands: parameters.commands };
    if (parameters.executionTimeoutGiven) echoedParameters.executionTimeout = [String(parameters.executionTimeout)];
    if (parameters.workingDirectory) echoedParameters.workingDirectory = [parameters.workingDirectory];
    const timeout = typeof timeoutSeconds === 'number' ? timeoutSeconds : 3600;
    return {
      Command: {
        CommandId: commandId,
        DocumentName: documentName,
        DocumentVersion: '$DEFAULT',
        Comment: comment,
        // JSON 1.1 timestamps are epoch seconds.
        // Delivery deadline: an invocation not started by then is not run at all.
        ExpiresAfter: epochSeconds(requestedAt) + timeout,
        Parameters: echoedParameters,
        InstanceIds: instanceIds,
        Targets: [],
        RequestedDateTime: epochSeconds(requestedAt),
        Status: 'Pending',
        StatusDetails: 'Pending',
        OutputS3Region: call.region,
        OutputS3BucketName: '',
        OutputS3KeyPrefix: '',
        MaxConcurrency: '50',
        MaxErrors: '0',
        TargetCount: instanceIds.length,
        CompletedCount: 0,
        ErrorCount: 0,
        DeliveryTimedOutCount: 0,
        ServiceRole: '',
        NotificationConfig: { NotificationArn: '', NotificationEvents: [], NotificationType: '' },
        CloudWatchOutputConfig: { CloudWatchLogGroupName: '', CloudWatchOutputEnabled: false },
        TimeoutSeconds: timeout,
      },
    };
  }

  private getCommandInvocation(input: Input): unknown {
    const commandId = requiredString(input, 'CommandId');
    const instanceId = requiredString(input, 'InstanceId');
    const pluginName = optionalString(input, 'PluginName');
    const invocation = this.invocations.get(key(commandId, instanceId));
    // Real SSM answers InvocationDoesNotExist for a moment after SendCommand: pollers must tolerate it.
    if (!invocation || invocation.notReadyLeft > 0) {
      if (invocation) invocation.notReadyLeft--;
      throw new ServiceError('InvocationDoesNotExist', `An invocation of command ${commandId} on instance ${instanceId} does not exist`);
    }
    if (pluginName !== undefined && pluginName !== PLUGIN_NAME) {
      throw new ServiceError('InvalidPluginName', `The plugin name ${pluginName} is not valid for ${DOCUMENT_NAME}`);
    }
    const { run, comment } = invocation;
    const { record } = run;
    // Output stays empty until the invocation ends, as in the real service.
    const ended = !run.running;
    return {
      CommandId: commandId,
      InstanceId: instanceId,
      Comment: comment,
      DocumentName: DOCUMENT_NAME,
      DocumentVersion: '$DEFAULT',
      PluginName: PLUGIN_NAME,
      ResponseCode: ended ? record.exitCode : -1,
      ExecutionStartDateTime: run.startedAt?.toISOString() ?? '',
      ExecutionElapsedTime: run.startedAt ? elapsed(run.startedAt, run.endedAt ?? new Date()) : '',
      ExecutionEndDateTime: run.endedAt?.toISOString() ?? '',
      Status: record.status,
      StatusDetails: STATUS_DETAILS[record.status],
      StandardOutputContent: ended ? truncate(record.stdout, STDOUT_LIMIT) : '',
      StandardOutputUrl: '',
      StandardErrorContent: ended ? truncate(run.reportedStderr, STDERR_LIMIT) : '',
      StandardErrorUrl: '',
      CloudWatchOutputConfig: { CloudWatchLogGroupName: '', CloudWatchOutputEnabled: false },
    };
  }

  /** Filters: `InstanceIds`, `PingStatus`, `PlatformTypes`, `ResourceType`, `tag-key`, `tag:<key>`. */
  private describeInstanceInformation(input: Input): unknown {
    const filters = [
      ...(optionalList(input, 'Filters') ?? []).map((f) => ({ key: String(f.Key), values: optionalStringList(f, 'Values') ?? [] })),
      ...(optionalList(input, 'InstanceInformationFilterList') ?? []).map((f) => ({ key: String(f.key), values: optionalStringList(f, 'valueSet') ?? [] })),
    ];
    const matches = (instance: EmulatedInstance): boolean =>
      filters.every(({ key, values }) => {
        const tags = instance.tags ?? {};
        if (key === 'InstanceIds') return values.includes(instance.id);
        if (key === 'PingStatus') return values.includes('Online');
        if (key === 'PlatformTypes') return values.includes('Linux');
        if (key === 'ResourceType') return values.includes('EC2Instance');
        if (key === 'tag-key') return values.some((v) => v in tags);
        if (key.startsWith('tag:')) {
          const tag = tags[key.slice(4)];
          return tag !== undefined && values.includes(tag);
        }
        if (['AgentVersion', 'ActivationIds', 'IamRole', 'AssociationStatus'].includes(key)) throw unsupported(`the DescribeInstanceInformation filter ${key}`);
        throw new ServiceError('InvalidFilterKey', `The filter key ${key} is not valid`);
      });
    const now = epochSeconds(new Date());
    return {
      InstanceInformationList: this.options.instances.filter(matches).map((instance) => ({
        InstanceId: instance.id,
        PingStatus: 'Online',
        LastPingDateTime: now,
        AgentVersion: '3.3.0.0',
        IsLatestVersion: true,
        PlatformType: 'Linux',
        PlatformName: 'Debian GNU/Linux',
        PlatformVersion: '12',
        ResourceType: 'EC2Instance',
        ComputerName: `${instance.id}.internal`,
        IPAddress: '10.0.0.10',
      })),
    };
  }
}

interface DocumentParameters {
  commands: string[];
  executionTimeout: number;
  executionTimeoutGiven: boolean;
  workingDirectory: string;
}

/** AWS-RunShellScript's parameters: every value is a list of strings, as in the API. */
function documentParameters(raw: unknown): DocumentParameters {
  const invalid = (why: string) => new ServiceError('InvalidParameters', `${why} (document ${DOCUMENT_NAME})`);
  if (typeof raw !== 'object' || raw === null || Array.isArray(raw)) throw invalid('Parameters must be a map with "commands"');
  const params = raw as Record<string, unknown>;
  for (const [name, value] of Object.entries(params)) {
    if (!DOCUMENT_PARAMETERS.has(name)) throw invalid(`Parameter "${name}" is not defined`);
    if (!Array.isArray(value) || value.some((v) => typeof v !== 'string')) throw invalid(`Parameter "${name}" must be a list of strings`);
  }
  const commands = params.commands as string[] | undefined;
  if (!commands || commands.length === 0) throw invalid('Parameter "commands" is required');
  const timeout = params.executionTimeout as string[] | undefined;
  if (timeout && (timeout.length !== 1 || !EXECUTION_TIMEOUT.test(timeout[0] ?? ''))) {
    throw invalid('Parameter "executionTimeout" must be one whole number of seconds between 1 and 172800');
  }
  const workingDirectory = (params.workingDirectory as string[] | undefined) ?? [];
  if (workingDirectory.length > 1) throw invalid('Parameter "workingDirectory" takes one value');
  return {
    commands,
    executionTimeout: timeout ? Number(timeout[0]) : DEFAULT_EXECUTION_TIMEOUT,
    executionTimeoutGiven: timeout !== undefined,
    workingDirectory: workingDirectory[0] ?? '',
  };
}

const key = (commandId: string, instanceId: string): string => `${commandId}/${instanceId}`;

const epochSeconds = (date: Date): number => date.getTime() / 1000;

/** ISO 8601 duration, as SSM writes ExecutionElapsedTime ("PT0.123S"). */
const elapsed = (from: Date, to: Date): string => `PT${((to.getTime() - from.getTime()) / 1000).toFixed(3)}S`;

const STATUS_DETAILS: Record<EmulatedCommand['status'], string> = {
  Pending: 'Pending',
  InProgress: 'In Progress',
  Success: 'Success',
  Failed: 'Failed',
  TimedOut: 'Execution Timed Out',
};

/** The first `limit` characters (code points: a surrogate pair is never cut in half). */
export function truncate(text: string, limit: number): string {
  if (text.length <= limit) return text;
  let cut = 0;
  let count = 0;
  for (const char of text) {
    if (count === limit) break;
    cut += char.length;
    count++;
  }
  return text.slice(0, cut);
}
