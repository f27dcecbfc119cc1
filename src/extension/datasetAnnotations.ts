import * as vscode from 'vscode';
import { exampleFigures, type RunAnalysis } from '../queries/runAnalysis';
import type { StoredRun } from '../store/indexStore';
import { CATEGORY_LABEL, describeThresholdOrigin, num } from '../present/format';
import { appendExampleTable, appendUntrusted, commandLink } from './markdown';
import type { IndexService } from './indexService';

/** How long edits must pause before the marks of a dataset file are recomputed. */
const EDIT_PAUSE_MS = 250;

/**
 * Record index of every line of a GSM8K-form JSONL document, -1 for blank lines: the same rule
 * as the reader, which skips blank lines, so line and record always agree.
 */
export function recordIndexByLine(doc: vscode.TextDocument): Int32Array {
  const out = new Int32Array(doc.lineCount);
  let k = 0;
  for (let i = 0; i < doc.lineCount; i++) out[i] = doc.lineAt(i).isEmptyOrWhitespace ? -1 : k++;
  return out;
}

interface DatasetContext {
  readonly run: StoredRun;
  readonly others: readonly StoredRun[];
  readonly analysis: RunAnalysis;
  readonly positionOf: Map<number, number>;
}

/**
 * Hovers and gutter marks on a run's dataset file. Which run's figures: the selected run if it
 * reads this file, else the first run that does. Text comes from the open document; figures
 * from the index, never from run files.
 */
export class DatasetAnnotations implements vscode.HoverProvider, vscode.Disposable {
  private readonly decoration: vscode.TextEditorDecorationType;
  private readonly subscriptions: vscode.Disposable[] = [];
  private enabled: boolean;
  private lowThreshold: number;

  constructor(
    private readonly index: IndexService,
    extensionUri: vscode.Uri,
    settings: { decorations: boolean; lowPreMemorizationThreshold: number },
  ) {
    this.enabled = settings.decorations;
    this.lowThreshold = settings.lowPreMemorizationThreshold;
    this.decoration = vscode.window.createTextEditorDecorationType({
      gutterIconPath: vscode.Uri.joinPath(extensionUri, 'media', 'low-premem.svg'),
      gutterIconSize: '70%',
      overviewRulerColor: new vscode.ThemeColor('charts.orange'),
      overviewRulerLane: vscode.OverviewRulerLane.Right,
    });
    const refresh = () => void this.decorateVisible();
    this.subscriptions.push(
      this.decoration,
      vscode.window.onDidChangeVisibleTextEditors(refresh),
      // Typing in a 20,000-line dataset: redraw the marks once the edits pause, not per keystroke.
      vscode.workspace.onDidChangeTextDocument((e) => vscode.window.visibleTextEditors.some((ed) => ed.document === e.document) && this.refreshSoon()),
      { dispose: () => clearTimeout(this.pending) },
      index.onDidChange(refresh),
      index.onDidChangeSelection(refresh),
    );
    refresh();
  }

  configure(settings: { decorations: boolean; lowPreMemorizationThreshold: number }): void {
    this.enabled = settings.decorations;
    this.lowThreshold = settings.lowPreMemorizationThreshold;
    void this.decorateVisible();
  }

  private async context(doc: vscode.TextDocument): Promise<DatasetContext | undefined> {
    if (doc.uri.scheme !== 'file') return undefined;
    const runs = await this.index.runsUsingDataset(doc.uri.fsPath);
    if (runs.length === 0) return undefined;
    const run = runs.find((r) => r.path === this.index.selectedRunPath) ?? runs[0]!;
    const analysis = await this.index.analysis(run);
    const positionOf = new Map((await this.index.examples(run)).map((e) => [e.index, e.position]));
    return { run, others: runs.filter((r) => r !== run), analysis, positionOf };
  }

