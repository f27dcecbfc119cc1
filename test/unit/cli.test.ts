import assert from 'node:assert/strict';
import { execFileSync, spawnSync } from 'node:child_process';
import { copyFileSync, cpSync, mkdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { reportCommand } from '../../src/cli/commands/report';
import { bindOptionValues } from '../../src/cli/options';
import { writeExampleSweep } from '../../src/example/exampleSweep';
import { runCli, writeNpyRun } from '../helpers/fixtures';
import { REPO, tempDir } from '../helpers/paths';

const cli = runCli;

describe('premem CLI', () => {
  let tmp: ReturnType<typeof tempDir>;
  let sweep: string;
  let db: string;
  let run: string;
  before(() => {
    tmp = tempDir();
    sweep = writeExampleSweep(join(tmp.dir, 'example'));
    run = join(sweep, 'example_3epochs_lr2e-04');
    db = join(tmp.dir, 'db', 'index.sqlite');
  });
  after(() => tmp.cleanup());

  test('report --json has exactly the contract shape', async () => {
    const r = await cli('report', sweep, '--db', db, '--loglog-threshold', '-2.3', '--json');
    assert.equal(r.code, 0, r.err);
    const json = JSON.parse(r.out) as Record<string, unknown>;
    assert.deepEqual(Object.keys(json), ['threshold', 'runs', 'fit', 'sensitivity', 'predictors', 'early']);
    const runs = json['runs'] as Record<string, unknown>[];
    assert.equal(runs.length, 3);
    assert.deepEqual(Object.keys(runs[0]!), ['name', 'path', 'threshold', 'checkpoints', 'skipped_checkpoints']);
    const c = (runs[0]!['checkpoints'] as Record<string, unknown>[])[0]!;
    assert.deepEqual(Object.keys(c), ['step', 'examples', 'train_accuracy', 'pre_memorization_accuracy', 'memorized_fraction', 'test_accuracy', 'sample_sets']);
    assert.deepEqual(Object.keys(c['sample_sets'] as object), ['train', 'test']);
    assert.equal(c['step'], 6);
    assert.equal(c['examples'], 48);
    const fit = json['fit'] as Record<string, number>;
    assert.deepEqual(Object.keys(fit), ['points', 'slope', 'intercept', 'r2']);
    assert.equal(fit['points'], 18);
    assert.ok(fit['r2']! > 0.5 && fit['r2']! <= 1);
  });

  test('the readable report shows every run and the fit', async () => {
    const r = await cli('report', sweep, '--db', db);
    assert.equal(r.code, 0);
    for (const name of ['example_3epochs_lr1e-05', 'example_3epochs_lr5e-05', 'example_3epochs_lr2e-04']) assert.match(r.out, new RegExp(name));
    assert.match(r.out, /fit over 18 checkpoints: .* R\^2 = 0\.\d{4}/);
  });

  test('examples --json: one object per example, in dataset order, with the contract keys', async () => {
    const r = await cli('examples', run, '--db', db, '--json');
    assert.equal(r.code, 0, r.err);
    const lines = r.out.split('\n').map((l) => JSON.parse(l) as Record<string, unknown>);
    assert.equal(lines.length, 48);
    assert.deepEqual(
      lines.map((l) => l['index']),
      Array.from({ length: 48 }, (_, i) => i),
    );
    // The dataset is known: the question and the reference come with the figures.
    assert.deepEqual(Object.keys(lines[0]!), [
      'index',
      'train_accuracy',
      'perplexity',
      'memorized',
      'memorization_step',
      'memorization_epoch',
      'pre_memorization_accuracy',
      'question',
      'answer',
    ]);
    const memorized = lines.find((l) => l['memorization_step'] !== null)!;
    assert.equal((memorized['train_accuracy'] as number[]).length, 6);
    assert.equal(memorized['memorization_epoch'], (memorized['memorization_step'] as number) / 12, '12 steps per epoch, from run.json');
  });

  test('examples --sort premem --limit puts the lowest first', async () => {
    const r = await cli('examples', run, '--db', db, '--json', '--sort', 'premem', '--limit', '5');
    const lines = r.out.split('\n').map((l) => JSON.parse(l) as { pre_memorization_accuracy: number[] });
    assert.equal(lines.length, 5);
    const finals = lines.map((l) => l.pre_memorization_accuracy.at(-1)!);
    assert.deepEqual(
      finals,
      [...finals].sort((a, b) => a - b),
    );
    const table = await cli('examples', run, '--db', db, '--sort', 'memorization', '--limit', '3');
    assert.match(table.out.split('\n')[0]!, /index\s+pre-mem acc\s+train acc\s+memorized at\s+category\s+question/);
  });

  test('flag, flags and export --strategy flagged share one store', async () => {
    assert.equal((await cli('flag', run, '3', '7', '--db', db, '--note', 'copies the reference')).code, 0);
    assert.equal((await cli('flag', run, '7', '--db', db, '--remove')).code, 0);
    const flags = JSON.parse((await cli('flags', '--db', db, '--json')).out) as { run: string; index: number; note: string }[];
    assert.deepEqual(
      flags.map((f) => [f.run, f.index, f.note]),
      [[run, 3, 'copies the reference']],
    );
    const out = join(tmp.dir, 'flagged.jsonl');
    const r = await cli('export', run, '--strategy', 'flagged', '--count', '10', '--out', out, '--db', db);
    assert.equal(r.code, 0, r.err);
    const rows = readFileSync(out, 'utf8')
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l) as Record<string, unknown>);
    assert.equal(rows.length, 1);
    assert.equal(rows[0]!['index'], 3);
    const dataset = readFileSync(join(sweep, 'train.jsonl'), 'utf8').split('\n');
    const { premem, ...record } = rows[0]! as { premem: Record<string, unknown> } & Record<string, unknown>;
    assert.deepEqual({ ...record, index: undefined }, { ...JSON.parse(dataset[3]!), index: undefined }, 'the dataset record, untouched');
    // What the tool knows of it, under a key of its own: the run, the note, the figures.
    const figures = JSON.parse((await cli('examples', run, '--db', db, '--json')).out.split('\n')[3]!) as { pre_memorization_accuracy: number[]; memorization_step: number | null };
    assert.deepEqual(
      {
        run: premem['run'],
        run_path: premem['run_path'],
        flagged: premem['flagged'],
        note: premem['note'],
        pre: premem['pre_memorization_accuracy'],
        step: premem['memorization_step'],
      },
      {
        run: 'example_3epochs_lr2e-04',
        run_path: run,
        flagged: true,
        note: 'copies the reference',
        pre: figures.pre_memorization_accuracy.at(-1),
        step: figures.memorization_step,
      },
    );
    assert.match(r.err, /wrote 1 examples \(dataset records\)/);
    // Flags across runs: a sweep exports the flagged examples of each of its runs.
    const other = join(sweep, 'example_3epochs_lr1e-05');
    assert.equal((await cli('flag', other, '11', '--db', db, '--note', 'also this one')).code, 0);
    const all = join(tmp.dir, 'flagged-all.jsonl');
    const r2 = await cli('export', sweep, '--strategy', 'flagged', '--count', '10', '--out', all, '--db', db);
    assert.equal(r2.code, 0, r2.err);
    const both = readFileSync(all, 'utf8')
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l) as { index: number; premem: { run: string; note: string } });
    assert.deepEqual(both.map((b) => [b.premem.run, b.index, b.premem.note]).sort(), [
      ['example_3epochs_lr1e-05', 11, 'also this one'],
      ['example_3epochs_lr2e-04', 3, 'copies the reference'],
    ]);
    assert.match(r2.err, /wrote 2 examples of 3 runs/);
    assert.equal((await cli('export', sweep, '--strategy', 'lowest-premem', '--count', '1', '--out', all, '--db', db)).code, 2, 'other strategies take one run');
    await cli('flag', other, '11', '--remove', '--db', db);
    assert.equal((await cli('flag', run, '999', '--db', db)).code, 2, 'an example the run does not have');
  });

  test('export lowest-premem and random', async () => {
    const out = join(tmp.dir, 'low.jsonl');
    assert.equal((await cli('export', run, '--strategy', 'lowest-premem', '--count', '4', '--out', out, '--db', db)).code, 0);
    const low = readFileSync(out, 'utf8')
      .trim()
      .split('\n')
      .map((l) => (JSON.parse(l) as { index: number }).index);
    const sorted = (await cli('examples', run, '--db', db, '--json', '--sort', 'premem', '--limit', '4')).out.split('\n').map((l) => (JSON.parse(l) as { index: number }).index);
    assert.deepEqual(low, sorted);
    await cli('export', run, '--strategy', 'random', '--count', '5', '--seed', '3', '--out', out, '--db', db);
    const first = readFileSync(out, 'utf8');
    await cli('export', run, '--strategy', 'random', '--count', '5', '--seed', '3', '--out', out, '--db', db);
    assert.equal(readFileSync(out, 'utf8'), first, 'same seed, same selection');
  });

  test('usage mistakes exit 2 with a message', async () => {
    assert.equal((await cli()).code, 2);
    assert.equal((await cli('report')).code, 2);
    assert.equal((await cli('report', sweep, '--db', db, '--ppl-threshold', '1.1', '--loglog-threshold', '-2')).code, 2);
    assert.equal((await cli('examples', run, '--sort', 'nope', '--db', db)).code, 2);
    assert.equal((await cli('export', run, '--strategy', 'best', '--count', '1', '--out', 'x', '--db', db)).code, 2);
    assert.equal((await cli('bogus')).code, 2);
    assert.equal((await cli('report', sweep, '--frobnicate')).code, 2);
  });

  test('negative option values are taken as values', () => {
    assert.deepEqual(bindOptionValues(['d', '--loglog-threshold', '-2.5', '--json'], reportCommand.options), ['d', '--loglog-threshold=-2.5', '--json']);
  });

  describe('bad input: one line naming the file, exit 1, index untouched', () => {
    const snapshot = async () => (await cli('report', sweep, '--db', db, '--json')).out + (await cli('flags', '--db', db, '--json')).out;
    const cases: [string, (dir: string) => string, RegExp][] = [
      ['a missing folder', (d) => join(d, 'nope'), /nope: no such folder/],
      ['a folder without checkpoints', (d) => (mkdirSync(join(d, 'empty'), { recursive: true }), join(d, 'empty')), /empty: no checkpoint-<step> folders/],
      [
        'shapes that disagree between checkpoints',
        (d) =>
          writeNpyRun(join(d, 'shapes'), [
            { step: 1, train: [[0], [1], [0]], ppl: [2, 2, 2] },
            { step: 2, train: [[0], [1]], ppl: [2, 2] },
          ]),
        /checkpoint-2[/\\]train_answer_types2_seed2_temp0\.8\.npy: has 2 train questions, but the run has 3/,
      ],
      [
        'a truncated .npy',
        (d) => {
          const r = writeNpyRun(join(d, 'trunc'), [{ step: 1, train: [[0], [1]], ppl: [2, 2] }]);
          const f = join(r, 'checkpoint-1', 'train_perplexities.npy');
          writeFileSync(f, readFileSync(f).subarray(0, 130));
          return r;
        },
        /checkpoint-1[/\\]train_perplexities\.npy: truncated/,
      ],
      [
        'a malformed JSONL line',
        (d) => {
          const r = join(d, 'badjsonl');
          mkdirSync(join(r, 'checkpoint-5'), { recursive: true });
          writeFileSync(join(r, 'checkpoint-5', 'train_samples.jsonl'), '{"index": 0, "correct": [true]}\n\n{"index": 1, "correct": [true]\n');
          writeFileSync(join(r, 'checkpoint-5', 'train_references.jsonl'), '{"index": 0, "perplexity": 2}\n');
          return r;
        },
        /train_samples\.jsonl:3: malformed JSON/,
      ],
    ];
    for (const [name, make, pattern] of cases) {
      test(name, async () => {
        const before = await snapshot();
        // --strict: a checkpoint that cannot be read fails the call (without it, it is skipped).
        const r = await cli('report', make(tmp.dir), '--db', db, '--strict');
        assert.equal(r.code, 1);
        assert.match(r.err, pattern);
        // One error line (an "indexed" progress line may come before it).
        assert.equal(r.err.split('\n').filter((l) => l.startsWith('premem:')).length, 1, `one error line: ${r.err}`);
        assert.equal(await snapshot(), before);
      });
    }
  });

  test('an option a command does not take is a usage error that names it', async () => {
    const r = await cli('flags', '--seed', '3', '--strategy', 'bogus', '--db', db);
    assert.equal(r.code, 2);
    assert.match(r.err, /premem flags does not take --seed/);
    const help = await cli('report', '--help');
    assert.equal(help.code, 0);
    assert.match(help.out, /usage: premem report <dir>/);
    assert.match(help.out, /--loglog-threshold/);
    assert.doesNotMatch(help.out, /--strategy/, 'report lists only its own options');
  });

  test("text from users' files reaches the terminal with its control characters shown, not obeyed", async () => {
    // Clear-screen, a window title and an OSC 52 clipboard write, in a run name, a question and a note.
    const evil = '\x1b[2J\x1b]0;pwned\x07\x1b]52;c;SGVsbG8=\x07\u202e';
    const copy = join(tmp.dir, 'evil-sweep');
    cpSync(sweep, copy, { recursive: true });
    const evilRun = join(copy, `run${evil}`);
    renameSync(join(copy, 'example_3epochs_lr2e-04'), evilRun);
    const train = readFileSync(join(copy, 'train.jsonl'), 'utf8').split('\n');
    train[0] = JSON.stringify({ ...(JSON.parse(train[0]!) as object), question: `Q${evil}` });
    writeFileSync(join(copy, 'train.jsonl'), train.join('\n'));
    const outputs = [
      await cli('report', evilRun, '--db', db),
      await cli('examples', evilRun, '--db', db, '--limit', '3'),
      await cli('flag', evilRun, '0', '--note', `note${evil}`, '--db', db),
      await cli('flags', '--db', db),
    ];
    for (const r of outputs) {
      assert.equal(r.code, 0, r.err);
      // eslint-disable-next-line no-control-regex -- control characters are what this test looks for
      assert.doesNotMatch(r.out + r.err, /[\x00-\x09\x0b-\x1f\x7f-\x9f\u202e]/, 'no raw control character');
    }
    assert.match(outputs[1]!.out, /Q␛\[2J␛\]0;pwned␇/, 'shown as control pictures');
    assert.match(outputs[3]!.out, /note␛\[2J.*<U\+202E>/);
    // JSON keeps the exact text (escaped by JSON itself).
    const json = JSON.parse((await cli('flags', '--db', db, '--json')).out) as { note: string }[];
    assert.ok(json.some((f) => f.note === `note${evil}`));
    await cli('flag', evilRun, '0', '--remove', '--db', db);
  });

  test('--version prints the package version', async () => {
    const r = await cli('--version');
    assert.equal(r.code, 0);
    assert.equal(r.out, (JSON.parse(readFileSync(join(REPO, 'package.json'), 'utf8')) as { version: string }).version);
  });

  test('commands that do not score never load onnxruntime (the bundled CLI the bin runs)', () => {
    const probe = `
      const { main } = require(${JSON.stringify(join(REPO, 'dist', 'cli.js'))});
      const io = { out() {}, err() {} };
      (async () => {
        await main(['--help'], io);
        await main(['report', ${JSON.stringify(sweep)}, '--db', ${JSON.stringify(db)}], io);
        await main(['flags', '--db', ${JSON.stringify(db)}], io);
        await main(['score', '--help'], io);
        process.stdout.write(JSON.stringify(Object.keys(require.cache).filter((k) => /onnxruntime|tokenizers/.test(k))));
      })();`;
    const loaded = JSON.parse(execFileSync(process.execPath, ['-e', probe], { encoding: 'utf8' })) as string[];
    assert.deepEqual(loaded, []);
  });

  test('the installed bin runs and exits non-zero on bad input', () => {
    const bin = join(REPO, 'bin', 'premem.js');
    const ok = execFileSync(process.execPath, [bin, 'report', sweep, '--db', db, '--json'], { encoding: 'utf8' });
    assert.equal((JSON.parse(ok) as { runs: unknown[] }).runs.length, 3);
    const bad = spawnSync(process.execPath, [bin, 'index', join(tmp.dir, 'missing'), '--db', db], { encoding: 'utf8' });
    assert.equal(bad.status, 1);
    assert.match(bad.stderr, /^premem: error: .*missing: no such folder\n$/);
  });

  test('the index never lands in a run folder unless asked', async () => {
    const copy = join(tmp.dir, 'cwdtest');
    mkdirSync(copy, { recursive: true });
    copyFileSync(join(sweep, 'train.jsonl'), join(copy, 'train.jsonl'));
    const cwd = process.cwd();
    process.chdir(copy);
    try {
      assert.equal((await cli('index', run)).code, 0);
    } finally {
      process.chdir(cwd);
    }
    assert.ok(readFileSync(join(copy, '.premem', 'index.sqlite')).length > 0, 'default: .premem/index.sqlite under the current folder');
  });
});
