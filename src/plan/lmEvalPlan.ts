import { dirname } from 'node:path';
import { answerFormOf } from '../core/grading';
import type { ScoreTemplates } from '../score/templates';

/**
 * What `premem plan lm-eval` writes: a task directory for lm-evaluation-harness (`--include_path`)
 * and the commands that run it on every checkpoint, so that the harness (on vLLM, or Hugging Face
 * as the fallback) collects exactly what Premem Lens reads back:
 *
 * - `premem_train_<set>`: k samples per training question at the chosen temperature
 *   (`repeats: k`); Premem Lens grades the raw responses itself, as `premem sample` does;
 * - `premem_test_<set>`: the same over the test split, for test accuracy;
 * - `premem_train_references`: the log-likelihood of each training reference, from which the
 *   reference perplexity is computed with the checkpoint's tokenizer (the paper's memorization);
 * - `premem_perturbed_<set>`: samples on perturbed variants, when a perturbations file is given.
 *
 * Prompt and target are `premem sample`'s and `premem score`'s templates, so the two routes give
 * comparable figures. Pure: the same inputs give byte-identical files (no dates, sorted inputs).
 * Only keys the harness documents in docs/task_guide.md are used.
 */

export interface PlanSettings {
  readonly samples: number;
  readonly temperature: number;
  readonly topP: number;
  readonly maxNewTokens: number;
  readonly seed: number;
  readonly templates: ScoreTemplates;
  readonly stop: readonly string[];
}

export interface PlanInputs {
  readonly settings: PlanSettings;
  /** The sample set's name, as premem sample names it (`samples4_temp0.8_seed0`). */
  readonly set: string;
  readonly trainFile: string;
  readonly testFile: string | null;
  readonly perturbationsFile: string | null;
  /** A reference of the training set (records are `{"question", "answer"}`), to choose the harness's own answer filter: GSM8K `####` or MATH `\boxed{}`. */
  readonly sampleReference: string;
  /** Absolute checkpoint folders, in step order. */
  readonly checkpoints: readonly string[];
  readonly backend: 'vllm' | 'hf';
  readonly tensorParallel: number;
  readonly dataParallel: number;
  /** Extra `--model_args`, appended as given (e.g. `max_model_len=4096`). */
  readonly modelArgs: string;
  /** Where the task directory sits (absolute), for `--include_path`. */
  readonly tasksDir: string;
}

export interface PlannedFile {
  /** Relative to the output folder. */
  readonly path: string;
  readonly text: string;
  readonly executable?: boolean;
}

/** A YAML scalar in double quotes: JSON's string escapes are YAML's. */
const q = (s: string): string => JSON.stringify(s);

/** The templates in the harness's Jinja: `{question}` → `{{question}}`, `{answer}` → `{{answer}}`. */
function jinja(template: string): string {
  return template.split('{question}').join('{{question}}').split('{answer}').join('{{answer}}');
}

function generationTask(name: string, dataFile: string, split: string, inputs: PlanInputs, math: boolean): string {
  const s = inputs.settings;
  const sampling = s.temperature > 0 ? [`  do_sample: true`, `  temperature: ${s.temperature}`, `  top_p: ${s.topP}`] : [`  do_sample: false`, `  temperature: 0.0`];
  const filter = math
    ? [`  - name: "take-first"`, `    filter:`, `      - function: "take_first"`]
    : [`  - name: "strict-match"`, `    filter:`, `      - function: "regex"`, `        regex_pattern: "#### (\\\\-?[0-9\\\\.\\\\,]+)"`, `      - function: "take_first"`];
  return [
    `# Written by premem plan lm-eval: k samples per question, graded by Premem Lens when it reads the log.`,
    `task: ${name}`,
    `dataset_path: json`,
    `dataset_kwargs:`,
    `  data_files:`,
    `    ${split}: ${q(dataFile)}`,
    `test_split: ${split}`,
    `output_type: generate_until`,
    `num_fewshot: 0`,
    `doc_to_text: ${q(jinja(inputs.settings.templates.prompt))}`,
    `doc_to_target: "{{answer}}"`,
    `repeats: ${s.samples}`,
    `generation_kwargs:`,
    `  until:`,
    ...s.stop.map((x) => `    - ${q(x)}`),
    ...sampling,
    `  max_gen_toks: ${s.maxNewTokens}`,
    `filter_list:`,
    ...filter,
    `metric_list:`,
    `  - metric: exact_match`,
    `    aggregation: mean`,
    `    higher_is_better: true`,
    `    ignore_case: true`,
    `    regexes_to_ignore:`,
    `      - ","`,
    `      - "\\\\$"`,
    `      - "(?s).*#### "`,
    `      - "\\\\.$"`,
    `metadata:`,
    `  version: 1.0`,
    ``,
  ].join('\n');
}

function referencesTask(inputs: PlanInputs): string {
  // The continuation is premem score's target; no delimiter is added between it and the prompt.
  const target = inputs.settings.templates.target;
  return [
    `# Written by premem plan lm-eval: the log-likelihood of each training reference (premem score's target),`,
    `# from which Premem Lens computes the reference perplexity with the checkpoint's tokenizer.json.`,
    `task: premem_train_references`,
    `dataset_path: json`,
    `dataset_kwargs:`,
    `  data_files:`,
    `    train: ${q(inputs.trainFile)}`,
    `test_split: train`,
    `output_type: loglikelihood`,
    `num_fewshot: 0`,
    `doc_to_text: ${q(jinja(inputs.settings.templates.prompt))}`,
    `doc_to_target: ${q(jinja(target))}`,
    `target_delimiter: ""`,
    `metadata:`,
    `  version: 1.0`,
    ``,
  ].join('\n');
}

