import { existsSync, readdirSync } from 'node:fs';
import { basename, join, resolve } from 'node:path';
import { readDataset } from '../ingest/dataset';
import { InputError } from '../ingest/errors';
import { readPerturbationLines } from '../ingest/perturbations';
import { describeRun } from '../ingest/runLayout';
import { checkOwnedWrite, startsWithMark, writeOwnedFile } from '../output/ownedFiles';
import { samplingSettingsProblem, sampleSetName } from '../score/sampleSettings';
import { planFiles, plannedTasks, PLAN_MARK, type PlanInputs, type PlannedFile, type PlanSettings } from './lmEvalPlan';
import { parseModelArgs } from './modelArgs';

export interface PlanRequest {
  readonly runDir: string;
  /** Only these checkpoint folders; every checkpoint folder of the run (evaluated or not) when absent. */
  readonly checkpoints?: readonly string[];
  readonly out: string;
  readonly settings: PlanSettings;
  readonly dataset?: string;
  readonly testDataset?: string;
  readonly perturbations?: string;
  readonly backend: 'vllm' | 'hf';
  readonly tensorParallel: number;
  readonly dataParallel: number;
  /** The harness's `--device` (Hugging Face backend only). */
  readonly device?: string;
  readonly batchSize?: number | 'auto';
  /** More `--model_args` as the user typed them (`max_model_len=4096`), merged by key over the plan's. */
  readonly modelArgs: string;
  /** A smoke run: plan against the first N questions of each split, written as subset files in the plan. */
  readonly limit?: number;
  /** Refuse, rather than skip, checkpoints the harness cannot load. */
  readonly strict?: boolean;
  /** Replace the files of an earlier plan in the same folder. */
  readonly force?: boolean;
}

export interface PlanResult {
  readonly inputs: PlanInputs;
  readonly files: string[];
  readonly tasks: string[];
  /** Checkpoints left out, each with the reason. */
  readonly skipped: { dir: string; reason: string }[];
}

/** `--device` values the harness's Hugging Face backend takes. */
const DEVICE = /^(cpu|mps|cuda(:\d+)?|xpu(:\d+)?|npu(:\d+)?)$/;

/**
 * Why the harness could not load a checkpoint as a Hugging Face model, or null when it can:
 * it needs `config.json` and weights (`*.safetensors` or `pytorch_model*.bin`). A checkpoint of
 * ONNX files only is for `premem sample` / `premem score`, not for the harness.
 */
export function harnessLoadProblem(dir: string): string | null {
  let names: string[];
  try {
    names = readdirSync(dir);
  } catch (e) {
    return `cannot be read: ${(e as Error).message}`;
  }
  const weights = names.some((n) => /\.safetensors$/.test(n) || /^pytorch_model.*\.bin$/.test(n));
  if (!names.includes('config.json'))
    return weights
      ? 'has weights but no config.json'
      : `has no Hugging Face model (config.json and *.safetensors or pytorch_model*.bin)${names.some((n) => n.endsWith('.onnx')) ? '; its ONNX model is for premem sample and premem score' : ''}`;
  if (!weights) return 'has config.json but no weights (*.safetensors or pytorch_model*.bin)';
  return null;
}

/** Records as their own lines, untouched (an export or subset hands back the user's own text). */
const asLines = (records: readonly { raw: string }[]): string => records.map((r) => r.raw + '\n').join('');

/** The training set a plan of this run would use unasked (train.jsonl in the run or its sweep, or run.json's train_file); null when there is none to find. */
export function planTrainingSet(runDir: string): string | null {
  return describeRun(runDir).trainDatasetFile;
}

/**
 * Plans a run's evaluation with lm-evaluation-harness and writes the files: the run's dataset as
 * Premem Lens finds it unless one is given. Shared by `premem plan lm-eval` and the editor's
 * *Plan Evaluation with lm-evaluation-harness…*. Every check runs before the first file is
 * written, so a refusal leaves the folder as it was; files go through the one write rule.
 */
