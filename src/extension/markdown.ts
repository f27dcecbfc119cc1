import type * as vscode from 'vscode';
import { num, showControls } from '../present/format';
import type { AnalysedCheckpoint, ExampleFigures } from '../queries/runAnalysis';

/**
 * Escapes every ASCII punctuation character (CommonMark lets any of them be escaped) after
 * making control and bidi characters visible. `appendText` alone is not enough: it leaves `<`
 * alone, so a note `<command:premem.selectRun?x>` would become a live command link in a hover
 * whose commands are trusted.
 */
export function escapeMarkdown(text: string): string {
  return showControls(text)
    .replace(/[\\`*_{}[\]()#+\-.!|<>~&:"'=$%@^,;?/]/g, '\\$&')
    .replace(/\r?\n/g, '  \n');
}

/** Untrusted text (a note, a run name, a question) added to Markdown as text, never as markup. */
export function appendUntrusted(md: vscode.MarkdownString, text: string): void {
  md.appendMarkdown(escapeMarkdown(text));
}

/**
 * The per-checkpoint table for one example. Only numbers and step counts go into the
 * Markdown source; untrusted text is added with `appendUntrusted`, which escapes it.
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
