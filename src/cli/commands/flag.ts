import { defineCommand, UsageError } from '../command';
import { DB_OPTION, wholeNumber } from '../options';
import { singleRun, withStore } from '../session';

export const flagCommand = defineCommand({
  name: 'flag',
  usage: '<run> <index>... [--db FILE] [--note TEXT] [--remove]',
  summary: 'flag examples (with a note) or remove flags; flags outlive every re-index',
  options: {
    ...DB_OPTION,
    note: { type: 'string', help: 'TEXT  a note kept with the flag' },
    remove: { type: 'boolean', help: 'remove the flags instead' },
  },
  async run({ values: v, positionals, io }) {
    const [dir, ...indexTexts] = positionals;
    if (dir === undefined || indexTexts.length === 0) throw new UsageError('flag needs a run folder and at least one example index');
    if (v.remove && v.note !== undefined) throw new UsageError('--note goes with flagging, not with --remove');
    const indices = indexTexts.map((t) => wholeNumber(t, 'an example index')!);
    await withStore(v.db, io, async (store) => {
      const run = await singleRun(store, dir, io);
      const known = new Set((await store.examples(run.id)).map((e) => e.index));
      const unknown = indices.filter((i) => !known.has(i));
      if (unknown.length) throw new UsageError(`run ${run.name} does not analyse example(s) ${unknown.join(', ')}`);
      for (const i of indices) {
        if (v.remove) {
          const removed = await store.removeFlag(run.path, i);
          io.err(`${removed ? 'unflagged' : 'was not flagged:'} ${run.name} #${i}`);
        } else {
          await store.setFlag(run.path, i, v.note ?? '');
          io.err(`flagged ${run.name} #${i}${v.note ? `: ${v.note}` : ''}`);
        }
      }
    });
    return 0;
  },
});
