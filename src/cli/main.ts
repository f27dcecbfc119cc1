import { existsSync, writeFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { CURATION_STRATEGIES, type CurationStrategy } from '../core/curation';
import { thresholdGrid } from '../core/calibration';
import { DEFAULT_COPY_RATE } from '../core/textMemorization';
import { parseThreshold } from '../core/threshold';
import { InputError } from '../ingest/errors';
import { discoverRuns } from '../ingest/runLayout';
import { curate, EXAMPLE_SORTS, exampleJson, exportLine, listExamples, type ExampleSort } from '../queries/examples';
import { calibrate } from '../queries/calibrate';
import { sliceFields, sliceRun, STEPS_SLICE } from '../queries/slices';
import type { Slice } from '../core/slices';
import { buildReport, finiteOrNull, type ReportJson } from '../queries/report';
import { analyseRun, type AnalysisOptions } from '../queries/runAnalysis';
import { indexRun, type IndexOutcome } from '../store/indexer';
import { IndexStore, type StoredRun } from '../store/indexStore';
import { fmt, snippet, table } from './format';
import { runExample } from './exampleCommand';
import { watchRuns } from './watch';
import { AUTHORS_TEMPLATES } from '../score/referenceScorer';
import { scoreRun } from '../score/scoreRun';
import { findSimilar } from '../score/similar';

const USAGE = `premem: pre-memorization train accuracy for LLM fine-tuning runs (Kang et al. 2024)

usage:
  premem index <dir>... [--db FILE]
  premem report <dir>... [--db FILE] [--ppl-threshold P | --loglog-threshold T] [--sample-set A,B,...]
                [--memorization perplexity|text [--copy-rate R]] [--by FIELD|steps] [--json]
  premem examples <run> [same options] [--sort dataset|premem|memorization|accuracy] [--limit N] [--json]
  premem export <run> --strategy lowest-premem|random|lowest-accuracy|flagged --count K --out FILE [--seed S] [same options]
  premem calibrate <dir>... [--db FILE] [--sample-set A,B,...] [--from -4 --to -0.5 --step 0.1] [--json]
  premem watch <dir>... [--db FILE] [same options]   follow runs while they train; Ctrl-C stops
  premem score <run> [--db FILE] [--model PATTERN] [--tokenizer FILE] [--batch N] [--threads N] [--checkpoints S1,S2]
               [--prompt-template "{question}\nAnswer:"] [--target-template " {answer}\nDone."]
               reference perplexities from each checkpoint's ONNX model
  premem similar <run> --encoder M.onnx --tokenizer tokenizer.json --pool candidates.jsonl --out FILE
               [--from lowest-premem|flagged] [--seeds N] [--count K]   more data like what the model copied
  premem flag <run> <index>... [--db FILE] [--note TEXT] [--remove]
  premem flags [--db FILE] [--json]
  premem example [--out DIR] [--db FILE]     generate the bundled example sweep, index it and report on it

<dir> is a run (a folder with checkpoint-<step> sub-folders) or a sweep (a folder of runs).
The index defaults to .premem/index.sqlite under the current folder; run folders are never written to.
Flags and notes live beside it in <index>.flags.sqlite (e.g. .premem/index.flags.sqlite), which no
re-index, upgrade or deletion of the index touches.
Memorized means ln(ln(perplexity)) < T (default T = -2.3, the authors' GSM8K choice) or perplexity < P;
with --memorization text, that most of an example's samples copy at least R (default 0.5) of its
reference steps verbatim (runs with sample texts and a dataset file).
--by breaks the last checkpoint's figures down by a field of the dataset records (e.g. MATH's
level or type) or by the number of reference steps (--by steps).`;

const OPTIONS = {
  db: { type: 'string' },
  'ppl-threshold': { type: 'string' },
  'loglog-threshold': { type: 'string' },
  'sample-set': { type: 'string' },
  memorization: { type: 'string' },
  'copy-rate': { type: 'string' },
  by: { type: 'string' },
  batch: { type: 'string' },
  encoder: { type: 'string' },
  model: { type: 'string' },
  tokenizer: { type: 'string' },
  pool: { type: 'string' },
  seeds: { type: 'string' },
  threads: { type: 'string' },
  checkpoints: { type: 'string' },
  'prompt-template': { type: 'string' },
  'target-template': { type: 'string' },
  json: { type: 'boolean' },
  sort: { type: 'string' },
  limit: { type: 'string' },
  strategy: { type: 'string' },
  count: { type: 'string' },
  out: { type: 'string' },
  seed: { type: 'string' },
  note: { type: 'string' },
  from: { type: 'string' },
  to: { type: 'string' },
  step: { type: 'string' },
  remove: { type: 'boolean' },
  help: { type: 'boolean', short: 'h' },
  version: { type: 'boolean' },
} as const;

type Values = ReturnType<typeof parseArgs<{ options: typeof OPTIONS; allowPositionals: true }>>['values'];

/** A mistake in how the command was called, as opposed to in the user's files. */
class UsageError extends Error {}

function wholeNumber(text: string | undefined, flag: string, min = 0): number | undefined {
  if (text === undefined) return undefined;
  const n = Number(text);
  if (!Number.isSafeInteger(n) || n < min || text.trim() === '') throw new UsageError(`${flag} must be a whole number >= ${min}, got "${text}"`);
  return n;
}

function analysisOptions(v: Values): AnalysisOptions {
  let threshold;
  try {
    threshold = parseThreshold(v['ppl-threshold'], v['loglog-threshold']);
  } catch (e) {
    throw new UsageError((e as Error).message);
  }
  const sets = v['sample-set']?.split(',').map((s) => s.trim()).filter((s) => s !== '') ?? null;
  if (sets !== null && sets.length === 0) throw new UsageError('--sample-set needs at least one name');
  const kind = v.memorization ?? 'perplexity';
  if (kind !== 'perplexity' && kind !== 'text') throw new UsageError('--memorization must be perplexity or text');
  if (v['copy-rate'] !== undefined && kind !== 'text') throw new UsageError('--copy-rate goes with --memorization text');
  const copyRate = v['copy-rate'] === undefined ? DEFAULT_COPY_RATE : Number(v['copy-rate']);
  if (!(copyRate > 0 && copyRate <= 1)) throw new UsageError(`--copy-rate must be a number in (0, 1], got "${v['copy-rate']}"`);
  return { threshold, samplePreference: sets, memorization: kind === 'text' ? { kind, copyRate } : { kind } };
}

interface Output {
  out(text: string): void;
  err(text: string): void;
}

function describeOutcome(o: IndexOutcome, seconds: number): string {
  switch (o.action) {
    case 'unchanged':
      return `unchanged  ${o.name}`;
    case 'indexed':
      return `indexed    ${o.name}: ${o.checkpointsRead} checkpoints (${seconds.toFixed(2)} s)`;
    case 'updated':
      return `updated    ${o.name}: ${o.checkpointsRead} checkpoints read, ${o.checkpointsRemoved} removed (${seconds.toFixed(2)} s)`;
  }
}

/** Indexes (incrementally) and returns the stored runs for the given folders, in folder order. */
async function ensureIndexed(store: IndexStore, dirs: readonly string[], io: Output, verbose: boolean): Promise<StoredRun[]> {
  const runs: StoredRun[] = [];
  for (const dir of dirs) {
    for (const layout of discoverRuns(dir)) {
      const t0 = performance.now();
      const outcome = await indexRun(store, layout);
      if (verbose || outcome.action !== 'unchanged') io.err(describeOutcome(outcome, (performance.now() - t0) / 1000));
      runs.push((await store.runByPath(layout.path))!);
    }
  }
  return runs;
}

export function formatReport(report: ReportJson, agreements: ReadonlyMap<string, { agree: number; total: number } | null> = new Map()): string {
  const parts: string[] = [];
  const t = report.threshold;
  parts.push(
    t.memorization === 'text'
      ? `memorized: most samples copy at least ${fmt(t.copy_rate, 2)} of the reference steps (text criterion)`
      : `memorized: ln(ln(ppl)) < ${fmt(t.loglog, 3)}  (perplexity < ${fmt(t.perplexity, 4)})`,
  );
  for (const run of report.runs) {
    parts.push('');
    parts.push(`${run.name}  ${run.checkpoints[0]?.examples ?? 0} examples  ${run.path}`);
    const agreed = agreements.get(run.path);
    if (agreed) parts.push(`text and perplexity (ln ln < ${fmt(t.loglog, 3)}) memorization agree on ${((100 * agreed.agree) / agreed.total).toFixed(1)}% of example-checkpoints`);
    parts.push(
      table(
        ['step', 'train acc', 'pre-mem acc', 'memorized', 'test acc', 'train set', 'test set'],
        run.checkpoints.map((c) => [
          String(c.step),
          fmt(c.train_accuracy),
          fmt(c.pre_memorization_accuracy),
          fmt(c.memorized_fraction),
          fmt(c.test_accuracy),
          c.sample_sets.train,
          c.sample_sets.test ?? '-',
        ]),
        new Set([5, 6]),
      ),
    );
  }
  parts.push('');
  const f = report.fit;
  parts.push(
    f.slope === null
      ? `fit: needs at least two checkpoints with test accuracy and some spread (have ${f.points})`
      : `fit over ${f.points} checkpoints: test accuracy = ${fmt(f.slope)} x pre-memorization accuracy ${f.intercept! < 0 ? '-' : '+'} ${fmt(Math.abs(f.intercept!))}   R^2 = ${fmt(f.r2)}`,
  );
  return parts.join('\n');
}

async function withStore<T>(v: Values, body: (store: IndexStore) => Promise<T>, io?: Output): Promise<T> {
  const store = await IndexStore.open(resolve(v.db ?? '.premem/index.sqlite'));
  if (store.setAside) io?.err(`premem: the index could not be read; moved it to ${store.setAside} and rebuilding (flags are kept in ${store.flagsFile})`);
  try {
    return await body(store);
  } finally {
    await store.close();
  }
}

function oneRun(positionals: readonly string[], command: string): string {
  if (positionals.length !== 1) throw new UsageError(`${command} takes exactly one run folder`);
  return positionals[0]!;
}

async function singleRun(store: IndexStore, dir: string, io: Output): Promise<StoredRun> {
  const runs = await ensureIndexed(store, [dir], io, false);
  if (runs.length !== 1) throw new UsageError(`${resolve(dir)} is a sweep of ${runs.length} runs; name one run`);
  return runs[0]!;
}

/**
 * `--loglog-threshold -2.3` must work as written, but parseArgs takes "-2.3" for an option.
 * A string option always consumes the next token, so bind them before parsing.
 */
export function bindOptionValues(argv: readonly string[]): string[] {
  const out: string[] = [];
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i]!;
    const name = a.startsWith('--') && !a.includes('=') ? a.slice(2) : null;
    const spec = name !== null ? (OPTIONS as Record<string, { type: string }>)[name] : undefined;
    if (spec?.type === 'string' && i + 1 < argv.length) {
      out.push(`${a}=${argv[++i]}`);
    } else {
      out.push(a);
    }
  }
  return out;
}

