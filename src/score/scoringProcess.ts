import { fork, type ChildProcess } from 'node:child_process';
import type { PartSampled, SampleProgress } from './sampleRun';
import type { SampleRequest, ScoreMessage, ScoreRequest, SimilarRequest } from './scoreProtocol';
import type { CheckpointScored, ScoreProgress } from './scoreRun';

/**
 * The editor's scoring process: onnxruntime runs in a child process (`scoringChild.js`), never
 * in the extension host, so nothing its native threads do can take the host down. The host
 * only sees messages and an exit code. A cancel asks the child to stop between batches; a child
 * that has not stopped `KILL_AFTER_MS` later is killed (checkpoints already stored stay).
 */
const KILL_AFTER_MS = 5000;

/** Children still running, so the extension can stop them when it is deactivated. */
const running = new Set<ChildProcess>();

/** Ends every scoring process (extension deactivation). */
export function stopScoringProcesses(): void {
  for (const child of running) child.kill('SIGKILL');
  running.clear();
}

/** Runs one request in a new scoring process and settles on its final message. */
function inProcess<T>(
  childFile: string,
  request: ScoreRequest | SimilarRequest | SampleRequest,
  onMessage: (m: ScoreMessage, settle: (f: () => void) => void, resolve: (v: T) => void, reject: (e: Error) => void) => void,
  signal?: AbortSignal,
  onKilled?: (settle: (f: () => void) => void, resolve: (v: T) => void) => void,
): Promise<T> {
  return new Promise<T>((resolve, reject) => {
    const child = fork(childFile, [], { stdio: ['ignore', 'ignore', 'pipe', 'ipc'] });
    running.add(child);
    let stderr = '';
    child.stderr?.on('data', (d: Buffer) => (stderr = (stderr + d.toString()).slice(-4000)));
    let settled = false;
    let killTimer: ReturnType<typeof setTimeout> | undefined;
    const settle = (f: () => void) => {
      if (settled) return;
      settled = true;
      clearTimeout(killTimer);
      signal?.removeEventListener('abort', onAbort);
      f();
    };
    const onAbort = () => {
      if (child.connected) child.send('cancel');
      // A forward pass can take long, and a similar search has no batches to stop between.
      killTimer = setTimeout(() => {
        child.kill('SIGKILL');
        if (onKilled) onKilled(settle, resolve);
      }, KILL_AFTER_MS);
    };
    if (signal?.aborted) onAbort();
    else signal?.addEventListener('abort', onAbort);
    child.on('message', (m: ScoreMessage) => onMessage(m, settle, resolve, reject));
    child.on('error', (e) => settle(() => reject(e)));
    child.on('exit', (code, sig) => {
      running.delete(child);
      settle(() => reject(new Error(`the scoring process stopped (${sig ?? `exit code ${code}`}) before finishing${stderr ? `: ${stderr.trim()}` : ''}`)));
    });
    child.send(request);
  });
}

/** `premem similar` in a scoring process: the candidates nearest to the seed questions, written to a file. */
export function similarInProcess(childFile: string, request: SimilarRequest, signal?: AbortSignal): Promise<{ count: number; seeds: number; pool: number } | null> {
  return inProcess<{ count: number; seeds: number; pool: number } | null>(
    childFile,
    request,
    (m, settle, resolve, reject) => {
      if (m.type === 'similar') settle(() => resolve(m));
      else if (m.type === 'failed') settle(() => reject(new Error(m.message)));
    },
    signal,
    (settle, resolve) => settle(() => resolve(null)),
  );
}

/**
 * Scores a run's references in a scoring process. Resolves with the number of checkpoints
 * scored, or -1 when cancelled; each checkpoint is stored as it is done, so `onCheckpoint` can
 * refresh the views at once.
 */
export function scoreInProcess(
  childFile: string,
  request: ScoreRequest,
  hooks: { onProgress?: (p: ScoreProgress) => void; onCheckpoint?: (c: CheckpointScored) => void; signal?: AbortSignal } = {},
): Promise<number> {
  return inProcess<number>(
    childFile,
    request,
    (m, settle, resolve, reject) => {
      if (m.type === 'progress') hooks.onProgress?.(m);
      else if (m.type === 'checkpoint') hooks.onCheckpoint?.(m);
      else if (m.type === 'done') settle(() => resolve(m.cancelled ? -1 : m.checkpoints));
      else if (m.type === 'failed') settle(() => reject(new Error(m.message)));
    },
    hooks.signal,
    (settle, resolve) => settle(() => resolve(-1)),
  );
}

/**
 * Samples a run's checkpoints in a scoring process (premem sample). Resolves with the number of
 * checkpoints sampled, or -1 when cancelled; what was written stays, and the same request
 * resumes it.
 */
export function sampleInProcess(
  childFile: string,
  request: SampleRequest,
  hooks: { onProgress?: (p: SampleProgress) => void; onPart?: (p: PartSampled) => void; signal?: AbortSignal } = {},
): Promise<number> {
  return inProcess<number>(
    childFile,
    request,
    (m, settle, resolve, reject) => {
      if (m.type === 'sample-progress') hooks.onProgress?.(m);
      else if (m.type === 'sample-part') hooks.onPart?.(m);
      else if (m.type === 'done') settle(() => resolve(m.cancelled ? -1 : m.checkpoints));
      else if (m.type === 'failed') settle(() => reject(new Error(m.message)));
    },
    hooks.signal,
    (settle, resolve) => settle(() => resolve(-1)),
  );
}
