import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { selectExamples, type CurationCandidate } from '../../src/core/curation';
import { seededRandom } from '../../src/core/random';
import { fitLine, predict } from '../../src/core/fit';
import { chooseSampleSet } from '../../src/core/sampleSets';

describe('least-squares fit', () => {
  test('a perfect line has R^2 = 1', () => {
    const f = fitLine([0, 1, 2, 3], [1, 3, 5, 7]);
    assert.equal(f.slope, 2);
    assert.equal(f.intercept, 1);
    assert.equal(f.r2, 1);
    assert.equal(predict(f, 10), 21);
  });
  test('matches hand-computed values', () => {
    // x mean 2, y mean 3; sxx = 2, sxy = 1, syy = 2.
    const f = fitLine([1, 2, 3], [2, 4, 3]);
    assert.equal(f.slope, 0.5);
    assert.equal(f.intercept, 2);
    assert.equal(f.r2, 0.25);
  });
  test('degenerate inputs give nulls, not invented lines', () => {
    assert.deepEqual(fitLine([1], [1]), { points: 1, slope: null, intercept: null, r2: null });
    assert.equal(fitLine([2, 2, 2], [1, 2, 3]).slope, null);
    assert.throws(() => fitLine([1, 2], [1]));
  });
});

describe('curation', () => {
  const pool: CurationCandidate[] = [
    { index: 4, preMemorizationAccuracy: 0.5, trainAccuracy: 0.9, memorizationStep: 100, flagged: false },
    { index: 1, preMemorizationAccuracy: 0.0, trainAccuracy: 1.0, memorizationStep: NaN, flagged: true },
    { index: 7, preMemorizationAccuracy: 0.0, trainAccuracy: 0.2, memorizationStep: NaN, flagged: false },
    { index: 2, preMemorizationAccuracy: NaN, trainAccuracy: 0.4, memorizationStep: 50, flagged: true },
    { index: 9, preMemorizationAccuracy: 0.0, trainAccuracy: 0.8, memorizationStep: 200, flagged: false },
    { index: 3, preMemorizationAccuracy: 0.0, trainAccuracy: 0.6, memorizationStep: 50, flagged: false },
  ];
  test('lowest pre-memorization first; ties: earliest memorized first, never memorized last, then lowest train accuracy; unknown last', () => {
    assert.deepEqual(
      selectExamples(pool, 'lowest-premem', 6).map((c) => c.index),
      [3, 9, 7, 1, 4, 2],
    );
  });
  test('lowest accuracy', () => {
    assert.deepEqual(
      selectExamples(pool, 'lowest-accuracy', 2).map((c) => c.index),
      [7, 2],
    );
  });
  test('flagged, in index order', () => {
    assert.deepEqual(
      selectExamples(pool, 'flagged', 10).map((c) => c.index),
      [1, 2],
    );
  });
  test('random is a seeded permutation, independent of input order', () => {
    const a = selectExamples(pool, 'random', 4, 7).map((c) => c.index);
    const b = selectExamples([...pool].reverse(), 'random', 4, 7).map((c) => c.index);
    assert.deepEqual(a, b);
    assert.equal(new Set(a).size, 4, 'four different examples');
    assert.ok(a.every((i) => pool.some((c) => c.index === i)));
    const seeds = new Set(
      Array.from({ length: 20 }, (_, s) =>
        selectExamples(pool, 'random', 4, s)
          .map((c) => c.index)
          .join(),
      ),
    );
    assert.ok(seeds.size > 3, 'different seeds give different orders');
  });
  test('the generator is uniform enough to be useful', () => {
    const r = seededRandom(1);
    let sum = 0;
    for (let i = 0; i < 10000; i++) sum += r();
    assert.ok(Math.abs(sum / 10000 - 0.5) < 0.02);
  });
});

describe('sample-set preference', () => {
  test("default: the authors' order, then any other set", () => {
    assert.equal(chooseSampleSet(['types50_seed2', 'types5_seed2'], null), 'types5_seed2');
    assert.equal(chooseSampleSet(['types10_seed2_temp0.8', 'types50_seed2_temp0.8'], null), 'types50_seed2_temp0.8');
    assert.equal(chooseSampleSet(['zeta', 'alpha'], null), 'alpha');
    assert.equal(chooseSampleSet([], null), null);
    // Outside the authors' list, the most samples per question: a small set sampled into a run does not displace its own.
    assert.equal(chooseSampleSet(['samples2_temp0.8_seed0', 'types4_seed2_temp0.8'], null), 'types4_seed2_temp0.8');
    assert.equal(chooseSampleSet(['samples8_temp0.8_seed0', 'types4_seed2_temp0.8'], null), 'samples8_temp0.8_seed0');
  });
  test('an explicit list is strict', () => {
    assert.equal(chooseSampleSet(['a', 'b'], ['c', 'b']), 'b');
    assert.equal(chooseSampleSet(['a'], ['c']), null);
  });
});
