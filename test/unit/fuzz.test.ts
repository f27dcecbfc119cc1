import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { closeSync, cpSync, existsSync, mkdirSync, openSync, readdirSync, readFileSync, rmSync, statSync, symlinkSync, writeFileSync, writeSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { after, before, test } from 'node:test';
import { seededRandom } from '../../src/core/random';
import { InputError } from '../../src/ingest/errors';
import { MAX_LINE_BYTES } from '../../src/ingest/jsonl';
import { discoverRuns } from '../../src/ingest/runLayout';
import { buildReport } from '../../src/queries/report';
import { indexPaths } from '../../src/store/indexer';
import { IndexStore } from '../../src/store/indexStore';
import { writeNpyRun } from '../helpers/fixtures';
import { REPO as REPO_ROOT, tempDir } from '../helpers/paths';

/**
 * Bounded, seeded fuzzing of the readers: real-shaped .npy and JSONL runs, mutated (header
 * bytes, shapes, dtypes, truncation, garbage, cut lines, wrong types, missing fields, huge
 * values, invalid UTF-8) and in their structure (lines over the limit, huge shapes, invalid
 * perplexities, duplicate steps, pipes and dangling links in place of files). Every case must end in an InputError naming a file of the run, or in
 * an index whose figures are sane: never another exception, never a hang.
 */
// PREMEM_FUZZ_SEED explores other cases; the default keeps CI deterministic.
const SEED = Number(process.env['PREMEM_FUZZ_SEED'] ?? 20241107);
const CASES_PER_LAYOUT = 250;

let tmp: ReturnType<typeof tempDir>;
let npyBase: string;
let jsonlBase: string;

function jsonl(rows: unknown[]): string {
  return rows.map((r) => JSON.stringify(r)).join('\n') + '\n';
}

before(() => {
  tmp = tempDir('premem-fuzz-');
  const codes = (k: number) => Array.from({ length: 6 }, (_, q) => [q < k ? 0 : 1, q % 3 === 0 ? 2 : 1, 0]);
  npyBase = writeNpyRun(
    join(tmp.dir, 'base-npy', 'run'),
    [1, 2].map((j) => ({
      step: 10 * j,
      train: codes(2 * j),
      ppl: [1.5, 1.05, 2, 1.2, 1.01, 3].map((p) => 1 + (p - 1) / j),
      test: [
        [0, 1, 1],
        [1, 1, 0],
      ],
      texts: Array.from({ length: 6 }, (_, q) => [`a ${q}`, `b ${q} ü`, `c ${q}`]),
    })),
    [5, 0, 3, 1],
  );
  jsonlBase = join(tmp.dir, 'base-jsonl', 'run');
  for (const step of [5, 15]) {
    mkdirSync(join(jsonlBase, `checkpoint-${step}`), { recursive: true });
    writeFileSync(
      join(jsonlBase, `checkpoint-${step}`, 'train_samples.jsonl'),
      jsonl([0, 1, 2].map((index) => ({ index, correct: [true, index > 0], samples: [`s${index}`, `t${index}`] }))),
    );
    writeFileSync(join(jsonlBase, `checkpoint-${step}`, 'train_references.jsonl'), jsonl([0, 1, 2].map((index) => ({ index, perplexity: 1 + index / step }))));
    writeFileSync(join(jsonlBase, `checkpoint-${step}`, 'test_samples.jsonl'), jsonl([{ index: 0, correct: [false, true] }]));
  }
  writeFileSync(join(tmp.dir, 'base-jsonl', 'train.jsonl'), jsonl([0, 1, 2].map((i) => ({ question: `q${i}`, answer: `step ${i}\n#### ${i}` }))));
});

after(() => tmp.cleanup());

function filesUnder(dir: string): string[] {
  return readdirSync(dir).flatMap((n) => {
    const p = join(dir, n);
    return statSync(p).isDirectory() ? filesUnder(p) : [p];
  });
}

type Mutation = (bytes: Buffer, rand: () => number) => Buffer;
const int = (rand: () => number, n: number) => Math.floor(rand() * n);

const BYTE_MUTATIONS: [string, Mutation][] = [
  ['truncate', (b, r) => b.subarray(0, int(r, b.length))],
  [
    'flip a header byte',
    (b, r) => {
      const c = Buffer.from(b);
      const at = int(r, Math.min(128, c.length));
      c[at] = c[at]! ^ (1 << int(r, 8));
      return c;
    },
  ],
  [
    'flip a data byte',
    (b, r) => {
      const c = Buffer.from(b);
      c[int(r, c.length)] = int(r, 256);
      return c;
    },
  ],
  ['append garbage', (b, r) => Buffer.concat([b, Buffer.from(Array.from({ length: 1 + int(r, 40) }, () => int(r, 256)))])],
  ['zero the file', () => Buffer.alloc(0)],
  [
    'invalid UTF-8',
    (b, r) => {
      const c = Buffer.from(b);
      const at = int(r, c.length);
      c[at] = 0xff;
      if (at + 1 < c.length) c[at + 1] = 0xfe;
      return c;
    },
  ],
];

const TEXT_MUTATIONS: [string, (text: string, rand: () => number) => string][] = [
  ['change the shape', (t, r) => t.replace(/'shape': \(([^)]*)\)/, () => `'shape': (${int(r, 9)}, ${int(r, 9)})`)],
  ['change the dtype', (t, r) => t.replace(/'descr': '[^']*'/, () => `'descr': '${['<f8', '<i8', '|b1', '<U3', '>i4', '<c16', '|O', '<i2', 'xx'][int(r, 9)]}'`)],
  ['fortran order', (t) => t.replace("'fortran_order': False", "'fortran_order': True")],
  [
    'cut a JSONL line',
    (t, r) => {
      const at = int(r, t.length);
      return t.slice(0, at) + t.slice(at).replace(/\n/, '');
    },
  ],
  ['wrong type', (t) => t.replace(/"correct":\[[^\]]*\]/, '"correct":"yes"').replace(/"perplexity":[0-9.e+-]+/, '"perplexity":"low"')],
  ['missing field', (t, r) => t.replace([/"index":\d+,?/, /,?"correct":\[[^\]]*\]/, /"perplexity":[0-9.e+-]+,?/][int(r, 3)]!, '')],
  ['huge value', (t, r) => t.replace(/"index":\d+/, `"index":${['1e400', '9007199254740993', '-1', '2.5'][int(r, 4)]}`).replace(/"perplexity":[0-9.e+-]+/, '"perplexity":1e400')],
  [
    'duplicate a line',
    (t) => {
      const lines = t.split('\n');
      return [lines[0], ...lines].join('\n');
    },
  ],
];

