import pg from 'pg';
import type { Client } from 'pg';
import { TaskError } from '@mt/cli';
import { createDatabaseIfMissing } from '../database.ts';
import { withClient } from '../session.ts';
import { scramSecret } from './scram.ts';
import type { TenantDatabase, TenantRole } from './types.ts';

const id = pg.escapeIdentifier;
const literal = pg.escapeLiteral;

/** Written on every role we create: a role without it is someone else's and is never touched. */
const managedComment = (tenant: string, kind: TenantRole) => `${kind} role of tenant ${tenant}, managed by the multi-tenant task runner`;

/**
 * Sets up a tenant's roles and database as the admin (idempotent): the owner role owns the database
 * and everything in it, the reader role may connect and SELECT, nobody else may connect. Returns
 * 'shared' when the admin may not create roles (external servers): the tenant then runs as the admin.
 * `ownServer` (embedded, docker): the admin's own databases are closed to PUBLIC as well.
 */
export async function provisionTenant(
  admin: Client,
  openTenantDatabase: () => Promise<Client>,
  t: TenantDatabase,
  passwords: () => Record<TenantRole, string>,
  ownServer: boolean,
): Promise<'own' | 'shared'> {
  const me = (
    await admin.query<{ name: string; superuser: boolean; createrole: boolean }>(
      'select rolname as name, rolsuper as superuser, rolcreaterole as createrole from pg_roles where rolname = current_user',
    )
  ).rows[0];
  if (!me.superuser && !me.createrole) {
    await createDatabaseIfMissing(admin, t.database);
    return 'shared';
  }
  // Everything that would stop us is found before anything is created.
  const found = await checkRoles(admin, t);
  const databaseOwner = await ownerOf(admin, t.database);
  if (databaseOwner && databaseOwner !== t.roles.owner && databaseOwner !== me.name) throw ownedElsewhere(t, databaseOwner);

  const secrets = passwords();
  for (const kind of ['owner', 'reader'] as const) await setRole(admin, t, kind, secrets[kind], found.has(kind));
  // A CREATEROLE admin acts for the owner through membership (CREATE DATABASE … OWNER, default privileges).
  if (!me.superuser) await admin.query(`grant ${id(t.roles.owner)} to current_user`);
  // A database of the admin's was built by an earlier version: it and everything in it go to the owner.
  const adopt = databaseOwner === me.name;
  if (adopt) await admin.query(`alter database ${id(t.database)} owner to ${id(t.roles.owner)}`);
  if (!databaseOwner) {
    await createDatabaseIfMissing(admin, t.database, t.roles.owner);
    const owner = await ownerOf(admin, t.database); // another workspace may have won the race
    if (owner !== t.roles.owner) throw ownedElsewhere(t, owner ?? '(dropped)');
  }
  // On a server we run, no database of the admin's (earlier tenants', the Aurora phases', postgres) stays open to every role.
  if (ownServer) await admin.query(CLOSE_ADMIN_DATABASES);
  await withClient(openTenantDatabase(), (db) => db.query(grantsSql(t, adopt)));
  return 'own';
}

/** The tenant's roles that exist already; a role that exists and is not this tenant's stops everything. */
async function checkRoles(admin: Client, t: TenantDatabase): Promise<Set<TenantRole>> {
  const found = new Set<TenantRole>();
  for (const kind of ['owner', 'reader'] as const) {
    const role = t.roles[kind];
    const { rows } = await admin.query<{ superuser: boolean; comment: string | null }>(
      `select rolsuper as superuser, shobj_description(oid, 'pg_authid') as comment from pg_roles where rolname = $1`,
      [role],
    );
    if (!rows[0]) continue;
    if (rows[0].superuser || rows[0].comment !== managedComment(t.name, kind)) {
      const tenant = rows[0].comment?.match(/role of tenant (\S+), managed by/)?.[1];
      const whose = rows[0].superuser ? 'a superuser' : tenant ? `it belongs to tenant ${tenant}` : 'it was not created by this tool';
      throw new TaskError(
        'ROLE_TAKEN',
        `The ${kind} role "${role}" of tenant ${t.name} already exists on the server and is not this tenant's (${whose}): it is left as it is.`,
        {
          hint: `Name other roles in tenants/${t.name}/tenant.json ("roles": {"owner": "…", "reader": "…"}), or drop that role if it is a leftover.`,
        },
      );
    }
    found.add(kind);
  }
  return found;
}

