/**
 * "Is it just difficulty?" (issue 26, item 4): premem robustness's partial Spearman correlations
 * of pre-memorization and perturbed accuracy given a difficulty field and given final train
 * accuracy, on runs built so that the answer is known (difficulty explains everything; or skill
 * within a level does), each checked against a direct numpy computation (ranks regressed on the
 * control's ranks, residuals correlated: another route to the same quantity).
 */
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { seededRandom } from '../../src/core/random';
import { runCli } from '../helpers/fixtures';
import { pythonWithNumpy } from '../helpers/numpy';
import { missingRequirement, tempDir } from '../helpers/paths';

const python = pythonWithNumpy();
const N = 240;
const S = 20;

interface Correlation {
  rho: number | null;
  low: number | null;
  high: number | null;
}
interface Control {
  control: string;
  examples: number;
  spearman_with_pre_memorization: Correlation;
  spearman_with_perturbed: Correlation;
  partial: Correlation;
}
interface Robustness {
  examples: number;
  spearman: Correlation;
  controls: Control[];
}

const flags = (p: number, rand: () => number) => Array.from({ length: S }, () => rand() < p);
const clamp = (v: number) => Math.min(1, Math.max(0, v));
const jsonl = (rows: readonly unknown[]) => rows.map((r) => JSON.stringify(r)).join('\n') + '\n';

/**
 * A run of two checkpoints in the native JSONL layout. Each example has a level 1–5 and a skill;
 * `drive` says what sets its accuracies: the level alone (plus noise drawn apart for train and
 * perturbed samples), or its own skill, the level playing no part. Half the examples are
 * memorized at the second checkpoint, so that pre-memorization and final train accuracy differ.
 */
function writeRun(dir: string, drive: 'level' | 'skill', seed: number): string {
  const rand = seededRandom(seed);
  const level = Array.from({ length: N }, () => 1 + Math.floor(rand() * 5));
  const skill = Array.from({ length: N }, () => rand());
  const base = (i: number) => (drive === 'level' ? 1.05 - 0.2 * level[i]! : skill[i]!);
  writeFileSync(
    join(dir, 'train.jsonl'),
    jsonl(level.map((l, i) => ({ question: `Question ${i}?`, answer: `Step ${i}.\n#### ${i}`, level: `Level ${l}`, subject: i % 2 ? 'Algebra' : 'Geometry' }))),
  );
  const run = join(dir, `${drive}_run`);
  for (const [j, step] of [10, 20].entries()) {
    const ck = join(run, `checkpoint-${step}`);
    mkdirSync(ck, { recursive: true });
    writeFileSync(join(ck, 'train_samples_t.jsonl'), jsonl(level.map((_, i) => ({ index: i, correct: flags(clamp(base(i) + 0.1 * j + 0.15 * (rand() - 0.5)), rand) }))));
    writeFileSync(join(ck, 'train_references.jsonl'), jsonl(level.map((_, i) => ({ index: i, perplexity: j === 1 && i % 2 ? 1.01 : 2.0, num_tokens: 12 }))));
    if (j === 1) {
      const variants = level.map((_, i) => ({
        id: `${i}-v`,
        index: i,
        kind: 'resample-numbers',
        preserves_answer: false,
        question: `Question ${i}, again?`,
        answer: `#### ${i + 1}`,
        changes: [],
        correct: flags(clamp(base(i) + 0.15 * (rand() - 0.5)), rand),
      }));
      writeFileSync(join(ck, 'perturbed_samples_t.jsonl'), jsonl(variants));
    }
  }
  return run;
}

/** The same correlations computed directly: average ranks, then residuals of each on the control's ranks. */
function numpyControls(x: number[], y: number[], z: number[]): { rho: number; partial: number; xz: number; yz: number } {
  const script = `
import json, sys
import numpy as np
d = json.load(sys.stdin)
def ranks(v):
    v = np.asarray(v, dtype=float)
    order = np.argsort(v, kind="mergesort")
    r = np.empty(len(v))
    r[order] = np.arange(1, len(v) + 1)
    for u in np.unique(v):
        m = v == u
        r[m] = r[m].mean()
    return r
rx, ry, rz = ranks(d["x"]), ranks(d["y"]), ranks(d["z"])
def resid(a, b):
    B = np.column_stack([np.ones(len(b)), b])
    coef, *_ = np.linalg.lstsq(B, a, rcond=None)
    return a - B @ coef
corr = lambda a, b: float(np.corrcoef(a, b)[0, 1])
print(json.dumps({"rho": corr(rx, ry), "partial": corr(resid(rx, rz), resid(ry, rz)), "xz": corr(rx, rz), "yz": corr(ry, rz)}))
`;
  return JSON.parse(execFileSync(python!, ['-c', script], { input: JSON.stringify({ x, y, z }), encoding: 'utf8' })) as { rho: number; partial: number; xz: number; yz: number };
}

