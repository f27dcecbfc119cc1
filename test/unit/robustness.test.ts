/**
 * The paper's per-example robustness: perturbed variants (`premem perturb`), samples on them in
 * the documented layout (`perturbed_samples[_<set>].jsonl`), and `premem robustness`, checked
 * against a direct computation from the files.
 */
import assert from 'node:assert/strict';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, test } from 'node:test';
import { arithmeticSteps, evaluate, perturb, perturbDataset, type Perturbation } from '../../src/core/perturb';
import { seededRandom } from '../../src/core/random';
import { binnedMeans, spearmanWithInterval } from '../../src/core/robustness';
import { gsm8kAnswer } from '../../src/core/grading';
import { runCli } from '../helpers/fixtures';
import { skipUnless, tempDir, TINYGSM } from '../helpers/paths';

/** Every step `a op b = c` of a solution holds, and its final answer is the last step's result. */
function consistent(answer: string): boolean {
  const steps = arithmeticSteps(answer);
  return steps.length > 0 && steps.every((s) => evaluate(s.expression) === Number(s.result)) && Number(gsm8kAnswer(answer)) === Number(steps.at(-1)!.result);
}

describe('premem perturb', () => {
  const records = [
    { question: 'Ava has 3 apples. Tom gives her 4 more apples. How many apples does Ava have?', answer: 'Ava has 3+4 = <<3+4=7>>7 apples.\n#### 7' },
    { question: 'A pen costs $12. Noah buys 5 pens and pays with $100. How much change does he get?', answer: '5 pens cost 5*12 = 60.\nHe gets 100-60 = 40 back.\n#### 40' },
    // An hour has 60 minutes, which the question never says: its arithmetic cannot be replayed.
    { question: 'Mia reads for 2 hours. How many minutes is that?', answer: 'That is 2*60 = <<2*60=120>>120 minutes.\n#### 120' },
  ];

  test('resampled numbers with the answer recomputed from the reference’s arithmetic; unreplayable problems skipped and counted', () => {
    const { perturbations, skipped } = perturbDataset(records, { seed: 3, kinds: ['resample-numbers'] });
    assert.equal(skipped['resample-numbers'], 1);
    assert.deepEqual(
      perturbations.map((p) => p.index),
      [0, 1],
    );
    for (const p of perturbations) {
      const original = records[p.index]!;
      assert.equal(p.preserves_answer, false);
      assert.notEqual(p.question, original.question);
      assert.ok(consistent(p.answer), p.answer);
      // The question's numbers are the ones the recomputed steps use.
      const qNumbers = new Set(p.question.match(/\d+/g));
      for (const s of arithmeticSteps(p.answer).slice(0, 1))
        for (const n of s.expression.match(/\d+/g)!) assert.ok(qNumbers.has(n), `${n} of ${s.expression} is in "${p.question}"`);
    }
    // Worked by hand for the first: 3+4 → a+b, and the final answer follows.
    const first = perturbations[0]!;
    const [a, b] = first.question.match(/\d+/g)!.map(Number);
    assert.equal(gsm8kAnswer(first.answer), String(a! + b!));
    assert.deepEqual(first.changes.at(-1), { from: '#### 7', to: `#### ${a! + b!}` });
  });

  test('answer-preserving edits change the question, keep the answer, and are reproducible by seed', () => {
    const one = perturbDataset(records, { seed: 1 });
    const again = perturbDataset(records, { seed: 1 });
    assert.deepEqual(one, again);
    const preserving = one.perturbations.filter((p) => p.preserves_answer);
    assert.ok(preserving.length >= 5);
    for (const p of preserving) {
      assert.notEqual(p.question, records[p.index]!.question, p.id);
      assert.equal(gsm8kAnswer(p.answer), gsm8kAnswer(records[p.index]!.answer), p.id);
      assert.ok(p.changes.length > 0);
    }
    const renamed = one.perturbations.find((p) => p.id === '0-rename-person')!;
    assert.ok(!/\bAva\b/.test(renamed.question) && !/\bAva\b/.test(renamed.answer), 'the name is changed in the question and the reference');
    assert.equal(new Set(one.perturbations.map((p) => p.id)).size, one.perturbations.length);
  });

  test('on tinygsm’s 400 training questions every recomputed answer is arithmetically consistent', { skip: skipUnless(TINYGSM) }, () => {
    const train = readFileSync(join(TINYGSM, 'train.jsonl'), 'utf8')
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l) as { question: string; answer: string });
    const { perturbations, skipped } = perturbDataset(train, { seed: 1, kinds: ['resample-numbers'] });
    assert.equal(perturbations.length + skipped['resample-numbers'], 400);
    assert.ok(perturbations.length >= 300, `${perturbations.length} of 400 replayable`);
    for (const p of perturbations) assert.ok(consistent(p.answer), `${p.id}: ${p.answer}`);
  });
});

