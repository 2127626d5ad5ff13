/** Public types of the emulator (re-exported by index.ts, the package's only door). */

/** A managed instance the emulated SSM knows; tags make `DescribeInstanceInformation` tag filters work. */
export interface EmulatedInstance {
  id: string;
  tags?: Record<string, string>;
}

export interface EmulatorOptions {
  /** Plays the bastion host's filesystem root for executed commands (created if missing). */
  bastionDir: string;
  /** Known managed instances (default `['i-0123456789abcdef0']`). */
  instances?: Array<string | EmulatedInstance>;
  /** CloudFormation stacks by name. */
  stacks?: Record<string, { outputs: Record<string, string>; status?: string }>;
  /** Secrets Manager `SecretString` by SecretId (a name, or a full ARN). */
  secrets?: Record<string, string>;
  /** S3's buckets: each subfolder is a bucket, each file under it an object (the local data lake's layout). */
  s3Dir?: string;
  /** At most this many keys per ListObjectsV2 page (S3: 1000); lower it to make a small bucket page. */
  s3MaxKeys?: number;
  /**
   * How many GetCommandInvocation calls per command answer `InvocationDoesNotExist` first (default 1),
   * as real SSM does for a moment after SendCommand.
   */
  invocationNotReadyCalls?: number;
  /** Every n-th SSM request answers ThrottlingException (HTTP 400), as a busy account does; SDKs retry it. */
  throttleEvery?: number;
  /** How long the agent takes to pick a command up (it stays Pending meanwhile), like a slow or busy agent. */
  agentDelayMs?: number;
  /** Every call answers AccessDeniedException (JSON services) / AccessDenied (CloudFormation, S3). */
  denyAccess?: boolean;
  /** Extra environment for executed commands; a `PATH` here is put in front of the bastion's PATH. */
  env?: Record<string, string>;
  /** Test hook: alters a SendCommand's commands before they run (simulates corruption in transit). */
  tamper?: (commands: string[]) => string[];
  /** Port on 127.0.0.1 (default 0: a free port). */
  port?: number;
  /** Region for `env()` and for ARNs when a request's signature names none (default `us-east-1`). */
  region?: string;
  /** One line per request and per finished command, for manual use (the CLI prints them). */
  log?: (line: string) => void;
}

export type ServiceName = 'ssm' | 'cloudformation' | 'secretsmanager' | 's3';

export interface RecordedRequest {
  service: ServiceName;
  action: string;
  /** Path and query string, as received (S3's parameters travel there). */
  url: string;
  /** The raw request body, exactly as received (tests assert that no secret ever travels). */
  body: string;
  headers: Record<string, string>;
  /** Answered ThrottlingException (options.throttleEvery) instead of being handled. */
  throttled?: boolean;
}

export type CommandStatus = 'Pending' | 'InProgress' | 'Success' | 'Failed' | 'TimedOut';

/** One command invocation on one instance. stdout/stderr are the full, untruncated process output. */
export interface EmulatedCommand {
  commandId: string;
  instanceId: string;
  /** The script file's content as the agent wrote it (after `tamper`). */
  script: string;
  status: CommandStatus;
  exitCode?: number;
  stdout: string;
  stderr: string;
}

export interface Emulator {
  /** `http://127.0.0.1:<port>` */
  url: string;
  port: number;
  /** Every request, in arrival order. */
  requests: RecordedRequest[];
  /** Every command invocation, in SendCommand order; entries are updated in place as commands run. */
  commands: EmulatedCommand[];
  /** What a client process needs: per-service endpoint URLs (S3 included), region and dummy credentials. */
  env(): Record<string, string>;
  /** The endpoints of env() for a client process with no AWS credentials at all (its own process: the SDK's chain reads process.env). */
  envWithoutCredentials(): Record<string, string>;
  /** Kills commands still running, closes the server. Idempotent. */
  stop(): Promise<void>;
}
