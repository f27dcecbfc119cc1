import { timed } from '../../diagnostics/phaseTimes';
import { DEFAULT_CONTROL } from '../../queries/robustness';
import { analyseRuns } from '../../queries/report';
import { STEPS_SLICE } from '../../queries/slices';
import { defineCommand } from '../command';
import { ANALYSIS_OPTIONS, analysisOptions, DB_OPTION, JSON_OPTION } from '../options';
import { ensureIndexed, someFolders, withStore } from '../session';
import { slicesJson, slicesOf, slicesText } from './report';

/**
 * Pre-memorization accuracy within each level of a field, at the last checkpoint: `premem report
 * --by` on its own, with the difficulty level (MATH's `level`) by default where records carry it.
 */
export const slicesCommand = defineCommand({
  name: 'slices',
  usage: '<dir>... [--by FIELD|steps] [--db FILE] [analysis options as for report] [--json]',
  summary: 'per level of a field (by default the difficulty level): pre-memorization and train accuracy at the last checkpoint',
  options: {
    ...DB_OPTION,
    ...ANALYSIS_OPTIONS,
    by: { type: 'string', help: `FIELD|steps  the field to slice by (default: ${DEFAULT_CONTROL} where the records carry it, else the number of reference steps)` },
    ...JSON_OPTION,
  },
  async run({ values: v, positionals, io }) {
    const dirs = someFolders(positionals, 'slices');
    const options = analysisOptions(v);
    const slices = await withStore(v.db, io, async (store) => {
      const runs = await ensureIndexed(store, dirs, io, false);
      const analyses = await timed('analysis', () => analyseRuns(store, runs, options));
      return slicesOf(store, analyses, (fields) => v.by ?? (fields.includes(DEFAULT_CONTROL) ? DEFAULT_CONTROL : STEPS_SLICE));
    });
    if (v.json) {
      io.json(slicesJson(slices[0]?.by ?? v.by ?? DEFAULT_CONTROL, slices));
      return 0;
    }
    io.out(slices.map(slicesText).join('\n\n'));
    return 0;
  },
});
