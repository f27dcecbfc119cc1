/**
 * Finding more data like the examples the model copied instead of solving: an ONNX sentence
 * encoder the test builds (mean pooling is then arithmetic) and `premem similar` end to end.
 */
import assert from 'node:assert/strict';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { seededRandom } from '../../src/core/random';
import { cosineDistance, meanPoolNormalized, nearestToSeeds } from '../../src/core/embedding';
import { writeExampleSweep } from '../../src/example/exampleSweep';
import { SentenceEncoder } from '../../src/score/sentenceEncoder';
import { runCli } from '../helpers/fixtures';
import { characterTokenizer, lookupEncoder, writeModel } from '../helpers/onnxModels';
import { tempDir } from '../helpers/paths';

const CHARS = [...'abcdefghijklmnopqrstuvwxyz ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789$.,?'];

function writeEncoder(dir: string): { model: string; tokenizer: string; embeddings: number[][] } {
  const rand = seededRandom(11);
  const embeddings = Array.from({ length: CHARS.length + 2 }, () => Array.from({ length: 8 }, () => Math.fround(2 * rand() - 1)));
  const model = join(dir, 'encoder.onnx');
  const tokenizer = join(dir, 'encoder-tokenizer.json');
  writeModel(model, lookupEncoder(embeddings));
  writeFileSync(tokenizer, JSON.stringify(characterTokenizer(CHARS)));
  return { model, tokenizer, embeddings };
}

test('mean pooling over real tokens, unit length; nearest candidates to any seed', () => {
  const hidden = Float32Array.from([1, 0, 3, 0, 9, 9]); // one text, three tokens of size 2; the last is padding
  const v = meanPoolNormalized(hidden, 3, 2, 0, [1, 1, 0]);
  assert.ok(Math.abs(v[0]! - 1) < 1e-12 && v[1] === 0);
  const unit = (x: number, y: number) => Float64Array.from([x / Math.hypot(x, y), y / Math.hypot(x, y)]);
  const near = nearestToSeeds([unit(1, 0), unit(0, 1), unit(1, 1), unit(-1, 0)], [unit(1, 0.1), unit(0, 1)], 3);
  assert.deepEqual(
    near.map((n) => [n.candidate, n.seed]),
    [
      [1, 1],
      [0, 0],
      [2, 0],
    ],
  );
  assert.ok(Math.abs(cosineDistance(unit(1, 0), unit(-1, 0)) - 2) < 1e-12);
});

test('the encoder embeds a text as the normalised mean of its tokens’ rows, batched or not', async () => {
  const tmp = tempDir();
  try {
    const { model, tokenizer, embeddings } = writeEncoder(tmp.dir);
    const encoder = await SentenceEncoder.load(model, tokenizer);
    try {
      const texts = ['ab', 'a much longer text, padded in a batch', 'ba'];
      const batched = await encoder.embed(texts);
      const one = await encoder.embed(['ab']);
      const idOf = (c: string) => CHARS.indexOf(c) + 2;
      const expected = [...Array(8).keys()].map((k) => (embeddings[idOf('a')]![k]! + embeddings[idOf('b')]![k]!) / 2);
      const norm = Math.hypot(...expected);
      expected.forEach((x, k) => assert.ok(Math.abs(one[0]![k]! - x / norm) < 1e-6, `component ${k}`));
      batched[0]!.forEach((x, k) => assert.ok(Math.abs(x - one[0]![k]!) < 1e-6, 'padding changes nothing'));
      assert.ok(cosineDistance(batched[0]!, batched[2]!) < 1e-9, 'a mean ignores order');
    } finally {
      await encoder.close();
    }
  } finally {
    tmp.cleanup();
  }
});

test('premem similar writes the candidates nearest to the least-learned questions', async () => {
  const tmp = tempDir();
  try {
    const sweep = writeExampleSweep(join(tmp.dir, 'example'));
    const run = join(sweep, 'example_3epochs_lr2e-04');
    const db = join(tmp.dir, 'i.sqlite');
    const lowest = (await runCli('examples', run, '--db', db, '--json', '--sort', 'premem', '--limit', '2')).out
      .trim()
      .split('\n')
      .map((l) => (JSON.parse(l) as { index: number }).index);
    const questions = readFileSync(join(sweep, 'train.jsonl'), 'utf8')
      .trim()
      .split('\n')
      .map((l) => (JSON.parse(l) as { question: string }).question);
    const { model, tokenizer } = writeEncoder(tmp.dir);
    const pool = join(tmp.dir, 'pool.jsonl');
    // Two candidates repeat the seed questions verbatim (distance 0); the rest are unrelated.
    const candidates = [
      { id: 'x1', question: 'zzzz zzzz zzzz' },
      { id: 'copy-0', question: questions[lowest[0]!]!, source: 'scraped' },
      { id: 'x2', question: '0000 1111 2222' },
      { id: 'copy-1', question: questions[lowest[1]!]! },
    ];
    writeFileSync(pool, candidates.map((c) => JSON.stringify(c)).join('\n') + '\n');
    const out = join(tmp.dir, 'similar.jsonl');
    const r = await runCli(
      'similar',
      run,
      '--db',
      db,
      '--encoder',
      model,
      '--tokenizer',
      tokenizer,
      '--pool',
      pool,
      '--from',
      'lowest-premem',
      '--seeds',
      '2',
      '--count',
      '2',
      '--out',
      out,
    );
    assert.equal(r.code, 0, r.err);
    const lines = readFileSync(out, 'utf8')
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l) as { id: string; source?: string; distance: number; nearest_seed: number });
    assert.deepEqual(
      lines.map((l) => [l.id, l.nearest_seed]).sort(),
      [
        ['copy-0', lowest[0]],
        ['copy-1', lowest[1]],
      ].sort(),
    );
    assert.ok(lines.every((l) => l.distance < 1e-6));
    assert.equal(lines.find((l) => l.id === 'copy-0')!.source, 'scraped', 'the candidate’s own record is kept');
    const noFlags = await runCli('similar', run, '--db', db, '--encoder', model, '--tokenizer', tokenizer, '--pool', pool, '--from', 'flagged', '--out', out);
    assert.equal(noFlags.code, 2);
    assert.match(noFlags.err, /has no flagged examples/);
  } finally {
    tmp.cleanup();
  }
});