export function writePlan(request: PlanRequest): PlanResult {
  const problem = samplingSettingsProblem(request.settings);
  if (problem) throw new RangeError(problem.message);
  if (request.backend !== 'hf' && request.device !== undefined) throw new RangeError('--device is for the Hugging Face backend (--backend hf); vLLM places the model itself');
  if (request.device !== undefined && !DEVICE.test(request.device)) throw new RangeError(`--device must be cpu, cuda, cuda:N, mps, xpu or npu, got "${request.device}"`);
  if (request.batchSize !== undefined && request.batchSize !== 'auto' && !(Number.isSafeInteger(request.batchSize) && request.batchSize >= 1))
    throw new RangeError(`--batch-size must be a whole number >= 1 or auto, got "${String(request.batchSize)}"`);
  const modelArgs = parseModelArgs(request.modelArgs);
  if (modelArgs.some(([k]) => k === 'pretrained')) throw new RangeError('--model-args: pretrained is set by the plan, to each checkpoint in turn');
  const target = request.settings.templates.target;
  if (/^(\[|\{answer\})/.test(target) && /(\]|\{answer\})$/.test(target))
    throw new RangeError('--target-template: a target that can render as "[…]" is read by the harness as a Python list (ast.literal_eval); add text before or after it');

  const runDir = resolve(request.runDir);
  const layout = describeRun(runDir);
  const candidates = request.checkpoints ? request.checkpoints.map((c) => resolve(c)) : layout.checkpoints.map((c) => c.dir);
  const skipped: { dir: string; reason: string }[] = [];
  const checkpoints: string[] = [];
  for (const c of candidates) {
    if (!existsSync(c)) throw new InputError(c, 'no such checkpoint folder');
    // The harness splits --model_args on commas: a path with one would be cut.
    if (c.includes(',')) throw new InputError(c, "the path has a comma, which lm_eval's --model_args would cut there; rename or link the folder");
    const why = harnessLoadProblem(c);
    if (why === null) checkpoints.push(c);
    else if (request.strict) throw new InputError(c, `${why} (--strict refuses the plan; without it the checkpoint is skipped)`);
    else skipped.push({ dir: c, reason: why });
  }
  if (checkpoints.length === 0)
    throw new InputError(
      runDir,
      `no checkpoint the harness can load${skipped.length ? `: ${skipped.map((s) => `${basename(s.dir)} ${s.reason}`).join('; ')}` : ' (no checkpoint-<step> folders)'}`,
    );

  const trainSource = request.dataset ? resolve(request.dataset) : layout.trainDatasetFile;
  if (!trainSource) throw new InputError(runDir, 'has no training dataset premem can find (train.jsonl in the run or its sweep, or train_file in run.json); give the dataset file');
  const out = resolve(request.out);
  const limit = request.limit;
  const testSource = request.testDataset ? resolve(request.testDataset) : layout.testDatasetFile;
  const perturbationsSource = request.perturbations ? resolve(request.perturbations) : null;
  const train = readDataset(trainSource);
  if (!train.length) throw new InputError(trainSource, 'is empty');
  const test = testSource ? readDataset(testSource) : null;
  // Variants in the file's order; with a limit, those of the first N training questions.
  const perturbed = perturbationsSource
    ? readPerturbationLines(perturbationsSource)
        .filter((l) => limit === undefined || l.variant.index < limit)
        .map((l) => ({ raw: l.raw }))
    : null;

  const subsets: PlannedFile[] = [];
  const dataFile = (source: string, records: readonly { raw: string }[], name: string): string => {
    if (limit === undefined) return source;
    const path = `data/${name}_first${limit}.jsonl`;
    // The dataset's first N, as every command means "the first N questions"; variants are
    // already those of the first N training questions.
    subsets.push({ path, text: asLines(name === 'perturbed' ? records : records.slice(0, limit)) });
    return join(out, path);
  };
  const count = (n: number) => (limit === undefined ? n : Math.min(n, limit));
  const inputs: PlanInputs = {
    settings: request.settings,
    set: sampleSetName(request.settings),
    trainFile: dataFile(trainSource, train, 'train'),
    trainQuestions: count(train.length),
    testFile: testSource && test ? dataFile(testSource, test, 'test') : null,
    testQuestions: test ? count(test.length) : 0,
    perturbationsFile: perturbationsSource && perturbed ? dataFile(perturbationsSource, perturbed, 'perturbed') : null,
    perturbedQuestions: perturbed ? perturbed.length : 0,
    sampleReference: train[0]!.answer,
    checkpoints,
    backend: request.backend,
    tensorParallel: request.tensorParallel,
    dataParallel: request.dataParallel,
    device: request.device ?? null,
    batchSize: request.batchSize ?? 'auto',
    modelArgs,
    planDir: out,
  };
  const files = [...subsets, ...planFiles(inputs)];

  // The plan's own files are known by their first line; its data subsets by the plan's
  // checkpoints.sh beside them naming them.
  const ownText = startsWithMark(PLAN_MARK);
  const ownData = (path: string) => ownText(join(out, 'checkpoints.sh')) && existsSync(path);
  const protectedPaths = [trainSource, testSource, perturbationsSource].filter((p): p is string => p !== null).map((p) => ({ path: p, what: 'a dataset this plan reads' }));
  const writes = files.map((f) => ({
    path: join(out, f.path),
    text: f.text,
    writer: 'premem plan lm-eval',
    isOwn: f.path.startsWith('data/') ? ownData : ownText,
    force: request.force ?? false,
    protectedPaths,
    makeParents: true,
    mode: f.executable ? 0o755 : 0o644,
  }));
  for (const w of writes) checkOwnedWrite(w);
  for (const w of writes) writeOwnedFile(w);
  return { inputs, files: writes.map((w) => w.path), tasks: plannedTasks(inputs).map((t) => t.name), skipped };
}
