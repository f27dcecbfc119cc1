/**
 * Reference scoring with onnxruntime-node on the tinygsm model, a genuinely trained model
 * exported to ONNX at every checkpoint: `premem score` must reproduce PyTorch's per-token
 * log-probabilities (reference_scores.jsonl) and the run's own train_perplexities.npy.
 */
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { cpSync, existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { describe, test } from 'node:test';
import { seededRandom } from '../../src/core/random';
import { perplexityOf, targetLogprobs } from '../../src/core/logprobs';
import { writeExampleSweep } from '../../src/example/exampleSweep';
import { expectNumeric, readNpyFile } from '../../src/ingest/npy';
import { AUTHORS_TEMPLATES, fillTemplates, ReferenceScorer } from '../../src/score/referenceScorer';
import { IndexStore } from '../../src/store/indexStore';
import { runCli } from '../helpers/fixtures';
import { characterTokenizer, lookupLanguageModel, writeModel } from '../helpers/onnxModels';
import { skipUnless, tempDir, TINYGSM } from '../helpers/paths';

const RUN = join(TINYGSM, 'tinygsm_8epochs_full_lr0.001_bs8');
const relative = (a: number, b: number) => Math.abs(a - b) / Math.abs(b);

interface ReferenceScoreLine {
  index: number;
  prompt: string;
  target: string;
  input_ids: number[];
  prompt_num_tokens: number;
  target_logprobs: number[];
  num_tokens: number;
  perplexity: number;
}

test('log-softmax of the logits, and perplexity as exp(mean NLL)', () => {
  // Two rows of a three-token vocabulary; row t-1 predicts token t.
  const logits = Float32Array.from([0, Math.log(3), 0, /**/ 5, 5, 5]);
  const lps = targetLogprobs(logits, 3, 0, [0, 1, 2], 1, 3);
  assert.ok(Math.abs(lps[0]! - Math.log(3 / 5)) < 1e-7);
  assert.ok(Math.abs(lps[1]! - Math.log(1 / 3)) < 1e-7);
  assert.ok(Math.abs(perplexityOf(lps) - Math.exp(-(lps[0]! + lps[1]!) / 2)) < 1e-12);
  // Large logits stay finite: the row maximum is subtracted first.
  assert.ok(Number.isFinite(targetLogprobs(Float32Array.from([1e4, 0, 0, 1e4, 0, 0]), 3, 0, [0, 0, 0], 1, 3)[0]!));
  assert.throws(() => targetLogprobs(logits, 3, 0, [0, 7, 0], 1, 2), /outside the vocabulary/);
});

describe('scoring with models the tests build (closed-form log-probabilities)', () => {
  // Characters a..e plus the template's own; the table's row for each previous token is known.
  const chars = [...new Set('abcde?\nAnswer: Done.'.split(''))];
  const V = chars.length + 2;
  const rand = seededRandom(5);
  const table = Array.from({ length: V }, () => Array.from({ length: V }, () => Math.fround(4 * rand() - 2)));
  const tokenizer = characterTokenizer(chars);
  const idOf = (c: string) => chars.indexOf(c) + 2;
  /** log-softmax(table[prev])[next], summed in float64 from the float32 table, as the model computes. */
  const expectedLogprob = (prev: number, next: number) => {
    const row = table[prev]!;
    const max = Math.max(...row);
    return row[next]! - max - Math.log(row.reduce((a, x) => a + Math.exp(x - max), 0));
  };
  const examples = [
    { question: 'abc?', answer: 'dde' },
    { question: 'a?', answer: 'bcdeabcde' },
    { question: 'eeee?', answer: 'a' },
  ];

  for (const [label, options] of [
    ['input_ids only', {}],
    ['with an attention_mask input', { attentionMask: true }],
    ['with Optimum’s decoder signature and an empty key/value cache', { optimumCache: true }],
  ] as const) {
    test(`exact perplexities, ${label}, one by one or in padded batches`, async () => {
      const tmp = tempDir();
      try {
        writeModel(join(tmp.dir, 'model.onnx'), lookupLanguageModel(table, options));
        writeFileSync(join(tmp.dir, 'tokenizer.json'), JSON.stringify(tokenizer));
        const scorer = await ReferenceScorer.load(join(tmp.dir, 'model.onnx'), join(tmp.dir, 'tokenizer.json'));
        try {
          const items = examples.map((e) => fillTemplates(AUTHORS_TEMPLATES, e.question, e.answer));
          const batched = await scorer.score(items);
          for (const [i, item] of items.entries()) {
            const [single] = await scorer.score([item]);
            const text = item.prompt + item.target;
            const ids = [...text].map(idOf);
            assert.deepEqual(single!.inputIds, ids);
            assert.equal(single!.promptTokens, [...item.prompt].length);
            const lps = ids.slice(single!.promptTokens).map((id, k) => expectedLogprob(ids[single!.promptTokens + k - 1]!, id));
            single!.logprobs.forEach((lp, k) => assert.ok(Math.abs(lp - lps[k]!) <= 1e-5 * Math.max(1, Math.abs(lps[k]!)), `token ${k}: ${lp} vs ${lps[k]}`));
            const expected = Math.exp(-lps.reduce((a, b) => a + b, 0) / lps.length);
            assert.ok(relative(single!.perplexity, expected) <= 1e-5, `example ${i}: ${single!.perplexity} vs ${expected}`);
            assert.ok(relative(batched[i]!.perplexity, single!.perplexity) <= 1e-9, 'padding changes nothing');
          }
        } finally {
          await scorer.close();
        }
      } finally {
        tmp.cleanup();
      }
    });
  }

  test('a file that is not an ONNX model is refused, named', async () => {
    const tmp = tempDir();
    try {
      writeFileSync(join(tmp.dir, 'tokenizer.json'), JSON.stringify(tokenizer));
      writeFileSync(join(tmp.dir, 'broken.onnx'), 'not a model');
      await assert.rejects(ReferenceScorer.load(join(tmp.dir, 'broken.onnx'), join(tmp.dir, 'tokenizer.json')), /broken\.onnx: cannot load the ONNX model/);
    } finally {
      tmp.cleanup();
    }
  });
});

test('the tinygsm ONNX checkpoints reproduce PyTorch, token by token, batched or not', { skip: skipUnless(TINYGSM), timeout: 120_000 }, async () => {
  for (const step of [50, 400]) {
    const dir = join(RUN, `checkpoint-${step}`);
    const lines = readFileSync(join(dir, 'reference_scores.jsonl'), 'utf8')
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l) as ReferenceScoreLine);
    const scorer = await ReferenceScorer.load(join(dir, 'model.onnx'), join(dir, 'tokenizer.json'));
    try {
      const one: Awaited<ReturnType<ReferenceScorer['score']>> = [];
      for (const l of lines) one.push(...(await scorer.score([{ prompt: l.prompt, target: l.target }])));
      const batched = await scorer.score(lines.map((l) => ({ prompt: l.prompt, target: l.target })));
      lines.forEach((l, i) => {
        const s = one[i]!;
        assert.deepEqual(s.inputIds, l.input_ids, `input ids of example ${l.index}`);
        assert.equal(s.promptTokens, l.prompt_num_tokens);
        assert.equal(s.logprobs.length, l.num_tokens);
        assert.ok(relative(s.perplexity, l.perplexity) <= 1e-5, `step ${step} example ${l.index}: ${s.perplexity} vs ${l.perplexity}`);
        // float32 logits: log-probabilities agree to ~1e-6 absolute (relative error grows only where they are ~0).
        s.logprobs.forEach((lp, t) => assert.ok(Math.abs(lp - l.target_logprobs[t]!) <= 2e-5, `step ${step} example ${l.index} token ${t}: ${lp} vs ${l.target_logprobs[t]}`));
        // Right-padding a batch changes nothing: a causal model never looks at later tokens.
        assert.ok(relative(batched[i]!.perplexity, s.perplexity) <= 1e-6);
      });
    } finally {
      await scorer.close();
    }
  }
});

