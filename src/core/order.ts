import { compareKey } from './curation';

/**
 * Positions in lexicographic order of key columns (ascending, NaN last, -0 equal to 0), ties
 * broken by `tie` ascending (distinct per position: the dataset index). What the Examples view
 * and `premem examples` sort by, over up to 150,000 examples.
 *
 * Each column is replaced by its dense rank, and the ranks and the tie are combined into one
 * number per position, sorted by the typed array's own numeric sort instead of a comparator
 * called per comparison. The keys here are few-valued (accuracies k/n, checkpoint steps), so
 * the combined numbers stay exact integers below 2^53; when they would not (or the tie is not
 * a distinct whole number), the comparator sort runs instead, with the same result.
 */
export function orderByKeys(keys: readonly Float64Array[], tie: Float64Array, positions: readonly number[]): number[] {
  const n = positions.length;
  // The tie is a whole number per position (the dataset index): its own rank, and, looked up
  // in `whose`, the position a sorted value came from. Anything else: the comparator sort.
  let maxTie = -1;
  for (let i = 0; i < n; i++) {
    const t = tie[positions[i]!]!;
    if (!Number.isInteger(t) || t < 0) return comparatorOrder(keys, tie, positions);
    if (t > maxTie) maxTie = t;
  }
  const tieSpan = maxTie + 1;
  if (tieSpan > 16 * n + 1024) return comparatorOrder(keys, tie, positions);
  const whose = new Int32Array(tieSpan).fill(-1);
  for (let i = 0; i < n; i++) {
    const t = tie[positions[i]!]!;
    if (whose[t] !== -1) return comparatorOrder(keys, tie, positions);
    whose[t] = positions[i]!;
  }
  const ranks = keys.map((k) => denseRanks(k, positions));
  let span = tieSpan;
  for (const r of ranks) span *= r.count;
  if (!Number.isSafeInteger(span)) return comparatorOrder(keys, tie, positions);
  // Column by column: combined = ((rank0 * count1 + rank1) * count2 + rank2) * tieSpan + tie.
  const combined = new Float64Array(n);
  for (const r of ranks) for (let i = 0; i < n; i++) combined[i] = combined[i]! * r.count + r.rank[i]!;
  for (let i = 0; i < n; i++) combined[i] = combined[i]! * tieSpan + tie[positions[i]!]!;
  combined.sort();
  const out = new Array<number>(n);
  for (let i = 0; i < n; i++) out[i] = whose[combined[i]! % tieSpan]!;
  return out;
}

/** Each position's rank among the distinct values of `column` at `positions` (NaN last). */
function denseRanks(column: Float64Array, positions: readonly number[]): { rank: Uint32Array; count: number } {
  const n = positions.length;
  const values = new Float64Array(n);
  for (let i = 0; i < n; i++) values[i] = column[positions[i]!]!;
  // The distinct numbers in order (-0 and 0 as one, as compareKey has them), found by binary
  // search while they are few, as accuracies and steps are; else from a sorted copy.
  let distinct: number[] = [];
  let hasNaN = false;
  for (let i = 0; i < n; i++) {
    const v = values[i]!;
    if (Number.isNaN(v)) {
      hasNaN = true;
      continue;
    }
    const at = lowerBound(distinct, v);
    if (distinct[at] === v) continue;
    if (distinct.length === 4096) {
      distinct = distinctSorted(values);
      hasNaN = values.some((x) => Number.isNaN(x));
      break;
    }
    distinct.splice(at, 0, v);
  }
  const rank = new Uint32Array(n);
  for (let i = 0; i < n; i++) {
    const v = values[i]!;
    rank[i] = Number.isNaN(v) ? distinct.length : lowerBound(distinct, v);
  }
  return { rank, count: distinct.length + (hasNaN ? 1 : 0) };
}

/** The first place in ascending `xs` whose value is not below `v`. */
function lowerBound(xs: readonly number[], v: number): number {
  let lo = 0;
  let hi = xs.length;
  while (lo < hi) {
    const mid = (lo + hi) >> 1;
    if (xs[mid]! < v) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}

/** The distinct numbers of `values` in ascending order (NaN left out, -0 and 0 as one). */
function distinctSorted(values: Float64Array): number[] {
  const sorted = Float64Array.from(values).sort();
  const out: number[] = [];
  for (let i = 0; i < sorted.length; i++) {
    const v = sorted[i]!;
    if (!Number.isNaN(v) && (out.length === 0 || out[out.length - 1] !== v)) out.push(v);
  }
  return out;
}

/** The same order by comparisons: the reference the fast path is tested against. */
export function comparatorOrder(keys: readonly Float64Array[], tie: Float64Array, positions: readonly number[]): number[] {
  return [...positions].sort((p, q) => {
    for (const k of keys) {
      const c = compareKey(k[p]!, k[q]!);
      if (c !== 0) return c;
    }
    return tie[p]! - tie[q]!;
  });
}
