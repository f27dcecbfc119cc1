import assert from 'node:assert/strict';
import { seededRandom } from '../../src/core/random';
import { describe, test } from 'node:test';
import { categorize, computeRunMetrics, summarizeCheckpoints, type MetricInput } from '../../src/core/metrics';
import { numpyMean, numpySum } from '../../src/core/numpySum';
import { describeThreshold, isMemorized, memorizedMask, parseThreshold, type MemorizationThreshold } from '../../src/core/threshold';

const PPL: MemorizationThreshold = { kind: 'perplexity', value: 1.1 };

/** Rows are checkpoints, columns examples. */
function input(acc: number[][], ppl: number[][]): MetricInput {
  return { accuracy: acc.map((r) => Float64Array.from(r)), perplexity: ppl.map((r) => Float64Array.from(r)) };
}

const column = (rows: readonly ArrayLike<number>[], i: number) => rows.map((r) => r[i]);

describe('pre-memorization accuracy, per example', () => {
  test('never memorized: equals the accuracy at each checkpoint, capped by its running max', () => {
    const inp = input([[0.2], [0.6], [0.4]], [[2.0], [1.5], [1.3]]);
    const m = computeRunMetrics(inp, PPL);
    assert.deepEqual(column(m.preMemorization, 0), [0.2, 0.6, 0.4]);
    assert.equal(m.memorizationCheckpoint[0], -1);
    assert.equal(categorize(inp, m, 0), 'never-memorized');
  });

  test('memorized from the first checkpoint: always 0, whatever the accuracy, and labelled as unmeasured, not as never solved', () => {
    // Every sample correct at the first checkpoint: 0 by construction says nothing of solving.
    const inp = input([[1], [1], [1]], [[1.05], [1.01], [1.0]]);
    const m = computeRunMetrics(inp, PPL);
    assert.deepEqual(column(m.preMemorization, 0), [0, 0, 0]);
    assert.equal(m.memorizationCheckpoint[0], 0);
    assert.equal(categorize(inp, m, 0), 'memorized-at-first-checkpoint');
  });

  test('memorized after an earlier checkpoint with no correct sample: memorized before solved', () => {
    const inp = input([[0], [0.5], [1]], [[1.5], [1.01], [1.0]]);
    const m = computeRunMetrics(inp, PPL);
    assert.equal(m.memorizationCheckpoint[0], 1);
    assert.equal(categorize(inp, m, 0), 'memorized-before-solved');
  });

  test('memorized then un-memorized: the later unmemorized accuracy counts again', () => {
    const inp = input([[0.2], [0.9], [0.7], [0.5]], [[1.5], [1.05], [1.3], [1.2]]);
    const m = computeRunMetrics(inp, PPL);
    // j=1 memorized (its 0.9 never counts); j=2 not memorized, 0.7 raises the max.
    assert.deepEqual(column(m.preMemorization, 0), [0.2, 0.2, 0.7, 0.5]);
    assert.deepEqual(column(m.memorized, 0), [0, 1, 0, 0]);
    assert.equal(m.memorizationCheckpoint[0], 1);
    assert.equal(categorize(inp, m, 0), 'solved-before-memorized');
  });

  test('accuracy falling after memorization: capped by the current accuracy', () => {
    const inp = input([[0.8], [1.0], [0.4]], [[1.5], [1.02], [1.01]]);
    const m = computeRunMetrics(inp, PPL);
    assert.deepEqual(column(m.preMemorization, 0), [0.8, 0.8, 0.4]);
  });

  test('examples are independent and the dataset means follow them', () => {
    const inp = input(
      [
        [0.5, 0, 1],
        [1, 0.5, 1],
      ],
      [
        [2, 1.0, 1.5],
        [1.05, 1.0, 1.5],
      ],
    );
    const m = computeRunMetrics(inp, PPL);
    assert.deepEqual(column(m.preMemorization, 0), [0.5, 0.5]);
    assert.deepEqual(column(m.preMemorization, 1), [0, 0]);
    assert.deepEqual(column(m.preMemorization, 2), [1, 1]);
    const s = summarizeCheckpoints(inp, m);
    assert.equal(s[1]!.preMemorizationAccuracy, 0.5);
    assert.equal(s[1]!.trainAccuracy, 2.5 / 3);
    assert.equal(s[1]!.memorizedFraction, 2 / 3);
  });

  test('shape mismatches are refused', () => {
    assert.throws(() => computeRunMetrics(input([[1, 2]], [[1]]), PPL), /checkpoint 0/);
    assert.throws(() => computeRunMetrics(input([[1]], []), PPL), /perplexity has 0/);
  });
});

