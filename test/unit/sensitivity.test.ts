/**
 * The one-pass sensitivity (src/core/sensitivity.ts) against the plain recompute of the run at
 * each threshold: on random arrays with every edge case the metric decides (NaN, +∞ and ppl ≤ 1
 * perplexities, perplexities whose ln ln falls exactly on a grid threshold, NaN accuracies,
 * memorized-then-unmemorized cells), and on the authors' 13 runs.
 */
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { test } from 'node:test';
import { SENSITIVITY_THRESHOLDS } from '../../src/queries/doesItHold';
import { computeRunMetrics, summarizeCheckpoints, type MetricInput } from '../../src/core/metrics';
import { seededRandom } from '../../src/core/random';
import { preMemorizationAcrossThresholds } from '../../src/core/sensitivity';
import { analyseRun } from '../../src/queries/runAnalysis';
import { indexPaths } from '../../src/store/indexer';
import { IndexStore } from '../../src/store/indexStore';
import { KANG_SWEEP, skipUnless, tempDir } from '../helpers/paths';

function recomputed(input: MetricInput, thresholds: readonly number[]): number[][] {
  return thresholds.map((value) => summarizeCheckpoints(input, computeRunMetrics(input, { kind: 'loglog', value })).map((s) => s.preMemorizationAccuracy));
}

function assertClose(ours: Float64Array[], exact: number[][], what: string) {
  assert.equal(ours.length, exact.length);
  ours.forEach((row, t) =>
    row.forEach((v, j) => {
      const e = exact[t]![j]!;
      if (Number.isNaN(e)) return assert.ok(Number.isNaN(v), `${what}: threshold ${t}, checkpoint ${j}: ${v} vs NaN`);
      assert.ok(Math.abs(v - e) <= 1e-12 * Math.max(1, Math.abs(e)), `${what}: threshold ${t}, checkpoint ${j}: ${v} vs recompute ${e}`);
    }),
  );
}

test('one pass equals a recompute at every threshold, edge cases included', () => {
  const random = seededRandom(26);
  // Perplexities whose ln ln is exactly a grid value where float64 allows, and around it.
  const onCut = (t: number) => Math.exp(Math.exp(t));
  for (let round = 0; round < 40; round++) {
    const checkpoints = 1 + Math.floor(random() * 9);
    const examples = Math.floor(random() * 300);
    const accuracy: Float64Array[] = [];
    const perplexity: Float64Array[] = [];
    for (let j = 0; j < checkpoints; j++) {
      const acc = new Float64Array(examples);
      const ppl = new Float64Array(examples);
      for (let i = 0; i < examples; i++) {
        const u = random();
        acc[i] = u < 0.03 ? NaN : Math.floor(random() * 51) / 50;
        const v = random();
        ppl[i] =
          v < 0.03
            ? NaN
            : v < 0.06
              ? Infinity
              : v < 0.1
                ? 1 - random() * 1e-9
                : v < 0.12
                  ? 1
                  : v < 0.3
                    ? onCut(SENSITIVITY_THRESHOLDS[Math.floor(random() * 41)]!)
                    : 1 + Math.exp(Math.exp(-5 + random() * 5.5)) - 1;
      }
      accuracy.push(acc);
      perplexity.push(ppl);
    }
    const input = { accuracy, perplexity };
    assertClose(preMemorizationAcrossThresholds(input, SENSITIVITY_THRESHOLDS), recomputed(input, SENSITIVITY_THRESHOLDS), `round ${round}`);
  }
});

test('an unordered grid is refused', () => {
  const input = { accuracy: [Float64Array.of(1)], perplexity: [Float64Array.of(2)] };
  assert.throws(() => preMemorizationAcrossThresholds(input, [-1, -2]), /ascending/);
});

test('on the authors’ 13 runs, every grid threshold and checkpoint equals the recompute', { skip: skipUnless(KANG_SWEEP) }, async () => {
  const tmp = tempDir();
  const store = await IndexStore.open(join(tmp.dir, 'index.sqlite'));
  try {
    await indexPaths(store, [KANG_SWEEP]);
    const runs = await store.runs();
    assert.equal(runs.length, 13);
    for (const run of runs) {
      const a = await analyseRun(store, run, { threshold: { kind: 'loglog', value: -2.3 }, samplePreference: null });
      assertClose(preMemorizationAcrossThresholds(a.input, SENSITIVITY_THRESHOLDS), recomputed(a.input, SENSITIVITY_THRESHOLDS), run.name);
    }
  } finally {
    await store.close();
    tmp.cleanup();
  }
});
