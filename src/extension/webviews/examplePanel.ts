import * as vscode from 'vscode';
import { EXAMPLE_PARAMS, EXAMPLE_VIEW_TYPE, parseExampleState, type ExampleDetail, type ExampleMethods, type ExampleNotifications } from '../../protocol/examplePanel';
import type { ExampleTarget } from '../exampleTarget';
import type { IndexService } from '../indexService';
import { exampleTextUri } from './exampleTexts';
import { PanelHost, type HostedPanel } from './panelHost';

type Panel = HostedPanel<ExampleTarget, ExampleMethods, ExampleNotifications>;

/**
 * The example panel, reused like the built-in preview: a new example shows in the panel
 * last focused (a window reload can restore more than one). The host keeps which example
 * each panel shows; its webview can only ask about that example's checkpoints and samples.
 */
export class ExamplePanel implements vscode.Disposable {
  private readonly host: PanelHost<ExampleTarget, ExampleMethods, ExampleNotifications>;
  private readonly subscriptions: vscode.Disposable[];

  constructor(
    private readonly index: IndexService,
    extensionUri: vscode.Uri,
    log: vscode.OutputChannel,
  ) {
    this.host = new PanelHost<ExampleTarget, ExampleMethods, ExampleNotifications>(
      {
        viewType: EXAMPLE_VIEW_TYPE,
        entry: 'example',
        title: 'Premem Example',
        column: vscode.ViewColumn.Beside,
        validators: EXAMPLE_PARAMS,
        supersedes: ['ready', 'flag', 'unflag', 'navigate', 'switchRun'],
        firstRequest: 'ready',
        restore: (saved) => {
          try {
            const s = parseExampleState(saved, 'state');
            return { runPath: s.runPath, index: s.index };
          } catch {
            return undefined;
          }
        },
        handlers: (p) => this.handlers(p),
        update: async (p) => {
          const d = await this.detail(p.state);
          return d && { method: 'show', params: d };
        },
        titleOf: async (p) => `#${p.state.index} · ${(await index.runByPath(p.state.runPath))?.name ?? 'Premem Example'}`,
      },
      extensionUri,
      log,
    );
    const refresh = () => void this.host.refresh();
    this.subscriptions = [index.onDidChange(refresh), index.onDidChangeFlags(refresh), index.onDidChangeOrder(refresh)];
  }

  /** `awayFrom`: the column of a panel that must stay in view (the data map, the sweep table). */
  show(target: ExampleTarget, awayFrom?: vscode.ViewColumn): Promise<void> {
    return this.host.show(target, awayFrom);
  }

  private handlers(p: Panel) {
    return {
      ready: async () => this.detail(p.state),
      checkpoint: async ({ step }: { step: number }) => {
        const { run, example } = await this.resolve(p.state);
        return this.index.checkpointSamples(run, example, step);
      },
      flag: async ({ note }: { note: string }) => {
        const { run } = await this.resolve(p.state);
        await this.index.setFlag(run.path, p.state.index, note);
        return this.requireDetail(p);
      },
      unflag: async () => {
        await this.index.removeFlag(p.state.runPath, p.state.index);
        return this.requireDetail(p);
      },
      navigate: async ({ direction }: { direction: 'next' | 'previous' }) => {
        const { run } = await this.resolve(p.state);
        const { rows } = await this.index.orderedExamples(run);
        const at = rows.findIndex((r) => r.index === p.state.index);
        const next = at === -1 ? undefined : rows[direction === 'next' ? at + 1 : at - 1];
        if (!next) return null;
        p.state = { runPath: run.path, index: next.index };
        return this.requireDetail(p);
      },
      switchRun: async ({ runPath }: { runPath: string }) => {
        // Only a run the panel listed for this example: the same sweep, analysing it.
        const current = await this.detail(p.state);
        if (!current?.otherRuns.some((o) => o.runPath === runPath)) throw new Error(`${runPath} is not a run of this example's sweep`);
        p.state = { runPath, index: p.state.index };
        await this.index.select(runPath);
        return this.requireDetail(p);
      },
      attachDataset: async () => {
        // The panel's own run, as from its row's context menu; the command asks for the file.
        await vscode.commands.executeCommand('premem.attachDataset', { kind: 'run', view: { run: { path: p.state.runPath } } });
        return null;
      },
      openDiff: async ({ step, sample }: { step: number; sample: number }) => {
        const { run, example } = await this.resolve(p.state);
        const key = { runPath: run.path, index: example.index };
        await vscode.commands.executeCommand(
          'vscode.diff',
          exampleTextUri(run.name, key),
          exampleTextUri(run.name, { ...key, step, sample }),
          `#${example.index} reference ↔ step ${step} sample ${sample + 1}`,
          { preview: true, viewColumn: vscode.ViewColumn.Active },
        );
        return null;
      },
    };
  }

  /** The run and example a panel shows; throws when either is gone from the index. */
  private async resolve(t: ExampleTarget) {
    const run = await this.index.runByPath(t.runPath);
    if (!run) throw new Error(`${t.runPath} is not indexed in this window`);
    const example = await this.index.example(run, t.index);
    if (!example) throw new Error(`${run.name} has no example ${t.index}`);
    return { run, example };
  }

  /** What the panel shows, or null when its run is no longer indexed (the webview says so). */
  private async detail(t: ExampleTarget): Promise<ExampleDetail | null> {
    const run = await this.index.runByPath(t.runPath);
    const example = run && (await this.index.example(run, t.index));
    if (!run || !example) return null;
    const [base, flags, order, otherRuns] = await Promise.all([
      this.index.exampleDetail(run, example),
      this.index.flags(run.path),
      this.index.orderedExamples(run),
      this.index.exampleAcrossRuns(run, example.index),
    ]);
    const flag = flags.find((f) => f.index === example.index);
    const rank = order.rows.findIndex((r) => r.index === example.index);
    return {
      ...base,
      flag: flag ? { note: flag.note } : null,
      order: rank === -1 ? null : { rank: rank + 1, of: order.rows.length, label: this.index.describeExampleOrder() },
      otherRuns,
    };
  }

  private async requireDetail(p: Panel): Promise<ExampleDetail> {
    const d = await this.detail(p.state);
    if (!d) throw new Error('this example is no longer in the index');
    await this.host.retitle(p);
    return d;
  }

  dispose(): void {
    this.host.dispose();
    for (const s of this.subscriptions) s.dispose();
  }
}
