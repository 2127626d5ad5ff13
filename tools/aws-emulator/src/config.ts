/**
 * The CLI's JSON config file: the serialisable part of EmulatorOptions. Checked key by key, so a typo
 * is an error that names the file and the key instead of an emulator that silently knows less.
 */
import { readFile } from 'node:fs/promises';
import { dirname, resolve } from 'node:path';
import type { EmulatedInstance, EmulatorOptions } from './types.ts';

export type EmulatorConfig = Pick<
  EmulatorOptions,
  'bastionDir' | 'instances' | 'stacks' | 'secrets' | 's3Dir' | 's3MaxKeys' | 'invocationNotReadyCalls' | 'denyAccess' | 'env' | 'region'
>;

const KEYS = new Set(['bastionDir', 'instances', 'stacks', 'secrets', 's3Dir', 's3MaxKeys', 'invocationNotReadyCalls', 'denyAccess', 'env', 'region']);

export class ConfigError extends Error {
  constructor(file: string, message: string) {
    super(`${file}: ${message}`);
    this.name = 'ConfigError';
  }
}

/** Reads and checks a config file; a relative bastionDir or s3Dir is relative to the file. */
export async function loadConfig(file: string): Promise<EmulatorConfig> {
  let raw: unknown;
  try {
    raw = JSON.parse(await readFile(file, 'utf8'));
  } catch (error) {
    throw new ConfigError(file, `cannot read it as JSON (${error instanceof Error ? error.message : String(error)})`);
  }
  return parseConfig(raw, file);
}

export function parseConfig(raw: unknown, file: string): EmulatorConfig {
  const fail = (message: string): never => {
    throw new ConfigError(file, message);
  };
  if (!isObject(raw)) return fail('expected a JSON object');
  for (const key of Object.keys(raw)) if (!KEYS.has(key)) fail(`unknown key "${key}" (known: ${[...KEYS].join(', ')})`);
  if (typeof raw.bastionDir !== 'string' || raw.bastionDir === '') fail('"bastionDir" (a directory path) is required');
  const config: EmulatorConfig = { bastionDir: resolve(dirname(file), raw.bastionDir as string) };

  if (raw.instances !== undefined) {
    if (!Array.isArray(raw.instances)) fail('"instances" must be a list of instance ids or {"id", "tags"} objects');
    config.instances = (raw.instances as unknown[]).map((item, i): string | EmulatedInstance => {
      if (typeof item === 'string') return item;
      if (isObject(item) && typeof item.id === 'string' && (item.tags === undefined || isStringMap(item.tags))) {
        return { id: item.id, ...(item.tags ? { tags: item.tags as Record<string, string> } : {}) };
      }
      return fail(`"instances[${i}]" must be an instance id or {"id": string, "tags": {string: string}}`);
    });
  }
  if (raw.stacks !== undefined) {
    if (!isObject(raw.stacks)) fail('"stacks" must map stack names to {"outputs": {...}, "status"?: string}');
    config.stacks = {};
    for (const [name, stack] of Object.entries(raw.stacks as Record<string, unknown>)) {
      if (!isObject(stack) || !isStringMap(stack.outputs) || (stack.status !== undefined && typeof stack.status !== 'string')) {
        fail(`"stacks.${name}" must be {"outputs": {string: string}, "status"?: string}`);
      }
      const { outputs, status } = stack as { outputs: Record<string, string>; status?: string };
      config.stacks[name] = status === undefined ? { outputs } : { outputs, status };
    }
  }
  if (raw.secrets !== undefined) {
    if (!isStringMap(raw.secrets)) fail('"secrets" must map secret ids to SecretString values');
    config.secrets = raw.secrets as Record<string, string>;
  }
  if (raw.s3Dir !== undefined) {
    if (typeof raw.s3Dir !== 'string' || raw.s3Dir === '') fail('"s3Dir" must be a directory path (each subfolder is a bucket)');
    config.s3Dir = resolve(dirname(file), raw.s3Dir as string);
  }
  if (raw.s3MaxKeys !== undefined) {
    if (!Number.isInteger(raw.s3MaxKeys) || (raw.s3MaxKeys as number) < 1 || (raw.s3MaxKeys as number) > 1000)
      fail('"s3MaxKeys" must be a whole number from 1 to 1000');
    config.s3MaxKeys = raw.s3MaxKeys as number;
  }
  if (raw.env !== undefined) {
    if (!isStringMap(raw.env)) fail('"env" must map variable names to strings');
    config.env = raw.env as Record<string, string>;
  }
  if (raw.invocationNotReadyCalls !== undefined) {
    if (!Number.isInteger(raw.invocationNotReadyCalls) || (raw.invocationNotReadyCalls as number) < 0)
      fail('"invocationNotReadyCalls" must be a whole number ≥ 0');
    config.invocationNotReadyCalls = raw.invocationNotReadyCalls as number;
  }
  if (raw.denyAccess !== undefined) {
    if (typeof raw.denyAccess !== 'boolean') fail('"denyAccess" must be true or false');
    config.denyAccess = raw.denyAccess as boolean;
  }
  if (raw.region !== undefined) {
    if (typeof raw.region !== 'string' || !/^[a-z]{2}(-[a-z]+)+-\d+$/.test(raw.region)) fail('"region" must be a region name such as "eu-west-1"');
    config.region = raw.region as string;
  }
  return config;
}

const isObject = (value: unknown): value is Record<string, unknown> => typeof value === 'object' && value !== null && !Array.isArray(value);

const isStringMap = (value: unknown): boolean => isObject(value) && Object.values(value).every((v) => typeof v === 'string');
