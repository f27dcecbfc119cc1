/**
 * Choosing the next token from a row of logits: greedy at temperature 0, else softmax at the
 * temperature with nucleus (top-p) truncation, drawn with a seeded generator. Pure, so the
 * sampler's choices are checked against arithmetic.
 */

export interface DecodingOptions {
  /** 0 = greedy (deterministic, ties to the lowest token id). */
  readonly temperature: number;
  /** Keep the smallest set of most likely tokens whose probability reaches this; 1 = all. */
  readonly topP: number;
}

/** The index of the largest logit in `logits[offset, offset + vocab)`; the lowest index wins ties. */
export function argmax(logits: ArrayLike<number>, offset: number, vocab: number): number {
  let best = 0;
  let max = -Infinity;
  for (let v = 0; v < vocab; v++) {
    const x = logits[offset + v]!;
    if (x > max) {
      max = x;
      best = v;
    }
  }
  return best;
}

/**
 * The next-token distribution after temperature and top-p, as (token, probability) pairs in
 * decreasing probability (ties by token id), renormalised. Computed in float64.
 */
export function nucleus(logits: ArrayLike<number>, offset: number, vocab: number, options: DecodingOptions): { tokens: Int32Array; probs: Float64Array } {
  let max = -Infinity;
  for (let v = 0; v < vocab; v++) max = Math.max(max, logits[offset + v]!);
  const p = new Float64Array(vocab);
  let sum = 0;
  for (let v = 0; v < vocab; v++) {
    const e = Math.exp((logits[offset + v]! - max) / options.temperature);
    p[v] = e;
    sum += e;
  }
  const order = Int32Array.from({ length: vocab }, (_, v) => v).sort((x, y) => p[y]! - p[x]! || x - y);
  let keep = vocab;
  if (options.topP < 1) {
    let cumulative = 0;
    for (let k = 0; k < vocab; k++) {
      cumulative += p[order[k]!]! / sum;
      if (cumulative >= options.topP) {
        keep = k + 1;
        break;
      }
    }
  }
  const tokens = order.slice(0, keep);
  const probs = new Float64Array(keep);
  let kept = 0;
  for (let k = 0; k < keep; k++) kept += p[tokens[k]!]!;
  for (let k = 0; k < keep; k++) probs[k] = p[tokens[k]!]! / kept;
  return { tokens, probs };
}

/** Picks the next token: argmax at temperature 0, else one draw from `random` over the nucleus. */
export function pickToken(logits: ArrayLike<number>, offset: number, vocab: number, options: DecodingOptions, random: () => number): number {
  if (options.temperature === 0) return argmax(logits, offset, vocab);
  const { tokens, probs } = nucleus(logits, offset, vocab, options);
  const u = random();
  let cumulative = 0;
  for (let k = 0; k < tokens.length; k++) {
    cumulative += probs[k]!;
    if (u < cumulative) return tokens[k]!;
  }
  return tokens[tokens.length - 1]!;
}

/** Where the first stop string starts in `text`, or -1. */
export function stopAt(text: string, stops: readonly string[]): number {
  let at = -1;
  for (const s of stops) {
    if (!s) continue;
    const i = text.indexOf(s);
    if (i !== -1 && (at === -1 || i < at)) at = i;
  }
  return at;
}
