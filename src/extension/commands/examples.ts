import * as vscode from 'vscode';
import type { ExampleFilter } from '../../queries/examples';
import { exampleFigures } from '../../queries/runAnalysis';
import { CATEGORY_LABEL, num } from '../../present/format';
import { type CommandContext, type Handler, toggleDecorations } from './context';
import type { CommandHelpers } from './helpers';

/** The Examples view: its order and filter, and going to an example's dataset line. */
export type ExampleCommandId =
  | 'premem.sortExamples.byPreMemorization'
  | 'premem.sortExamples.byMemorizationStep'
  | 'premem.sortExamples.byTrainAccuracy'
  | 'premem.sortExamples.byDatasetOrder'
  | 'premem.sortExamples.byUnlearnedAcrossSweep'
  | 'premem.filterExamples'
  | 'premem.clearExampleFilter'
  | 'premem.showMoreExamples'
  | 'premem.revealExample'
  | 'premem.toggleDecorations';

export function exampleCommands(ctx: CommandContext, helpers: CommandHelpers): Record<ExampleCommandId, Handler> {
  const { index } = ctx;
  const { targetOf, sort, setOrder } = helpers;
  return {
    'premem.sortExamples.byPreMemorization': sort('premem'),
    'premem.sortExamples.byMemorizationStep': sort('memorization'),
    'premem.sortExamples.byTrainAccuracy': sort('accuracy'),
    'premem.sortExamples.byDatasetOrder': sort('dataset'),
    'premem.sortExamples.byUnlearnedAcrossSweep': sort('unlearned'),
    'premem.filterExamples': async () => {
      const current = index.exampleOrder;
      const mark = (f: ExampleFilter) => (current.filter.kind === f.kind ? ' (current)' : '');
      const items: (vscode.QuickPickItem & { filter?: ExampleFilter; search?: 'texts' | 'samples'; clearSearch?: true })[] = [
        { label: 'All examples', description: mark({ kind: 'all' }), filter: { kind: 'all' } },
        { label: 'Never memorized', description: mark({ kind: 'never-memorized' }), filter: { kind: 'never-memorized' } },
        {
          label: 'Memorized before first solved',
          description: mark({ kind: 'memorized-before-solved' }),
          detail: 'copied the reference before any sample was correct',
          filter: { kind: 'memorized-before-solved' },
        },
        {
          label: 'Memorized at the first checkpoint',
          description: mark({ kind: 'memorized-at-first-checkpoint' }),
          detail: 'no earlier checkpoint to measure: their pre-memorization accuracy is 0 by construction',
          filter: { kind: 'memorized-at-first-checkpoint' },
        },
        { label: 'Flagged', description: mark({ kind: 'flagged' }), filter: { kind: 'flagged' } },
        { label: '', kind: vscode.QuickPickItemKind.Separator },
        { label: 'Search question and reference…', detail: 'narrows the filter above; case-insensitive', search: 'texts' },
        { label: 'Search question, reference and sample texts…', detail: 'also every checkpoint’s samples (reads them all once)', search: 'samples' },
        ...(current.search ? [{ label: `Clear the search for “${current.search.query}”`, clearSearch: true as const }] : []),
      ];
      const pick = await vscode.window.showQuickPick(items, { placeHolder: 'Filter the examples view (a search narrows the filter)' });
      if (!pick) return;
      if (pick.clearSearch) {
        setOrder({ search: null });
      } else if (pick.search) {
        const query = await vscode.window.showInputBox({
          prompt: pick.search === 'samples' ? 'Show examples whose question, reference or samples contain' : 'Show examples whose question or reference contains',
          placeHolder: 'text (case-insensitive)',
          value: current.search?.query ?? '',
        });
        if (query) setOrder({ search: { query, inSamples: pick.search === 'samples' } });
      } else if (pick.filter) {
        setOrder({ filter: pick.filter });
      }
    },
    'premem.clearExampleFilter': () => setOrder({ filter: { kind: 'all' }, search: null }),
    'premem.showMoreExamples': () => ctx.showMoreExamples(),
    'premem.revealExample': async (arg?: unknown) => {
      const target = await targetOf(arg, 'Show an example of which run?');
      if (!target) return;
      const run = (await index.runs()).find((r) => r.path === target.runPath);
      if (!run) {
        void vscode.window.showWarningMessage(`Premem: ${target.runPath} is not indexed in this window.`);
        return;
      }
      // Straight to the line the index recorded for the example: VS Code opens the file at
      // it, and this host never loads the (often large) dataset itself.
      const example = await index.example(run, target.index);
      if (run.trainDatasetFile && example?.line != null) {
        const at = new vscode.Position(example.line - 1, 0);
        await vscode.window.showTextDocument(vscode.Uri.file(run.trainDatasetFile), { selection: new vscode.Range(at, at), preview: true });
        await index.select(run.path);
        return;
      }
      await index.select(run.path);
      // No texts for this run: say what we know instead of opening nothing.
      const analysis = await index.analysis(run);
      const e = (await index.examples(run)).find((x) => x.index === target.index);
      if (!e) return;
      const f = exampleFigures(analysis, e.position, e.index);
      void vscode.window.showInformationMessage(
        `${run.name} #${e.index}: pre-memorization accuracy ${num(f.preMemorizationAccuracy.at(-1))}, ` +
          `memorized at ${f.memorizationStep === null ? 'no checkpoint' : `step ${f.memorizationStep}`} (${CATEGORY_LABEL[f.category]}). The run has no dataset file, so there is no text to show.`,
      );
    },
    'premem.toggleDecorations': toggleDecorations,
  };
}
