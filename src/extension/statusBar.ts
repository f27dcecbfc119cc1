import * as vscode from 'vscode';
import { summarizeRun } from '../queries/runSummary';
import { num, plusMinus } from '../present/format';
import type { IndexService } from './indexService';
import { appendUntrusted } from './markdown';

/** The selected run at a glance: final pre-memorization accuracy and (predicted) test accuracy. */
export class RunStatusBar implements vscode.Disposable {
  private readonly item = vscode.window.createStatusBarItem('premem.selectedRun', vscode.StatusBarAlignment.Left, 50);
  private readonly subscriptions: vscode.Disposable[];

  constructor(private readonly index: IndexService) {
    this.item.name = 'Premem: selected run';
    this.item.command = 'workbench.view.extension.premem';
    this.subscriptions = [index.onDidChange(() => void this.update()), index.onDidChangeSelection(() => void this.update())];
    void this.update();
  }

  private async update(): Promise<void> {
    const run = await this.index.selectedRun();
    if (!run) {
      this.item.hide();
      return;
    }
    try {
      const analysis = await this.index.analysis(run);
      const s = summarizeRun(analysis, (await this.index.sweepModels()).get(run.sweepPath));
      const predicted = s.predictedTestAccuracy === null ? '' : ` · test ≈${num(s.predictedTestAccuracy, 2)}${plusMinus(s.predictedInterval, 2)}`;
      this.item.text = `$(beaker) premem ${num(s.finalPreMemorization, 2)}${predicted}`;
      const md = new vscode.MarkdownString();
      appendUntrusted(md, run.name);
      md.appendMarkdown(
        `\n\nFinal pre-memorization accuracy: **${num(s.finalPreMemorization)}**  \nPredicted test accuracy (sweep fit): **${num(s.predictedTestAccuracy)}**` +
          (s.predictedInterval ? ` (95% prediction interval ${num(s.predictedInterval.low)} – ${num(s.predictedInterval.high)})` : '') +
          `  \n` +
          `Measured test accuracy: ${num(s.finalTestAccuracy)}\n\nClick to open the Premem views.`,
      );
      this.item.tooltip = md;
    } catch (e) {
      this.item.text = `$(warning) premem: ${run.name}`;
      this.item.tooltip = (e as Error).message;
    }
    this.item.show();
  }

  dispose(): void {
    this.item.dispose();
    for (const s of this.subscriptions) s.dispose();
  }
}
