import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, test } from 'node:test';
import { alignSolutions, alignSteps, comparable, COPIED_SIMILARITY, lastBoxed, REWORDED_SIMILARITY, similarity, splitSteps, wordDiff } from '../../src/core/steps';
import { readNpyFile } from '../../src/ingest/npy';
import { skipUnless, TINYGSM } from '../helpers/paths';

const REFERENCE = 'Natalia sold 48/2 = <<48/2=24>>24 clips in May.\nNatalia sold 48+24 = <<48+24=72>>72 clips altogether in April and May.\n#### 72';

describe('splitting solutions into steps', () => {
  test('GSM8K: lines, the #### line as the final answer', () => {
    const s = splitSteps(REFERENCE);
    assert.equal(s.format, 'gsm8k');
    assert.deepEqual(s.steps, ['Natalia sold 48/2 = <<48/2=24>>24 clips in May.', 'Natalia sold 48+24 = <<48+24=72>>72 clips altogether in April and May.']);
    assert.equal(s.finalAnswer, '72');
  });
  test('LaTeX: sentences within lines, the last \\boxed{} with nested braces as the answer', () => {
    const s = splitSteps('We have $x^2 = 4$. Then $x = \\pm 2$. \\boxed{\\frac{1}{2}}\nSo the answer is \\boxed{\\frac{\\sqrt{2}}{2}}.');
    assert.equal(s.format, 'latex');
    assert.deepEqual(s.steps, ['We have $x^2 = 4$.', 'Then $x = \\pm 2$.', '\\boxed{\\frac{1}{2}}', 'So the answer is \\boxed{\\frac{\\sqrt{2}}{2}}.']);
    assert.equal(s.finalAnswer, '\\frac{\\sqrt{2}}{2}');
    assert.equal(lastBoxed('no box'), null);
    assert.equal(lastBoxed('\\boxed{unclosed'), null);
  });
  test('calculator annotations and spacing do not count in comparisons', () => {
    assert.equal(comparable('48/2 = <<48/2=24>>24   clips'), '48/2 = 24 clips');
    assert.equal(similarity('', ''), 1);
    assert.equal(similarity('abc', 'abc'), 1);
    assert.equal(similarity('abcd', 'abcx'), 0.75);
  });
});

