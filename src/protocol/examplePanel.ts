/**
 * Messages of the example panel. The webview only ever names a checkpoint step or a sample
 * number of the example the host shows in it; the host holds which run and example that is,
 * so a webview cannot ask for any other data.
 */
import { empty, integer, object, oneOf, text, type ParamValidators } from './rpc';

export const EXAMPLE_VIEW_TYPE = 'premem.example';

export type StepKind = 'copied' | 'reworded' | 'own' | 'skipped';
export type SampleOutcome = 'correct' | 'wrong' | 'no-answer';
export type ExampleCategory = 'solved-before-memorized' | 'memorized-before-solved' | 'memorized-at-first-checkpoint' | 'never-memorized';

export interface TimelinePoint {
  readonly step: number;
  readonly epoch: number | null;
  /** Share of this checkpoint's samples that are correct. */
  readonly accuracy: number | null;
  /** Reference perplexity; null when unknown (NaN or infinite). */
  readonly perplexity: number | null;
  /** Mean copy rate of the samples; null when the checkpoint kept no texts. */
  readonly copyRate: number | null;
  readonly memorized: boolean;
  readonly preMemorizationAccuracy: number | null;
}

export interface ExampleDetail {
  readonly runPath: string;
  readonly runName: string;
  readonly index: number;
  readonly question: string | null;
  readonly reference: {
    readonly text: string | null;
    readonly steps: readonly string[];
    readonly finalAnswer: string | null;
  };
  readonly preMemorizationAccuracy: number | null;
  readonly memorizationStep: number | null;
  readonly category: ExampleCategory;
  /** How memorization is decided, in words, e.g. "reference perplexity below 1.1055 (ln ln −2.3)". */
  readonly criterion: string;
  readonly timeline: readonly TimelinePoint[];
  readonly hasTexts: boolean;
  readonly flag: { readonly note: string } | null;
  /** Place in the examples view's order and filter; null when the example is not in it. */
  readonly order: { readonly rank: number; readonly of: number; readonly label: string } | null;
  /** The same example in every run of the sweep (this one included), for "In other runs". */
  readonly otherRuns: readonly OtherRun[];
  /** Its perturbed variants with their samples at the latest checkpoint that has some; null when none. */
  readonly perturbations: Perturbations | null;
  /** Where its dataset record has a difficulty level (MATH's `level`): its level's examples at the last checkpoint, to read its figure against. */
  readonly level: LevelContext | null;
}

export interface LevelContext {
  readonly field: string;
  readonly label: string;
  readonly examples: number;
  /** The level's mean pre-memorization accuracy at the last checkpoint. */
  readonly preMemorizationAccuracy: number | null;
  /** How many of the level's other examples have a lower pre-memorization accuracy, and how many a higher. */
  readonly below: number;
  readonly above: number;
}

export interface Perturbations {
  readonly step: number;
  readonly sampleSet: string;
  /** Share of correct samples over all variants, and the example's own train accuracy at that step. */
  readonly accuracy: number | null;
  readonly originalAccuracy: number | null;
  readonly variants: readonly PerturbedVariant[];
}

export interface PerturbedVariant {
  readonly id: string;
  readonly kind: string;
  readonly preservesAnswer: boolean;
  readonly question: string;
  readonly finalAnswer: string | null;
  readonly changes: readonly { readonly from: string; readonly to: string }[];
  readonly samples: readonly { readonly outcome: SampleOutcome; readonly text: string | null }[];
}

export interface OtherRun {
  readonly runPath: string;
  readonly runName: string;
  readonly current: boolean;
  readonly memorizationStep: number | null;
  readonly memorizationEpoch: number | null;
  readonly preMemorizationAccuracy: number | null;
  readonly trainAccuracy: number | null;
  readonly category: ExampleCategory;
}

export interface DiffSegment {
  readonly text: string;
  readonly change: 'same' | 'added' | 'removed';
}

export interface AlignedRow {
  readonly kind: StepKind;
  readonly sample: string | null;
  readonly reference: string | null;
  readonly similarity: number | null;
  /** Word differences from reference to sample, for paired steps that are not identical. */
  readonly diff: readonly DiffSegment[] | null;
}

export interface SampleView {
  readonly sample: number;
  readonly outcome: SampleOutcome;
  readonly text: string | null;
  readonly finalAnswer: string | null;
  readonly copyRate: number | null;
  readonly rows: readonly AlignedRow[];
}

export interface CheckpointSamples {
  readonly step: number;
  readonly sampleSet: string;
  readonly hasTexts: boolean;
  readonly samples: readonly SampleView[];
}

export interface ExampleMethods {
  /** The webview has loaded: send what to show. */
  readonly ready: { readonly params: Record<string, never>; readonly result: ExampleDetail | null };
  readonly checkpoint: { readonly params: { readonly step: number }; readonly result: CheckpointSamples };
  readonly flag: { readonly params: { readonly note: string }; readonly result: ExampleDetail };
  readonly unflag: { readonly params: Record<string, never>; readonly result: ExampleDetail };
  /** Moves to the previous or next example in the examples view's order; null at either end. */
  readonly navigate: { readonly params: { readonly direction: 'previous' | 'next' }; readonly result: ExampleDetail | null };
  readonly openDiff: { readonly params: { readonly step: number; readonly sample: number }; readonly result: null };
  /** Shows the same example in another run of the sweep (one of `otherRuns`). */
  readonly switchRun: { readonly params: { readonly runPath: string }; readonly result: ExampleDetail };
  /** Runs *Attach Dataset File…* for this example's run (it has no question texts). */
  readonly attachDataset: { readonly params: Record<string, never>; readonly result: null };
}

export interface ExampleNotifications {
  /** The host shows another example, or the figures of this one changed (settings, re-index). */
  readonly show: ExampleDetail;
}

/** Persisted by the webview so a reload restores the same example and checkpoint. */
export interface ExamplePanelState {
  readonly runPath: string;
  readonly index: number;
  readonly step: number | null;
}

const MAX_STEP = 2 ** 40;

export const EXAMPLE_PARAMS: ParamValidators<ExampleMethods> = {
  ready: empty,
  checkpoint: object({ step: integer(0, MAX_STEP) }),
  flag: object({ note: text(2000) }),
  unflag: empty,
  navigate: object({ direction: oneOf('previous', 'next') }),
  openDiff: object({ step: integer(0, MAX_STEP), sample: integer(0, 100_000) }),
  switchRun: object({ runPath: text(4096) }),
  attachDataset: empty,
};

export const parseExampleState = object<ExamplePanelState>({
  runPath: text(4096),
  index: integer(0, Number.MAX_SAFE_INTEGER),
  step: (v, where) => (v === null || v === undefined ? null : integer(0, MAX_STEP)(v, where)),
});
