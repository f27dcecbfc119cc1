import { keyedRandom } from './random';

type Random = () => number;

/**
 * Perturbed variants of GSM8K-form training questions (Kang et al. 2024, §5: is a model's answer
 * robust when the training question is changed a little?). Two families:
 *
 * - answer-preserving edits: rename a person, rename an object, reorder two independent
 *   sentences, add an irrelevant sentence, write a number in another format (`1200` → `1,200`);
 * - answer-changing edits where the answer can be recomputed: every number of the question is
 *   resampled and the reference's arithmetic (`<<a*b=c>>` calculator notes, or `a*b = c` steps)
 *   is replayed with the new numbers; the final answer is then the last step's result. Problems
 *   whose arithmetic cannot be replayed (a number of the steps comes from nowhere, a division
 *   stops being whole, a result goes negative) are skipped and counted.
 *
 * Pure and seeded: the same dataset and seed give the same variants.
 */

export type PerturbationKind = 'rename-person' | 'rename-object' | 'reorder-sentences' | 'irrelevant-sentence' | 'number-format' | 'resample-numbers';

export const ANSWER_PRESERVING: readonly PerturbationKind[] = ['rename-person', 'rename-object', 'reorder-sentences', 'irrelevant-sentence', 'number-format'];

export interface Change {
  readonly from: string;
  readonly to: string;
}

/** One perturbed variant, as a line of `perturbations.jsonl`. */
export interface Perturbation {
  /** `<index>-<kind>`: unique in a file. */
  readonly id: string;
  /** The original example's index in the training set. */
  readonly index: number;
  readonly kind: PerturbationKind;
  readonly preserves_answer: boolean;
  readonly question: string;
  /** The reference solution for the variant (GSM8K form, `#### N`): the original's, or recomputed. */
  readonly answer: string;
  readonly changes: readonly Change[];
}

export interface PerturbResult {
  readonly perturbations: Perturbation[];
  /** Per kind, the examples it could not be applied to (no name found, arithmetic not replayable…). */
  readonly skipped: Record<PerturbationKind, number>;
}

const PEOPLE = ['Ava', 'Noah', 'Liam', 'Emma', 'Mia', 'Leo', 'Zoe', 'Omar', 'Priya', 'Kenji', 'Sara', 'Tom', 'Eli', 'Ella', 'Ravi', 'Nina', 'Jack', 'Lucy', 'Maya', 'Ben'];
const OBJECTS: Record<string, string[]> = {
  fruit: ['apples', 'pears', 'oranges', 'plums', 'peaches', 'cherries', 'lemons', 'mangoes'],
  things: ['pens', 'mugs', 'books', 'cards', 'stickers', 'marbles', 'candles', 'shells', 'stamps', 'buttons'],
};
const IRRELEVANT = [
  'The weather was sunny that day.',
  'It was a Tuesday.',
  'A dog barked somewhere down the street.',
  'The shop had just repainted its sign.',
  'There was a song playing on the radio.',
];

/** Every variant of every record that its kind applies to, one per (record, kind). */
export function perturbDataset(
  records: readonly { readonly question: string; readonly answer: string }[],
  options: { seed: number; kinds?: readonly PerturbationKind[] },
): PerturbResult {
  const kinds = options.kinds ?? [...ANSWER_PRESERVING, 'resample-numbers'];
  const skipped = Object.fromEntries(kinds.map((k) => [k, 0])) as Record<PerturbationKind, number>;
  const perturbations: Perturbation[] = [];
  records.forEach((r, index) => {
    kinds.forEach((kind, k) => {
      const random = keyedRandom(options.seed, index, k);
      const v = perturb(r.question, r.answer, kind, random);
      if (v === null) skipped[kind]++;
      else perturbations.push({ id: `${index}-${kind}`, index, kind, preserves_answer: kind !== 'resample-numbers', ...v });
    });
  });
  return { perturbations, skipped };
}

type Variant = { question: string; answer: string; changes: Change[] };

export function perturb(question: string, answer: string, kind: PerturbationKind, random: Random): Variant | null {
  switch (kind) {
    case 'rename-person':
      return renamePerson(question, answer, random);
    case 'rename-object':
      return renameObject(question, answer, random);
    case 'reorder-sentences':
      return reorderSentences(question, answer);
    case 'irrelevant-sentence':
      return addIrrelevant(question, answer, random);
    case 'number-format':
      return numberFormat(question, answer);
    case 'resample-numbers':
      return resampleNumbers(question, answer, random);
  }
}

