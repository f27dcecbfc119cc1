import type { ScoreTemplates } from './referenceScorer';
import type { CheckpointScored, ScoreProgress } from './scoreRun';
import type { PartSampled, SampleProgress, SampleRunOptions } from './sampleRun';
import type { SimilarOptions } from './similar';

/** What the editor hands the scoring process: score a run's references… */
export interface ScoreRequest {
  readonly kind: 'score';
  readonly db: string;
  readonly runPath: string;
  readonly batch: number;
  readonly templates: ScoreTemplates;
}

/** …or find the candidates nearest to some seed questions. */
export interface SimilarRequest {
  readonly kind: 'similar';
  readonly options: SimilarOptions;
  readonly seedIndices: readonly number[];
  readonly seedQuestions: readonly string[];
}

/** …or sample a run's checkpoints (premem sample). */
export interface SampleRequest {
  readonly kind: 'sample';
  readonly db: string;
  readonly runPath: string;
  readonly options: SampleRunOptions;
}

export type ScoreMessage =
  | ({ readonly type: 'sample-progress' } & SampleProgress)
  | ({ readonly type: 'sample-part' } & PartSampled)
  | ({ readonly type: 'progress' } & ScoreProgress)
  | ({ readonly type: 'checkpoint' } & CheckpointScored)
  | { readonly type: 'done'; readonly checkpoints: number; readonly cancelled: boolean }
  | { readonly type: 'similar'; readonly count: number; readonly seeds: number; readonly pool: number }
  | { readonly type: 'failed'; readonly message: string };