  async provideHover(doc: vscode.TextDocument, pos: vscode.Position): Promise<vscode.Hover | undefined> {
    const ctx = await this.context(doc).catch(() => undefined);
    if (!ctx) return undefined;
    const record = recordIndexByLine(doc)[pos.line]!;
    if (record < 0) return undefined;
    const md = new vscode.MarkdownString();
    md.isTrusted = { enabledCommands: ['premem.showExample', 'premem.flagExample', 'premem.unflagExample', 'premem.editFlagNote', 'premem.selectRun'] };
    md.appendMarkdown(`**Premem** · example #${record} · `);
    appendUntrusted(md, ctx.run.name);
    const position = ctx.positionOf.get(record);
    if (position === undefined) {
      md.appendMarkdown(`\n\nNot analysed in this run (not in its \`subsample_idxs\`).`);
      return new vscode.Hover(md, doc.lineAt(pos.line).range);
    }
    const f = exampleFigures(ctx.analysis, position, record);
    const flagged = (await this.index.flags(ctx.run.path)).find((x) => x.index === record);
    const target = { runPath: ctx.run.path, index: record };
    // Actions first: the per-checkpoint table below can be long, and must not push them out of view.
    md.appendMarkdown(
      `\n\n${commandLink('Open example', 'premem.showExample', target)} · ${
        flagged
          ? `${commandLink('Edit note', 'premem.editFlagNote', target)} · ${commandLink('Unflag', 'premem.unflagExample', target)}`
          : commandLink('Flag', 'premem.flagExample', target)
      }${ctx.others.length > 0 ? ` · ${commandLink(`Show all ${ctx.others.length + 1} runs`, 'premem.showExample', target)}` : ''}`,
    );
    const epoch = f.memorizationEpoch !== null ? ` (epoch ${num(f.memorizationEpoch, 2)})` : '';
    md.appendMarkdown(
      `\n\nPre-memorization accuracy: **${num(f.preMemorizationAccuracy.at(-1))}**  \n` +
        `Memorization step: **${f.memorizationStep ?? 'never'}**${epoch}  \n` +
        `Category: ${CATEGORY_LABEL[f.category]}${flagged ? '  \n⚑ Flagged' : ''}`,
    );
    if (flagged?.note) {
      md.appendMarkdown(': ');
      appendUntrusted(md, flagged.note);
    }
    appendExampleTable(md, f, ctx.analysis.checkpoints);
    md.appendMarkdown(`\nMemorized: ${describeThresholdOrigin(ctx.analysis.threshold, ctx.analysis.thresholdOrigin)}\n`);
    if (ctx.others.length > 0)
      md.appendMarkdown(
        `\n\nAlso read by ${ctx.others.length} other run${ctx.others.length === 1 ? '' : 's'}: *Show all ${ctx.others.length + 1} runs* opens the example with its figures in each (or select a run in the Runs view).`,
      );
    return new vscode.Hover(md, doc.lineAt(pos.line).range);
  }

  private pending: ReturnType<typeof setTimeout> | undefined;

  private refreshSoon(): void {
    clearTimeout(this.pending);
    this.pending = setTimeout(() => void this.decorateVisible(), EDIT_PAUSE_MS);
  }

  private async decorateVisible(): Promise<void> {
    for (const editor of vscode.window.visibleTextEditors) {
      try {
        await this.decorate(editor);
      } catch {
        editor.setDecorations(this.decoration, []);
      }
    }
  }

  private async decorate(editor: vscode.TextEditor): Promise<void> {
    const ctx = this.enabled ? await this.context(editor.document) : undefined;
    if (!ctx) {
      editor.setDecorations(this.decoration, []);
      return;
    }
    const lines = recordIndexByLine(editor.document);
    const ranges: vscode.DecorationOptions[] = [];
    // Two numbers per line, read straight from the run's arrays (no per-line figure objects:
    // a 20,000-line dataset opens at once).
    const a = ctx.analysis;
    const last = a.checkpoints.length - 1;
    if (last < 0) {
      editor.setDecorations(this.decoration, []);
      return;
    }
    const finalPremem = a.metrics.preMemorization[last]!;
    const firstMemorized = a.metrics.memorizationCheckpoint;
    for (let line = 0; line < lines.length; line++) {
      const position = ctx.positionOf.get(lines[line]!);
      if (position === undefined) continue;
      const premem = finalPremem[position]!;
      if (!(premem < this.lowThreshold)) continue;
      const first = firstMemorized[position]!;
      const start = editor.document.lineAt(line).range.start;
      // At the start of the line, not its end: dataset lines are long, and a note after them
      // would only show with word wrap on.
      ranges.push({
        range: new vscode.Range(start, start),
        renderOptions: {
          before: {
            contentText: `premem ${num(premem, 2)} · ${first === -1 ? 'never memorized' : `memorized at step ${a.checkpoints[first]!.step}`} ▸ `,
            color: new vscode.ThemeColor('editorCodeLens.foreground'),
            fontStyle: 'italic',
          },
        },
      });
    }
    editor.setDecorations(this.decoration, ranges);
  }

  dispose(): void {
    for (const s of this.subscriptions) s.dispose();
  }
}
