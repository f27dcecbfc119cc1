import { InputError } from '../ingest/errors';
import { discoverRuns } from '../ingest/runLayout';
import { forecastOf, type Forecast } from './forecast';
import { predictTest, sweepModels, type SweepModel } from './runSummary';
import { analyseRun, type AnalysisOptions, type RunAnalysis } from './runAnalysis';
import { indexRun } from '../store/indexer';
import type { IndexStore } from '../store/indexStore';

/** A checkpoint that became part of the index while a run was followed. */
export interface NewCheckpoint {
  readonly run: string;
  readonly runPath: string;
  readonly step: number;
  readonly preMemorizationAccuracy: number;
  readonly testAccuracy: number | null;
  readonly predictedTestAccuracy: number | null;
  /** On the run's newest checkpoint: its final test accuracy forecast, while it is still training. */
  readonly forecast?: Forecast;
}

export interface FollowResult {
  readonly added: readonly NewCheckpoint[];
  /** Files that could not be read yet (most often: still being written); retry after a pause. */
  readonly pending: readonly InputError[];
}

/** "checkpoint-174 indexed: pre-memorization 0.50, predicted test 0.50" (measured test when there is one). */
export function describeNewCheckpoint(c: NewCheckpoint): string {
  const test =
    c.testAccuracy !== null ? `test ${c.testAccuracy.toFixed(2)}` : c.predictedTestAccuracy !== null ? `predicted test ${c.predictedTestAccuracy.toFixed(2)}` : 'no test accuracy';
  const f = c.forecast?.kind === 'forecast' ? c.forecast : null;
  const forecast = f ? `; final test forecast ${f.value.toFixed(2)}${f.band === null ? '' : ` ± ${f.band.toFixed(2)}`} after ${f.checkpoints} checkpoints` : '';
  return `${c.run}: checkpoint-${c.step} indexed: pre-memorization ${c.preMemorizationAccuracy.toFixed(2)}, ${test}${forecast}`;
}

/**
 * One pass over followed folders: brings every run up to date (incrementally, one transaction
 * per run) and says which checkpoints are new. A run whose files cannot be read yet — a `.npy`
 * shorter than its header says, a JSONL line cut short, a checkpoint missing a file — keeps its
 * previous index and is reported as pending; the caller tries again once writing pauses. Nothing
 * half-written is ever indexed, because a read error rolls the run's transaction back.
 */
export async function followOnce(store: IndexStore, folders: readonly string[], options: AnalysisOptions): Promise<FollowResult> {
  const added: NewCheckpoint[] = [];
  const pending: InputError[] = [];
  const attachments = await store.attachments();
  for (const layout of folders.flatMap((f) => discoverRuns(f, attachments))) {
    const before = await store.runByPath(layout.path);
    const known = new Set(before ? (await store.checkpoints(before.id)).map((c) => c.step) : []);
    try {
      await indexRun(store, layout);
    } catch (e) {
      if (e instanceof InputError) pending.push(e);
      else throw e;
      continue;
    }
    const run = (await store.runByPath(layout.path))!;
    let steps = (await store.checkpoints(run.id)).map((c) => c.step).filter((s) => !known.has(s));
    // A run seen for the first time is announced by its latest checkpoint, not all of them.
    if (!before) steps = steps.slice(-1);
    if (steps.length === 0) continue;
    // Predicted test accuracy from the run's sweep, as the runs view shows it.
    const sweepRuns = (await store.runs()).filter((r) => r.sweepPath === run.sweepPath);
    const analyses = await Promise.all(sweepRuns.map((r) => analyseRun(store, r, options)));
    const a = analyses.find((x) => x.run.path === run.path)!;
    added.push(...announce(a, sweepModels(analyses).get(run.sweepPath), (step) => steps.includes(step), analyses));
  }
  return { added, pending };
}

/**
 * What is said of a run's new checkpoints: pre-memorization accuracy, test accuracy measured or
 * predicted, and on the newest, the run's final test accuracy forecast from its sweep (`analyses`).
 */
export function announce(a: RunAnalysis, model: SweepModel | undefined, isNew: (step: number) => boolean, analyses: readonly RunAnalysis[]): NewCheckpoint[] {
  const last = a.checkpoints.at(-1)?.step;
  return a.checkpoints
    .filter((c) => isNew(c.step))
    .map((c) => {
      const x = c.summary.preMemorizationAccuracy;
      const base = {
        run: a.run.name,
        runPath: a.run.path,
        step: c.step,
        preMemorizationAccuracy: x,
        testAccuracy: c.testAccuracy,
        predictedTestAccuracy: predictTest(model, x).value,
      };
      return c.step === last ? { ...base, forecast: forecastOf(a, analyses) } : base;
    });
}
