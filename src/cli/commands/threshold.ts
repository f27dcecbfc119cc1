import { resolve } from 'node:path';
import { describeThreshold, parseThreshold } from '../../core/threshold';
import { discoverRuns } from '../../ingest/runLayout';
import { describeThresholdOrigin } from '../../present/format';
import { parseCalibration } from '../../queries/runAnalysis';
import { defineCommand, UsageError } from '../command';
import { ANALYSIS_OPTIONS, asUsage, DB_OPTION, JSON_OPTION } from '../options';
import { withStore } from '../session';

/**
 * The folder a threshold belongs to: a sweep, or a lone run (a run folder whose parent holds no
 * other run is its own sweep for this purpose).
 */
function thresholdFolder(dir: string): string {
  const path = resolve(dir);
  discoverRuns(path); // a run or a sweep, or a named error
  return path;
}

export const thresholdCommand = defineCommand({
  name: 'threshold',
  usage: '<dir> [--loglog-threshold T | --ppl-threshold P | --clear] [--db FILE] [--json]',
  summary: 'the memorization threshold kept for a sweep (or a run): show it, set it, or clear it',
  options: {
    ...DB_OPTION,
    'loglog-threshold': ANALYSIS_OPTIONS['loglog-threshold'],
    'ppl-threshold': ANALYSIS_OPTIONS['ppl-threshold'],
    clear: { type: 'boolean', help: 'forget the stored threshold (the default applies again)' },
    ...JSON_OPTION,
  },
  async run({ values: v, positionals, io }) {
    if (positionals.length !== 1) throw new UsageError('threshold takes one sweep or run folder');
    const folder = thresholdFolder(positionals[0]!);
    const setting = v['loglog-threshold'] !== undefined || v['ppl-threshold'] !== undefined;
    if (setting && v.clear) throw new UsageError('--clear goes alone');
    await withStore(v.db, io, async (store) => {
      if (v.clear) {
        const removed = await store.clearStoredThreshold(folder);
        io.err(removed ? `cleared the threshold of ${folder}` : `${folder} had no stored threshold`);
      } else if (setting) {
        const t = asUsage(() => parseThreshold(v['ppl-threshold'], v['loglog-threshold']));
        await store.setStoredThreshold(folder, t.kind, t.value, null);
        io.err(`${folder}: ${describeThresholdOrigin(t, { source: 'stored', path: folder, calibration: null })}`);
      }
      const stored = await store.storedThreshold([folder]);
      if (v.json) {
        io.json(
          stored
            ? {
                path: folder,
                ...describeThreshold({ kind: stored.kind, value: stored.value }),
                calibration: parseCalibration(stored.calibration),
              }
            : { path: folder, stored: null },
        );
        return;
      }
      if (!setting && !v.clear) {
        io.out(
          stored
            ? describeThresholdOrigin({ kind: stored.kind, value: stored.value }, { source: 'stored', path: folder, calibration: parseCalibration(stored.calibration) })
            : `no threshold stored for ${folder}: the default applies (ln ln −2.3, the authors' GSM8K value)`,
        );
      }
    });
    return 0;
  },
});