test('premem score stores the run’s train_perplexities.npy, and the report uses it', { skip: skipUnless(TINYGSM), timeout: 120_000 }, async () => {
  const tmp = tempDir();
  try {
    const db = join(tmp.dir, 'i.sqlite');
    const before = await runCli('report', RUN, '--db', db, '--json', '--loglog-threshold', '-3');
    const r = await runCli('score', RUN, '--db', db, '--checkpoints', '50,400', '--batch', '16');
    assert.equal(r.code, 0, r.err);
    assert.match(r.err, /checkpoint-50: scored 400 references \(\d+ tokens\) in [\d.]+ s, \d+ tokens\/s/);
    const store = await IndexStore.open(db);
    try {
      const [run] = await store.runs();
      const cps = await store.checkpoints(run!.id);
      const examples = await store.examples(run!.id);
      for (const c of cps.filter((x) => [50, 400].includes(x.step))) {
        const expected = expectNumeric(readNpyFile(join(c.dir, 'train_perplexities.npy')), c.dir, 1, 'ppl').data;
        const got = (await store.perplexities([c.id])).get(c.id)!;
        // The stored array is in analysis order; the .npy in dataset order.
        examples.forEach((e) => assert.ok(relative(got[e.position]!, expected[e.index]!) <= 1e-5, `step ${c.step} example ${e.index}: ${got[e.position]} vs ${expected[e.index]}`));
        assert.deepEqual((JSON.parse(c.scored!) as { templates: unknown }).templates, AUTHORS_TEMPLATES);
      }
      assert.equal(cps.find((x) => x.step === 100)!.scored, null, 'checkpoints not asked for keep their files’ figures');
    } finally {
      await store.close();
    }
    // Same evidence, so the same figures (to the last digit the report prints).
    const after = await runCli('report', RUN, '--db', db, '--json', '--loglog-threshold', '-3');
    const figures = (o: string) =>
      (JSON.parse(o) as { runs: { checkpoints: { pre_memorization_accuracy: number }[] }[] }).runs[0]!.checkpoints.map((c) => c.pre_memorization_accuracy.toFixed(4));
    assert.deepEqual(figures(after.out), figures(before.out));
    assert.equal(fillTemplates(AUTHORS_TEMPLATES, 'Q', 'A').prompt, 'Q\nAnswer:');
  } finally {
    tmp.cleanup();
  }
});

