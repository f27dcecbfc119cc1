/**
 * Worker-thread entry: indexes folders on its own SQLite connection so the caller's thread
 * (the editor's extension host) never decodes arrays or waits on file reads. Talks to the
 * host only through the messages in `workerProtocol.ts`.
 */
import { parentPort, workerData } from 'node:worker_threads';
import { InputError, NotEvaluatedError } from '../ingest/errors';
import { discoverRuns } from '../ingest/runLayout';
import { IndexCancelled, indexRun } from './indexer';
import { IndexStore } from './indexStore';
import type { WorkerRequest, WorkerMessage } from './workerProtocol';

async function main(): Promise<void> {
  const port = parentPort!;
  const { db, folders, exclude = [] } = workerData as WorkerRequest;
  const closed = new Set(exclude);
  let cancelled = false;
  port.on('message', (m: unknown) => {
    if (m === 'cancel') cancelled = true;
  });
  const post = (m: WorkerMessage) => port.postMessage(m);
  const store = await IndexStore.open(db);
  const attachments = await store.attachments();
  try {
    for (const folder of folders) {
      let layouts;
      try {
        layouts = discoverRuns(folder, attachments);
      } catch (e) {
        post({ type: 'failed', path: folder, message: (e as Error).message, file: e instanceof InputError ? e.file : null, notEvaluated: null });
        continue;
      }
      for (const layout of layouts.filter((l) => !closed.has(l.path) && !closed.has(l.sweepPath))) {
        if (cancelled) break;
        try {
          const outcome = await indexRun(store, layout, {
            isCancelled: () => cancelled,
            onProgress: (p) => post({ type: 'progress', run: p.run, checkpoint: p.checkpoint, of: p.of }),
          });
          post({ type: 'indexed', outcome });
        } catch (e) {
          if (e instanceof IndexCancelled) break;
          // One bad run never stops the others; its previous index stays as it was.
          post({
            type: 'failed',
            path: layout.path,
            message: (e as Error).message,
            file: e instanceof InputError ? e.file : null,
            notEvaluated: e instanceof NotEvaluatedError ? [...e.steps] : null,
          });
        }
      }
    }
  } finally {
    await store.close();
  }
  post({ type: 'done', cancelled });
}

main().catch((e: unknown) => parentPort!.postMessage({ type: 'crashed', message: (e as Error).stack ?? String(e) } satisfies WorkerMessage));
