/**
 * Seeded uniform numbers in [0, 1), identical on every machine (Node has no seedable
 * generator): `--seed` reproduces a curated selection, a perturbation file and a sample set.
 */

/** mulberry32: tiny, seedable and identical everywhere. */
export function seededRandom(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/**
 * A generator for one item of many (a sampled sequence, a perturbed question), seeded by a list
 * of integers such as (seed, question index, sample number): each item's draws depend on its own
 * identity only, never on the order or batch it is processed in. The keys are mixed with
 * MurmurHash3's finaliser so neighbouring keys start far apart.
 */
export function keyedRandom(...keys: readonly number[]): () => number {
  let h = 0x9e3779b9;
  for (const k of keys) {
    h = Math.imul(h ^ (Math.trunc(k) | 0), 0x85ebca6b);
    h ^= h >>> 13;
    h = Math.imul(h, 0xc2b2ae35);
    h ^= h >>> 16;
  }
  return seededRandom(h);
}
