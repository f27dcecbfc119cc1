import { closeSync, fsyncSync, lstatSync, mkdirSync, openSync, readSync, realpathSync, renameSync, rmSync, writeSync, type Stats } from 'node:fs';
import { basename, dirname, join, resolve } from 'node:path';
import { randomBytes } from 'node:crypto';
import { InputError } from '../ingest/errors';

/**
 * The one rule for every file Premem Lens writes for a user (export, plan, perturb, similar,
 * sample's run files): never over a file it did not create for this purpose, never through a
 * symbolic link, never over the index, the flags database or a dataset a run reads, and never
 * half-written: the text goes to a new temporary file beside the target (created exclusively, so
 * no link can redirect it) and is renamed into place. A refusal names the path and the reason.
 *
 * `force` replaces only a file of the same kind this tool wrote (the caller's `isOwn` says which);
 * anything else is refused whatever the flags, since nothing the user can mean by `--force` is
 * served by destroying a file of another kind.
 */

export interface OwnedWrite {
  readonly path: string;
  readonly text: string | Uint8Array;
  /** Who writes, for messages: `premem export`. */
  readonly writer: string;
  /** True when the file already at `path` is one this writer made (its own kind); read only when it exists. */
  readonly isOwn: (path: string) => boolean;
  /** Replace a file this writer made. */
  readonly force: boolean;
  /** Paths never written, whatever the flags: the index, the flags database, datasets runs read. */
  readonly protectedPaths?: readonly ProtectedPath[];
  /** Create missing parent folders (a folder the command makes for this output), else refuse. */
  readonly makeParents?: boolean;
  readonly mode?: number;
}

export interface ProtectedPath {
  readonly path: string;
  /** What it is, for the refusal: "the flags database (every flag and note)". */
  readonly what: string;
}

function lstatOrNull(path: string): Stats | null {
  try {
    return lstatSync(path);
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') return null;
    throw new InputError(path, `cannot be examined: ${(e as Error).message}`);
  }
}

/** The real path of `path` (or of its nearest existing folder, joined with the rest), to compare places. */
function realPlace(path: string): string {
  const abs = resolve(path);
  try {
    return realpathSync(abs);
  } catch {
    const parent = dirname(abs);
    return parent === abs ? abs : join(realPlace(parent), basename(abs));
  }
}

/** Checks `request` against the rule without writing; throws the refusal. */
export function checkOwnedWrite(request: Omit<OwnedWrite, 'text'>): void {
  const path = resolve(request.path);
  const here = realPlace(path);
  for (const p of request.protectedPaths ?? []) {
    for (const suffix of ['', '-wal', '-shm', '-journal']) {
      if (realPlace(p.path + suffix) === here) throw new InputError(path, `is ${p.what}; ${request.writer} never writes over it`);
    }
  }
  // Inside a checkpoint folder a new file is read as that run's data (a JSONL named like
  // samples would join its figures): never written there, in any run.
  for (let d = dirname(path); d !== dirname(d); d = dirname(d)) {
    if (/^checkpoint-\d+$/.test(basename(d)))
      throw new InputError(path, `is inside the checkpoint folder ${d}, where Premem Lens reads a run's data; choose a path outside the run's checkpoints`);
  }
  const parent = dirname(path);
  const parentStat = lstatOrNull(parent);
  if (parentStat === null && !request.makeParents) throw new InputError(path, `cannot be written: the folder ${parent} does not exist`);
  if (parentStat !== null && !parentStat.isDirectory() && !(parentStat.isSymbolicLink() && lstatOrNull(realPlace(parent))?.isDirectory()))
    throw new InputError(path, `cannot be written: ${parent} is not a folder`);
  const stat = lstatOrNull(path);
  if (stat === null) return;
  if (stat.isSymbolicLink()) throw new InputError(path, `is a symbolic link; ${request.writer} never writes through a link (remove it or choose another path)`);
  if (stat.isDirectory()) throw new InputError(path, `is a folder; give a file path`);
  if (!stat.isFile()) throw new InputError(path, `is not a regular file (a FIFO, socket or device); ${request.writer} writes only regular files`);
  if (!request.isOwn(path)) throw new InputError(path, `exists and was not written by ${request.writer}; it is left as it is (choose another path)`);
  if (!request.force) throw new InputError(path, `exists (written by an earlier ${request.writer}); pass --force to replace it`);
}

/** Writes `request.text` to `request.path` under the rule; throws the refusal and writes nothing when it does not hold. */
export function writeOwnedFile(request: OwnedWrite): string {
  checkOwnedWrite(request);
  const path = resolve(request.path);
  if (request.makeParents) mkdirSync(dirname(path), { recursive: true });
  const tmp = join(dirname(path), `.${basename(path)}.premem-${process.pid}-${randomBytes(4).toString('hex')}.tmp`);
  // 'wx': created new, never opened through an existing name (a link planted there fails).
  const fd = openSync(tmp, 'wx', request.mode ?? 0o644);
  try {
    const bytes = typeof request.text === 'string' ? Buffer.from(request.text, 'utf8') : request.text;
    for (let done = 0; done < bytes.length;) done += writeSync(fd, bytes, done, bytes.length - done);
    fsyncSync(fd);
  } catch (e) {
    closeSync(fd);
    rmSync(tmp, { force: true });
    throw new InputError(path, `could not be written: ${(e as Error).message}`);
  }
  closeSync(fd);
  // The target may have changed since the check (another process): check again just before
  // the rename, so a link or a foreign file that appeared meanwhile is still refused.
  try {
    checkOwnedWrite(request);
    renameSync(tmp, path);
  } catch (e) {
    rmSync(tmp, { force: true });
    throw e;
  }
  return path;
}

/** The first `bytes` bytes of a file as text, or null when it cannot be opened. */
export function firstBytes(path: string, bytes: number): string | null {
  let fd: number;
  try {
    fd = openSync(path, 'r');
  } catch {
    return null;
  }
  try {
    const buffer = Buffer.alloc(bytes);
    const n = readSync(fd, buffer, 0, bytes, 0);
    return buffer.subarray(0, n).toString('utf8');
  } finally {
    closeSync(fd);
  }
}

/** True when the file holds `mark` within its first 512 bytes: how a generated text file is known again. */
export function startsWithMark(mark: string): (path: string) => boolean {
  return (path) => firstBytes(path, 512)?.includes(mark) ?? false;
}

/**
 * The first line of a JSONL file, parsed: `'empty'` for an empty file, null when it cannot be read
 * or is not JSON. How a JSONL the tool wrote (an export, perturbations, similar questions) is
 * known again by its first record.
 */
export function firstJsonlRecord(path: string): unknown {
  const head = firstBytes(path, 65536);
  if (head === null) return null;
  if (head === '') return 'empty';
  try {
    return JSON.parse(head.split('\n', 1)[0]!) as unknown;
  } catch {
    return null;
  }
}

/** True when the file's first line is a JSON object with every one of `keys` (or the file is empty). */
export function jsonlWithKeys(keys: readonly string[]): (path: string) => boolean {
  return (path) => {
    const v = firstJsonlRecord(path);
    return v === 'empty' || (!!v && typeof v === 'object' && !Array.isArray(v) && keys.every((k) => k in v));
  };
}
