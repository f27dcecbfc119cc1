import * as path from 'node:path';
import * as vscode from 'vscode';
import { CURATION_STRATEGIES, type CurationStrategy } from '../../core/curation';
import type { StoredRun } from '../../store/indexStore';
import { asTarget } from '../exampleTarget';
import type { CommandContext, Handler } from './context';
import type { CommandHelpers } from './helpers';

const STRATEGY_LABEL: Record<CurationStrategy, string> = {
  'lowest-premem': 'Lowest pre-memorization accuracy (the paper’s choice)',
  'lowest-accuracy': 'Lowest final train accuracy',
  random: 'Random (seed 0)',
  flagged: 'Flagged examples',
};

/** Flags and their notes, and exports of flagged or curated examples. */
export type FlagCommandId = 'premem.flagExample' | 'premem.editFlagNote' | 'premem.unflagExample' | 'premem.exportFlagged' | 'premem.exportCurated';

export function flagCommands(ctx: CommandContext, helpers: CommandHelpers): Record<FlagCommandId, Handler> {
  const { index } = ctx;
  const { pickRun, targetOf, flagWithNote, exportTo } = helpers;
  return {
    'premem.flagExample': async (arg?: unknown) => flagWithNote(await targetOf(arg, 'Flag an example of which run?')),
    'premem.editFlagNote': async (arg?: unknown) => flagWithNote(await targetOf(arg, 'Edit the flag note of an example of which run?')),
    'premem.unflagExample': async (arg?: unknown) => {
      let target = asTarget(arg);
      if (!target) {
        const flags = await index.flags();
        const pick = await vscode.window.showQuickPick(
          flags.map((f) => ({ label: `#${f.index}`, description: path.basename(f.runPath), detail: f.note || undefined, flag: f })),
          { placeHolder: flags.length ? 'Remove which flag?' : 'No flags yet' },
        );
        target = pick && { runPath: pick.flag.runPath, index: pick.flag.index };
      }
      if (target) await index.removeFlag(target.runPath, target.index);
    },
    'premem.exportFlagged': async () => {
      // Flags belong to runs across sweeps: offer every run that has some, and all at once.
      const flags = await index.flags();
      const runs = (await index.runs()).filter((r) => flags.some((f) => f.runPath === r.path));
      if (runs.length === 0) {
        void vscode.window.showInformationMessage('Premem: no example is flagged yet.');
        return;
      }
      const count = (run: StoredRun) => flags.filter((f) => f.runPath === run.path).length;
      const pick = await vscode.window.showQuickPick(
        [
          ...(runs.length > 1 ? [{ label: `All ${runs.length} runs`, description: `${flags.length} flagged examples`, runs }] : []),
          ...runs.map((r) => ({ label: r.name, description: `${count(r)} flagged · ${r.sweepPath}`, runs: [r] })),
        ],
        { placeHolder: 'Export the flagged examples of which run?' },
      );
      if (!pick) return;
      await exportTo(
        pick.runs,
        'flagged',
        pick.runs.reduce((n, r) => n + count(r), 0),
        pick.runs.length > 1 ? 'all-runs' : pick.runs[0]!.name,
      );
    },
    'premem.exportCurated': async () => {
      const run = await pickRun('Export curated examples of which run?');
      if (!run) return;
      const strategy = await vscode.window.showQuickPick(
        CURATION_STRATEGIES.filter((s) => s !== 'flagged').map((s) => ({ label: STRATEGY_LABEL[s], strategy: s })),
        { placeHolder: 'Which examples to export' },
      );
      if (!strategy) return;
      const total = (await index.examples(run)).length;
      const countText = await vscode.window.showInputBox({
        prompt: `How many examples (of ${total})`,
        value: String(Math.min(100, total)),
        validateInput: (v) => (/^\d+$/.test(v.trim()) && Number(v) > 0 ? undefined : 'A whole number above 0'),
      });
      if (countText === undefined) return;
      await exportTo([run], strategy.strategy, Number(countText), run.name);
    },
  };
}
