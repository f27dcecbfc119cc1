/**
 * Sentence embeddings from an encoder's last hidden state, and nearest-neighbour search: the
 * paper's curation step, "more data like the examples the model failed to learn".
 */

/**
 * Mean of the hidden states over the real (unmasked) tokens, then scaled to unit length.
 * `hidden` is [batch, tokens, size] row-major starting at row `b`; `mask` holds 1 for real tokens.
 */
export function meanPoolNormalized(hidden: Float32Array, tokens: number, size: number, b: number, mask: ArrayLike<number>): Float64Array {
  const out = new Float64Array(size);
  let count = 0;
  for (let t = 0; t < tokens; t++) {
    if (!mask[b * tokens + t]) continue;
    count++;
    const row = (b * tokens + t) * size;
    for (let k = 0; k < size; k++) out[k] = out[k]! + hidden[row + k]!;
  }
  let norm = 0;
  for (let k = 0; k < size; k++) {
    out[k] = out[k]! / Math.max(1, count);
    norm += out[k]! * out[k]!;
  }
  norm = Math.sqrt(norm);
  if (norm > 0) for (let k = 0; k < size; k++) out[k] = out[k]! / norm;
  return out;
}

/** 1 − cosine similarity of two unit vectors: 0 for the same direction, 2 for opposite. */
export function cosineDistance(a: Float64Array, b: Float64Array): number {
  let dot = 0;
  for (let k = 0; k < a.length; k++) dot += a[k]! * b[k]!;
  return 1 - dot;
}

export interface Neighbour {
  /** Index of the candidate. */
  readonly candidate: number;
  /** Its distance to the nearest seed, and which seed that is. */
  readonly distance: number;
  readonly seed: number;
}

/** The `count` candidates nearest to any seed, nearest first (ties: lower candidate index first). */
export function nearestToSeeds(candidates: readonly Float64Array[], seeds: readonly Float64Array[], count: number): Neighbour[] {
  if (seeds.length === 0) return [];
  const all = candidates.map((c, candidate) => {
    let best = Infinity;
    let seed = -1;
    seeds.forEach((s, j) => {
      const d = cosineDistance(c, s);
      if (d < best) {
        best = d;
        seed = j;
      }
    });
    return { candidate, distance: best, seed };
  });
  all.sort((x, y) => x.distance - y.distance || x.candidate - y.candidate);
  return all.slice(0, count);
}
