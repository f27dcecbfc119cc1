import * as path from 'node:path';
import { NOT_EVALUATED } from '../ingest/values';

const NOT_EVALUATED_PREFIX = NOT_EVALUATED.split(':')[0]!;
import * as vscode from 'vscode';
import type { LinearFit } from '../core/fit';
import { describeThreshold } from '../core/threshold';
import { forecasts, unfinishedText, type Forecast } from '../queries/forecast';
import { predictTest, summarizeRun, type SweepModel } from '../queries/runSummary';
import type { RunFailure } from '../store/indexInWorker';
import type { SkippedCheckpoint } from '../store/indexStore';
import { describeThresholdOrigin, distinguishingNames, num, pct, plusMinus, sentenceStart } from '../present/format';
import type { AnalysedCheckpoint, RunView } from '../queries/runAnalysis';
import type { IndexService } from './indexService';
import { appendUntrusted } from './markdown';

type Node =
  | { readonly kind: 'sweep'; readonly sweep: string; readonly runs: readonly RunView[]; readonly model: SweepModel | undefined }
  | { readonly kind: 'run'; readonly view: RunView; readonly model: SweepModel | undefined; readonly short: string; readonly forecast: Forecast | undefined }
  | { readonly kind: 'checkpoint'; readonly view: RunView; readonly checkpoint: AnalysedCheckpoint; readonly model: SweepModel | undefined }
  | { readonly kind: 'skipped'; readonly view: RunView; readonly skipped: SkippedCheckpoint }
  | { readonly kind: 'failure'; readonly failure: RunFailure }
  | { readonly kind: 'waiting'; readonly failure: RunFailure; readonly step: number };

/** Sweeps -> runs -> checkpoints, with each level's figures in its description and tooltip. */
export class RunsView implements vscode.TreeDataProvider<Node>, vscode.Disposable {
  private readonly emitter = new vscode.EventEmitter<Node | undefined>();
  readonly onDidChangeTreeData = this.emitter.event;
  private readonly subscriptions: vscode.Disposable[];

  constructor(private readonly index: IndexService) {
    this.subscriptions = [index.onDidChange(() => this.emitter.fire(undefined)), index.onDidChangeSelection(() => this.emitter.fire(undefined))];
  }

  async getChildren(node?: Node): Promise<Node[]> {
    if (!node) {
      const views = await this.index.runViews();
      const models = await this.index.sweepModels(views);
      const sweeps = new Map<string, RunView[]>();
      for (const v of views) sweeps.set(v.run.sweepPath, [...(sweeps.get(v.run.sweepPath) ?? []), v]);
      const failures: Node[] = this.index.runFailures().map((failure) => ({ kind: 'failure', failure }));
      // Sweeps by name (where their folders sit is not what users scan for); failures last:
      // they appear when indexing ends, and must not shift the rows above.
      const ordered = [...sweeps].sort(([a], [b]) => path.basename(a).localeCompare(path.basename(b)) || a.localeCompare(b));
      return [...ordered.map(([sweep, runs]): Node => ({ kind: 'sweep', sweep, runs, model: models.get(sweep) })), ...failures];
    }
    if (node.kind === 'sweep') {
      const short = distinguishingNames(node.runs.map((v) => v.run.name));
      const forecast = forecasts(node.runs.flatMap((v) => (v.analysis ? [v.analysis] : [])));
      return node.runs.map((view, i) => ({ kind: 'run', view, model: node.model, short: short[i]!, forecast: forecast.get(view.run.path) }));
    }
    if (node.kind === 'failure' && node.failure.notEvaluated) {
      const failure = node.failure;
      return failure.notEvaluated!.map((step): Node => ({ kind: 'waiting', failure, step }));
    }
    if (node.kind === 'run') {
      const checkpoints: Node[] = (node.view.analysis?.checkpoints ?? []).map((checkpoint) => ({ kind: 'checkpoint', view: node.view, checkpoint, model: node.model }));
      const skipped: Node[] = (node.view.analysis?.skipped ?? []).map((skipped) => ({ kind: 'skipped', view: node.view, skipped }));
      // In step order, the unreadable ones where they would be.
      const stepOf = (n: Node) => (n.kind === 'checkpoint' ? n.checkpoint.step : n.kind === 'skipped' ? n.skipped.step : 0);
      return [...checkpoints, ...skipped].sort((a, b) => stepOf(a) - stepOf(b));
    }
    return [];
  }

