import { fork } from 'node:child_process';
import type { ScoreMessage, ScoreRequest, SimilarRequest } from './scoreProtocol';
import type { CheckpointScored, ScoreProgress } from './scoreRun';

/**
 * Scores a run in a child process (`workerFile` is the built `scoreWorker.js`). Resolves with
 * the number of checkpoints scored, or -1 when cancelled; each checkpoint is stored as it is
 * done, so `onCheckpoint` can refresh the views at once. Whatever happens in the child, the
 * caller's process only sees messages and an exit code.
 */
/** Runs one request in the scoring process and settles on its final message. */
function inProcess<T>(workerFile: string, request: ScoreRequest | SimilarRequest, onMessage: (m: ScoreMessage, settle: (f: () => void) => void, resolve: (v: T) => void, reject: (e: Error) => void) => void, signal?: AbortSignal): Promise<T> {
  return new Promise<T>((resolve, reject) => {
    const child = fork(workerFile, [], { stdio: ['ignore', 'ignore', 'pipe', 'ipc'] });
    let stderr = '';
    child.stderr?.on('data', (d: Buffer) => (stderr = (stderr + d.toString()).slice(-4000)));
    let settled = false;
    const settle = (f: () => void) => {
      if (settled) return;
      settled = true;
      signal?.removeEventListener('abort', onAbort);
      f();
    };
    const onAbort = () => child.connected && child.send('cancel');
    signal?.addEventListener('abort', onAbort);
    child.on('message', (m: ScoreMessage) => onMessage(m, settle, resolve, reject));
    child.on('error', (e) => settle(() => reject(e)));
    child.on('exit', (code, sig) => settle(() => reject(new Error(`the scoring process stopped (${sig ?? `exit code ${code}`}) before finishing${stderr ? `: ${stderr.trim()}` : ''}`))));
    child.send(request);
  });
}

/** `premem similar` in the scoring process: the candidates nearest to the seed questions, written to a file. */
export function similarInProcess(workerFile: string, request: SimilarRequest): Promise<{ count: number; seeds: number; pool: number }> {
  return inProcess(workerFile, request, (m, settle, resolve, reject) => {
    if (m.type === 'similar') settle(() => resolve(m));
    else if (m.type === 'failed') settle(() => reject(new Error(m.message)));
  });
}

export function scoreInWorker(
  workerFile: string,
  request: ScoreRequest,
  hooks: { onProgress?: (p: ScoreProgress) => void; onCheckpoint?: (c: CheckpointScored) => void; signal?: AbortSignal } = {},
): Promise<number> {
  return inProcess<number>(
    workerFile,
    request,
    (m, settle, resolve, reject) => {
      if (m.type === 'progress') hooks.onProgress?.(m);
      else if (m.type === 'checkpoint') hooks.onCheckpoint?.(m);
      else if (m.type === 'done') settle(() => resolve(m.cancelled ? -1 : m.checkpoints));
      else if (m.type === 'failed') settle(() => reject(new Error(m.message)));
    },
    hooks.signal,
  );
}
