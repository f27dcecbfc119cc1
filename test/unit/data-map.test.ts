/**
 * premem map and premem table against an independent numpy computation on the authors' GSM8K
 * arrays (test/bench/data_map.py), bit for bit; the panels' columns against the same JSON; the
 * groups of similar questions on the bundled example (whose templates are known); the runs'
 * hyperparameters from names, run.json and the Trainer's state.
 */
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { cartography, regionOf, REGIONS } from '../../src/core/cartography';
import { DATA_MAP_PARAMS, parseDataMapState, REGION_NAMES } from '../../src/protocol/dataMap';
import { ProtocolError } from '../../src/protocol/rpc';
import { parseSweepTableState, SWEEP_TABLE_PARAMS } from '../../src/protocol/sweepTable';
import { fromRunName } from '../../src/core/hyperparameters';
import { groupQuestions, jaccard, wordsOf } from '../../src/core/groups';
import { writeExampleSweep } from '../../src/example/exampleSweep';
import { readHyperparameters } from '../../src/ingest/hyperparameters';
import { discoverRuns } from '../../src/ingest/runLayout';
import { DEFAULT_THRESHOLD } from '../../src/core/threshold';
import { analyseRun } from '../../src/queries/runAnalysis';
import { sweepTableOf, varyingHyperparameters } from '../../src/queries/sweepTable';
import { indexRun } from '../../src/store/indexer';
import { IndexStore } from '../../src/store/indexStore';
import { sortedRows } from '../../src/cli/commands/table';
import { filteredRows, sortRows } from '../../webview/sweepTable/rows';
import { fromPythonHex, pythonWithNumpy } from '../helpers/numpy';
import { runCli } from '../helpers/fixtures';
import { KANG_SWEEP, missingRequirement, REPO, skipUnless, tempDir, TINYGSM } from '../helpers/paths';

const python = pythonWithNumpy();
const RUN = join(KANG_SWEEP, 'gsm8k_orig_3epochs_full_lr2e-05_bs128');
const noNumpy = python === null && missingRequirement('no python3 with numpy was found (Debian: python3-numpy)');
const numpy = (...args: string[]): unknown => JSON.parse(execFileSync(python!, [join(REPO, 'test/bench/data_map.py'), ...args], { encoding: 'utf8', maxBuffer: 1 << 28 }));
const hexOrNull = (h: string | null) => (h === null ? null : fromPythonHex(h));

interface MapLine {
  index: number;
  confidence: number | null;
  variability: number | null;
  pre_memorization_accuracy: number | null;
  memorized: boolean;
  memorization_step: number | null;
  region: string | null;
  group: number;
}

test('premem map --json equals numpy bit for bit on the authors’ 3-epoch run', { skip: skipUnless(KANG_SWEEP) || noNumpy }, async () => {
  const tmp = tempDir();
  try {
    for (const t of ['-2.3', '-1.5']) {
      const ref = numpy('map', RUN, t) as {
        index: number;
        confidence: string;
        variability: string;
        pre_memorization_accuracy: string | null;
        memorized: boolean;
        memorization_step: number | null;
      }[];
      const r = await runCli('map', RUN, '--db', join(tmp.dir, 'index.sqlite'), '--json', '--loglog-threshold', t);
      assert.equal(r.code, 0, r.err);
      const ours = r.out
        .trim()
        .split('\n')
        .map((l) => JSON.parse(l) as MapLine);
      assert.equal(ours.length, 7473);
      assert.equal(ours.length, ref.length);
      let memorized = 0;
      ours.forEach((o, k) => {
        const n = ref[k]!;
        assert.equal(o.index, n.index, `line ${k}: dataset order`);
        assert.equal(o.confidence, fromPythonHex(n.confidence), `#${o.index} confidence`);
        assert.equal(o.variability, fromPythonHex(n.variability), `#${o.index} variability`);
        assert.equal(o.pre_memorization_accuracy, hexOrNull(n.pre_memorization_accuracy), `#${o.index} pre-memorization accuracy`);
        assert.equal(o.memorized, n.memorized, `#${o.index} memorized`);
        assert.equal(o.memorization_step, n.memorization_step, `#${o.index} memorization step`);
        assert.equal(o.region, regionOf(o.confidence, o.variability));
        if (o.memorized) memorized++;
      });
      // Both thresholds memorize some and leave some: the comparison covers both branches.
      assert.ok(memorized > 100 && memorized < 7373, `${memorized} memorized at ${t}`);
    }
  } finally {
    tmp.cleanup();
  }
});

