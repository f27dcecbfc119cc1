import { firstBytes, writeOwnedFile } from '../../output/ownedFiles';
import { flagsFileFor } from '../../store/schema';
import * as path from 'node:path';
import * as vscode from 'vscode';
import { describeThreshold, type MemorizationThreshold, type ThresholdCalibration } from '../../core/threshold';
import {
  DASHBOARD_PARAMS,
  DASHBOARD_VIEW_TYPE,
  type CalibrationView,
  type DashboardData,
  type DashboardMethods,
  type DashboardNotifications,
  type TextCalibrationView,
} from '../../protocol/dashboard';
import { calibrationView, dashboardFigures, lowestExamples } from '../../queries/dashboard';
import { robustnessView } from '../../queries/robustness';
import { finiteOrNull } from '../../queries/report';
import { sliceFields, sliceRun } from '../../queries/slices';
import type { IndexService } from '../indexService';
import { PanelHost, type HostedPanel } from './panelHost';
import type { Handlers } from './rpcHost';

const LOWEST_COUNT = 12;

interface DashboardState {
  /** A threshold tried in the panel; undefined follows the settings. */
  threshold: MemorizationThreshold | undefined;
  /** The checkpoint picked in the panel, and the run it belongs to. */
  selectedStep: { readonly runPath: string; readonly step: number } | null;
  /** The runs sent in the last data: the only paths the webview may name. */
  known: Set<string>;
  /** The last calibration of each sweep, so "Use −2.5 for this sweep" keeps what was shown. */
  calibrations: Map<string, CalibrationView>;
  /** The last text calibration of each run, likewise. */
  textCalibrations: Map<string, TextCalibrationView>;
}

type Panel = HostedPanel<DashboardState, DashboardMethods, DashboardNotifications>;

const fresh = (): DashboardState => ({ threshold: undefined, selectedStep: null, known: new Set(), calibrations: new Map(), textCalibrations: new Map() });

/**
 * The run dashboard: curves per run, the sweep scatter with its fit, and a threshold control
 * that recomputes every figure from the arrays already loaded from the index.
 */
export class DashboardPanel implements vscode.Disposable {
  private readonly host: PanelHost<DashboardState, DashboardMethods, DashboardNotifications>;
  private readonly subscriptions: vscode.Disposable[];

  constructor(
    private readonly index: IndexService,
    extensionUri: vscode.Uri,
    log: vscode.OutputChannel,
  ) {
    this.host = new PanelHost<DashboardState, DashboardMethods, DashboardNotifications>(
      {
        viewType: DASHBOARD_VIEW_TYPE,
        entry: 'dashboard',
        title: 'Premem Dashboard',
        column: vscode.ViewColumn.Active,
        validators: DASHBOARD_PARAMS,
        supersedes: ['ready', 'setThreshold', 'resetThreshold', 'keepThreshold', 'clearThreshold', 'keepTextThreshold'],
        firstRequest: 'ready',
        restore: () => fresh(),
        handlers: (p) => this.handlers(p),
        update: async (p) => ({ method: 'data', params: await this.data(p.state) }),
      },
      extensionUri,
      log,
    );
    const refresh = () => void this.host.refresh();
    this.subscriptions = [index.onDidChange(refresh), index.onDidChangeSelection(refresh)];
  }

  show(): Promise<void> {
    return this.host.reveal(fresh);
  }

