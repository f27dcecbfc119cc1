import * as vscode from 'vscode';
import type { MethodTable, ParamValidators } from '../../protocol/rpc';
import { panelHtml, webviewOptions, type PanelEntry } from './html';
import { nextEvent, revealRestoredTab } from './restoredTabs';
import { RpcHost, type Handlers } from './rpcHost';

/** One open panel: its webview, its protocol end, what it shows, and the generation of its figures. */
export interface HostedPanel<S, M extends MethodTable<M>, N> {
  readonly panel: vscode.WebviewPanel;
  readonly rpc: RpcHost<M, N>;
  state: S;
  /** Bumped whenever new figures for the whole panel start being computed; older ones are dropped. */
  generation: number;
}

/** What makes a kind of panel: everything else (MRU, restore, disposal, staleness) is the host's. */
export interface PanelKind<S, M extends MethodTable<M>, N> {
  readonly viewType: string;
  readonly entry: PanelEntry;
  readonly title: string;
  readonly column: vscode.ViewColumn;
  readonly validators: ParamValidators<M>;
  /**
   * Requests whose answer replaces the panel's figures as a whole: each starts a new
   * generation, so an update computed before it is not sent after it.
   */
  readonly supersedes: readonly (keyof M & string)[];
  /**
   * The parameterless request a new page makes first ('ready'): its answer is computed while
   * VS Code creates the webview and the page loads its script, not after the page asks.
   */
  readonly firstRequest?: keyof M & string;
  /** The state of a panel VS Code restores after a reload, from what its webview saved; undefined closes it. */
  restore(saved: unknown): S | undefined;
  handlers(panel: HostedPanel<S, M, N>): Handlers<M>;
  /** The notification that brings an open panel up to date, or null when there is nothing to send. */
  update(panel: HostedPanel<S, M, N>): Promise<{ readonly method: keyof N & string; readonly params: N[keyof N & string] } | null>;
  /** The tab title for what the panel shows. */
  titleOf?(panel: HostedPanel<S, M, N>): Promise<string>;
}

/**
 * The one host of every webview panel kind (GitLens keeps one controller for all its panels
 * for the same reason): the most-recently-used list, restore after a reload, disposal, and
 * request generations so that a stale answer is never drawn.
 */
export class PanelHost<S, M extends MethodTable<M>, N> implements vscode.Disposable {
  /** Open panels, the most recently active last. */
  private panels: HostedPanel<S, M, N>[] = [];
  private readonly attached = new vscode.EventEmitter<HostedPanel<S, M, N>>();
  private readonly subscriptions: vscode.Disposable[];

  constructor(
    private readonly kind: PanelKind<S, M, N>,
    private readonly extensionUri: vscode.Uri,
    private readonly log: vscode.OutputChannel,
  ) {
    this.subscriptions = [
      vscode.window.registerWebviewPanelSerializer(kind.viewType, {
        deserializeWebviewPanel: (panel, saved: unknown) => {
          const state = kind.restore(saved);
          if (state === undefined) panel.dispose();
          else this.attach(panel, state);
          return Promise.resolve();
        },
      }),
    ];
  }

  /** The panel last active, also one restored by a reload but not shown yet (see revealRestoredTab). */
  async current(): Promise<HostedPanel<S, M, N> | undefined> {
    const open = this.panels.at(-1);
    if (open) return open;
    const attached = nextEvent(this.attached.event, 3000);
    return (await revealRestoredTab(this.kind.viewType)) ? attached : undefined;
  }

  /**
   * Shows `state` in the current panel (brought up and updated), or in a new one. `awayFrom`: the
   * column of the panel that asked (a table row opening an example), which must stay in view: a
   * panel open in that same column moves beside it rather than hide it.
   */
  async show(state: S, awayFrom?: vscode.ViewColumn): Promise<void> {
    const open = await this.current();
    if (open) {
      open.state = state;
      open.panel.reveal(awayFrom !== undefined && open.panel.viewColumn === awayFrom ? vscode.ViewColumn.Beside : undefined, true);
      await this.update(open);
      return;
    }
    const panel = vscode.window.createWebviewPanel(this.kind.viewType, this.kind.title, { viewColumn: this.kind.column, preserveFocus: false }, webviewOptions(this.extensionUri));
    this.attach(panel, state);
  }

  /** Brings the current panel up without changing what it shows, or opens one on `state`. */
  async reveal(state: () => S): Promise<void> {
    const open = await this.current();
    if (open) open.panel.reveal();
    else await this.show(state());
  }

  private attach(panel: vscode.WebviewPanel, state: S): void {
    panel.webview.options = webviewOptions(this.extensionUri);
    panel.iconPath = vscode.Uri.joinPath(this.extensionUri, 'media', 'premem.svg');
    // The handlers need the panel record and the record needs the protocol end: tie the knot.
    const hosted = { panel, state, generation: 0 } as HostedPanel<S, M, N> & { rpc: RpcHost<M, N> };
    const handlers = this.kind.handlers(hosted) as Record<string, (p: unknown) => Promise<unknown>>;
    const superseding = new Set<string>(this.kind.supersedes);
    // Started now, used once, and only if the panel still shows what it was started for.
    const first = this.kind.firstRequest;
    let early: { state: S; answer: Promise<unknown> } | null = first && handlers[first] ? { state, answer: handlers[first]({}) } : null;
    early?.answer.catch(() => undefined); // its error, if any, is the request's to report
    const guarded = Object.fromEntries(
      Object.entries(handlers).map(([method, handler]) => [
        method,
        (params: unknown) => {
          if (superseding.has(method)) hosted.generation++;
          const prefetched = method === first && early?.state === hosted.state ? early.answer : null;
          early = null;
          return prefetched ?? handler(params);
        },
      ]),
    ) as Handlers<M>;
    hosted.rpc = new RpcHost<M, N>(panel.webview, this.kind.validators, guarded, this.log);
    this.panels.push(hosted);
    panel.webview.html = panelHtml(panel.webview, this.extensionUri, this.kind.entry, this.kind.title);
    this.attached.fire(hosted);
    panel.onDidChangeViewState(() => {
      if (panel.active) this.panels = [...this.panels.filter((p) => p !== hosted), hosted];
    });
    panel.onDidDispose(() => {
      hosted.rpc.dispose();
      this.panels = this.panels.filter((p) => p !== hosted);
    });
    void this.retitle(hosted);
  }

  /** Sets the tab title from the panel's state. */
  async retitle(p: HostedPanel<S, M, N>): Promise<void> {
    if (this.kind.titleOf) p.panel.title = await this.kind.titleOf(p);
  }

  /** Sends fresh figures to one panel, unless newer ones started meanwhile. */
  private async update(p: HostedPanel<S, M, N>): Promise<void> {
    const generation = ++p.generation;
    try {
      const message = await this.kind.update(p);
      await this.retitle(p);
      if (message && generation === p.generation) await p.rpc.notify(message.method, message.params);
    } catch (e) {
      this.log.appendLine(`${this.kind.title}: ${(e as Error).message}`);
    }
  }

  /** Brings every open panel up to date (after a re-index, a settings or flag change). */
  async refresh(): Promise<void> {
    await Promise.all(this.panels.map((p) => this.update(p)));
  }

  dispose(): void {
    for (const p of this.panels) p.panel.dispose();
    this.attached.dispose();
    for (const s of this.subscriptions) s.dispose();
  }
}
