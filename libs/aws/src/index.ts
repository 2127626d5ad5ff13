/**
 * @mt/aws — what every AWS call of the task runner shares:
 *   clientConfig(region, service)            endpoint and static keys from the task's environment
 *   accessError(err, call, region, allow)    no credentials / access refused, as one-paragraph TaskErrors
 *
 * The clients themselves stay with their callers (SSM and CloudFormation in @mt/ssm-transfer, S3 in
 * @mt/lake), so a task loads only the SDK it uses.
 */
import { TaskError, io } from '@mt/cli';

export type AwsService = 'SSM' | 'CLOUDFORMATION' | 'S3';

/**
 * What the SDK reads from process.env — the endpoint (`AWS_ENDPOINT_URL_<SERVICE>`, then
 * `AWS_ENDPOINT_URL`), static keys and the profile's name — read from the task's environment instead: for a
 * command run alone they are the same object; tests and a batch of tenants run tasks in-process, each with
 * its own. SSO and instance roles stay with the SDK's default chain. S3 behind a custom endpoint (LocalStack, MinIO, the emulator) is addressed
 * path-style, as those servers expect; on AWS itself bucket names go in the host name.
 */
export function clientConfig(region: string, service: AwsService) {
  const env = io().env;
  const endpoint = env[`AWS_ENDPOINT_URL_${service}`] || env.AWS_ENDPOINT_URL;
  const { AWS_ACCESS_KEY_ID: accessKeyId, AWS_SECRET_ACCESS_KEY: secretAccessKey, AWS_SESSION_TOKEN: sessionToken, AWS_PROFILE: profile } = env;
  return {
    region,
    retryMode: 'adaptive',
    ...(profile ? { profile } : {}),
    ...(endpoint ? { endpoint, ...(service === 'S3' ? { forcePathStyle: true } : {}) } : {}),
    ...(accessKeyId && secretAccessKey ? { credentials: { accessKeyId, secretAccessKey, sessionToken } } : {}),
  };
}

/**
 * No credentials at all, or credentials the service refused: named, with the permissions the call needs,
 * never retried. Undefined for any other error (the caller knows what its own errors mean).
 */
export function accessError(err: unknown, call: string, region: string, permissions: string[]): TaskError | undefined {
  const { name = 'Error', message } = err as { name?: string; message?: string };
  if (name === 'CredentialsProviderError' || /credential/i.test(message ?? '')) {
    return new TaskError('AWS_CREDENTIALS', `${call}: no AWS credentials were found (${message}).`, {
      hint: 'Set AWS_PROFILE or AWS_ACCESS_KEY_ID/AWS_SECRET_ACCESS_KEY (or run on a machine with a role).',
      cause: err,
    });
  }
  if (/AccessDenied|UnauthorizedOperation|UnrecognizedClient|InvalidSignature|InvalidAccessKeyId|SignatureDoesNotMatch/.test(name)) {
    return new TaskError('AWS_ACCESS', `${call} in ${region} was refused: ${name}: ${message}`, {
      hint: `Check the IAM permissions of your credentials (${permissions.join(', ')}).`,
      cause: err,
    });
  }
  return undefined;
}
