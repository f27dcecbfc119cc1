import { DEFAULT_COPY_RATE } from '../core/textMemorization';
import { parseThreshold } from '../core/threshold';
import type { AnalysisOptions } from '../queries/runAnalysis';
import { AUTHORS_TEMPLATES, type ScoreTemplates } from '../score/templates';
import { UsageError, type OptionSpecs, type OptionValues } from './command';

/** Option groups several commands share; each command lists the groups it takes. */
export const DB_OPTION = {
  db: { type: 'string', help: 'FILE  the index (default .premem/index.sqlite; flags live beside it)' },
} as const satisfies OptionSpecs;

export const JSON_OPTION = {
  json: { type: 'boolean', help: 'machine-readable output' },
} as const satisfies OptionSpecs;

export const ANALYSIS_OPTIONS = {
  'ppl-threshold': { type: 'string', help: 'P  memorized when the reference perplexity < P' },
  'loglog-threshold': { type: 'string', help: 'T  memorized when ln(ln(perplexity)) < T (default -2.3)' },
  'sample-set': { type: 'string', help: 'A,B,...  sample sets to prefer, in order (default: the authors’ order)' },
  memorization: { type: 'string', help: 'perplexity|text  the memorization criterion (default perplexity)' },
  'copy-rate': { type: 'string', help: 'R  with --memorization text: share of reference steps a sample must copy (default 0.5)' },
} as const satisfies OptionSpecs;

/** A whole number option (or positional), at least `min`; undefined when not given. */
export function wholeNumber(text: string | undefined, flag: string, min = 0): number | undefined {
  if (text === undefined) return undefined;
  const n = Number(text);
  if (!Number.isSafeInteger(n) || n < min || text.trim() === '') throw new UsageError(`${flag} must be a whole number >= ${min}, got "${text}"`);
  return n;
}

/** A finite number option, or the fallback when not given. */
export function finiteNumber(text: string | undefined, flag: string, fallback: number): number {
  if (text === undefined) return fallback;
  const x = Number(text);
  if (!Number.isFinite(x) || text.trim() === '') throw new UsageError(`${flag} must be a number, got "${text}"`);
  return x;
}

/** Errors of the pure parsers (a RangeError for a bad threshold) become usage errors. */
export function asUsage<T>(body: () => T): T {
  try {
    return body();
  } catch (e) {
    throw new UsageError((e as Error).message);
  }
}

/** The analysis a command computes: threshold, sample-set preference and criterion, from its options. */
export function analysisOptions(v: OptionValues<typeof ANALYSIS_OPTIONS>): AnalysisOptions {
  const threshold = asUsage(() => parseThreshold(v['ppl-threshold'], v['loglog-threshold']));
  const samplePreference = samplePreferenceOption(v['sample-set']);
  const kind = v.memorization ?? 'perplexity';
  if (kind !== 'perplexity' && kind !== 'text') throw new UsageError('--memorization must be perplexity or text');
  if (v['copy-rate'] !== undefined && kind !== 'text') throw new UsageError('--copy-rate goes with --memorization text');
  const copyRate = v['copy-rate'] === undefined ? DEFAULT_COPY_RATE : Number(v['copy-rate']);
  if (!(copyRate > 0 && copyRate <= 1)) throw new UsageError(`--copy-rate must be a number in (0, 1], got "${v['copy-rate']}"`);
  const thresholdIsOption = v['ppl-threshold'] !== undefined || v['loglog-threshold'] !== undefined;
  return { threshold, thresholdIsOption, samplePreference, memorization: kind === 'text' ? { kind, copyRate } : { kind } };
}

export function samplePreferenceOption(text: string | undefined): string[] | null {
  if (text === undefined) return null;
  const sets = text
    .split(',')
    .map((s) => s.trim())
    .filter((s) => s !== '');
  if (sets.length === 0) throw new UsageError('--sample-set needs at least one name');
  return sets;
}

/**
 * `--loglog-threshold -2.3` must work as written, but parseArgs takes "-2.3" for an option.
 * A string option always consumes the next token, so bind them before parsing.
 */
export function bindOptionValues(argv: readonly string[], options: OptionSpecs): string[] {
  const out: string[] = [];
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i]!;
    const name = a.startsWith('--') && !a.includes('=') ? a.slice(2) : null;
    const spec = name !== null && Object.prototype.hasOwnProperty.call(options, name) ? options[name] : undefined;
    if (spec?.type === 'string' && i + 1 < argv.length) {
      out.push(`${a}=${argv[++i]}`);
    } else {
      out.push(a);
    }
  }
  return out;
}

/** Text typed in a shell (a template, a stop string): `\n` in it means a newline. */
export function shellText(text: string | undefined): string | undefined {
  return text?.replace(/\\n/g, '\n');
}

/**
 * `--prompt-template` / `--target-template`, as score, sample and plan take them: the authors'
 * by default, and each must name its field.
 */
export function templatesOption(v: { readonly 'prompt-template'?: string; readonly 'target-template'?: string }): ScoreTemplates {
  const templates = { prompt: shellText(v['prompt-template']) ?? AUTHORS_TEMPLATES.prompt, target: shellText(v['target-template']) ?? AUTHORS_TEMPLATES.target };
  if (!templates.prompt.includes('{question}') || !templates.target.includes('{answer}'))
    throw new UsageError('--prompt-template needs {question} and --target-template needs {answer}');
  return templates;
}
