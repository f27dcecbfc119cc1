import { Worker } from 'node:worker_threads';
import type { IndexOutcome, IndexProgress } from './indexer';
import type { WorkerMessage, WorkerRequest } from './workerProtocol';

export interface RunFailure {
  readonly path: string;
  readonly message: string;
  readonly file: string | null;
  /** A run not evaluated yet (model files, no samples): its checkpoints' steps; null for a real failure. */
  readonly notEvaluated: readonly number[] | null;
}

export interface WorkerIndexResult {
  readonly outcomes: readonly IndexOutcome[];
  readonly failures: readonly RunFailure[];
  readonly cancelled: boolean;
}

/**
 * Indexes folders in a worker thread (`workerFile` is the built `indexWorker.js`). Resolves
 * when the worker is done; per-run failures are collected, not thrown, so one bad folder
 * never hides the others. `signal` cancels between checkpoints, rolling back the open run.
 */
export function indexInWorker(
  workerFile: string,
  request: WorkerRequest,
  hooks: { onProgress?: (p: IndexProgress) => void; onIndexed?: (o: IndexOutcome) => void; signal?: AbortSignal } = {},
): Promise<WorkerIndexResult> {
  return new Promise((resolve, reject) => {
    const worker = new Worker(workerFile, { workerData: request });
    const outcomes: IndexOutcome[] = [];
    const failures: RunFailure[] = [];
    let settled = false;
    const finish = (f: () => void) => {
      if (settled) return;
      settled = true;
      hooks.signal?.removeEventListener('abort', onAbort);
      // The worker listens for 'cancel', which keeps it alive: end it once it has reported.
      void worker.terminate();
      f();
    };
    const onAbort = () => worker.postMessage('cancel');
    hooks.signal?.addEventListener('abort', onAbort);
    if (hooks.signal?.aborted) onAbort();
    worker.on('message', (m: WorkerMessage) => {
      switch (m.type) {
        case 'progress':
          hooks.onProgress?.({ run: m.run, checkpoint: m.checkpoint, of: m.of });
          break;
        case 'indexed':
          outcomes.push(m.outcome);
          hooks.onIndexed?.(m.outcome);
          break;
        case 'failed':
          failures.push({ path: m.path, message: m.message, file: m.file, notEvaluated: m.notEvaluated });
          break;
        case 'done':
          finish(() => resolve({ outcomes, failures, cancelled: m.cancelled }));
          break;
        case 'crashed':
          finish(() => reject(new Error(`indexing worker failed: ${m.message}`)));
          break;
      }
    });
    worker.on('error', (e) => finish(() => reject(e)));
    worker.on('exit', (code) => finish(() => reject(new Error(`indexing worker exited with code ${code} before finishing`))));
  });
}
