import { basename } from 'node:path';
import type { DatasetRecord } from '../dataset';
import type { PerturbedSetData, SampleSetData, Split } from '../runData';

/**
 * A run layout: one on-disk format of a checkpoint's evidence (the authors' `.npy` arrays, the
 * native JSONL files, lm-evaluation-harness logs, the Trainer's state). Each is one module
 * implementing this interface and listed in `registry.ts`; `RunReader` only asks the layouts,
 * so adding a format is adding a module and a line there (see ARCHITECTURE.md).
 */
export interface LayoutReader {
  /** Shown in messages and docs, e.g. "lm-eval". */
  readonly name: string;
  /** The checkpoint files (by name) this layout reads; discovery fingerprints exactly these. */
  readonly files: RegExp;
  /**
   * The split a file of this layout holds samples of, or null (perplexities, state). Finds
   * the first checkpoint that evaluated the test split.
   */
  sampleSplit(fileName: string): Split | null;
  /**
   * How many questions a split has, from one checkpoint's files of this layout, and which
   * dataset indices they list (sorted), or null when they cover 0..questions−1 by position.
   * Null when this layout has no samples of the split there.
   */
  extent(files: readonly string[], split: Split, dataset: readonly DatasetRecord[] | null): SplitExtent | null;
  /** The dataset records the files carry themselves (lm-eval logs log each document); null when none. */
  documents?(files: readonly string[], split: Split): DatasetRecord[] | null;
  /** Reads this layout's files of one checkpoint, in the run's analysis order. */
  readCheckpoint(files: readonly string[], run: RunShape): CheckpointPart;
  /**
   * True when this layout's samples come without reference perplexities by nature (harness
   * generation logs): a checkpoint without them is then indexed with unknown perplexities
   * instead of refused.
   */
  readonly perplexitiesOptional?: boolean;
}

export interface SplitExtent {
  readonly questions: number;
  readonly indices: readonly number[] | null;
  /** The file that told the size, for errors that disagree with it. */
  readonly source: string;
}

/** Where each dataset index of a split sits in the run's order. */
export interface SplitIndex {
  /** Dataset indices in analysis order (train) or index order (test). */
  readonly order: readonly number[];
  /** Dataset index → position in `order`. */
  readonly positionOf: ReadonlyMap<number, number>;
}

/** What the run reader knows when it reads a checkpoint: the splits' sizes and orders. */
export interface RunShape {
  readonly trainQuestions: number;
  readonly testQuestions: number | null;
  /** The split's order; throws for the test split of a run with no test samples at all. */
  index(split: Split): SplitIndex;
  /** Throws, naming the file, unless it holds exactly the split's number of questions. */
  expectQuestions(file: string, split: Split, rows: number): void;
  /** The question the run's dataset file holds at this index (null without a dataset file), to check a log is of this dataset. */
  datasetQuestion?(split: Split, index: number): { question: string; file: string; line: number | null } | null;
}

/** One layout's share of a checkpoint; the run reader merges the shares of every layout. */
export interface CheckpointPart {
  readonly sampleSets?: readonly SampleSetData[];
  readonly perturbedSets?: readonly PerturbedSetData[];
  /** Per analysed example, NaN where unknown. */
  readonly perplexity?: Float64Array;
  readonly numTokens?: Float64Array;
  readonly epoch?: number | null;
  readonly trainLoss?: number | null;
  /** What the reader chose and the user should know (e.g. which of several logs it read). */
  readonly notes?: readonly string[];
}

/** The files of a checkpoint that a layout reads. */
export function filesOf(layout: Pick<LayoutReader, 'files'>, files: readonly string[]): string[] {
  return files.filter((f) => layout.files.test(basename(f)));
}

/** Picks the analysed examples, in analysis order, out of a full training-set array. */
export function gatherTrain(run: RunShape, data: ArrayLike<number>, file: string): Float64Array {
  run.expectQuestions(file, 'train', data.length);
  const order = run.index('train').order;
  const out = new Float64Array(order.length);
  for (let p = 0; p < order.length; p++) out[p] = data[order[p]!]!;
  return out;
}
