import { existsSync } from 'node:fs';
import * as path from 'node:path';
import * as vscode from 'vscode';
import { writeExampleSweep } from '../../example/exampleSweep';
import type { CommandContext, Handler } from './context';
import type { CommandHelpers } from './helpers';

/** Opening, refreshing, closing and selecting runs and sweeps, and the datasets they read. */
export type RunCommandId =
  | 'premem.openRun'
  | 'premem.openExampleSweep'
  | 'premem.refresh'
  | 'premem.closeRun'
  | 'premem.showOutput'
  | 'premem.selectRun'
  | 'premem.attachDataset'
  | 'premem.revealSourceRun';

export function runCommands(ctx: CommandContext, helpers: CommandHelpers): Record<RunCommandId, Handler> {
  const { index } = ctx;
  const { pickRun } = helpers;
  return {
    'premem.openRun': async () => {
      const picked = await vscode.window.showOpenDialog({ canSelectFolders: true, canSelectFiles: false, canSelectMany: false, openLabel: 'Open Run or Sweep' });
      if (picked?.[0]) await ctx.openFolder(picked[0].fsPath);
    },
    'premem.openExampleSweep': async () => {
      // The sweep `premem example` writes: three small runs made up to show the metric, in the
      // layouts real runs use. Written once into the extension's own storage, then opened.
      const dir = writeExampleSweep(ctx.exampleSweepDir);
      await ctx.openFolder(dir);
      const runs = (await index.runs()).filter((r) => r.sweepPath === dir);
      const fast = runs.find((r) => r.name === 'example_3epochs_lr2e-04') ?? runs[0];
      if (fast) await index.select(fast.path);
      await vscode.commands.executeCommand('workbench.view.extension.premem');
      const next = await vscode.window.showInformationMessage(
        `Premem: the example sweep is open: ${runs.length} runs made up to show the metric (not a real model). Its fit is in the dashboard; its least-learned examples are at the top of the Examples view.`,
        'Show Dashboard',
      );
      if (next) await vscode.commands.executeCommand('premem.showDashboard');
    },
    'premem.refresh': () => ctx.reindexAll(),
    'premem.closeRun': async (arg?: unknown) => {
      // From the Runs view's context menu: a sweep, a run or a run that failed to index.
      const node = arg as { kind?: unknown; sweep?: unknown; view?: { run?: { path?: unknown } }; failure?: { path?: unknown } } | undefined;
      const folder = node?.kind === 'sweep' ? node.sweep : node?.kind === 'run' ? node.view?.run?.path : node?.kind === 'failure' ? node.failure?.path : undefined;
      let target = typeof folder === 'string' ? folder : undefined;
      if (!target) {
        const run = await pickRun('Close which run?');
        target = run?.path;
      }
      if (!target) return;
      const removed = await ctx.closeFolder(target);
      void vscode.window.showInformationMessage(
        `Premem: closed ${path.basename(target)}${removed.length > 1 ? ` (${removed.length} runs)` : ''}. Its flags are kept; Open Run or Sweep… brings it back.`,
      );
    },
    'premem.showOutput': () => ctx.log.show(true),
    'premem.selectRun': async (runPath?: unknown) => {
      if (typeof runPath === 'string') return index.select(runPath);
      const runs = await index.runs();
      const pick = await vscode.window.showQuickPick(
        runs.map((r) => ({ label: r.name, description: r.sweepPath, run: r })),
        { placeHolder: 'Select a run' },
      );
      if (pick) await index.select(pick.run.path);
    },
    'premem.revealSourceRun': async (arg?: unknown) => {
      // From a folder of samples (premem sample --out, or Sample Checkpoints into a new folder):
      // the training run it was drawn from, selected; opened first where it is not yet.
      const node = arg as { kind?: unknown; view?: { run?: { path?: unknown } } } | undefined;
      const own = node?.kind === 'run' && typeof node.view?.run?.path === 'string' ? await index.runByPath(node.view.run.path) : undefined;
      const from = own?.sampledFrom;
      if (!from) return;
      if (!(await index.runByPath(from))) {
        if (!existsSync(from)) {
          void vscode.window.showErrorMessage(`Premem: ${own.name} was sampled from ${from}, which is no longer there.`);
          return;
        }
        await ctx.openFolder(from);
      }
      if (await index.runByPath(from)) await index.select(from);
      await vscode.commands.executeCommand('workbench.view.extension.premem');
    },
    'premem.attachDataset': async (arg?: unknown) => {
      // From a run's context menu, that run; from a sweep's, its runs; from the palette, the selected one (or ask).
      const node = arg as { kind?: unknown; view?: { run?: { path?: unknown } }; sweep?: unknown; runs?: readonly { run?: { path?: unknown } }[] } | undefined;
      const fromSweep = node?.kind === 'sweep' && typeof node.runs?.[0]?.run?.path === 'string' ? await index.runByPath(node.runs[0].run.path) : undefined;
      const fromMenu = node?.kind === 'run' && typeof node.view?.run?.path === 'string' ? await index.runByPath(node.view.run.path) : fromSweep;
      const run = fromMenu ?? (await pickRun('Attach a dataset file to which run?'));
      if (!run) return;
      const sweepRuns = (await index.runs()).filter((r) => r.sweepPath === run.sweepPath);
      const scope = fromSweep
        ? { folder: run.sweepPath }
        : sweepRuns.length > 1
          ? await vscode.window.showQuickPick(
              [
                { label: `All ${sweepRuns.length} runs of ${path.basename(run.sweepPath)}`, folder: run.sweepPath },
                { label: `Only ${run.name}`, folder: run.path },
              ],
              { placeHolder: 'Which runs read this dataset?' },
            )
          : { folder: run.path };
      if (!scope) return;
      const picked = await vscode.window.showOpenDialog({
        title: 'Training set (JSONL: {"question", "answer"} per line, in dataset order)',
        canSelectMany: false,
        filters: { 'JSON Lines': ['jsonl'] },
        openLabel: 'Attach as Training Set',
      });
      const file = picked?.[0]?.fsPath;
      if (!file) return;
      const runs = await index.attachDataset(scope.folder, file);
      ctx.log.appendLine(`attached ${file} to ${runs.join(', ')}`);
      void vscode.window.showInformationMessage(
        `Premem: attached ${path.basename(file)} to ${runs.length} run${runs.length === 1 ? '' : 's'}; questions and references now show everywhere.`,
      );
    },
  };
}
