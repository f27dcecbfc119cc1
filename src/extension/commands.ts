import * as path from 'node:path';
import * as vscode from 'vscode';
import { CURATION_STRATEGIES, type CurationStrategy } from '../core/curation';
import { curate, exportLine, type CuratedExample, type ExampleFilter, type ExampleOrder, type ExampleSort } from '../queries/examples';
import { exampleFigures } from '../queries/runAnalysis';
import type { StoredRun } from '../store/indexStore';
import { AUTHORS_TEMPLATES } from '../score/templates';
import { sampleInProcess, scoreInProcess, similarInProcess } from '../score/scoringProcess';
import { askSampling, configuredSampling } from './sampling';
import { planTrainingSet, writePlan } from '../plan/writePlan';
import { writeExampleSweep } from '../example/exampleSweep';
import { exportProtected, writeExport } from '../output/exportFile';
import { flagsFileFor } from '../store/schema';
import { impliedStop } from '../score/sampleSettings';
import type { DashboardPanel } from './webviews/dashboardPanel';
import type { ExamplePanel } from './webviews/examplePanel';
import { CATEGORY_LABEL, num } from '../present/format';
import { COMMAND_IDS, type CommandId } from './commandIds';
import { asTarget, type ExampleTarget } from './exampleTarget';
import type { IndexService } from './indexService';

/**
 * Workspace Trust: in Restricted Mode the commands that run models or write scripts from the
 * workspace's settings are off, and say why (reading and browsing runs work). A repository someone
 * clones can carry `.vscode/settings.json`; VS Code's answer is Restricted Mode, and
 * `restrictedConfigurations` in the manifest keeps those settings to the user's own meanwhile.
 */
function trusted(what: string, why: string): boolean {
  if (vscode.workspace.isTrusted) return true;
  void vscode.window
    .showWarningMessage(`Premem: ${what} is off in Restricted Mode: ${why}. Trust this workspace to use it; reading and browsing runs work as they are.`, 'Manage Workspace Trust')
    .then((choice) => choice && vscode.commands.executeCommand('workbench.trust.manage'));
  return false;
}

const STRATEGY_LABEL: Record<CurationStrategy, string> = {
  'lowest-premem': 'Lowest pre-memorization accuracy (the paper’s choice)',
  'lowest-accuracy': 'Lowest final train accuracy',
  random: 'Random (seed 0)',
  flagged: 'Flagged examples',
};

/** What the commands act on: the services activation starts. */
export interface CommandContext {
  readonly index: IndexService;
  readonly log: vscode.OutputChannel;
  /** Indexes a folder the user picked and remembers it for this workspace. */
  readonly openFolder: (folder: string) => Promise<void>;
  readonly reindexAll: () => Promise<void>;
  /** Closes a run or sweep: out of the views and the index, not opened again by itself; flags stay. */
  readonly closeFolder: (folder: string) => Promise<string[]>;
  readonly examplePanel: ExamplePanel;
  /** The built scoring process entry (dist/scoringChild.js). */
  readonly scoringChildFile: string;
  readonly dashboard: DashboardPanel;
  /** Pages the Examples view. */
  readonly showMoreExamples: () => void;
  /** Where Open the Example Sweep writes the bundled example (the extension's global storage). */
  readonly exampleSweepDir: string;
}

type Handler = (...args: unknown[]) => unknown;

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

/** The run a Plan Evaluation… is for: a path, or a Runs view row's run (run, checkpoint or one waiting for its evaluation). */
function planTargetOf(arg: unknown): string | undefined {
  if (typeof arg === 'string') return arg;
  const node = arg as { view?: { run?: { path?: unknown } }; failure?: { path?: unknown } } | undefined;
  const p = node?.view?.run?.path ?? node?.failure?.path;
  return typeof p === 'string' ? p : undefined;
}

/** The run's own training set, or null when it has none to find (or the folder cannot be read). */
function planTrainingSetOrNull(runPath: string): string | null {
  try {
    return planTrainingSet(runPath);
  } catch {
    return null;
  }
}

