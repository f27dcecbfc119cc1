/**
 * Child-process entry for scoring in the editor: loads the ONNX models and tokenizers, scores
 * a run's references and stores them on its own SQLite connection; the extension host only
 * relays progress. A process rather than a worker thread: onnxruntime's native threads must
 * never be able to take the extension host down with them, not even when stopped mid-run.
 * Messages are those of `scoreProtocol.ts`, over the IPC channel.
 */
import { IndexStore } from '../store/indexStore';
import { SampleCancelled, sampleRun } from './sampleRun';
import type { SampleRequest, ScoreMessage, ScoreRequest, SimilarRequest } from './scoreProtocol';
import { findSimilar } from './similar';
import { ScoreCancelled, scoreRun } from './scoreRun';

let cancelled = false;

function post(m: ScoreMessage): Promise<void> {
  return new Promise((resolve) => process.send!(m, undefined, {}, () => resolve()));
}

async function run(request: ScoreRequest): Promise<void> {
  const store = await IndexStore.open(request.db);
  try {
    const target = await store.runByPath(request.runPath);
    if (!target) throw new Error(`${request.runPath} is not indexed`);
    const done = await scoreRun(
      store,
      target,
      { templates: request.templates, batch: request.batch },
      {
        isCancelled: () => cancelled,
        onBatch: (p) => void post({ type: 'progress', ...p }),
        onCheckpoint: (c) => void post({ type: 'checkpoint', ...c }),
      },
    );
    await post({ type: 'done', checkpoints: done.length, cancelled: false });
  } catch (e) {
    if (e instanceof ScoreCancelled) await post({ type: 'done', checkpoints: -1, cancelled: true });
    else await post({ type: 'failed', message: (e as Error).message });
  } finally {
    await store.close();
  }
}

async function sample(request: SampleRequest): Promise<void> {
  const store = await IndexStore.open(request.db);
  try {
    const target = await store.runByPath(request.runPath);
    if (!target) throw new Error(`${request.runPath} is not indexed`);
    const parts = await sampleRun(store, target, request.options, {
      isCancelled: () => cancelled,
      onProgress: (p) => void post({ type: 'sample-progress', ...p }),
      onPart: (p) => void post({ type: 'sample-part', ...p }),
    });
    await post({ type: 'done', checkpoints: new Set(parts.map((p) => p.step)).size, cancelled: false });
  } catch (e) {
    if (e instanceof SampleCancelled) await post({ type: 'done', checkpoints: -1, cancelled: true });
    else await post({ type: 'failed', message: (e as Error).message });
  } finally {
    await store.close();
  }
}

async function similar(request: SimilarRequest): Promise<void> {
  try {
    await post({ type: 'similar', ...(await findSimilar(request.options, request.seedIndices, request.seedQuestions)) });
  } catch (e) {
    await post({ type: 'failed', message: (e as Error).message });
  }
}

// The editor that started this process is gone (closed, reloaded, crashed): stop at once
// rather than score on for nobody. Checkpoints already stored stay stored.
process.on('disconnect', () => process.exit(0));

process.on('message', (m: unknown) => {
  if (m === 'cancel') cancelled = true;
  else if (typeof m === 'object' && m !== null) {
    const request = m as ScoreRequest | SimilarRequest | SampleRequest;
    void (request.kind === 'similar' ? similar(request) : request.kind === 'sample' ? sample(request) : run(request)).finally(() => process.exit(0));
  }
});
