/**
 * `npm run bench:score`: reference scoring speed on the tinygsm model (checkpoint-400, 400
 * training references), at several batch sizes, beside onnxruntime's own time for the same
 * forward passes on the same padded inputs (no tokenization, no log-softmax): the ratio is our
 * overhead. Prints figures; asserts nothing.
 */
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import * as ort from 'onnxruntime-node';
import { AUTHORS_TEMPLATES, fillTemplates, ReferenceScorer } from '../../src/score/referenceScorer';
import { TINYGSM } from '../helpers/paths';

const CHECKPOINT = join(TINYGSM, 'tinygsm_8epochs_full_lr0.001_bs8', 'checkpoint-400');

async function main(): Promise<void> {
  if (!existsSync(CHECKPOINT)) {
    console.log(`bench:score: skipped, the tinygsm run was not found at ${CHECKPOINT}`);
    return;
  }
  const records = readFileSync(join(TINYGSM, 'train.jsonl'), 'utf8')
    .trim()
    .split('\n')
    .map((l) => JSON.parse(l) as { question: string; answer: string });
  const items = records.map((r) => fillTemplates(AUTHORS_TEMPLATES, r.question, r.answer));
  const scorer = await ReferenceScorer.load(join(CHECKPOINT, 'model.onnx'), join(CHECKPOINT, 'tokenizer.json'));
  const session = await ort.InferenceSession.create(join(CHECKPOINT, 'model.onnx'));
  // Longest first, as premem score batches them.
  const encoded = items.map((x) => scorer.encode(x.prompt, x.target)).sort((a, b) => b.ids.length - a.ids.length);
  const order = items
    .map((x, i) => ({ x, n: scorer.encode(x.prompt, x.target).ids.length, i }))
    .sort((a, b) => b.n - a.n)
    .map((o) => o.x);
  const tokens = encoded.reduce((a, e) => a + e.ids.length, 0);
  console.log(`bench:score — tinygsm checkpoint-400, ${items.length} references, ${tokens} tokens, ${ort.env.versions?.common ?? ''}`);
  console.log(`${'batch'.padStart(5)} ${'premem score'.padStart(14)} ${'onnxruntime alone'.padStart(18)} ${'overhead'.padStart(9)}`);
  for (const batch of [1, 4, 8, 16, 32]) {
    const t0 = performance.now();
    for (let s = 0; s < order.length; s += batch) await scorer.score(order.slice(s, s + batch));
    const ours = (performance.now() - t0) / 1000;
    const t1 = performance.now();
    for (let s = 0; s < encoded.length; s += batch) {
      const group = encoded.slice(s, s + batch);
      const L = Math.max(...group.map((e) => e.ids.length));
      const ids = new BigInt64Array(group.length * L);
      group.forEach((e, b) => e.ids.forEach((id, t) => (ids[b * L + t] = BigInt(id))));
      await session.run({ input_ids: new ort.Tensor('int64', ids, [group.length, L]) });
    }
    const alone = (performance.now() - t1) / 1000;
    console.log(
      `${String(batch).padStart(5)} ${`${Math.round(tokens / ours)} tok/s`.padStart(14)} ${`${Math.round(tokens / alone)} tok/s`.padStart(18)} ${`${((ours / alone - 1) * 100).toFixed(0)}%`.padStart(9)}`,
    );
  }
  console.log(`peak RSS ${(process.resourceUsage().maxRSS / 1024).toFixed(0)} MB`);
  await scorer.close();
  await session.release();
}

main().catch((e: unknown) => {
  console.error(e);
  process.exit(1);
});
