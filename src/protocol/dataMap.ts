/**
 * Messages of the data map panel. The host holds which run the panel shows; the webview names
 * only dataset indices of that run's examples (checked on the host) and a note.
 */
import { empty, integer, integers, object, text, type ParamValidators } from './rpc';
import type { ThresholdInForce } from './dashboard';

export type { ThresholdInForce };

export const DATA_MAP_VIEW_TYPE = 'premem.dataMap';

/** Every analysed example, in dataset order; NaN marks an unknown value (never memorized: step NaN). */
export interface DataMapColumns {
  readonly index: Float64Array;
  readonly confidence: Float64Array;
  readonly variability: Float64Array;
  /** At the run's last checkpoint. */
  readonly preMemorizationAccuracy: Float64Array;
  readonly memorizationStep: Float64Array;
  /** Its group of similar questions; 0 when alone or without text. */
  readonly group: Int32Array;
  /** Its region, as a position in REGION_NAMES; UNKNOWN_REGION where confidence or variability is unknown. */
  readonly region: Uint8Array;
}

/** The cartography regions in the order `region` codes them (core/cartography's REGIONS). */
export const REGION_NAMES = ['easy-to-learn', 'ambiguous', 'hard-to-learn'] as const;
export const UNKNOWN_REGION = 255;

export interface RegionStats {
  readonly region: (typeof REGION_NAMES)[number];
  readonly examples: number;
  readonly memorized: number;
  /** numpy's mean of the region's known final pre-memorization accuracies. */
  readonly preMemorizationAccuracy: number | null;
}

export interface GroupInfo {
  readonly id: number;
  /** Its commonest words. */
  readonly label: string;
  readonly size: number;
}

export interface DataMapView {
  readonly runPath: string;
  readonly runName: string;
  readonly checkpoints: number;
  readonly threshold: ThresholdInForce;
  /** How memorization is decided, in words (the perplexity threshold, or the text criterion when that is in use). */
  readonly criterion: string;
  readonly columns: DataMapColumns;
  /** Null when the run has no question texts to group. */
  readonly groups: { readonly method: string; readonly minSimilarity: number; readonly groups: readonly GroupInfo[] } | null;
  readonly regionCuts: { readonly variability: number; readonly confidence: number };
  /** Every region's figures over the whole run. */
  readonly regions: readonly RegionStats[];
  /** Dataset indices flagged in this run, with their notes. */
  readonly flags: readonly { readonly index: number; readonly note: string }[];
}

/** A selection travels as dataset indices; the largest run we measure has 150,000. */
export const MAX_SELECTION = 2_000_000;

export interface DataMapMethods {
  readonly ready: { readonly params: Record<string, never>; readonly result: DataMapView | null };
  /** Flags every selected example with one note, all or none; the view with its new flags. */
  readonly flagSelection: { readonly params: { readonly indices: readonly number[]; readonly note: string }; readonly result: DataMapView | null };
  /** Exports the selection through the save dialog, as `premem export` writes; the file written or null when cancelled. */
  readonly exportSelection: { readonly params: { readonly indices: readonly number[] }; readonly result: string | null };
  readonly openExample: { readonly params: { readonly index: number }; readonly result: null };
}

export interface DataMapNotifications {
  readonly show: DataMapView;
}

export interface DataMapState {
  readonly runPath: string;
}

export const DATA_MAP_PARAMS: ParamValidators<DataMapMethods> = {
  ready: empty,
  flagSelection: object({ indices: integers(0, Number.MAX_SAFE_INTEGER, MAX_SELECTION), note: text(2000) }),
  exportSelection: object({ indices: integers(0, Number.MAX_SAFE_INTEGER, MAX_SELECTION) }),
  openExample: object({ index: integer(0, Number.MAX_SAFE_INTEGER) }),
};

export const parseDataMapState = object<DataMapState>({ runPath: text(4096) });
