import * as vscode from 'vscode';
import { REGION_CUTS } from '../../core/cartography';
import {
  DATA_MAP_PARAMS,
  DATA_MAP_VIEW_TYPE,
  parseDataMapState,
  type DataMapMethods,
  type DataMapNotifications,
  type DataMapState,
  type DataMapView,
} from '../../protocol/dataMap';
import { dataMapOf, regionStats } from '../../queries/dataMap';
import { chosenExamples } from '../../queries/examples';
import { describeCriterion } from '../../queries/exampleDetail';
import { saveExport } from '../exportDialog';
import type { RunAnalysis } from '../../queries/runAnalysis';
import type { StoredExample } from '../../store/indexStore';
import type { IndexService } from '../indexService';
import type { ExamplePanel } from './examplePanel';
import { PanelHost, type HostedPanel } from './panelHost';

type Panel = HostedPanel<DataMapState, DataMapMethods, DataMapNotifications>;

/**
 * The data map of a run: every example by its training dynamics, drawn on a canvas. The host
 * holds which run it shows; a selection the webview sends is checked against that run's
 * examples before anything is flagged or exported.
 */
export class DataMapPanel implements vscode.Disposable {
  private readonly host: PanelHost<DataMapState, DataMapMethods, DataMapNotifications>;
  private readonly subscriptions: vscode.Disposable[];

  constructor(
    private readonly index: IndexService,
    private readonly examplePanel: ExamplePanel,
    extensionUri: vscode.Uri,
    private readonly log: vscode.OutputChannel,
  ) {
    this.host = new PanelHost<DataMapState, DataMapMethods, DataMapNotifications>(
      {
        viewType: DATA_MAP_VIEW_TYPE,
        entry: 'dataMap',
        title: 'Premem Data Map',
        column: vscode.ViewColumn.Active,
        validators: DATA_MAP_PARAMS,
        supersedes: ['ready', 'flagSelection'],
        firstRequest: 'ready',
        restore: (saved) => {
          try {
            return parseDataMapState(saved, 'state');
          } catch {
            return undefined;
          }
        },
        handlers: (p) => this.handlers(p),
        update: async (p) => {
          const v = await this.view(p.state);
          return v && { method: 'show', params: v };
        },
        titleOf: async (p) => `Data Map · ${(await index.runByPath(p.state.runPath))?.name ?? 'Premem'}`,
      },
      extensionUri,
      log,
    );
    const refresh = () => void this.host.refresh();
    this.subscriptions = [index.onDidChange(refresh), index.onDidChangeFlags(refresh)];
  }

  show(runPath: string): Promise<void> {
    return this.host.show({ runPath });
  }

  private handlers(p: Panel) {
    return {
      ready: () => this.view(p.state),
      flagSelection: async ({ indices, note }: { indices: readonly number[]; note: string }) => {
        const { run, examples } = await this.resolve(p.state);
        const known = new Set(examples.map((e) => e.index));
        const unknown = indices.filter((i) => !known.has(i));
        if (unknown.length) throw new Error(`${run.name} does not analyse example(s) ${unknown.slice(0, 5).join(', ')}`);
        await this.index.setFlags(run.path, indices, note);
        return this.view(p.state);
      },
      exportSelection: async ({ indices }: { indices: readonly number[] }) => {
        const { run, examples } = await this.resolve(p.state);
        const analysis = await this.index.analysis(run);
        // Checked before the dialog: a bad selection is refused without asking for a file.
        const chosen = chosenExamples(analysis, examples, await this.index.flags(run.path), indices);
        return saveExport(this.index, this.log, [run], () => chosen, `${run.name}.selection.jsonl`, 'selected');
      },
      openExample: async ({ index }: { index: number }) => {
        const { run, examples } = await this.resolve(p.state);
        if (!examples.some((e) => e.index === index)) throw new Error(`${run.name} has no example ${index}`);
        await this.examplePanel.show({ runPath: run.path, index }, p.panel.viewColumn);
        return null;
      },
    };
  }

  private async resolve(s: DataMapState) {
    const run = await this.index.runByPath(s.runPath);
    if (!run) throw new Error(`${s.runPath} is not indexed in this window`);
    return { run, examples: await this.index.examples(run) };
  }

  /** What the panel shows, or null when its run is no longer indexed (the webview says so). */
  private async view(s: DataMapState): Promise<DataMapView | null> {
    const run = await this.index.runByPath(s.runPath);
    if (!run) return null;
    const [analysis, examples, flags] = await Promise.all([this.index.analysis(run), this.index.examples(run), this.index.flags(run.path)]);
    return { ...this.figures(analysis, examples), flags: flags.map((f) => ({ index: f.index, note: f.note })) };
  }

  /**
   * The map's figures, computed once per analysis (the index service replaces an analysis when
   * the run is re-indexed or the settings change): a flag changes none of them, and grouping
   * 150,000 questions is not redone for one.
   */
  private readonly computed = new WeakMap<RunAnalysis, Omit<DataMapView, 'flags'>>();

  private figures(analysis: RunAnalysis, examples: readonly StoredExample[]): Omit<DataMapView, 'flags'> {
    let f = this.computed.get(analysis);
    if (!f) {
      const map = dataMapOf(analysis, examples);
      f = { ...map, criterion: describeCriterion(this.index.analysisOptions, analysis), regionCuts: REGION_CUTS, regions: regionStats(map.columns) };
      this.computed.set(analysis, f);
    }
    return f;
  }

  dispose(): void {
    this.host.dispose();
    for (const s of this.subscriptions) s.dispose();
  }
}
