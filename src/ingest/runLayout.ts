import { createHash } from 'node:crypto';
import { existsSync, readdirSync, readFileSync, statSync, type Dirent } from 'node:fs';
import { basename, dirname, join, relative, resolve } from 'node:path';
import { firstExisting } from './dataset';
import { InputError } from './errors';
import { isCheckpointFile } from './layouts/registry';

/**
 * Finding runs on disk and deciding which files belong to them, without reading any data:
 * this is what makes re-indexing an unchanged run cost a few `stat` calls.
 */

/** Bump when the readers change what they produce, so old indexes are rebuilt. */
export const INGEST_VERSION = 2;

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
  /**
   * What makes the run unreadable, found without reading data (a broken link, a pipe, two
   * folders for one step): the reader refuses the run with the first, naming the file. Kept
   * here rather than thrown so that one bad run never stops the discovery of its sweep.
   */
  readonly problems: readonly RunProblem[];
}

export interface RunProblem {
  readonly file: string;
  readonly reason: string;
}

/** Steps are integers JavaScript holds exactly; a larger one would be stored rounded. */
const MAX_STEP = Number.MAX_SAFE_INTEGER;

/** Why a path cannot be read as run data (not a regular file, a broken or looping link), or null. */
function unreadable(file: string): string | null {
  try {
    const st = statSync(file);
    return st.isFile() ? null : 'is not a regular file (a pipe, device or folder cannot be read as run data)';
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    if (code === 'ENOENT') return 'is a broken symbolic link (its target does not exist)';
    if (code === 'ELOOP') return 'is a symbolic link that loops';
    return `cannot be read: ${(e as Error).message}`;
  }
}

/** Size and time of each file; a file that cannot be read adds its reason to `problems` instead. */
function statFingerprint(files: readonly string[], problems: RunProblem[], base?: string): string {
  const h = createHash('sha1');
  h.update(`v${INGEST_VERSION}\n`);
  for (const f of files) {
    const reason = unreadable(f);
    if (reason !== null) {
      problems.push({ file: f, reason });
      h.update(`${base ? relative(base, f) : basename(f)}\t${reason}\n`);
      continue;
    }
    const st = statSync(f);
    h.update(`${base ? relative(base, f) : basename(f)}\t${st.size}\t${st.mtimeMs}\n`);
  }
  return h.digest('hex');
}

/** How deep under a checkpoint folder harness logs are looked for: `--output_path` adds a folder named after the model, sometimes two. */
const HARNESS_DEPTH = 3;
const HARNESS_LOG = /^samples_.+\.jsonl?$/;

/**
 * lm-evaluation-harness logs in sub-folders of a checkpoint (`--output_path <checkpoint>/lm_eval`
 * writes `lm_eval/<model name>/samples_<task>_<date>.jsonl`), sorted by path. Hidden folders and
 * nested checkpoint folders are not entered; links to folders are not followed.
 */
