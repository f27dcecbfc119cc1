import { answerFormOf } from '../core/grading';
import type { ScoreTemplates } from '../score/templates';
import { formatModelArgs, mergeModelArgs, type ModelArgs } from './modelArgs';
import { jinjaTemplate, shellQuote, yamlFloat, yamlInt, yamlString } from './quoting';

/**
 * What `premem plan lm-eval` writes: a task directory for lm-evaluation-harness (`--include_path`)
 * and the commands that run it on every checkpoint, so that the harness (on vLLM, or Hugging Face
 * transformers) collects exactly what Premem Lens reads back:
 *
 * - `premem_train_<set>`: k samples per training question at the chosen temperature
 *   (`repeats: k`); Premem Lens grades the raw responses itself, as `premem sample` does;
 * - `premem_test_<set>`: the same over the test split, for test accuracy;
 * - `premem_train_references`: the log-likelihood of each training reference, from which the
 *   reference perplexity is computed with the checkpoint's tokenizer (the paper's memorization);
 * - `premem_perturbed_<set>`: samples on perturbed variants, when a perturbations file is given.
 *
 * Prompt and target are `premem sample`'s and `premem score`'s templates, escaped so that the
 * harness's Jinja renders them to the same literal text. Every value reaches a generated file
 * through `quoting.ts` (shell, YAML, Jinja), never by concatenation. Pure: the same inputs give
 * byte-identical files (no dates, sorted inputs). Only keys the harness documents in
 * docs/task_guide.md are used.
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

/** A task of the plan: its name, data file and how many log records a complete log has. */
export interface PlannedTask {
  readonly name: string;
  readonly dataFile: string;
  readonly records: number;
}

export interface PlanInputs {
  readonly settings: PlanSettings;
  /** The sample set's name, as premem sample names it (`samples4_temp0.8_seed0`). */
  readonly set: string;
  readonly trainFile: string;
  readonly trainQuestions: number;
  readonly testFile: string | null;
  readonly testQuestions: number;
  readonly perturbationsFile: string | null;
  readonly perturbedQuestions: number;
  /** A reference of the training set (records are `{"question", "answer"}`), to choose the harness's own answer filter: GSM8K `####` or MATH `\boxed{}`. */
  readonly sampleReference: string;
  /** Absolute checkpoint folders, in step order. */
  readonly checkpoints: readonly string[];
  readonly backend: 'vllm' | 'hf';
  readonly tensorParallel: number;
  readonly dataParallel: number;
  /** The harness's `--device` (Hugging Face backend), or null for its default. */
  readonly device: string | null;
  /** `--batch_size`: a whole number, or `auto` (the harness finds the largest that fits). */
  readonly batchSize: number | 'auto';
  /** The user's `--model_args`, merged by key over the plan's own. */
  readonly modelArgs: ModelArgs;
  /** The plan folder (absolute): `tasks/` for `--include_path` and the scripts. */
  readonly planDir: string;
}

export interface PlannedFile {
  /** Relative to the output folder. */
  readonly path: string;
  readonly text: string;
  readonly executable?: boolean;
}

/** The first line of every text file a plan writes; how a later plan knows the file is its own. */
export const PLAN_MARK = 'Written by premem plan lm-eval';

const HEADER = `# ${PLAN_MARK}`;

function generationTask(name: string, dataFile: string, split: string, inputs: PlanInputs, math: boolean): string {
  const s = inputs.settings;
  const sampling =
    s.temperature > 0 ? [`  do_sample: true`, `  temperature: ${yamlFloat(s.temperature)}`, `  top_p: ${yamlFloat(s.topP)}`] : [`  do_sample: false`, `  temperature: 0.0`];
  const filter = math
    ? [`  - name: "take-first"`, `    filter:`, `      - function: "take_first"`]
    : [`  - name: "strict-match"`, `    filter:`, `      - function: "regex"`, `        regex_pattern: ${yamlString('#### (\\-?[0-9\\.\\,]+)')}`, `      - function: "take_first"`];
  return [
    `${HEADER}: k samples per question, graded by Premem Lens when it reads the log.`,
    `task: ${name}`,
    `dataset_path: json`,
    `dataset_kwargs:`,
    `  data_files:`,
    `    ${split}: ${yamlString(dataFile)}`,
    `test_split: ${split}`,
    `output_type: generate_until`,
    `num_fewshot: 0`,
    `doc_to_text: ${yamlString(jinjaTemplate(s.templates.prompt, ['question']))}`,
    `doc_to_target: "{{answer}}"`,
    `repeats: ${yamlInt(s.samples)}`,
    `generation_kwargs:`,
    `  until:`,
    ...s.stop.map((x) => `    - ${yamlString(x)}`),
    ...sampling,
    `  max_gen_toks: ${yamlInt(s.maxNewTokens)}`,
    `filter_list:`,
    ...filter,
    `metric_list:`,
    `  - metric: exact_match`,
    `    aggregation: mean`,
    `    higher_is_better: true`,
    `    ignore_case: true`,
    `    regexes_to_ignore:`,
    `      - ","`,
    `      - ${yamlString('\\$')}`,
    `      - "(?s).*#### "`,
    `      - ${yamlString('\\.$')}`,
    `metadata:`,
    `  version: 1.0`,
    ``,
  ].join('\n');
}

