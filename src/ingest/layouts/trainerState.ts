import { readFileSync } from 'node:fs';
import { InputError } from '../errors';
import type { LayoutReader } from './layout';

/**
 * The Hugging Face Trainer's `trainer_state.json`: the checkpoint's epoch and last logged
 * training loss, beside whichever layout holds its samples.
 */
export const trainerStateLayout: LayoutReader = {
  name: 'trainer-state',
  files: /^trainer_state\.json$/,
  sampleSplit: () => null,
  extent: () => null,
  readCheckpoint(files) {
    const file = files[0];
    return file === undefined ? {} : readTrainerState(file);
  },
};

function readTrainerState(file: string): { epoch: number | null; trainLoss: number | null } {
  let state: unknown;
  try {
    state = JSON.parse(readFileSync(file, 'utf8'));
  } catch (e) {
    throw new InputError(file, `malformed trainer_state.json: ${(e as Error).message}`);
  }
  const s = (state ?? {}) as { epoch?: unknown; log_history?: unknown };
  const epoch = typeof s.epoch === 'number' ? s.epoch : null;
  let trainLoss: number | null = null;
  if (Array.isArray(s.log_history)) {
    for (const entry of s.log_history as unknown[]) {
      const loss = (entry as { loss?: unknown } | null)?.loss;
      if (typeof loss === 'number') trainLoss = loss;
    }
  }
  return { epoch, trainLoss };
}