/** x, y and both controls per example, from the CLI's own per-example output and the files. */
async function direct(run: string, db: string, dataset: string): Promise<{ x: number[]; y: number[]; level: number[]; train: number[] }> {
  const examples = (await runCli('examples', run, '--db', db, '--json')).out
    .trim()
    .split('\n')
    .map((l) => JSON.parse(l) as { index: number; pre_memorization_accuracy: number[]; train_accuracy: number[] })
    .sort((a, b) => a.index - b.index);
  const perturbed = (await import('node:fs'))
    .readFileSync(join(run, 'checkpoint-20', 'perturbed_samples_t.jsonl'), 'utf8')
    .trim()
    .split('\n');
  const y = perturbed.map((l) => {
    const c = (JSON.parse(l) as { correct: boolean[] }).correct;
    return c.filter(Boolean).length / c.length;
  });
  const level = (await import('node:fs'))
    .readFileSync(dataset, 'utf8')
    .trim()
    .split('\n')
    .map((l) => Number(/\d+/.exec((JSON.parse(l) as { level: string }).level)![0]));
  return { x: examples.map((e) => e.pre_memorization_accuracy.at(-1)!), y, level, train: examples.map((e) => e.train_accuracy.at(-1)!) };
}

for (const drive of ['level', 'skill'] as const) {
  test(
    `partial Spearman given the level and given final train accuracy, where ${drive === 'level' ? 'difficulty explains everything' : 'skill within a level does'}`,
    { skip: python === null && missingRequirement('no python3 with numpy was found (Debian: python3-numpy)') },
    async () => {
      const tmp = tempDir();
      try {
        const run = writeRun(tmp.dir, drive, drive === 'level' ? 26 : 62);
        const db = join(tmp.dir, 'index.sqlite');
        const r = await runCli('robustness', run, '--db', db, '--json');
        assert.equal(r.code, 0, r.err);
        const ours = JSON.parse(r.out) as Robustness;
        assert.equal(ours.examples, N);
        // `level` is found without --control: the records carry it.
        assert.deepEqual(
          ours.controls.map((c) => c.control),
          ['final_train_accuracy', 'level'],
        );
        const d = await direct(run, db, join(tmp.dir, 'train.jsonl'));
        const byLevel = numpyControls(d.x, d.y, d.level);
        const byTrain = numpyControls(d.x, d.y, d.train);
        const [train, level] = ours.controls as [Control, Control];
        const close = (a: number | null, b: number, what: string) => assert.ok(a !== null && Math.abs(a - b) < 1e-9, `${what}: ${a} vs numpy ${b}`);
        close(ours.spearman.rho, byLevel.rho, 'Spearman');
        close(level.partial.rho, byLevel.partial, 'partial given the level');
        close(level.spearman_with_pre_memorization.rho, byLevel.xz, 'with the level, pre-memorization');
        close(level.spearman_with_perturbed.rho, byLevel.yz, 'with the level, perturbed');
        close(train.partial.rho, byTrain.partial, 'partial given final train accuracy');
        assert.equal(level.examples, N);
        // Each interval holds its estimate.
        for (const c of [level.partial, train.partial]) assert.ok(c.low! < c.rho! && c.rho! < c.high!, JSON.stringify(c));
        if (drive === 'level') {
          // Both accuracies follow the level: a clear raw correlation, nothing left given the level.
          assert.ok(ours.spearman.rho! > 0.5, `raw ${ours.spearman.rho}`);
          assert.ok(level.spearman_with_pre_memorization.rho! < -0.5, 'harder levels, lower accuracy');
          assert.ok(level.partial.low! < 0 && 0 < level.partial.high!, `given the level the interval holds 0: ${JSON.stringify(level.partial)}`);
        } else {
          // Skill within levels: the level explains nothing, and the partial stays with the raw.
          assert.ok(ours.spearman.rho! > 0.5, `raw ${ours.spearman.rho}`);
          assert.ok(Math.abs(level.spearman_with_pre_memorization.rho!) < 0.2);
          assert.ok(level.partial.low! > 0.4, `given the level still clearly positive: ${JSON.stringify(level.partial)}`);
        }
        const text = await runCli('robustness', run, '--db', db);
        assert.match(text.out, new RegExp(`given level \\(${N} examples\\): partial rho = ${level.partial.rho!.toFixed(4)} \\[`));
      } finally {
        tmp.cleanup();
      }
    },
  );
}

