/**
 * CloudFormation (query protocol: form POST `Action=DescribeStacks&Version=2010-05-15&StackName=…`,
 * answered with XML). SDK v3 reads the result from `<DescribeStacksResponse><DescribeStacksResult>`:
 * without the Result wrapper it silently returns `{}`, so the wrapper is not optional.
 */
import { createHash } from 'node:crypto';
import { ACCOUNT_ID, type Call, ServiceError, unsupported, xmlText } from './protocol.ts';

export const CLOUDFORMATION_XMLNS = 'http://cloudformation.amazonaws.com/doc/2010-05-15/';

export interface StackSpec {
  outputs: Record<string, string>;
  status?: string;
}

export class CloudFormation {
  private readonly createdAt = new Date();

  constructor(private readonly stacks: Record<string, StackSpec>) {}

  /** Returns the XML document of a successful answer. */
  handle(action: string, form: URLSearchParams, call: Call): string {
    if (action !== 'DescribeStacks') throw unsupported(`CloudFormation ${action}`);
    return this.describeStacks(form, call);
  }

  private describeStacks(form: URLSearchParams, call: Call): string {
    const wanted = form.get('StackName');
    let names = Object.keys(this.stacks);
    if (wanted !== null && wanted !== '') {
      // A stack is named by its name or its StackId (ARN).
      const name = names.find((n) => n === wanted || this.stackId(n, call.region) === wanted);
      if (name === undefined) throw new ServiceError('ValidationError', `Stack with id ${wanted} does not exist`);
      names = [name];
    }
    const members = names.map((name) => this.stackXml(name, call.region)).join('');
    return (
      `<DescribeStacksResponse xmlns="${CLOUDFORMATION_XMLNS}"><DescribeStacksResult><Stacks>${members}</Stacks></DescribeStacksResult>` +
      `<ResponseMetadata>${xmlText('RequestId', call.requestId)}</ResponseMetadata></DescribeStacksResponse>`
    );
  }

  private stackXml(name: string, region: string): string {
    const stack = this.stacks[name] as StackSpec;
    const outputs = Object.entries(stack.outputs)
      .map(([key, value]) => `<member>${xmlText('OutputKey', key)}${xmlText('OutputValue', value)}</member>`)
      .join('');
    return (
      '<member>' +
      xmlText('StackId', this.stackId(name, region)) +
      xmlText('StackName', name) +
      xmlText('CreationTime', this.createdAt.toISOString()) +
      xmlText('StackStatus', stack.status ?? 'CREATE_COMPLETE') +
      xmlText('DisableRollback', 'false') +
      // Like the service, a stack without outputs has no Outputs element at all.
      (outputs ? `<Outputs>${outputs}</Outputs>` : '') +
      '<Tags/>' +
      xmlText('EnableTerminationProtection', 'false') +
      `<DriftInformation>${xmlText('StackDriftStatus', 'NOT_CHECKED')}</DriftInformation>` +
      '</member>'
    );
  }

  /** A stable, realistic StackId: the same name and region always give the same ARN. */
  private stackId(name: string, region: string): string {
    const hex = createHash('sha256').update(`${region}/${name}`).digest('hex');
    const uuid = `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20, 32)}`;
    return `arn:aws:cloudformation:${region}:${ACCOUNT_ID}:stack/${name}/${uuid}`;
  }
}
