import { realpathSync } from 'node:fs';
import * as vscode from 'vscode';
import type { MemorizationThreshold, ThresholdCalibration } from '../core/threshold';
import type { CheckpointSamples, ExampleDetail, OtherRun } from '../protocol/examplePanel';
import { exampleAcrossRuns, unlearnedAcrossRuns, type Unlearned } from '../queries/acrossRuns';
import { attachDataset } from '../queries/attach';
import { calibrateAgainstText, DEFAULT_GRID, type TextCalibration } from '../queries/calibrate';
import { checkpointSamples, exampleDetail } from '../queries/exampleDetail';
import { robustnessOf, type RobustnessReport } from '../queries/robustness';
import { describeOrder, orderedExamples, orderExamples, type ExampleOrder, type ExampleSort } from '../queries/examples';
import { sweepModels, type SweepModel } from '../queries/runSummary';
import { analyseRun, atThreshold, type AnalysisOptions, type RunAnalysis, type RunView } from '../queries/runAnalysis';
import { indexInWorker, type RunFailure } from '../store/indexInWorker';
import { IndexStore, type Flag, type StoredExample, type StoredRun } from '../store/indexStore';

/**
 * The editor's single view of the index: one SQLite connection for reads and flags, analyses
 * cached per run until the index or the analysis settings change, the selected run, and
 * indexing delegated to a worker thread. Every view reads through here.
 */
export class IndexService implements vscode.Disposable {
  private readonly changed = new vscode.EventEmitter<void>();
  private readonly selectionChanged = new vscode.EventEmitter<StoredRun | undefined>();
  private readonly flagsChanged = new vscode.EventEmitter<void>();
  /** Fires when runs, their figures or the settings behind them change. */
  readonly onDidChange = this.changed.event;
  readonly onDidChangeSelection = this.selectionChanged.event;
  readonly onDidChangeFlags = this.flagsChanged.event;
  private readonly orderChanged = new vscode.EventEmitter<ExampleOrder>();
  /** Fires when the examples' sort or filter changes (the Examples view and the example panel follow it). */
  readonly onDidChangeOrder = this.orderChanged.event;
  private order: ExampleOrder = { sort: 'premem', filter: { kind: 'all' }, search: null };
  /** Positions whose sample texts match the current search, per run (a search reads every text once). */
  private sampleMatches = new Map<number, Promise<Set<number>>>();
  /** Sorted examples per analysis and sort: a new analysis (re-index, settings) starts afresh. */
  private readonly sorted = new WeakMap<RunAnalysis, Map<ExampleSort, StoredExample[]>>();

  private analyses = new Map<number, Promise<RunAnalysis>>();
  private examplesCache = new Map<number, Promise<StoredExample[]>>();
  private readonly failures = new Map<string, RunFailure>();
  private selected: string | undefined;
  private indexing: Promise<void> = Promise.resolve();

  private constructor(
    private readonly store: IndexStore,
    private readonly workerFile: string,
    private readonly log: vscode.OutputChannel,
    private options: AnalysisOptions,
  ) {}

  static async open(dbFile: string, workerFile: string, log: vscode.OutputChannel, options: AnalysisOptions): Promise<IndexService> {
    return new IndexService(await IndexStore.open(dbFile), workerFile, log, options);
  }

  get dbFile(): string {
    return this.store.file;
  }

  get flagsFile(): string {
    return this.store.flagsFile;
  }

  /** Where an unreadable index was moved before this one was rebuilt; null normally. */
  get setAside(): string | null {
    return this.store.setAside;
  }

  get analysisOptions(): AnalysisOptions {
    return this.options;
  }

  setAnalysisOptions(options: AnalysisOptions): void {
    this.options = options;
    this.analyses.clear();
    this.changed.fire();
  }

  // ---- runs ---------------------------------------------------------------------------------

  runs(): Promise<StoredRun[]> {
    return this.store.runs();
  }

  runFailures(): RunFailure[] {
    return [...this.failures.values()];
  }

  analysis(run: StoredRun): Promise<RunAnalysis> {
    let a = this.analyses.get(run.id);
    if (!a) {
      a = analyseRun(this.store, run, this.options);
      // A failed analysis is not cached: the next ask retries (e.g. after a settings fix).
      a.catch(() => this.analyses.delete(run.id));
      this.analyses.set(run.id, a);
    }
    return a;
  }

