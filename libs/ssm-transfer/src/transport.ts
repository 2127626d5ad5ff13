import { randomBytes } from 'node:crypto';
import { shellQuote, step, TaskError } from '@mt/cli';
import { renderPhase } from '@mt/aurora';
import type { AuroraConfig, AuroraEnvironment, Tenant } from '@mt/tenant-config';
import { Bastion, clusterEndpoint, type RemoteResult } from './aws.ts';
import { buildBundle } from './bundle.ts';

/** Base64 per SendCommand: SSM refuses documents over 64 KB, parameters included. */
export const CHUNK_BYTES = 48 * 1024;

export interface RemotePhaseOptions {
  root: string;
  config: AuroraConfig;
  tenants: Tenant[];
  phase: string;
  environment: AuroraEnvironment;
  /** The original's flag: do not transfer, use what the bastion has. */
  skipCopy?: boolean;
  /** Only these files of the phase (the original ran one file per command); default: all. */
  files?: string[];
  /** Re-apply files that changed since they were applied (as locally). */
  force?: boolean;
  log: (line: string) => void;
  print: (text: string) => void;
}

export interface RemotePhaseReport {
  bundleSent: boolean;
  bundleBytes: number;
  ssmCalls: number;
  bytesSent: number;
}

const HEADER = ['#!/bin/bash', 'set -euo pipefail', 'umask 077'];

/**
 * One phase at a time per bastion workspace: swapping in a new bundle and running a phase take an
 * exclusive flock on <workspace>/.lock, so two terminals never run in a folder being replaced.
 */
const lockWorkspace = (ws: string) => [
  `mkdir -p ${shellQuote(ws)}`,
  `exec 9>${shellQuote(`${ws}/.lock`)}`,
  'if ! flock -n 9; then echo "[INFO] another phase is using this workspace; waiting for it to finish…" >&2; flock 9; fi',
];

/**
 * A phase through the bastion: endpoint from CloudFormation; the bundle sent in chunks unless the
 * bastion already has it (same sha256); then, in the private workspace, scripts/sql-execute.sh runs
 * each file with psql. Only the secret's id travels: the bastion reads the password itself.
 */
export async function runPhaseOverSsm(options: RemotePhaseOptions): Promise<RemotePhaseReport> {
  const { environment: env, phase, log } = options;
  // Every wait here is on CloudFormation or SSM: a spinner on a terminal, and the lines after say how it went.
  const { host, port } = await step(`  looking up the cluster endpoint (stack ${env.stackName})`, () => clusterEndpoint(env), { summary: false });
  log(`  cluster ${host}:${port}, bastion ${env.bastion.instanceId} (${env.region})`);
  const bastion = new Bastion(env);
  const ws = env.workspace;
  const current = `${ws}/current`;
  try {
    const report: RemotePhaseReport = { bundleSent: false, bundleBytes: 0, ssmCalls: 0, bytesSent: 0 };
    // config.json bastion.autoTransfer.enabled: false means the bastion is provisioned by other means.
    const skipCopy = options.skipCopy || !options.config.bastion.autoTransfer.enabled;
    let sentSha: string | undefined;
    if (skipCopy) {
      const hasWorkspace = [
        ...HEADER,
        `if [ ! -d ${shellQuote(current)} ]; then printf '[WARNING] Workspace directory %s does not exist on Bastion Host\\n' ${shellQuote(current)} >&2; echo "[WARNING] You may need to run without --skip-copy first to transfer files" >&2; exit 3; fi`,
      ];
      const check = await step('  checking the workspace on the bastion', () => bastion.run(hasWorkspace), { summary: false });
      if (check.exitCode !== 0) {
        options.print(check.stderr.replace(/\nfailed to run commands: exit status \d+\s*$/, '\n'));
        throw new TaskError('NO_WORKSPACE', `The bastion has no workspace at ${current}: nothing was run.`, {
          hint: 'Run once without --skip-copy to transfer the files.',
        });
      }
    } else {
      const bundle = await buildBundle(options.root, options.config, options.tenants);
      report.bundleBytes = bundle.data.length;
      sentSha = bundle.sha256;
      const tag = `  bundle ${bundle.sha256.slice(0, 12)}`;
      const readSha = [...HEADER, `cat ${shellQuote(`${current}/.bundle-sha256`)} 2>/dev/null || true`];
      const remote = await step(`${tag}: comparing with the bastion's`, () => bastion.run(readSha), { summary: false });
      if (remote.stdout.trim() === bundle.sha256) log(`${tag} already on the bastion: not sent`);
      else {
        await step(`${tag}: sending ${bundle.data.length} bytes`, () => sendBundle(bastion, ws, bundle.data, bundle.sha256), { summary: false });
        report.bundleSent = true;
        log(`${tag} sent: ${bundle.files.length} files, ${bundle.data.length} bytes`);
      }
    }
    const all = renderPhase(options.root, phase, options.tenants).map((f) => f.file);
    const unknown = (options.files ?? []).filter((f) => !all.includes(f));
    if (unknown.length) throw new TaskError('UNKNOWN_FILE', `${unknown.join(', ')} is not a file of phase ${phase} (files: ${all.join(', ')}).`);
    const files = options.files ?? all;
    const runFiles = [
      ...HEADER,
      ...lockWorkspace(ws),
      `cd ${shellQuote(current)}`,
      // Another run may have swapped in another bundle between our transfer and this command.
      ...(sentSha
        ? [
            `if [ "$(cat .bundle-sha256)" != ${shellQuote(sentSha)} ]; then echo "[ERROR] the workspace now holds another bundle (a run from elsewhere sent it meanwhile): nothing was run" >&2; exit 6; fi`,
          ]
        : []),
      `export AURORA_ENDPOINT=${shellQuote(host)} AURORA_PORT=${shellQuote(String(port))} AURORA_SECRET_ID=${shellQuote(env.secretId)} AURORA_FORCE=${options.force ? 1 : 0}`,
      ...files.map((f) => `bash scripts/sql-execute.sh config.json ${shellQuote(f)}`),
    ];
    const what = files.length === 1 ? files[0] : `the ${files.length} files of phase ${phase}`;
    const result = await step(`  running ${what} on the bastion`, () => bastion.run(runFiles));
    surface(result, options, phase);
    report.ssmCalls = bastion.calls;
    report.bytesSent = bastion.bytesSent;
    return report;
  } finally {
    bastion.close();
  }
}

