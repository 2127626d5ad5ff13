import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import test from 'ava';
import { TaskError } from '@mt/cli';
import { assertEnvironment, loadAuroraConfig } from '@mt/tenant-config';
import { REPO } from '../../tenant/test/support/workspace.ts';

test('the shipped config.json: the original phases and transfer list, one environment', (t) => {
  const config = loadAuroraConfig(REPO);
  t.deepEqual(config.phaseOrder, ['database', 'schema', 'data', 'verification']);
  t.is(config.phases.database.connectionDb, 'postgres');
  t.is(config.phases.schema.connectionDb, 'multitenant_analytics');
  t.deepEqual(config.bastion.autoTransfer, { enabled: true, directories: ['sql', 'scripts'], files: ['config.json'] });
  t.is(assertEnvironment(config, 'dev').bastion.instanceId, 'i-0123456789abcdef0');
  t.regex(
    t.throws(() => assertEnvironment(config, 'prod'), { instanceOf: TaskError })!.message,
    /Unknown environment "prod": config\.json "environments" has dev/,
  );
});

test('an invalid config.json lists every problem at once', (t) => {
  const root = mkdtempSync(join(tmpdir(), 'mt-config-'));
  try {
    writeFileSync(
      join(root, 'config.json'),
      JSON.stringify({
        aurora: { phases: { database: { connection_db: 'Post-gres' }, schema: {} } },
        bastion: { autoTransfer: { directories: ['../etc'], files: ['/etc/passwd'] } },
        environments: { dev: { region: 'eu-west-1', bastion: { instanceId: 'web-1' } } },
      }),
    );
    const err = t.throws(() => loadAuroraConfig(root), { instanceOf: TaskError })!;
    t.is(err.code, 'INVALID_CONFIG');
    for (const part of [
      'aurora.phases.database.connection_db',
      'aurora.phases.schema.connection_db',
      'bastion.autoTransfer.directories',
      'bastion.autoTransfer.files',
      'environments.dev.stackName',
      'environments.dev.secretId',
      'environments.dev.bastion.instanceId',
    ]) {
      t.true(err.message.includes(part), part);
    }
  } finally {
    rmSync(root, { recursive: true, force: true });
  }
});

test('config.json may not send a phase into a template or a tenant database', (t) => {
  const root = mkdtempSync(join(tmpdir(), 'mt-config-'));
  try {
    mkdirSync(join(root, 'tenants', 'tenant_a'), { recursive: true });
    writeFileSync(join(root, 'tenants', 'tenant_a', 'tenant.json'), JSON.stringify({ name: 'tenant_a', database: 'tenant_a_db' }));
    writeFileSync(
      join(root, 'config.json'),
      JSON.stringify({ aurora: { phases: { database: { connection_db: 'template1' }, schema: { connection_db: 'tenant_a_db' } } } }),
    );
    const err = t.throws(() => loadAuroraConfig(root), { instanceOf: TaskError })!;
    t.regex(
      err.message,
      /"aurora\.phases\.database\.connection_db" is template1, a template: every database created later would copy what the phase puts there/,
    );
    t.regex(err.message, /"aurora\.phases\.schema\.connection_db" is tenant_a_db, the database of tenant tenant_a/);
  } finally {
    rmSync(root, { recursive: true, force: true });
  }
});
