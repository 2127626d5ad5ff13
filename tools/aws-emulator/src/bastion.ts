/**
 * The emulated bastion host: a directory that plays its filesystem root. Commands still run on this
 * machine (there is no chroot); what the directory provides is the agent's orchestration tree, HOME,
 * TMPDIR and an `aws` CLI stand-in, so a test can inspect and clean up everything a command leaves.
 */
import { chmod, copyFile, mkdir, writeFile } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { shellQuote } from '@mt/cli';

export interface Bastion {
  root: string;
  /** HOME of executed commands (root's home on the real host). */
  home: string;
  /** TMPDIR of executed commands, so `mktemp` files stay inside the bastion. */
  tmp: string;
  /** Holds the `aws` stand-in; on the commands' PATH. */
  binDir: string;
}

/** systemd's default PATH, which is what the agent (a systemd service) passes on to commands. */
const SYSTEM_PATH = '/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin';

export function bastionLayout(bastionDir: string): Bastion {
  const root = resolve(bastionDir);
  return { root, home: join(root, 'root'), tmp: join(root, 'tmp'), binDir: join(root, 'usr', 'local', 'bin') };
}

/**
 * Where the agent keeps a Run Command invocation: the command's orchestration directory, then one
 * directory per plugin and per plugin step. `_script.sh`, `stdout` and `stderr` go in the last one.
 */
export function orchestrationDir(bastion: Bastion, instanceId: string, commandId: string): string {
  return join(bastion.root, 'var', 'lib', 'amazon', 'ssm', instanceId, 'document', 'orchestration', commandId, 'awsrunShellScript', '0.awsrunShellScript');
}

/** An absolute path on the bastion host, mapped into the bastion directory. */
export const onBastion = (bastion: Bastion, absolutePath: string): string => join(bastion.root, absolutePath);

/**
 * Environment of an executed command. The agent passes its own environment (systemd's: a PATH and
 * little else) plus AWS_SSM_INSTANCE_ID / AWS_SSM_REGION_NAME. `extra.PATH` goes first, on purpose:
 * a test that adds a directory means for its programs to be found.
 */
export function commandEnv(bastion: Bastion, extra: Record<string, string>, instanceId: string, region: string): Record<string, string> {
  const { PATH: extraPath, ...rest } = extra;
  const path = [extraPath, bastion.binDir, SYSTEM_PATH].filter(Boolean).join(':');
  return {
    HOME: bastion.home,
    TMPDIR: bastion.tmp,
    AWS_SSM_INSTANCE_ID: instanceId,
    AWS_SSM_REGION_NAME: region,
    ...rest,
    PATH: path,
  };
}

/**
 * Creates the bastion's directories and installs the `aws` stand-in: a tiny sh wrapper that runs
 * aws-shim.js with this node binary, with the emulator's URL and region baked in (the real CLI finds
 * both through the instance metadata service; the command's own environment stays free of them).
 */
export async function prepareBastion(bastion: Bastion, url: string, region: string): Promise<void> {
  const libDir = join(bastion.root, 'usr', 'local', 'lib', 'aws-emulator');
  await Promise.all([bastion.home, bastion.tmp, bastion.binDir, libDir].map((dir) => mkdir(dir, { recursive: true })));
  // .mjs: the bastion has no package.json saying "type": "module".
  const shim = join(libDir, 'aws-shim.mjs');
  await copyFile(join(import.meta.dirname, 'aws-shim.js'), shim);
  const wrapper = join(bastion.binDir, 'aws');
  await writeFile(
    wrapper,
    [
      '#!/bin/sh',
      '# aws CLI stand-in installed by @mt/aws-emulator: supports `secretsmanager get-secret-value` only.',
      `AWS_EMULATOR_URL=${shellQuote(url)} AWS_EMULATOR_REGION=${shellQuote(region)} exec ${shellQuote(process.execPath)} ${shellQuote(shim)} "$@"`,
      '',
    ].join('\n'),
  );
  await chmod(wrapper, 0o755);
}

/** Single-quotes a word for sh. */
