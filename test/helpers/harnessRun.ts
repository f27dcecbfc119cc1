/**
 * A run in lm-evaluation-harness's layout built from the tinygsm run (../shared): its first 20
 * training questions at every checkpoint, a generation log of the recorded samples (the first of
 * each question's four) and a log-likelihood log of the references (context = prompt,
 * continuation = target, summed log-probability from reference_scores.jsonl's target_logprobs),
 * nested under lm_eval/<model>/ as `--output_path` writes them. checkpoint-50 has the v0.4.0–0.4.2
 * single-array form at the folder's top; the rest the v0.4.3+ JSONL form. Record format and
 * sources: see test/unit/harness.test.ts.
 */
import { copyFileSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { readNpyFile } from '../../src/ingest/npy';
import { TINYGSM } from './paths';

export const TINY = join(TINYGSM, 'tinygsm_8epochs_full_lr0.001_bs8');
export const STEPS = [50, 100, 150, 200, 250, 300, 350, 400];

export interface ReferenceScore {
  index: number;
  prompt: string;
  target: string;
  target_logprobs: number[];
  num_tokens: number;
  perplexity: number;
}

export const scores = (step: number): ReferenceScore[] =>
  readFileSync(join(TINY, `checkpoint-${step}`, 'reference_scores.jsonl'), 'utf8')
    .trim()
    .split('\n')
    .map((l) => JSON.parse(l) as ReferenceScore);

/** A log-likelihood record as the harness logs it: v0.4.3+ (`gen_args`, strings) or v0.4.0–0.4.2 (lists, numbers). */
export function loglikelihoodRecord(s: ReferenceScore, doc: object, form: 'new' | 'old'): object {
  const ll = s.target_logprobs.reduce((a, b) => a + b, 0);
  const greedy = false;
  const common = { doc_id: s.index, doc, target: s.target, filter: 'none', metrics: ['perplexity', 'acc'], doc_hash: 'x', prompt_hash: 'y', target_hash: 'z' };
  return form === 'new'
    ? {
        ...common,
        arguments: { gen_args_0: { arg_0: s.prompt, arg_1: s.target } },
        resps: [[[String(ll), greedy ? 'True' : 'False']]],
        filtered_resps: [[String(ll), greedy ? 'True' : 'False']],
        perplexity: String(ll),
        acc: 0,
      }
    : { ...common, arguments: [[s.prompt, s.target]], resps: [[[ll, greedy]]], filtered_resps: [[ll, greedy]], perplexity: ll, acc: 0 };
}

/** A generation record of the gsm8k-like task, one response per document. */
export function generationRecord(docId: number, doc: { question: string; answer: string }, text: string, correct: boolean): object {
  return {
    doc_id: docId,
    doc,
    target: doc.answer,
    arguments: { gen_args_0: { arg_0: `${doc.question}\nAnswer:`, arg_1: { until: ['\nDone.'], do_sample: true, temperature: 0.8 } } },
    resps: [[text]],
    filtered_resps: [text],
    filter: 'strict-match',
    metrics: ['exact_match'],
    doc_hash: 'x',
    prompt_hash: 'y',
    target_hash: 'z',
    exact_match: correct ? 1 : 0,
  };
}

export const jsonl = (records: readonly object[]) => records.map((r) => JSON.stringify(r) + '\n').join('');

export function trainRecords(): { question: string; answer: string }[] {
  return readFileSync(join(TINYGSM, 'train.jsonl'), 'utf8')
    .trim()
    .split('\n')
    .map((l) => JSON.parse(l) as { question: string; answer: string });
}

export function writeHarnessRun(run: string): string {
  const train = trainRecords();
  // A run of tinygsm's first 20 training questions, in the harness's layout: generation logs of
  // the recorded samples, and log-likelihood logs of the references nested under lm_eval/<model>/.
  for (const step of STEPS) {
    const c = join(run, `checkpoint-${step}`);
    const nested = join(c, 'lm_eval', '__work__ckpt');
    mkdirSync(nested, { recursive: true });
    copyFileSync(join(TINY, `checkpoint-${step}`, 'tokenizer.json'), join(c, 'tokenizer.json'));
    const texts = readNpyFile(join(TINY, `checkpoint-${step}`, 'train_answers4_seed2_temp0.8.npy')).data as ArrayLike<string>;
    const codes = readNpyFile(join(TINY, `checkpoint-${step}`, 'train_answer_types4_seed2_temp0.8.npy')).data as ArrayLike<number>;
    const gen = Array.from({ length: 20 }, (_, i) => generationRecord(i, train[i]!, texts[i * 4]!, Number(codes[i * 4]) === 0));
    writeFileSync(join(nested, 'samples_gsm8k_train_2024-06-01T10-00-00.000001.jsonl'), jsonl(gen));
    const refs = scores(step).map((s) => loglikelihoodRecord(s, train[s.index]!, step === 50 ? 'old' : 'new'));
    // checkpoint-50 has the older single-array form, at the checkpoint folder's top.
    if (step === 50) writeFileSync(join(c, 'samples_premem_train_references_2024-06-01T10-05-00.000001.json'), JSON.stringify(refs, null, 2));
    else writeFileSync(join(nested, 'samples_premem_train_references_2024-06-01T10-05-00.000001.jsonl'), jsonl(refs));
  }

  return run;
}
