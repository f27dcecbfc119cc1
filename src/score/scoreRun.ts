import { existsSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { firstExisting } from '../ingest/dataset';
import { InputError } from '../ingest/errors';
import type { IndexStore, StoredRun } from '../store/indexStore';
import { fillTemplates, ReferenceScorer, type ScoreTemplates } from './referenceScorer';

export interface ScoreOptions {
  readonly templates: ScoreTemplates;
  /** Sequences per forward pass; sorted by length first, so a batch pads little. */
  readonly batch: number;
  readonly threads?: number;
  /** Only these checkpoint steps; all with a model when absent. */
  readonly steps?: readonly number[];
  /** Where each checkpoint's model is, relative to the run, `{step}` replaced; default: see checkpointModel. */
  readonly modelPattern?: string;
  /** One tokenizer for every checkpoint; default: beside each model or at the run root. */
  readonly tokenizer?: string;
}

export interface ScoreProgress {
  readonly step: number;
  readonly done: number;
  readonly total: number;
  readonly tokensPerSecond: number;
}

export interface ScoreHooks {
  readonly onCheckpoint?: (c: CheckpointScored) => void;
  readonly onBatch?: (p: ScoreProgress) => void;
  /** Checked between batches; checkpoints already stored stay stored. */
  readonly isCancelled?: () => boolean;
}

export class ScoreCancelled extends Error {
  constructor() {
    super('scoring cancelled');
    this.name = 'ScoreCancelled';
  }
}

export interface CheckpointScored {
  readonly step: number;
  readonly examples: number;
  readonly tokens: number;
  readonly seconds: number;
}

/** `checkpoint-<step>/model.onnx` or `checkpoint-<step>/onnx/model.onnx`, with `tokenizer.json` beside it or at the run root. */
export function checkpointModel(
  runPath: string,
  checkpointDir: string,
  step: number,
  overrides: { modelPattern?: string; tokenizer?: string } = {},
): { model: string; tokenizer: string } | null {
  const model = overrides.modelPattern
    ? firstExisting([resolve(runPath, overrides.modelPattern.split('{step}').join(String(step)))])
    : firstExisting([join(checkpointDir, 'model.onnx'), join(checkpointDir, 'onnx', 'model.onnx')]);
  if (!model) return null;
  if (overrides.tokenizer && !existsSync(overrides.tokenizer)) throw new InputError(overrides.tokenizer, 'no such tokenizer file');
  const tokenizer = overrides.tokenizer ?? firstExisting([join(checkpointDir, 'tokenizer.json'), join(checkpointDir, 'onnx', 'tokenizer.json'), join(runPath, 'tokenizer.json')]);
  if (!tokenizer) throw new InputError(model, 'no tokenizer.json beside the model, in onnx/, or at the run root');
  return { model, tokenizer };
}

/**
 * Scores every training example's reference at each checkpoint that has an ONNX model, and
 * stores the perplexities and token counts as that checkpoint's memorization evidence.
 */
export async function scoreRun(store: IndexStore, run: StoredRun, options: ScoreOptions, hooks: ScoreHooks = {}): Promise<CheckpointScored[]> {
  const examples = await store.examples(run.id);
  const missing = examples.find((e) => e.question === null || e.answer === null);
  if (missing) throw new InputError(run.path, `scoring needs each example's question and reference; example ${missing.index} has none (no dataset file?)`);
  const texts = examples.map((e) => fillTemplates(options.templates, e.question!, e.answer!));
  // Longest first: each batch holds sequences of similar length, and padding stays small.
  const order = examples.map((e) => e.position).sort((a, b) => texts[b]!.prompt.length + texts[b]!.target.length - (texts[a]!.prompt.length + texts[a]!.target.length));
  const done: CheckpointScored[] = [];
  // Every model and tokenizer is found and checked against each other before any work starts:
  // a missing or mismatched one stops the run with nothing written.
  const targets = (await store.checkpoints(run.id))
    .filter((c) => !options.steps || options.steps.includes(c.step))
    .flatMap((c) => {
      const files = checkpointModel(run.path, c.dir, c.step, options);
      return files ? [{ c, files }] : [];
    });
  for (const { files } of targets) await (await ReferenceScorer.load(files.model, files.tokenizer)).close();
  for (const { c, files } of targets) {
    const t0 = performance.now();
    const scorer = await ReferenceScorer.load(files.model, files.tokenizer, { threads: options.threads });
    try {
      const perplexity = new Float64Array(examples.length).fill(NaN);
      const numTokens = new Float64Array(examples.length).fill(NaN);
      let tokens = 0;
      for (let start = 0; start < order.length; start += options.batch) {
        if (hooks.isCancelled?.()) throw new ScoreCancelled();
        const positions = order.slice(start, start + options.batch);
        const scores = await scorer.score(positions.map((p) => texts[p]!));
        scores.forEach((s, k) => {
          perplexity[positions[k]!] = s.perplexity;
          numTokens[positions[k]!] = s.logprobs.length;
          tokens += s.inputIds.length;
        });
        hooks.onBatch?.({ step: c.step, done: Math.min(order.length, start + options.batch), total: order.length, tokensPerSecond: tokens / ((performance.now() - t0) / 1000) });
      }
      // Each checkpoint is stored whole as soon as it is done, so views can show it at once.
      await store.updateReferenceScores(c.id, perplexity, numTokens, JSON.stringify({ model: files.model, tokenizer: files.tokenizer, templates: options.templates }));
      const scored = { step: c.step, examples: examples.length, tokens, seconds: (performance.now() - t0) / 1000 };
      done.push(scored);
      hooks.onCheckpoint?.(scored);
    } finally {
      await scorer.close();
    }
  }
  return done;
}