/** Hostile shapes of the files themselves, as the audit found them (not their bytes alone). */
const STRUCTURAL_MUTATIONS: [string, (file: string, rand: () => number) => void][] = [
  [
    'huge line',
    (f) => {
      const fd = openSync(f, 'a');
      const block = Buffer.alloc(1 << 20, 'x');
      for (let i = 0; i <= MAX_LINE_BYTES >> 20; i++) writeSync(fd, block);
      closeSync(fd);
    },
  ],
  [
    'huge shape',
    (f, r) => {
      const t = readFileSync(f).toString('latin1');
      const shape = ['(16000000, 0)', '(1099511627776, 3)', '(9007199254740993,)', '(6, 0)'][int(r, 4)]!;
      writeFileSync(f, Buffer.from(t.replace(/'shape': \([^)]*\)/, `'shape': ${shape}`), 'latin1'));
    },
  ],
  [
    'negative perplexity',
    (f, r) => {
      const value = [-1, 0, -Infinity, 0.5][int(r, 4)]!;
      if (f.endsWith('.jsonl')) writeFileSync(f, readFileSync(f, 'utf8').replace(/"perplexity":[0-9.e+-]+/, `"perplexity":${Number.isFinite(value) ? String(value) : '-1e400'}`));
      else if (f.endsWith('train_perplexities.npy')) {
        const b = readFileSync(f);
        b.writeDoubleLE(value, b.length - 8);
        writeFileSync(f, b);
      } else writeFileSync(f, readFileSync(f));
    },
  ],
  [
    'duplicate step',
    (f) => {
      const ckpt = dirname(f);
      const m = /checkpoint-(\d+)$/.exec(ckpt);
      if (m) cpSync(ckpt, join(dirname(ckpt), `checkpoint-0${m[1]}`), { recursive: true });
    },
  ],
  [
    'a pipe instead of a file',
    (f) => {
      rmSync(f);
      execFileSync('mkfifo', [f]);
    },
  ],
  [
    'a dangling link instead of a file',
    (f) => {
      rmSync(f);
      symlinkSync(`${f}.gone`, f);
    },
  ],
];

