import { defineCommand } from '../command';
import { DB_OPTION } from '../options';
import { ensureIndexed, someFolders, withStore } from '../session';

export const indexCommand = defineCommand({
  name: 'index',
  usage: '<dir>... [--db FILE]',
  summary: 'index runs and sweeps (incrementally: unchanged runs cost a few stat calls)',
  options: { ...DB_OPTION },
  async run({ values, positionals, io }) {
    const dirs = someFolders(positionals, 'index');
    await withStore(values.db, io, (store) => ensureIndexed(store, dirs, io, true));
    return 0;
  },
});
