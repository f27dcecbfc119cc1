import { existsSync, readdirSync } from 'node:fs';
import * as path from 'node:path';
import * as vscode from 'vscode';
import { impliedStop, sampleSetName, samplingSettingsProblem, type SampleRunOptions, type SampleSplit, type SettingProblem } from '../score/sampleSettings';
import { AUTHORS_TEMPLATES } from '../score/templates';
import type { StoredRun } from '../store/indexStore';

/**
 * What *Sample Checkpoints with ONNX…* asks before it starts: which questions, which checkpoints
 * and where the samples go; the sampling settings come from `premem.sample.*`. The same options
 * as `premem sample`, which the scoring process runs.
 */
/** The `premem.sample.*` setting behind each sampling setting, to name it in a message. */
const SAMPLE_SETTING: Record<SettingProblem['setting'], string> = {
  samples: 'samplesPerQuestion',
  temperature: 'temperature',
  topP: 'topP',
  maxNewTokens: 'maxNewTokens',
  seed: 'seed',
};

/**
 * `premem.sample.*` as sampling settings, checked as `premem sample` checks its options: settings
 * can come from a workspace's `.vscode/settings.json`, so nothing reaches the sampler or a plan
 * unchecked. Shows the error, naming the setting, and returns undefined when one is out of range.
 */
export function configuredSampling(): Pick<SampleRunOptions, 'samples' | 'temperature' | 'topP' | 'maxNewTokens' | 'seed'> | undefined {
  const config = vscode.workspace.getConfiguration('premem.sample');
  const settings = {
    samples: config.get<number>('samplesPerQuestion', 4),
    temperature: config.get<number>('temperature', 0.8),
    topP: config.get<number>('topP', 1),
    maxNewTokens: config.get<number>('maxNewTokens', 200),
    seed: config.get<number>('seed', 0),
  };
  const problem = samplingSettingsProblem(settings);
  if (!problem) return settings;
  void vscode.window.showErrorMessage(`Premem: the setting premem.sample.${SAMPLE_SETTING[problem.setting]} is not usable: ${problem.message}.`);
  return undefined;
}

export async function askSampling(run: StoredRun): Promise<{ options: SampleRunOptions; set: string } | undefined> {
  const config = vscode.workspace.getConfiguration('premem.sample');
  const settings = configuredSampling();
  if (!settings) return undefined;
  const set = sampleSetName(settings);
  const limit = config.get<number>('limit', 0);

  // Perturbation files beside the run or its sweep are offered directly.
  const nearby = [path.join(run.path, 'perturbations.jsonl'), path.join(run.sweepPath, 'perturbations.jsonl')].filter((f, i, all) => all.indexOf(f) === i && existsSync(f));
  type What = vscode.QuickPickItem & { split?: SampleSplit; perturbations?: string; askFile?: boolean };
  const whats: What[] = [
    { label: 'Training questions', description: 'pre-memorization accuracy needs these', split: 'train' },
    { label: 'Training and test questions', description: 'test accuracy too, for the fit', split: 'both' },
    ...nearby.map((f) => ({ label: `Perturbed variants in ${path.basename(f)}`, description: path.dirname(f), perturbations: f })),
    { label: 'Perturbed variants from a file…', description: 'premem perturb writes them', askFile: true },
  ];
  const what = await vscode.window.showQuickPick(whats, { placeHolder: `Sample what (${set}${limit ? `, first ${limit} questions` : ''}; settings: premem.sample.*)?` });
  if (!what) return undefined;
  let perturbations = what.perturbations;
  if (what.askFile) {
    const picked = await vscode.window.showOpenDialog({
      canSelectFiles: true,
      canSelectMany: false,
      filters: { 'Perturbed variants': ['jsonl'] },
      openLabel: 'Sample These Variants',
    });
    if (!picked?.[0]) return undefined;
    perturbations = picked[0].fsPath;
  }

  const steps = await pickCheckpoints(run);
  if (!steps) return undefined;

  // A run folder of samples inside the sweep would be a second run of the same training in every
  // cross-run figure (the fit, "copied in N runs"): a separate one goes beside the sweep instead.
  const outside = path.join(path.dirname(run.sweepPath), `${path.basename(run.sweepPath)}-samples`, `${run.name}-${set}`);
  type Where = vscode.QuickPickItem & { out: string | null; ask?: boolean };
  const where = await vscode.window.showQuickPick<Where>(
    [
      {
        label: 'Into the run’s checkpoint folders',
        description: 'recommended',
        detail: `Writes ${perturbations ? 'perturbed' : 'train'}_samples_${set}.jsonl beside each model; the run then counts them as its own.`,
        out: null,
      },
      {
        label: `Into a new run folder outside the sweep: ${path.basename(path.dirname(outside))}/${path.basename(outside)}`,
        description: path.dirname(path.dirname(outside)),
        detail: 'Leaves the run untouched; a sweep of its own, so the sweep’s figures still count this training run once.',
        out: outside,
      },
      { label: 'Into a folder…', detail: 'A run folder of its own, wherever you choose (outside the sweep, to keep its figures as they are).', out: null, ask: true },
    ],
    { placeHolder: 'Where do the samples go?' },
  );
  if (!where) return undefined;
  let out = where.out;
  if (where.ask) {
    const picked = await vscode.window.showOpenDialog({ canSelectFolders: true, canSelectFiles: false, canSelectMany: false, openLabel: 'Write Samples Here' });
    if (!picked?.[0]) return undefined;
    out = picked[0].fsPath;
    // Inside the sweep, a folder of samples would be a second run of the same training in every
    // cross-run figure: refused, with the way that keeps the figures right.
    const inSweep = path.relative(run.sweepPath, out);
    if (run.sweepPath !== run.path && !inSweep.startsWith('..') && !path.isAbsolute(inSweep)) {
      void vscode.window.showErrorMessage(
        `Premem: ${out} is inside the sweep ${run.sweepPath}: its samples would count ${run.name} twice in the sweep's figures. Sample into the run's checkpoint folders, or into a folder outside the sweep.`,
      );
      return undefined;
    }
  }
  return {
    set,
    options: {
      ...settings,
      split: what.split ?? 'train',
      perturbations,
      limit: limit > 0 ? limit : undefined,
      steps,
      stop: impliedStop(AUTHORS_TEMPLATES),
      templates: AUTHORS_TEMPLATES,
      batch: config.get<number>('batch', 16),
      out,
    },
  };
}

/** The checkpoints with an ONNX model, all picked to start with. */
async function pickCheckpoints(run: StoredRun): Promise<number[] | undefined> {
  // Which checkpoints have a model is a question about files the index does not hold.
  const withModel = readdirSync(run.path, { withFileTypes: true })
    .filter((d) => d.isDirectory() && /^checkpoint-\d+$/.test(d.name))
    .filter((d) => existsSync(path.join(run.path, d.name, 'model.onnx')) || existsSync(path.join(run.path, d.name, 'onnx', 'model.onnx')))
    .map((d) => Number(d.name.slice('checkpoint-'.length)))
    .sort((a, b) => a - b);
  if (!withModel.length) {
    void vscode.window.showWarningMessage(`Premem: no checkpoint of ${run.name} has an ONNX model (checkpoint-<step>/model.onnx or onnx/model.onnx, with tokenizer.json).`);
    return undefined;
  }
  const picked = await vscode.window.showQuickPick(
    withModel.map((step) => ({ label: `checkpoint-${step}`, step, picked: true })),
    { canPickMany: true, placeHolder: 'Sample which checkpoints?' },
  );
  return picked && picked.length ? picked.map((p) => p.step) : undefined;
}
