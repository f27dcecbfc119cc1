import { readFileSync } from 'node:fs';
import { fromRunName, type Hyperparameter, type Hyperparameters } from '../core/hyperparameters';
import { InputError } from './errors';

export type { Hyperparameters };

/**
 * A run's hyperparameters for the sweep table's headers and groups, from what a training
 * pipeline leaves behind, first source first:
 *   1. `run.json`: its top-level numbers, strings and booleans (paths and links left out);
 *   2. the Trainer's `trainer_state.json` at the last checkpoint: `num_train_epochs`,
 *      `train_batch_size`, `max_steps`, `save_steps`, `eval_steps`, `logging_steps`;
 *   3. the run's name, as the authors name theirs: `<E>epochs_<full|half|quarter>_lr<LR>_bs<BS>`.
 * The Trainer's `training_args.bin` is a Python pickle: reading it means unpickling, which runs
 * code named by the file, and a tool that reads shared disks does not do that.
 */
/** run.json keys that say where things are, not how the run was trained. */
const NOT_HYPERPARAMETERS = new Set(['train_file', 'test_file', 'sampled_from', 'run_name', 'name', 'data_version', 'prompt_template', 'target_template']);

const TRAINER_KEYS = ['num_train_epochs', 'train_batch_size', 'max_steps', 'save_steps', 'eval_steps', 'logging_steps'] as const;

export function readHyperparameters(name: string, runJson: Record<string, unknown> | null, trainerStateFile: string | null): Hyperparameters {
  const out: Record<string, Hyperparameter> = {};
  for (const [key, value] of Object.entries(fromRunName(name))) out[key] = { value, source: 'run name' };
  if (trainerStateFile !== null) {
    let state: unknown;
    try {
      state = JSON.parse(readFileSync(trainerStateFile, 'utf8'));
    } catch (e) {
      throw new InputError(trainerStateFile, `malformed trainer_state.json: ${(e as Error).message}`);
    }
    const s = (state ?? {}) as Record<string, unknown>;
    for (const key of TRAINER_KEYS) {
      const v = s[key];
      if (typeof v === 'number' && Number.isFinite(v)) out[key === 'train_batch_size' ? 'batch_size' : key] = { value: v, source: 'trainer_state.json' };
    }
  }
  for (const [key, v] of Object.entries(runJson ?? {})) {
    if (NOT_HYPERPARAMETERS.has(key)) continue;
    if ((typeof v === 'number' && Number.isFinite(v)) || typeof v === 'boolean' || (typeof v === 'string' && v.length <= 200)) {
      // A learning rate written as a string ("5e-05") is a number.
      const value = typeof v === 'string' && v.trim() !== '' && Number.isFinite(Number(v)) ? Number(v) : v;
      out[key === 'per_device_train_batch_size' ? 'batch_size' : key === 'epochs' ? 'num_train_epochs' : key] = { value, source: 'run.json' };
    }
  }
  return out;
}
