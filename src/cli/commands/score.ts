import { resolve } from 'node:path';
import { InputError } from '../../ingest/errors';
import { defineCommand, UsageError } from '../command';
import { DB_OPTION, templatesOption, wholeNumber } from '../options';
import { oneRun, singleRun, withStore } from '../session';

/** `--checkpoints 50,400`: the steps to work on, or undefined for all. */
export function stepsOption(text: string | undefined): number[] | undefined {
  return text?.split(',').map((x) => {
    const n = Number(x);
    if (!Number.isSafeInteger(n) || n < 0 || x.trim() === '') throw new UsageError(`--checkpoints takes steps such as 50,400; got "${x}"`);
    return n;
  });
}

export const scoreCommand = defineCommand({
  name: 'score',
  usage: '<run> [--db FILE] [--model PATTERN] [--tokenizer FILE] [--batch N] [--threads N] [--checkpoints S1,S2] [--prompt-template T] [--target-template T]',
  summary: 'reference perplexities from each checkpoint’s ONNX model (onnxruntime-node)',
  options: {
    ...DB_OPTION,
    model: { type: 'string', help: 'PATTERN  each checkpoint’s model, relative to the run, {step} replaced (default checkpoint-{step}/model.onnx or onnx/model.onnx)' },
    tokenizer: { type: 'string', help: 'FILE  one tokenizer.json for every checkpoint (default: beside each model)' },
    batch: { type: 'string', help: 'N  sequences per forward pass (default 8)' },
    threads: { type: 'string', help: 'N  onnxruntime intra-op threads' },
    checkpoints: { type: 'string', help: 'S1,S2  only these steps' },
    'prompt-template': { type: 'string', help: 'T  default "{question}\\nAnswer:"' },
    'target-template': { type: 'string', help: 'T  default " {answer}\\nDone."' },
  },
  async run({ values: v, positionals, io }) {
    const dir = oneRun(positionals, 'score');
    const batch = wholeNumber(v.batch, '--batch', 1) ?? 8;
    const threads = wholeNumber(v.threads, '--threads');
    const steps = stepsOption(v.checkpoints);
    const templates = templatesOption(v);
    // onnxruntime's native library is loaded here, on first use, never for other commands.
    const { scoreRun } = await import('../../score/scoreRun');
    const done = await withStore(v.db, io, async (store) => {
      const run = await singleRun(store, dir, io);
      return scoreRun(
        store,
        run,
        { templates, batch, threads, steps, modelPattern: v.model, tokenizer: v.tokenizer === undefined ? undefined : resolve(v.tokenizer) },
        {
          onCheckpoint: (c) =>
            io.err(`checkpoint-${c.step}: scored ${c.examples} references (${c.tokens} tokens) in ${c.seconds.toFixed(2)} s, ${Math.round(c.tokens / c.seconds)} tokens/s`),
        },
      );
    });
    if (done.length === 0) throw new InputError(resolve(dir), 'no checkpoint has an ONNX model (checkpoint-<step>/model.onnx or onnx/model.onnx, with tokenizer.json)');
    return 0;
  },
});
