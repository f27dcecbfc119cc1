/**
 * Messages of the sweep table panel. The host holds which sweep the panel shows; the webview
 * names a run only among those it was sent (checked on the host), a dataset field, or a search.
 */
import type { Hyperparameters } from '../core/hyperparameters';
import { empty, integer, object, text, type ParamValidators } from './rpc';
import type { ThresholdInForce } from './dashboard';
import type { GroupInfo } from './dataMap';

export const SWEEP_TABLE_VIEW_TYPE = 'premem.sweepTable';

export interface SweepTableRun {
  readonly path: string;
  readonly name: string;
  readonly hyperparameters: Hyperparameters;
  readonly threshold: ThresholdInForce;
  readonly checkpoints: number;
}

/** A run's column group, one value per row; NaN: unknown or not analysed by the run. */
export interface SweepTableCells {
  readonly preMemorizationAccuracy: Float64Array;
  readonly memorizationStep: Float64Array;
  readonly trainAccuracy: Float64Array;
}

export interface SweepTableView {
  readonly sweepPath: string;
  readonly sweepName: string;
  readonly runs: readonly SweepTableRun[];
  /** The hyperparameters that differ between the runs (header rows and groupings). */
  readonly varying: readonly string[];
  readonly index: Float64Array;
  readonly cells: readonly SweepTableCells[];
  readonly copiedBeforeSolved: Float64Array;
  readonly meanPreMemorizationAccuracy: Float64Array;
  readonly group: Int32Array;
  readonly groups: { readonly method: string; readonly minSimilarity: number; readonly groups: readonly GroupInfo[] } | null;
  /** Fields of the dataset records a row can be filtered by (as `premem slices --by`). */
  readonly sliceFields: readonly string[];
  /** Rows flagged in at least one run of the sweep (dataset indices). */
  readonly flagged: readonly number[];
}

export interface SliceColumn {
  readonly labels: readonly string[];
  /** Per row, its label's position in `labels`; -1 when it has none. */
  readonly of: Int32Array;
}

export interface SweepTableMethods {
  readonly ready: { readonly params: Record<string, never>; readonly result: SweepTableView | null };
  readonly slice: { readonly params: { readonly field: string }; readonly result: SliceColumn };
  /** Rows (positions) whose question contains the text, ignoring case. */
  readonly search: { readonly params: { readonly text: string }; readonly result: Int32Array };
  /** Opens the example panel on that example at that run. */
  readonly open: { readonly params: { readonly runPath: string; readonly index: number }; readonly result: null };
}

export interface SweepTableNotifications {
  readonly show: SweepTableView;
}

export interface SweepTableState {
  readonly sweepPath: string;
}

export const SWEEP_TABLE_PARAMS: ParamValidators<SweepTableMethods> = {
  ready: empty,
  slice: object({ field: text(100) }),
  search: object({ text: text(500) }),
  open: object({ runPath: text(4096), index: integer(0, Number.MAX_SAFE_INTEGER) }),
};

export const parseSweepTableState = object<SweepTableState>({ sweepPath: text(4096) });
