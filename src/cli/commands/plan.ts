import { basename, dirname, join, resolve } from 'node:path';
import { writePlan } from '../../plan/writePlan';
import { impliedStop, samplingSettingsProblem, type SettingProblem } from '../../score/sampleSettings';
import { defineCommand, UsageError } from '../command';
import { finiteNumber, templatesOption, wholeNumber } from '../options';

const CHECKPOINT = /^checkpoint-\d+$/;
/** A RangeError of the plan's checks is a usage error; an InputError (a file at fault) stays one. */
function rangeAsUsage<T>(body: () => T): T {
  try {
    return body();
  } catch (e) {
    if (e instanceof RangeError) throw new UsageError(e.message);
    throw e;
  }
}

const SETTING_FLAG: Record<SettingProblem['setting'], string> = { samples: 'samples', temperature: 'temperature', topP: 'top-p', maxNewTokens: 'max-new-tokens', seed: 'seed' };

export const planCommand = defineCommand({
  name: 'plan',
  usage:
    'lm-eval <run | checkpoint-dir...> --out DIR [--dataset FILE] [--test-dataset FILE] [--perturbations FILE] [--samples N] [--temperature T] [--top-p P] [--max-new-tokens N] [--seed S] [--backend vllm|hf] [--device D] [--batch-size N|auto] [--tensor-parallel N] [--data-parallel N] [--model-args ARGS] [--limit N] [--strict] [--force]',
  summary: 'tasks and scripts for lm-evaluation-harness (vLLM or HF) to collect samples and reference log-likelihoods per checkpoint',
  options: {
    out: { type: 'string', help: 'DIR  where the task folder and scripts go' },
    dataset: { type: 'string', help: 'FILE  the training set (default: the run’s, as premem finds it)' },
    'test-dataset': { type: 'string', help: 'FILE  the test set (default: the run’s; none: no test task)' },
    perturbations: { type: 'string', help: 'FILE  also sample these perturbed variants (premem perturb’s file)' },
    samples: { type: 'string', help: 'N  samples per question (default 4)' },
    temperature: { type: 'string', help: 'T  (default 0.8; 0 = greedy)' },
    'top-p': { type: 'string', help: 'P  (default 1)' },
    'max-new-tokens': { type: 'string', help: 'N  (default 200)' },
    seed: { type: 'string', help: 'S  (default 0)' },
    backend: { type: 'string', help: 'vllm|hf  the harness’s model backend (default vllm; hf is the fallback)' },
    'tensor-parallel': { type: 'string', help: 'N  vLLM tensor_parallel_size (default 1)' },
    'data-parallel': { type: 'string', help: 'N  vLLM data_parallel_size (default 1)' },
    device: { type: 'string', help: 'D  the harness’s --device for --backend hf: cpu, cuda, cuda:N, mps' },
    'batch-size': { type: 'string', help: 'N|auto  the harness’s --batch_size (default auto)' },
    'model-args': { type: 'string', help: 'ARGS  more --model_args, merged by key over the plan’s (e.g. max_model_len=4096, dtype=float32)' },
    limit: { type: 'string', help: 'N  a smoke run: the first N questions of each split, written as subset files in the plan' },
    strict: { type: 'boolean', help: 'refuse the plan when a checkpoint has no weights the harness can load (default: skip it, named)' },
    force: { type: 'boolean', help: 'replace the files of an earlier plan in --out' },
    'prompt-template': { type: 'string', help: 'T  default "{question}\\nAnswer:"' },
    'target-template': { type: 'string', help: 'T  default " {answer}\\nDone."' },
  },
  // eslint-disable-next-line @typescript-eslint/require-await
  async run({ values: v, positionals, io }) {
    const [what, ...dirs] = positionals;
    if (what !== 'lm-eval') throw new UsageError('premem plan lm-eval <run | checkpoint-dir...> --out DIR: the harness is the one engine planned for');
    if (dirs.length === 0) throw new UsageError('premem plan lm-eval needs a run folder or checkpoint folders');
    if (v.out === undefined) throw new UsageError('premem plan lm-eval needs --out DIR');
    const backend = v.backend ?? 'vllm';
    if (backend !== 'vllm' && backend !== 'hf') throw new UsageError('--backend must be vllm or hf');
    const templates = templatesOption(v);
    const settings = {
      samples: wholeNumber(v.samples, '--samples', 1) ?? 4,
      temperature: finiteNumber(v.temperature, '--temperature', 0.8),
      topP: finiteNumber(v['top-p'], '--top-p', 1),
      maxNewTokens: wholeNumber(v['max-new-tokens'], '--max-new-tokens', 1) ?? 200,
      seed: wholeNumber(v.seed, '--seed') ?? 0,
      templates,
      stop: impliedStop(templates),
    };
    const problem = samplingSettingsProblem(settings);
    if (problem) throw new UsageError(`--${SETTING_FLAG[problem.setting]}: ${problem.message}`);
    const batchSize = v['batch-size'] === undefined || v['batch-size'] === 'auto' ? 'auto' : wholeNumber(v['batch-size'], '--batch-size', 1)!;
    // The checkpoints: those given, or every checkpoint folder of the run given (evaluated or not).
    const absolute = dirs.map((d) => resolve(d));
    const given = absolute.every((d) => CHECKPOINT.test(basename(d)));
    const runDir = given ? dirname(absolute[0]!) : absolute[0]!;
    if (!given && absolute.length > 1) throw new UsageError('give one run folder, or checkpoint folders');
    const out = resolve(v.out);
    const { inputs, files, tasks, skipped } = rangeAsUsage(() =>
      writePlan({
        runDir,
        checkpoints: given ? absolute.sort((a, b) => Number(basename(a).slice(11)) - Number(basename(b).slice(11))) : undefined,
        out,
        settings,
        dataset: v.dataset,
        testDataset: v['test-dataset'],
        perturbations: v.perturbations,
        backend,
        tensorParallel: wholeNumber(v['tensor-parallel'], '--tensor-parallel', 1) ?? 1,
        dataParallel: wholeNumber(v['data-parallel'], '--data-parallel', 1) ?? 1,
        modelArgs: v['model-args'] ?? '',
        device: v.device,
        batchSize,
        limit: wholeNumber(v.limit, '--limit', 1),
        strict: v.strict ?? false,
        force: v.force ?? false,
      }),
    );
    const checkpoints = inputs.checkpoints;
    io.err(`planned ${tasks.join(', ')} for ${checkpoints.length} checkpoints in ${out}:`);
    for (const s of skipped) io.err(`  skipped ${s.dir}: ${s.reason}`);
    for (const f of files) io.err(`  ${f}`);
    io.err(`run: bash ${join(out, 'run_all.sh')}   or on Slurm: sbatch ${join(out, 'slurm_array.sbatch')}`);
    io.err(`then: premem report ${runDir}   (the logs land in each checkpoint's lm_eval/ folder)`);
    return 0;
  },
});