  /** Every run with its analysis or the reason it has none: one bad run never hides the rest. */
  async runViews(): Promise<RunView[]> {
    const runs = await this.runs();
    return Promise.all(
      runs.map(async (run) => {
        try {
          return { run, analysis: await this.analysis(run), error: null };
        } catch (e) {
          return { run, analysis: null, error: (e as Error).message };
        }
      }),
    );
  }

  /** One straight-line model per sweep; pass the views when the caller already has them. */
  async sweepModels(views?: readonly RunView[]): Promise<Map<string, SweepModel>> {
    views ??= await this.runViews();
    return sweepModels(views.flatMap((v) => (v.analysis ? [v.analysis] : [])));
  }

  examples(run: StoredRun): Promise<StoredExample[]> {
    let e = this.examplesCache.get(run.id);
    if (!e) {
      e = this.store.examples(run.id);
      this.examplesCache.set(run.id, e);
    }
    return e;
  }

  /** Every run at another perplexity threshold, from the cached arrays (the dashboard's control). */
  async runViewsAt(threshold: MemorizationThreshold): Promise<RunView[]> {
    const views = await this.runViews();
    return views.map((v) => (v.analysis ? { ...v, analysis: atThreshold(v.analysis, threshold) } : v));
  }

  async runByPath(runPath: string): Promise<StoredRun | undefined> {
    return (await this.runs()).find((r) => r.path === runPath);
  }

  async example(run: StoredRun, index: number): Promise<StoredExample | undefined> {
    return (await this.examples(run)).find((e) => e.index === index);
  }

  async exampleDetail(run: StoredRun, example: StoredExample): Promise<Omit<ExampleDetail, 'flag' | 'order' | 'otherRuns'>> {
    return exampleDetail(this.store, await this.analysis(run), example, this.options);
  }

  async checkpointSamples(run: StoredRun, example: StoredExample, step: number): Promise<CheckpointSamples> {
    return checkpointSamples(this.store, await this.analysis(run), example, step);
  }

  /** One stored text for the diff editor: the reference (no step) or a sample. */
  async sampleText(run: StoredRun, example: StoredExample, step: number, sample: number): Promise<string | null> {
    const c = (await this.analysis(run)).checkpoints.find((x) => x.step === step);
    if (!c) return null;
    return (await this.store.sampleTexts(c.id, 'train', c.trainSet, example.position))?.[sample] ?? null;
  }

  /** Runs whose dataset is this file, also when one of the two paths goes through a symlink. */
  async runsUsingDataset(file: string): Promise<StoredRun[]> {
    const direct = await this.store.runsUsingDataset(file);
    if (direct.length > 0) return direct;
    const real = realpathOrSelf(file);
    return (await this.runs()).filter((r) => r.trainDatasetFile !== null && realpathOrSelf(r.trainDatasetFile) === real);
  }

  // ---- example order -------------------------------------------------------------------

  get exampleOrder(): ExampleOrder {
    return this.order;
  }

  setExampleOrder(order: ExampleOrder): void {
    if (order.search?.query !== this.order.search?.query || order.search?.inSamples !== this.order.search?.inSamples) this.sampleMatches.clear();
    this.order = order;
    this.orderChanged.fire(order);
  }

  describeExampleOrder(): string {
    return describeOrder(this.order);
  }

  /** A run's examples in the current order and filter (see queries/examples.orderedExamples). */
  async orderedExamples(run: StoredRun, analysis?: RunAnalysis): Promise<{ rows: readonly StoredExample[]; notes: Map<number, string> }> {
    analysis ??= await this.analysis(run);
    const flags = await this.flags(run.path);
    const notes = new Map(flags.map((f) => [f.index, f.note]));
    let bySort = this.sorted.get(analysis);
    if (!bySort) this.sorted.set(analysis, (bySort = new Map<ExampleSort, StoredExample[]>()));
    let sorted = bySort.get(this.order.sort);
    if (!sorted)
      bySort.set(this.order.sort, (sorted = this.order.sort === 'unlearned' ? await this.unlearnedOrder(run) : orderExamples(analysis, await this.examples(run), this.order.sort)));
    const search = this.order.search;
    let samplesMatching: Set<number> | undefined;
    if (search?.inSamples) {
      let found = this.sampleMatches.get(run.id);
      if (!found) this.sampleMatches.set(run.id, (found = this.store.positionsWithSampleText(run.id, search.query)));
      samplesMatching = await found;
    }
    return { rows: orderedExamples(analysis, sorted, this.order, new Set(notes.keys()), samplesMatching), notes };
  }

