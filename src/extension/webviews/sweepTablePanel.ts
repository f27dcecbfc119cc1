import * as path from 'node:path';
import * as vscode from 'vscode';
import {
  SWEEP_TABLE_PARAMS,
  SWEEP_TABLE_VIEW_TYPE,
  parseSweepTableState,
  type SliceColumn,
  type SweepTableMethods,
  type SweepTableNotifications,
  type SweepTableState,
  type SweepTableView,
} from '../../protocol/sweepTable';
import { sliceFields, sliceLabel } from '../../queries/slices';
import { sweepTableOf, varyingHyperparameters, type SweepTable } from '../../queries/sweepTable';
import type { RunAnalysis } from '../../queries/runAnalysis';
import type { StoredExample } from '../../store/indexStore';
import type { IndexService } from '../indexService';
import type { ExamplePanel } from './examplePanel';
import { PanelHost, type HostedPanel } from './panelHost';

type Panel = HostedPanel<SweepTableState, SweepTableMethods, SweepTableNotifications>;

/**
 * The table of a sweep: every example × every run. The host keeps the table it last sent, so a
 * slice or a search answers from it (positions of the same rows), and a click can only open a run
 * the panel was sent.
 */
export class SweepTablePanel implements vscode.Disposable {
  private readonly host: PanelHost<SweepTableState, SweepTableMethods, SweepTableNotifications>;
  private readonly subscriptions: vscode.Disposable[];
  /** The table each open panel shows, by panel, with the analyses it was built from. */
  private readonly tables = new WeakMap<Panel, { readonly analyses: readonly RunAnalysis[]; readonly table: SweepTable }>();

  constructor(
    private readonly index: IndexService,
    private readonly examplePanel: ExamplePanel,
    extensionUri: vscode.Uri,
    log: vscode.OutputChannel,
  ) {
    this.host = new PanelHost<SweepTableState, SweepTableMethods, SweepTableNotifications>(
      {
        viewType: SWEEP_TABLE_VIEW_TYPE,
        entry: 'sweepTable',
        title: 'Premem Sweep Table',
        column: vscode.ViewColumn.Active,
        validators: SWEEP_TABLE_PARAMS,
        supersedes: ['ready'],
        firstRequest: 'ready',
        restore: (saved) => {
          try {
            return parseSweepTableState(saved, 'state');
          } catch {
            return undefined;
          }
        },
        handlers: (p) => this.handlers(p),
        update: async (p) => {
          const v = await this.view(p);
          return v && { method: 'show', params: v };
        },
        titleOf: (p) => Promise.resolve(`Sweep Table · ${path.basename(p.state.sweepPath)}`),
      },
      extensionUri,
      log,
    );
    const refresh = () => void this.host.refresh();
    this.subscriptions = [index.onDidChange(refresh), index.onDidChangeFlags(refresh)];
  }

  show(sweepPath: string): Promise<void> {
    return this.host.show({ sweepPath });
  }

  private handlers(p: Panel) {
    const table = () => {
      const t = this.tables.get(p);
      if (!t) throw new Error('the table is not loaded yet');
      return t.table;
    };
    return {
      ready: () => this.view(p),
      slice: ({ field }: { field: string }): Promise<SliceColumn> => {
        const t = table();
        const labels: string[] = [];
        const ids = new Map<string, number>();
        const of = Int32Array.from(t.examples, (e) => {
          const l = sliceLabel(e, field);
          if (l === null) return -1;
          if (!ids.has(l)) {
            ids.set(l, labels.length);
            labels.push(l);
          }
          return ids.get(l)!;
        });
        return Promise.resolve({ labels, of });
      },
      search: ({ text }: { text: string }): Promise<Int32Array> => {
        const needle = text.toLowerCase();
        const rows: number[] = [];
        table().examples.forEach((e, k) => {
          if (e.question?.toLowerCase().includes(needle)) rows.push(k);
        });
        return Promise.resolve(Int32Array.from(rows));
      },
      open: async ({ runPath, index }: { runPath: string; index: number }) => {
        const t = table();
        if (!t.runs.some((r) => r.path === runPath)) throw new Error(`${runPath} is not a run of this table`);
        const run = await this.index.runByPath(runPath);
        if (!run || !(await this.index.examples(run)).some((e) => e.index === index)) throw new Error(`${path.basename(runPath)} does not analyse example ${index}`);
        await this.index.select(runPath);
        await this.examplePanel.show({ runPath, index }, p.panel.viewColumn);
        return null;
      },
    };
  }

  /** What the panel shows, or null when no run of its sweep is indexed (the webview says so). */
  private async view(p: Panel): Promise<SweepTableView | null> {
    const views = (await this.index.runViews()).filter((v) => v.run.sweepPath === p.state.sweepPath && v.analysis);
    if (views.length === 0) return null;
    const analyses = views.map((v) => v.analysis!);
    // The table is rebuilt only when one of its runs' analyses was replaced (a re-index, a
    // setting): a flag changes none of its figures, only the flagged list below.
    const last = this.tables.get(p);
    let t = last && last.analyses.length === analyses.length && last.analyses.every((a, j) => a === analyses[j]) ? last.table : undefined;
    if (!t) {
      const examplesOf = new Map<number, StoredExample[]>();
      for (const v of views) examplesOf.set(v.run.id, await this.index.examples(v.run));
      t = sweepTableOf(analyses, examplesOf);
      this.tables.set(p, { analyses, table: t });
    }
    const flagged = new Set((await this.index.flags()).filter((f) => t.runs.some((r) => r.path === f.runPath)).map((f) => f.index));
    const { examples, ...shown } = t;
    return {
      ...shown,
      sweepName: path.basename(t.sweepPath),
      varying: varyingHyperparameters(t.runs),
      sliceFields: sliceFields(examples),
      flagged: [...flagged].sort((a, b) => a - b),
    };
  }

  dispose(): void {
    this.host.dispose();
    for (const s of this.subscriptions) s.dispose();
  }
}
