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
  /** Only the first N training examples (analysis order), test questions, and their variants. */
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
