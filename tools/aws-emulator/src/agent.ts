/**
 * Runs one AWS-RunShellScript invocation the way amazon-ssm-agent does on Linux
 * (agent/plugins/runscript/runscript.go, runshellscript.go, executers/executers.go):
 *
 * - the commands are joined with "\n" into `_script.sh` (mode 0750) in the invocation's orchestration
 *   directory, and run as `sh -c <path of _script.sh>`;
 * - `sh -c <path>` makes sh execute the *file*: the kernel honours a `#!` line, so a script whose
 *   first command is exactly `#!/bin/bash` runs in bash. Without one, execve fails with ENOEXEC and
 *   sh (dash on Debian/Ubuntu) interprets the file itself. A `#!` that is not at byte 0 (say, an
 *   indented "  #!/bin/bash") is only a comment, which is why such scripts fail with dash syntax
 *   errors on real instances (amazon-ssm-agent issue #46). Spawning `sh -c <path>` here reproduces
 *   all of this instead of imitating it;
 * - stdout and stderr go to the files `stdout` / `stderr` next to the script; stdin is /dev/null;
 *   the process leads its own process group, killed as a whole on execution timeout;
 * - a non-zero exit marks the invocation Failed and the agent appends
 *   "failed to run commands: exit status N" to the reported stderr (iohandler.AppendError);
 *   an execution timeout reports TimedOut with the agent's exit code 137.
 *
 * One deliberate difference: the working directory. The agent uses its own (on systemd hosts
 * /usr/bin) unless the document's workingDirectory names one; here it is the orchestration directory,
 * so that nothing a test runs writes outside the bastion. Scripts should never rely on either.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { createWriteStream, existsSync, type WriteStream } from 'node:fs';
import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { commandEnv, onBastion, orchestrationDir, type Bastion } from './bastion.ts';
import type { EmulatedCommand } from './types.ts';

/** Linux agent's exit code for a command stopped by timeout or cancel: 128 + SIGKILL. */
const STOPPED_PREEMPTIVELY_EXIT_CODE = 137;

export interface RunSpec {
  bastion: Bastion;
  instanceId: string;
  commandId: string;
  /** The commands as they will run (after the tamper hook). */
  commands: string[];
  executionTimeoutSeconds: number;
  /** The document's workingDirectory parameter: a path on the bastion (mapped into the bastion dir), or '' for the default. */
  workingDirectory: string;
  env: Record<string, string>;
  region: string;
  /** The agent picks the command up after this long (Pending meanwhile). */
  delayMs?: number;
}

/**
 * Runs whose process group may still be alive. Commands lead their own process group, so they would
 * outlive a test process that exits without stop(); one exit hook for all emulators kills them.
 */
const live = new Set<AgentRun>();
let exitHookInstalled = false;

function track(run: AgentRun): void {
  if (!exitHookInstalled) {
    process.once('exit', () => {
      for (const r of live) r.kill();
    });
    exitHookInstalled = true;
  }
  live.add(run);
  void run.done.finally(() => live.delete(run));
}

/** An invocation being (or having been) run. `record` is the public entry, updated in place. */
export class AgentRun {
  startedAt?: Date;
  endedAt?: Date;
  /** What the agent appends to stderr when the run fails, e.g. "failed to run commands: exit status 2". */
  failure?: string;
  readonly done: Promise<void>;
  private child?: ChildProcess;
  private timedOut = false;
  /** kill() came before the process was started: it must not start at all. */
  private killed = false;

  constructor(
    readonly record: EmulatedCommand,
    spec: RunSpec,
  ) {
    this.done = this.run(spec).catch((error: unknown) => {
      // Writing the script or opening the output files failed: the agent marks the plugin failed.
      this.finish('Failed', 1, `failed to run commands: ${error instanceof Error ? error.message : String(error)}`);
    });
    track(this);
  }

  get running(): boolean {
    return this.record.status === 'Pending' || this.record.status === 'InProgress';
  }

  /** stderr as GetCommandInvocation reports it (before the 8,000-character cut). */
  get reportedStderr(): string {
    const { stderr } = this.record;
    if (!this.failure) return stderr;
    return stderr.length > 0 ? `${stderr}\n${this.failure}` : this.failure;
  }

  /** Kills the whole process group (the script and everything it started). */
  kill(): void {
    this.killed = true;
    if (this.child?.pid !== undefined && this.child.exitCode === null && this.child.signalCode === null) {
      try {
        process.kill(-this.child.pid, 'SIGKILL');
      } catch {
        // already gone
      }
    }
  }