/** Average ranks (ties share the mean of their places), computed independently of the product. */
function ranks(xs: readonly number[]): number[] {
  const sorted = [...xs].sort((a, b) => a - b);
  return xs.map((x) => {
    const first = sorted.indexOf(x);
    const last = sorted.lastIndexOf(x);
    return (first + last) / 2 + 1;
  });
}

function pearson(x: readonly number[], y: readonly number[]): number {
  const mx = x.reduce((a, b) => a + b, 0) / x.length;
  const my = y.reduce((a, b) => a + b, 0) / y.length;
  let sxy = 0;
  let sxx = 0;
  let syy = 0;
  x.forEach((xi, i) => {
    sxy += (xi - mx) * (y[i]! - my);
    sxx += (xi - mx) ** 2;
    syy += (y[i]! - my) ** 2;
  });
  return sxy / Math.sqrt(sxx * syy);
}

test('rank correlation with Fisher’s interval and binned means, against a direct computation', () => {
  const rand = seededRandom(11);
  // Accuracies are fractions of 4 samples: many ties, as in real runs.
  const x = Array.from({ length: 200 }, () => Math.floor(rand() * 5) / 4);
  const y = x.map((v) => Math.min(1, Math.max(0, Math.round((v * 0.6 + rand() * 0.5) * 3) / 3)));
  const r = spearmanWithInterval(x, y);
  const rho = pearson(ranks(x), ranks(y));
  assert.ok(Math.abs(r.rho - rho) < 1e-12, `${r.rho} vs ${rho}`);
  const se = Math.sqrt(1.06 / (200 - 3));
  assert.ok(Math.abs(r.low - Math.tanh(Math.atanh(rho) - 1.959963984540054 * se)) < 1e-9);
  assert.ok(Math.abs(r.high - Math.tanh(Math.atanh(rho) + 1.959963984540054 * se)) < 1e-9);
  const bins = binnedMeans(x, y);
  for (let b = 0; b < 5; b++) {
    const members = y.filter((_, i) => Math.min(4, Math.floor(x[i]! * 5)) === b);
    assert.equal(bins[b]!.examples, members.length);
    if (members.length) assert.ok(Math.abs(bins[b]!.mean - members.reduce((a, v) => a + v, 0) / members.length) < 1e-12);
  }
  assert.equal(
    bins.reduce((a, b) => a + b.examples, 0),
    200,
  );
  assert.ok(Number.isNaN(spearmanWithInterval([1, 1, 1, 1], [0, 1, 0, 1]).rho), 'a constant side has no rank correlation');
});

