import { createHash } from 'node:crypto';
import { chmodSync, copyFileSync, lstatSync, mkdirSync, mkdtempSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, relative } from 'node:path';
import { fdir } from 'fdir';
import { create } from 'tar';
import { TaskError } from '@mt/cli';
import { AURORA_SQL_DIR, HISTORY_DDL, LOOKUP_SQL, RECORD_SQL, isRecorded, renderPhase } from '@mt/aurora';
import type { AuroraConfig, Tenant } from '@mt/tenant-config';

export interface Bundle {
  data: Buffer;
  sha256: string;
  files: string[];
}

/**
 * Every entry under dir that is not a folder, symbolic links included, as sorted full paths. fdir (the
 * crawler under tinyglobby) lists a link as an entry of its own and never follows it, so refuseSymlinks
 * sees them all; a glob would follow links (a linked folder's files passing as plain files, a broken
 * link vanishing) or, told not to, leave them out.
 */
const filesIn = (dir: string): string[] => new fdir().withFullPaths().crawl(dir).sync().sort();

/** A symlink would ship its target's content (anything on this machine): refused, with its path. */
function refuseSymlinks(root: string, files: string[]): string[] {
  const links = files.filter((f) => lstatSync(f).isSymbolicLink());
  if (links.length) {
    throw new TaskError(
      'BUNDLE_SYMLINK',
      `The files sent to the bastion may not be symbolic links (they would send whatever they point to): ${links.map((f) => relative(root, f)).join(', ')}.`,
      {
        hint: 'Replace each link by the file itself, or remove it.',
      },
    );
  }
  return files;
}

/**
 * What goes to the bastion: the Aurora SQL rendered here for every tenant (the bastion needs no
 * template engine), `bastion.autoTransfer` directories other than sql/ and files, phases.env
 * (phase=database lines for the bastion script), and the history table's DDL with each file's checksums. A deterministic tar.gz — sorted names, fixed modes
 * and times, no owners — so the same content always has the same sha256 and is not sent twice.
 */
export async function buildBundle(root: string, config: AuroraConfig, tenants: Tenant[]): Promise<Bundle> {
  const stage = mkdtempSync(join(tmpdir(), 'mt-bundle-'));
  try {
    const put = (rel: string, from: { file?: string; text?: string }) => {
      const to = join(stage, rel);
      mkdirSync(dirname(to), { recursive: true });
      if (from.file) copyFileSync(from.file, to);
      else writeFileSync(to, from.text!);
      chmodSync(to, rel.endsWith('.sh') ? 0o755 : 0o644);
    };
    const target = config.phases.schema?.connectionDb;
    const checksums: string[] = [];
    for (const phase of config.phaseOrder) {
      for (const f of renderPhase(root, phase, tenants, target)) {
        put(f.file, { text: f.sql });
        if (isRecorded(phase)) checksums.push(`${f.file} ${f.checksum} ${f.renderedChecksum}\n`);
      }
    }
    // The bastion keeps the same history as a local run: same table, same checksums.
    put('checksums.txt', { text: checksums.join('') });
    put('history.sql', { text: `${HISTORY_DDL};\n` });
    put('record.sql', { text: `\\set QUIET on\n${RECORD_SQL};\n` }); // no "INSERT 0 1" after each file
    put('lookup.sql', { text: `${LOOKUP_SQL};\n` });
    const { directories, files } = config.bastion.autoTransfer;
    for (const dir of directories.filter((d) => d !== 'sql' && d !== AURORA_SQL_DIR)) {
      const abs = join(root, dir);
      if (!statSync(abs, { throwIfNoEntry: false })?.isDirectory())
        throw new TaskError('BUNDLE_MISSING', `config.json bastion.autoTransfer.directories names "${dir}", which is not a folder of the workspace.`);
      for (const file of refuseSymlinks(root, filesIn(abs))) put(relative(root, file), { file });
    }
    for (const file of files) {
      if (!statSync(join(root, file), { throwIfNoEntry: false })?.isFile())
        throw new TaskError('BUNDLE_MISSING', `config.json bastion.autoTransfer.files names "${file}", which does not exist.`);
      refuseSymlinks(root, [join(root, file)]);
      put(file, { file: join(root, file) });
    }
    put('phases.env', { text: config.phaseOrder.map((p) => `${p}=${config.phases[p].connectionDb}\n`).join('') });
    const list = filesIn(stage)
      .map((f) => relative(stage, f))
      .sort();
    const chunks: Buffer[] = [];
    const stream = create({ cwd: stage, gzip: true, portable: true, mtime: new Date(0), noDirRecurse: true }, list);
    for await (const chunk of stream as AsyncIterable<Buffer>) chunks.push(chunk);
    const data = Buffer.concat(chunks);
    return { data, sha256: createHash('sha256').update(data).digest('hex'), files: list };
  } finally {
    rmSync(stage, { recursive: true, force: true });
  }
}
