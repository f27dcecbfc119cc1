import * as path from 'node:path';
import * as vscode from 'vscode';
import type { CommandContext, Handler } from './context';
import type { CommandHelpers } from './helpers';

/** The example panel, the dashboard, a run's data map and a sweep's table. */
export type PanelCommandId = 'premem.showExample' | 'premem.showDashboard' | 'premem.showDataMap' | 'premem.showSweepTable';

/** The run or sweep a Runs view row stands for (the row is the command's argument from its menu). */
function rowOf(arg: unknown): { run?: string; sweep?: string } {
  const node = arg as { kind?: unknown; view?: { run?: { path?: unknown; sweepPath?: unknown } }; sweep?: unknown } | undefined;
  if (node?.kind === 'run' && typeof node.view?.run?.path === 'string')
    return { run: node.view.run.path, sweep: typeof node.view.run.sweepPath === 'string' ? node.view.run.sweepPath : undefined };
  if (node?.kind === 'sweep' && typeof node.sweep === 'string') return { sweep: node.sweep };
  return {};
}

export function panelCommands(ctx: CommandContext, helpers: CommandHelpers): Record<PanelCommandId, Handler> {
  const { targetOf, pickRun } = helpers;
  return {
    'premem.showExample': async (arg?: unknown) => {
      const target = await targetOf(arg, 'Open an example of which run?');
      if (target) await ctx.examplePanel.show(target);
    },
    'premem.showDashboard': () => ctx.dashboard.show(),
    'premem.showDataMap': async (arg?: unknown) => {
      const runPath = rowOf(arg).run ?? (await pickRun('Show the data map of which run?'))?.path;
      if (runPath) await ctx.dataMap.show(runPath);
    },
    'premem.showSweepTable': async (arg?: unknown) => {
      let sweep = rowOf(arg).sweep;
      if (!sweep) {
        // The selected run's sweep; else ask among the sweeps indexed.
        const runs = await ctx.index.runs();
        sweep = (await ctx.index.selectedRun())?.sweepPath;
        const sweeps = [...new Set(runs.map((r) => r.sweepPath))];
        if (!sweep && sweeps.length === 1) sweep = sweeps[0];
        if (!sweep && sweeps.length > 1)
          sweep = (
            await vscode.window.showQuickPick(
              sweeps.map((s) => ({ label: path.basename(s), description: s, sweep: s })),
              { placeHolder: 'Show the table of which sweep?' },
            )
          )?.sweep;
        if (!sweep && sweeps.length === 0) void vscode.window.showInformationMessage('Premem: no runs are indexed yet. Open a run or sweep first.');
      }
      if (sweep) await ctx.sweepTable.show(sweep);
    },
  };
}
