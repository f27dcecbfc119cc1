import assert from 'node:assert/strict';
import { join } from 'node:path';
import { describe, test } from 'node:test';
import { bestThreshold, leaveOneRunOut, predictWithInterval, scoreThreshold, studentTCdf, studentTQuantile, thresholdGrid } from '../../src/core/calibration';
import { runCli, writeNpyRun } from '../helpers/fixtures';
import { KANG_SWEEP, skipUnless, tempDir } from '../helpers/paths';

const AUTHORS = 'types5_seed2_temp0.8,types50_seed2_temp0.8,types5_seed2,types50_seed2,types10_seed2_temp0.8';

const cli = runCli;

describe('calibration math', () => {
  test("Student's t quantiles match tables", () => {
    const close = (a: number, b: number) => Math.abs(a - b) < 1e-9;
    assert.ok(close(studentTQuantile(0.975, 1), 12.706204736174698));
    assert.ok(close(studentTQuantile(0.975, 10), 2.2281388519649385));
    assert.ok(close(studentTQuantile(0.975, 49), 2.0095752371292392));
    assert.ok(close(studentTQuantile(0.995, 5), 4.032142983557536));
    assert.ok(Math.abs(studentTCdf(0, 3) - 0.5) < 1e-15);
  });

  test('leave-one-run-out is exact on points that lie on one line', () => {
    const points = ['a', 'b', 'c'].flatMap((run, r) => [0.1, 0.5].map((x) => ({ run, preMemorizationAccuracy: x + r / 10, testAccuracy: 2 * (x + r / 10) - 0.1 })));
    const { rmse, mae } = leaveOneRunOut(points);
    assert.ok(rmse! < 1e-12 && mae! < 1e-12);
    assert.deepEqual(leaveOneRunOut(points.filter((p) => p.run !== 'c')), { rmse: null, mae: null }, 'two runs cannot be cross-validated');
  });

  test('the held-out error prefers the threshold whose points fit a line', () => {
    const noisy = [0.1, 0.4, 0.2, 0.9, 0.3, 0.05].map((y, i) => ({ run: `r${i % 3}`, preMemorizationAccuracy: i / 10, testAccuracy: y }));
    const clean = noisy.map((p) => ({ ...p, testAccuracy: 0.5 * p.preMemorizationAccuracy + 0.1 }));
    const best = bestThreshold([scoreThreshold(-3, noisy), scoreThreshold(-2, clean)]);
    assert.equal(best!.threshold, -2);
  });

  test('prediction interval by hand: n = 4 points on y = x with residuals ±0.1', () => {
    const xs = [0, 1, 2, 3];
    const ys = [0.1, 0.9, 2.1, 2.9];
    const p = predictWithInterval(xs, ys, 1.5)!;
    // Fit: slope 0.96, intercept 0.06; residuals 0.04,-0.12,0.12,-0.04 -> SSE 0.032, s = sqrt(0.016).
    assert.ok(Math.abs(p.value - 1.5) < 1e-12);
    const half = studentTQuantile(0.975, 2) * Math.sqrt(0.016) * Math.sqrt(1 + 1 / 4 + 0);
    assert.ok(Math.abs(p.high - p.value - half) < 1e-12 && Math.abs(p.value - p.low - half) < 1e-12);
  });

  test('threshold grid', () => {
    assert.deepEqual(thresholdGrid(-3, -2, 0.5), [-3, -2.5, -2]);
    assert.equal(thresholdGrid(-4, -0.5, 0.1).length, 36);
    assert.throws(() => thresholdGrid(-1, -2, 0.1));
  });
});

describe('premem calibrate', () => {
  test('predicts, with an interval, the checkpoints that have no test evaluation', async () => {
    const tmp = tempDir();
    try {
      const sweep = join(tmp.dir, 'sweep');
      // Three runs whose test accuracy follows their accuracy; run c's last checkpoint has no test set.
      const codes = (k: number) => Array.from({ length: 8 }, (_, q) => [q < k ? 0 : 1, q < k - 1 ? 0 : 1]);
      const test = (k: number) => Array.from({ length: 4 }, (_, q) => [q < k / 2 ? 0 : 1, 1]);
      for (const [run, ks] of [
        ['a', [2, 4]],
        ['b', [3, 6]],
        ['c', [4, 8]],
      ] as const) {
        writeNpyRun(
          join(sweep, run),
          ks.map((k, j) => ({ step: 10 * (j + 1), train: codes(k), ppl: Array(8).fill(2), ...(run === 'c' && j === 1 ? {} : { test: test(k) }) })),
        );
      }
      const r = await cli('calibrate', sweep, '--db', join(tmp.dir, 'i.sqlite'), '--from', '-3', '--to', '-2', '--step', '0.5');
      assert.equal(r.code, 0, r.err);
      assert.match(r.out, /cross-validated choice: t = -\d\.\d\d, held-out RMSE/);
      assert.match(r.out, /predicted test accuracy, c step 20: 0\.\d{4} \(95% prediction interval -?\d\.\d{4} to \d\.\d{4}\)/);
      const json = JSON.parse((await cli('calibrate', sweep, '--db', join(tmp.dir, 'i.sqlite'), '--from', '-3', '--to', '-2', '--step', '0.5', '--json')).out) as {
        scores: unknown[];
        predictions: { run: string; step: number }[];
      };
      assert.equal(json.scores.length, 3);
      assert.deepEqual(
        json.predictions.map((p) => [p.run, p.step]),
        [['c', 20]],
      );
      assert.equal((await cli('calibrate', sweep, '--db', join(tmp.dir, 'i.sqlite'), '--step', '0')).code, 2);
    } finally {
      tmp.cleanup();
    }
  });

  test("on the authors' sweep: cross-validation picks ln-ln -2.5, beating the hand-picked -2.3", { skip: skipUnless(KANG_SWEEP) }, async () => {
    const tmp = tempDir();
    try {
      const r = await cli('calibrate', KANG_SWEEP, '--db', join(tmp.dir, 'i.sqlite'), '--sample-set', AUTHORS, '--json');
      assert.equal(r.code, 0, r.err);
      const json = JSON.parse(r.out) as { best: { threshold: number; heldOutRmse: number }; reference: { threshold: number; heldOutRmse: number; fit: { r2: number } } };
      console.log(
        `# calibrate gsm8k: best t = ${json.best.threshold} (held-out RMSE ${json.best.heldOutRmse.toFixed(4)}), hand-picked -2.3: ${json.reference.heldOutRmse.toFixed(4)}`,
      );
      assert.equal(json.best.threshold, -2.5);
      assert.equal(json.reference.threshold, -2.3);
      assert.ok(json.best.heldOutRmse < json.reference.heldOutRmse);
      assert.ok(Math.abs(json.reference.fit.r2 - 0.9393) < 1e-4);
    } finally {
      tmp.cleanup();
    }
  });
});
