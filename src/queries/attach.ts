import { resolve } from 'node:path';
import { InputError } from '../ingest/errors';
import { RunReader } from '../ingest/runReader';
import { discoverRuns } from '../ingest/runLayout';
import type { IndexStore } from '../store/indexStore';

/**
 * Attaches a dataset to the runs of a folder (a run, or every run of a sweep) that have none of
 * their own: user state, never written into run folders. Checked before it is kept: each run is
 * opened with it, so a file that is not a dataset, or does not cover every analysed example, is
 * refused with the reason and nothing is stored. Resolves with the runs it now applies to.
 */
export async function attachDataset(store: IndexStore, dir: string, trainFile: string, testFile: string | null): Promise<string[]> {
  const folder = resolve(dir);
  const train = resolve(trainFile);
  const test = testFile === null ? null : resolve(testFile);
  const attachments = new Map(await store.attachments());
  attachments.set(folder, { trainFile: train, testFile: test });
  const layouts = discoverRuns(folder, attachments);
  for (const layout of layouts) {
    if (layout.trainDatasetFile !== train) throw new InputError(layout.path, `uses its own dataset (${layout.trainDatasetFile}); an attached one would not be read`);
    // Opening reads the dataset and checks it against the checkpoints' questions.
    const header = new RunReader(layout).open();
    const records = header.train.records;
    const missing = header.train.order.find((i) => records?.[i] === undefined);
    if (missing !== undefined) throw new InputError(train, `has no record for example ${missing}, which ${layout.name} analyses`);
  }
  await store.setAttachedDataset(folder, train, test);
  return layouts.map((l) => l.path);
}
