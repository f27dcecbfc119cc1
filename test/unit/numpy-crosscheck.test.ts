import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { join } from 'node:path';
import { test } from 'node:test';
import { buildReport } from '../../src/queries/report';
import { indexPaths } from '../../src/store/indexer';
import { IndexStore } from '../../src/store/indexStore';
import { fromPythonHex, pythonWithNumpy } from '../helpers/numpy';
import { KANG_SWEEP, missingRequirement, REPO, skipUnless, tempDir } from '../helpers/paths';

const python = pythonWithNumpy();
const AUTHORS = ['types5_seed2_temp0.8', 'types50_seed2_temp0.8', 'types5_seed2', 'types50_seed2', 'types10_seed2_temp0.8'];

interface Baseline {
  runs: { name: string; checkpoints: Record<string, string | number | null>[] }[];
  fit: { points: number; r2: number; slope: number; intercept: number };
}

test(
  "every dataset-level figure equals numpy's, bit for bit, on all 51 checkpoints",
  { skip: skipUnless(KANG_SWEEP) || (python === null && missingRequirement('no python3 with numpy was found (Debian: python3-numpy)')) },
  async () => {
    const baseline = JSON.parse(execFileSync(python!, [join(REPO, 'test/bench/numpy_baseline.py'), KANG_SWEEP, '-2.3'], { encoding: 'utf8', maxBuffer: 1 << 26 })) as Baseline;
    const tmp = tempDir();
    const store = await IndexStore.open(join(tmp.dir, 'x.sqlite'));
    try {
      const outcomes = await indexPaths(store, [KANG_SWEEP]);
      const runs = await Promise.all(outcomes.map(async (o) => (await store.runByPath(o.path))!));
      const { json } = await buildReport(store, runs, { threshold: { kind: 'loglog', value: -2.3 }, samplePreference: AUTHORS });
      let compared = 0;
      for (const run of baseline.runs) {
        const ours = json.runs.find((r) => r.name === run.name)!;
        run.checkpoints.forEach((c, j) => {
          const mine = ours.checkpoints[j]!;
          assert.equal(mine.step, c['step']);
          for (const key of ['train_accuracy', 'pre_memorization_accuracy', 'memorized_fraction', 'test_accuracy'] as const) {
            const expected = c[key] === null ? null : fromPythonHex(c[key] as string);
            assert.ok(Object.is(mine[key], expected), `${run.name} step ${mine.step} ${key}: ${mine[key]} vs numpy ${expected}`);
            compared++;
          }
        });
      }
      assert.equal(compared, 51 * 4);
      assert.equal(json.fit!.points, baseline.fit.points);
      assert.ok(Math.abs(json.fit!.r2! - baseline.fit.r2) < 1e-12);
      assert.ok(Math.abs(json.fit!.slope! - baseline.fit.slope) < 1e-12);
      assert.ok(Math.abs(json.fit!.intercept! - baseline.fit.intercept) < 1e-12, `intercept ${json.fit!.intercept} vs numpy ${baseline.fit.intercept}`);
    } finally {
      await store.close();
      tmp.cleanup();
    }
  },
);
