/**
 * `npm run bench:scale`: large synthetic runs (test/bench/scale-runs.ts) indexed by the CLI in
 * fresh processes (time, database size, peak memory), then the queries the editor makes timed
 * in this process, beside the same queries on the authors' GSM8K run (7,473 examples) as the
 * baseline. Prints figures; asserts nothing.
 */
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DEFAULT_THRESHOLD } from '../../src/core/threshold';
import { dashboardFigures } from '../../src/queries/dashboard';
import { orderExamples } from '../../src/queries/examples';
import { checkpointSamples, exampleDetail } from '../../src/queries/exampleDetail';
import { analyseRun, atThreshold, exampleFigures, type AnalysisOptions } from '../../src/queries/runAnalysis';
import { IndexStore } from '../../src/store/indexStore';
import { flagsFileFor } from '../../src/store/schema';
import { KANG_SWEEP, REPO } from '../helpers/paths';
import { NUMBERS_SHAPE, TEXTS_SHAPE, writeNumbersRun, writeTextsRun, type ScaleShape } from './scale-runs';

const BIN = join(REPO, 'bin', 'premem.js');
const PRELOAD = join(REPO, 'test', 'bench', 'peak-rss.js');
const ROOT = join(REPO, '.premem', 'scale');
const OPTIONS: AnalysisOptions = { threshold: DEFAULT_THRESHOLD, samplePreference: null };
const REPEATS = 5;

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;
const mb = (bytes: number) => `${(bytes / 2 ** 20).toFixed(0)} MB`;
const size = (f: string) => (existsSync(f) ? statSync(f).size : 0);

/**
 * Indexing runs with V8's heap capped at HEAP_CAP_MB: it completes only if what it keeps does
 * not grow with the run (checkpoints are read one at a time, sample texts streamed in batches).
 * The peak RSS printed also counts SQLite's page cache and the typed arrays outside the heap.
 */
const HEAP_CAP_MB = 64;

function indexInFreshProcess(run: string, db: string): { seconds: number; peakMb: number } {
  const t0 = process.hrtime.bigint();
  const r = spawnSync(process.execPath, [`--max-old-space-size=${HEAP_CAP_MB}`, '-r', PRELOAD, BIN, 'index', run, '--db', db], { encoding: 'utf8' });
  const seconds = Number(process.hrtime.bigint() - t0) / 1e9;
  if (r.status !== 0) throw new Error(`premem index ${run} failed:\n${r.stderr}`);
  return { seconds, peakMb: Number(/__PEAK_RSS_KB__ (\d+)/.exec(r.stderr)?.[1] ?? NaN) / 1024 };
}

async function time<T>(f: () => Promise<T> | T): Promise<{ ms: number; value: T }> {
  const t0 = performance.now();
  const value = await f();
  return { ms: performance.now() - t0, value };
}

/** The editor's queries on one indexed run: first (cold) and median of REPEATS (warm), in ms. */
async function uiQueries(db: string, label: string): Promise<string[]> {
  const store = await IndexStore.open(db);
  try {
    const [run] = await store.runs();
    const analysis = await time(() => analyseRun(store, run!, OPTIONS));
    const examples = await time(() => store.examples(run!.id));
    const a = analysis.value;
    const ex = examples.value;
    const probe = ex[Math.floor(ex.length / 2)]!;
    const last = a.checkpoints.at(-1)!.step;
    let order = orderExamples(a, ex, 'premem');
    const queries: [string, () => unknown][] = [
      [
        'examples page (sort + 200 rows)',
        () => {
          order = orderExamples(a, ex, 'premem');
          return order.slice(0, 200).map((e) => exampleFigures(a, e.position, e.index));
        },
      ],
      ['hover lookup (one example + flags)', async () => [exampleFigures(a, probe.position, probe.index), await store.flags(run!.path)]],
      [
        'example panel (detail + samples + rank)',
        async () => [await exampleDetail(store, a, probe, OPTIONS), await checkpointSamples(store, a, probe, last), order.findIndex((e) => e.index === probe.index)],
      ],
      ['dashboard recompute (new threshold)', () => dashboardFigures([{ run: run!, analysis: atThreshold(a, { kind: 'loglog', value: -2.5 }), error: null }])],
    ];
    const rows = [`${label}: load the run's arrays ${analysis.ms.toFixed(0)} ms, its examples ${examples.ms.toFixed(0)} ms (once per run; cached after)`];
    for (const [name, f] of queries) {
      const first = await time(f);
      const warm: number[] = [];
      for (let k = 0; k < REPEATS; k++) warm.push((await time(f)).ms);
      rows.push(`  ${name.padEnd(42)} first ${first.ms.toFixed(1).padStart(6)} ms   then ${median(warm).toFixed(1).padStart(6)} ms`);
    }
    return rows;
  } finally {
    await store.close();
  }
}