test('premem table --json equals numpy on the authors’ sweep: every cell of 13 runs, bit for bit', { skip: skipUnless(KANG_SWEEP) || noNumpy }, async () => {
  const tmp = tempDir();
  try {
    const ref = numpy('table', KANG_SWEEP) as {
      runs: string[];
      rows: {
        index: number;
        copied_before_solved: number;
        mean_pre_memorization_accuracy: string | null;
        cells: Record<string, { pre_memorization_accuracy: string | null; memorization_step: number | null; train_accuracy: string | null }>;
      }[];
    };
    const r = await runCli('table', KANG_SWEEP, '--db', join(tmp.dir, 'index.sqlite'), '--json');
    assert.equal(r.code, 0, r.err);
    const ours = JSON.parse(r.out) as {
      runs: { name: string; hyperparameters: Record<string, unknown> }[];
      rows: {
        index: number;
        copied_before_solved: number;
        mean_pre_memorization_accuracy: number | null;
        cells: Record<string, { pre_memorization_accuracy: number | null; memorization_step: number | null; train_accuracy: number | null }>;
      }[];
    };
    assert.deepEqual(
      ours.runs.map((x) => x.name),
      ref.runs,
    );
    assert.equal(ours.runs.length, 13);
    // The authors' names carry the hyperparameters.
    assert.deepEqual(ours.runs.find((x) => x.name === 'gsm8k_orig_6epochs_half_lr2e-05_bs128')!.hyperparameters, {
      num_train_epochs: 6,
      data: 'half',
      learning_rate: 2e-5,
      batch_size: 128,
    });
    assert.equal(ours.rows.length, ref.rows.length);
    let cells = 0;
    ours.rows.forEach((o, k) => {
      const n = ref.rows[k]!;
      assert.equal(o.index, n.index);
      assert.equal(o.copied_before_solved, n.copied_before_solved, `#${o.index} copied before solved`);
      assert.equal(o.mean_pre_memorization_accuracy, hexOrNull(n.mean_pre_memorization_accuracy), `#${o.index} mean`);
      assert.deepEqual(Object.keys(o.cells), Object.keys(n.cells), `#${o.index}: the runs that analyse it`);
      for (const [run, c] of Object.entries(o.cells)) {
        const m = n.cells[run]!;
        assert.equal(c.pre_memorization_accuracy, hexOrNull(m.pre_memorization_accuracy), `#${o.index} ${run}`);
        assert.equal(c.train_accuracy, hexOrNull(m.train_accuracy), `#${o.index} ${run} train`);
        assert.equal(c.memorization_step, m.memorization_step, `#${o.index} ${run} step`);
        cells++;
      }
    });
    assert.ok(cells > 7473 * 3, `${cells} cells compared`);
  } finally {
    tmp.cleanup();
  }
});

test('the map’s figures are the engine’s: a row of premem examples equals its line of premem map', { skip: skipUnless(KANG_SWEEP) }, async () => {
  const tmp = tempDir();
  try {
    const db = join(tmp.dir, 'index.sqlite');
    const map = (await runCli('map', RUN, '--db', db, '--json')).out
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l) as MapLine);
    const examples = (await runCli('examples', RUN, '--db', db, '--json')).out
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l) as { index: number; train_accuracy: number[]; pre_memorization_accuracy: number[]; memorization_step: number | null });
    const byIndex = new Map(examples.map((e) => [e.index, e]));
    for (const m of map) {
      const e = byIndex.get(m.index)!;
      assert.equal(m.pre_memorization_accuracy, e.pre_memorization_accuracy.at(-1));
      assert.equal(m.memorization_step, e.memorization_step);
      const c = cartography(e.train_accuracy.map((x) => Float64Array.of(x)));
      assert.equal(m.confidence, c.confidence[0]);
      assert.equal(m.variability, c.variability[0]);
    }
    // A region filter keeps exactly that region's lines.
    const ambiguous = (await runCli('map', RUN, '--db', db, '--json', '--region', 'ambiguous')).out
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l) as MapLine);
    assert.deepEqual(
      ambiguous.map((l) => l.index),
      map.filter((l) => l.region === 'ambiguous').map((l) => l.index),
    );
    const bad = await runCli('map', RUN, '--db', db, '--region', 'easy');
    assert.equal(bad.code, 2);
    assert.match(bad.err, /--region must be one of easy-to-learn, ambiguous, hard-to-learn/);
  } finally {
    tmp.cleanup();
  }
});

