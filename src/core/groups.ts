/**
 * Groups of questions that share a template ("Ann buys 3 pens at $2 each…" and "Raj buys 5 cups
 * at $4 each…"), found without a model: each question is the set of its words with every number
 * made `#`; MinHash signatures (64 seeded hashes) in 16 bands of 4 propose candidates, and a
 * candidate joins a group only when the exact Jaccard similarity of the two word sets is at
 * least `minSimilarity`. Deterministic: the same questions give the same groups on every machine.
 */

export interface QuestionGroup {
  /** 1-based, largest group first (ties: the group whose first question comes first). */
  readonly id: number;
  /** Its commonest words (by how many of its questions hold them), stop words left out. */
  readonly label: readonly string[];
  /** Positions in the input, ascending. */
  readonly members: readonly number[];
}

export interface QuestionGroups {
  readonly method: 'minhash';
  readonly minSimilarity: number;
  /** groupOf[p]: the group id of input p, 0 when it shares its template with no other question. */
  readonly groupOf: Int32Array;
  readonly groups: readonly QuestionGroup[];
}

const HASHES = 64;
const BANDS = 16;
const ROWS = HASHES / BANDS;
export const DEFAULT_MIN_SIMILARITY = 0.5;

const STOP = new Set(
  'a an and are as at be but by did do does each for from had has have he her his how if in is it its many more much of on or she so than that the their them then there they this to total was were what when which who will with would you'.split(
    ' ',
  ),
);

/** A question's words, lower-cased, numbers (with their decimals and commas) made `#`. */
export function wordsOf(question: string): Set<string> {
  const out = new Set<string>();
  for (const m of question.toLowerCase().matchAll(/\d[\d,]*(?:\.\d+)?|[\p{L}']+/gu)) out.add(/^\d/.test(m[0]) ? '#' : m[0]);
  return out;
}

function hashWord(w: string): number {
  // FNV-1a over UTF-16 units: only needs to spread words; the seeds below make the 64 hashes.
  let h = 0x811c9dc5;
  for (let i = 0; i < w.length; i++) h = Math.imul(h ^ w.charCodeAt(i), 0x01000193);
  return h >>> 0;
}

function mix(x: number, seed: number): number {
  // MurmurHash3's finaliser on the word's hash xor a per-hash seed: 64 independent-enough orders.
  let h = (x ^ seed) >>> 0;
  h = Math.imul(h ^ (h >>> 16), 0x85ebca6b);
  h = Math.imul(h ^ (h >>> 13), 0xc2b2ae35);
  return (h ^ (h >>> 16)) >>> 0;
}

const SEEDS = Array.from({ length: HASHES }, (_, k) => mix(k + 1, 0x9e3779b9));

function signature(words: ReadonlySet<string>): Uint32Array {
  const sig = new Uint32Array(HASHES).fill(0xffffffff);
  for (const w of words) {
    const x = hashWord(w);
    for (let k = 0; k < HASHES; k++) {
      const v = mix(x, SEEDS[k]!);
      if (v < sig[k]!) sig[k] = v;
    }
  }
  return sig;
}

export function jaccard(a: ReadonlySet<string>, b: ReadonlySet<string>): number {
  if (a.size === 0 && b.size === 0) return 0;
  let both = 0;
  for (const w of a) if (b.has(w)) both++;
  return both / (a.size + b.size - both);
}

/** `questions[p]`: the text at position p, or null where it is unknown (never grouped). */
export function groupQuestions(questions: readonly (string | null)[], minSimilarity = DEFAULT_MIN_SIMILARITY): QuestionGroups {
  const n = questions.length;
  const words = questions.map((q) => (q === null ? null : wordsOf(q)));
  const parent = Int32Array.from({ length: n }, (_, i) => i);
  const find = (i: number): number => {
    while (parent[i] !== i) {
      parent[i] = parent[parent[i]!]!;
      i = parent[i]!;
    }
    return i;
  };
  const buckets = new Map<string, number>();
  for (let p = 0; p < n; p++) {
    const w = words[p];
    if (!w || w.size === 0) continue;
    const sig = signature(w);
    for (let b = 0; b < BANDS; b++) {
      const key = `${b}:${Array.from(sig.subarray(b * ROWS, (b + 1) * ROWS)).join(',')}`;
      const first = buckets.get(key);
      if (first === undefined) {
        buckets.set(key, p);
        continue;
      }
      // Against the bucket's first question only: a template of thousands of questions costs
      // thousands of comparisons, not millions; the group still forms through the shared first.
      const [ra, rb] = [find(first), find(p)];
      if (ra !== rb && jaccard(words[first]!, w) >= minSimilarity) parent[Math.max(ra, rb)] = Math.min(ra, rb);
    }
  }
  const byRoot = new Map<number, number[]>();
  for (let p = 0; p < n; p++) {
    if (!words[p]) continue;
    const r = find(p);
    const list = byRoot.get(r);
    if (list) list.push(p);
    else byRoot.set(r, [p]);
  }
  const sets = [...byRoot.values()].filter((m) => m.length > 1).sort((a, b) => b.length - a.length || a[0]! - b[0]!);
  const groupOf = new Int32Array(n);
  const groups = sets.map((members, k): QuestionGroup => {
    for (const p of members) groupOf[p] = k + 1;
    return { id: k + 1, label: commonest(members.map((p) => words[p]!)), members };
  });
  return { method: 'minhash', minSimilarity, groupOf, groups };
}

function commonest(sets: readonly ReadonlySet<string>[], count = 3): string[] {
  const df = new Map<string, number>();
  for (const s of sets) for (const w of s) if (w !== '#' && !STOP.has(w) && w.length > 1) df.set(w, (df.get(w) ?? 0) + 1);
  return [...df]
    .sort((a, b) => b[1] - a[1] || (a[0] < b[0] ? -1 : a[0] > b[0] ? 1 : 0))
    .slice(0, count)
    .map(([w]) => w);
}
