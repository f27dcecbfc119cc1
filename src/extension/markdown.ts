import * as vscode from 'vscode';
import { fmt } from '../cli/format';
import type { ExampleFigures } from '../queries/runAnalysis';
import type { AnalysedCheckpoint } from '../queries/runAnalysis';

/** Figures in hovers and tooltips: four decimals, "–" when unknown, like the CLI. */
export const num = (x: number | null | undefined, digits = 4): string => (x === null || x === undefined || !Number.isFinite(x) ? '–' : fmt(x, digits));
export const pct = (x: number | null | undefined): string => (x === null || x === undefined || !Number.isFinite(x) ? '–' : `${(100 * x).toFixed(1)}%`);

/** " ± h", half the width of a prediction interval, or nothing when there is none. */
export const plusMinus = (p: { readonly low: number; readonly high: number } | null | undefined, digits = 4): string =>
  p ? ` ± ${num((p.high - p.low) / 2, digits)}` : '';

export const CATEGORY_LABEL: Record<ExampleFigures['category'], string> = {
  'solved-before-memorized': 'solved before memorized',
  'memorized-before-solved': 'memorized before ever solved',
  'never-memorized': 'never memorized',
};

/**
 * The per-checkpoint table for one example. Only numbers and step counts go into the
 * Markdown source; untrusted text is added with `appendText`, which escapes it.
 */
export function appendExampleTable(md: vscode.MarkdownString, f: ExampleFigures, checkpoints: readonly AnalysedCheckpoint[]): void {
  md.appendMarkdown('\n\n| step | accuracy | perplexity | memorized | pre-mem |\n|---:|---:|---:|:---:|---:|\n');
  checkpoints.forEach((c, j) => {
    md.appendMarkdown(`| ${c.step} | ${num(f.trainAccuracy[j])} | ${num(f.perplexity[j])} | ${f.memorized[j] ? 'yes' : 'no'} | ${num(f.preMemorizationAccuracy[j])} |\n`);
  });
}

export function commandLink(label: string, command: string, args: unknown): string {
  return `[${label}](command:${command}?${encodeURIComponent(JSON.stringify([args]))})`;
}