  private async run(spec: RunSpec): Promise<void> {
    if (spec.delayMs) await new Promise((resolve) => setTimeout(resolve, spec.delayMs));
    const dir = orchestrationDir(spec.bastion, spec.instanceId, spec.commandId);
    await mkdir(dir, { recursive: true, mode: 0o750 });
    const scriptPath = join(dir, '_script.sh');
    await writeFile(scriptPath, this.record.script, { mode: 0o750 });

    const cwd = spec.workingDirectory ? onBastion(spec.bastion, spec.workingDirectory) : dir;
    if (!existsSync(cwd)) {
      // What Go's exec reports when the working directory is missing.
      this.finish('Failed', 1, `failed to run commands: chdir ${spec.workingDirectory}: no such file or directory`);
      return;
    }

    if (this.killed) {
      this.finish('Failed', 1, 'failed to run commands: the emulator stopped before the command started');
      return;
    }
    const stdoutFile = createWriteStream(join(dir, 'stdout'), { flags: 'a', mode: 0o600 });
    const stderrFile = createWriteStream(join(dir, 'stderr'), { flags: 'a', mode: 0o600 });
    // Not zx's $ (every other process of the project is): this imitates the Go agent — its own process
    // group, output streamed to files as it comes, and 'close' only when every holder of the pipes is gone.
    const child = spawn('sh', ['-c', scriptPath], {
      cwd,
      env: commandEnv(spec.bastion, spec.env, spec.instanceId, spec.region),
      stdio: ['ignore', 'pipe', 'pipe'],
      detached: true, // own process group, like the agent's Setpgid, so a timeout kills the whole tree
    });
    this.child = child;
    this.startedAt = new Date();
    this.record.status = 'InProgress';
    collect(child.stdout, stdoutFile, (text) => (this.record.stdout += text));
    collect(child.stderr, stderrFile, (text) => (this.record.stderr += text));

    const timer = setTimeout(() => {
      this.timedOut = true;
      this.kill();
    }, spec.executionTimeoutSeconds * 1000);
    timer.unref();

    // 'close' comes after the output pipes are drained; like the agent, a background process that
    // keeps them open keeps the invocation InProgress.
    const outcome = await new Promise<{ code: number | null; signal: NodeJS.Signals | null; error?: Error }>((resolve) => {
      child.once('error', (error) => resolve({ code: null, signal: null, error }));
      child.once('close', (code, signal) => resolve({ code, signal }));
    });
    clearTimeout(timer);
    await Promise.all([closeStream(stdoutFile), closeStream(stderrFile)]);

    if (this.timedOut) this.finish('TimedOut', STOPPED_PREEMPTIVELY_EXIT_CODE);
    else if (outcome.error) this.finish('Failed', 1, `failed to run commands: ${outcome.error.message}`);
    else if (outcome.signal) this.finish('Failed', -1, `failed to run commands: signal: ${signalText(outcome.signal)}`);
    else if (outcome.code !== 0) this.finish('Failed', outcome.code ?? 1, `failed to run commands: exit status ${outcome.code}`);
    else this.finish('Success', 0);
  }

  private finish(status: 'Success' | 'Failed' | 'TimedOut', exitCode: number, failure?: string): void {
    if (!this.running) return;
    this.startedAt ??= new Date();
    this.endedAt = new Date();
    this.failure = failure;
    this.record.exitCode = exitCode;
    this.record.status = status;
  }
}

function collect(stream: NodeJS.ReadableStream, file: WriteStream, append: (text: string) => void): void {
  stream.setEncoding('utf8'); // decodes multi-byte characters split across chunks correctly
  file.on('error', () => {}); // the files are a courtesy copy; the in-memory record is what is reported
  stream.on('data', (text: string) => {
    append(text);
    file.write(text);
  });
}

const closeStream = (stream: WriteStream): Promise<void> => new Promise((resolve) => stream.end(resolve));

/** Go's wording for a process killed by a signal ("signal: killed"). */
function signalText(signal: NodeJS.Signals): string {
  const words: Partial<Record<NodeJS.Signals, string>> = {
    SIGKILL: 'killed',
    SIGTERM: 'terminated',
    SIGINT: 'interrupt',
    SIGSEGV: 'segmentation fault',
    SIGPIPE: 'broken pipe',
    SIGABRT: 'aborted',
  };
  return words[signal] ?? signal;
}
