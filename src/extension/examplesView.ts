import * as vscode from 'vscode';
import { describeOrder } from '../queries/examples';
import { exampleFigures, type ExampleFigures, type RunAnalysis } from '../queries/runAnalysis';
import type { StoredRun } from '../store/indexStore';
import { CATEGORY_LABEL, num, oneLine, snippet } from '../present/format';
import type { IndexService } from './indexService';
import { appendUntrusted } from './markdown';

const PAGE_SIZE = 200;

export interface ExampleNode {
  readonly kind: 'example';
  readonly runPath: string;
  readonly runName: string;
  readonly index: number;
  readonly figures: ExampleFigures;
  readonly question: string | null;
  readonly flagged: boolean;
  readonly note: string | null;
  /** In the "unlearned across the sweep" order: how many of the sweep's runs copied it before solving it. */
  readonly unlearned: { readonly copied: number; readonly runs: number } | null;
}
type Node = ExampleNode | { readonly kind: 'more'; readonly remaining: number };

const CATEGORY_ICON: Record<ExampleFigures['category'], vscode.ThemeIcon> = {
  'solved-before-memorized': new vscode.ThemeIcon('pass', new vscode.ThemeColor('charts.green')),
  'memorized-before-solved': new vscode.ThemeIcon('copy', new vscode.ThemeColor('charts.orange')),
  'memorized-at-first-checkpoint': new vscode.ThemeIcon('history', new vscode.ThemeColor('charts.yellow')),
  'never-memorized': new vscode.ThemeIcon('circle-large-outline'),
};

/**
 * The selected run's examples in the index service's order and filter. Children are paged (PAGE_SIZE
 * at a time) so a 7,473-example run renders as fast as a small one.
 */
export class ExamplesView implements vscode.TreeDataProvider<Node>, vscode.Disposable {
  private readonly emitter = new vscode.EventEmitter<Node | undefined>();
  readonly onDidChangeTreeData = this.emitter.event;
  private readonly subscriptions: vscode.Disposable[];
  private shown = PAGE_SIZE;
  private last: { run: StoredRun; total: number } | undefined;
  /** Set by the host so the view can show which run, order and filter it lists. */
  treeView: vscode.TreeView<Node> | undefined;

  constructor(private readonly index: IndexService) {
    this.subscriptions = [
      index.onDidChange(() => this.refresh()),
      index.onDidChangeFlags(() => this.refresh()),
      index.onDidChangeSelection(() => {
        this.shown = PAGE_SIZE;
        this.refresh();
      }),
      index.onDidChangeOrder(() => {
        this.shown = PAGE_SIZE;
        this.refresh();
      }),
    ];
  }

  showMore(): void {
    this.shown += PAGE_SIZE;
    this.refresh();
  }

  refresh(): void {
    this.emitter.fire(undefined);
  }

  async getChildren(node?: Node): Promise<Node[]> {
    if (node) return [];
    const run = await this.index.selectedRun();
    if (!run) {
      this.setMessage('Select a run in the Runs view to list its examples.');
      this.last = undefined;
      return [];
    }
    let analysis: RunAnalysis;
    try {
      analysis = await this.index.analysis(run);
    } catch (e) {
      this.setMessage(`${run.name}: ${(e as Error).message}`);
      return [];
    }
    const { rows, notes } = await this.index.orderedExamples(run, analysis);
    this.last = { run, total: rows.length };
    this.setMessage(rows.length === 0 ? `No examples match: ${describeOrder(this.index.exampleOrder)}.` : undefined);
    if (this.treeView) this.treeView.description = `${run.name} · ${this.index.describeExampleOrder()} · ${rows.length}`;
    const unlearned = this.index.exampleOrder.sort === 'unlearned' ? await this.index.unlearnedInSweep(run) : null;
    const page: Node[] = rows.slice(0, this.shown).map((e) => ({
      kind: 'example',
      runPath: run.path,
      runName: run.name,
      index: e.index,
      figures: exampleFigures(analysis, e.position, e.index),
      question: e.question,
      flagged: notes.has(e.index),
      note: notes.get(e.index) ?? null,
      unlearned: unlearned?.has(e.index) ? { copied: unlearned.get(e.index)!.memorizedBeforeSolved, runs: unlearned.get(e.index)!.runs } : null,
    }));
    if (rows.length > this.shown) page.push({ kind: 'more', remaining: rows.length - this.shown });
    return page;
  }

  private setMessage(message: string | undefined): void {
    if (this.treeView) this.treeView.message = message;
  }

  getTreeItem(node: Node): vscode.TreeItem {
    if (node.kind === 'more') {
      const item = new vscode.TreeItem(`Show ${Math.min(PAGE_SIZE, node.remaining)} more (${node.remaining} not shown)`);
      item.id = `more:${this.last?.run.path}:${this.shown}`;
      item.iconPath = new vscode.ThemeIcon('ellipsis');
      item.command = { command: 'premem.showMoreExamples', title: 'Show More' };
      return item;
    }
    return exampleTreeItem(node);
  }

  getParent(): undefined {
    return undefined;
  }

  dispose(): void {
    this.emitter.dispose();
    for (const s of this.subscriptions) s.dispose();
  }
}

/** What the three icons mean, for every example's tooltip. */
/** The rows' own icons (product icons, which every font draws; a ⧉ glyph showed as a box), named. */
const ICON_LEGEND =
  'Icons: $(pass) solved before memorized · $(copy) memorized before ever solved · $(history) memorized at the first checkpoint (nothing earlier to measure) · $(circle-large-outline) never memorized.';

/**
 * An example row. The figures come first, in the label, so a narrow sidebar cuts the
 * question (in the description) rather than the numbers; a flag shows as ⚑ right after the index.
 */
function exampleTreeItem(node: ExampleNode): vscode.TreeItem {
  const f = node.figures;
  const premem = f.preMemorizationAccuracy.at(-1);
  const mem = f.memorizationStep === null ? 'never memorized' : `memorized at step ${f.memorizationStep}`;
  const across = node.unlearned ? ` copied before solved in ${node.unlearned.copied} of ${node.unlearned.runs} runs ·` : '';
  const item = new vscode.TreeItem(`#${node.index}${node.flagged ? ' ⚑' : ''}${across} premem ${num(premem)} · ${mem}`);
  item.id = `example:${node.runPath}#${node.index}`;
  item.description = node.question === null ? undefined : snippet(oneLine(node.question), 120);
  item.iconPath = CATEGORY_ICON[f.category];
  item.contextValue = node.flagged ? 'example.flagged' : 'example';
  item.command = { command: 'premem.showExample', title: 'Open Example Panel', arguments: [{ runPath: node.runPath, index: node.index }] };
  const md = new vscode.MarkdownString();
  md.appendMarkdown(`**Example #${node.index}** · `);
  appendUntrusted(md, node.runName);
  if (node.flagged) {
    md.appendMarkdown('\n\n⚑ **Flagged**');
    if (node.note) {
      md.appendMarkdown(': ');
      appendUntrusted(md, node.note);
    }
  }
  if (node.question !== null) {
    md.appendMarkdown('\n\n');
    appendUntrusted(md, node.question.length > 1500 ? `${node.question.slice(0, 1500)}…` : node.question);
  }
  md.appendMarkdown(`\n\nPre-memorization accuracy **${num(premem)}** · ${f.category === 'never-memorized' ? mem : `${mem} · ${CATEGORY_LABEL[f.category]}`}`);
  md.supportThemeIcons = true;
  md.appendMarkdown(`\n\n${ICON_LEGEND}`);
  item.tooltip = md;
  return item;
}
