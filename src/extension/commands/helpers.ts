import * as vscode from 'vscode';
import type { CurationStrategy } from '../../core/curation';
import { curate, type CuratedExample, type ExampleOrder, type ExampleSort } from '../../queries/examples';
import { saveExport } from '../exportDialog';
import type { StoredRun } from '../../store/indexStore';
import { asTarget, type ExampleTarget } from '../exampleTarget';
import type { CommandContext } from './context';

/** "48 examples, indices 0–47" (a subsample's indices are not contiguous: the ends only). */
function indexRange(indices: ReadonlySet<number>): string {
  if (indices.size === 0) return 'no examples';
  let lo = Infinity;
  let hi = -Infinity;
  for (const i of indices) {
    if (i < lo) lo = i;
    if (i > hi) hi = i;
  }
  return `${indices.size.toLocaleString('en-US')} example${indices.size === 1 ? '' : 's'}, indices ${lo}–${hi}`;
}

/** What several areas' commands share: asking for a run or an example, flagging, the Examples view's order, exporting. */
export interface CommandHelpers {
  readonly pickRun: (placeHolder: string) => Promise<StoredRun | undefined>;
  readonly askExample: (run: StoredRun) => Promise<ExampleTarget | undefined>;
  readonly targetOf: (arg: unknown, placeHolder: string) => Promise<ExampleTarget | undefined>;
  readonly flagWithNote: (target: ExampleTarget | undefined) => Promise<void>;
  readonly sort: (by: ExampleSort) => () => void;
  readonly setOrder: (order: Partial<ExampleOrder>) => void;
  readonly exportTo: (runs: readonly StoredRun[], strategy: CurationStrategy, count: number, name: string) => Promise<void>;
}

export function commandHelpers(ctx: CommandContext): CommandHelpers {
  const { index } = ctx;

  const pickRun = async (placeHolder: string): Promise<StoredRun | undefined> => {
    const selected = await index.selectedRun();
    if (selected) return selected;
    const runs = await index.runs();
    if (runs.length === 0) {
      void vscode.window
        .showInformationMessage('Premem: no runs are indexed yet. Open a run or sweep first.', 'Open Run or Sweep…')
        .then((c) => c && vscode.commands.executeCommand('premem.openRun'));
      return undefined;
    }
    const pick = await vscode.window.showQuickPick(
      runs.map((r) => ({ label: r.name, description: r.sweepPath, run: r })),
      { placeHolder },
    );
    return pick?.run;
  };

  const askExample = async (run: StoredRun): Promise<ExampleTarget | undefined> => {
    // The box opens at once; the run's examples load behind it (a large run takes a moment the
    // first time) and only the check waits for them. VS Code awaits the check before it accepts.
    const known = index.examples(run).then(
      (examples) => new Set(examples.map((e) => e.index)),
      (err: unknown) => (err instanceof Error ? err : new Error(String(err))),
    );
    const text = await vscode.window.showInputBox({
      prompt: `Example index in ${run.name}`,
      validateInput: async (v) => {
        const indices = await known;
        if (indices instanceof Error) return `Premem could not read this run's examples: ${indices.message}`;
        const text = v.trim();
        if (!/^\d+$/.test(text)) return `The dataset index of an example this run analyses (a whole number; ${indexRange(indices)})`;
        return indices.has(Number(text)) ? undefined : `No example #${text} in ${run.name}: it analyses ${indexRange(indices)}`;
      },
    });
    return text === undefined ? undefined : { runPath: run.path, index: Number(text.trim()) };
  };

  /** The example a command acts on: its argument, else asked for (run, then index). */
  const targetOf = async (arg: unknown, placeHolder: string): Promise<ExampleTarget | undefined> => {
    const given = asTarget(arg);
    if (given) return given;
    const run = await pickRun(placeHolder);
    return run && (await askExample(run));
  };

  /** Flags an example, or edits the note of one already flagged (the box shows its note). */
  const flagWithNote = async (target: ExampleTarget | undefined): Promise<void> => {
    if (!target) return;
    const run = await index.runByPath(target.runPath);
    if (!run) throw new Error(`${target.runPath} is not indexed in this window`);
    const existing = (await index.flags(target.runPath)).find((f) => f.index === target.index);
    const note = await vscode.window.showInputBox({
      prompt: existing ? `Note of the flag on example #${target.index}` : `Note for example #${target.index} (optional)`,
      value: existing?.note ?? '',
      placeHolder: 'e.g. copies the reference; needs more data like it',
    });
    if (note === undefined) return;
    await index.setFlag(target.runPath, target.index, note);
  };

  const sort = (by: ExampleSort) => () => index.setExampleOrder({ ...index.exampleOrder, sort: by });
  const setOrder = (order: Partial<ExampleOrder>) => {
    const next = { ...index.exampleOrder, ...order };
    index.setExampleOrder(next);
    void vscode.commands.executeCommand('setContext', 'premem.examplesFiltered', next.filter.kind !== 'all' || next.search !== null);
  };

  /** Writes the chosen examples of one run, or of several (flagged, across runs), through a save dialog. */
  const exportTo = async (runs: readonly StoredRun[], strategy: CurationStrategy, count: number, name: string): Promise<void> => {
    await saveExport(
      index,
      ctx.log,
      runs,
      async () => {
        const chosen: CuratedExample[] = [];
        for (const run of runs) {
          if (chosen.length < count) chosen.push(...curate(await index.analysis(run), await index.examples(run), await index.flags(run.path), strategy, count - chosen.length));
        }
        return chosen;
      },
      `${name}.${strategy}.jsonl`,
      strategy,
    );
  };

  return { pickRun, askExample, targetOf, flagWithNote, sort, setOrder, exportTo };
}
