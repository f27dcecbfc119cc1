import { resolve } from 'node:path';
import { attachDataset } from '../../queries/attach';
import { defineCommand, UsageError } from '../command';
import { DB_OPTION } from '../options';
import { ensureIndexed, withStore } from '../session';

export const attachCommand = defineCommand({
  name: 'attach',
  usage: '<run-or-sweep> --train FILE [--test FILE] [--db FILE]\n       premem attach <run-or-sweep> --clear',
  summary: 'attach a dataset file to runs that have no texts (kept beside the flags; run folders are never written)',
  options: {
    ...DB_OPTION,
    train: { type: 'string', help: 'FILE  the training set as JSONL, {"question", "answer"} per line, in dataset order' },
    test: { type: 'string', help: 'FILE  the test set, the same way' },
    clear: { type: 'boolean', help: 'detach it again' },
  },
  async run({ values: v, positionals, io }) {
    if (positionals.length !== 1) throw new UsageError('attach takes one run or sweep folder');
    const dir = resolve(positionals[0]!);
    if (v.clear && (v.train !== undefined || v.test !== undefined)) throw new UsageError('--clear goes alone');
    if (!v.clear && v.train === undefined) throw new UsageError('attach needs --train FILE (or --clear)');
    await withStore(v.db, io, async (store) => {
      if (v.clear) {
        io.err((await store.clearAttachedDataset(dir)) ? `detached the dataset of ${dir}` : `${dir} had no attached dataset`);
      } else {
        const runs = await attachDataset(store, dir, v.train!, v.test ?? null);
        io.err(`attached ${resolve(v.train!)} to ${runs.length} run${runs.length === 1 ? '' : 's'}`);
      }
      // Re-index now: the examples gain (or lose) their questions and references.
      await ensureIndexed(store, [dir], io, false);
    });
    return 0;
  },
});
