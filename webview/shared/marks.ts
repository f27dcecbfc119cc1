import { afterPaint } from './dom';

/**
 * When a panel's first open reached each stage, in epoch milliseconds (first time only). The
 * end-to-end suite reads them from `window.prememMarks`, with the page's own navigation and
 * resource timings, and prints where a first open's time goes; nothing else uses them.
 */
export type Stage = 'script' | 'request' | 'answer' | 'painted' | 'charts' | 'complete';

declare global {
  interface Window {
    prememMarks?: Partial<Record<Stage, number>>;
    /** The data map's and the sweep table's last paint, brush and sort, in ms: read by the bench and the end-to-end suite. */
    prememTimings?: { paintMs?: number; brushMs?: number; sortMs?: number };
  }
}

const marks: Partial<Record<Stage, number>> = (window.prememMarks = {});

export function mark(stage: Stage): void {
  marks[stage] ??= performance.timeOrigin + performance.now();
}

/** Marks `stage` once what was just put into the DOM has been painted (the frame after). */
export function markPainted(stage: 'painted' | 'charts' | 'complete'): void {
  if (marks[stage] !== undefined) return;
  void afterPaint().then(() => mark(stage));
}
