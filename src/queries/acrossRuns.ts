import type { OtherRun } from '../protocol/examplePanel';
import { finiteOrNull } from './report';
import { categorize } from '../core/metrics';
import { exampleFigures, type RunAnalysis, type RunView } from './runAnalysis';
import type { StoredExample } from '../store/indexStore';

/**
 * One example in every run of a sweep: when it was memorized, how far it got before, and its
 * pattern, run by run. The paper's question is about a sweep, not a run.
 */
export function exampleAcrossRuns(
  views: readonly RunView[],
  examplesOf: ReadonlyMap<number, readonly StoredExample[]>,
  sweepPath: string,
  index: number,
  currentRun: string,
): OtherRun[] {
  const out: OtherRun[] = [];
  for (const v of views) {
    if (v.run.sweepPath !== sweepPath || !v.analysis) continue;
    const e = examplesOf.get(v.run.id)?.find((x) => x.index === index);
    if (!e) continue; // this run does not analyse it (its subsample)
    const f = exampleFigures(v.analysis, e.position, e.index);
    out.push({
      runPath: v.run.path,
      runName: v.run.name,
      current: v.run.path === currentRun,
      memorizationStep: f.memorizationStep,
      memorizationEpoch: finiteOrNull(f.memorizationEpoch),
      preMemorizationAccuracy: finiteOrNull(f.preMemorizationAccuracy.at(-1) ?? null),
      trainAccuracy: finiteOrNull(f.trainAccuracy.at(-1) ?? null),
      category: f.category,
    });
  }
  return out;
}

/** How consistently an example stays unlearned across the runs of a sweep. */
export interface Unlearned {
  readonly index: number;
  /** Runs that analyse it. */
  readonly runs: number;
  /** Runs in which it was memorized before any sample solved it. */
  readonly memorizedBeforeSolved: number;
  /** Its final pre-memorization accuracy, averaged over those runs (unknowns left out). */
  readonly meanPreMemorizationAccuracy: number | null;
}

/**
 * Every example of a sweep, ranked by how consistently the runs copied it without solving it:
 * most runs first, then the lowest mean pre-memorization accuracy, then the dataset index. The
 * examples no learning rate or epoch count taught, only made the model copy.
 */
export function unlearnedAcrossRuns(analyses: readonly RunAnalysis[], examplesOf: ReadonlyMap<number, readonly StoredExample[]>): Unlearned[] {
  const acc = new Map<number, { runs: number; copied: number; sum: number; known: number }>();
  for (const a of analyses) {
    const J = a.checkpoints.length - 1;
    if (J < 0) continue;
    for (const e of examplesOf.get(a.run.id) ?? []) {
      const s = acc.get(e.index) ?? { runs: 0, copied: 0, sum: 0, known: 0 };
      s.runs++;
      if (categorize(a.input, a.metrics, e.position) === 'memorized-before-solved') s.copied++;
      const p = a.metrics.preMemorization[J]![e.position]!;
      if (Number.isFinite(p)) {
        s.sum += p;
        s.known++;
      }
      acc.set(e.index, s);
    }
  }
  return [...acc]
    .map(([index, s]) => ({ index, runs: s.runs, memorizedBeforeSolved: s.copied, meanPreMemorizationAccuracy: s.known ? s.sum / s.known : null }))
    .sort(
      (x, y) => y.memorizedBeforeSolved - x.memorizedBeforeSolved || (x.meanPreMemorizationAccuracy ?? Infinity) - (y.meanPreMemorizationAccuracy ?? Infinity) || x.index - y.index,
    );
}