test('cartography is numpy’s mean and std over checkpoints, NaN and all', () => {
  const c = cartography([Float64Array.of(0, 1, NaN), Float64Array.of(0.5, 1, 0), Float64Array.of(1, 1, 0)]);
  assert.deepEqual([...c.confidence], [0.5, 1, NaN]);
  assert.equal(c.variability[0], Math.sqrt((0.25 + 0 + 0.25) / 3));
  assert.equal(c.variability[1], 0);
  assert.ok(Number.isNaN(c.variability[2]!));
  assert.equal(regionOf(0.9, 0.05), 'easy-to-learn');
  assert.equal(regionOf(0.2, 0.05), 'hard-to-learn');
  assert.equal(regionOf(0.5, 0.2), 'ambiguous');
});

test('groups of similar questions: the bundled example’s templates, found without a model', async () => {
  const tmp = tempDir();
  try {
    const sweep = writeExampleSweep(join(tmp.dir, 'example'));
    const run = join(sweep, 'example_3epochs_lr2e-04');
    const r = await runCli('map', run, '--db', join(tmp.dir, 'index.sqlite'), '--json');
    assert.equal(r.code, 0, r.err);
    const lines = r.out
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l) as MapLine);
    const group = new Map(lines.map((l) => [l.index, l.group]));
    // The issue's own observation: #4, #25 and #31 are one template.
    assert.ok(group.get(4)! > 0);
    assert.equal(group.get(25), group.get(4));
    assert.equal(group.get(31), group.get(4));
    // Three templates make three groups, and no question is left alone.
    assert.equal(new Set(lines.map((l) => l.group)).size, 3);
    assert.ok(lines.every((l) => l.group > 0));
    const text = await runCli('map', run, '--db', join(tmp.dir, 'index.sqlite'));
    assert.match(text.out, /3 groups of similar questions \(MinHash over words, Jaccard ≥ 0\.5\)/);
    assert.match(text.out, /\bchange\b/);
    // The criterion in force is the one stated, the text criterion included.
    assert.match(text.out.split('\n')[0]!, /memorized when reference perplexity below 1\.1055 \(ln ln −2\.30/);
    const byText = await runCli('map', run, '--db', join(tmp.dir, 'index.sqlite'), '--memorization', 'text');
    assert.equal(byText.code, 0, byText.err);
    assert.match(byText.out.split('\n')[0]!, /memorized when most samples copy at least 0\.5 of the reference steps \(text criterion\)$/);
  } finally {
    tmp.cleanup();
  }
});

test('groups: numbers do not separate a template, different wording does; unknown texts stay alone', () => {
  assert.deepEqual([...wordsOf('Ann has 3,000 apples and $2.50.')], ['ann', 'has', '#', 'apples', 'and']);
  const qs = [
    'Ann buys 3 pens at $2 each. How much does Ann pay?',
    'Raj buys 7 pens at $4 each. How much does Raj pay?',
    'A train leaves at 9 and travels 60 miles an hour for 3 hours. How far does it go?',
    null,
    'Mia buys 5 pens at $3 each. How much does Mia pay?',
  ];
  const g = groupQuestions(qs);
  assert.equal(g.method, 'minhash');
  assert.deepEqual([...g.groupOf], [1, 1, 0, 0, 1]);
  assert.deepEqual(g.groups[0]!.members, [0, 1, 4]);
  assert.ok(g.groups[0]!.label.includes('pens'));
  assert.ok(jaccard(wordsOf(qs[0]!), wordsOf(qs[2]!)) < 0.5);
  // A stricter similarity keeps them apart.
  assert.equal(groupQuestions(qs, 0.95).groups.length, 0);
});