async function setRole(admin: Client, t: TenantDatabase, kind: TenantRole, password: string, exists: boolean): Promise<void> {
  const role = id(t.roles[kind]);
  const secret = literal(scramSecret(password));
  if (!exists) {
    try {
      await admin.query(`create role ${role} login password ${secret}`);
    } catch (err) {
      if ((err as { code?: string }).code !== '42710') throw err; // created meanwhile by another workspace
      exists = true;
    }
  }
  // The stored password wins: a role whose password was changed, or lost with engine data, works again.
  if (exists) await admin.query(`alter role ${role} login password ${secret}`);
  await admin.query(`comment on role ${role} is ${literal(managedComment(t.name, kind))}`);
  if (kind === 'reader') await admin.query(`alter role ${role} set default_transaction_read_only = on`);
}

const ownerOf = async (admin: Client, database: string) =>
  (await admin.query<{ owner: string }>('select pg_get_userbyid(datdba) as owner from pg_database where datname = $1', [database])).rows[0]?.owner;

function ownedElsewhere(t: TenantDatabase, owner: string): TaskError {
  return new TaskError(
    'DB_OWNED_ELSEWHERE',
    `Database ${t.database} of tenant ${t.name} belongs to role "${owner}", not to the tenant's role "${t.roles.owner}": it is left as it is.`,
    {
      hint: `If it holds this tenant's data, hand it over (ALTER DATABASE ${t.database} OWNER TO ${t.roles.owner}, as an admin) and run again; otherwise give the tenant a database of its own in tenants/${t.name}/tenant.json.`,
    },
  );
}

const CLOSE_ADMIN_DATABASES = `
do $$ declare d text; begin
  for d in select datname from pg_database where not datistemplate and datdba = (select oid from pg_roles where rolname = current_user) loop
    begin
      execute format('revoke connect, temporary on database %I from public', d);
    exception when invalid_catalog_name then
      null; -- dropped by another session since the list was read: nothing left to close
    end;
  end loop;
end $$;`;

/**
 * Run in the tenant database as the admin. Nobody but the tenant's roles may connect; the reader gets
 * SELECT on every table, now and later (default privileges); `adopt` hands the admin's objects over.
 */
function grantsSql(t: TenantDatabase, adopt: boolean): string {
  const [db, owner, reader] = [id(t.database), id(t.roles.owner), id(t.roles.reader)];
  const userSchema = `n.nspname !~ '^pg_' and n.nspname <> 'information_schema'`;
  return `
revoke all on database ${db} from public;
grant connect on database ${db} to ${reader};
${adopt ? adoptSql(literal(t.roles.owner), userSchema) : ''}
do $$ begin
  if exists (select from pg_namespace where nspname = 'public') then revoke create on schema public from public; end if;
end $$;
alter default privileges for role ${owner} grant usage on schemas to ${reader};
alter default privileges for role ${owner} grant select on tables to ${reader};
do $$ declare s text; begin
  for s in select n.nspname from pg_namespace n where ${userSchema} loop
    execute format('grant usage on schema %I to %I', s, ${literal(t.roles.reader)});
    execute format('grant select on all tables in schema %I to %I', s, ${literal(t.roles.reader)});
  end loop;
end $$;`;
}

/** ALTER … OWNER for every schema, relation, routine and type the admin owns (sequences of a column follow their table). */
function adoptSql(owner: string, userSchema: string): string {
  return `
do $$ declare r record; me oid := (select oid from pg_roles where rolname = current_user); begin
  for r in select n.nspname from pg_namespace n where n.nspowner = me and ${userSchema} loop
    execute format('alter schema %I owner to %I', r.nspname, ${owner});
  end loop;
  for r in select c.oid::regclass as rel, case c.relkind when 'v' then 'view' when 'm' then 'materialized view' when 'S' then 'sequence' when 'f' then 'foreign table' else 'table' end as kind
           from pg_class c join pg_namespace n on n.oid = c.relnamespace
           where c.relowner = me and ${userSchema} and c.relkind in ('r', 'p', 'v', 'm', 'f', 'S')
             and not (c.relkind = 'S' and exists (select from pg_depend d where d.classid = 'pg_class'::regclass and d.objid = c.oid and d.deptype in ('a', 'i'))) loop
    execute format('alter %s %s owner to %I', r.kind, r.rel, ${owner});
  end loop;
  for r in select p.oid::regprocedure as fn from pg_proc p join pg_namespace n on n.oid = p.pronamespace where p.proowner = me and ${userSchema} loop
    execute format('alter routine %s owner to %I', r.fn, ${owner});
  end loop;
  for r in select t.oid::regtype as ty, t.typtype from pg_type t join pg_namespace n on n.oid = t.typnamespace
           where t.typowner = me and ${userSchema}
             and (t.typtype in ('e', 'd', 'r') or (t.typtype = 'c' and (select relkind from pg_class where oid = t.typrelid) = 'c')) loop
    execute format('alter %s %s owner to %I', case r.typtype when 'd' then 'domain' else 'type' end, r.ty, ${owner});
  end loop;
end $$;`;
}