describe('aligning a sample to the reference', () => {
  test('a verbatim copy (annotations dropped) is copied throughout, copy rate 1', () => {
    const a = alignSolutions('Natalia sold 48/2 = 24 clips in May.\nNatalia sold 48+24 = 72 clips altogether in April and May.\n#### 72', REFERENCE);
    assert.deepEqual(
      a.steps.map((s) => s.kind),
      ['copied', 'copied'],
    );
    assert.equal(a.copyRate, 1);
    assert.equal(a.sample.finalAnswer, '72');
  });

  test('own steps, reworded steps and skipped steps, in order', () => {
    const a = alignSolutions('First I halve 48.\nIn May Natalia sold 48/2 = 24 clips.\n#### 24', REFERENCE);
    assert.deepEqual(
      a.steps.map((s) => [s.kind, s.sample, s.reference]),
      [
        ['own', 0, null],
        ['reworded', 1, 0],
        ['skipped', null, 1],
      ],
    );
    const reworded = a.steps[1]!.similarity!;
    assert.ok(reworded >= REWORDED_SIMILARITY && reworded < COPIED_SIMILARITY, String(reworded));
    assert.equal(a.copyRate, 0);
  });

  test('dynamic programming, not greedy: two good pairs beat one better pair', () => {
    const r = ['aaaa bbbb cccc dXXX', 'aaaa bbbb cccc dddX'];
    const s = ['aaaa bbbb cccc dddd', 'aaaa bbbb cccc dddY'];
    // Greedy would pair s[0] with r[1] (its best match) and leave the rest unpaired.
    assert.ok(similarity(s[0]!, r[1]!) > similarity(s[0]!, r[0]!));
    const a = alignSteps(s, r);
    assert.deepEqual(
      a.steps.map((x) => [x.sample, x.reference]),
      [
        [0, 0],
        [1, 1],
      ],
    );
  });

  test('crossed steps: the alignment stays monotone', () => {
    const one = 'First add 5 and 7 to get 12.';
    const two = 'Then multiply 12 by 3 to get 36.';
    assert.ok(similarity(one, two) < REWORDED_SIMILARITY, 'the two steps are unrelated');
    const a = alignSteps([two, one], [one, two]);
    const pairs = a.steps.filter((s) => s.sample !== null && s.reference !== null);
    assert.equal(pairs.length, 1);
    assert.equal(a.copyRate, 0.5);
  });

  test('empty sample, empty reference', () => {
    assert.deepEqual(
      alignSteps([], ['a', 'b']).steps.map((s) => s.kind),
      ['skipped', 'skipped'],
    );
    assert.equal(alignSteps([], ['a']).copyRate, 0);
    assert.deepEqual(
      alignSteps(['a'], []).steps.map((s) => s.kind),
      ['own'],
    );
    assert.equal(alignSteps([], []).copyRate, 0);
    assert.deepEqual(
      alignSolutions('', REFERENCE).steps.map((s) => s.kind),
      ['skipped', 'skipped'],
    );
  });

  test('unicode steps', () => {
    const a = alignSteps(['Ünïcödé 😀 → 12 × 3 = 36', 'ganz eigener Schritt'], ['Ünïcödé 😀 → 12 × 3 = 36']);
    assert.deepEqual(
      a.steps.map((s) => s.kind),
      ['copied', 'own'],
    );
  });

  test('a 10,000-character sample aligns (and the reference step inside it is found)', () => {
    const filler = Array.from({ length: 160 }, (_, i) => `I keep thinking about item ${i} for a while.`).join('\n');
    const sample = `${filler}\nNatalia sold 48+24 = 72 clips altogether in April and May.\n#### 72`;
    assert.ok(sample.length > 6000);
    const long = sample + '\n' + 'x'.repeat(10_000 - sample.length);
    const a = alignSolutions(long, REFERENCE);
    assert.ok(a.steps.some((s) => s.kind === 'copied' && s.reference === 1));
    assert.equal(a.copyRate, 0.5);
  });

  test('word differences for display come back as text segments that rebuild both sides', () => {
    const d = wordDiff('sold 24 clips in May', 'sold 24 pens in May');
    assert.deepEqual(
      d
        .filter((x) => x.change !== 'added')
        .map((x) => x.text)
        .join(''),
      'sold 24 clips in May',
    );
    assert.deepEqual(
      d
        .filter((x) => x.change !== 'removed')
        .map((x) => x.text)
        .join(''),
      'sold 24 pens in May',
    );
    assert.ok(d.some((x) => x.change === 'added' && x.text.includes('pens')));
  });

  test('word differences keep every space of both sides, calculator notes and all', () => {
    const pairs: [string, string][] = [
      ['He read 5*5=<<5*5=25>>25 pages.', 'He read 25 pages today.'],
      ['Natalia sold 48/2=<<48/2=24>>24 clips in May.', 'Natalia sold 24clips  in May .'],
      ['a  b\tc', 'a b c'],
    ];
    for (const [reference, sample] of pairs) {
      const d = wordDiff(reference, sample);
      const side = (skip: string) =>
        d
          .filter((x) => x.change !== skip)
          .map((x) => x.text)
          .join('');
      assert.equal(side('added'), reference);
      assert.equal(side('removed'), sample);
    }
  });
});

test('tinygsm: late checkpoints copy the reference more than early ones', { skip: skipUnless(TINYGSM) }, () => {
  const run = join(TINYGSM, 'tinygsm_8epochs_full_lr0.001_bs8');
  const references = readFileSync(join(TINYGSM, 'train.jsonl'), 'utf8')
    .trim()
    .split('\n')
    .map((l) => (JSON.parse(l) as { answer: string }).answer);
  const meanCopyRate = (step: number) => {
    const texts = readNpyFile(join(run, `checkpoint-${step}`, 'train_answers4_seed2_temp0.8.npy')).data as string[];
    let sum = 0;
    texts.forEach((t, k) => (sum += alignSolutions(t, references[Math.floor(k / 4)]!).copyRate));
    return sum / texts.length;
  };
  const early = meanCopyRate(50);
  const late = meanCopyRate(400);
  console.log(`# tinygsm mean copy rate: checkpoint-50 ${early.toFixed(3)}, checkpoint-400 ${late.toFixed(3)}`);
  assert.ok(late > early + 0.05, `late ${late} vs early ${early}`);
});