function nestedHarnessLogs(dir: string, depth = 1): string[] {
  if (depth > HARNESS_DEPTH) return [];
  let entries: Dirent[];
  try {
    entries = readdirSync(dir, { withFileTypes: true });
  } catch {
    return [];
  }
  const out: string[] = [];
  for (const e of entries.sort((a, b) => (a.name < b.name ? -1 : 1))) {
    if (!e.isDirectory() || e.name.startsWith('.') || CHECKPOINT_DIR.test(e.name)) continue;
    const sub = join(dir, e.name);
    try {
      for (const f of readdirSync(sub, { withFileTypes: true })) if (f.isFile() && HARNESS_LOG.test(f.name)) out.push(join(sub, f.name));
    } catch {
      continue;
    }
    out.push(...nestedHarnessLogs(sub, depth + 1));
  }
  return out.sort();
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

/**
 * The checkpoint folders of a run, by step. Two folders for one step (checkpoint-0116 and
 * checkpoint-116) and steps beyond 2^53 go to `problems`, naming the folders.
 */
function checkpointDirs(dir: string, problems: RunProblem[] = []): { step: number; dir: string }[] {
  const byStep = new Map<number, string>();
  for (const name of listDir(dir).sort()) {
    const m = CHECKPOINT_DIR.exec(name);
    if (!m || !isDir(join(dir, name))) continue;
    const step = Number(m[1]);
    const path = join(dir, name);
    if (!Number.isSafeInteger(step) || step > MAX_STEP) {
      problems.push({ file: path, reason: `step ${m[1]} is beyond 2^53: a step must be a whole number JavaScript holds exactly` });
      continue;
    }
    const other = byStep.get(step);
    if (other !== undefined) {
      problems.push({ file: path, reason: `names step ${step}, as ${basename(other)} does: one folder per step` });
      continue;
    }
    byStep.set(step, path);
  }
  // By the integer, never by name: checkpoint-116 comes after checkpoint-58.
  return [...byStep].map(([step, d]) => ({ step, dir: d })).sort((a, b) => a.step - b.step);
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

/** A dataset attached to a run or a sweep (user state, kept beside the flags; never written into run folders). */
export interface AttachedDataset {
  readonly trainFile: string;
  readonly testFile: string | null;
}

/** Attached datasets by the run or sweep folder they were attached to. */
export type Attachments = ReadonlyMap<string, AttachedDataset>;

export function describeRun(runDir: string, attachments: Attachments = new Map()): RunLayout {
  const path = resolve(runDir);
  const problems: RunProblem[] = [];
  const dirs = checkpointDirs(path, problems);
  if (dirs.length === 0 && problems.length === 0) throw new InputError(path, 'no checkpoint-<step> folders: not a run');
  const checkpoints = dirs.map(({ step, dir }) => {
    const files = [
      ...listDir(dir)
        .filter(isCheckpointFile)
        .sort()
        .map((f) => join(dir, f)),
      ...nestedHarnessLogs(dir),
    ];
    return { step, dir, files, fingerprint: statFingerprint(files, problems, dir) };
  });
  const sweepPath = dirname(path);
  const runJsonFile = firstExisting([join(path, 'run.json')]);
  const runJson = readRunJson(runJsonFile) as RunJson | null;
  const declared = (key: 'train_file' | 'test_file') => {
    const value = runJson?.[key];
    if (typeof value !== 'string') return [];
    const file = resolve(path, value);
    // A path that exists must be a regular file: "train_file": "/dev/zero" would never end.
    const reason = existsSync(file) ? unreadable(file) : null;
    if (reason !== null) problems.push({ file: runJsonFile ?? join(path, 'run.json'), reason: `"${key}" names ${file}, which ${reason}` });
    return reason === null ? [file] : [];
  };
  // A dataset the user attached (to the run, else to its sweep) comes first: it is their explicit choice.
  const attached = attachments.get(path) ?? attachments.get(sweepPath);
  const trainDatasetFile = firstExisting([...(attached ? [attached.trainFile] : []), ...declared('train_file'), join(path, 'train.jsonl'), join(sweepPath, 'train.jsonl')]);
  const testDatasetFile = firstExisting([...(attached?.testFile ? [attached.testFile] : []), ...declared('test_file'), join(path, 'test.jsonl'), join(sweepPath, 'test.jsonl')]);
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
    fingerprint: statFingerprint(runLevel, problems) + ':' + runLevel.join('|'),
    problems,
  };
}

/** A run folder, or a sweep: a folder whose sub-folders are runs. */
export function discoverRuns(dir: string, attachments: Attachments = new Map()): RunLayout[] {
  const path = resolve(dir);
  if (!isDir(path)) {
    listDir(path); // throws the precise reason (missing, not a folder, no permission)
    throw new InputError(path, 'not a folder');
  }
  if (checkpointDirs(path).length > 0) return [describeRun(path, attachments)];
  const runs = listDir(path)
    .sort()
    .map((name) => join(path, name))
    .filter((p) => isDir(p) && checkpointDirs(p).length > 0)
    .map((p) => describeRun(p, attachments));
  if (runs.length === 0) throw new InputError(path, 'no checkpoint-<step> folders here or in its sub-folders: neither a run nor a sweep');
  return runs;
}