export async function main(argv: readonly string[], io: Output): Promise<number> {
  let parsed;
  try {
    parsed = parseArgs({ args: bindOptionValues(argv), options: OPTIONS, allowPositionals: true, strict: true });
  } catch (e) {
    io.err(`premem: ${(e as Error).message}\n\n${USAGE}`);
    return 2;
  }
  const { values: v, positionals } = parsed;
  const [command, ...rest] = positionals;
  if (v.version) {
    io.out(require('../../package.json').version as string);
    return 0;
  }
  if (v.help || command === undefined || command === 'help') {
    io.out(USAGE);
    return command === undefined && !v.help ? 2 : 0;
  }
  try {
    switch (command) {
      case 'index': {
        if (rest.length === 0) throw new UsageError('index needs at least one run or sweep folder');
        await withStore(v, (store) => ensureIndexed(store, rest, io, true), io);
        return 0;
      }
      case 'report': {
        if (rest.length === 0) throw new UsageError('report needs at least one run or sweep folder');
        const options = analysisOptions(v);
        const by = v.by;
        const { report, slices } = await withStore(
          v,
          async (store) => {
            const built = await buildReport(store, await ensureIndexed(store, rest, io, false), options);
            if (by === undefined) return { report: built, slices: null };
            const perRun: { path: string; name: string; slices: Slice[] }[] = [];
            for (const a of built.analyses) {
              const examples = await store.examples(a.run.id);
              const fields = sliceFields(examples);
              if (!fields.includes(by)) throw new UsageError(`${a.run.name} cannot be sliced by "${by}"; it offers: ${fields.length ? fields.join(', ') : 'nothing (no dataset file)'}`);
              perRun.push({ path: a.run.path, name: a.run.name, slices: sliceRun(a, examples, by) });
            }
            return { report: built, slices: perRun };
          },
          io,
        );
        if (v.json) {
          io.out(JSON.stringify(slices ? { ...report.json, slices: { by, runs: slices.map((r) => ({ path: r.path, slices: r.slices.map(sliceJson) })) } } : report.json));
          return 0;
        }
        io.out(formatReport(report.json, new Map(report.analyses.map((a) => [a.run.path, a.criteriaAgreement]))));
        for (const r of slices ?? []) {
          io.out(`\n${r.name} by ${by === STEPS_SLICE ? 'number of reference steps' : by} (at the last checkpoint)`);
          io.out(
            table(
              [by!, 'examples', 'pre-mem acc', 'train acc', 'never memorized', 'median memorized at'],
              r.slices.map((x) => [x.label, String(x.examples), fmt(x.preMemorizationAccuracy), fmt(x.trainAccuracy), String(x.neverMemorized), x.medianMemorizationStep === null ? '-' : `step ${x.medianMemorizationStep}`]),
              new Set([0]),
            ),
          );
        }
        return 0;
      }
      case 'examples': {
        const dir = oneRun(rest, 'examples');
        const options = analysisOptions(v);
        const sort = (v.sort ?? 'dataset') as ExampleSort;
        if (!EXAMPLE_SORTS.includes(sort)) throw new UsageError(`--sort must be one of ${EXAMPLE_SORTS.join(', ')}`);
        const limit = wholeNumber(v.limit, '--limit');
        await withStore(v, async (store) => {
          const run = await singleRun(store, dir, io);
          const analysis = await analyseRun(store, run, options);
          const examples = await store.examples(run.id);
          const rows = listExamples(analysis, examples, sort, limit);
          if (v.json) {
            io.out(rows.map((r) => JSON.stringify(exampleJson(r))).join('\n'));
            return;
          }
          const question = new Map(examples.map((e) => [e.index, e.question]));
          io.out(
            table(
              ['index', 'pre-mem acc', 'train acc', 'memorized at', 'category', 'question'],
              rows.map((r) => [
                String(r.index),
                fmt(r.preMemorizationAccuracy.at(-1)),
                fmt(r.trainAccuracy.at(-1)),
                r.memorizationStep === null ? 'never' : `step ${r.memorizationStep}`,
                r.category,
                snippet(question.get(r.index) ?? null),
              ]),
              new Set([4, 5]),
            ),
          );
        }, io);
        return 0;
      }
      case 'export': {
        const dir = oneRun(rest, 'export');
        const options = analysisOptions(v);
        const strategy = v.strategy as CurationStrategy | undefined;
        if (!strategy || !CURATION_STRATEGIES.includes(strategy)) throw new UsageError(`--strategy must be one of ${CURATION_STRATEGIES.join(', ')}`);
        const count = wholeNumber(v.count, '--count', 1);
        if (count === undefined) throw new UsageError('--count K is required');
        if (!v.out) throw new UsageError('--out FILE is required');
        const seed = wholeNumber(v.seed, '--seed') ?? 0;
        const written = await withStore(v, async (store) => {
          const run = await singleRun(store, dir, io);
          const chosen = curate(await analyseRun(store, run, options), await store.examples(run.id), await store.flags(run.path), strategy, count, seed);
          writeFileSync(v.out!, chosen.map((c) => exportLine(c) + '\n').join(''));
          return { chosen: chosen.length, texts: chosen.some((c) => c.record !== null) };
        }, io);
        io.err(`wrote ${written.chosen} examples (${written.texts ? 'dataset records' : 'indices only: the run has no dataset file'}) to ${v.out}`);
        return 0;
      }
      case 'calibrate': {
        if (rest.length === 0) throw new UsageError('calibrate needs a sweep (or several runs)');
        const num = (text: string | undefined, flag: string, fallback: number) => {
          if (text === undefined) return fallback;
          const x = Number(text);
          if (!Number.isFinite(x) || text.trim() === '') throw new UsageError(`${flag} must be a number, got "${text}"`);
          return x;
        };
        let grid: number[];
        try {
          grid = thresholdGrid(num(v.from, '--from', -4), num(v.to, '--to', -0.5), num(v.step, '--step', 0.1));
        } catch (e) {
          throw new UsageError((e as Error).message);
        }
        const { samplePreference } = analysisOptions(v);
        const result = await withStore(v, async (store) => calibrate(store, await ensureIndexed(store, rest, io, false), samplePreference, grid), io);
        if (v.json) {
          io.out(JSON.stringify(result));
          return 0;
        }
        const pct = (x: number | null) => (x === null ? '-' : (100 * x).toFixed(2));
        io.out('leave-one-run-out cross-validation of test accuracy ~ pre-memorization accuracy (ln-ln threshold)');
        io.out(
          table(
            ['ln-ln t', 'ppl below', 'held-out RMSE %', 'held-out MAE %', 'in-sample R^2', ''],
            result.scores.map((s) => [
              fmt(s.threshold, 2),
              fmt(Math.exp(Math.exp(s.threshold)), 4),
              pct(s.heldOutRmse),
              pct(s.heldOutMae),
              fmt(s.fit.r2),
              s === result.best ? '<- lowest held-out error' : s.threshold === result.reference.threshold ? '<- hand-picked' : '',
            ]),
            new Set([5]),
          ),
        );
        const b = result.best;
        const r = result.reference;
        io.out(
          b === null
            ? '\nno threshold could be scored: cross-validation needs three or more runs with test accuracy'
            : `\ncross-validated choice: t = ${fmt(b.threshold, 2)}, held-out RMSE ${pct(b.heldOutRmse)}% (R^2 ${fmt(b.fit.r2)}); ` +
                `hand-picked t = ${fmt(r.threshold, 2)}: held-out RMSE ${pct(r.heldOutRmse)}% (R^2 ${fmt(r.fit.r2)})`,
        );
        for (const p of result.predictions) {
          io.out(
            `predicted test accuracy, ${p.run} step ${p.step}: ${p.prediction ? `${fmt(p.prediction.value)} (95% prediction interval ${fmt(p.prediction.low)} to ${fmt(p.prediction.high)})` : '-'}`,
          );
        }
        return 0;
      }
      case 'flag': {
        const [dir, ...indexTexts] = rest;
        if (dir === undefined || indexTexts.length === 0) throw new UsageError('flag needs a run folder and at least one example index');
        const indices = indexTexts.map((t) => wholeNumber(t, 'an example index')!);
        await withStore(v, async (store) => {
          const run = await singleRun(store, dir, io);
          const known = new Set((await store.examples(run.id)).map((e) => e.index));
          const unknown = indices.filter((i) => !known.has(i));
          if (unknown.length) throw new UsageError(`run ${run.name} does not analyse example(s) ${unknown.join(', ')}`);
          for (const i of indices) {
            if (v.remove) {
              const removed = await store.removeFlag(run.path, i);
              io.err(`${removed ? 'unflagged' : 'was not flagged:'} ${run.name} #${i}`);
            } else {
              await store.setFlag(run.path, i, v.note ?? '');
              io.err(`flagged ${run.name} #${i}${v.note ? `: ${v.note}` : ''}`);
            }
          }
        }, io);
        return 0;
      }
      case 'flags': {
        const flags = await withStore(v, (store) => store.flags(), io);
        if (v.json) {
          io.out(JSON.stringify(flags.map((f) => ({ run: f.runPath, index: f.index, note: f.note, created_at: f.createdAt, updated_at: f.updatedAt }))));
        } else {
          io.out(flags.length === 0 ? 'no flags' : table(['run', 'index', 'note'], flags.map((f) => [f.runPath, String(f.index), f.note]), new Set([0, 2])));
        }
        return 0;
      }
      case 'score': {
        const dir = oneRun(rest, 'score');
        const batch = wholeNumber(v.batch, '--batch') ?? 8;
        const threads = wholeNumber(v.threads, '--threads');
        if (batch < 1) throw new UsageError('--batch must be at least 1');
        const steps = v.checkpoints === undefined ? undefined : v.checkpoints.split(',').map((x) => {
          const n = Number(x);
          if (!Number.isInteger(n) || n < 0) throw new UsageError(`--checkpoints takes steps such as 50,400; got "${x}"`);
          return n;
        });
        // Templates are typed in a shell: \n in them means a newline.
        const unescape = (t: string | undefined) => t?.replace(/\\n/g, '\n');
        const templates = { prompt: unescape(v['prompt-template']) ?? AUTHORS_TEMPLATES.prompt, target: unescape(v['target-template']) ?? AUTHORS_TEMPLATES.target };
        if (!templates.prompt.includes('{question}') || !templates.target.includes('{answer}')) throw new UsageError('--prompt-template needs {question} and --target-template needs {answer}');
        const done = await withStore(
          v,
          async (store) => {
            const run = await singleRun(store, dir, io);
            return scoreRun(store, run, { templates, batch, threads, steps, modelPattern: v.model, tokenizer: v.tokenizer === undefined ? undefined : resolve(v.tokenizer) }, {
              onCheckpoint: (c) => io.err(`checkpoint-${c.step}: scored ${c.examples} references (${c.tokens} tokens) in ${c.seconds.toFixed(2)} s, ${Math.round(c.tokens / c.seconds)} tokens/s`),
            });
          },
          io,
        );
        if (done.length === 0) throw new InputError(resolve(dir), 'no checkpoint has an ONNX model (checkpoint-<step>/model.onnx or onnx/model.onnx, with tokenizer.json)');
        return 0;
      }
      case 'similar': {
        const dir = oneRun(rest, 'similar');
        for (const [flag, value] of [['--encoder', v.encoder], ['--tokenizer', v.tokenizer], ['--pool', v.pool], ['--out', v.out]] as const) {
          if (value === undefined) throw new UsageError(`similar needs ${flag}`);
        }
        const from = v.from ?? 'lowest-premem';
        if (from !== 'flagged' && from !== 'lowest-premem') throw new UsageError('--from must be flagged or lowest-premem');
        const count = wholeNumber(v.count, '--count', 1) ?? 100;
        const seedCount = wholeNumber(v.seeds, '--seeds', 1) ?? 20;
        const options = analysisOptions(v);
        const written = await withStore(
          v,
          async (store) => {
            const run = await singleRun(store, dir, io);
            const examples = await store.examples(run.id);
            const seeds =
              from === 'flagged'
                ? (await store.flags(run.path)).map((f) => f.index)
                : listExamples(await analyseRun(store, run, options), examples, 'premem', seedCount).map((f) => f.index);
            const byIndex = new Map(examples.map((e) => [e.index, e]));
            const seedTexts = seeds.map((i) => byIndex.get(i)?.question ?? null);
            if (seeds.length === 0) throw new UsageError(from === 'flagged' ? `${run.name} has no flagged examples` : `${run.name} has no examples`);
            if (seedTexts.some((t) => t === null)) throw new InputError(run.path, 'finding similar questions needs the run’s questions (no dataset file?)');
            return findSimilar({ encoder: v.encoder!, tokenizer: v.tokenizer!, pool: v.pool!, out: v.out!, count }, seeds, seedTexts as string[]);
          },
          io,
        );
        io.err(`wrote the ${written.count} candidates nearest to ${written.seeds} ${from} examples (of ${written.pool}) to ${v.out}`);
        return 0;
      }
      case 'watch': {
        if (rest.length === 0) throw new UsageError('watch needs at least one run or sweep folder');
        const options = analysisOptions(v);
        const folders = rest.map((d) => resolve(d));
        for (const f of folders) if (!existsSync(f)) throw new InputError(f, 'no such folder');
        const stop = new AbortController();
        const onSignal = () => stop.abort();
        process.once('SIGINT', onSignal);
        process.once('SIGTERM', onSignal);
        try {
          await withStore(v, (store) => watchRuns(store, folders, options, io, stop.signal), io);
        } finally {
          process.off('SIGINT', onSignal);
          process.off('SIGTERM', onSignal);
        }
        return 0;
      }
      case 'example': {
        await runExample({ outDir: v.out, db: v.db }, io, formatReport);
        return 0;
      }
      default:
        throw new UsageError(`unknown command "${command}"`);
    }
  } catch (e) {
    if (e instanceof UsageError) {
      io.err(`premem: ${e.message}\n(see premem --help)`);
      return 2;
    }
    if (e instanceof InputError) {
      io.err(`premem: error: ${e.message}`);
      return 1;
    }
    const err = e as Error;
    io.err(`premem: error: ${err.message}`);
    if (process.env['PREMEM_DEBUG']) io.err(err.stack ?? '');
    return 1;
  }
}

/** One slice in `report --json --by`: snake_case like the rest of the contract, unknowns as null. */
function sliceJson(x: Slice): Record<string, unknown> {
  return {
    label: x.label,
    examples: x.examples,
    pre_memorization_accuracy: finiteOrNull(x.preMemorizationAccuracy),
    train_accuracy: finiteOrNull(x.trainAccuracy),
    never_memorized: x.neverMemorized,
    median_memorization_step: x.medianMemorizationStep,
  };
}