  getTreeItem(node: Node): vscode.TreeItem {
    switch (node.kind) {
      case 'sweep':
        return this.sweepItem(node.sweep, node.runs, node.model);
      case 'run':
        return this.runItem(node.view, node.model, node.short, node.forecast);
      case 'checkpoint':
        return this.checkpointItem(node.view, node.checkpoint, node.model);
      case 'skipped': {
        const item = new vscode.TreeItem(`step ${node.skipped.step}`);
        item.id = `skipped:${node.view.run.path}:${node.skipped.step}`;
        if (node.skipped.reason.startsWith(NOT_EVALUATED_PREFIX)) {
          // A Trainer checkpoint nothing has evaluated yet: offer the plan, not a warning.
          item.description = 'not evaluated';
          item.iconPath = new vscode.ThemeIcon('circle-large-outline');
          item.tooltip = `step ${node.skipped.step} has model files but no samples yet. Click to plan its evaluation with lm-evaluation-harness (premem plan lm-eval).`;
          item.command = { command: 'premem.planEvaluation', title: 'Plan Evaluation with lm-evaluation-harness…', arguments: [node.view.run.path] };
          item.contextValue = 'notEvaluatedCheckpoint';
          return item;
        }
        item.description = `not read: ${path.basename(node.skipped.file)}`;
        item.iconPath = new vscode.ThemeIcon('warning', new vscode.ThemeColor('list.warningForeground'));
        const md = new vscode.MarkdownString();
        md.appendMarkdown(`**step ${node.skipped.step} could not be read**; the run's figures are over its other checkpoints.\n\n`);
        appendUntrusted(md, `${node.skipped.file}: ${node.skipped.reason}`);
        item.tooltip = md;
        return item;
      }
      case 'waiting': {
        const item = new vscode.TreeItem(`step ${node.step}`);
        item.id = `waiting:${node.failure.path}:${node.step}`;
        item.description = 'not evaluated';
        item.iconPath = new vscode.ThemeIcon('circle-large-outline');
        item.tooltip = `step ${node.step} has model files but no samples yet. Click to plan the run's evaluation with lm-evaluation-harness (premem plan lm-eval).`;
        item.command = { command: 'premem.planEvaluation', title: 'Plan Evaluation with lm-evaluation-harness…', arguments: [node.failure.path] };
        item.contextValue = 'notEvaluatedCheckpoint';
        return item;
      }
      case 'failure': {
        if (node.failure.notEvaluated) {
          // A fresh Trainer run: weights, no samples yet. Its row plans the evaluation.
          const n = node.failure.notEvaluated.length;
          const item = new vscode.TreeItem(path.basename(node.failure.path), vscode.TreeItemCollapsibleState.Collapsed);
          item.id = `waiting:${node.failure.path}`;
          item.description = `not evaluated · ${n} checkpoint${n === 1 ? '' : 's'}`;
          item.iconPath = new vscode.ThemeIcon('circle-large-outline');
          item.tooltip = `${node.failure.path}\n\n${n} checkpoint${n === 1 ? '' : 's'} with model files and no samples yet. Plan Evaluation… (on this row's menu, or a checkpoint's) writes the lm-evaluation-harness tasks and scripts that evaluate them.`;
          item.contextValue = 'notEvaluated';
          return item;
        }
        const item = new vscode.TreeItem(path.basename(node.failure.path));
        item.id = `failure:${node.failure.path}`;
        item.description = 'could not index';
        item.iconPath = new vscode.ThemeIcon('error', new vscode.ThemeColor('list.errorForeground'));
        item.tooltip = node.failure.message;
        item.contextValue = 'failure';
        item.command = { command: 'premem.showOutput', title: 'Show Output' };
        return item;
      }
    }
  }

