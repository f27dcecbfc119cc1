import { appendFileSync, copyFileSync, existsSync, linkSync, mkdirSync, readdirSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { ANSWER_CORRECT, answerFormOf, grade, type AnswerCode } from '../core/grading';
import type { Perturbation } from '../core/perturb';
import { InputError } from '../ingest/errors';
import { readPerturbations } from '../ingest/perturbations';
import type { IndexStore, StoredCheckpoint, StoredExample, StoredRun } from '../store/indexStore';
import { Sampler } from './sampler';
import { sampleSetName, type PartSampled, type PartName, type SampleHooks, type SampleRunOptions } from './sampleSettings';
import { checkpointModel } from './scoreRun';
import { fillTemplates } from './templates';

export { impliedStop, sampleSetName, type PartSampled, type SampleProgress, type SampleRunOptions, type SampleSplit } from './sampleSettings';

export class SampleCancelled extends Error {
  constructor() {
    super('sampling cancelled; run the same command again to resume');
    this.name = 'SampleCancelled';
  }
}

interface Item {
  /** The output line's identity: `index` for a split, `id` for a variant. */
  readonly key: string;
  readonly seed: readonly number[];
  readonly prompt: string;
  readonly reference: string;
  readonly fields: Record<string, unknown>;
  readonly sort: readonly [number, string];
}

/** FNV-1a of a variant id: its draws are seeded by it, not by its place in a file. */
function hash32(s: string): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < s.length; i++) h = Math.imul(h ^ s.charCodeAt(i), 0x01000193);
  return h >>> 0;
}

/**
 * Samples k continuations per question at each checkpoint that has an ONNX model, grades them,
 * and writes them in the native JSONL layout: into the run's checkpoint folders, or into a run
 * folder of its own (`out`) that carries the references the index knows and points at the
 * dataset. Each (checkpoint, part) is written to `<file>.partial` a question at a time and
 * renamed when whole, so a killed run resumes where it stopped; because every sequence's draws
 * depend only on the seed and its own identity, the resumed file equals an uninterrupted one.
 */