  // ---- selection ----------------------------------------------------------------------------

  get selectedRunPath(): string | undefined {
    return this.selected;
  }

  async selectedRun(): Promise<StoredRun | undefined> {
    return this.selected === undefined ? undefined : this.store.runByPath(this.selected);
  }

  async select(runPath: string | undefined): Promise<void> {
    if (runPath === this.selected) return;
    this.selected = runPath;
    this.selectionChanged.fire(await this.selectedRun());
  }

  // ---- flags --------------------------------------------------------------------------------

  flags(runPath?: string): Promise<Flag[]> {
    return this.store.flags(runPath);
  }

  async setFlag(runPath: string, index: number, note: string): Promise<void> {
    await this.store.setFlag(runPath, index, note);
    this.flagsChanged.fire();
  }

  /** Flags a selection with one note, all or none. */
  async setFlags(runPath: string, indices: readonly number[], note: string): Promise<void> {
    await this.store.setFlags(runPath, indices, note);
    this.flagsChanged.fire();
  }

  async removeFlag(runPath: string, index: number): Promise<void> {
    await this.store.removeFlag(runPath, index);
    this.flagsChanged.fire();
  }

  // ---- indexing -----------------------------------------------------------------------------

  /**
   * Indexes folders (runs or sweeps) in the worker, behind a cancellable progress notification.
   * Calls queue: two indexings never write at once from this window.
   */
  indexFolders(folders: readonly string[], title = 'Premem: indexing', quiet = false): Promise<void> {
    const next = this.indexing.then(() => this.indexNow(folders, title, quiet));
    this.indexing = next.catch(() => undefined);
    return next;
  }

  /**
   * `quiet` (following a run while it trains): progress in the status bar instead of a
   * notification, and no error pop-up for files still being written; failures still show in
   * the Runs view and the output channel.
   */
  private async indexNow(folders: readonly string[], title: string, quiet: boolean): Promise<void> {
    if (folders.length === 0) return;
    const location = quiet ? vscode.ProgressLocation.Window : vscode.ProgressLocation.Notification;
    await vscode.window.withProgress({ location, title, cancellable: !quiet }, async (progress, token) => {
      const controller = new AbortController();
      const sub = token.onCancellationRequested(() => controller.abort());
      const t0 = Date.now();
      try {
        const result = await indexInWorker(
          this.workerFile,
          { db: this.store.file, folders, exclude: [...this.closed] },
          {
            signal: controller.signal,
            onProgress: (p) => progress.report({ message: `${p.run}: checkpoint ${p.checkpoint + 1} of ${p.of}` }),
            onIndexed: (o) => {
              this.failures.delete(o.path);
              if (o.action !== 'unchanged') this.log.appendLine(`${o.action} ${o.path} (${o.checkpointsRead} checkpoints read)`);
            },
          },
        );
        for (const folder of folders) this.failures.delete(folder);
        for (const f of result.failures) {
          this.failures.set(f.path, f);
          this.log.appendLine(f.notEvaluated ? `waiting for an evaluation: ${f.message}` : `error: ${f.message}`);
        }
        this.log.appendLine(`indexed ${result.outcomes.length} runs in ${((Date.now() - t0) / 1000).toFixed(2)} s${result.cancelled ? ' (cancelled)' : ''}`);
        // A run not evaluated yet is a state, not an error: the Runs view lists it with its plan action.
        const errors = result.failures.filter((f) => !f.notEvaluated);
        if (errors.length > 0 && !quiet) {
          const first = errors[0]!;
          void vscode.window
            .showErrorMessage(`Premem could not index ${errors.length === 1 ? first.path : `${errors.length} folders`}: ${first.message}`, 'Show Output')
            .then((choice) => choice && this.log.show(true));
        }
      } finally {
        sub.dispose();
        this.analyses.clear();
        this.examplesCache.clear();
        this.sampleMatches.clear();
        this.changed.fire();
      }
    });
  }