const pick = <T>(xs: readonly T[], random: Random): T => xs[Math.floor(random() * xs.length)]!;
const escape = (s: string) => s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
const replaceWord = (text: string, from: string, to: string) => text.replace(new RegExp(`\\b${escape(from)}\\b`, 'g'), to);

function renamePerson(question: string, answer: string, random: Random): Variant | null {
  const name = PEOPLE.find((p) => new RegExp(`\\b${p}\\b`).test(question));
  if (!name) return null;
  const others = PEOPLE.filter((p) => p !== name && !question.includes(p) && !answer.includes(p));
  const to = pick(others, random);
  return { question: replaceWord(question, name, to), answer: replaceWord(answer, name, to), changes: [{ from: name, to }] };
}

function renameObject(question: string, answer: string, random: Random): Variant | null {
  for (const group of Object.values(OBJECTS)) {
    const from = group.find((o) => new RegExp(`\\b${o}\\b`).test(question));
    if (!from) continue;
    const to = pick(
      group.filter((o) => o !== from && !question.includes(o)),
      random,
    );
    return { question: replaceWord(question, from, to), answer: replaceWord(answer, from, to), changes: [{ from, to }] };
  }
  return null;
}

/** Sentences of a question: the last one (the question asked) stays last. */
function sentences(text: string): string[] {
  return text.match(/[^.!?]+[.!?]+(\s+|$)/g)?.map((s) => s.trim()) ?? [text];
}

/**
 * Swaps the first two statements when neither refers back to the other (no pronoun or "then",
 * "more", "rest" that would change meaning when moved first).
 */
function reorderSentences(question: string, answer: string): Variant | null {
  const s = sentences(question);
  if (s.length < 3 || s.join(' ') !== question.trim()) return null;
  const dependent = /\b(he|she|they|it|his|her|their|them|then|more|rest|remaining|after|that|this|these|those|each|also|again|left)\b/i;
  if (dependent.test(s[1]!) || dependent.test(s[0]!)) return null;
  const swapped = [s[1]!, s[0]!, ...s.slice(2)].join(' ');
  return { question: swapped, answer, changes: [{ from: s[0]!, to: `moved after "${s[1]!}"` }] };
}

function addIrrelevant(question: string, answer: string, random: Random): Variant | null {
  const s = sentences(question);
  if (s.length < 2 || s.join(' ') !== question.trim()) return null;
  const extra = pick(IRRELEVANT, random);
  return { question: [...s.slice(0, -1), extra, s[s.length - 1]!].join(' '), answer, changes: [{ from: '', to: extra }] };
}

/**
 * Writes the first number of 1,000 or more with a thousands separator, or `$5` as `$5.00`. The
 * separators go into the digits as written, never through a float: thirty 9s became
 * "1,000,…,000" and a 400-digit number "∞" through Number(), while marked as keeping the answer.
 * A number with a leading zero (a code, not a quantity) is left alone.
 */
function numberFormat(question: string, answer: string): Variant | null {
  const big = /(?<![\d.,])([1-9]\d{3,})(?![\d.,]\d)/.exec(question);
  if (big) {
    const to = big[1]!.replace(/\B(?=(\d{3})+$)/g, ',');
    return { question: question.slice(0, big.index) + to + question.slice(big.index + big[0].length), answer, changes: [{ from: big[1]!, to }] };
  }
  const dollars = /\$(\d+)\b(?!\.)/.exec(question);
  if (dollars) {
    const to = `$${dollars[1]}.00`;
    return { question: question.replace(dollars[0], to), answer, changes: [{ from: dollars[0], to }] };
  }
  return null;
}

// ---- resampled numbers ----------------------------------------------------------------------

interface ArithmeticStep {
  readonly expression: string;
  readonly result: string;
}

/** The reference's arithmetic steps: calculator notes `<<a*b=c>>`, else written steps `a*b = c`. */
export function arithmeticSteps(answer: string): ArithmeticStep[] {
  const notes = [...answer.matchAll(/<<([^<>=]+)=([^<>]+)>>/g)].map((m) => ({ expression: m[1]!.trim(), result: m[2]!.trim() }));
  if (notes.length) return notes;
  return [...answer.matchAll(/(\d+(?:\.\d+)?(?:\s*[-+*/]\s*\d+(?:\.\d+)?)+)\s*=\s*(\d+(?:\.\d+)?)/g)].map((m) => ({ expression: m[1]!.trim(), result: m[2]!.trim() }));
}