describe('memorization threshold', () => {
  const LOGLOG: MemorizationThreshold = { kind: 'loglog', value: -2.3 };
  test('ln ln form matches the plain cut away from the boundary', () => {
    const cut = Math.exp(Math.exp(-2.3));
    assert.equal(isMemorized(cut * 0.999, LOGLOG), true);
    assert.equal(isMemorized(cut * 1.001, LOGLOG), false);
  });
  test('NaN and +Infinity are never memorized; ppl <= 1 always is', () => {
    for (const t of [LOGLOG, PPL]) {
      assert.equal(isMemorized(NaN, t), false);
      assert.equal(isMemorized(Infinity, t), false);
    }
    assert.equal(isMemorized(1, LOGLOG), true);
    assert.equal(isMemorized(0.9999999, LOGLOG), true);
  });
  test('the whole-checkpoint mask (with its kept ln ln values) decides exactly as isMemorized, at every threshold', () => {
    const cut = Math.exp(Math.exp(-2.3));
    // 1.1 is PPL's cut itself: a perplexity equal to the threshold is not memorized (strictly below).
    // (No float64 perplexity has ln ln exactly −2.3, −2.5 or −1.7, so the ln-ln cuts have no tie to test.)
    const values = [NaN, Infinity, -Infinity, 0, 0.5, 1, 1 + 2 ** -52, cut, cut - 2 ** -52, cut + 2 ** -52, 1.05, 1.1, 1.2, 3, 1e300];
    // Seeded, so a failure can be replayed; the seed is in the message.
    const seed = 94;
    const random = seededRandom(seed);
    for (let k = 0; k < 2000; k++) values.push(1 + random() * 0.3);
    const ppl = Float64Array.from(values);
    for (const t of [LOGLOG, PPL, { kind: 'loglog', value: -2.5 }, { kind: 'loglog', value: -1.7 }, { kind: 'loglog', value: -2.3 }] as MemorizationThreshold[]) {
      assert.deepEqual(
        Array.from(memorizedMask(ppl, t)),
        values.map((v) => (isMemorized(v, t) ? 1 : 0)),
        `${JSON.stringify(t)} (values drawn with seed ${seed})`,
      );
    }
  });
  test('parsing and description', () => {
    assert.deepEqual(parseThreshold(undefined, '-2.5'), { kind: 'loglog', value: -2.5 });
    assert.deepEqual(parseThreshold('1.1', undefined), { kind: 'perplexity', value: 1.1 });
    assert.deepEqual(parseThreshold(undefined, undefined), { kind: 'loglog', value: -2.3 });
    assert.throws(() => parseThreshold('1.1', '-2'), /either/);
    assert.throws(() => parseThreshold('0.5', undefined), /above 1/);
    assert.throws(() => parseThreshold(undefined, 'abc'), /finite/);
    const d = describeThreshold({ kind: 'perplexity', value: 1.1 });
    assert.ok(Math.abs(Math.exp(Math.exp(d.loglog)) - 1.1) < 1e-12);
  });
});

describe("numpy's pairwise summation", () => {
  test('short arrays sum left to right', () => {
    assert.equal(numpySum([0.1, 0.2, 0.3]), 0.1 + 0.2 + 0.3);
    assert.equal(numpyMean([]), NaN);
  });
  test('9 to 128 elements use eight accumulators, in numpy grouping', () => {
    const a = [1e16, 1, 1, 1, 1, 1, 1, 1, 1];
    const expected = 1e16 + 1 + (1 + 1) + (1 + 1 + (1 + 1)) + 1;
    assert.equal(numpySum(a), expected);
    assert.notEqual(
      numpySum(a),
      a.reduce((x, y) => x + y, 0),
      'differs from a naive sum here',
    );
  });
  test('long arrays split in halves rounded down to a multiple of 8: numpy’s own result, bit for bit', () => {
    const a = Array.from({ length: 300 }, (_, i) => 1 / (i + 1));
    // From numpy itself (1.24.2 and 2.4.6 agree): float(np.sum(np.array([1/(i+1) for i in
    // range(300)]))).hex() == '0x1.92172a3e6965ap+2', i.e. 6.282663880299504; a left-to-right
    // sum gives 6.282663880299502. Written as the shortest decimal that round-trips.
    assert.equal(numpySum(a), 6.282663880299504);
    assert.notEqual(
      a.reduce((x, y) => x + y, 0),
      6.282663880299504,
      'the naive order gives another number here',
    );
  });
});