test('hyperparameters: the authors’ run names, run.json first, then the Trainer’s state', () => {
  assert.deepEqual(fromRunName('gsm8k_orig_3epochs_full_lr2e-05_bs128'), { num_train_epochs: 3, data: 'full', learning_rate: 2e-5, batch_size: 128 });
  assert.deepEqual(fromRunName('gsm8k_orig_12epochs_quarter_lr0.0002_bs128'), { num_train_epochs: 12, data: 'quarter', learning_rate: 0.0002, batch_size: 128 });
  assert.deepEqual(fromRunName('my-run'), {});
  const tmp = tempDir();
  try {
    const state = join(tmp.dir, 'checkpoint-10', 'trainer_state.json');
    mkdirSync(join(tmp.dir, 'checkpoint-10'));
    writeFileSync(state, JSON.stringify({ num_train_epochs: 4, train_batch_size: 16, max_steps: 40, epoch: 1 }));
    const h = readHyperparameters('x_3epochs_lr1e-05', { learning_rate: '5e-05', train_file: 'train.jsonl', warmup: true }, state);
    assert.deepEqual(h['learning_rate'], { value: 5e-5, source: 'run.json' });
    assert.deepEqual(h['num_train_epochs'], { value: 4, source: 'trainer_state.json' });
    assert.deepEqual(h['batch_size'], { value: 16, source: 'trainer_state.json' });
    assert.deepEqual(h['warmup'], { value: true, source: 'run.json' });
    assert.equal(h['train_file'], undefined, 'paths are not hyperparameters');
    writeFileSync(state, '{ not json');
    assert.throws(
      () => readHyperparameters('x', null, state),
      (e: Error) => e.message.includes(state) && /malformed trainer_state\.json/.test(e.message),
    );
  } finally {
    tmp.cleanup();
  }
});

test('tinygsm’s run.json gives the table its hyperparameters', { skip: skipUnless(TINYGSM) }, async () => {
  const tmp = tempDir();
  try {
    const r = await runCli('table', join(TINYGSM, 'tinygsm_8epochs_full_lr0.001_bs8'), '--db', join(tmp.dir, 'index.sqlite'), '--json');
    assert.equal(r.code, 0, r.err);
    const t = JSON.parse(r.out) as { runs: { hyperparameters: Record<string, unknown> }[]; rows: { group: number }[] };
    const h = t.runs[0]!.hyperparameters;
    assert.equal(h['learning_rate'], 0.001);
    assert.equal(h['num_train_epochs'], 8);
    assert.equal(h['batch_size'], 8);
    assert.equal(h['lr_scheduler'], 'cosine');
    assert.equal(t.rows.length, 400);
  } finally {
    tmp.cleanup();
  }
});

test('the panels’ messages: a selection is whole dataset indices, nothing else passes', () => {
  const refuse = (f: () => unknown, pattern: RegExp) => assert.throws(f, (e: unknown) => e instanceof ProtocolError && pattern.test(e.message));
  assert.deepEqual(DATA_MAP_PARAMS.flagSelection({ indices: [0, 4, 31], note: 'copied' }, 'flagSelection'), { indices: [0, 4, 31], note: 'copied' });
  refuse(() => DATA_MAP_PARAMS.flagSelection({ indices: [1.5], note: '' }, 'flagSelection'), /flagSelection\.indices\[0\]/);
  refuse(() => DATA_MAP_PARAMS.flagSelection({ indices: [-1], note: '' }, 'flagSelection'), /indices\[0\]/);
  refuse(() => DATA_MAP_PARAMS.flagSelection({ indices: '1,2', note: '' }, 'flagSelection'), /expected a list/);
  refuse(() => DATA_MAP_PARAMS.exportSelection({ indices: [1], path: '/etc/passwd' }, 'exportSelection'), /unexpected field path/);
  refuse(() => DATA_MAP_PARAMS.openExample({ index: 1, runPath: '/elsewhere' }, 'openExample'), /unexpected field runPath/);
  refuse(() => SWEEP_TABLE_PARAMS.open({ runPath: 7, index: 1 }, 'open'), /open\.runPath/);
  refuse(() => SWEEP_TABLE_PARAMS.search({ text: 'x'.repeat(501) }, 'search'), /at most 500/);
  assert.deepEqual(parseDataMapState({ runPath: '/r' }, 'state'), { runPath: '/r' });
  refuse(() => parseSweepTableState({ sweepPath: '/s', extra: 1 }, 'state'), /unexpected field extra/);
  // The panel's region codes are the engine's regions, in its order.
  assert.deepEqual([...REGION_NAMES], [...REGIONS]);
});

