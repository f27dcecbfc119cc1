import { readFileSync } from 'node:fs';
import { basename, dirname } from 'node:path';
import { InputError } from '../errors';
import type { LayoutReader } from './layout';

/**
 * The Hugging Face Trainer's `trainer_state.json`: the checkpoint's epoch, its global step
 * (checked against the folder's) and last logged training loss, beside whichever layout holds
 * its samples.
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

function readTrainerState(file: string): { epoch: number | null; trainLoss: number | null; notes: string[] } {
  let state: unknown;
  try {
    state = JSON.parse(readFileSync(file, 'utf8'));
  } catch (e) {
    throw new InputError(file, `malformed trainer_state.json: ${(e as Error).message}`);
  }
  const s = (state ?? {}) as { epoch?: unknown; global_step?: unknown; log_history?: unknown };
  const epoch = typeof s.epoch === 'number' ? s.epoch : null;
  // The Trainer names the folder after global_step; when they disagree (a renamed or copied
  // folder), the folder's step orders the run and the note says what the state says.
  const folderStep = /^checkpoint-(\d+)$/.exec(basename(dirname(file)))?.[1];
  const notes =
    typeof s.global_step === 'number' && folderStep !== undefined && s.global_step !== Number(folderStep)
      ? [`trainer_state.json says global_step ${s.global_step}, the folder says ${folderStep}: ordered by the folder`]
      : [];
  let trainLoss: number | null = null;
  if (Array.isArray(s.log_history)) {
    for (const entry of s.log_history as unknown[]) {
      const loss = (entry as { loss?: unknown } | null)?.loss;
      if (typeof loss === 'number') trainLoss = loss;
    }
  }
  return { epoch, trainLoss, notes };
}
