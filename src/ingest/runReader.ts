import { existsSync, readdirSync } from 'node:fs';
import { basename, join } from 'node:path';
import { readDataset, type DatasetRecord } from './dataset';
import { NOT_EVALUATED } from './values';
import { InputError, NotEvaluatedError } from './errors';
import { filesOf, type CheckpointPart, type LayoutReader, type RunShape, type SplitExtent, type SplitIndex } from './layouts/layout';
import { LAYOUTS } from './layouts/registry';
import { expectNumeric, readNpyFile } from './npy';
import type { CheckpointRef, RunLayout } from './runLayout';
import { readRunJson } from './runLayout';
import type { CheckpointData, RunHeader, SampleSetData, Split } from './runData';
import { readHyperparameters } from './hyperparameters';
import { fromRunName } from '../core/hyperparameters';

/** The run these samples were drawn from (run.json's `sampled_from`), or null. */
function sampledFrom(runJson: Record<string, unknown> | null): string | null {
  const from = runJson?.['sampled_from'];
  return typeof from === 'string' && from !== '' ? from : null;
}

const NO_TRAIN_SAMPLES = 'no training samples: expected train_answer_types*.npy, train_samples*.jsonl or an lm-eval samples_*_train*.jsonl log';

/** Model weights or an export in a checkpoint folder (Trainer `save_pretrained`, ONNX). */
function hasModelFiles(dir: string): boolean {
  try {
    return readdirSync(dir).some((f) => f === 'config.json' || f === 'model.onnx' || f === 'pytorch_model.bin' || /\.safetensors(\.index\.json)?$/.test(f));
  } catch {
    return false;
  }
}

/** Dataset index → position for an order, built when first asked for (the .npy layout never asks). */
function splitIndex(order: readonly number[]): SplitIndex {
  let positionOf: ReadonlyMap<number, number> | undefined;
  return {
    order,
    get positionOf() {
      return (positionOf ??= new Map(order.map((idx, pos) => [idx, pos])));
    },
  };
}

const range = (n: number): number[] => Array.from({ length: n }, (_, i) => i);

/**
 * Reads one run through the registered layouts: `open()` once for the run-level facts, then
 * `readCheckpoint()` per checkpoint, so only one checkpoint's arrays are in memory at a time.
 * This class knows no file names but the run-level ones; the layouts know theirs.
 */
export class RunReader {
  private shape: (RunShape & { readonly train: SplitIndex; readonly test: SplitIndex | null }) | null = null;

  constructor(
    readonly layout: RunLayout,
    private readonly layouts: readonly LayoutReader[] = LAYOUTS,
  ) {}

