/**
 * How figures and untrusted texts are written for people, in the terminal, the editor's views
 * and hovers, and the panels alike: one module, so the same number reads the same everywhere
 * and an unknown value is always shown one way. Pure: no `vscode`, no Node, no DOM.
 */
import type { ExampleCategory } from '../core/metrics';
import { DEFAULT_THRESHOLD, describeThreshold, type MemorizationThreshold, type ThresholdOrigin } from '../core/threshold';

/** What an unknown figure (no evaluation, no perplexity, not computable) is shown as. */
export const UNKNOWN = '–';

const known = (x: number | null | undefined): x is number => x !== null && x !== undefined && Number.isFinite(x);

/** A figure with fixed decimals (four by default, as the paper's tables), or UNKNOWN. */
export function num(x: number | null | undefined, digits = 4): string {
  return known(x) ? x.toFixed(digits) : UNKNOWN;
}

/** A fraction as a percentage, "63.2%", or UNKNOWN. */
export function pct(x: number | null | undefined, digits = 1): string {
  return known(x) ? `${(100 * x).toFixed(digits)}%` : UNKNOWN;
}

/** " ± h", half the width of a prediction interval, or nothing when there is none. */
export function plusMinus(p: { readonly low: number; readonly high: number } | null | undefined, digits = 4): string {
  return p ? ` ± ${num((p.high - p.low) / 2, digits)}` : '';
}

/** A memorization step as the views and the CLI name it. */
export function stepLabel(step: number | null): string {
  return step === null ? 'never' : `step ${step}`;
}

/** The three per-example categories, in words. */
export const CATEGORY_LABEL: Readonly<Record<ExampleCategory, string>> = {
  'solved-before-memorized': 'solved before memorized',
  'memorized-before-solved': 'memorized before ever solved',
  'memorized-at-first-checkpoint': 'memorized at the first checkpoint (nothing earlier to measure)',
  'never-memorized': 'never memorized',
};

/** The first line of a text, whitespace collapsed, cut to `width` characters with "…". */
export function snippet(text: string | null, width = 60): string {
  if (text === null) return '';
  const first = (text.split('\n')[0] ?? '').replace(/\s+/g, ' ').trim();
  return first.length > width ? `${first.slice(0, width - 1)}…` : first;
}

// C0 controls but line feed, DEL, the C1 controls, and the characters that reorder text (bidi
// embeddings, overrides and isolates, the marks): what a terminal or a view would act on
// instead of showing. Escape sequences (ESC, CSI), OSC 52 clipboard writes and a U+202E that
// reverses a line all start with one of these.
// eslint-disable-next-line no-control-regex
const CONTROL = /[\u0000-\u0009\u000b-\u001f\u007f-\u009f\u061c\u200e\u200f\u202a-\u202e\u2066-\u2069]/g;

/** A control character made visible: C0 as its Unicode control picture (␛), others as <U+XXXX>. */
function visible(c: string): string {
  const code = c.charCodeAt(0);
  if (code < 0x20) return String.fromCharCode(0x2400 + code);
  if (code === 0x7f) return '\u2421';
  return `<U+${code.toString(16).toUpperCase().padStart(4, '0')}>`;
}

/**
 * Text from users' files made safe to print to a terminal: every control character but the
 * line feed is shown, not obeyed. Everything the CLI prints for people goes through this.
 */
export function terminalSafe(text: string): string {
  return text.replace(CONTROL, visible);
}

/**
 * Text for a view, a hover or a panel: like terminalSafe, but tabs stay (they only indent). A
 * U+202E in a question then shows as <U+202E> instead of reversing the rest of the line.
 */
export function showControls(text: string): string {
  return text.replace(CONTROL, (c) => (c === '\t' ? c : visible(c)));
}

/** Text for one table cell or one-line label: as terminalSafe, and line feeds shown too. */
export function oneLine(text: string): string {
  return terminalSafe(text).replace(/\n/g, '\u240a');
}

/**
 * What tells a sweep's runs apart: each name without the prefix and suffix all of them share,
 * cut at `_`, `-` or `.` (gsm8k_orig_3epochs_full_lr2e-05_bs128 → 3epochs_full_lr2e-05 among its
 * sweep). A name left empty, or a lone run, keeps its full name.
 */
export function distinguishingNames(names: readonly string[]): string[] {
  if (names.length < 2) return [...names];
  const parts = names.map((n) => n.split(/(?<=[_.-])/));
  let head = 0;
  while (parts.every((p) => head < p.length - 1 && p[head] === parts[0]![head])) head++;
  let tail = 0;
  while (parts.every((p) => tail < p.length - head - 1 && p[p.length - 1 - tail] === parts[0]![parts[0]!.length - 1 - tail])) tail++;
  return parts.map((p, i) => {
    const short = p
      .slice(head, p.length - tail)
      .join('')
      .replace(/[_.-]+$/, '');
    return short === '' ? names[i]! : short;
  });
}

/**
 * A threshold and where it came from, in words: "ln ln −2.5 · calibrated on 13 runs (held-out
 * RMSE 3.46%)", "ln ln −2.3 · default (the authors' GSM8K value), not calibrated for this model".
 */
export function describeThresholdOrigin(t: MemorizationThreshold, origin: ThresholdOrigin): string {
  const d = describeThreshold(t);
  const cut = t.kind === 'loglog' ? `ln ln ${d.loglog.toFixed(2).replace('-', '−')}` : `perplexity ${d.perplexity.toFixed(4)}`;
  switch (origin.source) {
    case 'default':
      // The fallback is the authors' value unless the editor's settings name another.
      return t.kind === DEFAULT_THRESHOLD.kind && t.value === DEFAULT_THRESHOLD.value
        ? `${cut} · default (the authors' GSM8K value), not calibrated for this model`
        : `${cut} · from settings, not calibrated for this model`;
    case 'option':
      return `${cut} · given for this call`;
    case 'panel':
      return `${cut} · tried in the dashboard`;
    case 'stored': {
      const c = origin.calibration;
      if (!c) return `${cut} · set for this ${origin.path.split(/[\\/]/).pop() ?? 'sweep'}`;
      return c.method === 'text'
        ? `${cut} · calibrated against the text criterion on ${c.runs} run${c.runs === 1 ? '' : 's'} (${c.kappa === undefined ? '' : `κ ${num(c.kappa, 2)}, `}agreement ${pct(c.agreement ?? null)})`
        : `${cut} · calibrated on ${c.runs} runs (held-out RMSE ${pct(c.heldOutRmse ?? null, 2)})`;
    }
  }
}

/** A phrase as the start of a sentence: "still training (…)" → "Still training (…)". */
export function sentenceStart(text: string): string {
  return text.charAt(0).toUpperCase() + text.slice(1);
}
