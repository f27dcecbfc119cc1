import assert from 'node:assert/strict';
import { test } from 'node:test';
import { comparatorOrder, orderByKeys } from '../../src/core/order';
import { seededRandom } from '../../src/core/random';

/** Columns of few values (with NaN, -0 and 0) or many, as the Examples view sorts them. */
function columns(n: number, distinct: number, seed: number): Float64Array[] {
  const rnd = seededRandom(seed);
  const pick = (k: number) => {
    const r = Math.floor(rnd() * (k + 3));
    return r === k ? NaN : r === k + 1 ? -0 : r === k + 2 ? 0 : r / k;
  };
  return [Float64Array.from({ length: n }, () => pick(distinct)), Float64Array.from({ length: n }, () => pick(5) * 100), Float64Array.from({ length: n }, () => pick(3))];
}

test('ordering by key columns: the typed-array sort gives the comparator sort’s order, ties and NaN included', () => {
  for (const [n, distinct, seed] of [
    [1, 2, 1],
    [50, 3, 2],
    [5000, 17, 3],
    [5000, 6000, 4], // more distinct values than the binary-search path keeps
    [20000, 50, 5],
  ] as const) {
    const keys = columns(n, distinct, seed);
    // Dataset indices: distinct whole numbers, not in position order, some positions left out.
    const rnd = seededRandom(seed + 100);
    const tie = Float64Array.from({ length: n }, (_, p) => p * 3 + 7);
    for (let p = n - 1; p > 0; p--) {
      const q = Math.floor(rnd() * (p + 1));
      [tie[p], tie[q]] = [tie[q]!, tie[p]!];
    }
    const positions = Array.from({ length: n }, (_, p) => p).filter((p) => p % 11 !== 5);
    for (const k of [1, 2, 3]) {
      assert.deepEqual(orderByKeys(keys.slice(0, k), tie, positions), comparatorOrder(keys.slice(0, k), tie, positions), `n ${n}, ${distinct} values, ${k} keys`);
    }
  }
});

test('ordering: a tie that is not a distinct whole number takes the comparator path, with the same result', () => {
  const keys = columns(300, 4, 9);
  const positions = Array.from({ length: 300 }, (_, p) => p);
  const fractional = Float64Array.from({ length: 300 }, (_, p) => 300 - p + 0.5);
  assert.deepEqual(orderByKeys(keys, fractional, positions), comparatorOrder(keys, fractional, positions));
  const sparse = Float64Array.from({ length: 300 }, (_, p) => p * 1e9);
  assert.deepEqual(orderByKeys(keys, sparse, positions), comparatorOrder(keys, sparse, positions));
});
