/**
 * The HTTP front: one `node:http` server on 127.0.0.1 for all four services. It records every
 * request, tells the services apart the way AWS endpoints would (the `x-amz-target` prefix for the
 * JSON services, the form's `Action` for CloudFormation, the signature's service for S3's REST API),
 * and renders errors in each protocol.
 */
import { createServer, type IncomingHttpHeaders, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { bastionLayout, prepareBastion } from './bastion.ts';
import { CLOUDFORMATION_XMLNS, CloudFormation } from './cloudformation.ts';
import {
  ACCOUNT_ID,
  type Call,
  type Input,
  newRequestId,
  queryErrorXml,
  sendJson,
  sendJsonError,
  sendXml,
  ServiceError,
  signedRegion,
  signedService,
} from './protocol.ts';
import { S3, S3_MAX_KEYS, S3Error, s3Action, s3ErrorXml } from './s3.ts';
import { SecretsManager } from './secrets-manager.ts';
import { Ssm } from './ssm.ts';
import type { EmulatedCommand, EmulatedInstance, Emulator, EmulatorOptions, RecordedRequest, ServiceName } from './types.ts';

export const DEFAULT_INSTANCE_ID = 'i-0123456789abcdef0';
const DEFAULT_REGION = 'us-east-1';
/** Far above any real request (SendCommand's own limit is 64 KB): only guards the emulator's memory. */
const MAX_BODY_BYTES = 16 * 1024 * 1024;

interface Route {
  service: ServiceName;
  action: string;
}

export async function startEmulator(options: EmulatorOptions): Promise<Emulator> {
  if (typeof options?.bastionDir !== 'string' || options.bastionDir === '') throw new TypeError('startEmulator: bastionDir is required');
  const region = options.region ?? DEFAULT_REGION;
  const bastion = bastionLayout(options.bastionDir);
  const log = options.log ?? (() => {});
  const requests: RecordedRequest[] = [];
  const commands: EmulatedCommand[] = [];
  const ssm = new Ssm({
    bastion,
    instances: normalizeInstances(options.instances ?? [DEFAULT_INSTANCE_ID]),
    env: options.env ?? {},
    tamper: options.tamper,
    invocationNotReadyCalls: options.invocationNotReadyCalls ?? 1,
    agentDelayMs: options.agentDelayMs ?? 0,
    commands,
    log,
  });
  let ssmRequests = 0;
  const cloudFormation = new CloudFormation(options.stacks ?? {});
  const secretsManager = new SecretsManager(options.secrets ?? {});
  const s3 = new S3(options.s3Dir, options.s3MaxKeys ?? S3_MAX_KEYS);

  async function handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const requestId = newRequestId();
    const body = await readBody(req);
    if (body === undefined) {
      res.writeHead(413).end();
      return;
    }
    const headers = flatHeaders(req.headers);
    const url = new URL(req.url ?? '/', 'http://emulator');
    const route = routeOf(req.method ?? 'GET', url, headers, body);
    if (!route) {
      log(`unrecognised request: ${req.method} ${req.url} (x-amz-target: ${headers['x-amz-target'] ?? '-'})`);
      sendJsonError(res, new ServiceError('UnknownOperationException', 'Not a request for SSM, CloudFormation, Secrets Manager or S3'), requestId, 'message');
      return;
    }
    const recorded: RecordedRequest = { service: route.service, action: route.action, url: req.url ?? '/', body, headers };
    requests.push(recorded);
    const call: Call = { region: signedRegion(headers.authorization) ?? region, requestId };
    try {
      if (options.denyAccess) throw accessDenied(route, call.region);
      if (route.service === 'ssm' && options.throttleEvery && ++ssmRequests % options.throttleEvery === 0) {
        recorded.throttled = true;
        throw new ServiceError('ThrottlingException', 'Rate exceeded');
      }
      if (route.service === 'cloudformation') {
        sendXml(res, 200, cloudFormation.handle(route.action, new URLSearchParams(body), call), requestId);
      } else if (route.service === 's3') {
        sendXml(res, 200, s3.handle(route.action, url), requestId);
      } else {
        const input = parseJson(body);
        const output = route.service === 'ssm' ? ssm.handle(route.action, body, input, call) : secretsManager.handle(route.action, input, call);
        sendJson(res, 200, output, requestId);
      }
    } catch (thrown) {
      const error = thrown instanceof ServiceError ? thrown : internalError(thrown, log);
      if (route.service === 'cloudformation') sendXml(res, error.status, queryErrorXml(error, requestId, CLOUDFORMATION_XMLNS), requestId);
      else if (route.service === 's3') sendXml(res, error.status, s3ErrorXml(error, requestId), requestId);
      // Secrets Manager writes the text as `Message`; SSM as `message`. SDK v3 accepts either.
      else sendJsonError(res, error, requestId, route.service === 'secretsmanager' ? 'Message' : 'message');
    } finally {
      log(`${route.service} ${route.action} → ${res.statusCode}`);
    }
  }

  const server = createServer((req, res) => {
    handle(req, res).catch((error: unknown) => {
      log(`request failed: ${String(error)}`);
      if (!res.headersSent) res.writeHead(500);
      res.end();
    });
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port ?? 0, '127.0.0.1', () => {
      server.off('error', reject);
      resolve();
    });
  });
  const { port } = server.address() as AddressInfo;
  const url = `http://127.0.0.1:${port}`;

  let stopping: Promise<void> | undefined;
  const stop = (): Promise<void> =>
    (stopping ??= (async () => {
      const closed = new Promise<void>((resolve) => server.close(() => resolve()));
      server.closeAllConnections(); // SDK clients keep connections alive; close() alone would wait for them
      await ssm.stop();
      await closed;
    })());

  try {
    await prepareBastion(bastion, url, region);
  } catch (error) {
    await stop();
    throw error;
  }

  const env = () => ({
    AWS_ENDPOINT_URL_SSM: url,
    AWS_ENDPOINT_URL_CLOUDFORMATION: url,
    AWS_ENDPOINT_URL_SECRETS_MANAGER: url,
    AWS_ENDPOINT_URL_S3: url,
    AWS_REGION: region,
    AWS_ACCESS_KEY_ID: 'AKIAEMULATOR00000000',
    AWS_SECRET_ACCESS_KEY: 'emulator-secret-access-key',
  });

  return {
    url,
    port,
    requests,
    commands,
    env,
    envWithoutCredentials() {
      const { AWS_ACCESS_KEY_ID: _key, AWS_SECRET_ACCESS_KEY: _secret, ...endpoints } = env();
      // Empty keys, and every other source the SDK's chain tries switched off: nothing leaves this machine.
      return {
        ...endpoints,
        AWS_ACCESS_KEY_ID: '',
        AWS_SECRET_ACCESS_KEY: '',
        AWS_PROFILE: 'none-such',
        AWS_EC2_METADATA_DISABLED: 'true',
        AWS_CONFIG_FILE: '/nonexistent',
        AWS_SHARED_CREDENTIALS_FILE: '/nonexistent',
      };
    },
    stop,
  };
}

