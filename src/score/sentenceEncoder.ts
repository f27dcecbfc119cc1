import type { Tokenizer } from '@huggingface/tokenizers';
import * as ort from 'onnxruntime-node';
import { meanPoolNormalized } from '../core/embedding';
import { openOnnx } from './onnxFiles';

/**
 * An ONNX sentence encoder (a BERT-style export: `input_ids`, optional `attention_mask` and
 * `token_type_ids`; output `last_hidden_state`, or the first output): texts become unit vectors
 * by mean pooling over their real tokens.
 */
export class SentenceEncoder {
  private constructor(
    private readonly session: ort.InferenceSession,
    private readonly tokenizer: Tokenizer,
    private readonly output: string,
  ) {}

  static async load(modelFile: string, tokenizerFile: string): Promise<SentenceEncoder> {
    const { session, tokenizer } = await openOnnx(modelFile, tokenizerFile, 'the encoder');
    const output = session.outputNames.includes('last_hidden_state') ? 'last_hidden_state' : session.outputNames[0]!;
    return new SentenceEncoder(session, tokenizer, output);
  }

  async embed(texts: readonly string[], batch = 16): Promise<Float64Array[]> {
    const out: Float64Array[] = [];
    for (let start = 0; start < texts.length; start += batch) {
      const ids = texts.slice(start, start + batch).map((t) => this.tokenizer.encode(t, { add_special_tokens: true }).ids);
      const B = ids.length;
      const L = Math.max(1, ...ids.map((x) => x.length));
      const input = new BigInt64Array(B * L);
      const mask = new BigInt64Array(B * L);
      ids.forEach((x, b) => x.forEach((id, t) => ((input[b * L + t] = BigInt(id)), (mask[b * L + t] = 1n))));
      const feeds: Record<string, ort.Tensor> = { input_ids: new ort.Tensor('int64', input, [B, L]) };
      if (this.session.inputNames.includes('attention_mask')) feeds['attention_mask'] = new ort.Tensor('int64', mask, [B, L]);
      if (this.session.inputNames.includes('token_type_ids')) feeds['token_type_ids'] = new ort.Tensor('int64', new BigInt64Array(B * L), [B, L]);
      const hidden = (await this.session.run(feeds))[this.output]!;
      const H = hidden.dims[2]!;
      const m = Array.from(mask, Number);
      for (let b = 0; b < B; b++) out.push(meanPoolNormalized(hidden.data as Float32Array, L, H, b, m));
    }
    return out;
  }

  async close(): Promise<void> {
    await this.session.release();
  }
}
