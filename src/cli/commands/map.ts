import { REGION_CUTS, REGIONS, type Region } from '../../core/cartography';
import { num, pct } from '../../present/format';
import { describeCriterion } from '../../queries/exampleDetail';
import { dataMapOf, mapLines, regionStats, type RegionStats } from '../../queries/dataMap';
import { analyseRun } from '../../queries/runAnalysis';
import { defineCommand, UsageError } from '../command';
import { ANALYSIS_OPTIONS, analysisOptions, DB_OPTION, JSON_OPTION, wholeNumber } from '../options';
import { oneRun, singleRun, withStore } from '../session';
import { table } from '../table';

const isRegion = (s: string): s is Region => (REGIONS as readonly string[]).includes(s);

/**
 * A run's data map (dataset cartography): every example by the mean and spread of its sample
 * accuracy over the checkpoints, with its pre-memorization accuracy and memorization step.
 */
export const mapCommand = defineCommand({
  name: 'map',
  usage: '<run> [--db FILE] [analysis options as for report] [--region easy-to-learn|ambiguous|hard-to-learn] [--group N] [--json]',
  summary: 'the data map of a run: each example’s confidence and variability over the checkpoints, region and group of similar questions',
  options: {
    ...DB_OPTION,
    ...ANALYSIS_OPTIONS,
    region: { type: 'string', help: `${REGIONS.join('|')}  only the examples of this region` },
    group: { type: 'string', help: 'N  only the examples of this group of similar questions' },
    ...JSON_OPTION,
  },
  async run({ values: v, positionals, io }) {
    const dir = oneRun(positionals, 'map');
    if (v.region !== undefined && !isRegion(v.region)) throw new UsageError(`--region must be one of ${REGIONS.join(', ')}`);
    const group = wholeNumber(v.group, '--group', 1);
    const options = analysisOptions(v);
    await withStore(v.db, io, async (store) => {
      const run = await singleRun(store, dir, io);
      const analysis = await analyseRun(store, run, options);
      const map = dataMapOf(analysis, await store.examples(run.id));
      if (group !== undefined && !map.groups?.groups.some((g) => g.id === group))
        throw new UsageError(
          map.groups ? `${run.name} has no group ${group} (it has ${map.groups.groups.length})` : `${run.name} has no question texts to group: attach its dataset`,
        );
      const all = mapLines(map);
      const rows = all.flatMap((l, k) => ((v.region === undefined || l.region === v.region) && (group === undefined || l.group === group) ? [k] : []));
      const lines = rows.map((k) => all[k]!);
      if (v.json) {
        // One JSON object per line, in dataset order, as premem examples writes.
        for (const l of lines) io.json(l);
        return;
      }
      // The criterion as the example panel and the data map panel state it (the text one included).
      io.out(`${run.name}: ${lines.length} examples over ${map.checkpoints} checkpoints; memorized when ${describeCriterion(options, analysis)}`);
      io.out(`confidence: mean sample accuracy over the checkpoints; variability: its population standard deviation`);
      io.out(`regions: ambiguous where variability ≥ ${REGION_CUTS.variability}; else easy-to-learn where confidence ≥ ${REGION_CUTS.confidence}, hard-to-learn below\n`);
      io.out(
        table(
          ['region', 'examples', 'share', 'mean pre-mem acc', 'memorized'],
          regionStats(map.columns, rows).map((s) => regionRow(s, lines.length)),
          new Set([0]),
        ),
      );
      if (map.groups) {
        const shown = map.groups.groups.slice(0, 10);
        io.out(
          `\n${map.groups.groups.length} groups of similar questions (MinHash over words, Jaccard ≥ ${map.groups.minSimilarity})${shown.length < map.groups.groups.length ? `; the ${shown.length} largest` : ''}:`,
        );
        if (shown.length)
          io.out(
            table(
              ['group', 'questions', 'commonest words'],
              shown.map((g) => [String(g.id), String(g.size), g.label]),
              new Set([2]),
            ),
          );
      } else io.out('\nno question texts: groups of similar questions need the run’s dataset (premem attach)');
    });
    return 0;
  },
});

function regionRow(s: RegionStats, total: number): string[] {
  return [s.region, String(s.examples), pct(total ? s.examples / total : null), num(s.preMemorizationAccuracy), String(s.memorized)];
}
