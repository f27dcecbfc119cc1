import { UsageError, defineCommand } from '../command';
import { runExample } from '../exampleRun';
import { DB_OPTION } from '../options';

export const exampleCommand = defineCommand({
  name: 'example',
  usage: '[--out DIR] [--db FILE]',
  summary: 'generate the bundled example sweep, index it and report on it (start here)',
  options: { ...DB_OPTION, out: { type: 'string', help: 'DIR  where to write the sweep (default .premem/example-sweep)' } },
  async run({ values: v, positionals, io }) {
    if (positionals.length > 0) throw new UsageError('example takes no folders (use --out DIR)');
    await runExample({ outDir: v.out, db: v.db }, io);
    return 0;
  },
});