  private sweepItem(sweep: string, runs: readonly RunView[], model: SweepModel | undefined): vscode.TreeItem {
    const item = new vscode.TreeItem(path.basename(sweep), vscode.TreeItemCollapsibleState.Expanded);
    item.id = `sweep:${sweep}`;
    item.iconPath = new vscode.ThemeIcon('folder-library');
    const fit: LinearFit | undefined = model?.withheld === null ? model.fit : undefined;
    item.description = `${runs.length} run${runs.length === 1 ? '' : 's'}${fit?.r2 != null ? ` · R² ${num(fit.r2)}` : ''}`;
    const md = new vscode.MarkdownString();
    appendUntrusted(md, sweep);
    if (model?.withheld) {
      md.appendMarkdown(`\n\nNo fit and no predictions: it ${model.withheld}.`);
    } else if (fit?.slope != null) {
      md.appendMarkdown(
        `\n\nTest accuracy ≈ ${num(fit.slope)} × pre-memorization accuracy ${fit.intercept! < 0 ? '−' : '+'} ${num(Math.abs(fit.intercept!))}  \nR² = ${num(fit.r2)} over ${fit.points} checkpoints`,
      );
    } else {
      md.appendMarkdown(`\n\nNo fit: it needs two or more checkpoints with test accuracy (have ${fit?.points ?? 0}).`);
    }
    item.tooltip = md;
    item.contextValue = 'sweep';
    return item;
  }

  private runItem(view: RunView, model: SweepModel | undefined, short: string, forecast: Forecast | undefined): vscode.TreeItem {
    const { run, analysis } = view;
    const selected = run.path === this.index.selectedRunPath;
    const item = new vscode.TreeItem(run.name, vscode.TreeItemCollapsibleState.Collapsed);
    item.id = `run:${run.path}`;
    item.contextValue = 'run';
    item.command = { command: 'premem.selectRun', title: 'Select Run', arguments: [run.path] };
    item.resourceUri = vscode.Uri.file(run.path);
    if (!analysis) {
      item.iconPath = new vscode.ThemeIcon('warning', new vscode.ThemeColor('list.warningForeground'));
      item.description = 'no figures';
      item.tooltip = view.error ?? '';
      return item;
    }
    const s = summarizeRun(analysis, model);
    const measured = s.finalTestAccuracy !== null ? ` · test ${num(s.finalTestAccuracy)}` : '';
    const predicted = s.predictedTestAccuracy !== null ? ` · predicted ${num(s.predictedTestAccuracy)}${plusMinus(s.predictedInterval)}` : '';
    // Unfinished: where its final test accuracy is heading, from its sweep's finished runs; right
    // after the metric, so that a narrow sidebar keeps it.
    const heading = forecast?.kind === 'forecast' ? ` · final ≈ ${num(forecast.value)}${forecast.band === null ? '' : ` ± ${num(forecast.band)}`}` : '';
    // In the label what tells the run apart in its sweep and its figures; the full name in the
    // description: run names are long (gsm8k_orig_3epochs_full_lr2e-05_bs128) and a narrow
    // sidebar should cut the name, not the numbers.
    item.label = `${short === run.name ? '' : `${short} · `}premem ${num(s.finalPreMemorization)}${heading}${measured}${predicted}`;
    // A checkpoint left out (a damaged file) shows on the collapsed row too, not only inside it.
    const skipped = analysis.skipped.length;
    // A folder of samples drawn from another run says which: it is that training run, not another.
    const source = run.sampledFrom ? `samples of ${path.basename(run.sampledFrom)} · ` : '';
    if (run.sampledFrom) item.contextValue = 'runSampled';
    item.description = `${skipped ? `${skipped} checkpoint${skipped === 1 ? '' : 's'} skipped · ` : ''}${source}${run.name}`;
    item.iconPath = skipped
      ? new vscode.ThemeIcon('warning', new vscode.ThemeColor('list.warningForeground'))
      : new vscode.ThemeIcon(selected ? 'pass-filled' : 'beaker', selected ? new vscode.ThemeColor('charts.blue') : undefined);
    const md = new vscode.MarkdownString();
    md.appendMarkdown(`**`);
    appendUntrusted(md, run.name);
    md.appendMarkdown(`**${selected ? ' (selected)' : ''}\n\n`);
    if (run.sampledFrom) {
      md.appendMarkdown('Samples drawn from the training run ');
      appendUntrusted(md, run.sampledFrom);
      md.appendMarkdown(' (in a folder of their own, so that its sweep counts that run once; right-click: *Show the Run These Samples Came From*).\n\n');
    }
    md.appendMarkdown(
      `| | |\n|---|---:|\n| examples | ${analysis.metrics.examples} |\n| checkpoints | ${analysis.checkpoints.length} |\n` +
        `| final pre-memorization accuracy | ${num(s.finalPreMemorization)} |\n| final train accuracy | ${num(s.finalTrainAccuracy)} |\n` +
        `| final test accuracy | ${num(s.finalTestAccuracy)} |\n| predicted test accuracy (sweep fit) | ${num(s.predictedTestAccuracy)} |\n` +
        (s.predictedInterval ? `| 95% prediction interval | ${num(s.predictedInterval.low)} – ${num(s.predictedInterval.high)} |\n` : ''),
    );
    if (forecast?.kind === 'forecast')
      md.appendMarkdown(
        `\n**${sentenceStart(unfinishedText(forecast))}.** Final test accuracy forecast: **${num(forecast.value)}**${forecast.band === null ? '' : ` ± ${num(forecast.band)}`}, from the ${forecast.runs} finished runs of its sweep after ${forecast.checkpoints} checkpoints (± is how far such forecasts missed on them, leave one run out).\n`,
      );
    else if (forecast?.kind === 'none') md.appendMarkdown(`\n${sentenceStart(unfinishedText(forecast))}: ${forecast.reason}.\n`);
    const t = describeThreshold(analysis.threshold);
    md.appendMarkdown(`\nMemorized: ppl < ${num(t.perplexity)}, ${describeThresholdOrigin(analysis.threshold, analysis.thresholdOrigin)}`);
    if (analysis.skipped.length > 0) md.appendMarkdown(`\n\n${analysis.skipped.length} checkpoint(s) could not be read and are left out (see the rows below).`);
    item.tooltip = md;
    return item;
  }

