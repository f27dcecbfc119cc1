import { cartography, REGION_CUTS, regionOf, REGIONS, type Region } from '../core/cartography';
import { numpyMean } from '../core/numpySum';
import { groupQuestions, type QuestionGroups } from '../core/groups';
import type { StoredExample } from '../store/indexStore';
import { REGION_NAMES, UNKNOWN_REGION, type DataMapColumns, type GroupInfo, type RegionStats, type ThresholdInForce } from '../protocol/dataMap';
import { thresholdInForce } from './dashboard';
import type { RunAnalysis } from './runAnalysis';

/**
 * A run's data map: every analysed example by its training dynamics (core/cartography), coloured
 * by its pre-memorization accuracy at the last checkpoint, in dataset order. Columns rather than
 * one object per example: 150,000 examples travel to the panel as a handful of typed arrays.
 */
export interface DataMap {
  readonly runPath: string;
  readonly runName: string;
  readonly checkpoints: number;
  readonly threshold: ThresholdInForce;
  readonly columns: DataMapColumns;
  readonly groups: GroupsSummary | null;
}

export interface GroupsSummary {
  readonly method: QuestionGroups['method'];
  readonly minSimilarity: number;
  readonly groups: readonly GroupInfo[];
}

/** One line of `premem map --json`: a contract, like the report. */
export interface MapLine {
  readonly index: number;
  readonly confidence: number | null;
  readonly variability: number | null;
  readonly pre_memorization_accuracy: number | null;
  readonly memorized: boolean;
  readonly memorization_step: number | null;
  readonly region: Region | null;
  /** Its group of similar questions (premem map's groups), 0 when alone or without text. */
  readonly group: number;
}

const finite = (x: number): number | null => (Number.isFinite(x) ? x : null);

/**
 * Groups of similar questions over examples in dataset order; null when no example has its
 * question's text (the authors' arrays come without their dataset: attach it).
 */
export function groupsOf(examples: readonly StoredExample[]): { groupOf: Int32Array; summary: GroupsSummary } | null {
  if (!examples.some((e) => e.question !== null)) return null;
  const g = groupQuestions(examples.map((e) => e.question));
  return {
    groupOf: g.groupOf,
    summary: { method: g.method, minSimilarity: g.minSimilarity, groups: g.groups.map((x) => ({ id: x.id, label: x.label.join(' '), size: x.members.length })) },
  };
}

export function dataMapOf(a: RunAnalysis, examples: readonly StoredExample[]): DataMap {
  const ordered = [...examples].sort((x, y) => x.index - y.index);
  const n = ordered.length;
  const J = a.checkpoints.length;
  const { confidence, variability } = cartography(a.input.accuracy);
  const last = J ? a.metrics.preMemorization[J - 1]! : null;
  const groups = groupsOf(ordered);
  const cols = {
    index: new Float64Array(n),
    confidence: new Float64Array(n),
    variability: new Float64Array(n),
    preMemorizationAccuracy: new Float64Array(n),
    memorizationStep: new Float64Array(n),
    group: groups?.groupOf ?? new Int32Array(n),
    region: new Uint8Array(n),
  };
  ordered.forEach((e, k) => {
    const p = e.position;
    cols.index[k] = e.index;
    cols.confidence[k] = confidence[p]!;
    cols.variability[k] = variability[p]!;
    cols.preMemorizationAccuracy[k] = last ? last[p]! : NaN;
    const first = a.metrics.memorizationCheckpoint[p]!;
    // NaN: never memorized (a step of 0 is a real step).
    cols.memorizationStep[k] = first === -1 ? NaN : a.checkpoints[first]!.step;
    const [conf, vari] = [cols.confidence[k], cols.variability[k]];
    cols.region[k] = Number.isFinite(conf) && Number.isFinite(vari) ? REGION_NAMES.indexOf(regionOf(conf, vari)) : UNKNOWN_REGION;
  });
  return { runPath: a.run.path, runName: a.run.name, checkpoints: J, threshold: thresholdInForce(a), columns: cols, groups: groups?.summary ?? null };
}

export function mapLines(m: DataMap): MapLine[] {
  const c = m.columns;
  return Array.from({ length: c.index.length }, (_, k): MapLine => {
    const conf = c.confidence[k]!;
    const vari = c.variability[k]!;
    return {
      index: c.index[k]!,
      confidence: finite(conf),
      variability: finite(vari),
      pre_memorization_accuracy: finite(c.preMemorizationAccuracy[k]!),
      memorized: !Number.isNaN(c.memorizationStep[k]!),
      memorization_step: finite(c.memorizationStep[k]!),
      region: c.region[k] === UNKNOWN_REGION ? null : REGION_NAMES[c.region[k]!]!,
      group: c.group[k]!,
    };
  });
}

/** The map's regions in a selection of rows (all rows when none is given): the map's text summary and the panel's legend. */
export function regionStats(c: DataMapColumns, rows?: ArrayLike<number>): RegionStats[] {
  const values = new Map<Region, number[]>(REGIONS.map((r) => [r, []]));
  const stats = new Map<Region, { examples: number; memorized: number }>(REGIONS.map((r) => [r, { examples: 0, memorized: 0 }]));
  const n = rows ? rows.length : c.index.length;
  for (let q = 0; q < n; q++) {
    const k = rows ? rows[q]! : q;
    if (c.region[k] === UNKNOWN_REGION) continue;
    const r = REGION_NAMES[c.region[k]!]!;
    const s = stats.get(r)!;
    s.examples++;
    if (!Number.isNaN(c.memorizationStep[k]!)) s.memorized++;
    const p = c.preMemorizationAccuracy[k]!;
    if (Number.isFinite(p)) values.get(r)!.push(p);
  }
  return REGIONS.map((r) => {
    const v = values.get(r)!;
    return { region: r, ...stats.get(r)!, preMemorizationAccuracy: v.length ? numpyMean(Float64Array.from(v)) : null };
  });
}

export { REGION_CUTS, type RegionStats };
