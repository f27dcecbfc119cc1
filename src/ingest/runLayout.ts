import { createHash } from 'node:crypto';
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { basename, dirname, join, resolve } from 'node:path';
import { firstExisting } from './dataset';
import { InputError } from './errors';
import { isCheckpointFile } from './layouts/registry';

/**
 * Finding runs on disk and deciding which files belong to them, without reading any data:
 * this is what makes re-indexing an unchanged run cost a few `stat` calls.
 */

/** Bump when the readers change what they produce, so old indexes are rebuilt. */
export const INGEST_VERSION = 1;

const CHECKPOINT_DIR = /^checkpoint-(\d+)$/;
export interface CheckpointRef {
  readonly step: number;
  readonly dir: string;
  readonly files: readonly string[];
  readonly fingerprint: string;
}

export interface RunLayout {
  readonly path: string;
  readonly name: string;
  /** The folder holding the run, which is a sweep when it holds several. */
  readonly sweepPath: string;
  readonly checkpoints: readonly CheckpointRef[];
  readonly subsampleFile: string | null;
  readonly runJsonFile: string | null;
  readonly trainDatasetFile: string | null;
  readonly testDatasetFile: string | null;
  /** Fingerprint of the run-level inputs; a change means re-reading every checkpoint. */
  readonly fingerprint: string;
}

function statFingerprint(files: readonly string[]): string {
  const h = createHash('sha1');
  h.update(`v${INGEST_VERSION}\n`);
  for (const f of files) {
    const st = statSync(f);
    h.update(`${basename(f)}\t${st.size}\t${st.mtimeMs}\n`);
  }
  return h.digest('hex');
}

function listDir(dir: string): string[] {
  try {
    return readdirSync(dir);
  } catch (e) {
    const err = e as NodeJS.ErrnoException;
    throw new InputError(dir, err.code === 'ENOENT' ? 'no such folder' : `cannot read folder: ${err.message}`);
  }
}

function isDir(p: string): boolean {
  try {
    return statSync(p).isDirectory();
  } catch {
    return false;
  }
}

function checkpointDirs(dir: string): { step: number; dir: string }[] {
  const out: { step: number; dir: string }[] = [];
  for (const name of listDir(dir)) {
    const m = CHECKPOINT_DIR.exec(name);
    if (m && isDir(join(dir, name))) out.push({ step: Number(m[1]), dir: join(dir, name) });
  }
  // By the integer, never by name: checkpoint-116 comes after checkpoint-58.
  return out.sort((a, b) => a.step - b.step);
}

interface RunJson {
  readonly train_file?: unknown;
  readonly test_file?: unknown;
}

export function readRunJson(file: string | null): Record<string, unknown> | null {
  if (file === null) return null;
  try {
    const v: unknown = JSON.parse(readFileSync(file, 'utf8'));
    if (v === null || typeof v !== 'object' || Array.isArray(v)) throw new Error('not a JSON object');
    return v as Record<string, unknown>;
  } catch (e) {
    throw new InputError(file, `malformed run.json: ${(e as Error).message}`);
  }
}

export function describeRun(runDir: string): RunLayout {
  const path = resolve(runDir);
  const dirs = checkpointDirs(path);
  if (dirs.length === 0) throw new InputError(path, 'no checkpoint-<step> folders: not a run');
  const checkpoints = dirs.map(({ step, dir }) => {
    const files = listDir(dir)
      .filter(isCheckpointFile)
      .sort()
      .map((f) => join(dir, f));
    return { step, dir, files, fingerprint: statFingerprint(files) };
  });
  const sweepPath = dirname(path);
  const runJsonFile = firstExisting([join(path, 'run.json')]);
  const runJson = readRunJson(runJsonFile) as RunJson | null;
  const declared = (key: 'train_file' | 'test_file') => (runJson && typeof runJson[key] === 'string' ? [resolve(path, runJson[key])] : []);
  const trainDatasetFile = firstExisting([...declared('train_file'), join(path, 'train.jsonl'), join(sweepPath, 'train.jsonl')]);
  const testDatasetFile = firstExisting([...declared('test_file'), join(path, 'test.jsonl'), join(sweepPath, 'test.jsonl')]);
  const subsampleFile = firstExisting([join(path, 'subsample_idxs.npy')]);
  const runLevel = [subsampleFile, runJsonFile, trainDatasetFile, testDatasetFile].filter((f): f is string => f !== null);
  return {
    path,
    name: basename(path),
    sweepPath,
    checkpoints,
    subsampleFile,
    runJsonFile,
    trainDatasetFile,
    testDatasetFile,
    fingerprint: statFingerprint(runLevel) + ':' + runLevel.join('|'),
  };
}

/** A run folder, or a sweep: a folder whose sub-folders are runs. */
export function discoverRuns(dir: string): RunLayout[] {
  const path = resolve(dir);
  if (!isDir(path)) {
    listDir(path); // throws the precise reason (missing, not a folder, no permission)
    throw new InputError(path, 'not a folder');
  }
  if (checkpointDirs(path).length > 0) return [describeRun(path)];
  const runs = listDir(path)
    .sort()
    .map((name) => join(path, name))
    .filter((p) => isDir(p) && checkpointDirs(p).length > 0)
    .map(describeRun);
  if (runs.length === 0) throw new InputError(path, 'no checkpoint-<step> folders here or in its sub-folders: neither a run nor a sweep');
  return runs;
}