function mutate(file: string, rand: () => number): string {
  if (rand() < 0.2) {
    const [name, m] = STRUCTURAL_MUTATIONS[int(rand, STRUCTURAL_MUTATIONS.length)]!;
    m(file, rand);
    return name;
  }
  const bytes = readFileSync(file);
  const isText = file.endsWith('.jsonl') || file.endsWith('.json') || rand() < 0.4;
  if (isText && rand() < 0.6) {
    const [name, m] = TEXT_MUTATIONS[int(rand, TEXT_MUTATIONS.length)]!;
    writeFileSync(file, Buffer.from(m(bytes.toString('latin1'), rand), 'latin1'));
    return name;
  }
  const [name, m] = BYTE_MUTATIONS[int(rand, BYTE_MUTATIONS.length)]!;
  writeFileSync(file, m(bytes, rand));
  return name;
}

async function fuzz(base: string, label: string): Promise<{ cases: number; errors: number; indexed: number }> {
  const rand = seededRandom(SEED + label.length);
  let errors = 0;
  let indexed = 0;
  for (let k = 0; k < CASES_PER_LAYOUT; k++) {
    const dir = join(tmp.dir, `${label}-${k}`);
    cpSync(join(base, '..'), dir, { recursive: true });
    const run = join(dir, 'run');
    const files = filesUnder(dir);
    const file = files[int(rand, files.length)]!;
    const how = mutate(file, rand);
    const store = await IndexStore.open(join(dir, 'index.sqlite'));
    try {
      await indexPaths(store, [run]);
      indexed++;
      const runs = await Promise.all(discoverRuns(run).map(async (l) => (await store.runByPath(l.path))!));
      const { json } = await buildReport(store, runs, { threshold: { kind: 'loglog', value: -2.3 }, samplePreference: null });
      // A checkpoint that could not be read is skipped: named like an error, the rest indexed.
      const skipped = json.runs.flatMap((r) => r.skipped_checkpoints);
      for (const s of skipped) assert.ok(s.file.startsWith(dir), `case ${k}: the skipped checkpoint names ${s.file}, not a file of the run`);
      if (skipped.length > 0) {
        indexed--;
        errors++;
      }
      for (const c of json.runs.flatMap((r) => r.checkpoints)) {
        for (const v of [c.train_accuracy, c.pre_memorization_accuracy, c.memorized_fraction, c.test_accuracy]) {
          assert.ok(v === null || (v >= 0 && v <= 1), `case ${k} (${how} in ${file}): figure ${v} out of [0, 1]`);
        }
      }
    } catch (e) {
      if (!(e instanceof InputError)) assert.fail(`case ${k} (${how} in ${file}): ${(e as Error).stack}`);
      assert.ok(e.file.startsWith(dir), `case ${k}: the error names ${e.file}, not a file of the run`);
      errors++;
    } finally {
      await store.close();
      rmSync(dir, { recursive: true, force: true });
    }
  }
  return { cases: CASES_PER_LAYOUT, errors, indexed };
}

test('fuzzed .npy runs end in a named error or a sane index', { timeout: 60_000 }, async () => {
  const r = await fuzz(npyBase, 'npy');
  console.log(`# fuzz .npy layout: ${r.cases} cases, ${r.errors} clear errors, ${r.indexed} indexed (seed ${SEED})`);
  assert.ok(r.errors > r.cases / 4 && r.indexed > 0, 'the mutations reach both outcomes');
});

test('fuzzed JSONL runs end in a named error or a sane index', { timeout: 60_000 }, async () => {
  const r = await fuzz(jsonlBase, 'jsonl');
  console.log(`# fuzz JSONL layout: ${r.cases} cases, ${r.errors} clear errors, ${r.indexed} indexed (seed ${SEED})`);
  assert.ok(r.errors > r.cases / 4 && r.indexed > 0, 'the mutations reach both outcomes');
});

