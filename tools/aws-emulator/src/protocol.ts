/**
 * Wire helpers shared by the four services: errors, JSON 1.1 and query/XML responses, and the few
 * facts the emulator reads from a request's SigV4 headers.
 */
import { randomUUID } from 'node:crypto';
import type { ServerResponse } from 'node:http';

/** The account every emulated ARN lives in. */
export const ACCOUNT_ID = '123456789012';

/**
 * An error answered by a service. Handlers throw it; the router renders it in the service's protocol.
 * `code` becomes `err.name` in SDK v3.
 */
export class ServiceError extends Error {
  constructor(
    readonly code: string,
    message: string,
    readonly status = 400,
  ) {
    super(message);
    this.name = 'ServiceError';
  }
}

/**
 * For what the emulator does not implement. A distinct code, so that nobody mistakes the answer for
 * a real AWS error and writes product code against it.
 */
export function unsupported(what: string): ServiceError {
  return new ServiceError('EmulatorUnsupported', `@mt/aws-emulator does not implement ${what}`);
}

/** What every handler gets besides its input. */
export interface Call {
  region: string;
  requestId: string;
}

/** The region of the SigV4 credential scope (`Credential=AKID/20240101/eu-west-1/ssm/aws4_request`). */
export function signedRegion(authorization: string | undefined): string | undefined {
  return /Credential=[^/,\s]+\/\d{8}\/([a-z0-9-]+)\//.exec(authorization ?? '')?.[1];
}

/** The service of the SigV4 credential scope (`…/eu-west-1/s3/aws4_request`): how S3's REST requests are told apart. */
export function signedService(authorization: string | undefined): string | undefined {
  return /Credential=[^/,\s]+\/\d{8}\/[a-z0-9-]+\/([a-z0-9-]+)\/aws4_request/.exec(authorization ?? '')?.[1];
}

export const newRequestId = (): string => randomUUID();

/** JSON 1.1 answer (SSM, Secrets Manager). */
export function sendJson(res: ServerResponse, status: number, body: unknown, requestId: string): void {
  const text = JSON.stringify(body);
  res.writeHead(status, {
    'content-type': 'application/x-amz-json-1.1',
    'content-length': Buffer.byteLength(text),
    'x-amzn-requestid': requestId,
  });
  res.end(text);
}

/**
 * JSON 1.1 error: HTTP 400 `{"__type": code, <messageKey>: message}`. SDK v3 takes the code from
 * `__type` (a `namespace#` prefix would be stripped) and the text from `message` or `Message`; the
 * key differs per service (SSM documents `message`, Secrets Manager sends `Message`).
 */
export function sendJsonError(res: ServerResponse, error: ServiceError, requestId: string, messageKey: 'message' | 'Message'): void {
  sendJson(res, error.status, { __type: error.code, [messageKey]: error.message }, requestId);
}

export function sendXml(res: ServerResponse, status: number, xml: string, requestId: string): void {
  const text = `<?xml version="1.0" encoding="UTF-8"?>\n${xml}`;
  res.writeHead(status, {
    'content-type': 'text/xml',
    'content-length': Buffer.byteLength(text),
    'x-amzn-requestid': requestId,
  });
  res.end(text);
}

/**
 * Escapes text for XML content. CR is written as a character reference because XML parsers turn a
 * literal CR (or CRLF) into LF, which would silently change a value with Windows line ends.
 */
export function xmlEscape(text: string): string {
  return text.replace(/[&<>"'\r]/g, (c) => XML_ENTITIES[c] ?? c);
}

const XML_ENTITIES: Record<string, string> = { '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&apos;', '\r': '&#13;' };

/** `<Tag>escaped text</Tag>` */
export const xmlText = (tag: string, text: string): string => `<${tag}>${xmlEscape(text)}</${tag}>`;

/** Query-protocol error document (CloudFormation). `Type` is Sender for client errors. */
export function queryErrorXml(error: ServiceError, requestId: string, xmlns: string): string {
  const type = error.status >= 500 ? 'Receiver' : 'Sender';
  return (
    `<ErrorResponse xmlns="${xmlns}"><Error>${xmlText('Type', type)}${xmlText('Code', error.code)}` +
    `${xmlText('Message', error.message)}</Error>${xmlText('RequestId', requestId)}</ErrorResponse>`
  );
}

// --- reading a parsed JSON input without trusting it -------------------------------------------------

export type Input = Record<string, unknown>;

/** A member that must be a non-empty string. */
export function requiredString(input: Input, key: string): string {
  const value = input[key];
  if (typeof value !== 'string' || value === '') {
    throw new ServiceError(
      'ValidationException',
      `1 validation error detected: Value at '${lowerFirst(key)}' failed to satisfy constraint: Member must not be null`,
    );
  }
  return value;
}

export function optionalString(input: Input, key: string): string | undefined {
  const value = input[key];
  if (value === undefined || value === null) return undefined;
  if (typeof value !== 'string') throw new ServiceError('SerializationException', `${key} must be a string`);
  return value;
}

export function optionalStringList(input: Input, key: string): string[] | undefined {
  const value = input[key];
  if (value === undefined || value === null) return undefined;
  if (!Array.isArray(value) || value.some((v) => typeof v !== 'string')) {
    throw new ServiceError('SerializationException', `${key} must be a list of strings`);
  }
  return value as string[];
}

export function optionalList(input: Input, key: string): Input[] | undefined {
  const value = input[key];
  if (value === undefined || value === null) return undefined;
  if (!Array.isArray(value) || value.some((v) => typeof v !== 'object' || v === null)) {
    throw new ServiceError('SerializationException', `${key} must be a list of structures`);
  }
  return value as Input[];
}

const lowerFirst = (s: string): string => s.charAt(0).toLowerCase() + s.slice(1);