/** Every command's handler, typed by COMMAND_IDS: a command without a handler does not compile. */
function commandHandlers(ctx: CommandContext): Record<CommandId, Handler> {
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
    const first = runs[0];
    if (!first) return;
    const folder = vscode.workspace.workspaceFolders?.[0]?.uri ?? vscode.Uri.file(path.dirname(first.path));
    const target = await vscode.window.showSaveDialog({
      defaultUri: vscode.Uri.joinPath(folder, `${name}.${strategy}.jsonl`),
      filters: { 'JSON Lines': ['jsonl'] },
      saveLabel: 'Export',
    });
    if (!target) return;
    const chosen: CuratedExample[] = [];
    for (const run of runs) {
      if (chosen.length < count) chosen.push(...curate(await index.analysis(run), await index.examples(run), await index.flags(run.path), strategy, count - chosen.length));
    }
    // The save dialog asked before replacing a file; the one write rule still refuses the index,
    // the flags, a run's dataset or any file that is not an earlier export.
    try {
      writeExport(target.fsPath, chosen.map(exportLine), { force: true, protectedPaths: exportProtected(index.dbFile, flagsFileFor(index.dbFile), runs), writer: 'Premem export' });
    } catch (e) {
      void vscode.window.showErrorMessage(`Premem: ${(e as Error).message}`);
      return;
    }
    const kind = chosen.some((c) => c.record !== null) ? 'dataset records with figures' : 'indices and figures (no dataset file)';
    ctx.log.appendLine(`exported ${chosen.length} ${strategy} examples of ${runs.map((r) => r.path).join(', ')} to ${target.fsPath}`);
    void vscode.window.showInformationMessage(`Premem: wrote ${chosen.length} examples (${kind}) to ${path.basename(target.fsPath)}.`);
  };

  const commands: [CommandId, Handler][] = [
    [
      'premem.openRun',
      async () => {
        const picked = await vscode.window.showOpenDialog({ canSelectFolders: true, canSelectFiles: false, canSelectMany: false, openLabel: 'Open Run or Sweep' });
        if (picked?.[0]) await ctx.openFolder(picked[0].fsPath);
      },
    ],
    [
      'premem.openExampleSweep',
      async () => {
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
    ],
    ['premem.refresh', () => ctx.reindexAll()],
    [
      'premem.closeRun',
      async (arg?: unknown) => {
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
    ],
    ['premem.showOutput', () => ctx.log.show(true)],
    [
      'premem.selectRun',
      async (runPath?: unknown) => {
        if (typeof runPath === 'string') return index.select(runPath);
        const runs = await index.runs();
        const pick = await vscode.window.showQuickPick(
          runs.map((r) => ({ label: r.name, description: r.sweepPath, run: r })),
          { placeHolder: 'Select a run' },
        );
        if (pick) await index.select(pick.run.path);
      },
    ],
    ['premem.sortExamples.byPreMemorization', sort('premem')],
    ['premem.sortExamples.byMemorizationStep', sort('memorization')],
    ['premem.sortExamples.byTrainAccuracy', sort('accuracy')],
    ['premem.sortExamples.byDatasetOrder', sort('dataset')],
    ['premem.sortExamples.byUnlearnedAcrossSweep', sort('unlearned')],
    [
      'premem.filterExamples',
      async () => {
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
    ],
    ['premem.clearExampleFilter', () => setOrder({ filter: { kind: 'all' }, search: null })],
    ['premem.showMoreExamples', () => ctx.showMoreExamples()],
    ['premem.flagExample', async (arg?: unknown) => flagWithNote(await targetOf(arg, 'Flag an example of which run?'))],
    ['premem.editFlagNote', async (arg?: unknown) => flagWithNote(await targetOf(arg, 'Edit the flag note of an example of which run?'))],
    [
      'premem.unflagExample',
      async (arg?: unknown) => {
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
    ],
    [
      'premem.showExample',
      async (arg?: unknown) => {
        const target = await targetOf(arg, 'Open an example of which run?');
        if (target) await ctx.examplePanel.show(target);
      },
    ],
    ['premem.showDashboard', () => ctx.dashboard.show()],
    [
      'premem.attachDataset',
      async (arg?: unknown) => {
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
    ],
    [
      'premem.findSimilar',
      async () => {
        if (!trusted('Finding similar questions', 'it runs an ONNX sentence encoder')) return;
        const run = await pickRun('Find questions similar to the flagged examples of which run?');
        if (!run) return;
        const flags = await index.flags(run.path);
        if (flags.length === 0) {
          void vscode.window.showInformationMessage(
            `Premem: ${run.name} has no flagged examples to look for more of. Flag some first (or use premem similar --from lowest-premem).`,
          );
          return;
        }
        // Each dialog says what it asks for, down to its button: three "Choose" in a row are easy to mix up.
        const open = async (title: string, openLabel: string, filters: Record<string, string[]>) =>
          (await vscode.window.showOpenDialog({ title, canSelectMany: false, filters, openLabel }))?.[0]?.fsPath;
        const pool = await open('Candidate questions (JSONL with a "question" field)', 'Use as Candidates', { 'JSON Lines': ['jsonl'] });
        if (!pool) return;
        const encoder = await open('Sentence encoder (ONNX)', 'Use as Encoder', { ONNX: ['onnx'] });
        if (!encoder) return;
        const tokenizer = await open('The encoder’s tokenizer.json', 'Use as Tokenizer', { JSON: ['json'] });
        if (!tokenizer) return;
        const out = await vscode.window.showSaveDialog({
          title: 'Write the nearest candidates to',
          defaultUri: vscode.Uri.file(path.join(path.dirname(pool), `${run.name}.similar.jsonl`)),
          filters: { 'JSON Lines': ['jsonl'] },
        });
        if (!out) return;
        const examples = await index.examples(run);
        const byIndex = new Map(examples.map((e) => [e.index, e]));
        const seeds = flags.filter((f) => byIndex.get(f.index)?.question != null);
        if (seeds.length === 0) throw new Error(`${run.name} has no question texts (no dataset file)`);
        const result = await vscode.window.withProgress(
          { location: vscode.ProgressLocation.Notification, title: `Premem: finding questions like ${seeds.length} flagged examples`, cancellable: true },
          async (_progress, token) => {
            const controller = new AbortController();
            const sub = token.onCancellationRequested(() => controller.abort());
            try {
              return await similarInProcess(
                ctx.scoringChildFile,
                {
                  kind: 'similar',
                  // The save dialog asked before replacing; only an earlier output of this search is replaced.
                  options: { encoder, tokenizer, pool, out: out.fsPath, count: 100, force: true },
                  seedIndices: seeds.map((f) => f.index),
                  seedQuestions: seeds.map((f) => byIndex.get(f.index)!.question!),
                },
                controller.signal,
              );
            } finally {
              sub.dispose();
            }
          },
        );
        if (result === null) {
          void vscode.window.showInformationMessage('Premem: the search for similar questions was cancelled.');
          return;
        }
        ctx.log.appendLine(`wrote the ${result.count} candidates nearest to ${result.seeds} flagged examples of ${run.path} (of ${result.pool}) to ${out.fsPath}`);
        void vscode.window.showInformationMessage(
          `Premem: wrote the ${result.count} candidates nearest to ${result.seeds} flagged examples (of ${result.pool}) to ${path.basename(out.fsPath)}.`,
        );
      },
    ],
    [
      'premem.scoreReferences',
      async () => {
        if (!trusted('Scoring references', 'it runs the checkpoints’ ONNX models')) return;
        const run = await pickRun('Score the references of which run?');
        if (!run) return;
        const t0 = Date.now();
        const scored = await vscode.window.withProgress(
          { location: vscode.ProgressLocation.Notification, title: `Premem: scoring ${run.name}`, cancellable: true },
          async (progress, token) => {
            const controller = new AbortController();
            const sub = token.onCancellationRequested(() => controller.abort());
            let last = 0;
            try {
              return await scoreInProcess(
                ctx.scoringChildFile,
                { kind: 'score', db: index.dbFile, runPath: run.path, batch: 8, templates: AUTHORS_TEMPLATES },
                {
                  signal: controller.signal,
                  onProgress: (p) => {
                    const share = (100 * p.done) / p.total;
                    progress.report({
                      message: `checkpoint-${p.step}: ${p.done} of ${p.total} examples, ${Math.round(p.tokensPerSecond).toLocaleString('en')} tokens/s`,
                      increment: Math.max(0, share - last),
                    });
                    last = share >= 100 ? 0 : share;
                  },
                  // Stored as each checkpoint finishes: the views show its figures at once.
                  onCheckpoint: (c) => {
                    ctx.log.appendLine(`scored ${run.name} checkpoint-${c.step}: ${c.examples} references, ${c.tokens} tokens in ${c.seconds.toFixed(2)} s`);
                    index.invalidate();
                  },
                },
              );
            } finally {
              sub.dispose();
            }
          },
        );
        if (scored === -1) void vscode.window.showInformationMessage(`Premem: scoring of ${run.name} cancelled; the checkpoints already scored keep their new perplexities.`);
        else if (scored === 0) void vscode.window.showWarningMessage(`Premem: ${run.name} has no checkpoint with an ONNX model (checkpoint-<step>/model.onnx or onnx/model.onnx).`);
        else void vscode.window.showInformationMessage(`Premem: scored the references of ${scored} checkpoints of ${run.name} in ${((Date.now() - t0) / 1000).toFixed(1)} s.`);
      },
    ],
    [
      'premem.sampleCheckpoints',
      async () => {
        if (!trusted('Sampling checkpoints', 'it runs the checkpoints’ ONNX models with the workspace’s premem.sample.* settings')) return;
        const run = await pickRun('Sample the checkpoints of which run?');
        if (!run) return;
        const request = await askSampling(run);
        if (!request) return;
        const t0 = Date.now();
        const lines: string[] = [];
        const sampled = await vscode.window.withProgress(
          { location: vscode.ProgressLocation.Notification, title: `Premem: sampling ${run.name}`, cancellable: true },
          async (progress, token) => {
            const controller = new AbortController();
            const sub = token.onCancellationRequested(() => controller.abort());
            let last = 0;
            try {
              return await sampleInProcess(
                ctx.scoringChildFile,
                { kind: 'sample', db: index.dbFile, runPath: run.path, options: request.options },
                {
                  signal: controller.signal,
                  onProgress: (p) => {
                    const share = (100 * p.done) / p.total;
                    progress.report({
                      message: `checkpoint-${p.step} ${p.part}: ${p.done} of ${p.total} samples, ${Math.round(p.tokensPerSecond).toLocaleString('en')} tokens/s`,
                      increment: Math.max(0, share - last),
                    });
                    last = share >= 100 ? 0 : share;
                  },
                  onPart: (p) => {
                    const n = p.questions * p.samples;
                    const line = p.skipped
                      ? `checkpoint-${p.step} ${p.part}: already sampled (${p.file})`
                      : `checkpoint-${p.step} ${p.part}: ${p.questions} questions × ${p.samples}, accuracy ${num(p.correct / n)}, ${p.tokens} tokens in ${p.seconds.toFixed(1)} s → ${p.file}`;
                    lines.push(line);
                    ctx.log.appendLine(`sampled ${run.name} ${line}`);
                  },
                },
              );
            } finally {
              sub.dispose();
            }
          },
        );
        if (sampled === -1) {
          void vscode.window.showInformationMessage(`Premem: sampling of ${run.name} stopped; run it again with the same settings to resume where it stopped.`);
          return;
        }
        // The new files are a run of their own (opened beside the others) or part of this one.
        if (request.options.out) await ctx.openFolder(request.options.out);
        else await ctx.reindexAll();
        void vscode.window
          .showInformationMessage(
            `Premem: sampled ${sampled} checkpoint${sampled === 1 ? '' : 's'} of ${run.name} (${request.set}) in ${((Date.now() - t0) / 1000).toFixed(1)} s${request.options.out ? ` into ${path.basename(request.options.out)}` : ''}.`,
            'Show Output',
          )
          .then((c) => c && ctx.log.show(true));
      },
    ],
    [
      'premem.planEvaluation',
      async (arg?: unknown) => {
        if (!trusted('Planning an evaluation', 'it writes scripts that run on your cluster from the workspace’s settings')) return;
        // From a Runs view row (a run, a checkpoint, or a run not evaluated yet) or a path: that
        // run, never the selected one; from the palette, the selected run or asked.
        const runPath = planTargetOf(arg);
        const indexed = runPath ? await index.runByPath(runPath) : await pickRun('Plan the evaluation of which run?');
        const waiting = runPath && !indexed ? index.runFailures().find((f) => f.path === runPath && f.notEvaluated) : undefined;
        const run = indexed ?? (waiting ? { path: waiting.path, name: path.basename(waiting.path), trainDatasetFile: null } : undefined);
        if (!run) {
          if (runPath) void vscode.window.showWarningMessage(`Premem: ${runPath} is not open in this window.`);
          return;
        }
        const beside = path.join(run.path, 'premem-lm-eval');
        const where = await vscode.window.showQuickPick(
          [
            { label: `Into ${path.basename(run.path)}/premem-lm-eval`, description: run.path, out: beside },
            { label: 'Into a folder…', out: null },
          ],
          { placeHolder: 'Where do the task files and scripts go? (settings: premem.sample.*)' },
        );
        if (!where) return;
        let out = where.out;
        if (out === null) {
          const picked = await vscode.window.showOpenDialog({ canSelectFolders: true, canSelectFiles: false, canSelectMany: false, openLabel: 'Write the Plan Here' });
          if (!picked?.[0]) return;
          out = picked[0].fsPath;
        }
        // Where the harness runs: asked here, never as a CLI flag in a message.
        const engine = await vscode.window.showQuickPick(
          [
            { label: 'vLLM', description: 'GPU nodes; tensor and data parallel (the default)', backend: 'vllm' as const, device: undefined },
            { label: 'Hugging Face transformers on CUDA', description: 'one GPU per job', backend: 'hf' as const, device: 'cuda' },
            { label: 'Hugging Face transformers on CPU', description: 'a small model, or a smoke test', backend: 'hf' as const, device: 'cpu' },
          ],
          { placeHolder: 'Which backend runs lm-evaluation-harness?' },
        );
        if (!engine) return;
        // Settings can come from a workspace's .vscode/settings.json: checked before they reach a script.
        const sampling = configuredSampling();
        if (!sampling) return;
        const settings = { ...sampling, templates: AUTHORS_TEMPLATES, stop: impliedStop(AUTHORS_TEMPLATES) };
        // The training questions: the run's own, else asked here (a fresh Trainer run often has
        // none beside it), never as a CLI flag in a message.
        let dataset = run.trainDatasetFile ?? planTrainingSetOrNull(run.path) ?? undefined;
        if (!dataset) {
          const picked = await vscode.window.showOpenDialog({
            title: `Training set of ${run.name} (JSONL: {"question", "answer"} per line, in dataset order)`,
            canSelectMany: false,
            filters: { 'JSON Lines': ['jsonl'] },
            openLabel: 'Plan with This Training Set',
          });
          if (!picked?.[0]) return;
          dataset = picked[0].fsPath;
        }
        try {
          const { files, tasks, inputs, skipped } = writePlan({
            runDir: run.path,
            out,
            settings,
            dataset,
            backend: engine.backend,
            device: engine.device,
            tensorParallel: 1,
            dataParallel: 1,
            modelArgs: '',
          });
          ctx.log.appendLine(`planned ${tasks.join(', ')} for ${inputs.checkpoints.length} checkpoints of ${run.path}:\n  ${files.join('\n  ')}`);
          for (const s of skipped) ctx.log.appendLine(`  skipped ${s.dir}: ${s.reason}`);
          const open = await vscode.window.showInformationMessage(
            `Premem: planned ${tasks.length} harness tasks for ${inputs.checkpoints.length} checkpoints of ${run.name}${skipped.length ? ` (${skipped.length} skipped without weights the harness can load; see the output)` : ''}. Run run_all.sh (or sbatch slurm_array.sbatch) where the GPUs are; the logs land in each checkpoint's lm_eval/ folder.`,
            'Open run_all.sh',
          );
          if (open) await vscode.window.showTextDocument(vscode.Uri.file(path.join(out, 'run_all.sh')));
        } catch (e) {
          void vscode.window.showErrorMessage(`Premem: ${(e as Error).message}`);
        }
      },
    ],
    [
      'premem.revealExample',
      async (arg?: unknown) => {
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
    ],
    [
      'premem.exportFlagged',
      async () => {
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
    ],
    [
      'premem.exportCurated',
      async () => {
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
    ],
    ['premem.toggleDecorations', toggleDecorations],
  ];

  return Object.fromEntries(commands) as Record<CommandId, Handler>;
}

/** Why the commands cannot run: activation could not open the index. */
export class StartupFailure extends Error {
  constructor(
    readonly dbFile: string,
    readonly reason: string,
  ) {
    super(`Premem could not open its index at ${dbFile}: ${reason}`);
  }
}

/**
 * Registers every command at once, before anything else starts, so that no entry of the palette,
 * a menu or the welcome view can ever answer "command not found". Until the services are up a
 * command waits for them; if they could not start (the index cannot be opened), it says why and
 * offers the fix, as vscode-eslint's stand-in commands do.
 */
export function registerCommands(services: Promise<CommandContext>, log: vscode.OutputChannel): vscode.Disposable[] {
  // The few commands that need no index keep working without one.
  const standalone: Partial<Record<CommandId, Handler>> = { 'premem.showOutput': () => log.show(true), 'premem.toggleDecorations': toggleDecorations };
  let handlers: Promise<Record<CommandId, Handler>> | undefined;
  const ready = () => (handlers ??= services.then(commandHandlers));
  return COMMAND_IDS.map((id) =>
    vscode.commands.registerCommand(id, async (...args: unknown[]) => {
      let table: Record<CommandId, Handler>;
      try {
        table = await ready();
      } catch (e) {
        const alone = standalone[id];
        return alone ? alone(...args) : explainStartupFailure(e, log);
      }
      try {
        return await table[id](...args);
      } catch (e) {
        // A failing command reports and logs; it never takes the extension host down.
        log.appendLine(`error in ${id}: ${(e as Error).stack ?? String(e)}`);
        void vscode.window.showErrorMessage(`Premem: ${(e as Error).message}`, 'Show Output').then((c) => c && log.show(true));
        return undefined;
      }
    }),
  );
}

async function toggleDecorations(): Promise<void> {
  const c = vscode.workspace.getConfiguration('premem');
  const target = vscode.workspace.workspaceFolders ? vscode.ConfigurationTarget.Workspace : vscode.ConfigurationTarget.Global;
  await c.update('decorations.enabled', !c.get<boolean>('decorations.enabled', true), target);
}

/** What a command says when the index could not be opened, with the ways out. */
export async function explainStartupFailure(e: unknown, log: vscode.OutputChannel): Promise<void> {
  const message = e instanceof StartupFailure ? e.message : `Premem could not start: ${(e as Error).message}`;
  const choice = await vscode.window.showErrorMessage(
    `${message}. Set "premem.databasePath" to a file in a writable folder (or clear it to use this workspace's storage), then reload the window.`,
    'Open Setting',
    'Reload Window',
    'Show Output',
  );
  if (choice === 'Open Setting') await vscode.commands.executeCommand('workbench.action.openSettings', 'premem.databasePath');
  else if (choice === 'Reload Window') await vscode.commands.executeCommand('workbench.action.reloadWindow');
  else if (choice === 'Show Output') log.show(true);
}