test('a run without perplexities gets them from its ONNX checkpoints, and the metric then works end to end', { skip: skipUnless(TINYGSM), timeout: 120_000 }, async () => {
  const tmp = tempDir();
  try {
    // Two copies of checkpoints 50 and 400 of the tinygsm run: as it is, and as a pipeline
    // without perplexities would leave it (samples and models, no train_perplexities.npy).
    const copy = (name: string, keepPerplexities: boolean) => {
      const sweep = join(tmp.dir, name);
      const run = join(sweep, 'tiny_8epochs_run');
      for (const f of ['train.jsonl', 'test.jsonl']) cpSync(join(TINYGSM, f), join(sweep, f));
      for (const f of ['run.json', 'subsample_idxs.npy']) if (existsSync(join(RUN, f))) cpSync(join(RUN, f), join(run, f));
      for (const step of [50, 400]) {
        cpSync(join(RUN, `checkpoint-${step}`), join(run, `checkpoint-${step}`), {
          recursive: true,
          filter: (src) => keepPerplexities || !/train_(perplexities|num_tokens)\.npy$/.test(src),
        });
      }
      return run;
    };
    const run = copy('without', false);
    const withPerplexities = copy('with', true);
    const db = join(tmp.dir, 'i.sqlite');
    const report = async () =>
      (
        JSON.parse((await runCli('report', run, '--db', db, '--json', '--loglog-threshold', '-3')).out) as {
          runs: { checkpoints: { memorized_fraction: number; pre_memorization_accuracy: number }[] }[];
        }
      ).runs[0]!.checkpoints;
    assert.deepEqual(
      (await report()).map((c) => c.memorized_fraction),
      [0, 0],
      'no evidence, nothing memorized',
    );
    const r = await runCli('score', run, '--db', db);
    assert.equal(r.code, 0, r.err);
    const original = (
      JSON.parse((await runCli('report', withPerplexities, '--db', join(tmp.dir, 'o.sqlite'), '--json', '--loglog-threshold', '-3')).out) as {
        runs: { checkpoints: { memorized_fraction: number; pre_memorization_accuracy: number }[] }[];
      }
    ).runs[0]!.checkpoints;
    const scored = await report();
    assert.deepEqual(
      scored.map((c) => c.memorized_fraction),
      original.map((c) => c.memorized_fraction),
    );
    assert.deepEqual(
      scored.map((c) => c.pre_memorization_accuracy.toFixed(6)),
      original.map((c) => c.pre_memorization_accuracy.toFixed(6)),
    );
  } finally {
    tmp.cleanup();
  }
});