/** Evaluates + - * / over numbers with the usual precedence (no parentheses needed for GSM8K steps; they are allowed). */
export function evaluate(expression: string): number | null {
  const tokens = expression.replace(/\s+/g, '').match(/\d+(?:\.\d+)?|[-+*/()]/g);
  if (!tokens || tokens.join('') !== expression.replace(/\s+/g, '')) return null;
  let i = 0;
  const factor = (): number | null => {
    const t = tokens[i++];
    if (t === '(') {
      const v = sum();
      return tokens[i++] === ')' ? v : null;
    }
    if (t === '-') {
      const v = factor();
      return v === null ? null : -v;
    }
    return t !== undefined && /^\d/.test(t) ? Number(t) : null;
  };
  const product = (): number | null => {
    let v = factor();
    while (v !== null && (tokens[i] === '*' || tokens[i] === '/')) {
      const op = tokens[i++];
      const r = factor();
      if (r === null) return null;
      v = op === '*' ? v * r : v / r;
    }
    return v;
  };
  const sum = (): number | null => {
    let v = product();
    while (v !== null && (tokens[i] === '+' || tokens[i] === '-')) {
      const op = tokens[i++];
      const r = product();
      if (r === null) return null;
      v = op === '+' ? v + r : v - r;
    }
    return v;
  };
  const v = sum();
  return v !== null && i === tokens.length && Number.isFinite(v) ? v : null;
}

/**
 * Resamples the question's numbers and replays the reference's arithmetic. Every number in a
 * step must be a question number or an earlier step's result (else the step's origin is unknown
 * and the problem is skipped); results must stay whole and non-negative, as GSM8K answers are.
 */
function resampleNumbers(question: string, answer: string, random: Random): Variant | null {
  const steps = arithmeticSteps(answer);
  // The final answer must be the last step's result, or replaying the steps does not give it.
  if (!steps.length || Number(steps[steps.length - 1]!.result) !== Number(answerOf(answer).replace(/,/g, ''))) return null;
  const questionNumbers = [...new Set([...question.matchAll(/\d+(?:\.\d+)?/g)].map((m) => m[0]))];
  if (!questionNumbers.length) return null;
  for (let attempt = 0; attempt < 20; attempt++) {
    // New values near the old ones, whole, and different from them.
    const mapping = new Map<string, string>();
    for (const n of questionNumbers) {
      const old = Number(n);
      // Past 2^53 a float no longer holds the number: its arithmetic cannot be replayed exactly.
      if (!Number.isSafeInteger(old)) return null;
      let v = old;
      while (v === old) v = Math.max(1, Math.round(old * (0.5 + random())) + (old < 10 ? Math.floor(random() * 5) - 2 : 0));
      mapping.set(n, String(v));
    }
    const replayed = replay(steps, mapping);
    if (replayed === null) continue;
    const finalValue = replayed.results[replayed.results.length - 1]!;
    if (replayed.results.some((r) => !Number.isSafeInteger(r))) continue;
    const renumber = (text: string) => text.replace(/\d+(?:\.\d+)?/g, (n) => replayed.known.get(n) ?? n);
    const newQuestion = renumber(question);
    // Every number of the solution that the question or a step gave is rewritten, the steps' and
    // the final answer's included (the last step's result is the final answer, checked above).
    const newAnswer = renumber(answer);
    return {
      question: newQuestion,
      answer: newAnswer,
      changes: [...mapping].map(([from, to]) => ({ from, to })).concat([{ from: `#### ${answerOf(answer)}`, to: `#### ${finalValue}` }]),
    };
  }
  return null;
}

function answerOf(answer: string): string {
  return answer.split('####').at(-1)!.trim();
}

function replay(steps: readonly ArithmeticStep[], mapping: ReadonlyMap<string, string>): { known: Map<string, string>; results: number[] } | null {
  // Numbers known so far: old value → new value.
  const known = new Map(mapping);
  const results: number[] = [];
  for (const s of steps) {
    let unknown = false;
    const expression = s.expression.replace(/\d+(?:\.\d+)?/g, (n) => {
      const v = known.get(n);
      if (v === undefined) unknown = true;
      return v ?? n;
    });
    if (unknown) return null;
    const value = evaluate(expression);
    if (value === null || !Number.isInteger(value) || value < 0) return null;
    // The old result now stands for the new one in later steps; an old value that would have to
    // stand for two new ones cannot be rewritten unambiguously.
    const mapped = known.get(s.result);
    if (mapped !== undefined && mapped !== String(value)) return null;
    known.set(s.result, String(value));
    results.push(value);
  }
  return { known, results };
}
