import * as path from 'node:path';
import * as vscode from 'vscode';
import { AUTHORS_TEMPLATES } from '../../score/templates';
import { sampleInProcess, scoreInProcess, similarInProcess } from '../../score/scoringProcess';
import { askSampling, configuredSampling } from '../sampling';
import { planTrainingSet, writePlan } from '../../plan/writePlan';
import { impliedStop } from '../../score/sampleSettings';
import { num } from '../../present/format';
import { type CommandContext, type Handler, trusted } from './context';
import type { CommandHelpers } from './helpers';

/** Collecting the inputs: scoring and sampling ONNX checkpoints here, planning the harness for a cluster, finding similar questions. */
export type CollectionCommandId = 'premem.findSimilar' | 'premem.scoreReferences' | 'premem.sampleCheckpoints' | 'premem.planEvaluation';

export function collectionCommands(ctx: CommandContext, helpers: CommandHelpers): Record<CollectionCommandId, Handler> {
  const { index } = ctx;
  const { pickRun } = helpers;
  return {
    'premem.findSimilar': async () => {
      if (!trusted('Finding similar questions', 'it runs an ONNX sentence encoder')) return;
      const run = await pickRun('Find questions similar to the flagged examples of which run?');
      if (!run) return;
      const flags = await index.flags(run.path);
      if (flags.length === 0) {
        void vscode.window.showInformationMessage(`Premem: ${run.name} has no flagged examples to look for more of. Flag some first (or use premem similar --from lowest-premem).`);
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
      const result = await withCancellableProgress(`Premem: finding questions like ${seeds.length} flagged examples`, (signal) =>
        similarInProcess(
          ctx.scoringChildFile,
          {
            kind: 'similar',
            // The save dialog asked before replacing; only an earlier output of this search is replaced.
            options: { encoder, tokenizer, pool, out: out.fsPath, count: 100, force: true },
            seedIndices: seeds.map((f) => f.index),
            seedQuestions: seeds.map((f) => byIndex.get(f.index)!.question!),
          },
          signal,
        ),
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
    'premem.scoreReferences': async () => {
      if (!trusted('Scoring references', 'it runs the checkpoints’ ONNX models')) return;
      const run = await pickRun('Score the references of which run?');
      if (!run) return;
      const t0 = Date.now();
      const scored = await withCancellableProgress(`Premem: scoring ${run.name}`, (signal, report) =>
        scoreInProcess(
          ctx.scoringChildFile,
          { kind: 'score', db: index.dbFile, runPath: run.path, batch: 8, templates: AUTHORS_TEMPLATES },
          {
            signal,
            onProgress: (p) =>
              report((100 * p.done) / p.total, `checkpoint-${p.step}: ${p.done} of ${p.total} examples, ${Math.round(p.tokensPerSecond).toLocaleString('en')} tokens/s`),
            // Stored as each checkpoint finishes: the views show its figures at once.
            onCheckpoint: (c) => {
              ctx.log.appendLine(`scored ${run.name} checkpoint-${c.step}: ${c.examples} references, ${c.tokens} tokens in ${c.seconds.toFixed(2)} s`);
              index.invalidate();
            },
          },
        ),
      );
      if (scored === -1) void vscode.window.showInformationMessage(`Premem: scoring of ${run.name} cancelled; the checkpoints already scored keep their new perplexities.`);
      else if (scored === 0) void vscode.window.showWarningMessage(`Premem: ${run.name} has no checkpoint with an ONNX model (checkpoint-<step>/model.onnx or onnx/model.onnx).`);
      else void vscode.window.showInformationMessage(`Premem: scored the references of ${scored} checkpoints of ${run.name} in ${((Date.now() - t0) / 1000).toFixed(1)} s.`);
    },
    'premem.sampleCheckpoints': async () => {
      if (!trusted('Sampling checkpoints', 'it runs the checkpoints’ ONNX models with the workspace’s premem.sample.* settings')) return;
      const run = await pickRun('Sample the checkpoints of which run?');
      if (!run) return;
      const request = await askSampling(run);
      if (!request) return;
      const t0 = Date.now();
      const lines: string[] = [];
      const sampled = await withCancellableProgress(`Premem: sampling ${run.name}`, (signal, report) =>
        sampleInProcess(
          ctx.scoringChildFile,
          { kind: 'sample', db: index.dbFile, runPath: run.path, options: request.options },
          {
            signal,
            onProgress: (p) =>
              report((100 * p.done) / p.total, `checkpoint-${p.step} ${p.part}: ${p.done} of ${p.total} samples, ${Math.round(p.tokensPerSecond).toLocaleString('en')} tokens/s`),
            onPart: (p) => {
              const n = p.questions * p.samples;
              const line = p.skipped
                ? `checkpoint-${p.step} ${p.part}: already sampled (${p.file})`
                : `checkpoint-${p.step} ${p.part}: ${p.questions} questions × ${p.samples}, accuracy ${num(p.correct / n)}, ${p.tokens} tokens in ${p.seconds.toFixed(1)} s → ${p.file}`;
              lines.push(line);
              ctx.log.appendLine(`sampled ${run.name} ${line}`);
            },
          },
        ),
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
    'premem.planEvaluation': async (arg?: unknown) => {
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
  };
}

/**
 * A cancellable progress notification around work in the scoring process: Cancel aborts the
 * work's signal. `report(share, message)` moves the bar to `share` percent of the current pass
 * (each checkpoint is a pass: one that reaches 100% starts the next from 0).
 */
function withCancellableProgress<T>(title: string, work: (signal: AbortSignal, report: (share: number, message: string) => void) => Promise<T>): Thenable<T> {
  return vscode.window.withProgress({ location: vscode.ProgressLocation.Notification, title, cancellable: true }, async (progress, token) => {
    const controller = new AbortController();
    const sub = token.onCancellationRequested(() => controller.abort());
    let last = 0;
    try {
      return await work(controller.signal, (share, message) => {
        progress.report({ message, increment: Math.max(0, share - last) });
        last = share >= 100 ? 0 : share;
      });
    } finally {
      sub.dispose();
    }
  });
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