  private checkpointItem(view: RunView, c: AnalysedCheckpoint, model: SweepModel | undefined): vscode.TreeItem {
    const item = new vscode.TreeItem(`step ${c.step}`);
    item.id = `checkpoint:${view.run.path}:${c.step}`;
    item.iconPath = new vscode.ThemeIcon('milestone');
    const s = c.summary;
    // No test evaluation at this checkpoint: say what the sweep's line predicts, marked as such.
    const p = c.testAccuracy === null ? predictTest(model, s.preMemorizationAccuracy) : null;
    const test = c.testAccuracy !== null ? `test ${num(c.testAccuracy)}` : p?.value != null ? `test ≈ ${num(p.value)}${plusMinus(p.interval)} (predicted)` : 'test –';
    item.description = `${c.deletedOnDisk ? 'deleted on disk · ' : ''}train ${num(s.trainAccuracy)} · premem ${num(s.preMemorizationAccuracy)} · ${test} · memorized ${pct(s.memorizedFraction)}`;
    if (c.deletedOnDisk) item.iconPath = new vscode.ThemeIcon('trash');
    const md = new vscode.MarkdownString();
    md.appendMarkdown(
      `**step ${c.step}**${c.epoch !== null ? ` · epoch ${num(c.epoch, 2)}` : ''}\n\n| | |\n|---|---:|\n` +
        `| train accuracy | ${num(s.trainAccuracy)} |\n| pre-memorization accuracy | ${num(s.preMemorizationAccuracy)} |\n` +
        `| test accuracy | ${c.testAccuracy !== null ? num(c.testAccuracy) : p?.value != null ? `${num(p.value)} predicted${p.interval ? ` (95%: ${num(p.interval.low)} – ${num(p.interval.high)})` : ''}` : '–'} |\n| memorized fraction | ${num(s.memorizedFraction)} |\n` +
        (c.trainLoss !== null ? `| training loss | ${num(c.trainLoss)} |\n` : ''),
    );
    md.appendMarkdown('\nSample sets: ');
    appendUntrusted(md, `train ${c.trainSet} (${c.trainSamplesPerQuestion} per question), test ${c.testSet ?? 'none'}`);
    item.tooltip = md;
    return item;
  }

  dispose(): void {
    this.emitter.dispose();
    for (const s of this.subscriptions) s.dispose();
  }
}
