/**
 * Grading a sampled solution against the reference, with the authors' answer codes:
 * 0 correct, 1 wrong, 2 no final answer. Two answer forms:
 *
 * - GSM8K: the final answer follows the last `####`. Numbers are compared as numbers, so
 *   `1,000`, `1000`, `$1000` and `1000.0` are one answer. A `####` with no number after it (a
 *   sample that ran on into `####...`) is no final answer, as in the authors' files.
 * - MATH: the final answer is the last `\boxed{…}` (or `\fbox{…}`, or `\boxed 5`), compared after
 *   the usual normalisation of LaTeX answers (Hendrycks et al.'s `strip_string`: `\left`/`\right`,
 *   `\dfrac`/`\tfrac`, degrees, dollars, units in `\text{}`, `0.5` → `\frac{1}{2}`, `a/b` →
 *   `\frac{a}{b}`, `\sqrt2` → `\sqrt{2}`, spaces), then numerically when both sides are numbers.
 */

export type AnswerCode = 0 | 1 | 2;
export const ANSWER_CORRECT: AnswerCode = 0;
export const ANSWER_WRONG: AnswerCode = 1;
export const ANSWER_MISSING: AnswerCode = 2;

export type AnswerForm = 'gsm8k' | 'math';

/** The form a reference solution is written in: `####` → GSM8K, `\boxed` → MATH; null when neither. */
export function answerFormOf(reference: string): AnswerForm | null {
  if (reference.includes('####')) return 'gsm8k';
  if (lastBoxed(reference) !== null) return 'math';
  return null;
}

/** Grades a sample against a reference solution written in `form` (by default, the reference's own form). */
export function grade(sample: string, reference: string, form: AnswerForm | null = answerFormOf(reference)): AnswerCode {
  if (form === null) throw new RangeError('the reference has no final answer (no "####" and no \\boxed{})');
  const expected = form === 'gsm8k' ? gsm8kAnswer(reference) : mathAnswer(reference);
  if (expected === null) throw new RangeError('the reference has no final answer');
  const got = form === 'gsm8k' ? gsm8kAnswer(sample) : mathAnswer(sample);
  if (got === null) return ANSWER_MISSING;
  return form === 'gsm8k' ? (Number(got) === Number(expected) ? ANSWER_CORRECT : ANSWER_WRONG) : mathEquivalent(got, expected) ? ANSWER_CORRECT : ANSWER_WRONG;
}

const NUMBER = /^[-+]?(?:\d[\d,]*)?(?:\.\d+)?/;

/**
 * The number after the last `####`, as a plain decimal string (`1,000.50` → `1000.50`), or null.
 * Currency signs and a trailing full stop or unit word are allowed around it.
 */
export function gsm8kAnswer(text: string): string | null {
  // The piece after the last `####` as Python's `text.split("####")[-1]` cuts it (left to right,
  // not overlapping): `##### 46` leaves `# 46`, no answer, as the authors' files grade it.
  const pieces = text.split('####');
  if (pieces.length === 1) return null;
  const line = pieces[pieces.length - 1]!.split('\n', 1)[0]!.trim();
  const body = line.replace(/^[$€£]\s*/, '').replace(/^([-+])\s*[$€£]\s*/, '$1');
  const m = NUMBER.exec(body);
  const raw = m?.[0] ?? '';
  const digits = raw.replace(/,/g, '');
  if (!/\d/.test(digits)) return null;
  // "12,3" is not a thousands separator: refuse misplaced commas rather than read 123.
  if (raw.includes(',') && !/^[-+]?\d{1,3}(,\d{3})+(\.\d+)?$/.test(raw)) return null;
  return digits;
}

/** The content of the last `\boxed{…}` / `\fbox{…}` / `\boxed x`, braces balanced; null when none. */
export function lastBoxed(text: string): string | null {
  const at = Math.max(text.lastIndexOf('\\boxed'), text.lastIndexOf('\\fbox'));
  if (at === -1) return null;
  let i = at + (text.startsWith('\\boxed', at) ? 6 : 5);
  if (text[i] === ' ') {
    // `\boxed 5`: up to the next space or `$`.
    const rest = text.slice(i + 1);
    const end = rest.search(/[\s$]/);
    const value = end === -1 ? rest : rest.slice(0, end);
    return value.length ? value : null;
  }
  if (text[i] !== '{') return null;
  let depth = 0;
  const start = i + 1;
  for (; i < text.length; i++) {
    if (text[i] === '{') depth++;
    else if (text[i] === '}' && --depth === 0) return text.slice(start, i);
  }
  return null;
}

export function mathAnswer(text: string): string | null {
  return lastBoxed(text);
}

/** Hendrycks et al.'s equivalence: equal after normalisation, or equal as numbers. */
export function mathEquivalent(a: string, b: string): boolean {
  const x = normalizeMathAnswer(a);
  const y = normalizeMathAnswer(b);
  if (x === y) return true;
  const nx = plainNumber(x);
  const ny = plainNumber(y);
  return nx !== null && ny !== null && nx === ny;
}

function plainNumber(s: string): number | null {
  return /^[-+]?\d+(\.\d+)?$/.test(s) ? Number(s) : null;
}

/** The usual normalisation of a LaTeX final answer (after Hendrycks et al., 2021, `strip_string`). */
export function normalizeMathAnswer(answer: string): string {
  let s = answer.replace(/\n/g, '').replace(/\\!/g, '');
  s = s.replace(/\\\\/g, '\\');
  s = s.replace(/\\[dt]frac/g, '\\frac');
  s = s.replace(/\\left/g, '').replace(/\\right/g, '');
  s = s.replace(/\^\{\\circ\}/g, '').replace(/\^\\circ/g, '');
  s = s.replace(/\\\$/g, '').replace(/\$/g, '');
  s = removeUnits(s);
  s = s.replace(/\\%/g, '').replace(/%/g, '');
  s = s.replace(/ \./g, ' 0.').replace(/\{\./g, '{0.');
  if (s.startsWith('.')) s = '0' + s;
  // "x = 5" → "5" when the left side is a short name.
  const eq = s.split('=');
  if (eq.length === 2 && eq[0]!.trim().length <= 2) s = eq[1]!;
  s = s.replace(/\\sqrt(\w)/g, '\\sqrt{$1}');
  s = s.replace(/\s+/g, '');
  s = fixFracs(s);
  if (s === '0.5') s = '\\frac{1}{2}';
  const slash = /^(-?\d+)\/(\d+)$/.exec(s);
  if (slash) s = `\\frac{${slash[1]}}{${slash[2]}}`;
  // Thousands separators in a plain number.
  if (/^[-+]?\d{1,3}(,\d{3})+(\.\d+)?$/.test(s)) s = s.replace(/,/g, '');
  return s;
}

/** A trailing `\text{ units}` is dropped, as Hendrycks et al. do. */
function removeUnits(s: string): string {
  const at = s.indexOf('\\text{ ');
  return at > 0 ? s.slice(0, at) : s;
}

/** `\frac12` → `\frac{1}{2}`, `\frac1{72}` → `\frac{1}{72}`. */
function fixFracs(s: string): string {
  const parts = s.split('\\frac');
  let out = parts[0]!;
  for (const part of parts.slice(1)) {
    out += '\\frac';
    if (part.startsWith('{') || part.length < 2) {
      out += part;
      continue;
    }
    const a = part[0]!;
    const b = part[1]!;
    if (b !== '{') out += `{${a}}{${b}}${part.slice(2)}`;
    else out += `{${a}}${part.slice(1)}`;
  }
  return out;
}
