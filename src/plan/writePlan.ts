import { chmodSync, existsSync, mkdirSync, writeFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { readDataset } from '../ingest/dataset';
import { InputError } from '../ingest/errors';
import { describeRun } from '../ingest/runLayout';
import { sampleSetName } from '../score/sampleSettings';
import { planFiles, planTasks, type PlanInputs, type PlanSettings } from './lmEvalPlan';

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
  readonly modelArgs: string;
}

/**
 * Plans a run's evaluation with lm-evaluation-harness and writes the files: the run's dataset as
 * Premem Lens finds it unless one is given. Shared by `premem plan lm-eval` and the editor's
 * *Plan Evaluation with lm-evaluation-harness…*.
 */
export function writePlan(request: PlanRequest): { inputs: PlanInputs; files: string[]; tasks: string[] } {
  const runDir = resolve(request.runDir);
  const layout = describeRun(runDir);
  const checkpoints = request.checkpoints ?? layout.checkpoints.map((c) => c.dir);
  for (const c of checkpoints) if (!existsSync(c)) throw new InputError(c, 'no such checkpoint folder');
  const trainFile = request.dataset ? resolve(request.dataset) : layout.trainDatasetFile;
  if (!trainFile) throw new InputError(runDir, 'has no training dataset premem can find: pass --dataset train.jsonl');
  const testFile = request.testDataset ? resolve(request.testDataset) : layout.testDatasetFile;
  const records = readDataset(trainFile);
  if (!records.length) throw new InputError(trainFile, 'is empty');
  const out = resolve(request.out);
  const inputs: PlanInputs = {
    settings: request.settings,
    set: sampleSetName(request.settings),
    trainFile,
    testFile,
    perturbationsFile: request.perturbations ? resolve(request.perturbations) : null,
    sampleReference: records[0]!.answer,
    checkpoints,
    backend: request.backend,
    tensorParallel: request.tensorParallel,
    dataParallel: request.dataParallel,
    modelArgs: request.modelArgs,
    tasksDir: join(out, 'tasks'),
  };
  const files = planFiles(inputs);
  for (const f of files) {
    const path = join(out, f.path);
    mkdirSync(dirname(path), { recursive: true });
    writeFileSync(path, f.text);
    if (f.executable) chmodSync(path, 0o755);
  }
  return { inputs, files: files.map((f) => join(out, f.path)), tasks: planTasks(inputs) };
}
