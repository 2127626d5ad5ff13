// @ts-check
/**
 * `aws` CLI stand-in for commands run by the emulated SSM agent, so that a bastion-side script can
 * read a secret "with its instance role": `aws secretsmanager get-secret-value --secret-id <id>
 * [--region r] [--query <Key>] [--output text|json]`. It calls the emulator's GetSecretValue over
 * HTTP, so the call is recorded like the instance role's call would be.
 *
 * Plain JavaScript without imports: it is copied onto the bastion as aws-shim.mjs and run by the
 * bastion's `aws` wrapper (see bastion.ts), which sets AWS_EMULATOR_URL and AWS_EMULATOR_REGION.
 * Exit codes follow the AWS CLI: 2 usage error (as v1), 254 service error, 255 other failure.
 */

const USAGE = 'usage: aws secretsmanager get-secret-value --secret-id <value> [--region <value>] [--query <Key>] [--output text|json]';
const OPTIONS = new Set(['--secret-id', '--region', '--query', '--output', '--version-id', '--version-stage']);

/**
 * @param {string} message
 * @param {number} code
 * @returns {never}
 */
function fail(message, code) {
  process.stderr.write(`${message}\n`);
  process.exit(code);
}

/**
 * @param {string[]} args
 * @returns {Record<string, string>}
 */
function parseOptions(args) {
  /** @type {Record<string, string>} */
  const options = {};
  for (let i = 0; i < args.length; i++) {
    const arg = /** @type {string} */ (args[i]);
    const eq = arg.indexOf('=');
    const name = eq > 0 ? arg.slice(0, eq) : arg;
    if (!OPTIONS.has(name)) fail(`${USAGE}\naws: error: Unknown options: ${arg}`, 2);
    const value = eq > 0 ? arg.slice(eq + 1) : args[++i];
    if (value === undefined) fail(`${USAGE}\naws: error: argument ${name}: expected one argument`, 2);
    options[name] = value;
  }
  return options;
}

/**
 * A SigV4-shaped Authorization header with a recognisable session key: the emulator does not check
 * signatures, but tests can tell the instance role's calls apart from the task runner's.
 * @param {string} region
 */
function authorization(region) {
  const date = new Date().toISOString().slice(0, 10).replace(/-/g, '');
  return `AWS4-HMAC-SHA256 Credential=ASIAEMULATORINSTANCEROLE/${date}/${region}/secretsmanager/aws4_request, SignedHeaders=content-type;host;x-amz-date;x-amz-target, Signature=${'0'.repeat(64)}`;
}

/** @param {string[]} argv */
async function main(argv) {
  const [service, operation, ...rest] = argv;
  if (service !== 'secretsmanager' || operation !== 'get-secret-value') {
    fail(`${USAGE}\naws: error: the emulator's aws stand-in does not support "${argv.slice(0, 2).join(' ')}"`, 2);
  }
  const options = parseOptions(rest);
  const secretId = options['--secret-id'];
  if (!secretId) fail(`${USAGE}\naws: error: the following arguments are required: --secret-id`, 2);
  const output = options['--output'] ?? 'json';
  if (output !== 'text' && output !== 'json') fail(`aws: error: argument --output: Invalid choice: '${output}' (choose from 'json', 'text')`, 2);
  const query = options['--query'];
  if (query !== undefined && !/^[A-Za-z]+$/.test(query))
    fail(`aws: error: the emulator's aws stand-in supports only a top-level key as --query (got "${query}")`, 2);
  if (query === undefined && output === 'text') fail(`aws: error: the emulator's aws stand-in needs --query with --output text`, 2);

  const url = process.env.AWS_EMULATOR_URL;
  if (!url) fail("aws: AWS_EMULATOR_URL is not set (run this through the bastion's aws wrapper)", 255);
  const region = options['--region'] ?? process.env.AWS_REGION ?? process.env.AWS_DEFAULT_REGION ?? process.env.AWS_EMULATOR_REGION ?? 'us-east-1';
  /** @type {Record<string, string>} */
  const input = { SecretId: secretId };
  if (options['--version-id']) input.VersionId = options['--version-id'];
  if (options['--version-stage']) input.VersionStage = options['--version-stage'];

  let response;
  try {
    response = await fetch(url, {
      method: 'POST',
      headers: {
        'content-type': 'application/x-amz-json-1.1',
        'x-amz-target': 'secretsmanager.GetSecretValue',
        'x-amz-date': new Date().toISOString().replace(/[-:]/g, '').replace(/\.\d+/, ''),
        'user-agent': 'aws-cli/2 aws-emulator-shim',
        authorization: authorization(region),
      },
      body: JSON.stringify(input),
    });
  } catch {
    fail(`\nCould not connect to the endpoint URL: "${url}/"`, 255);
  }
  const body = /** @type {Record<string, unknown>} */ (await response.json().catch(() => ({})));
  if (!response.ok) {
    const code = String(body.__type ?? 'Unknown')
      .split('#')
      .pop();
    const message = body.Message ?? body.message ?? '';
    fail(`\nAn error occurred (${code}) when calling the GetSecretValue operation: ${message}`, 254);
  }
  const value = query === undefined ? body : body[query];
  if (output === 'text') process.stdout.write(`${value === undefined || value === null ? 'None' : Array.isArray(value) ? value.join('\t') : String(value)}\n`);
  else process.stdout.write(`${JSON.stringify(value ?? null, null, 4)}\n`);
}

await main(process.argv.slice(2));
