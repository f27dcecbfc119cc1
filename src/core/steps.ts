import { diffWordsWithSpace } from 'diff';
import { distance } from 'fastest-levenshtein';

/**
 * Step alignment: which reasoning steps of a model's sample reproduce the reference solution,
 * which say the same in other words, which are the model's own, and which reference steps it
 * skipped. The paper's distinction between solving and copying, made visible per step.
 */

/** Similarity at or above which a sample step counts as a copy of its reference step. */
export const COPIED_SIMILARITY = 0.9;
/** At or above this (and below COPIED_SIMILARITY) a matched step is the reference reworded. */
export const REWORDED_SIMILARITY = 0.5;

export type StepFormat = 'gsm8k' | 'latex' | 'lines';

export interface SplitSolution {
  readonly format: StepFormat;
  /** The reasoning steps as written (final-answer line excluded). */
  readonly steps: readonly string[];
  /** The final answer (`#### N`, or the last `\boxed{…}`), trimmed; null when there is none. */
  readonly finalAnswer: string | null;
}

const GSM8K_FINAL = /^\s*####\s*(.*)$/;
const CALCULATOR = /<<[^<>]*>>/g;

/** The content of the last `\boxed{…}`, with nested braces, or null. */
export function lastBoxed(text: string): string | null {
  const at = text.lastIndexOf('\\boxed{');
  if (at === -1) return null;
  let depth = 0;
  for (let i = at + '\\boxed'.length; i < text.length; i++) {
    const c = text[i];
    if (c === '{') depth++;
    else if (c === '}' && --depth === 0) return text.slice(at + '\\boxed{'.length, i).trim();
  }
  return null;
}

export function detectFormat(text: string): StepFormat {
  if (/^\s*####/m.test(text)) return 'gsm8k';
  if (text.includes('\\boxed{') || /\$[^$]+\$/.test(text)) return 'latex';
  return 'lines';
}

/** Splits a solution into steps: lines, and for LaTeX also sentences within a line. */
export function splitSteps(text: string, format: StepFormat = detectFormat(text)): SplitSolution {
  const lines = text.split(/\r?\n/);
  let finalAnswer: string | null = null;
  const steps: string[] = [];
  for (const line of lines) {
    const final = GSM8K_FINAL.exec(line);
    if (format === 'gsm8k' && final) {
      finalAnswer = final[1]!.trim();
      continue;
    }
    if (line.trim() === '') continue;
    if (format === 'latex') {
      // A sentence ends at . ! or ? followed by space and a capital, a backslash or a dollar.
      for (const sentence of line.split(/(?<=[.!?])\s+(?=[A-Z\\$])/)) if (sentence.trim() !== '') steps.push(sentence.trim());
    } else {
      steps.push(line.trim());
    }
  }
  if (format === 'latex') finalAnswer = lastBoxed(text);
  return { format, steps, finalAnswer };
}

/** What steps are compared on: calculator annotations dropped, white space folded, case kept. */
export function comparable(step: string): string {
  return step.replace(CALCULATOR, '').replace(/\s+/g, ' ').trim();
}

/** 1 - Levenshtein distance / length of the longer string (1 for two empty strings). */
export function similarity(a: string, b: string): number {
  const longer = Math.max(a.length, b.length);
  return longer === 0 ? 1 : 1 - distance(a, b) / longer;
}

export type StepKind = 'copied' | 'reworded' | 'own' | 'skipped';

export interface AlignedStep {
  readonly kind: StepKind;
  /** Index into the sample's steps; null for a skipped reference step. */
  readonly sample: number | null;
  /** Index into the reference's steps; null for the sample's own step. */
  readonly reference: number | null;
  /** Similarity of the pair; null when unpaired. */
  readonly similarity: number | null;
}

export interface Alignment {
  /** Sample and reference steps interleaved in order, as a side-by-side view shows them. */
  readonly steps: readonly AlignedStep[];
  /** Share of reference steps the sample reproduces as copies, in order; 0 for no reference steps. */
  readonly copyRate: number;
}

/**
 * Monotone alignment maximising the summed similarity of paired steps (dynamic programming,
 * like Needleman-Wunsch with free gaps): a pair is allowed only at REWORDED_SIMILARITY or more,
 * so unrelated steps stay unpaired rather than being forced together.
 */
export function alignSteps(sampleSteps: readonly string[], referenceSteps: readonly string[]): Alignment {
  const m = sampleSteps.length;
  const n = referenceSteps.length;
  const a = sampleSteps.map(comparable);
  const b = referenceSteps.map(comparable);
  const sim = Array.from({ length: m }, (_, i) => Float64Array.from({ length: n }, (_, j) => similarity(a[i]!, b[j]!)));
  // best[i][j]: the best total over sample[0..i) and reference[0..j).
  const best = Array.from({ length: m + 1 }, () => new Float64Array(n + 1));
  for (let i = 1; i <= m; i++) {
    for (let j = 1; j <= n; j++) {
      let v = Math.max(best[i - 1]![j]!, best[i]![j - 1]!);
      const s = sim[i - 1]![j - 1]!;
      if (s >= REWORDED_SIMILARITY) v = Math.max(v, best[i - 1]![j - 1]! + s);
      best[i]![j] = v;
    }
  }
  const out: AlignedStep[] = [];
  let i = m;
  let j = n;
  while (i > 0 || j > 0) {
    const s = i > 0 && j > 0 ? sim[i - 1]![j - 1]! : -1;
    if (i > 0 && j > 0 && s >= REWORDED_SIMILARITY && best[i]![j] === best[i - 1]![j - 1]! + s) {
      out.push({ kind: s >= COPIED_SIMILARITY ? 'copied' : 'reworded', sample: i - 1, reference: j - 1, similarity: s });
      i--;
      j--;
    } else if (i > 0 && (j === 0 || best[i]![j] === best[i - 1]![j])) {
      out.push({ kind: 'own', sample: i - 1, reference: null, similarity: null });
      i--;
    } else {
      out.push({ kind: 'skipped', sample: null, reference: j - 1, similarity: null });
      j--;
    }
  }
  out.reverse();
  const copied = out.filter((s) => s.kind === 'copied').length;
  return { steps: out, copyRate: n === 0 ? 0 : copied / n };
}

/** Aligns a whole sample against a whole reference solution. */
export function alignSolutions(sample: string, reference: string): Alignment & { sample: SplitSolution; reference: SplitSolution } {
  const ref = splitSteps(reference);
  const smp = splitSteps(sample, ref.format);
  return { ...alignSteps(smp.steps, ref.steps), sample: smp, reference: ref };
}

export interface DiffSegment {
  readonly text: string;
  readonly change: 'same' | 'added' | 'removed';
}

/** Word-level differences from reference to sample, for display (text only, never HTML). */
export function wordDiff(reference: string, sample: string): DiffSegment[] {
  // White space is a token of its own, so each side is rebuilt exactly from its segments
  // (diffWords attaches spaces to words and can drop or add one: "25pages.").
  return diffWordsWithSpace(reference, sample).map((part) => ({ text: part.value, change: part.added ? 'added' : part.removed ? 'removed' : 'same' }));
}
