import { resolve } from 'node:path';
import { defineCommand, UsageError } from '../command';
import { DB_OPTION } from '../options';
import { withStore } from '../session';

export const forgetCommand = defineCommand({
  name: 'forget',
  usage: '<dir> [--db FILE]',
  summary: 'remove a run, or a sweep’s runs, from the index (flags stay; index it again to bring it back)',
  options: { ...DB_OPTION },
  async run({ values: v, positionals, io }) {
    if (positionals.length !== 1) throw new UsageError('forget takes one run or sweep folder');
    const dir = resolve(positionals[0]!);
    const removed = await withStore(v.db, io, (store) => store.forget(dir));
    io.err(removed.length === 0 ? `${dir} is not in the index` : `forgot ${removed.length} run${removed.length === 1 ? '' : 's'}: ${removed.join(', ')} (their flags are kept)`);
    return 0;
  },
});
