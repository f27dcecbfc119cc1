import { fork } from 'node:child_process';
import type { ScoreMessage, ScoreRequest } from './scoreProtocol';
import type { CheckpointScored, ScoreProgress } from './scoreRun';

/**
 * Scores a run in a child process (`workerFile` is the built `scoreWorker.js`). Resolves with
 * the number of checkpoints scored, or -1 when cancelled; each checkpoint is stored as it is
 * done, so `onCheckpoint` can refresh the views at once. Whatever happens in the child, the
 * caller's process only sees messages and an exit code.
 */
export function scoreInWorker(
  workerFile: string,
  request: ScoreRequest,
  hooks: { onProgress?: (p: ScoreProgress) => void; onCheckpoint?: (c: CheckpointScored) => void; signal?: AbortSignal } = {},
): Promise<number> {
  return new Promise((resolve, reject) => {
    const child = fork(workerFile, [], { stdio: ['ignore', 'ignore', 'pipe', 'ipc'] });
    let stderr = '';
    child.stderr?.on('data', (d: Buffer) => (stderr = (stderr + d.toString()).slice(-4000)));
    let settled = false;
    const finish = (f: () => void) => {
      if (settled) return;
      settled = true;
      hooks.signal?.removeEventListener('abort', onAbort);
      f();
    };
    const onAbort = () => child.connected && child.send('cancel');
    hooks.signal?.addEventListener('abort', onAbort);
    child.on('message', (m: ScoreMessage) => {
      if (m.type === 'progress') hooks.onProgress?.(m);
      else if (m.type === 'checkpoint') hooks.onCheckpoint?.(m);
      else if (m.type === 'done') finish(() => resolve(m.cancelled ? -1 : m.checkpoints));
      else finish(() => reject(new Error(m.message)));
    });
    child.on('error', (e) => finish(() => reject(e)));
    child.on('exit', (code, signal) => finish(() => reject(new Error(`the scoring process stopped (${signal ?? `exit code ${code}`}) before finishing${stderr ? `: ${stderr.trim()}` : ''}`))));
    child.send(request);
  });
}
