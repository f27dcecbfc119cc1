/**
 * `npm run bench:sample`: sampling speed on the tinygsm model (checkpoint-400, its first 48
 * training questions, temperature 0.8, up to 200 new tokens), at two batch sizes, beside the
 * ceiling: a bare onnxruntime-node loop running exactly the same forward passes (the same
 * [batch, length] shapes, step by step, as sequences finish and leave the batch) with no
 * tokenizer, no softmax, no drawing, no stop-string checks. The ratio is our overhead. Prints
 * figures; asserts nothing.
 */
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import * as ort from 'onnxruntime-node';
import { Sampler } from '../../src/score/sampler';
import { AUTHORS_TEMPLATES, fillTemplates } from '../../src/score/templates';
import { TINYGSM } from '../helpers/paths';

const CHECKPOINT = join(TINYGSM, 'tinygsm_8epochs_full_lr0.001_bs8', 'checkpoint-400');
const QUESTIONS = 48;

async function main(): Promise<void> {
  if (!existsSync(CHECKPOINT)) {
    console.log(`bench:sample: skipped, the tinygsm run was not found at ${CHECKPOINT}`);
    return;
  }
  const records = readFileSync(join(TINYGSM, 'train.jsonl'), 'utf8')
    .trim()
    .split('\n')
    .slice(0, QUESTIONS)
    .map((l) => JSON.parse(l) as { question: string });
  const prompts = records.map((r) => fillTemplates(AUTHORS_TEMPLATES, r.question, '').prompt);
  const sampler = await Sampler.load(join(CHECKPOINT, 'model.onnx'), join(CHECKPOINT, 'tokenizer.json'), { context: 320 });
  const session = await ort.InferenceSession.create(join(CHECKPOINT, 'model.onnx'));
  const options = { temperature: 0.8, topP: 1, maxNewTokens: 200, stop: ['\nDone.'], seed: 2 };
  console.log(
    `bench:sample — tinygsm checkpoint-400 (plain input_ids → logits export, no cache), ${QUESTIONS} questions, temperature 0.8, onnxruntime ${ort.env.versions?.common ?? ''}`,
  );
  console.log(`${'batch'.padStart(5)} ${'tokens'.padStart(7)} ${'premem sample'.padStart(14)} ${'bare forward loop'.padStart(18)} ${'ratio'.padStart(6)}`);
  for (const batch of [16, 48]) {
    const t0 = performance.now();
    const shapes: [number, number][] = [];
    let tokens = 0;
    for (let s = 0; s < prompts.length; s += batch) {
      const group = prompts.slice(s, s + batch);
      const generated = await sampler.generate(
        group.map((prompt, q) => ({ prompt, key: [s + q, 0] })),
        options,
      );
      tokens += generated.reduce((a, g) => a + g.tokens, 0);
      // The forward passes this batch ran: at step t, every sequence still going, at the longest length.
      const promptLengths = group.map((p) => sampler.encode(p).length);
      const passes = generated.map((g) => g.tokens + (g.finish === 'eos' ? 1 : 0));
      for (let t = 0; t < Math.max(...passes); t++) {
        const active = passes.flatMap((n, b) => (t < n ? [promptLengths[b]! + t] : []));
        shapes.push([active.length, Math.max(...active)]);
      }
    }
    const ours = (performance.now() - t0) / 1000;
    const t1 = performance.now();
    for (const [B, L] of shapes) await session.run({ input_ids: new ort.Tensor('int64', new BigInt64Array(B * L).fill(5n), [B, L]) });
    const bare = (performance.now() - t1) / 1000;
    console.log(
      `${String(batch).padStart(5)} ${String(tokens).padStart(7)} ${`${Math.round(tokens / ours)} tok/s`.padStart(14)} ${`${Math.round(tokens / bare)} tok/s`.padStart(18)} ${(ours / bare).toFixed(2).padStart(6)}×`,
    );
  }
  console.log(`peak RSS ${(process.resourceUsage().maxRSS / 1024).toFixed(0)} MB`);
  await sampler.close();
  await session.release();
}

main().catch((e: unknown) => {
  console.error(e);
  process.exit(1);
});
