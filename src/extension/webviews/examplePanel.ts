import * as vscode from 'vscode';
import { EXAMPLE_PARAMS, EXAMPLE_VIEW_TYPE, parseExampleState, type ExampleDetail, type ExampleMethods, type ExampleNotifications } from '../../protocol/examplePanel';
import type { ExamplesView } from '../examplesView';
import type { PremIndex } from '../premIndex';
import { exampleTextUri } from './exampleTexts';
import { panelHtml, webviewOptions } from './html';
import { nextEvent, revealRestoredTab } from './restoredTabs';
import { RpcHost, type Handlers } from './rpcHost';

export interface ExampleTarget {
  readonly runPath: string;
  readonly index: number;
}

interface OpenPanel {
  readonly panel: vscode.WebviewPanel;
  readonly rpc: RpcHost<ExampleMethods, ExampleNotifications>;
  target: ExampleTarget;
}

/**
 * The example panel, reused like the built-in preview: a new example shows in the panel
 * last focused (a window reload can restore more than one). The host keeps which example
 * each panel shows; its webview can only ask about that example's checkpoints and samples.
 */
export class ExamplePanel implements vscode.Disposable {
  /** Open panels, the most recently active last. */
  private panels: OpenPanel[] = [];
  private readonly attached = new vscode.EventEmitter<OpenPanel>();
  private readonly subscriptions: vscode.Disposable[];

  constructor(
    private readonly index: PremIndex,
    private readonly examples: ExamplesView,
    private readonly extensionUri: vscode.Uri,
    private readonly log: vscode.OutputChannel,
  ) {
    const refresh = () => void this.refresh();
    this.subscriptions = [
      index.onDidChange(refresh),
      index.onDidChangeFlags(refresh),
      vscode.window.registerWebviewPanelSerializer(EXAMPLE_VIEW_TYPE, {
        deserializeWebviewPanel: async (panel, state: unknown) => {
          try {
            const s = parseExampleState(state, 'state');
            this.attach(panel, { runPath: s.runPath, index: s.index });
          } catch {
            panel.dispose();
          }
        },
      }),
    ];
  }

  async show(target: ExampleTarget): Promise<void> {
    const open = this.panels.at(-1) ?? (await this.restored());
    if (open) {
      open.target = target;
      open.panel.reveal(undefined, true);
      await this.refresh(open);
      return;
    }
    const panel = vscode.window.createWebviewPanel(EXAMPLE_VIEW_TYPE, 'Premem Example', { viewColumn: vscode.ViewColumn.Beside, preserveFocus: false }, webviewOptions(this.extensionUri));
    this.attach(panel, target);
  }

  /** A panel restored by a reload but not shown yet, brought up (see revealRestoredTab). */
  private async restored(): Promise<OpenPanel | undefined> {
    const attached = nextEvent(this.attached.event, 3000);
    return (await revealRestoredTab(EXAMPLE_VIEW_TYPE)) ? attached : undefined;
  }

  private attach(panel: vscode.WebviewPanel, target: ExampleTarget): void {
    panel.webview.options = webviewOptions(this.extensionUri);
    panel.iconPath = vscode.Uri.joinPath(this.extensionUri, 'media', 'premem.svg');
    let state: OpenPanel;
    const handlers: Handlers<ExampleMethods> = {
      ready: async () => this.detail(state),
      checkpoint: async ({ step }) => {
        const { run, example } = await this.resolve(state);
        return this.index.checkpointSamples(run, example, step);
      },
      flag: async ({ note }) => {
        await this.index.setFlag(state.target.runPath, state.target.index, note);
        return this.requireDetail(state);
      },
      unflag: async () => {
        await this.index.removeFlag(state.target.runPath, state.target.index);
        return this.requireDetail(state);
      },
      navigate: async ({ direction }) => {
        const { run } = await this.resolve(state);
        const { rows } = await this.examples.ordered(run, await this.index.analysis(run));
        const at = rows.findIndex((r) => r.index === state.target.index);
        const next = at === -1 ? undefined : rows[direction === 'next' ? at + 1 : at - 1];
        if (!next) return null;
        state.target = { runPath: run.path, index: next.index };
        return this.requireDetail(state);
      },
      openDiff: async ({ step, sample }) => {
        const { run, example } = await this.resolve(state);
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
    const rpc = new RpcHost<ExampleMethods, ExampleNotifications>(panel.webview, EXAMPLE_PARAMS, handlers, this.log);
    state = { panel, rpc, target };
    this.panels.push(state);
    panel.webview.html = panelHtml(panel.webview, this.extensionUri, 'example', 'Premem Example');
    this.attached.fire(state);
    panel.onDidChangeViewState(() => {
      if (panel.active) this.panels = [...this.panels.filter((p) => p !== state), state];
    });
    panel.onDidDispose(() => {
      rpc.dispose();
      this.panels = this.panels.filter((p) => p !== state);
    });
    void this.updateTitle(state);
  }

  private async resolve(state: OpenPanel) {
    const t = state.target;
    const run = await this.index.runByPath(t.runPath);
    if (!run) throw new Error(`${t.runPath} is not indexed in this window`);
    const example = await this.index.example(run, t.index);
    if (!example) throw new Error(`${run.name} has no example ${t.index}`);
    return { run, example };
  }

  /** What the panel shows, or null when its run is no longer indexed (the webview says so). */
  private async detail(state: OpenPanel): Promise<ExampleDetail | null> {
    const t = state.target;
    const run = await this.index.runByPath(t.runPath);
    const example = run && (await this.index.example(run, t.index));
    if (!run || !example) return null;
    const [base, flags, order] = await Promise.all([
      this.index.exampleDetail(run, example),
      this.index.flags(run.path),
      this.index.analysis(run).then((a) => this.examples.ordered(run, a)),
    ]);
    const flag = flags.find((f) => f.index === example.index);
    const rank = order.rows.findIndex((r) => r.index === example.index);
    return {
      ...base,
      flag: flag ? { note: flag.note } : null,
      order: rank === -1 ? null : { rank: rank + 1, of: order.rows.length, label: this.examples.describeOrder() },
    };
  }

  private async requireDetail(state: OpenPanel): Promise<ExampleDetail> {
    const d = await this.detail(state);
    if (!d) throw new Error('this example is no longer in the index');
    await this.updateTitle(state);
    return d;
  }

  private async updateTitle(state: OpenPanel): Promise<void> {
    const t = state.target;
    const run = await this.index.runByPath(t.runPath);
    state.panel.title = `#${t.index} · ${run?.name ?? 'Premem Example'}`;
  }

  /** Sends fresh figures to one panel, or to all (after a re-index, a settings or flag change). */
  private async refresh(only?: OpenPanel): Promise<void> {
    for (const state of only ? [only] : this.panels) {
      try {
        const d = await this.detail(state);
        await this.updateTitle(state);
        if (d) await state.rpc.notify('show', d);
      } catch (e) {
        this.log.appendLine(`example panel: ${(e as Error).message}`);
      }
    }
  }

  dispose(): void {
    for (const p of this.panels) p.panel.dispose();
    this.attached.dispose();
    for (const s of this.subscriptions) s.dispose();
  }
}
