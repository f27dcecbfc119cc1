import type { IndexOutcome } from './indexer';

/** What the host hands the indexing worker. */
export interface WorkerRequest {
  readonly db: string;
  readonly folders: readonly string[];
  /** Runs (or sweeps) the user closed: left out even when a folder above them is indexed. */
  readonly exclude?: readonly string[];
}

export type WorkerMessage =
  | { readonly type: 'progress'; readonly run: string; readonly checkpoint: number; readonly of: number }
  | { readonly type: 'indexed'; readonly outcome: IndexOutcome }
  | { readonly type: 'failed'; readonly path: string; readonly message: string; readonly file: string | null; readonly notEvaluated: readonly number[] | null }
  | { readonly type: 'done'; readonly cancelled: boolean }
  | { readonly type: 'crashed'; readonly message: string };
