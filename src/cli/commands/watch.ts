import { existsSync } from 'node:fs';
import { resolve } from 'node:path';
import { InputError } from '../../ingest/errors';
import { defineCommand } from '../command';
import { ANALYSIS_OPTIONS, analysisOptions, DB_OPTION } from '../options';
import { someFolders, withStore } from '../session';
import { watchRuns } from '../watch';

export const watchCommand = defineCommand({
  name: 'watch',
  usage: '<dir>... [--db FILE] [analysis options]',
  summary: 'follow runs while they train, announcing each new checkpoint; Ctrl-C stops',
  options: { ...DB_OPTION, ...ANALYSIS_OPTIONS },
  async run({ values: v, positionals, io }) {
    const folders = someFolders(positionals, 'watch').map((d) => resolve(d));
    const options = analysisOptions(v);
    for (const f of folders) if (!existsSync(f)) throw new InputError(f, 'no such folder');
    const stop = new AbortController();
    const onSignal = () => stop.abort();
    process.once('SIGINT', onSignal);
    process.once('SIGTERM', onSignal);
    try {
      await withStore(v.db, io, (store) => watchRuns(store, folders, options, io, stop.signal));
    } finally {
      process.off('SIGINT', onSignal);
      process.off('SIGTERM', onSignal);
    }
    return 0;
  },
});
