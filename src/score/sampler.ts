import type { Tokenizer } from '@huggingface/tokenizers';
import { readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import * as ort from 'onnxruntime-node';
import { pickToken, stopAt, type DecodingOptions } from '../core/decoding';
import { keyedRandom } from '../core/random';
import { InputError } from '../ingest/errors';
import { openOnnx } from './onnxFiles';

export interface SamplingOptions extends DecodingOptions {
  readonly maxNewTokens: number;
  /** Generation ends at the first of these; the text is cut before it. */
  readonly stop: readonly string[];
  readonly seed: number;
}

/** One sequence to generate: a prompt, and the numbers that seed its draws (with the run's seed). */
export interface GenerationRequest {
  readonly prompt: string;
  /** E.g. [question index, sample number]: a sequence's draws depend on these and the seed only, never on batching. */
  readonly key: readonly number[];
}

export interface Generation {
  readonly text: string;
  readonly tokens: number;
  readonly finish: 'stop' | 'eos' | 'length' | 'context';
}

/** Called after each decoding step with the tokens generated so far in this call. */
export type OnTokens = (tokens: number) => void;

const PAST = /^past_key_values\.(\d+)\.(key|value)$/;

/**
 * Samples continuations from a causal LM exported to ONNX. Two model forms:
 *
 * - the plain `input_ids → logits` export (tinygsm's): every step runs the whole sequence,
 *   right-padded, reading each sequence's logits at its own last token; finished sequences leave
 *   the batch;
 * - decoder exports with a key/value cache as Optimum writes them (`past_key_values.N.key|value`
 *   in, `present.N.key|value` out, `attention_mask`, `position_ids`, optionally
 *   `use_cache_branch`): prompts are left-padded and run once, then one token per step with the
 *   cache fed back.
 *
 * Each sequence draws from its own generator seeded by (seed, key...), so the samples do not
 * depend on the batch size, on which other prompts share a batch, or on resuming.
 */
export class Sampler {
  private readonly pastInputs: readonly ort.InferenceSession.ValueMetadata[];

  private constructor(
    private readonly session: ort.InferenceSession,
    private readonly tokenizer: Tokenizer,
    readonly modelFile: string,
    private readonly padId: number,
    private readonly eosIds: ReadonlySet<number>,
    /** Longest sequence the model takes (its position table), when its config says. */
    readonly context: number | null,
  ) {
    this.pastInputs = session.inputMetadata.filter((m) => PAST.test(m.name));
  }

  static async load(modelFile: string, tokenizerFile: string, options: { threads?: number; context?: number | null } = {}): Promise<Sampler> {
    const { session, tokenizer, tokenizerJson } = await openOnnx(
      modelFile,
      tokenizerFile,
      'the model',
      options.threads ? { intraOpNumThreads: options.threads, interOpNumThreads: 1 } : {},
    );
    if (!session.outputNames.includes('logits')) throw new InputError(modelFile, `the model has no "logits" output (outputs: ${session.outputNames.join(', ')})`);
    for (const m of session.inputMetadata) {
      if (!PAST.test(m.name)) continue;
      if (!m.isTensor || m.shape.length !== 4 || typeof m.shape[1] !== 'number' || typeof m.shape[3] !== 'number') {
        throw new InputError(modelFile, `cannot feed an empty cache to ${m.name}: its shape is (${m.isTensor ? m.shape.join(', ') : 'not a tensor'})`);
      }
      if (!session.outputNames.includes(m.name.replace('past_key_values', 'present'))) {
        throw new InputError(modelFile, `has input ${m.name} but no output ${m.name.replace('past_key_values', 'present')} to feed it from`);
      }
    }
    const config = modelConfig(modelFile);
    const pad = (tokenizerJson as { padding?: { pad_id?: unknown } | null }).padding?.pad_id;
    const padId = typeof pad === 'number' ? pad : typeof config.pad_token_id === 'number' ? config.pad_token_id : 0;
    const eos = new Set<number>([config.eos_token_id].flat().filter((x): x is number => typeof x === 'number'));
    const context = options.context ?? ([config.max_position_embeddings, config.n_positions, config.n_ctx].find((x): x is number => typeof x === 'number') || null);
    return new Sampler(session, tokenizer, modelFile, padId, eos, context);
  }

  /**
   * Questions whose prompt fills the model's context (nothing could be generated): their indices
   * (or variant ids) with the prompt's length, so a run is refused naming them instead of
   * sampling empty texts graded "no answer".
   */
  overLong(prompts: readonly { key: string; prompt: string }[]): { key: string; tokens: number }[] {
    if (this.context === null) return [];
    const context = this.context;
    return prompts.map((p) => ({ key: p.key, tokens: this.encode(p.prompt).length })).filter((p) => p.tokens >= context);
  }

  /** The model's context length in tokens, when known. */
  get contextLength(): number | null {
    return this.context;
  }

  /** True when the model takes a key/value cache. */
  get hasCache(): boolean {
    return this.pastInputs.length > 0;
  }

  encode(prompt: string): number[] {
    const ids = this.tokenizer.encode(prompt, { add_special_tokens: true }).ids;
    if (ids.some((id) => !Number.isInteger(id))) throw new InputError(this.modelFile, `the tokenizer maps part of "${prompt.slice(0, 60)}…" to no token id`);
    return ids;
  }

  /** Generates one continuation per request, in one batch. `useCache: false` runs a cache model the plain way (for checking). */
  async generate(requests: readonly GenerationRequest[], options: SamplingOptions, onTokens?: OnTokens, useCache = this.hasCache): Promise<Generation[]> {
    if (requests.length === 0) return [];
    const states = requests.map((r) => new SequenceState(this.encode(r.prompt), keyedRandom(options.seed, ...r.key)));
    if (useCache && this.hasCache) await this.generateCached(states, options, onTokens);
    else await this.generatePlain(states, options, onTokens);
    return states.map((s) => ({ text: s.text, tokens: s.generated.length, finish: s.finish ?? 'length' }));
  }

  /** Appends `token`, and ends the sequence on EOS, a stop string, the length limit or the context. */
  private advance(s: SequenceState, token: number, options: SamplingOptions): void {
    if (this.eosIds.has(token)) {
      s.finish = 'eos';
      return;
    }
    s.generated.push(token);
    const text = this.tokenizer.decode(s.generated, { skip_special_tokens: true });
    const at = stopAt(text, options.stop);
    s.text = at === -1 ? text : text.slice(0, at);
    if (at !== -1) s.finish = 'stop';
    else if (s.generated.length >= options.maxNewTokens) s.finish = 'length';
    else if (this.context !== null && s.prompt.length + s.generated.length >= this.context) s.finish = 'context';
  }

  private emptyCache(batch: number): Record<string, ort.Tensor> {
    const feeds: Record<string, ort.Tensor> = {};
    for (const m of this.pastInputs) {
      if (!m.isTensor) continue;
      const dims = [batch, m.shape[1] as number, 0, m.shape[3] as number];
      feeds[m.name] = m.type === 'float16' ? new ort.Tensor('float16', new Uint16Array(0), dims) : new ort.Tensor('float32', new Float32Array(0), dims);
    }
    return feeds;
  }

  private async generatePlain(states: SequenceState[], options: SamplingOptions, onTokens?: OnTokens): Promise<void> {
    const inputs = this.session.inputNames;
    let active = states.filter((s) => this.startable(s, options));
    let total = 0;
    while (active.length) {
      const B = active.length;
      const lengths = active.map((s) => s.prompt.length + s.generated.length);
      const L = Math.max(...lengths);
      const ids = new BigInt64Array(B * L).fill(BigInt(this.padId));
      const mask = new BigInt64Array(B * L);
      active.forEach((s, b) => {
        let t = 0;
        for (const id of s.prompt) ids[b * L + t++] = BigInt(id);
        for (const id of s.generated) ids[b * L + t++] = BigInt(id);
        mask.fill(1n, b * L, b * L + t);
      });
      const feeds: Record<string, ort.Tensor> = { input_ids: new ort.Tensor('int64', ids, [B, L]) };
      if (inputs.includes('attention_mask')) feeds['attention_mask'] = new ort.Tensor('int64', mask, [B, L]);
      if (inputs.includes('position_ids'))
        feeds['position_ids'] = new ort.Tensor(
          'int64',
          BigInt64Array.from({ length: B * L }, (_, i) => BigInt(i % L)),
          [B, L],
        );
      if (inputs.includes('use_cache_branch')) feeds['use_cache_branch'] = new ort.Tensor('bool', [false], [1]);
      Object.assign(feeds, this.emptyCache(B));
      const logits = await this.logits(feeds, B, L);
      const V = logits.dims[2]!;
      const data = logits.data as Float32Array;
      active.forEach((s, b) => this.advance(s, pickToken(data, (b * L + lengths[b]! - 1) * V, V, options, s.random), options));
      total += B;
      onTokens?.(total);
      active = active.filter((s) => s.finish === null);
    }
  }

  private async generateCached(states: SequenceState[], options: SamplingOptions, onTokens?: OnTokens): Promise<void> {
    const inputs = this.session.inputNames;
    const live = states.filter((s) => this.startable(s, options));
    if (!live.length) return;
    const B = live.length;
    // Prefill: prompts left-padded, positions counted over real tokens only.
    const P = Math.max(...live.map((s) => s.prompt.length));
    const ids = new BigInt64Array(B * P).fill(BigInt(this.padId));
    let mask: bigint[] = new Array<bigint>(B * P).fill(0n);
    const position = new BigInt64Array(B * P);
    live.forEach((s, b) => {
      const offset = P - s.prompt.length;
      s.prompt.forEach((id, t) => {
        ids[b * P + offset + t] = BigInt(id);
        mask[b * P + offset + t] = 1n;
        position[b * P + offset + t] = BigInt(t);
      });
    });
    let past = this.emptyCache(B);
    let pastLength = 0;
    let feeds: Record<string, ort.Tensor> = { input_ids: new ort.Tensor('int64', ids, [B, P]) };
    let width = P;
    const next = live.map((s) => s.prompt.length);
    let total = 0;
    for (;;) {
      if (inputs.includes('attention_mask')) feeds['attention_mask'] = new ort.Tensor('int64', BigInt64Array.from(mask), [B, pastLength + width]);
      if (inputs.includes('position_ids'))
        feeds['position_ids'] = new ort.Tensor('int64', width === P && pastLength === 0 ? position : BigInt64Array.from(next, BigInt), [B, width]);
      if (inputs.includes('use_cache_branch')) feeds['use_cache_branch'] = new ort.Tensor('bool', [pastLength > 0], [1]);
      Object.assign(feeds, past);
      const out = await this.session.run(feeds);
      const logits = checkLogits(out, this.modelFile, B, width);
      const V = logits.dims[2]!;
      const data = logits.data as Float32Array;
      live.forEach((s, b) => {
        if (s.finish === null) this.advance(s, pickToken(data, (b * width + width - 1) * V, V, options, s.random), options);
      });
      total += live.filter((s) => s.finish === null || s.generated.length > 0).length;
      onTokens?.(total);
      if (live.every((s) => s.finish !== null)) return;
      // The cache comes back one step longer; finished sequences ride along on padding.
      const grown = pastLength + width;
      past = {};
      for (const m of this.pastInputs) {
        const present = out[m.name.replace('past_key_values', 'present')]!;
        if (present.dims[2] !== grown)
          throw new InputError(this.modelFile, `${m.name.replace('past_key_values', 'present')} has length ${present.dims[2]} after ${grown} tokens: not a key/value cache`);
        past[m.name] = present;
      }
      pastLength = grown;
      width = 1;
      const step = new BigInt64Array(B);
      const stepMask: bigint[] = [];
      live.forEach((s, b) => {
        const running = s.finish === null;
        step[b] = BigInt(running ? s.generated[s.generated.length - 1]! : this.padId);
        stepMask.push(running ? 1n : 0n);
        if (running) next[b] = s.prompt.length + s.generated.length - 1;
      });
      mask = widen(mask, B, grown, stepMask);
      feeds = { input_ids: new ort.Tensor('int64', step, [B, 1]) };
    }
  }

  /** A prompt already at the context limit generates nothing. */
  private startable(s: SequenceState, options: SamplingOptions): boolean {
    if (options.maxNewTokens <= 0) s.finish = 'length';
    else if (this.context !== null && s.prompt.length >= this.context) s.finish = 'context';
    return s.finish === null;
  }

  private async logits(feeds: Record<string, ort.Tensor>, B: number, L: number): Promise<ort.Tensor> {
    return checkLogits(await this.session.run(feeds), this.modelFile, B, L);
  }

  async close(): Promise<void> {
    await this.session.release();
  }
}

function checkLogits(out: ort.InferenceSession.ReturnType, modelFile: string, B: number, L: number): ort.Tensor {
  const logits = out['logits']!;
  const dims = logits.dims;
  if (dims.length !== 3 || dims[0] !== B || dims[1] !== L) throw new InputError(modelFile, `logits have shape (${dims.join(', ')}), expected (${B}, ${L}, vocab)`);
  return logits;
}

/** The attention mask of B rows of `width` columns, each row given one more column. */
function widen(mask: readonly bigint[], B: number, width: number, column: readonly bigint[]): bigint[] {
  const out: bigint[] = [];
  for (let b = 0; b < B; b++) out.push(...mask.slice(b * width, (b + 1) * width), column[b]!);
  return out;
}

class SequenceState {
  readonly generated: number[] = [];
  text = '';
  finish: Generation['finish'] | null = null;
  constructor(
    readonly prompt: readonly number[],
    readonly random: () => number,
  ) {}
}

interface ModelConfig {
  readonly eos_token_id?: unknown;
  readonly pad_token_id?: unknown;
  readonly max_position_embeddings?: unknown;
  readonly n_positions?: unknown;
  readonly n_ctx?: unknown;
}

/** `config.json` and `generation_config.json` beside the model (or one folder up, for `onnx/`), merged; {} when absent. */
function modelConfig(modelFile: string): ModelConfig {
  const merged: Record<string, unknown> = {};
  for (const dir of [dirname(dirname(modelFile)), dirname(modelFile)]) {
    for (const name of ['config.json', 'generation_config.json']) {
      try {
        const parsed: unknown = JSON.parse(readFileSync(join(dir, name), 'utf8'));
        if (parsed && typeof parsed === 'object') Object.assign(merged, parsed);
      } catch {
        // absent or unreadable: the defaults stand
      }
    }
  }
  return merged;
}