/** Text a hostile workspace or dataset could carry: shell, YAML and Jinja syntax, line breaks, controls. */
const HOSTILE_PIECES = [
  '$(touch pwned)',
  '`touch pwned`',
  '"',
  "'",
  '\\',
  '{{ 7*7 }}',
  '{% if 1 %}x{% endif %}',
  '{#',
  '#}',
  '%}',
  '\n',
  '\r\n',
  '\u2028',
  '\u0085',
  '\x7f',
  '\t',
  ': ',
  '- ',
  '#',
  '&a *a',
  '!!python/object',
  ',',
  '=',
  '😀',
  'é',
  ' ',
];

function hostileText(rand: () => number, pieces: number): string {
  let s = '';
  for (let i = 0; i < pieces; i++) s += rand() < 0.5 ? HOSTILE_PIECES[Math.floor(rand() * HOSTILE_PIECES.length)]! : String.fromCharCode(97 + Math.floor(rand() * 26));
  return s;
}

test('fuzzed plans: hostile templates, model args and dataset texts end in a usage error or inert files', { timeout: 120_000 }, async () => {
  const { runCli } = await import('../helpers/fixtures');
  const { dir, cleanup } = tempDir('premem-fuzz-plan-');
  try {
    const rand = seededRandom(SEED + 77);
    const run = join(dir, 'run');
    mkdirSync(join(run, 'checkpoint-10'), { recursive: true });
    writeFileSync(join(run, 'checkpoint-10', 'config.json'), '{}');
    writeFileSync(join(run, 'checkpoint-10', 'model.safetensors'), '');
    const bin = join(dir, 'bin');
    mkdirSync(bin);
    const calls = join(dir, 'calls.jsonl');
    writeFileSync(join(bin, 'lm_eval'), `#!/usr/bin/env node\nrequire('fs').appendFileSync(${JSON.stringify(calls)}, JSON.stringify(process.argv.slice(2)) + '\\n');\n`);
    execFileSync('chmod', ['+x', join(bin, 'lm_eval')]);
    let planned = 0;
    let refused = 0;
    for (let k = 0; k < 60; k++) {
      const question = hostileText(rand, 12);
      writeFileSync(join(run, 'train.jsonl'), JSON.stringify({ question, answer: `${hostileText(rand, 4)}\n#### ${k}` }) + '\n');
      const prompt = `${hostileText(rand, 5)}{question}${hostileText(rand, 5)}`;
      const target = ` {answer}${hostileText(rand, 4)}`;
      const value = hostileText(rand, 6).replace(/[\n\r]/g, '');
      const out = join(dir, `plan-${k}`);
      const r = await runCli(
        'plan',
        'lm-eval',
        run,
        '--out',
        out,
        '--backend',
        'hf',
        '--prompt-template',
        prompt,
        '--target-template',
        target,
        '--model-args',
        `revision=${value}`,
      );
      if (r.code !== 0) {
        refused++;
        assert.equal(r.code, 2, `case ${k}: a refusal is a usage error: ${r.err}`);
        assert.doesNotMatch(r.err, /TypeError|Cannot read|undefined/, `case ${k}`);
        assert.ok(!existsSync(out), `case ${k}: a refused plan writes nothing`);
        continue;
      }
      planned++;
      for (const f of readdirSync(join(out, 'tasks'))) assert.match(readFileSync(join(out, 'tasks', f), 'utf8'), /^[\x20-\x7e\n]*$/, `case ${k}: ${f} is printable ASCII`);
      writeFileSync(calls, '');
      execFileSync('bash', ['-c', `source "$1"; evaluate "\${CHECKPOINTS[0]}" || true`, '_', join(out, 'checkpoints.sh')], {
        env: { ...process.env, PATH: `${bin}:${process.env['PATH'] ?? ''}` },
        stdio: 'ignore',
      });
      const argv = JSON.parse(readFileSync(calls, 'utf8').trim().split('\n')[0]!) as string[];
      assert.equal(
        argv[argv.indexOf('--model_args') + 1],
        `pretrained=${join(run, 'checkpoint-10')},dtype=auto,revision=${value}`,
        `case ${k}: the value reached lm_eval literally`,
      );
    }
    assert.ok(!existsSync(join(dir, 'pwned')) && !existsSync(join(REPO_ROOT, 'pwned')), 'no text ran');
    console.log(`# fuzzed plans: ${planned} planned, ${refused} refused as usage errors (seed ${SEED + 77})`);
    assert.ok(planned > 0);
  } finally {
    cleanup();
  }
});
