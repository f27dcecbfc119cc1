import type { ScoreTemplates } from './referenceScorer';
import type { CheckpointScored, ScoreProgress } from './scoreRun';

/** What the editor hands the scoring worker. */
export interface ScoreRequest {
  readonly db: string;
  readonly runPath: string;
  readonly batch: number;
  readonly templates: ScoreTemplates;
}

export type ScoreMessage =
  | ({ readonly type: 'progress' } & ScoreProgress)
  | ({ readonly type: 'checkpoint' } & CheckpointScored)
  | { readonly type: 'done'; readonly checkpoints: number; readonly cancelled: boolean }
  | { readonly type: 'failed'; readonly message: string };