  open(): RunHeader {
    const layout = this.layout;
    const problem = layout.problems[0];
    if (problem) throw new InputError(problem.file, problem.reason);
    if (layout.checkpoints.length === 0) throw new InputError(layout.path, 'no checkpoints');
    const first = layout.checkpoints[0]!;
    // Pipelines often evaluate the test split at some checkpoints only.
    const firstWithTest = layout.checkpoints.find((c) => c.files.some((f) => this.layouts.some((l) => l.files.test(basename(f)) && l.sampleSplit(basename(f)) === 'test')));
    const dataset = layout.trainDatasetFile ? readDataset(layout.trainDatasetFile) : this.documents(first, 'train');
    const testDataset = layout.testDatasetFile ? readDataset(layout.testDatasetFile) : this.documents(firstWithTest ?? first, 'test');

    // The run's size from its first readable checkpoint: a damaged one costs only itself (the
    // indexer records it as skipped when it fails to read it).
    let train: SplitExtent | null = null;
    let firstError: InputError | null = null;
    for (const ref of layout.checkpoints) {
      try {
        train = this.extent(ref, 'train', dataset);
      } catch (e) {
        if (!(e instanceof InputError)) throw e;
        firstError ??= e;
      }
      if (train !== null) break;
    }
    if (train === null) {
      // Weights everywhere and samples nowhere: a run waiting for its evaluation, said as such.
      if (layout.checkpoints.every((c) => hasModelFiles(c.dir)))
        throw new NotEvaluatedError(
          layout.path,
          layout.checkpoints.map((c) => c.step),
        );
      throw firstError ?? new InputError(first.dir, NO_TRAIN_SAMPLES);
    }
    const trainQuestions = train.questions;
    if (dataset && trainQuestions > dataset.length) {
      throw new InputError(layout.trainDatasetFile!, `has ${dataset.length} records but the checkpoints hold ${trainQuestions} training questions`);
    }
    // The test split's size likewise, from the first checkpoint whose test samples can be read.
    let test: SplitExtent | null = null;
    for (const ref of layout.checkpoints.filter((c) => c.step >= (firstWithTest?.step ?? Infinity))) {
      try {
        test = this.extent(ref, 'test', testDataset);
      } catch (e) {
        if (!(e instanceof InputError)) throw e;
      }
      if (test !== null && test.questions > 0) break;
      test = null;
    }
    const testQuestions = test?.questions ?? null;

    const order = layout.subsampleFile ? readSubsample(layout.subsampleFile, trainQuestions, train.source) : (train.indices ?? range(trainQuestions));
    const trainIndex = splitIndex(order);
    const testIndex = test ? splitIndex(test.indices ?? range(test.questions)) : null;
    this.shape = {
      trainQuestions,
      testQuestions,
      train: trainIndex,
      test: testIndex,
      index(split) {
        const i = split === 'train' ? trainIndex : testIndex;
        // Test samples here, but none readable at any checkpoint: this checkpoint's are refused.
        if (!i) throw new InputError(layout.path, 'has test samples, but none of its checkpoints has readable ones: the test split’s size is unknown');
        return i;
      },
      datasetQuestion(split, index) {
        const file = split === 'train' ? layout.trainDatasetFile : layout.testDatasetFile;
        const records = split === 'train' ? dataset : testDataset;
        const r = file && records ? records[index] : undefined;
        return r && file ? { question: r.question, file, line: r.line } : null;
      },
      expectQuestions(file, split, rows) {
        const expected = split === 'train' ? trainQuestions : testQuestions;
        if (expected === null) throw new InputError(file, 'test samples, but none of the run’s checkpoints has readable ones: the test split’s size is unknown');
        if (rows !== expected) throw new InputError(file, `has ${rows} ${split} questions, but the run has ${expected} (checkpoints disagree)`);
      },
    };

    // run.json read once for what the run says of itself: its epochs, its source run, its hyperparameters.
    const runJson = readRunJson(layout.runJsonFile);
    const { epochs, source } = this.epochs(runJson);
    return {
      path: layout.path,
      name: layout.name,
      sweepPath: layout.sweepPath,
      fingerprint: layout.fingerprint,
      epochs,
      epochsSource: source,
      trainQuestions,
      testQuestions,
      trainDatasetFile: layout.trainDatasetFile,
      sampledFrom: sampledFrom(runJson),
      hyperparameters: this.hyperparameters(runJson),
      train: { order, records: dataset },
      test: testIndex ? { order: testIndex.order, records: testDataset } : null,
    };
  }

  /** The first layout's answer to how large a split is at a checkpoint. */
  private extent(ref: CheckpointRef, split: Split, dataset: readonly DatasetRecord[] | null) {
    for (const l of this.layouts) {
      const files = filesOf(l, ref.files);
      const e = files.length > 0 ? l.extent(files, split, dataset) : null;
      if (e) return e;
    }
    return null;
  }

  /** Dataset records carried by a checkpoint's own files (lm-eval documents), if any layout has them. */
  private documents(ref: CheckpointRef, split: Split): DatasetRecord[] | null {
    for (const l of this.layouts) {
      const files = filesOf(l, ref.files);
      const d = files.length > 0 && l.documents ? l.documents(files, split) : null;
      if (d) return d;
    }
    return null;
  }

  /**
   * What the run's files say of its hyperparameters. A malformed trainer_state.json costs only its
   * checkpoint (which is skipped, naming the file, as before): the run keeps the other sources.
   */
  private hyperparameters(runJson: Record<string, unknown> | null) {
    const state = this.layout.checkpoints.at(-1)?.files.find((f) => basename(f) === 'trainer_state.json') ?? null;
    try {
      return readHyperparameters(this.layout.name, runJson, state);
    } catch (e) {
      if (!(e instanceof InputError)) throw e;
      return readHyperparameters(this.layout.name, runJson, null);
    }
  }