/** The task names of a plan, in the order they run. */
export function planTasks(inputs: PlanInputs): string[] {
  return [
    `premem_train_${inputs.set}`,
    'premem_train_references',
    ...(inputs.testFile ? [`premem_test_${inputs.set}`] : []),
    ...(inputs.perturbationsFile ? [`premem_perturbed_${inputs.set}`] : []),
  ];
}

const shellQuote = (s: string): string => `'${s.replace(/'/g, `'\\''`)}'`;

function commonScript(inputs: PlanInputs): string {
  const tasks = planTasks(inputs).join(',');
  const extra = inputs.modelArgs ? `,${inputs.modelArgs}` : '';
  return [
    `# Written by premem plan lm-eval; sourced by run_all.sh and slurm_array.sbatch.`,
    `# PREMEM_LM_EVAL_BACKEND=hf runs Hugging Face transformers instead of vLLM.`,
    `TASKS_DIR=${shellQuote(inputs.tasksDir)}`,
    `TASKS=${shellQuote(tasks)}`,
    `BACKEND="\${PREMEM_LM_EVAL_BACKEND:-${inputs.backend}}"`,
    `CHECKPOINTS=(`,
    ...inputs.checkpoints.map((c) => `  ${shellQuote(c)}`),
    `)`,
    ``,
    `# Evaluates one checkpoint; the logs land under it, where Premem Lens reads them.`,
    `evaluate() {`,
    `  local ckpt="$1"`,
    `  if [ "$BACKEND" = vllm ]; then`,
    `    lm_eval --model vllm \\`,
    `      --model_args "pretrained=$ckpt,tensor_parallel_size=${inputs.tensorParallel},data_parallel_size=${inputs.dataParallel},dtype=auto,gpu_memory_utilization=0.9,seed=${inputs.settings.seed}${extra}" \\`,
    `      --batch_size auto \\`,
    `      --include_path "$TASKS_DIR" --tasks "$TASKS" \\`,
    `      --log_samples --output_path "$ckpt/lm_eval" --seed ${inputs.settings.seed}`,
    `  else`,
    `    lm_eval --model hf \\`,
    `      --model_args "pretrained=$ckpt,dtype=auto${extra}" \\`,
    `      --batch_size auto \\`,
    `      --include_path "$TASKS_DIR" --tasks "$TASKS" \\`,
    `      --log_samples --output_path "$ckpt/lm_eval" --seed ${inputs.settings.seed}`,
    `  fi`,
    `}`,
    ``,
  ].join('\n');
}

/** Every file of a plan, relative to the output folder. */
export function planFiles(inputs: PlanInputs): PlannedFile[] {
  const math = answerFormOf(inputs.sampleReference) === 'math';
  const files: PlannedFile[] = [
    { path: `tasks/premem_train_${inputs.set}.yaml`, text: generationTask(`premem_train_${inputs.set}`, inputs.trainFile, 'train', inputs, math) },
    { path: 'tasks/premem_train_references.yaml', text: referencesTask(inputs) },
  ];
  if (inputs.testFile) files.push({ path: `tasks/premem_test_${inputs.set}.yaml`, text: generationTask(`premem_test_${inputs.set}`, inputs.testFile, 'test', inputs, math) });
  if (inputs.perturbationsFile)
    files.push({ path: `tasks/premem_perturbed_${inputs.set}.yaml`, text: generationTask(`premem_perturbed_${inputs.set}`, inputs.perturbationsFile, 'train', inputs, false) });
  files.push(
    { path: 'checkpoints.sh', text: commonScript(inputs) },
    {
      path: 'run_all.sh',
      executable: true,
      text: [
        `#!/usr/bin/env bash`,
        `# Every checkpoint in turn on this machine (one GPU or a node: set --tensor-parallel / --data-parallel when planning).`,
        `set -euo pipefail`,
        `source ${shellQuote(`${dirname(inputs.tasksDir)}/checkpoints.sh`)}`,
        `for ckpt in "\${CHECKPOINTS[@]}"; do`,
        `  evaluate "$ckpt"`,
        `done`,
        ``,
      ].join('\n'),
    },
    {
      path: 'slurm_array.sbatch',
      executable: true,
      text: [
        `#!/usr/bin/env bash`,
        `# One array task per checkpoint: sbatch slurm_array.sbatch (add your partition and account).`,
        `#SBATCH --job-name=premem-lm-eval`,
        `#SBATCH --array=0-${inputs.checkpoints.length - 1}`,
        `#SBATCH --nodes=1`,
        `#SBATCH --gpus=${inputs.tensorParallel * inputs.dataParallel}`,
        `#SBATCH --output=premem-lm-eval-%A_%a.out`,
        `set -euo pipefail`,
        `source ${shellQuote(`${dirname(inputs.tasksDir)}/checkpoints.sh`)}`,
        `evaluate "\${CHECKPOINTS[$SLURM_ARRAY_TASK_ID]}"`,
        ``,
      ].join('\n'),
    },
  );
  return files;
}