function referencesTask(inputs: PlanInputs): string {
  // The continuation is premem score's target; no delimiter is added between it and the prompt.
  // One cheap metric (`acc`, a mean with a closed-form standard error): the harness's default
  // `perplexity` aggregate is bootstrapped and overflowed on an early checkpoint, after all the
  // sampling was done, so that no log was written. Premem Lens reads only the log-likelihoods.
  const t = inputs.settings.templates;
  return [
    `${HEADER}: the log-likelihood of each training reference (premem score's target),`,
    `# from which Premem Lens computes the reference perplexity with the checkpoint's tokenizer.json.`,
    `task: premem_train_references`,
    `dataset_path: json`,
    `dataset_kwargs:`,
    `  data_files:`,
    `    train: ${yamlString(inputs.trainFile)}`,
    `test_split: train`,
    `output_type: loglikelihood`,
    `num_fewshot: 0`,
    `doc_to_text: ${yamlString(jinjaTemplate(t.prompt, ['question']))}`,
    `doc_to_target: ${yamlString(jinjaTemplate(t.target, ['answer']))}`,
    `target_delimiter: ""`,
    `metric_list:`,
    `  - metric: acc`,
    `    aggregation: mean`,
    `    higher_is_better: true`,
    `metadata:`,
    `  version: 1.0`,
    ``,
  ].join('\n');
}

/** The tasks of a plan, in the order they run, with the records a complete log of each holds. */
export function plannedTasks(inputs: PlanInputs): PlannedTask[] {
  return [
    { name: `premem_train_${inputs.set}`, dataFile: inputs.trainFile, records: inputs.trainQuestions },
    { name: 'premem_train_references', dataFile: inputs.trainFile, records: inputs.trainQuestions },
    ...(inputs.testFile ? [{ name: `premem_test_${inputs.set}`, dataFile: inputs.testFile, records: inputs.testQuestions }] : []),
    ...(inputs.perturbationsFile ? [{ name: `premem_perturbed_${inputs.set}`, dataFile: inputs.perturbationsFile, records: inputs.perturbedQuestions }] : []),
  ];
}

/** The task names of a plan, in the order they run. */
export function planTasks(inputs: PlanInputs): string[] {
  return plannedTasks(inputs).map((t) => t.name);
}

/** The `--model_args` after `pretrained=<checkpoint>,` for each backend: the plan's, with the user's merged by key. */
export function backendModelArgs(inputs: PlanInputs): { vllm: string; hf: string } {
  const seed = yamlInt(inputs.settings.seed);
  const vllm: ModelArgs = [
    ['tensor_parallel_size', String(inputs.tensorParallel)],
    ['data_parallel_size', String(inputs.dataParallel)],
    ['dtype', 'auto'],
    ['gpu_memory_utilization', '0.9'],
    ['seed', seed],
  ];
  const hf: ModelArgs = [['dtype', 'auto']];
  return { vllm: formatModelArgs(mergeModelArgs(vllm, inputs.modelArgs)), hf: formatModelArgs(mergeModelArgs(hf, inputs.modelArgs)) };
}

/**
 * `checkpoints.sh`: the values as shell words, then functions that never re-read a value as code.
 * The harness exits 0 when it cannot write its output folder, so `evaluate` checks that every
 * task's log landed with all its records, and fails naming the checkpoint when one did not.
 */
