/**
 * Numbers a researcher can act on for their own runs: fits and predictions only where they
 * mean something, a damaged checkpoint that costs only itself, and runs that can be closed.
 */
import assert from 'node:assert/strict';
import { cpSync, existsSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { writeExampleSweep } from '../../src/example/exampleSweep';
import { fitLine } from '../../src/core/fit';
import { predictTest } from '../../src/queries/runSummary';
import { runCli } from '../helpers/fixtures';
import { KANG_SWEEP, skipUnless, tempDir, TINYGSM } from '../helpers/paths';

interface ReportJson {
  threshold: Record<string, unknown>;
  runs: {
    name: string;
    checkpoints: { step: number; train_accuracy: number; test_accuracy: number | null }[];
    skipped_checkpoints: { step: number; file: string; reason: string }[];
  }[];
  fit: { points: number; r2: number } | null;
  fit_withheld?: string;
}

describe('trust', () => {
  let tmp: ReturnType<typeof tempDir>;
  let sweep: string;
  let db: string;
  before(() => {
    tmp = tempDir('premem-trust-');
    sweep = writeExampleSweep(join(tmp.dir, 'example'));
    db = join(tmp.dir, 'index.sqlite');
  });
  after(() => tmp.cleanup());

  const report = async (...args: string[]) => {
    const r = await runCli('report', ...args, '--db', db, '--json');
    assert.equal(r.code, 0, r.err);
    return JSON.parse(r.out) as ReportJson;
  };

  test('a fit is withheld below 3 runs or 5 checkpoints with test evaluations, and says why', async () => {
    const whole = await report(sweep);
    assert.ok(whole.fit !== null && whole.fit.points === 18);
    assert.equal(whole.fit_withheld, undefined);
    const one = await report(join(sweep, 'example_3epochs_lr2e-04'));
    assert.equal(one.fit, null);
    assert.equal(one.fit_withheld, 'needs 3 runs and 5 checkpoints with test evaluations; this has 1 run and 6 checkpoints');
    const two = await report(join(sweep, 'example_3epochs_lr2e-04'), join(sweep, 'example_3epochs_lr1e-05'));
    assert.equal(two.fit, null);
    assert.match(two.fit_withheld!, /this has 2 runs and 12 checkpoints/);
    const text = await runCli('report', join(sweep, 'example_3epochs_lr2e-04'), '--db', db);
    assert.match(text.out, /fit withheld: needs 3 runs/);
  });

  test('predictions are clamped to [0, 1], interval and all, and none come from a withheld fit', () => {
    // A steep line: at x = 1 it says 1.4.
    const xs = [0.1, 0.2, 0.3, 0.4, 0.5, 0.6];
    const ys = xs.map((x, i) => 2 * x - 0.6 + (i % 2 ? 0.01 : -0.01));
    const model = { fit: fitLine(xs, ys), xs, ys, withheld: null };
    const p = predictTest(model, 1);
    assert.equal(p.value, 1);
    assert.ok(p.interval && p.interval.high === 1 && p.interval.low <= 1 && p.interval.low >= 0);
    const low = predictTest(model, 0);
    assert.equal(low.value, 0);
    assert.deepEqual(predictTest({ ...model, withheld: 'too few' }, 0.5), { value: null, interval: null });
  });

  test('a damaged checkpoint costs that checkpoint, not the run; --strict keeps all-or-nothing', { skip: skipUnless(TINYGSM) }, async () => {
    const run = join(tmp.dir, 'tinygsm_copy');
    cpSync(join(TINYGSM, 'tinygsm_8epochs_full_lr0.001_bs8'), run, {
      recursive: true,
      // Only what the index reads: the ONNX models and tokenizers stay behind.
      filter: (src) => !/\.onnx$|tokenizer\.json$|\.safetensors$/.test(src),
    });
    cpSync(join(TINYGSM, 'train.jsonl'), join(tmp.dir, 'train.jsonl'));
    const good = await report(run);
    const ppl = join(run, 'checkpoint-200', 'train_perplexities.npy');
    const original = readFileSync(ppl);
    writeFileSync(ppl, Buffer.concat([original.subarray(0, 60), Buffer.from('garbled')]));
    const damaged = await report(run);
    const r = damaged.runs[0]!;
    assert.deepEqual(
      r.skipped_checkpoints.map((s) => s.step),
      [200],
    );
    assert.equal(r.skipped_checkpoints[0]!.file, ppl);
    assert.match(r.skipped_checkpoints[0]!.reason, /\.npy header|truncated/);
    assert.deepEqual(
      r.checkpoints.map((c) => c.step),
      good.runs[0]!.checkpoints.map((c) => c.step).filter((s) => s !== 200),
      'the seven good checkpoints are read',
    );
    // Per-checkpoint figures that do not depend on other checkpoints are unchanged.
    for (const c of r.checkpoints) {
      const before = good.runs[0]!.checkpoints.find((g) => g.step === c.step)!;
      assert.equal(c.train_accuracy, before.train_accuracy);
      assert.equal(c.test_accuracy, before.test_accuracy);
    }
    const text = await runCli('report', run, '--db', db);
    assert.match(text.out, /skipped step 200 \(its figures are left out\): .*train_perplexities\.npy/);
    const strict = await runCli('report', run, '--db', db, '--strict');
    assert.equal(strict.code, 1);
    assert.match(strict.err, /--strict: 1 checkpoint could not be read/);
    // Unchanged on disk: nothing is read again. Repaired: read, and no longer skipped.
    const again = await runCli('index', run, '--db', db);
    assert.match(again.err, /unchanged/);
    writeFileSync(ppl, original);
    const repaired = await report(run);
    assert.deepEqual(repaired.runs[0]!.skipped_checkpoints, []);
    assert.deepEqual(repaired.runs[0]!.checkpoints, good.runs[0]!.checkpoints);
  });

  test('premem forget takes a run out of the index and keeps its flags', async () => {
    const run = join(sweep, 'example_3epochs_lr5e-05');
    assert.equal((await runCli('flag', run, '2', '--note', 'kept', '--db', db)).code, 0);
    const r = await runCli('forget', run, '--db', db);
    assert.equal(r.code, 0, r.err);
    assert.match(r.err, /forgot 1 run: .*example_3epochs_lr5e-05 \(their flags are kept\)/);
    const flags = JSON.parse((await runCli('flags', '--db', db, '--json')).out) as { run: string; note: string }[];
    assert.ok(flags.some((f) => f.run === run && f.note === 'kept'));
    assert.match((await runCli('forget', run, '--db', db)).err, /is not in the index/);
    // A sweep: all of its runs.
    const s = await runCli('forget', sweep, '--db', db);
    assert.match(s.err, /forgot 2 runs/);
    // Indexing brings them back.
    assert.equal((await report(sweep)).runs.length, 3);
  });
});

describe('a threshold per sweep, set once, used everywhere', () => {
  let tmp: ReturnType<typeof tempDir>;
  before(() => (tmp = tempDir('premem-threshold-')));
  after(() => tmp.cleanup());

  test('stored for a sweep, it is what report and examples use; an option overrides it; it outlives the index', async () => {
    const sweep = writeExampleSweep(join(tmp.dir, 'example'));
    const db = join(tmp.dir, 'index.sqlite');
    const run = join(sweep, 'example_3epochs_lr2e-04');
    const json = async (...args: string[]) => {
      const r = await runCli(...args, '--db', db, '--json');
      assert.equal(r.code, 0, r.err);
      return r.out;
    };
    const before = JSON.parse(await json('report', sweep)) as ReportJson;
    assert.equal(before.threshold['source'], 'default');
    const at = (t: string) => json('report', sweep, '--loglog-threshold', t);
    const at3 = JSON.parse(await at('-3')) as ReportJson;
    assert.equal(at3.threshold['source'], 'option');
    assert.equal((await runCli('threshold', sweep, '--loglog-threshold', '-3', '--db', db)).code, 0);
    const stored = JSON.parse(await json('report', sweep)) as ReportJson;
    assert.equal(stored.threshold['source'], 'stored');
    assert.equal(stored.threshold['loglog'], -3);
    // The same figures; only each run's label says where its threshold came from.
    const figures = (r: ReportJson) => r.runs.map((x) => ({ ...x, threshold: undefined }));
    assert.deepEqual(figures(stored), figures(at3), 'the same figures as with the option');
    // examples use it too.
    assert.equal(await json('examples', run), await json('examples', run, '--loglog-threshold', '-3'));
    assert.notEqual(await json('examples', run), await json('examples', run, '--loglog-threshold', '-2.3'));
    // An option still wins for that call.
    assert.equal((JSON.parse(await at('-2.3')) as ReportJson).threshold['loglog'], -2.3);
    // Shown, and kept when the index is deleted (user state, beside the flags).
    assert.match((await runCli('threshold', sweep, '--db', db)).out, /ln ln −3\.00 · set for this example/);
    rmSync(db);
    assert.equal((JSON.parse(await json('report', sweep)) as ReportJson).threshold['source'], 'stored');
    assert.equal((await runCli('threshold', sweep, '--clear', '--db', db)).code, 0);
    assert.equal((JSON.parse(await json('report', sweep)) as ReportJson).threshold['source'], 'default');
  });

  test('calibrate --apply keeps the cross-validated threshold for the authors’ sweep', { skip: skipUnless(KANG_SWEEP) }, async () => {
    const db = join(tmp.dir, 'kang.sqlite');
    const r = await runCli('calibrate', KANG_SWEEP, '--apply', '--db', db);
    assert.equal(r.code, 0, r.err);
    assert.match(r.err, /kept ln ln -2\.50 for .*gsm8k/);
    const report = JSON.parse((await runCli('report', KANG_SWEEP, '--db', db, '--json')).out) as ReportJson;
    assert.equal(report.threshold['loglog'], -2.5);
    assert.equal(report.threshold['source'], 'stored');
    const c = report.threshold['calibration'] as { method: string; runs: number; heldOutRmse: number };
    assert.equal(c.method, 'leave-one-run-out');
    assert.equal(c.runs, 13);
    assert.ok(Math.abs(c.heldOutRmse - 0.0346) < 0.0005, String(c.heldOutRmse));
    const text = await runCli('report', KANG_SWEEP, '--db', db);
    assert.match(text.out, /calibrated on 13 runs \(held-out RMSE 3\.46%\)/);
  });

  test('calibration without a sweep: tinygsm against its own sample texts', { skip: skipUnless(TINYGSM) }, async () => {
    const db = join(tmp.dir, 'tiny.sqlite');
    const r = await runCli('calibrate', join(TINYGSM, 'tinygsm_8epochs_full_lr0.001_bs8'), '--against', 'text', '--json', '--db', db);
    assert.equal(r.code, 0, r.err);
    type Row = { threshold: number; agreement: number; kappa: number; f1: number };
    const c = JSON.parse(r.out) as { best: Row; scores: Row[]; copies: number };
    const at = (t: number) => c.scores.find((s) => Math.abs(s.threshold - t) < 1e-9)!;
    console.log(
      `# tinygsm: best kappa ${c.best.kappa.toFixed(3)} (F1 ${c.best.f1.toFixed(3)}, agreement ${(100 * c.best.agreement).toFixed(1)}%) at ln ln ${c.best.threshold.toFixed(1)}; kappa ${at(-3).kappa.toFixed(3)} at -3, ${at(-2.3).kappa.toFixed(3)} at -2.3; ${c.copies} copied pairs`,
    );
    // Chosen by κ, the highest of the rows: not by raw agreement, which is flat near 95% from −4
    // to −3.5 here because copies are rare (saying "nothing is memorized" agrees 94.8% of the time).
    assert.equal(c.best.kappa, Math.max(...c.scores.map((x) => x.kappa).filter(Number.isFinite)));
    assert.ok(at(-4).agreement > 0.94 && at(-4).kappa < 0.01, 'at −4 nothing is memorized: high agreement, no agreement beyond chance');
    assert.ok(c.best.threshold > -3.5, 'κ does not reward the flat "nothing is memorized" end');
    assert.ok(at(-3).kappa > at(-2.3).kappa, 'the README’s −3 beats −2.3');
    assert.ok(c.best.threshold < -2.3, 'a character-level model needs a lower cut than the authors’ −2.3');
  });
});

describe('the authors’ sweep, with a dataset attached and every run of an example at once', () => {
  // Each test skips on its own (counted per test, with the reason), not the whole suite as one.
  const skip = skipUnless(KANG_SWEEP);
  let tmp: ReturnType<typeof tempDir>;
  let db: string;
  let dataset: string;
  before(() => {
    if (skip) return;
    tmp = tempDir('premem-attach-');
    db = join(tmp.dir, 'index.sqlite');
    // A GSM8K-shaped training set of 7,473 records (the real one is not shipped): record i
    // names its index, so what the views show can be checked against it.
    dataset = join(tmp.dir, 'train.jsonl');
    writeFileSync(
      dataset,
      Array.from({ length: 7473 }, (_, i) => JSON.stringify({ question: `Question ${i}: how many?`, answer: `Step one for ${i}.\n#### ${i}` })).join('\n') + '\n',
    );
  });
  after(() => tmp?.cleanup());

  test('a dataset attached to the sweep gives every run its questions, and is kept as user state', { skip }, async () => {
    const short = join(tmp.dir, 'short.jsonl');
    writeFileSync(short, readFileSync(dataset, 'utf8').split('\n').slice(0, 100).join('\n') + '\n');
    const refused = await runCli('attach', KANG_SWEEP, '--train', short, '--db', db);
    assert.equal(refused.code, 1, 'a file that does not cover the analysed examples is refused');
    assert.match(refused.err, /short\.jsonl: has 100 records but the checkpoints hold 7473 training questions/);
    const r = await runCli('attach', KANG_SWEEP, '--train', dataset, '--db', db);
    assert.equal(r.code, 0, r.err);
    assert.match(r.err, /attached .*train\.jsonl to 13 runs/);
    const run = join(KANG_SWEEP, 'gsm8k_orig_3epochs_full_lr2e-05_bs128');
    const lines = (await runCli('examples', run, '--db', db, '--json', '--limit', '3')).out
      .split('\n')
      .map((l) => JSON.parse(l) as { index: number; question: string; answer: string });
    for (const l of lines) assert.equal(l.question, `Question ${l.index}: how many?`);
    // The (read-only) run folders were not written.
    assert.ok(!existsSync(join(KANG_SWEEP, 'train.jsonl')));
    // Deleting the index keeps the attachment (it lives beside the flags).
    rmSync(db);
    const again = JSON.parse((await runCli('examples', run, '--db', db, '--json', '--limit', '1')).out) as { question: string };
    assert.match(again.question, /^Question \d+: how many\?$/);
  });

  test('examples --index: one example in every run of the sweep', { skip }, async () => {
    const r = await runCli('examples', KANG_SWEEP, '--index', '11,12', '--db', db, '--json');
    assert.equal(r.code, 0, r.err);
    const lines = r.out.split('\n').map((l) => JSON.parse(l) as { run: string; index: number; memorization_step: number | null; question?: string });
    const runs = new Set(lines.map((l) => l.run));
    // Every run that analyses these examples (the half-data run analyses half the questions).
    assert.ok(runs.size >= 12 && runs.size <= 13, String(runs.size));
    assert.ok([...runs].every((r) => r.startsWith('gsm8k_orig_')));
    assert.deepEqual([...new Set(lines.map((l) => l.index))].sort(), [11, 12]);
    // Each line is that run's own figures for the example, as `examples <run>` gives them.
    const one = lines.find((l) => l.run === 'gsm8k_orig_3epochs_full_lr2e-05_bs128' && l.index === 11)!;
    const alone = (await runCli('examples', join(KANG_SWEEP, 'gsm8k_orig_3epochs_full_lr2e-05_bs128'), '--db', db, '--json')).out
      .split('\n')
      .map((l) => JSON.parse(l) as { index: number; memorization_step: number | null })
      .find((l) => l.index === 11)!;
    assert.equal(one.memorization_step, alone.memorization_step);
    assert.equal(one.question, 'Question 11: how many?');
    assert.equal((await runCli('examples', KANG_SWEEP, '--db', db)).code, 2, 'a sweep without --index is a usage error');
  });
});

describe('examples that stay unlearned whatever the run', () => {
  // Each test skips on its own (counted per test, with the reason), not the whole suite as one.
  const skip = skipUnless(KANG_SWEEP);
  test('premem examples <sweep> --sort unlearned: copied before solved in the most runs first, counted run by run', { skip }, async () => {
    const tmp = tempDir('premem-unlearned-');
    try {
      const db = join(tmp.dir, 'index.sqlite');
      const r = await runCli('examples', KANG_SWEEP, '--sort', 'unlearned', '--limit', '5', '--json', '--db', db);
      assert.equal(r.code, 0, r.err);
      const top = r.out.split('\n').map((l) => JSON.parse(l) as { index: number; runs: number; memorized_before_solved: number; mean_pre_memorization_accuracy: number });
      assert.equal(top.length, 5);
      for (let i = 1; i < top.length; i++) assert.ok(top[i - 1]!.memorized_before_solved >= top[i]!.memorized_before_solved);
      // The count for the first, checked against each run's own figures.
      const across = (await runCli('examples', KANG_SWEEP, '--index', String(top[0]!.index), '--json', '--db', db)).out
        .split('\n')
        .map((l) => JSON.parse(l) as { category: string });
      assert.equal(top[0]!.runs, across.length);
      assert.equal(top[0]!.memorized_before_solved, across.filter((a) => a.category === 'memorized-before-solved').length);
      console.log(`# GSM8K: example #${top[0]!.index} was memorized before ever solved in ${top[0]!.memorized_before_solved} of ${top[0]!.runs} runs`);
      // 7 of 12: runs that memorized it at their first checkpoint (nothing earlier to measure) do not count.
      assert.ok(top[0]!.memorized_before_solved >= 7, 'some examples are copied, not learned, in most runs');
    } finally {
      tmp.cleanup();
    }
  });
});

describe('a report labels each run with the threshold its figures use', () => {
  const { dir, cleanup } = tempDir();
  test.after(cleanup);
  test('a sweep at −3.1 with one run kept at −2.0: that run is labelled −2.0, for itself, and its figures are −2.0’s', async () => {
    const sweep = writeExampleSweep(join(dir, 'sweep'));
    const run = join(sweep, 'example_3epochs_lr2e-04');
    const db = join(dir, 'index.sqlite');
    assert.equal((await runCli('threshold', sweep, '--loglog-threshold', '-3.1', '--db', db)).code, 0);
    assert.equal((await runCli('threshold', run, '--loglog-threshold', '-2.0', '--db', db)).code, 0);
    const r = await runCli('report', sweep, '--db', db, '--json');
    assert.equal(r.code, 0, r.err);
    type Labelled = { loglog: number; source: string; stored_for?: string };
    const json = JSON.parse(r.out) as { runs: { path: string; threshold: Labelled; checkpoints: { pre_memorization_accuracy: number }[] }[] };
    for (const x of json.runs) {
      if (x.path === run) assert.deepEqual([x.threshold.loglog, x.threshold.source, x.threshold.stored_for], [-2, 'stored', run]);
      else assert.deepEqual([x.threshold.loglog, x.threshold.source, x.threshold.stored_for], [-3.1, 'stored', sweep]);
    }
    // The figures are those of −2.0, as the label says (an independent call with the option).
    const alone = JSON.parse((await runCli('report', run, '--db', db, '--json', '--loglog-threshold', '-2.0')).out) as typeof json;
    assert.deepEqual(
      json.runs.find((x) => x.path === run)!.checkpoints.map((c) => c.pre_memorization_accuracy),
      alone.runs[0]!.checkpoints.map((c) => c.pre_memorization_accuracy),
    );
    const text = (await runCli('report', sweep, '--db', db)).out;
    assert.match(text, /example_3epochs_lr2e-04 .*\nmemorized here: ln\(ln\(ppl\)\) < -2\.000 .* stored for this run/);
    assert.doesNotMatch(text.split('example_3epochs_lr2e-04')[1]!.split('\n\n')[0]!, /-3\.100/);
  });
});

test('text calibration on a run with no copies says there are too few to choose by, and --apply keeps nothing', async () => {
  const { dir, cleanup } = tempDir();
  try {
    const run = join(writeExampleSweep(join(dir, 'sweep')), 'example_3epochs_lr1e-05');
    const db = join(dir, 'index.sqlite');
    const r = await runCli('calibrate', run, '--against', 'text', '--json', '--db', db);
    assert.equal(r.code, 0, r.err);
    const c = JSON.parse(r.out) as { best: unknown; copies: number; too_few_copies: string; scores: { agreement: number }[] };
    assert.equal(c.best, null);
    assert.equal(c.copies, 0);
    assert.match(c.too_few_copies, /finds 0 copied \(example, checkpoint\) pairs, fewer than 20/);
    assert.equal(c.scores[0]!.agreement, 1, 'raw agreement at −4 is perfect here, and means nothing');
    const apply = await runCli('calibrate', run, '--against', 'text', '--apply', '--db', db);
    assert.equal(apply.code, 2);
    assert.match(apply.err, /nothing to apply: the text criterion finds 0 copied/);
    const kept = await runCli('threshold', run, '--db', db);
    assert.match(kept.out + kept.err, /no threshold stored for .*: the default applies/i);
  } finally {
    cleanup();
  }
});