export async function sampleRun(store: IndexStore, run: StoredRun, options: SampleRunOptions, hooks: SampleHooks = {}): Promise<PartSampled[]> {
  const setName = sampleSetName(options);
  if (options.out === null && options.limit !== undefined && !options.perturbations) {
    // A run's sample set must cover every analysed example at every checkpoint.
    throw new InputError(
      run.path,
      'a question limit samples part of the run: write it to a run folder of its own (--out DIR); in the run it would leave checkpoints covering only some examples',
    );
  }
  // "The first N questions" means the dataset's first N everywhere (perturb, plan, sample): the
  // examples with an index below N, not the first N of the run's analysis order (which follows
  // subsample_idxs and shared no question with perturb --limit N).
  const limit = options.limit ?? Infinity;
  const examples = (await store.examples(run.id)).filter((e) => e.index < limit);
  const parts: { name: PartName; items: Item[] }[] = [];
  const promptOf = (question: string) => fillTemplates(options.templates, question, '').prompt;
  const needText = (what: string, i: { question: string | null; answer: string | null; index: number }) => {
    if (i.question === null || i.answer === null)
      throw new InputError(run.path, `sampling needs the ${what} questions and references; example ${i.index} has none (no dataset file?)`);
    if (answerFormOf(i.answer) === null)
      throw new InputError(run.trainDatasetFile ?? run.path, `the reference of ${what} example ${i.index} has no final answer ("#### N" or \\boxed{}) to grade against`);
    return { question: i.question, answer: i.answer };
  };
  if (options.perturbations) {
    const known = new Set(examples.map((e) => e.index));
    const variants = readPerturbations(options.perturbations).filter((p) => known.has(p.index));
    if (!variants.length)
      throw new InputError(
        options.perturbations,
        `none of its variants is of one of the run's ${options.limit ? `examples among the dataset's first ${options.limit} questions` : 'examples'}`,
      );
    parts.push({ name: 'perturbed', items: variants.map((p) => variantItem(p, promptOf)) });
  } else {
    if (options.split !== 'test')
      parts.push({
        name: 'train',
        items: examples.map((e) => {
          const t = needText('training', e);
          return { key: String(e.index), seed: [0, e.index], prompt: promptOf(t.question), reference: t.answer, fields: { index: e.index }, sort: [e.index, ''] };
        }),
      });
    if (options.split !== 'train') {
      const tests = (await store.testExamples(run.id)).filter((e) => e.index < limit);
      if (!tests.length) throw new InputError(run.path, 'has no test questions (no test samples or test dataset indexed): use --split train');
      parts.push({
        name: 'test',
        items: tests.map((e) => {
          const t = needText('test', e);
          return { key: String(e.index), seed: [1, e.index], prompt: promptOf(t.question), reference: t.answer, fields: { index: e.index }, sort: [e.index, ''] };
        }),
      });
    }
  }

  const checkpoints = (await store.checkpoints(run.id)).filter((c) => !options.steps || options.steps.includes(c.step));
  const targets = checkpoints.flatMap((c) => {
    const files = checkpointModel(run.path, c.dir, c.step, options);
    return files ? [{ c, files }] : [];
  });
  if (options.steps) {
    const missing = options.steps.filter((s) => !targets.some((t) => t.c.step === s));
    if (missing.length)
      throw new InputError(run.path, `no ONNX model for checkpoint${missing.length > 1 ? 's' : ''} ${missing.join(', ')} (checkpoint-<step>/model.onnx or onnx/model.onnx)`);
  }
  if (!targets.length) throw new InputError(run.path, 'no checkpoint has an ONNX model (checkpoint-<step>/model.onnx or onnx/model.onnx, with tokenizer.json)');
  const context = runContext(run.path);
  // Every model loads, and its tokenizer matches, before any work: a bad one costs nothing.
  for (const { files } of targets) {
    const sampler = await Sampler.load(files.model, files.tokenizer, { context });
    try {
      // A prompt that fills the context would be sampled to nothing and graded "no answer".
      for (const part of parts) {
        const long = sampler.overLong(part.items.map((i) => ({ key: i.key, prompt: i.prompt })));
        if (long.length)
          throw new InputError(
            files.model,
            `${long.length} ${part.name} question${long.length === 1 ? '' : 's'} cannot be sampled: the prompt fills the model's context of ${sampler.contextLength} tokens (${long
              .slice(0, 5)
              .map((l) => `#${l.key}: ${l.tokens} tokens`)
              .join(', ')}${long.length > 5 ? ', …' : ''}); leave them out with --limit or a shorter prompt template`,
          );
      }
    } finally {
      await sampler.close();
    }
  }

  const out = options.out === null ? null : resolve(options.out);
  if (out) checkOutFolder(out, run);
  // One writer per destination: a second sampler into the same run is refused by name, not
  // left to interleave its lines with the first's.
  const release = acquireLock(out ?? run.path);
  try {
    if (out) prepareOutRun(out, run, options, setName);
    else recordSettings(join(run.path, INTO_RUN_SETTINGS), setName, options);
    return await sampleTargets(store, options, hooks, { parts, targets, examples, out, setName, context });
  } finally {
    release();
  }
}

async function sampleTargets(
  store: IndexStore,
  options: SampleRunOptions,
  hooks: SampleHooks,
  plan: {
    parts: readonly { name: PartName; items: Item[] }[];
    targets: readonly { c: StoredCheckpoint; files: { model: string; tokenizer: string } }[];
    examples: readonly StoredExample[];
    out: string | null;
    setName: string;
    context: number | null;
  },
): Promise<PartSampled[]> {
  const { parts, targets, examples, out, setName, context } = plan;
  const done: PartSampled[] = [];
  for (const { c, files } of targets) {
    const dir = out ? join(out, `checkpoint-${c.step}`) : c.dir;
    if (out)
      await writeReferences(
        store,
        c.id,
        c.dir,
        dir,
        examples.map((e) => ({ position: e.position, index: e.index })),
      );
    if (out && !parts.some((p) => p.name === 'train') && !readdirSync(dir).some((f) => /^train_samples.*\.jsonl$/.test(f))) {
      throw new InputError(dir, 'has no training samples: a run of its own needs them first (premem sample without --dataset, --split train or both)');
    }
    let sampler: Sampler | null = null;
    try {
      for (const part of parts) {
        const file = join(dir, `${part.name === 'perturbed' ? 'perturbed' : part.name}_samples_${setName}.jsonl`);
        if (existsSync(file)) {
          const p: PartSampled = {
            step: c.step,
            part: part.name,
            file,
            questions: part.items.length,
            samples: options.samples,
            correct: 0,
            noAnswer: 0,
            tokens: 0,
            seconds: 0,
            resumed: 0,
            skipped: true,
          };
          done.push(p);
          hooks.onPart?.(p);
          continue;
        }
        sampler ??= await Sampler.load(files.model, files.tokenizer, { threads: options.threads, context });
        const p = await samplePart(sampler, c.step, part.name, part.items, file, options, hooks);
        done.push(p);
        hooks.onPart?.(p);
      }
    } finally {
      await sampler?.close();
    }
  }
  return done;
}

function variantItem(p: Perturbation, promptOf: (q: string) => string): Item {
  if (answerFormOf(p.answer) === null) throw new RangeError(`variant ${p.id} has no final answer`);
  return {
    key: p.id,
    seed: [2, p.index, hash32(p.id)],
    prompt: promptOf(p.question),
    reference: p.answer,
    fields: { id: p.id, index: p.index, kind: p.kind, preserves_answer: p.preserves_answer, question: p.question, answer: p.answer, changes: p.changes },
    sort: [p.index, p.id],
  };
}

async function samplePart(
  sampler: Sampler,
  step: number,
  part: PartName,
  items: readonly Item[],
  file: string,
  options: SampleRunOptions,
  hooks: SampleHooks,
): Promise<PartSampled> {
  const partial = `${file}.partial`;
  const kept = readPartial(partial);
  const keyOf = (v: Record<string, unknown>) => String(part === 'perturbed' ? v['id'] : v['index']);
  const resumedKeys = new Set(kept.map(keyOf));
  // Whole lines only: a line torn by a kill is dropped and its question sampled again.
  writeFileSync(partial, kept.map((v) => JSON.stringify(v) + '\n').join(''));
  const todo = items.filter((i) => !resumedKeys.has(i.key));
  const k = options.samples;
  const requests = todo.flatMap((item) => Array.from({ length: k }, (_, s) => ({ item, s })));
  // Similar lengths share a batch (little padding); a question's samples stay together.
  requests.sort((a, b) => b.item.prompt.length - a.item.prompt.length || a.item.sort[0] - b.item.sort[0] || a.item.sort[1].localeCompare(b.item.sort[1]) || a.s - b.s);
  const pending = new Map<Item, { texts: string[]; codes: AnswerCode[]; left: number }>();
  const t0 = performance.now();
  let tokens = 0;
  let finished = 0;
  const total = items.length * k;
  const resumedSequences = (items.length - todo.length) * k;
  for (let start = 0; start < requests.length; start += options.batch) {
    if (hooks.isCancelled?.()) throw new SampleCancelled();
    const batch = requests.slice(start, start + options.batch);
    const generated = await sampler.generate(
      batch.map((r) => ({ prompt: r.item.prompt, key: [...r.item.seed, r.s] })),
      options,
      (n) => hooks.onProgress?.({ step, part, done: resumedSequences + finished, total, tokensPerSecond: (tokens + n) / ((performance.now() - t0) / 1000) }),
    );
    const lines: string[] = [];
    batch.forEach((r, b) => {
      const g = generated[b]!;
      tokens += g.tokens;
      let entry = pending.get(r.item);
      if (!entry) pending.set(r.item, (entry = { texts: new Array<string>(k), codes: new Array<AnswerCode>(k), left: k }));
      entry.texts[r.s] = g.text;
      entry.codes[r.s] = grade(g.text, r.item.reference);
      if (--entry.left === 0) {
        pending.delete(r.item);
        lines.push(JSON.stringify(sampleLine(r.item, entry.codes, entry.texts)) + '\n');
      }
    });
    finished += batch.length;
    if (lines.length) appendFileSync(partial, lines.join(''));
    hooks.onProgress?.({ step, part, done: resumedSequences + finished, total, tokensPerSecond: tokens / ((performance.now() - t0) / 1000) });
  }
  // The finished file is sorted, so a resumed run writes the same bytes as an uninterrupted one.
  const all = readPartial(partial);
  const rank = new Map(items.map((i, n) => [i.key, n]));
  all.sort((a, b) => rank.get(keyOf(a))! - rank.get(keyOf(b))!);
  const tmp = `${file}.tmp`;
  writeFileSync(tmp, all.map((v) => JSON.stringify(v) + '\n').join(''));
  renameSync(tmp, file);
  rmSync(partial, { force: true });
  const codes = all.flatMap((v) => v['answer_types'] as number[]);
  return {
    step,
    part,
    file,
    questions: items.length,
    samples: k,
    correct: codes.filter((c) => c === ANSWER_CORRECT).length,
    noAnswer: codes.filter((c) => c === 2).length,
    tokens,
    seconds: (performance.now() - t0) / 1000,
    resumed: items.length - todo.length,
    skipped: false,
  };
}

function sampleLine(item: Item, codes: readonly AnswerCode[], texts: readonly string[]): Record<string, unknown> {
  return { ...item.fields, correct: codes.map((c) => c === ANSWER_CORRECT), answer_types: codes, samples: texts };
}

/** The whole lines of an interrupted part's file; none when there is no such file. */
function readPartial(file: string): Record<string, unknown>[] {
  if (!existsSync(file)) return [];
  const text = readFileSync(file, 'utf8');
  const lines = text.split('\n');
  // The last piece is either empty (the file ends in a newline) or a torn line.
  lines.pop();
  const out: Record<string, unknown>[] = [];
  for (const l of lines) {
    try {
      const v: unknown = JSON.parse(l);
      if (v && typeof v === 'object' && Array.isArray((v as Record<string, unknown>)['answer_types'])) out.push(v as Record<string, unknown>);
    } catch {
      break;
    }
  }
  return out;
}

/** The model's context length as the run says (`run.json` `model.context`, as tinygsm's does), or null. */
function runContext(runPath: string): number | null {
  try {
    const j = JSON.parse(readFileSync(join(runPath, 'run.json'), 'utf8')) as { model?: { context?: unknown }; context?: unknown };
    const c = j.model?.context ?? j.context;
    return typeof c === 'number' && c > 0 ? c : null;
  } catch {
    return null;
  }
}

const LOCK = '.premem-sample.lock';

/** Where `--into-run` records each sample set's settings (a run's own run.json is the user's). */
const INTO_RUN_SETTINGS = 'premem_sample_sets.json';

function readJsonObject(file: string): Record<string, unknown> | null {
  if (!existsSync(file)) return null;
  try {
    const v = JSON.parse(readFileSync(file, 'utf8')) as unknown;
    return v && typeof v === 'object' && !Array.isArray(v) ? (v as Record<string, unknown>) : null;
  } catch {
    return null;
  }
}

/**
 * `--out` must be a new (or empty) folder, or one premem sample wrote for this same run: never a
 * training run's folder (its run.json would be replaced and checkpoint files added to it), never
 * a folder of other files, never the run itself.
 */
function checkOutFolder(out: string, run: StoredRun): void {
  if (resolve(out) === resolve(run.path)) throw new InputError(out, 'is the run itself: use --into-run to write into it');
  if (!existsSync(out)) return;
  let entries: string[];
  try {
    entries = readdirSync(out);
  } catch (e) {
    throw new InputError(out, `cannot be used as --out: ${(e as Error).message}`);
  }
  // A folder holding only a sampler's lock is one premem sample started: the lock decides.
  if (entries.every((e) => e === LOCK || e.startsWith(`${LOCK}.`))) return;
  const runJson = join(out, 'run.json');
  const previous = readJsonObject(runJson);
  if (!previous || typeof previous['sampled_from'] !== 'string')
    throw new InputError(
      out,
      existsSync(runJson)
        ? 'is a run folder premem sample did not write (its run.json is the run’s own): choose a new --out folder'
        : 'is a folder of other files, not one premem sample wrote: choose a new --out folder',
    );
  if (previous['sampled_from'] !== run.path)
    throw new InputError(runJson, `holds samples of ${JSON.stringify(previous['sampled_from'])}, not of ${run.path}: choose another --out folder`);
}

/**
 * A sample set is one set of settings: resuming or adding to it with other settings (another
 * --limit, --max-new-tokens, stop or template) would mix two kinds of samples in one file, so it is
 * refused, naming the setting. Returns the sets recorded in `file`, this one added.
 */
function settingsAgree(file: string, setName: string, options: SampleRunOptions): Record<string, unknown> {
  const sets = ((readJsonObject(file)?.['sample_sets'] as Record<string, unknown> | undefined) ?? {}) as Record<string, Record<string, unknown>>;
  const now = settingsOf(options);
  const before = sets[setName];
  if (before) {
    for (const [key, value] of Object.entries(now)) {
      const was = before[key] ?? null;
      if (JSON.stringify(was) !== JSON.stringify(value))
        throw new InputError(
          file,
          `sample set ${setName} was drawn with ${key} ${JSON.stringify(was)}; this run asks for ${JSON.stringify(value)}. Resume with the same settings, or write to another folder`,
        );
    }
  }
  return { ...sets, [setName]: now };
}

function writeJsonAtomically(file: string, body: unknown): void {
  writeFileSync(`${file}.tmp`, JSON.stringify(body, null, 1) + '\n');
  renameSync(`${file}.tmp`, file);
}

function recordSettings(file: string, setName: string, options: SampleRunOptions): void {
  writeJsonAtomically(file, { written_by: 'premem sample --into-run', sample_sets: settingsAgree(file, setName, options) });
}

/**
 * An exclusive lock on a destination (`.premem-sample.lock`, created with O_EXCL): taken over only
 * when the process that holds it is gone. Returns the release.
 */
function acquireLock(dir: string): () => void {
  mkdirSync(dir, { recursive: true });
  const file = join(dir, LOCK);
  // The lock appears with its process id already in it (written to a file of this process's own,
  // then hard-linked into place, which fails if a lock exists): a lock created empty and filled
  // after looked stale to a second sampler reading it in between, and both went on to write.
  const mine = join(dir, `${LOCK}.${process.pid}`);
  writeFileSync(mine, `${process.pid}\n`);
  try {
    for (let attempt = 0; attempt < 2; attempt++) {
      try {
        linkSync(mine, file);
        return () => rmSync(file, { force: true });
      } catch (e) {
        if ((e as NodeJS.ErrnoException).code !== 'EEXIST') throw new InputError(dir, `cannot be locked for sampling: ${(e as Error).message}`);
        const pid = Number(readFileSync(file, 'utf8').trim());
        if (Number.isSafeInteger(pid) && pid > 0 && pid !== process.pid && alive(pid))
          throw new InputError(dir, `another premem sample (process ${pid}) is writing into it; wait for it to finish or stop it`);
        // Its process is gone: a stale lock, taken over.
        rmSync(file, { force: true });
      }
    }
  } finally {
    rmSync(mine, { force: true });
  }
  throw new InputError(dir, 'cannot be locked for sampling: another process keeps taking the lock');
}

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (e) {
    return (e as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/** A run folder of its own: run.json naming the dataset the index knows and the sampling settings. */
function prepareOutRun(out: string, run: StoredRun, options: SampleRunOptions, setName: string): void {
  mkdirSync(out, { recursive: true });
  const runJson = join(out, 'run.json');
  const testFile = run.trainDatasetFile ? [join(run.trainDatasetFile, '..', 'test.jsonl')].find(existsSync) : undefined;
  const sets = settingsAgree(runJson, setName, options);
  const body = {
    sampled_from: run.path,
    ...(run.trainDatasetFile ? { train_file: run.trainDatasetFile } : {}),
    ...(testFile ? { test_file: resolve(testFile) } : {}),
    ...(run.epochs !== null ? { num_train_epochs: run.epochs } : {}),
    sample_sets: sets,
  };
  writeJsonAtomically(runJson, body);
}

function settingsOf(o: SampleRunOptions): Record<string, unknown> {
  return {
    samples: o.samples,
    temperature: o.temperature,
    top_p: o.topP,
    max_new_tokens: o.maxNewTokens,
    seed: o.seed,
    stop: o.stop,
    prompt_template: o.templates.prompt,
    limit: o.limit ?? null,
  };
}

/** The reference perplexities the index holds for a checkpoint, as `train_references.jsonl` (null where unknown), and its trainer state. */
async function writeReferences(store: IndexStore, checkpointId: number, sourceDir: string, dir: string, examples: readonly { position: number; index: number }[]): Promise<void> {
  mkdirSync(dir, { recursive: true });
  const file = join(dir, 'train_references.jsonl');
  if (!existsSync(file)) {
    const ppl = (await store.perplexities([checkpointId])).get(checkpointId)!;
    const lines = examples.map((e) => JSON.stringify({ index: e.index, perplexity: Number.isNaN(ppl[e.position]!) ? null : ppl[e.position] }) + '\n');
    writeFileSync(`${file}.tmp`, lines.join(''));
    renameSync(`${file}.tmp`, file);
  }
  const state = join(sourceDir, 'trainer_state.json');
  if (existsSync(state) && !existsSync(join(dir, 'trainer_state.json'))) copyFileSync(state, join(dir, 'trainer_state.json'));
}