  private epochs(runJson: Record<string, unknown> | null): { epochs: number | null; source: string | null } {
    const e = runJson?.['num_train_epochs'] ?? runJson?.['epochs'];
    if (typeof e === 'number' && e > 0) return { epochs: e, source: 'run.json' };
    const named = fromRunName(this.layout.name)['num_train_epochs'];
    if (typeof named === 'number') return { epochs: named, source: 'run name' };
    return { epochs: null, source: null };
  }

  readCheckpoint(ref: CheckpointRef): CheckpointData {
    const shape = this.shape;
    if (!shape) throw new Error('RunReader.open() must come first');
    const parts: { layout: LayoutReader; part: CheckpointPart }[] = [];
    for (const l of this.layouts) {
      const files = filesOf(l, ref.files);
      if (files.length > 0) parts.push({ layout: l, part: l.readCheckpoint(files, shape) });
    }
    // Sample sets in file-name order whatever layout read them, as the index has always stored them.
    const rank = (s: SampleSetData) => ref.files.indexOf(s.source);
    const sampleSets = parts.flatMap((p) => p.part.sampleSets ?? []).sort((a, b) => rank(a) - rank(b));
    const last = <K extends keyof CheckpointPart>(key: K): CheckpointPart[K] | undefined =>
      parts
        .map((p) => p.part[key])
        .filter((v) => v !== undefined)
        .at(-1);
    let perplexity = last('perplexity') ?? null;
    const numTokens = last('numTokens') ?? null;

    if (!sampleSets.some((s) => s.split === 'train')) throw new InputError(ref.dir, hasModelFiles(ref.dir) ? NOT_EVALUATED : NO_TRAIN_SAMPLES);
    const hasModel = existsSync(join(ref.dir, 'model.onnx')) || existsSync(join(ref.dir, 'onnx', 'model.onnx'));
    const optional = parts.some((p) => p.layout.perplexitiesOptional && (p.part.sampleSets?.length ?? 0) > 0);
    if (!perplexity && (hasModel || optional)) {
      // No reference perplexities yet: a checkpoint with an ONNX model gets them from
      // `premem score`; lm-eval logs carry none, and memorization then comes from the texts.
      // Until then nothing counts as memorized under the perplexity criterion (unknown is not low).
      perplexity = new Float64Array(shape.train.order.length).fill(NaN);
    }
    if (!perplexity) {
      throw new InputError(ref.dir, 'no reference perplexities: expected train_perplexities.npy or train_references.jsonl');
    }
    const perturbedSets = parts.flatMap((p) => p.part.perturbedSets ?? []);
    const notes = parts.flatMap((p) => p.part.notes ?? []);
    return {
      notes,
      step: ref.step,
      dir: ref.dir,
      fingerprint: ref.fingerprint,
      epoch: last('epoch') ?? null,
      trainLoss: last('trainLoss') ?? null,
      perplexity,
      numTokens,
      sampleSets,
      perturbedSets,
    };
  }
}

/** `subsample_idxs.npy`: which training questions the run analyses, in the analysis order. */
function readSubsample(file: string, trainQuestions: number, sizedBy: string): number[] {
  const arr = expectNumeric(readNpyFile(file), file, 1, 'subsample_idxs');
  const order = Array.from(arr.data);
  const seen = new Uint8Array(trainQuestions);
  for (const i of order) {
    if (!Number.isInteger(i) || i < 0) throw new InputError(file, `index ${i} is not a whole number >= 0`);
    if (i >= trainQuestions) {
      // Which file is wrong is not known; the one that sized the split is what the user checks first.
      throw new InputError(sizedBy, `has ${trainQuestions} training questions, but ${file} lists index ${i}`);
    }
    if (seen[i] === 1) throw new InputError(file, `index ${i} is listed twice`);
    seen[i] = 1;
  }
  return order;
}
