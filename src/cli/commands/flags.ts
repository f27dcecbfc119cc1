import { defineCommand, UsageError } from '../command';
import { DB_OPTION, JSON_OPTION } from '../options';
import { withStore } from '../session';
import { table } from '../table';

export const flagsCommand = defineCommand({
  name: 'flags',
  usage: '[--db FILE] [--json]',
  summary: 'list every flag and its note',
  options: { ...DB_OPTION, ...JSON_OPTION },
  async run({ values: v, positionals, io }) {
    if (positionals.length > 0) throw new UsageError('flags takes no folders: it lists the flags of every run');
    const flags = await withStore(v.db, io, (store) => store.flags());
    if (v.json) {
      io.json(flags.map((f) => ({ run: f.runPath, index: f.index, note: f.note, created_at: f.createdAt, updated_at: f.updatedAt })));
    } else {
      io.out(
        flags.length === 0
          ? 'no flags'
          : table(
              ['run', 'index', 'note'],
              flags.map((f) => [f.runPath, String(f.index), f.note]),
              new Set([0, 2]),
            ),
      );
    }
    return 0;
  },
});