function commonScript(inputs: PlanInputs): string {
  const tasks = plannedTasks(inputs);
  const args = backendModelArgs(inputs);
  const seed = yamlInt(inputs.settings.seed);
  const batch = shellQuote(String(inputs.batchSize));
  return [
    `${HEADER}; sourced by run_all.sh and slurm_array.sbatch.`,
    `# PREMEM_LM_EVAL_BACKEND=hf runs Hugging Face transformers instead of vLLM (or the reverse);`,
    `# PREMEM_FORCE=1 evaluates checkpoints again whose logs are already complete.`,
    `TASKS_DIR=${shellQuote(`${inputs.planDir}/tasks`)}`,
    `TASKS=${shellQuote(tasks.map((t) => t.name).join(','))}`,
    `BACKEND="\${PREMEM_LM_EVAL_BACKEND:-${inputs.backend}}"`,
    `VLLM_MODEL_ARGS=${shellQuote(args.vllm)}`,
    `HF_MODEL_ARGS=${shellQuote(args.hf)}`,
    `HF_DEVICE=(${inputs.device === null ? '' : `--device ${shellQuote(inputs.device)}`})`,
    `BATCH_SIZE=${batch}`,
    `SEED=${shellQuote(seed)}`,
    `CHECKPOINTS=(`,
    ...inputs.checkpoints.map((c) => `  ${shellQuote(c)}`),
    `)`,
    `# Each task, and the records a complete log of it holds (one per question).`,
    `LOG_TASKS=(${tasks.map((t) => shellQuote(t.name)).join(' ')})`,
    `LOG_RECORDS=(${tasks.map((t) => shellQuote(String(t.records))).join(' ')})`,
    ``,
    `# The newest log of a task under a checkpoint (the date in its name sorts), newer than $3 if given.`,
    `newest_log() {`,
    `  local newer=()`,
    `  [ -n "\${3:-}" ] && newer=(-newer "$3")`,
    `  find "$1/lm_eval" -type f -name "samples_$2_*.jsonl" \${newer[@]+"\${newer[@]}"} 2>/dev/null | LC_ALL=C sort | tail -n 1`,
    `}`,
    ``,
    `# Succeeds when every task has a log under the checkpoint (newer than $2 if given) with all its records.`,
    `logs_complete() {`,
    `  local i log`,
    `  for i in "\${!LOG_TASKS[@]}"; do`,
    `    log=$(newest_log "$1" "\${LOG_TASKS[$i]}" "\${2:-}")`,
    `    [ -n "$log" ] || return 1`,
    `    [ "$(wc -l < "$log")" -eq "\${LOG_RECORDS[$i]}" ] || return 1`,
    `  done`,
    `}`,
    ``,
    `# Evaluates one checkpoint; the logs land under it, where Premem Lens reads them.`,
    `evaluate() {`,
    `  local ckpt="$1" marker status=0`,
    `  if [ "\${PREMEM_FORCE:-0}" != 1 ] && logs_complete "$ckpt"; then`,
    `    echo "premem: $ckpt already has complete logs of every task; skipped (PREMEM_FORCE=1 evaluates it again)"`,
    `    return 0`,
    `  fi`,
    `  marker=$(mktemp)`,
    `  if [ "$BACKEND" = vllm ]; then`,
    `    lm_eval --model vllm \\`,
    `      --model_args "pretrained=$ckpt,$VLLM_MODEL_ARGS" \\`,
    `      --batch_size "$BATCH_SIZE" \\`,
    `      --include_path "$TASKS_DIR" --tasks "$TASKS" \\`,
    `      --log_samples --output_path "$ckpt/lm_eval" --seed "$SEED" || status=$?`,
    `  else`,
    `    lm_eval --model hf \\`,
    `      --model_args "pretrained=$ckpt,$HF_MODEL_ARGS" \${HF_DEVICE[@]+"\${HF_DEVICE[@]}"} \\`,
    `      --batch_size "$BATCH_SIZE" \\`,
    `      --include_path "$TASKS_DIR" --tasks "$TASKS" \\`,
    `      --log_samples --output_path "$ckpt/lm_eval" --seed "$SEED" || status=$?`,
    `  fi`,
    `  if [ "$status" -ne 0 ]; then`,
    `    rm -f "$marker"`,
    `    echo "premem: lm_eval failed on $ckpt (exit $status)" >&2`,
    `    return "$status"`,
    `  fi`,
    `  if ! logs_complete "$ckpt" "$marker"; then`,
    `    rm -f "$marker"`,
    `    echo "premem: lm_eval exited 0 but $ckpt/lm_eval has no complete new log of every task (\${LOG_TASKS[*]}); is the folder writable?" >&2`,
    `    return 1`,
    `  fi`,
    `  rm -f "$marker"`,
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
  const common = shellQuote(`${inputs.planDir}/checkpoints.sh`);
  files.push(
    { path: 'checkpoints.sh', text: commonScript(inputs) },
    {
      path: 'run_all.sh',
      executable: true,
      text: [
        `#!/usr/bin/env bash`,
        `${HEADER}: every checkpoint in turn on this machine (one GPU or a node: set --tensor-parallel / --data-parallel when planning).`,
        `# bash run_all.sh --force evaluates checkpoints again whose logs are already complete.`,
        `set -euo pipefail`,
        `[ "\${1:-}" = --force ] && export PREMEM_FORCE=1`,
        `source ${common}`,
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
        `${HEADER}: one array task per checkpoint: sbatch slurm_array.sbatch (add your partition and account).`,
        `#SBATCH --job-name=premem-lm-eval`,
        `#SBATCH --array=0-${inputs.checkpoints.length - 1}`,
        `#SBATCH --nodes=1`,
        `#SBATCH --gpus=${inputs.tensorParallel * inputs.dataParallel}`,
        `#SBATCH --output=premem-lm-eval-%A_%a.out`,
        `set -euo pipefail`,
        `source ${common}`,
        `evaluate "\${CHECKPOINTS[$SLURM_ARRAY_TASK_ID]}"`,
        ``,
      ].join('\n'),
    },
  );
  return files;
}
