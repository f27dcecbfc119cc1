import type { Hyperparameters } from './hyperparameters';
import type { Perturbation } from '../core/perturb';
import type { DatasetRecord } from './dataset';
/**
 * The one in-memory shape every layout is read into. Train arrays are already in the run's
 * analysis order (`subsample_idxs` order), so everything downstream is layout-blind.
 */
export type Split = 'train' | 'test';

/** Sample codes as the authors write them: 0 correct, 1 wrong, 2 no answer found. */
export const CODE_CORRECT = 0;

/** One question's sample texts, at its place in the set (the analysis position, for train). */
export interface TextRow {
  readonly position: number;
  readonly texts: readonly string[];
}

/**
 * A sample set's texts, streamed: each iteration reads the file again, a question at a time,
 * so no checkpoint's texts are ever held whole (they go to the index in batches).
 */
export interface SampleTexts {
  rows(): Iterable<TextRow>;
}

export interface SampleSetData {
  readonly split: Split;
  /** e.g. `types5_seed2_temp0.8`: the file-name part after `answer_` (or after `samples_`). */
  readonly name: string;
  readonly samplesPerQuestion: number;
  readonly questions: number;
  /** questions x samplesPerQuestion, row-major. */
  readonly codes: Uint8Array;
  /** The sample texts, when the pipeline kept them: read from the file when iterated, one question at a time. */
  readonly texts: SampleTexts | null;
  readonly source: string;
}

/** One perturbed variant of a training question, with the samples drawn on it at a checkpoint. */
export interface PerturbedRow {
  readonly variant: Perturbation;
  /** The authors' codes, one per sample. */
  readonly codes: readonly number[];
  readonly texts: readonly string[] | null;
}

/** A checkpoint's samples on perturbed variants (`perturbed_samples[_<set>].jsonl`). */
export interface PerturbedSetData {
  readonly name: string;
  readonly samplesPerQuestion: number;
  readonly rows: readonly PerturbedRow[];
  readonly source: string;
}

export interface CheckpointData {
  readonly step: number;
  readonly dir: string;
  readonly fingerprint: string;
  /** From trainer_state.json when present. */
  readonly epoch: number | null;
  readonly trainLoss: number | null;
  /** One per analysed example; NaN where unknown. */
  readonly perplexity: Float64Array;
  readonly numTokens: Float64Array | null;
  readonly sampleSets: readonly SampleSetData[];
  readonly perturbedSets: readonly PerturbedSetData[];
  /** What the readers chose that the user should know, e.g. which of several harness logs was read. */
  readonly notes: readonly string[];
}

/** One split's analysed questions: where each sits in its dataset, and the dataset when known. */
export interface SplitExamples {
  /** The dataset index of each analysed question, in analysis order. */
  readonly order: readonly number[];
  /** The split's whole dataset, by index; null when the run has no texts. */
  readonly records: readonly DatasetRecord[] | null;
}

/** What is known of a run before and after indexing: read from its folder, stored as is. */
export interface RunFacts {
  readonly path: string;
  readonly name: string;
  readonly sweepPath: string;
  readonly fingerprint: string;
  /** How many epochs the run trained, and where that came from; null when nothing says. */
  readonly epochs: number | null;
  readonly epochsSource: string | null;
  /** Questions in the training split as the arrays see it. */
  readonly trainQuestions: number;
  readonly testQuestions: number | null;
  readonly trainDatasetFile: string | null;
  /** The run these samples were drawn from (run.json's `sampled_from`, as premem sample writes it into a folder of its own); null otherwise. */
  readonly sampledFrom: string | null;
  /** What the run's files say of how it was trained (ingest/hyperparameters.ts). */
  readonly hyperparameters: Hyperparameters;
}

/**
 * A run as the reader opens it: its facts, its analysis order and its datasets. The datasets
 * come whole (not per example) so the index can keep one copy of a dataset shared by runs.
 */
export interface RunHeader extends RunFacts {
  readonly train: SplitExamples;
  readonly test: SplitExamples | null;
}

/** count(code == 0) per question: the numerator of the sample accuracy. */
export function correctCounts(set: Pick<SampleSetData, 'codes' | 'questions' | 'samplesPerQuestion'>): Uint16Array | Uint32Array {
  const n = set.samplesPerQuestion;
  const codes = set.codes;
  const out = n < 65536 ? new Uint16Array(set.questions) : new Uint32Array(set.questions);
  for (let q = 0, k = 0; q < set.questions; q++) {
    let c = 0;
    // (code - 1) >>> 31 is 1 for code 0 (CODE_CORRECT) and 0 for 1 and 2: no branch to
    // mispredict on a mix of outcomes, half the time of an if over 12 million codes.
    for (const end = k + n; k < end; k++) c += (codes[k]! - 1) >>> 31;
    out[q] = c;
  }
  return out;
}
