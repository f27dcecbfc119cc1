/**
 * Grading sampled solutions: GSM8K's `#### N` and MATH's last `\boxed{}`, with the authors'
 * answer codes (0 correct, 1 wrong, 2 no final answer). Checked by hand on each answer form,
 * and against every sample the tinygsm run graded itself (its answer-types arrays).
 */
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, test } from 'node:test';
import { answerFormOf, grade, gsm8kAnswer, lastBoxed, normalizeMathAnswer } from '../../src/core/grading';
import { readNpyFile } from '../../src/ingest/npy';
import { skipUnless, TINYGSM } from '../helpers/paths';

const gsm = (n: string) => `Some steps.\n#### ${n}`;

describe('GSM8K answers', () => {
  test('numbers are compared as numbers', () => {
    for (const form of ['1000', '1,000', '1000.0', '$1,000', '1000.', ' 1000 dollars', '+1000']) assert.equal(grade(gsm(form), gsm('1000')), 0, form);
    assert.equal(grade(gsm('1001'), gsm('1000')), 1);
    assert.equal(grade(gsm('-5'), gsm('5')), 1);
    assert.equal(grade(gsm('-5'), gsm('-5')), 0);
    assert.equal(grade(gsm('0.50'), gsm('0.5')), 0);
  });

  test('no final answer: no ####, nothing numeric after it, or a #### run like the authors grade it', () => {
    assert.equal(grade('The answer is 1000.', gsm('1000')), 2);
    assert.equal(grade('steps\n#### lots', gsm('1000')), 2);
    // Python's "##### 46".split("####")[-1] is "# 46": no number, as the authors' files code it.
    assert.equal(grade('steps\n##### 46', gsm('46')), 2);
    assert.equal(grade('x\n#### 46\n############', gsm('46')), 2);
    assert.equal(gsm8kAnswer('#### 12,3'), null, 'a misplaced comma is not a thousands separator');
  });

  test('the last #### counts', () => {
    assert.equal(grade('#### 3\nno wait\n#### 4', gsm('4')), 0);
    assert.equal(grade('#### 4\nno wait\n#### 3', gsm('4')), 1);
  });

  test('every sample of the tinygsm run is graded as its own files grade it', { skip: skipUnless(TINYGSM) }, () => {
    const run = join(TINYGSM, 'tinygsm_8epochs_full_lr0.001_bs8');
    let total = 0;
    for (const split of ['train', 'test'] as const) {
      const references = readFileSync(join(TINYGSM, `${split}.jsonl`), 'utf8')
        .trim()
        .split('\n')
        .map((l) => (JSON.parse(l) as { answer: string }).answer);
      for (const step of [50, 100, 150, 200, 250, 300, 350, 400]) {
        const texts = readNpyFile(join(run, `checkpoint-${step}`, `${split}_answers4_seed2_temp0.8.npy`)).data as ArrayLike<string>;
        const codes = readNpyFile(join(run, `checkpoint-${step}`, `${split}_answer_types4_seed2_temp0.8.npy`)).data as ArrayLike<number>;
        for (let i = 0; i < references.length; i++)
          for (let k = 0; k < 4; k++) {
            const expected = Number(codes[i * 4 + k]);
            assert.equal(
              grade(texts[i * 4 + k]!, references[i]!),
              expected,
              `${split} checkpoint-${step} question ${i} sample ${k}: ${JSON.stringify(texts[i * 4 + k]!.slice(-60))}`,
            );
            total++;
          }
      }
    }
    assert.equal(total, 19200);
  });
});

describe('MATH answers', () => {
  const math = (a: string) => `So the answer is $\\boxed{${a}}$.`;

  test('the last \\boxed{} with nested braces, \\fbox and \\boxed x', () => {
    assert.equal(lastBoxed('first \\boxed{1} then \\boxed{\\frac{1}{2}}'), '\\frac{1}{2}');
    assert.equal(lastBoxed('\\fbox{7}'), '7');
    assert.equal(lastBoxed('is $\\boxed 5$.'), '5');
    assert.equal(lastBoxed('\\boxed{unclosed'), null);
    assert.equal(answerFormOf(math('3')), 'math');
    assert.equal(answerFormOf(gsm('3')), 'gsm8k');
  });

  test('equivalent LaTeX forms are one answer', () => {
    const same: [string, string][] = [
      ['\\frac12', '\\frac{1}{2}'],
      ['\\dfrac{1}{2}', '\\frac{1}{2}'],
      ['0.5', '\\frac{1}{2}'],
      ['1/2', '\\frac{1}{2}'],
      ['\\left(3, 4\\right)', '(3,4)'],
      ['90^\\circ', '90'],
      ['\\$5', '5'],
      ['x = 5', '5'],
      ['5 \\text{ cm}', '5'],
      ['\\sqrt2', '\\sqrt{2}'],
      ['10\\%', '10'],
      ['1,000', '1000'],
      ['.5', '\\frac{1}{2}'],
      ['2.0', '2'],
    ];
    for (const [a, b] of same) assert.equal(grade(math(a), math(b)), 0, `${a} = ${b} (${normalizeMathAnswer(a)} vs ${normalizeMathAnswer(b)})`);
    assert.equal(grade(math('\\frac{1}{3}'), math('\\frac{1}{2}')), 1);
    assert.equal(grade(math('(3,5)'), math('(3,4)')), 1);
    assert.equal(grade('The answer is 5.', math('5')), 2);
  });

  test('a reference without a final answer is refused, not graded', () => {
    assert.throws(() => grade('#### 3', 'no final answer here'), /no final answer/);
  });
});
