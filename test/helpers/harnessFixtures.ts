/**
 * Real lm-evaluation-harness logs for the tests that read harness records: test/fixtures/
 * lm-eval-0.4.13/, written by the real harness (0.4.13) running a real fine-tuned model, made by
 * `bash test/harness/make-fixtures.sh` (see there for how). Nothing in them is hand-built:
 *
 * - gsm8k-style/: the Trainer run's train.jsonl and test.jsonl, beside two runs of logs at
 *   checkpoints 6 and 24: planned_run (the tasks `premem plan lm-eval` wrote: 2 samples per
 *   training, test and perturbed question, and the references' log-likelihoods; with each
 *   checkpoint's tokenizer) and harness_tasks_run (the harness's own gsm8k task, both filters).
 * - math-style/math_run: the harness's own minerva_math task on MATH-style problems with levels.
 * - expected.json: figures computed without Premem Lens when the logs were made (the harness's
 *   own aggregates; a float64 transformers forward pass of each reference; the authors' GSM8K
 *   grading of each planned sample; step copy rates by a Python implementation).
 */
import { cpSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { REPO } from './paths';

export const HARNESS_FIXTURES = join(REPO, 'test', 'fixtures', 'lm-eval-0.4.13');
export const FIXTURE_CHECKPOINTS = ['checkpoint-6', 'checkpoint-24'] as const;
export type FixtureCheckpoint = (typeof FIXTURE_CHECKPOINTS)[number];

/** Per checkpoint, then task, then document: one value per logged response. */
type PerDoc = Record<FixtureCheckpoint, Record<string, Record<string, number[]>>>;

export interface HarnessExpected {
  /** The harness's own aggregate figures: layout → checkpoint → task → "metric,filter" → value. */
  readonly harness: Record<'gsm8k' | 'math', Record<FixtureCheckpoint, Record<string, Record<string, number>>>>;
  /** A float64 forward pass of each planned reference: summed log-probability and token count. */
  readonly references: Record<FixtureCheckpoint, { index: number; logprob: number; tokens: number }[]>;
  /** Each planned training sample graded by the authors' GSM8K rule: 0 correct, 1 wrong, 2 no answer. */
  readonly grades: Record<FixtureCheckpoint, Record<string, number[]>>;
  /** Each logged response's step copy rate against its reference, per layout. */
  readonly copies: Record<'planned' | 'gsm8k' | 'math', PerDoc>;
}

export function harnessExpected(): HarnessExpected {
  return JSON.parse(readFileSync(join(HARNESS_FIXTURES, 'expected.json'), 'utf8')) as HarnessExpected;
}

/** A copy of one fixture sweep in `dir` (tests change their copy, never the fixture). */
export function copyFixtureSweep(name: 'gsm8k-style' | 'math-style', dir: string): string {
  const to = join(dir, name);
  cpSync(join(HARNESS_FIXTURES, name), to, { recursive: true });
  return to;
}

/** The harness logs of a task under a folder (at any depth), sorted by name. */
export function harnessLogs(dir: string, task: string): string[] {
  return readdirSync(dir, { recursive: true, encoding: 'utf8' })
    .filter((f) => new RegExp(`(^|/)samples_${task}_\\d{4}-[^/]*\\.jsonl?$`).test(f))
    .map((f) => join(dir, f))
    .sort();
}

export const jsonlRecords = (file: string): Record<string, unknown>[] =>
  readFileSync(file, 'utf8')
    .split('\n')
    .filter((l) => l.trim() !== '')
    .map((l) => JSON.parse(l) as Record<string, unknown>);

/**
 * Rewrites a JSONL log in the form lm-evaluation-harness v0.4.0–0.4.2 wrote (`lm_eval/__main__.py`
 * at v0.4.2: one JSON array per task in `samples_<task>_<date>.json`): `arguments` as the list of
 * each request's argument tuples, and a log-likelihood response as its (number, boolean) pair
 * where v0.4.3 on writes strings. The records are the real ones, only re-encoded.
 */
export function toOldForm(file: string): string {
  const leaf = (v: unknown): unknown => (v === 'True' ? true : v === 'False' ? false : typeof v === 'string' && /^-?\d/.test(v) && Number.isFinite(Number(v)) ? Number(v) : v);
  const records = jsonlRecords(file).map((r) => {
    const args = r['arguments'] as Record<string, Record<string, unknown>>;
    const asList = Object.keys(args)
      .sort()
      .map((k) =>
        Object.keys(args[k]!)
          .sort()
          .map((j) => args[k]![j]),
      );
    const pairs = Array.isArray((r['resps'] as unknown[][])[0]?.[0]);
    return {
      ...r,
      arguments: asList,
      ...(pairs
        ? {
            resps: (r['resps'] as unknown[][][]).map((x) => x.map((y) => y.map(leaf))),
            filtered_resps: (r['filtered_resps'] as unknown[][]).map((x) => x.map(leaf)),
          }
        : {}),
    };
  });
  const to = file.replace(/\.jsonl$/, '.json');
  writeFileSync(to, JSON.stringify(records));
  rmSync(file);
  return to;
}