test('a tokenizer for another model, or none, stops scoring before any work and writes nothing', async () => {
  const tmp = tempDir();
  try {
    const sweep = writeExampleSweep(join(tmp.dir, 'example'));
    const run = join(sweep, 'example_3epochs_lr1e-05');
    const db = join(tmp.dir, 'i.sqlite');
    const before = (await runCli('report', run, '--db', db, '--json')).out;
    // A model for a 3-token vocabulary, a character tokenizer with far more tokens.
    writeModel(
      join(run, 'checkpoint-6', 'model.onnx'),
      lookupLanguageModel([
        [0, 1, 2],
        [1, 2, 0],
        [2, 0, 1],
      ]),
    );
    writeFileSync(join(run, 'tokenizer.json'), JSON.stringify(characterTokenizer([...'abcdefghij'])));
    let r = await runCli('score', run, '--db', db);
    assert.equal(r.code, 1);
    assert.match(r.err, /tokenizer\.json: has token ids up to 11 but .*model\.onnx predicts 3 tokens: not this model's tokenizer/);
    rmSync(join(run, 'tokenizer.json'));
    r = await runCli('score', run, '--db', db);
    assert.equal(r.code, 1);
    assert.match(r.err, /checkpoint-6\/model\.onnx: no tokenizer\.json beside the model/);
    assert.equal((await runCli('report', run, '--db', db, '--json')).out, before, 'the index is as it was');
    // A tokenizer that cannot map the text to ids at all: named, not a crash.
    const partial = join(tmp.dir, 'partial-tokenizer.json');
    writeFileSync(partial, JSON.stringify(characterTokenizer(['a'])));
    r = await runCli('score', run, '--db', db, '--tokenizer', partial);
    assert.equal(r.code, 1);
    assert.match(r.err, /partial-tokenizer\.json: maps part of .* to no token id/);
    // Other file names: a model pattern relative to the run, and one tokenizer for all.
    mkdirSync(join(run, 'checkpoint-6', 'onnx'));
    rmSync(join(run, 'checkpoint-6', 'model.onnx'));
    const chars = [...new Set(readFileSync(join(sweep, 'train.jsonl'), 'utf8') + 'Answer:Done.\n ')];
    const shared = join(tmp.dir, 'shared-tokenizer.json');
    writeFileSync(shared, JSON.stringify(characterTokenizer(chars)));
    writeModel(join(run, 'checkpoint-6', 'onnx', 'decoder.onnx'), lookupLanguageModel(Array.from({ length: chars.length + 2 }, () => new Array<number>(chars.length + 2).fill(0))));
    r = await runCli('score', run, '--db', db, '--model', 'checkpoint-{step}/onnx/decoder.onnx', '--tokenizer', shared);
    assert.equal(r.code, 0, r.err);
    assert.match(r.err, /^checkpoint-6: scored 48 references/m);
    assert.doesNotMatch(r.err, /checkpoint-12/);
  } finally {
    tmp.cleanup();
  }
});