function normalizeInstances(instances: Array<string | EmulatedInstance>): EmulatedInstance[] {
  return instances.map((i) => (typeof i === 'string' ? { id: i } : i));
}

function routeOf(method: string, url: URL, headers: Record<string, string>, body: string): Route | undefined {
  if (signedService(headers.authorization) === 's3') return { service: 's3', action: s3Action(method, url) };
  if (method !== 'POST') return undefined;
  const target = headers['x-amz-target'];
  if (target?.startsWith('AmazonSSM.')) return { service: 'ssm', action: target.slice('AmazonSSM.'.length) };
  if (target?.startsWith('secretsmanager.')) return { service: 'secretsmanager', action: target.slice('secretsmanager.'.length) };
  if (target === undefined && (headers['content-type'] ?? '').startsWith('application/x-www-form-urlencoded')) {
    const action = new URLSearchParams(body).get('Action');
    if (action) return { service: 'cloudformation', action };
  }
  return undefined;
}

/** What IAM answers a principal without the permission (403 for the query protocol and S3, 400 for JSON). */
function accessDenied(route: Route, region: string): ServiceError {
  if (route.service === 's3') return new S3Error('AccessDenied', 'Access Denied', 403);
  const permission = `${route.service}:${route.action}`;
  const message =
    `User: arn:aws:iam::${ACCOUNT_ID}:user/emulator is not authorized to perform: ${permission} on resource: ` +
    `arn:aws:${route.service}:${region}:${ACCOUNT_ID}:* because no identity-based policy allows the ${permission} action`;
  return route.service === 'cloudformation' ? new ServiceError('AccessDenied', message, 403) : new ServiceError('AccessDeniedException', message);
}

function internalError(thrown: unknown, log: (line: string) => void): ServiceError {
  log(`internal error: ${thrown instanceof Error ? (thrown.stack ?? thrown.message) : String(thrown)}`);
  return new ServiceError('InternalFailure', `The emulator failed: ${thrown instanceof Error ? thrown.message : String(thrown)}`, 500);
}

function parseJson(body: string): Input {
  if (body.trim() === '') return {};
  let value: unknown;
  try {
    value = JSON.parse(body);
  } catch {
    throw new ServiceError('SerializationException', 'The request body is not valid JSON');
  }
  if (typeof value !== 'object' || value === null || Array.isArray(value))
    throw new ServiceError('SerializationException', 'The request body must be a JSON object');
  return value as Input;
}

/** The whole body as UTF-8, or undefined when it exceeds MAX_BODY_BYTES. */
async function readBody(req: IncomingMessage): Promise<string | undefined> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of req as AsyncIterable<Buffer>) {
    size += chunk.length;
    if (size > MAX_BODY_BYTES) return undefined;
    chunks.push(chunk);
  }
  return Buffer.concat(chunks).toString('utf8');
}

function flatHeaders(headers: IncomingHttpHeaders): Record<string, string> {
  const flat: Record<string, string> = {};
  for (const [name, value] of Object.entries(headers)) {
    if (value !== undefined) flat[name] = Array.isArray(value) ? value.join(', ') : value;
  }
  return flat;
}