describe('premem robustness on a run with perturbed samples', () => {
  const { dir, cleanup } = tempDir();
  test.after(cleanup);
  const run = join(dir, 'run_3epochs');
  const N = 40;
  const rand = seededRandom(4);
  const questions = Array.from({ length: N }, (_, i) => ({ question: `Q${i}: Ava has ${i} pens. How many?`, answer: `Ava has ${i}.\n#### ${i}` }));
  writeFileSync(join(dir, 'train.jsonl'), questions.map((q) => JSON.stringify(q) + '\n').join(''));
  // Three checkpoints; 4 samples per question; perplexity falls over training.
  const acc = Array.from({ length: N }, () => [rand(), rand(), rand()].map((p) => Array.from({ length: 4 }, () => rand() < p)));
  for (const [j, step] of [10, 20, 30].entries()) {
    const c = join(run, `checkpoint-${step}`);
    mkdirSync(c, { recursive: true });
    writeFileSync(join(c, 'train_samples.jsonl'), acc.map((a, i) => JSON.stringify({ index: i, correct: a[j] }) + '\n').join(''));
    writeFileSync(join(c, 'train_references.jsonl'), questions.map((_, i) => JSON.stringify({ index: i, perplexity: 1 + rand() * (1 - j * 0.45) }) + '\n').join(''));
  }
  // Perturbed samples at the last checkpoint: 2 variants per example, 2 samples each.
  const variants: (Perturbation & { correct: boolean[] })[] = questions.flatMap((q, i) =>
    ['rename-person', 'resample-numbers'].map((kind) => ({
      id: `${i}-${kind}`,
      index: i,
      kind: kind as Perturbation['kind'],
      preserves_answer: kind === 'rename-person',
      question: q.question.replace('Ava', 'Zoe'),
      answer: q.answer,
      changes: [{ from: 'Ava', to: 'Zoe' }],
      correct: [rand() < 0.5, rand() < 0.5],
    })),
  );
  writeFileSync(join(run, 'checkpoint-30', 'perturbed_samples_t1.jsonl'), variants.map((v) => JSON.stringify(v) + '\n').join(''));

  test('--json: the contract, equal to a direct computation from the files and premem examples', async () => {
    const db = join(dir, 'index.sqlite');
    const r = await runCli('robustness', run, '--db', db, '--json');
    assert.equal(r.code, 0, r.err);
    const json = JSON.parse(r.out) as {
      checkpoint: number;
      examples: number;
      spearman: { rho: number; low: number; high: number };
      bins: { pre_memorization_accuracy: [number, number]; examples: number; perturbed_accuracy: number | null }[];
    };
    assert.equal(json.checkpoint, 30);
    assert.equal(json.examples, N);
    const ex = await runCli('examples', run, '--db', db, '--json');
    const premem = new Map(
      ex.out
        .trim()
        .split('\n')
        .map((l) => JSON.parse(l) as { index: number; pre_memorization_accuracy: number[] })
        .map((e) => [e.index, e.pre_memorization_accuracy.at(-1)!]),
    );
    const x: number[] = [];
    const y: number[] = [];
    for (let i = 0; i < N; i++) {
      const mine = variants.filter((v) => v.index === i).flatMap((v) => v.correct);
      x.push(premem.get(i)!);
      y.push(mine.filter(Boolean).length / mine.length);
    }
    assert.ok(Math.abs(json.spearman.rho - pearson(ranks(x), ranks(y))) < 1e-12);
    assert.ok(json.spearman.low < json.spearman.rho && json.spearman.rho < json.spearman.high);
    for (const [b, bin] of json.bins.entries()) {
      const members = y.filter((_, i) => Math.min(4, Math.floor(x[i]! * 5)) === b);
      assert.equal(bin.examples, members.length);
      assert.deepEqual(bin.pre_memorization_accuracy, [b / 5, (b + 1) / 5]);
      if (members.length) assert.ok(Math.abs(bin.perturbed_accuracy! - members.reduce((a, v) => a + v, 0) / members.length) < 1e-12);
      else assert.equal(bin.perturbed_accuracy, null);
    }
    const text = await runCli('robustness', run, '--db', db);
    assert.match(text.out, /Spearman rho/);
    assert.match(text.out, /rename-person/);
  });

  test('a bad line in a perturbed samples file is named, and the rest of the run stays indexed', async () => {
    const db = join(dir, 'bad.sqlite');
    const file = join(run, 'checkpoint-20', 'perturbed_samples_bad.jsonl');
    writeFileSync(file, JSON.stringify({ id: 'x', index: 999, question: 'q', answer: '#### 1', correct: [true] }) + '\n');
    const r = await runCli('report', run, '--db', db);
    assert.match(r.out + r.err, /perturbed_samples_bad\.jsonl: line 1: .*example 999, which the run does not analyse/);
    const none = await runCli('robustness', run, '--db', db, '--checkpoint', '20');
    assert.notEqual(none.code, 0);
    assert.match(none.err, /no perturbed samples at checkpoint 20; there are some at 30/);
    const ok = await runCli('robustness', run, '--db', db, '--json');
    assert.equal(ok.code, 0, ok.err);
  });
});

test('number formatting keeps every digit: thirty 9s and a 400-digit number get separators, never a rounded or infinite value', () => {
  const random = seededRandom(1);
  const thirty = '9'.repeat(30);
  const v = perturb(`Tom has ${thirty} coins. How many?`, `He has ${thirty}.\n#### ${thirty}`, 'number-format', random)!;
  assert.equal(v.changes[0]!.to, '999,' + Array(9).fill('999').join(','));
  assert.equal(v.changes[0]!.to.replace(/,/g, ''), thirty, 'the same number, written with separators');
  assert.equal(v.question, `Tom has ${v.changes[0]!.to} coins. How many?`);
  const long = '7' + '3'.repeat(399);
  const w = perturb(`A ${long} step walk. How far?`, `#### ${long}`, 'number-format', random)!;
  assert.doesNotMatch(w.question, /∞|Infinity|e\+/);
  assert.equal(w.changes[0]!.to.replace(/,/g, ''), long);
  // Hand-checked: 1234567 → 1,234,567; a leading-zero code is left alone; decimals are not split.
  assert.equal(perturb('Pay 1234567 now.', '#### 1', 'number-format', random)!.changes[0]!.to, '1,234,567');
  assert.equal(perturb('Code 01234 costs $5 each.', '#### 1', 'number-format', random)!.changes[0]!.to, '$5.00');
  assert.equal(perturb('It is 3.14159 long.', '#### 1', 'number-format', random), null);
});

test('numbers past 2^53 are not resampled (their arithmetic cannot be replayed exactly): skipped, never mis-recomputed', () => {
  const big = '123456789012345678901';
  const r = perturb(
    `Ann has ${big} beads and 2 more. How many?`,
    `${big}+2 = <<${big}+2=123456789012345678903>>123456789012345678903\n#### 123456789012345678903`,
    'resample-numbers',
    seededRandom(3),
  );
  assert.equal(r, null);
});
