import type { Tokenizer } from '@huggingface/tokenizers';
import * as ort from 'onnxruntime-node';
import { perplexityOf, targetLogprobs } from '../core/logprobs';
import { InputError } from '../ingest/errors';
import { openOnnx } from './onnxFiles';

export { AUTHORS_TEMPLATES, fillTemplates, type ScoreTemplates } from './templates';

/** Inputs a causal LM export may have: the scorer feeds each of them. */
const KNOWN_INPUT = /^(input_ids|attention_mask|position_ids|use_cache_branch|past_key_values\.\d+\.(key|value))$/;

export interface ReferenceScore {
  readonly inputIds: readonly number[];
  /** Tokens of the prompt: the target's tokens are the ones after these. */
  readonly promptTokens: number;
  /** log p of each target token given everything before it. */
  readonly logprobs: Float64Array;
  readonly perplexity: number;
}

/**
 * A causal LM exported to ONNX, with its `tokenizer.json`, scoring reference solutions: prompt
 * and target are tokenized together (with the tokenizer's special tokens) and only the target
 * tokens are scored, each from the position before it. Batches are right-padded: in a causal
 * model a token never sees the padding after it, and an `attention_mask` input, when the model
 * has one, marks the padding as well.
 */
export class ReferenceScorer {
  private constructor(
    private readonly session: ort.InferenceSession,
    private readonly tokenizer: Tokenizer,
    private readonly modelFile: string,
    private readonly padId: number,
    private readonly tokenizerFile: string,
  ) {}

  static async load(modelFile: string, tokenizerFile: string, options: { threads?: number } = {}): Promise<ReferenceScorer> {
    const { session, tokenizer, tokenizerJson } = await openOnnx(
      modelFile,
      tokenizerFile,
      'the model',
      options.threads ? { intraOpNumThreads: options.threads, interOpNumThreads: 1 } : {},
    );
    const unsupported = session.inputNames.filter((n) => !KNOWN_INPUT.test(n));
    if (unsupported.length)
      throw new InputError(
        modelFile,
        `inputs ${unsupported.join(', ')} are not ones a causal LM export has (input_ids, attention_mask, position_ids, past_key_values.*, use_cache_branch)`,
      );
    for (const m of session.inputMetadata) {
      if (!m.name.startsWith('past_key_values.')) continue;
      // [batch, heads, past length, head size]: heads and head size must be fixed to feed an empty cache.
      if (!m.isTensor || m.shape.length !== 4 || typeof m.shape[1] !== 'number' || typeof m.shape[3] !== 'number') {
        throw new InputError(modelFile, `cannot feed an empty cache to ${m.name}: its shape is (${m.isTensor ? m.shape.join(', ') : 'not a tensor'})`);
      }
    }
    if (!session.outputNames.includes('logits')) throw new InputError(modelFile, `the model has no "logits" output (outputs: ${session.outputNames.join(', ')})`);
    // openOnnx has checked the tokenizer's ids against the logits' width.
    const pad = (tokenizerJson as { padding?: { pad_id?: unknown } | null }).padding?.pad_id;
    return new ReferenceScorer(session, tokenizer, modelFile, typeof pad === 'number' ? pad : 0, tokenizerFile);
  }

  encode(prompt: string, target: string): { ids: number[]; promptTokens: number } {
    const ids = this.tokenizer.encode(prompt + target, { add_special_tokens: true }).ids;
    const bad = ids.findIndex((id) => !Number.isInteger(id));
    if (bad !== -1) throw new InputError(this.tokenizerFile, `maps part of "${(prompt + target).slice(0, 60)}…" to no token id (a vocabulary without an unknown token?)`);
    const promptTokens = this.tokenizer.encode(prompt, { add_special_tokens: true }).ids.length;
    return { ids, promptTokens };
  }

  /** Scores a batch in one forward pass. */
  async score(items: readonly { readonly prompt: string; readonly target: string }[]): Promise<ReferenceScore[]> {
    const encoded = items.map((x) => this.encode(x.prompt, x.target));
    const L = Math.max(...encoded.map((e) => e.ids.length));
    const B = encoded.length;
    const ids = new BigInt64Array(B * L).fill(BigInt(this.padId));
    const mask = new BigInt64Array(B * L);
    encoded.forEach((e, b) => {
      for (let t = 0; t < e.ids.length; t++) {
        ids[b * L + t] = BigInt(e.ids[t]!);
        mask[b * L + t] = 1n;
      }
    });
    const feeds: Record<string, ort.Tensor> = { input_ids: new ort.Tensor('int64', ids, [B, L]) };
    if (this.session.inputNames.includes('attention_mask')) feeds['attention_mask'] = new ort.Tensor('int64', mask, [B, L]);
    if (this.session.inputNames.includes('position_ids'))
      feeds['position_ids'] = new ort.Tensor(
        'int64',
        BigInt64Array.from({ length: B * L }, (_, i) => BigInt(i % L)),
        [B, L],
      );
    // Optimum decoder exports: the whole sequence in one pass, with an empty key/value cache.
    if (this.session.inputNames.includes('use_cache_branch')) feeds['use_cache_branch'] = new ort.Tensor('bool', [false], [1]);
    for (const m of this.session.inputMetadata) {
      if (!m.name.startsWith('past_key_values.') || !m.isTensor) continue;
      const dims = [B, m.shape[1] as number, 0, m.shape[3] as number];
      feeds[m.name] = m.type === 'float16' ? new ort.Tensor('float16', new Uint16Array(0), dims) : new ort.Tensor('float32', new Float32Array(0), dims);
    }
    const out = await this.session.run(feeds);
    const logits = out['logits']!;
    const dims = logits.dims;
    if (dims.length !== 3 || dims[0] !== B || dims[1] !== L) throw new InputError(this.modelFile, `logits have shape (${dims.join(', ')}), expected (${B}, ${L}, vocab)`);
    const V = dims[2]!;
    const data = logits.data as Float32Array;
    return encoded.map((e, b) => {
      if (e.promptTokens < 1 || e.promptTokens >= e.ids.length) throw new RangeError('the target has no tokens to score');
      const lps = targetLogprobs(data, V, b * L * V, e.ids, e.promptTokens, e.ids.length);
      return { inputIds: e.ids, promptTokens: e.promptTokens, logprobs: lps, perplexity: perplexityOf(lps) };
    });
  }

  async close(): Promise<void> {
    await this.session.release();
  }
}