function describe(shape: ScaleShape): string {
  return `${shape.examples.toLocaleString('en')} examples × ${shape.checkpoints} checkpoints × ${shape.samples} samples`;
}

async function main(): Promise<void> {
  const tmp = mkdtempSync(join(tmpdir(), 'premem-scale-'));
  try {
    const lines: string[] = ['premem bench:scale (index in fresh CLI processes; queries in this process)', ''];
    const t0 = Date.now();
    const numbers = writeNumbersRun(ROOT);
    const numbersFew = writeNumbersRun(ROOT, { ...NUMBERS_SHAPE, checkpoints: 5 });
    const texts = writeTextsRun(ROOT);
    const textsFew = writeTextsRun(ROOT, { ...TEXTS_SHAPE, checkpoints: 2 });
    lines.push(`runs generated or reused in ${((Date.now() - t0) / 1000).toFixed(1)} s under ${ROOT}`, '');
    lines.push(`indexing, each in a fresh CLI process with the V8 heap capped at ${HEAP_CAP_MB} MB`);
    lines.push(`${''.padEnd(62)} ${'wall'.padStart(8)} ${'peak RSS'.padStart(9)} ${'index + flags'.padStart(14)}`);
    const indexed: [string, string][] = [];
    for (const [label, run, shape] of [
      ['numbers only (.npy)', numbers, NUMBERS_SHAPE],
      ['numbers only, same run with 5 checkpoints', numbersFew, { ...NUMBERS_SHAPE, checkpoints: 5 }],
      ['with texts (JSONL)', texts, TEXTS_SHAPE],
      ['with texts, same run with 2 checkpoints', textsFew, { ...TEXTS_SHAPE, checkpoints: 2 }],
    ] as const) {
      const db = join(tmp, `${indexed.length}.sqlite`);
      const m = indexInFreshProcess(run, db);
      const bytes = size(db) + size(`${db}-wal`) + size(flagsFileFor(db));
      lines.push(`${`${label}: ${describe(shape)}`.padEnd(62)} ${`${m.seconds.toFixed(1)} s`.padStart(8)} ${`${m.peakMb.toFixed(0)} MB`.padStart(9)} ${mb(bytes).padStart(14)}`);
      if (shape === NUMBERS_SHAPE || shape === TEXTS_SHAPE) indexed.push([label, db]);
    }
    lines.push('', 'the editor’s queries (first call, then the median of 5)');
    if (existsSync(KANG_SWEEP)) {
      const db = join(tmp, 'kang.sqlite');
      indexInFreshProcess(join(KANG_SWEEP, 'gsm8k_orig_3epochs_full_lr2e-05_bs128'), db);
      lines.push(...(await uiQueries(db, 'baseline: the authors’ GSM8K run, 7,473 examples × 3 checkpoints × 50 samples')));
    }
    for (const [label, db] of indexed) lines.push(...(await uiQueries(db, label)));
    console.log(lines.join('\n'));
  } finally {
    rmSync(tmp, { recursive: true, force: true });
  }
}

main().catch((e: unknown) => {
  console.error(e);
  process.exit(1);
});