/** Chunks appended to a staging file, then one command checks the sha256 and swaps the workspace in. */
async function sendBundle(bastion: Bastion, ws: string, data: Buffer, sha256: string): Promise<void> {
  const b64 = data.toString('base64');
  // A staging file per transfer: two terminals sending at once never append to each other's.
  const name = `incoming.${sha256.slice(0, 12)}.${randomBytes(4).toString('hex')}`;
  const staging = `${ws}/${name}.b64`;
  for (let i = 0; i < b64.length; i += CHUNK_BYTES) {
    const prepare = i === 0 ? [`mkdir -p ${shellQuote(ws)}`, `chmod 700 ${shellQuote(ws)}`, `rm -f ${shellQuote(staging)}`] : [];
    const r = await bastion.run([...HEADER, ...prepare, `printf '%s' '${b64.slice(i, i + CHUNK_BYTES)}' >> ${shellQuote(staging)}`]);
    if (r.exitCode !== 0)
      throw new TaskError('TRANSFER_FAILED', `Sending part ${i / CHUNK_BYTES + 1} of the bundle failed (exit ${r.exitCode}): ${r.stderr.trim()}`);
  }
  const q = shellQuote;
  const r = await bastion.run([
    ...HEADER,
    ...lockWorkspace(ws),
    `cd ${q(ws)}`,
    `base64 -d ${q(`${name}.b64`)} > ${q(`${name}.tgz`)}`,
    `if ! echo ${q(`${sha256}  ${name}.tgz`)} | sha256sum -c --status -; then echo "[ERROR] bundle checksum mismatch: nothing was unpacked" >&2; rm -f ${q(`${name}.b64`)} ${q(`${name}.tgz`)}; exit 4; fi`,
    'next=$(mktemp -d "$PWD/ws.XXXXXX")',
    `tar -xzf ${q(`${name}.tgz`)} -C "$next" --no-same-owner`,
    `echo ${q(sha256)} > "$next/.bundle-sha256"`,
    `rm -rf previous; if [ -d current ]; then mv current previous; fi; mv "$next" current; rm -rf previous ${q(`${name}.b64`)} ${q(`${name}.tgz`)}`,
  ]);
  if (r.exitCode !== 0)
    throw new TaskError(
      'TRANSFER_FAILED',
      `The bastion refused the bundle (exit ${r.exitCode}): ${r.stderr.replace(/\nfailed to run commands:.*$/s, '').trim()}`,
      { hint: 'Run again: a damaged transfer is never unpacked, and the previous workspace is kept.' },
    );
}

function surface(result: RemoteResult, options: RemotePhaseOptions, phase: string): void {
  if (result.stdout) options.print(result.stdout);
  if (result.truncated) options.log('  [WARNING] SSM returned only the first 24,000 characters of output; see the bastion for the rest.');
  if (result.exitCode !== 0) {
    const stderr = result.stderr.replace(/\nfailed to run commands:.*$/s, '').trim();
    throw new TaskError('REMOTE_FAILED', `Phase ${phase} failed on the bastion (exit ${result.exitCode}):\n${stderr}`, {
      hint: 'psql stopped at the first error (ON_ERROR_STOP); fix the file and run the phase again.',
    });
  }
  if (result.stderr.trim()) options.log(result.stderr.trim().replace(/^/gm, '  '));
}
