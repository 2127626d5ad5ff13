/**
 * Secrets Manager (JSON 1.1, `x-amz-target: secretsmanager.GetSecretValue`). A secret is found by its
 * name, its full ARN, or its partial ARN (the ARN without the random 6-character suffix), as in AWS.
 */
import { createHash } from 'node:crypto';
import { ACCOUNT_ID, type Call, type Input, optionalString, requiredString, ServiceError, unsupported } from './protocol.ts';

interface Secret {
  name: string;
  value: string;
  /** Set when the secret was configured by ARN; otherwise the ARN is built per request region. */
  arn?: string;
}

const SECRET_ARN = /^arn:aws[a-z-]*:secretsmanager:[a-z0-9-]+:\d{12}:secret:(.+)-[A-Za-z0-9]{6}$/;

export class SecretsManager {
  private readonly secrets: Secret[];
  /** CreatedDate of every secret: when the emulator started. */
  private readonly createdAt = new Date();

  constructor(secrets: Record<string, string>) {
    this.secrets = Object.entries(secrets).map(([id, value]) => {
      const fromArn = SECRET_ARN.exec(id);
      return fromArn ? { name: fromArn[1] as string, value, arn: id } : { name: id, value };
    });
  }

  handle(action: string, input: Input, call: Call): unknown {
    if (action !== 'GetSecretValue') throw unsupported(`Secrets Manager ${action}`);
    const secretId = requiredString(input, 'SecretId');
    const stage = optionalString(input, 'VersionStage');
    const secret = this.secrets.find((s) => {
      const arn = this.arn(s, call.region);
      return secretId === s.name || secretId === arn || secretId === arn.slice(0, -7);
    });
    if (!secret) throw new ServiceError('ResourceNotFoundException', "Secrets Manager can't find the specified secret.");
    const arn = this.arn(secret, call.region);
    const versionId = stableUuid(`version/${arn}`);
    const requestedVersion = optionalString(input, 'VersionId');
    if ((stage !== undefined && stage !== 'AWSCURRENT') || (requestedVersion !== undefined && requestedVersion !== versionId)) {
      throw new ServiceError(
        'ResourceNotFoundException',
        "Secrets Manager can't find the specified secret value for staging label: " + (stage ?? requestedVersion),
      );
    }
    return {
      ARN: arn,
      Name: secret.name,
      VersionId: versionId,
      SecretString: secret.value,
      VersionStages: ['AWSCURRENT'],
      // JSON 1.1 timestamps are epoch seconds (a number), not ISO strings.
      CreatedDate: this.createdAt.getTime() / 1000,
    };
  }

  /** The configured ARN, or a stable one: same name and region, same random-looking suffix. */
  private arn(secret: Secret, region: string): string {
    if (secret.arn) return secret.arn;
    const suffix = createHash('sha256').update(secret.name).digest('base64url').replace(/[-_]/g, 'x').slice(0, 6);
    return `arn:aws:secretsmanager:${region}:${ACCOUNT_ID}:secret:${secret.name}-${suffix}`;
  }
}

function stableUuid(seed: string): string {
  const hex = createHash('sha256').update(seed).digest('hex');
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-4${hex.slice(13, 16)}-a${hex.slice(17, 20)}-${hex.slice(20, 32)}`;
}
