import * as path from 'node:path';
import * as vscode from 'vscode';
import { snippet } from '../present/format';
import type { Flag } from '../store/indexStore';
import type { IndexService } from './indexService';
import { appendUntrusted } from './markdown';

export interface FlagNode {
  readonly kind: 'flag';
  readonly flag: Flag;
  readonly question: string | null;
  /** False when the flagged run is not in the index now (its flags are kept regardless). */
  readonly indexed: boolean;
}

/** Flags across all runs, with their notes: the user's own data, straight from the flags table. */
export class FlaggedView implements vscode.TreeDataProvider<FlagNode>, vscode.Disposable {
  private readonly emitter = new vscode.EventEmitter<FlagNode | undefined>();
  readonly onDidChangeTreeData = this.emitter.event;
  private readonly subscriptions: vscode.Disposable[];

  constructor(private readonly index: IndexService) {
    this.subscriptions = [index.onDidChangeFlags(() => this.emitter.fire(undefined)), index.onDidChange(() => this.emitter.fire(undefined))];
  }

  async getChildren(node?: FlagNode): Promise<FlagNode[]> {
    if (node) return [];
    const flags = await this.index.flags();
    const runs = new Map((await this.index.runs()).map((r) => [r.path, r]));
    const questions = new Map<string, Map<number, string | null>>();
    for (const runPath of new Set(flags.map((f) => f.runPath))) {
      const run = runs.get(runPath);
      if (run) questions.set(runPath, new Map((await this.index.examples(run)).map((e) => [e.index, e.question])));
    }
    return flags.map((flag) => ({ kind: 'flag', flag, question: questions.get(flag.runPath)?.get(flag.index) ?? null, indexed: runs.has(flag.runPath) }));
  }

  getTreeItem(node: FlagNode): vscode.TreeItem {
    const { flag } = node;
    const item = new vscode.TreeItem(node.question === null ? `#${flag.index}` : `#${flag.index} ${snippet(node.question, 70)}`);
    item.id = `flag:${flag.runPath}#${flag.index}`;
    item.description = `${path.basename(flag.runPath)}${flag.note ? ` — ${flag.note}` : ''}`;
    item.iconPath = new vscode.ThemeIcon('bookmark', node.indexed ? undefined : new vscode.ThemeColor('disabledForeground'));
    item.contextValue = 'flag';
    item.command = { command: 'premem.showExample', title: 'Open Example Panel', arguments: [{ runPath: flag.runPath, index: flag.index }] };
    const md = new vscode.MarkdownString();
    appendUntrusted(md, `${flag.runPath} #${flag.index}`);
    if (flag.note) {
      md.appendMarkdown('\n\n');
      appendUntrusted(md, flag.note);
    }
    md.appendMarkdown(`\n\nFlagged ${flag.createdAt.slice(0, 16).replace('T', ' ')}${node.indexed ? '' : ' · run not indexed in this window'}`);
    item.tooltip = md;
    return item;
  }

  dispose(): void {
    this.emitter.dispose();
    for (const s of this.subscriptions) s.dispose();
  }
}
