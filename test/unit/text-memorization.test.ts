import assert from 'node:assert/strict';
import { join } from 'node:path';
import { describe, test } from 'node:test';
import { computeRunMetrics, computeRunMetricsWith } from '../../src/core/metrics';
import { agreement, cohensKappa, confusion, f1Score, memorizedByText } from '../../src/core/textMemorization';
import { writeExampleSweep } from '../../src/example/exampleSweep';
import { runCli } from '../helpers/fixtures';
import { skipUnless, tempDir, TINYGSM } from '../helpers/paths';

const cli = runCli;

describe('text memorization criterion', () => {
  test('memorized when more than half the samples copy at least the given share of steps', () => {
    // Three questions, four samples each.
    const rates = Float64Array.from([1, 1, 1, 0, /**/ 1, 1, 0, 0, /**/ 0.5, 0.6, 0.7, 0.2]);
    assert.deepEqual(Array.from(memorizedByText(rates, 4, 0.5)), [1, 0, 1]);
    assert.deepEqual(Array.from(memorizedByText(rates, 4, 0.65)), [1, 0, 0]);
  });

  test('the metric is the same function of any criterion', () => {
    const accuracy = [Float64Array.from([0.5, 0]), Float64Array.from([1, 1])];
    const perplexity = [Float64Array.from([2, 1.01]), Float64Array.from([1.01, 1.01])];
    const byPpl = computeRunMetrics({ accuracy, perplexity }, { kind: 'perplexity', value: 1.1 });
    const same = computeRunMetricsWith(accuracy, (j, i) => perplexity[j]![i]! < 1.1);
    assert.deepEqual(same, byPpl);
    assert.deepEqual(agreement(byPpl.memorized, same.memorized), { agree: 4, total: 4 });
    const never = computeRunMetricsWith(accuracy, () => false);
    assert.deepEqual(agreement(byPpl.memorized, never.memorized), { agree: 1, total: 4 });
  });

  test('CLI: --memorization text on the example sweep, whose memorized samples copy verbatim', async () => {
    const tmp = tempDir();
    try {
      const sweep = writeExampleSweep(join(tmp.dir, 'example'));
      const db = join(tmp.dir, 'i.sqlite');
      const r = await cli('report', sweep, '--db', db, '--memorization', 'text', '--json');
      assert.equal(r.code, 0, r.err);
      const json = JSON.parse(r.out) as { threshold: Record<string, unknown>; runs: { name: string; checkpoints: { memorized_fraction: number }[] }[] };
      assert.equal(json.threshold['memorization'], 'text');
      assert.equal(json.threshold['copy_rate'], 0.5);
      const fast = json.runs.find((x) => x.name === 'example_3epochs_lr2e-04')!;
      const slow = json.runs.find((x) => x.name === 'example_3epochs_lr1e-05')!;
      assert.ok(fast.checkpoints.at(-1)!.memorized_fraction > 0.5, 'the fast run copies most references by the end');
      assert.equal(slow.checkpoints.at(-1)!.memorized_fraction, 0, 'the slow run never memorizes, so never copies');
      const text = await cli('report', sweep, '--db', db, '--memorization', 'text');
      assert.match(text.out, /text and perplexity \(ln ln < -2\.300\) memorization agree on \d+\.\d% of example-checkpoints/);
      assert.equal((await cli('report', sweep, '--db', db, '--copy-rate', '0.5')).code, 2, '--copy-rate needs --memorization text');
      assert.equal((await cli('report', sweep, '--db', db, '--memorization', 'vibes')).code, 2);
    } finally {
      tmp.cleanup();
    }
  });

  test("tinygsm: the two criteria agree far better at the README's ln-ln -3 than at -2.3", { skip: skipUnless(TINYGSM) }, async () => {
    const tmp = tempDir();
    try {
      const db = join(tmp.dir, 'i.sqlite');
      const share = async (t: string) => {
        const r = await cli('report', TINYGSM, '--db', db, '--memorization', 'text', '--loglog-threshold', t);
        return Number(/agree on (\d+\.\d)%/.exec(r.out)![1]);
      };
      const at3 = await share('-3');
      const at23 = await share('-2.3');
      console.log(`# tinygsm: text vs perplexity memorization agree on ${at3}% (ln ln < -3) and ${at23}% (ln ln < -2.3)`);
      assert.ok(at3 > at23 + 10);
    } finally {
      tmp.cleanup();
    }
  });
});

test("Cohen's kappa and F1 from the confusion counts, against hand computation", () => {
  const truth = [Uint8Array.from([1, 1, 0, 0, 0]), Uint8Array.from([1, 0, 0, 0, 0])];
  const said = [Uint8Array.from([1, 0, 1, 0, 0]), Uint8Array.from([1, 0, 0, 0, 0])];
  const c = confusion(truth, said);
  assert.deepEqual(c, { both: 2, onlySaid: 1, onlyTruth: 1, neither: 6 });
  // p_o = 8/10; p_e = 0.3·0.3 + 0.7·0.7 = 0.58; κ = (0.8 − 0.58) / 0.42 = 0.5238…
  assert.ok(Math.abs(cohensKappa(c) - 0.22 / 0.42) < 1e-15);
  // F1 = 2·2 / (2·2 + 1 + 1) = 2/3
  assert.ok(Math.abs(f1Score(c) - 2 / 3) < 1e-15);
  // "Nothing is memorized" against rare copies: 90% raw agreement, κ 0, F1 undefined.
  const rare = confusion([Uint8Array.from([1, 0, 0, 0, 0, 0, 0, 0, 0, 0])], [new Uint8Array(10)]);
  assert.equal(cohensKappa(rare), 0);
  assert.ok(Number.isNaN(f1Score({ both: 0, onlySaid: 0, onlyTruth: 0, neither: 5 })));
});