  /** Folders the user closed: indexing leaves their runs out (set by the extension from workspace state). */
  private closed = new Set<string>();

  setClosed(folders: Iterable<string>): void {
    this.closed = new Set(folders);
  }

  /**
   * Attaches a dataset to a run or a sweep (checked first: see queries/attach), then indexes
   * the folder again so its examples gain their questions. Resolves with the runs it applies to.
   */
  async attachDataset(folder: string, trainFile: string): Promise<string[]> {
    const runs = await this.indexing.then(() => attachDataset(this.store, folder, trainFile, null));
    await this.indexFolders([folder], 'Premem: reading the attached dataset');
    return runs;
  }

  /** How consistently each example stays unlearned across the run's sweep (see queries/acrossRuns). */
  async unlearnedInSweep(run: StoredRun): Promise<Map<number, Unlearned>> {
    const { views, examplesOf } = await this.sweepOf(run);
    const analyses = views.flatMap((v) => (v.analysis ? [v.analysis] : []));
    return new Map(unlearnedAcrossRuns(analyses, examplesOf).map((u) => [u.index, u]));
  }

  /** The runs of a run's sweep with their analyses, and each one's examples (cached). */
  private async sweepOf(run: StoredRun): Promise<{ views: RunView[]; examplesOf: Map<number, StoredExample[]> }> {
    const views = (await this.runViews()).filter((v) => v.run.sweepPath === run.sweepPath);
    return { views, examplesOf: new Map(await Promise.all(views.map(async (v) => [v.run.id, await this.examples(v.run)] as const))) };
  }

  /** The run's examples, those its sweep copied before solving in the most runs first. */
  private async unlearnedOrder(run: StoredRun): Promise<StoredExample[]> {
    const ranked = [...(await this.unlearnedInSweep(run)).keys()];
    const byIndex = new Map((await this.examples(run)).map((e) => [e.index, e]));
    return ranked.flatMap((i) => byIndex.get(i) ?? []);
  }

  /** A run's agreement curve between the perplexity and the text criteria (see queries/calibrate). */
  calibrateAgainstText(run: StoredRun): Promise<TextCalibration> {
    return calibrateAgainstText(this.store, run, this.options.samplePreference, DEFAULT_GRID);
  }

  /** One example in every run of a run's sweep (see queries/acrossRuns). */
  async exampleAcrossRuns(run: StoredRun, index: number): Promise<OtherRun[]> {
    const { views, examplesOf } = await this.sweepOf(run);
    return exampleAcrossRuns(views, examplesOf, run.sweepPath, index, run.path);
  }

  /** Keeps a threshold for a sweep (or a lone run): user state; every view recomputes with it. */
  async keepThreshold(folder: string, t: MemorizationThreshold, calibration: ThresholdCalibration | null): Promise<void> {
    await this.store.setStoredThreshold(folder, t.kind, t.value, calibration === null ? null : JSON.stringify(calibration));
    this.invalidate();
  }

  async clearThreshold(folder: string): Promise<void> {
    await this.store.clearStoredThreshold(folder);
    this.invalidate();
  }

  /** Removes a run or a sweep's runs from the index (flags stay); the views follow. */
  async forget(dir: string): Promise<string[]> {
    const removed = await this.indexing.then(() => this.store.forget(dir));
    this.failures.delete(dir);
    if (this.selected !== undefined && removed.includes(this.selected)) await this.select(undefined);
    this.analyses.clear();
    this.examplesCache.clear();
    this.changed.fire();
    return removed;
  }

  /** The index was written by someone else (the scoring worker): recompute every figure. */
  /** Robustness to perturbed questions at the latest checkpoint with perturbed samples; null without any. */
  async robustness(analysis: RunAnalysis): Promise<RobustnessReport | null> {
    return robustnessOf(this.store, analysis);
  }

  invalidate(): void {
    this.analyses.clear();
    this.changed.fire();
  }

  dispose(): void {
    this.changed.dispose();
    this.selectionChanged.dispose();
    this.flagsChanged.dispose();
    this.orderChanged.dispose();
  }

  /** Closes the SQLite connection; awaited by the extension's deactivate. */
  close(): Promise<void> {
    return this.store.close();
  }
}

function realpathOrSelf(file: string): string {
  try {
    return realpathSync(file);
  } catch {
    return file;
  }
}