  private handlers(p: Panel): Handlers<DashboardMethods> {
    const requireKnown = (runPath: string) => {
      if (!p.state.known.has(runPath)) throw new Error(`the dashboard does not show ${runPath}`);
    };
    const requireSweep = (sweepPath: string) => {
      if (![...p.state.known].some((r) => path.dirname(r) === sweepPath)) throw new Error(`the dashboard does not show ${sweepPath}`);
    };
    return {
      ready: () => this.data(p.state),
      setThreshold: async ({ form, value }) => {
        if (form === 'perplexity' && value <= 1) throw new RangeError('a perplexity threshold must be above 1');
        p.state.threshold = { kind: form, value };
        return this.data(p.state);
      },
      resetThreshold: async () => {
        p.state.threshold = undefined;
        return this.data(p.state);
      },
      select: async ({ runPath, step }) => {
        requireKnown(runPath);
        p.state.selectedStep = step === null ? null : { runPath, step };
        await this.index.select(runPath);
        const run = await this.index.runByPath(runPath);
        if (!run) return [];
        return lowestExamples(await this.index.analysis(run), await this.index.examples(run), LOWEST_COUNT);
      },
      showExample: async ({ runPath, index }) => {
        requireKnown(runPath);
        await vscode.commands.executeCommand('premem.showExample', { runPath, index });
        return null;
      },
      slices: async ({ runPath, by }) => {
        requireKnown(runPath);
        const run = await this.index.runByPath(runPath);
        if (!run) throw new Error(`${runPath} is not indexed`);
        const [analysis, examples] = await Promise.all([this.index.analysis(run), this.index.examples(run)]);
        const fields = sliceFields(examples);
        const chosen = by !== null && fields.includes(by) ? by : (fields[0] ?? null);
        const slices = chosen === null ? [] : sliceRun(analysis, examples, chosen);
        return {
          runPath,
          fields,
          by: chosen,
          slices: slices.map((x) => ({ ...x, preMemorizationAccuracy: finiteOrNull(x.preMemorizationAccuracy), trainAccuracy: finiteOrNull(x.trainAccuracy) })),
        };
      },
      calibrate: async ({ sweepPath }) => {
        const t0 = performance.now();
        if (this.index.analysisOptions.memorization?.kind === 'text') {
          throw new Error('calibration chooses a perplexity threshold; set premem.memorization.criterion to "perplexity" first');
        }
        const analyses = (await this.index.runViews()).flatMap((v) => (v.analysis && v.run.sweepPath === sweepPath && p.state.known.has(v.run.path) ? [v.analysis] : []));
        if (analyses.length === 0) throw new Error(`the dashboard does not show ${sweepPath}`);
        const view = { ...calibrationView(sweepPath, analyses), computeMs: performance.now() - t0 };
        p.state.calibrations.set(sweepPath, view);
        return view;
      },
      keepThreshold: async ({ sweepPath, calibrated }) => {
        requireSweep(sweepPath);
        const tried = p.state.threshold;
        // The kept threshold is what the figures use now, not a trial any more. Cleared before
        // the write: the index's change event redraws the panel while the write lands, and that
        // redraw must not show the old trial after this answer.
        p.state.threshold = undefined;
        if (calibrated) {
          const c = p.state.calibrations.get(sweepPath);
          if (!c?.best) throw new Error('calibrate this sweep first');
          const calibration: ThresholdCalibration = { method: 'leave-one-run-out', runs: c.runs, heldOutRmse: c.best.heldOutRmse };
          await this.index.keepThreshold(sweepPath, { kind: 'loglog', value: c.best.threshold }, calibration);
        } else {
          if (!tried) throw new Error('try a threshold first (the control above), then keep it');
          await this.index.keepThreshold(sweepPath, tried, null);
        }
        return this.data(p.state);
      },
      calibrateText: async ({ runPath }) => {
        requireKnown(runPath);
        const run = await this.index.runByPath(runPath);
        if (!run) throw new Error(`${runPath} is not indexed`);
        const c = await this.index.calibrateAgainstText(run);
        const view: TextCalibrationView = {
          runPath,
          copyRate: c.copyRate,
          scores: c.scores.map((s) => ({ threshold: s.threshold, agreement: finiteOrNull(s.agreement), kappa: finiteOrNull(s.kappa), f1: finiteOrNull(s.f1) })),
          best: c.best,
          copies: c.copies,
          tooFewCopies: c.too_few_copies ?? null,
        };
        p.state.textCalibrations.set(runPath, view);
        return view;
      },
      keepTextThreshold: async ({ runPath }) => {
        requireKnown(runPath);
        const c = p.state.textCalibrations.get(runPath);
        if (!c?.best) throw new Error('calibrate this run against its texts first');
        p.state.threshold = undefined; // before the write, as in keepThreshold
        await this.index.keepThreshold(runPath, { kind: 'loglog', value: c.best.threshold }, { method: 'text', runs: 1, agreement: c.best.agreement, kappa: c.best.kappa });
        return this.data(p.state);
      },
      clearThreshold: async ({ sweepPath }) => {
        requireSweep(sweepPath);
        p.state.threshold = undefined; // "Use the Default" ends a trial too: the default is what shows
        await this.index.clearThreshold(sweepPath);
        return this.data(p.state);
      },
      saveChart: async ({ name, format, data }) => {
        const safe = name.replace(/[^\w.-]+/g, '-').slice(0, 80) || 'chart';
        const folder = vscode.workspace.workspaceFolders?.[0]?.uri;
        const target = await vscode.window.showSaveDialog({
          defaultUri: folder ? vscode.Uri.joinPath(folder, `${safe}.${format}`) : undefined,
          filters: format === 'svg' ? { 'SVG image': ['svg'] } : { 'PNG image': ['png'] },
          title: `Save chart as ${format.toUpperCase()}`,
        });
        if (!target) return null;
        const bytes = format === 'svg' ? Buffer.from(data, 'utf8') : Buffer.from(data.replace(/^data:image\/png;base64,/, ''), 'base64');
        if (format === 'png' && !bytes.subarray(0, 8).equals(Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]))) throw new Error('the chart is not a PNG image');
        if (format === 'svg' && !/^<svg[\s>]/.test(data)) throw new Error('the chart is not an SVG image');
        // The save dialog asked before replacing; the one write rule still keeps a chart from
        // landing on anything but an earlier chart (never a dataset, the index or the flags).
        writeOwnedFile({
          path: target.fsPath,
          text: bytes,
          writer: 'Premem chart export',
          isOwn: (p) => /^(<svg[\s>]|\x89PNG)/.test(firstBytes(p, 8) ?? '') || firstBytes(p, 1) === '',
          force: true,
          protectedPaths: [
            { path: this.index.dbFile, what: 'the Premem index' },
            { path: flagsFileFor(this.index.dbFile), what: 'the flags database' },
          ],
        });
        return target.fsPath;
      },
    };
  }

  private async data(state: DashboardState): Promise<DashboardData> {
    const t0 = performance.now();
    const options = this.index.analysisOptions;
    const criterion = options.memorization ?? { kind: 'perplexity' as const };
    // A threshold tried in the panel only applies to the perplexity criterion.
    const threshold = criterion.kind === 'perplexity' && state.threshold ? state.threshold : options.threshold;
    const views = threshold === options.threshold ? await this.index.runViews() : await this.index.runViewsAt(threshold);
    const figures = dashboardFigures(views);
    const sweeps = figures.sweeps;
    // Robustness needs the perturbed samples' rows: one small query per run that has some.
    const runs = await Promise.all(
      figures.runs.map(async (r, i) => {
        const a = views[i]!.analysis;
        const report = a ? await this.index.robustness(a).catch(() => null) : null;
        return report ? { ...r, robustness: robustnessView(report) } : r;
      }),
    );
    state.known = new Set(runs.map((r) => r.path));
    const t = describeThreshold(threshold);
    const selectedPath = this.index.selectedRunPath;
    return {
      threshold: { form: t.kind, value: t.value, perplexity: t.perplexity, loglog: t.loglog },
      criterion,
      thresholdSource: threshold === options.threshold ? 'settings' : 'panel',
      runs,
      sweeps,
      selected:
        selectedPath && state.known.has(selectedPath) ? { runPath: selectedPath, step: state.selectedStep?.runPath === selectedPath ? state.selectedStep.step : null } : null,
      computeMs: performance.now() - t0,
    };
  }

  dispose(): void {
    this.host.dispose();
    for (const s of this.subscriptions) s.dispose();
  }
}
