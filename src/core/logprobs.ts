/**
 * Reference log-probabilities from a causal LM's logits: the memorization evidence of the
 * paper, computed here instead of trusted from elsewhere. Pure: the caller runs the model.
 */

/**
 * log p(ids[t] | ids[<t]) for t in [from, to): row t-1 of `logits` (vocab floats per row,
 * starting at `offset`) predicts token t. A numerically stable log-softmax in float64 over
 * float32 logits: subtract the row maximum before exponentiating.
 */
export function targetLogprobs(logits: Float32Array, vocab: number, offset: number, ids: ArrayLike<number>, from: number, to: number): Float64Array {
  if (from < 1) throw new RangeError('the first scored token needs a token before it');
  const out = new Float64Array(to - from);
  for (let t = from; t < to; t++) {
    const row = offset + (t - 1) * vocab;
    let max = -Infinity;
    for (let v = 0; v < vocab; v++) if (logits[row + v]! > max) max = logits[row + v]!;
    let sum = 0;
    for (let v = 0; v < vocab; v++) sum += Math.exp(logits[row + v]! - max);
    const id = ids[t]!;
    if (!(id >= 0 && id < vocab)) throw new RangeError(`token id ${id} is outside the vocabulary of ${vocab}`);
    out[t - from] = logits[row + id]! - max - Math.log(sum);
  }
  return out;
}

/** exp(mean negative log-likelihood): the authors' reference perplexity. NaN for no tokens. */
export function perplexityOf(logprobs: ArrayLike<number>): number {
  if (logprobs.length === 0) return NaN;
  let nll = 0;
  for (let i = 0; i < logprobs.length; i++) nll -= logprobs[i]!;
  return Math.exp(nll / logprobs.length);
}
