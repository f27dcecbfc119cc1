import { resolve } from 'node:path';
import { InputError } from '../../ingest/errors';
import type { SampleRunOptions, SampleSplit } from '../../score/sampleRun';
import { defineCommand, UsageError } from '../command';
import { DB_OPTION, finiteNumber, shellText, templatesOption, wholeNumber } from '../options';
import { oneRun, singleRun, withStore } from '../session';
import { stepsOption } from './score';

export const sampleCommand = defineCommand({
  name: 'sample',
  usage:
    '<run> [--checkpoints S1,S2] [--split train|test|both] [--samples N] [--temperature T] [--top-p P] [--max-new-tokens N] [--seed S] [--dataset FILE] [--model PATTERN] [--tokenizer FILE] [--out DIR | --into-run]',
  summary: 'k graded samples per question from each checkpoint’s ONNX model, written as a sample set',
  options: {
    ...DB_OPTION,
    checkpoints: { type: 'string', help: 'S1,S2  only these steps (default: every checkpoint with a model)' },
    split: { type: 'string', help: 'train|test|both  which questions (default train)' },
    samples: { type: 'string', help: 'N  samples per question (default 4)' },
    temperature: { type: 'string', help: 'T  0 = greedy (default 0.8)' },
    'top-p': { type: 'string', help: 'P  nucleus sampling (default 1)' },
    'max-new-tokens': { type: 'string', help: 'N  (default 200)' },
    seed: { type: 'string', help: 'S  same seed, same samples (default 0)' },
    stop: { type: 'string', help: 'TEXT  stop string (default: what follows {answer} in the target template, "\\nDone.")' },
    dataset: { type: 'string', help: 'FILE  sample these perturbed variants (premem perturb’s file) instead of the splits' },
    limit: { type: 'string', help: 'N  only the first N questions (and their variants): a quick look' },
    model: { type: 'string', help: 'PATTERN  each checkpoint’s model, relative to the run, {step} replaced' },
    tokenizer: { type: 'string', help: 'FILE  one tokenizer.json for every checkpoint (default: beside each model)' },
    batch: { type: 'string', help: 'N  sequences per batch (default 16)' },
    threads: { type: 'string', help: 'N  onnxruntime intra-op threads' },
    'prompt-template': { type: 'string', help: 'T  default "{question}\\nAnswer:"' },
    'target-template': { type: 'string', help: 'T  default " {answer}\\nDone." (gives the default stop string)' },
    out: { type: 'string', help: 'DIR  write a run folder of its own (JSONL layout) there' },
    'into-run': { type: 'boolean', help: 'write into the run’s own checkpoint folders' },
  },
  async run({ values: v, positionals, io }) {
    const dir = oneRun(positionals, 'sample');
    if ((v.out === undefined) === (v['into-run'] !== true))
      throw new UsageError('say where the samples go: --out DIR (a run folder of its own) or --into-run (the run’s checkpoint folders)');
    const split = (v.split ?? 'train') as SampleSplit;
    if (!['train', 'test', 'both'].includes(split)) throw new UsageError(`--split must be train, test or both, got "${v.split}"`);
    if (v.dataset !== undefined && v.split !== undefined) throw new UsageError('--dataset samples the variants in FILE; it does not take --split');
    const temperature = finiteNumber(v.temperature, '--temperature', 0.8);
    const topP = finiteNumber(v['top-p'], '--top-p', 1);
    if (temperature < 0) throw new UsageError('--temperature must be 0 (greedy) or more');
    if (!(topP > 0 && topP <= 1)) throw new UsageError('--top-p must be in (0, 1]');
    const templates = templatesOption(v);
    // onnxruntime's native library is loaded here, on first use, never for other commands.
    const { sampleRun, impliedStop, sampleSetName } = await import('../../score/sampleRun');
    const options: SampleRunOptions = {
      split,
      samples: wholeNumber(v.samples, '--samples', 1) ?? 4,
      temperature,
      topP,
      maxNewTokens: wholeNumber(v['max-new-tokens'], '--max-new-tokens', 1) ?? 200,
      seed: wholeNumber(v.seed, '--seed') ?? 0,
      stop: v.stop !== undefined ? [shellText(v.stop)!] : impliedStop(templates),
      templates,
      perturbations: v.dataset === undefined ? undefined : resolve(v.dataset),
      limit: wholeNumber(v.limit, '--limit', 1),
      steps: stepsOption(v.checkpoints),
      modelPattern: v.model,
      tokenizer: v.tokenizer === undefined ? undefined : resolve(v.tokenizer),
      batch: wholeNumber(v.batch, '--batch', 1) ?? 16,
      threads: wholeNumber(v.threads, '--threads', 1),
      out: v.out === undefined ? null : resolve(v.out),
    };
    let interrupted = false;
    const onSignal = () => {
      interrupted = true;
      io.err('stopping after this batch; run the same command again to resume');
    };
    process.once('SIGINT', onSignal);
    try {
      const done = await withStore(v.db, io, async (store) => {
        const run = await singleRun(store, dir, io);
        io.err(`sampling sample set ${sampleSetName(options)} of ${run.path}${options.out ? ` into ${options.out}` : ''}`);
        return sampleRun(store, run, options, {
          isCancelled: () => interrupted,
          onPart: (p) => {
            const n = p.questions * p.samples;
            io.err(
              p.skipped
                ? `checkpoint-${p.step} ${p.part}: already sampled (${p.file})`
                : `checkpoint-${p.step} ${p.part}: ${p.questions} questions × ${p.samples}, accuracy ${(p.correct / n).toFixed(4)}, no answer ${(p.noAnswer / n).toFixed(4)}` +
                    `${p.resumed ? `, ${p.resumed} questions resumed` : ''}; ${p.tokens} tokens in ${p.seconds.toFixed(1)} s (${Math.round(p.tokens / Math.max(p.seconds, 1e-9))} tokens/s) → ${p.file}`,
            );
          },
        });
      });
      if (done.length === 0) throw new InputError(resolve(dir), 'no checkpoint has an ONNX model (checkpoint-<step>/model.onnx or onnx/model.onnx, with tokenizer.json)');
      if (options.out) io.err(`done: premem report ${options.out}`);
      return 0;
    } catch (e) {
      if (e instanceof Error && e.name === 'SampleCancelled') {
        io.err(e.message);
        return 130;
      }
      throw e;
    } finally {
      process.removeListener('SIGINT', onSignal);
    }
  },
});