test('the table panel’s order is premem table’s: copied before solved, then the mean; unknowns last both ways', async () => {
  const tmp = tempDir();
  try {
    const sweep = writeExampleSweep(join(tmp.dir, 'example'));
    const store = await IndexStore.open(join(tmp.dir, 'index.sqlite'));
    try {
      const runs = [];
      for (const layout of discoverRuns(sweep)) {
        await indexRun(store, layout);
        runs.push((await store.runByPath(layout.path))!);
      }
      const options = { threshold: DEFAULT_THRESHOLD, samplePreference: null };
      const analyses = await Promise.all(runs.map((r) => analyseRun(store, r, options)));
      const examplesOf = new Map(await Promise.all(runs.map(async (r) => [r.id, await store.examples(r.id)] as const)));
      const t = sweepTableOf(analyses, examplesOf);
      const { examples: _e, ...shown } = t;
      void _e;
      const view = { ...shown, sweepName: 'example', varying: varyingHyperparameters(t.runs), sliceFields: [], flagged: [] };
      const all = filteredRows(view, { text: null, slice: null, flaggedOnly: false, group: 0 });
      assert.deepEqual([...sortRows(view, all, { key: { kind: 'copied' }, descending: true, byGroup: false })], sortedRows(t, 'copied'));
      assert.deepEqual([...sortRows(view, all, { key: { kind: 'mean' }, descending: false, byGroup: false })], sortedRows(t, 'mean'));
      // A run's memorization step: never memorized (NaN) sorts last ascending and descending.
      for (const descending of [false, true]) {
        const order = sortRows(view, all, { key: { kind: 'cell', run: 2, cell: 'step' }, descending, byGroup: false });
        const steps = [...order].map((k) => t.cells[2]!.memorizationStep[k]!);
        const firstUnknown = steps.findIndex((x) => Number.isNaN(x));
        assert.ok(firstUnknown > 0, 'some examples are memorized, some never');
        assert.ok(
          steps.slice(firstUnknown).every((x) => Number.isNaN(x)),
          'unknowns last',
        );
        const known = steps.slice(0, firstUnknown);
        assert.deepEqual(
          known,
          [...known].sort((a, b) => (descending ? b - a : a - b)),
        );
      }
      // The varying hyperparameter of the example sweep is its learning rate (from run.json).
      assert.deepEqual(view.varying, ['learning_rate']);
    } finally {
      await store.close();
    }
  } finally {
    tmp.cleanup();
  }
});

test('a malformed trainer_state.json costs its checkpoint, not the run’s table: hyperparameters from the other sources', async () => {
  const tmp = tempDir();
  try {
    const sweep = writeExampleSweep(join(tmp.dir, 'example'));
    const run = join(sweep, 'example_3epochs_lr2e-04');
    writeFileSync(join(run, 'checkpoint-36', 'trainer_state.json'), '{ not json');
    // A nested value in run.json is not a hyperparameter: the name's learning rate stands.
    writeFileSync(join(sweep, 'example_3epochs_lr1e-05', 'run.json'), JSON.stringify({ learning_rate: { peak: 1 }, num_train_epochs: 3 }));
    const r = await runCli('table', sweep, '--db', join(tmp.dir, 'index.sqlite'), '--json');
    assert.equal(r.code, 0, r.err);
    const t = JSON.parse(r.out) as { runs: { name: string; hyperparameters: Record<string, unknown> }[] };
    assert.deepEqual(t.runs.find((x) => x.name === 'example_3epochs_lr1e-05')!.hyperparameters, { num_train_epochs: 3, learning_rate: 1e-5 });
    assert.equal(t.runs.find((x) => x.name === 'example_3epochs_lr2e-04')!.hyperparameters['learning_rate'], 0.0002);
    const report = await runCli('report', run, '--db', join(tmp.dir, 'index.sqlite'));
    assert.match(report.out + report.err, /skipped step 36 .*checkpoint-36\/trainer_state\.json: malformed trainer_state\.json/);
  } finally {
    tmp.cleanup();
  }
});
