import type * as vscode from 'vscode';
import { num } from '../present/format';
import type { AnalysedCheckpoint, ExampleFigures } from '../queries/runAnalysis';

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
