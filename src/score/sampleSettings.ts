import type { SamplingOptions } from './sampler';
import type { ScoreTemplates } from './templates';

/**
 * What `premem sample` takes and reports, kept apart from the sampler so the editor can name a
 * sample set and pass options without loading onnxruntime (which only the scoring process loads).
 */

export type SampleSplit = 'train' | 'test' | 'both';

export interface SampleSettings extends SamplingOptions {
  /** Samples per question (k). */
  readonly samples: number;
  readonly templates: ScoreTemplates;
}

export interface SampleRunOptions extends SampleSettings {
  readonly split: SampleSplit;
  /** Sample these perturbed variants (a perturbations file) instead of the splits. */
  readonly perturbations?: string;
  /** Only the dataset's first N training and test questions (index below N), and their variants: what "the first N" means in every command. */
  readonly limit?: number;
  readonly steps?: readonly number[];
  readonly modelPattern?: string;
  readonly tokenizer?: string;
  /** Sequences per batch. */
  readonly batch: number;
  readonly threads?: number;
  /** A run folder of its own to write (JSONL layout), or null to write into the run's checkpoints. */
  readonly out: string | null;
}

export interface SampleProgress {
  readonly step: number;
  readonly part: PartName;
  /** Sequences finished and to do in this part (resumed ones count as done). */
  readonly done: number;
  readonly total: number;
  readonly tokensPerSecond: number;
}

export interface PartSampled {
  readonly step: number;
  readonly part: PartName;
  readonly file: string;
  readonly questions: number;
  readonly samples: number;
  readonly correct: number;
  readonly noAnswer: number;
  readonly tokens: number;
  readonly seconds: number;
  /** Questions taken over from an interrupted run. */
  readonly resumed: number;
  /** The file was complete already: nothing sampled. */
  readonly skipped: boolean;
}

export interface SampleHooks {
  readonly onProgress?: (p: SampleProgress) => void;
  readonly onPart?: (p: PartSampled) => void;
  /** Checked between batches; what is written stays and the next run resumes from it. */
  readonly isCancelled?: () => boolean;
}

export type PartName = 'train' | 'test' | 'perturbed';

/** The sample set's name, from its settings: `samples4_temp0.8_seed2` (`_topp0.9` when top-p < 1). */
export function sampleSetName(s: Pick<SampleSettings, 'samples' | 'temperature' | 'topP' | 'seed'>): string {
  return `samples${s.samples}_temp${s.temperature}_seed${s.seed}${s.topP < 1 ? `_topp${s.topP}` : ''}`;
}

/** The stop string a target template implies: what follows `{answer}` (`\nDone.` for the authors'). */
export function impliedStop(t: ScoreTemplates): string[] {
  const after = t.target.split('{answer}')[1] ?? '';
  return after.trim() ? [after] : [];
}

/** A sampling setting out of range: which one, and why. */
export interface SettingProblem {
  readonly setting: 'samples' | 'temperature' | 'topP' | 'maxNewTokens' | 'seed';
  readonly message: string;
}

/**
 * The one check of sampling settings, for `premem sample`, `premem plan` and the editor (whose
 * values come from settings a workspace can carry): what the sampler and the harness can take.
 * The seed must fit numpy's (the harness seeds numpy with it): below 2^32.
 */
export function samplingSettingsProblem(s: Pick<SampleSettings, 'samples' | 'temperature' | 'topP' | 'maxNewTokens' | 'seed'>): SettingProblem | null {
  const whole = (x: unknown, min: number, max = Number.MAX_SAFE_INTEGER) => typeof x === 'number' && Number.isSafeInteger(x) && x >= min && x <= max;
  if (!whole(s.samples, 1)) return { setting: 'samples', message: `samples per question must be a whole number >= 1, got ${JSON.stringify(s.samples)}` };
  if (typeof s.temperature !== 'number' || !Number.isFinite(s.temperature) || s.temperature < 0)
    return { setting: 'temperature', message: `temperature must be a number >= 0 (0 = greedy), got ${JSON.stringify(s.temperature)}` };
  if (typeof s.topP !== 'number' || !(s.topP > 0 && s.topP <= 1)) return { setting: 'topP', message: `top-p must be in (0, 1], got ${JSON.stringify(s.topP)}` };
  if (!whole(s.maxNewTokens, 1)) return { setting: 'maxNewTokens', message: `max new tokens must be a whole number >= 1, got ${JSON.stringify(s.maxNewTokens)}` };
  if (!whole(s.seed, 0, 2 ** 32 - 1)) return { setting: 'seed', message: `the seed must be a whole number from 0 to 4294967295, got ${JSON.stringify(s.seed)}` };
  return null;
}