test('--control names the field; a field without an order, or absent, is refused with the example or field named', async () => {
  const tmp = tempDir();
  try {
    const run = writeRun(tmp.dir, 'skill', 7);
    const db = join(tmp.dir, 'index.sqlite');
    const subject = await runCli('robustness', run, '--db', db, '--control', 'subject');
    assert.equal(subject.code, 2);
    assert.match(subject.err, /--control subject: example #\d+ has "(Algebra|Geometry)", which has no order/);
    const missing = await runCli('robustness', run, '--db', db, '--control', 'difficulty');
    assert.equal(missing.code, 2);
    assert.match(missing.err, /no example with perturbed samples has the field difficulty/);
  } finally {
    tmp.cleanup();
  }
});

test('the example panel reads an example against its level: the slice premem report --by level gives, and its rank there', async () => {
  const { IndexStore } = await import('../../src/store/indexStore');
  const { indexPaths } = await import('../../src/store/indexer');
  const { analyseRun } = await import('../../src/queries/runAnalysis');
  const { exampleDetail } = await import('../../src/queries/exampleDetail');
  const tmp = tempDir();
  try {
    const run = writeRun(tmp.dir, 'level', 3);
    const db = join(tmp.dir, 'index.sqlite');
    const bySlice = JSON.parse((await runCli('report', run, '--db', db, '--by', 'level', '--json')).out) as {
      slices: { runs: { slices: { label: string; examples: number; pre_memorization_accuracy: number }[] }[] };
    };
    const finals = new Map(
      (await runCli('examples', run, '--db', db, '--json')).out
        .trim()
        .split('\n')
        .map((l) => JSON.parse(l) as { index: number; pre_memorization_accuracy: number[] })
        .map((e) => [e.index, e.pre_memorization_accuracy.at(-1)!]),
    );
    const levels = (await import('node:fs'))
      .readFileSync(join(tmp.dir, 'train.jsonl'), 'utf8')
      .trim()
      .split('\n')
      .map((l) => (JSON.parse(l) as { level: string }).level);
    const store = await IndexStore.open(db);
    try {
      await indexPaths(store, [run]);
      const stored = (await store.runs())[0]!;
      const options = { threshold: { kind: 'loglog' as const, value: -2.3 }, samplePreference: null };
      const a = await analyseRun(store, stored, options);
      const examples = await store.examples(stored.id);
      for (const e of examples.slice(0, 25)) {
        const d = await exampleDetail(store, a, e, options);
        const label = levels[e.index]!;
        const slice = bySlice.slices.runs[0]!.slices.find((s) => s.label === label)!;
        const own = finals.get(e.index)!;
        const mates = [...finals].filter(([i]) => i !== e.index && levels[i] === label).map(([, v]) => v);
        assert.deepEqual(d.level, {
          field: 'level',
          label,
          examples: slice.examples,
          preMemorizationAccuracy: slice.pre_memorization_accuracy,
          below: mates.filter((v) => v < own).length,
          above: mates.filter((v) => v > own).length,
        });
      }
    } finally {
      await store.close();
    }
  } finally {
    tmp.cleanup();
  }
});

test('premem slices shows pre-memorization accuracy within each level, by default where records carry one', async () => {
  const tmp = tempDir();
  try {
    const run = writeRun(tmp.dir, 'level', 5);
    const db = join(tmp.dir, 'index.sqlite');
    const report = JSON.parse((await runCli('report', run, '--db', db, '--by', 'level', '--json')).out) as { slices: unknown };
    const slices = await runCli('slices', run, '--db', db, '--json');
    assert.equal(slices.code, 0, slices.err);
    assert.deepEqual(JSON.parse(slices.out), report.slices);
    assert.equal((JSON.parse(slices.out) as { by: string }).by, 'level');
    const text = await runCli('slices', run, '--db', db);
    assert.match(text.out, /level_run by level \(at the last checkpoint\)\nlevel +examples +pre-mem acc/);
    const other = await runCli('slices', run, '--db', db, '--by', 'colour');
    assert.equal(other.code, 2);
    assert.match(other.err, /cannot be sliced by "colour"; it offers: steps, level, subject/);
  } finally {
    tmp.cleanup();
  }
});
