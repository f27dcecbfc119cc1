import { checkOwnedWrite, jsonlWithKeys, writeOwnedFile } from '../output/ownedFiles';
import { nearestToSeeds } from '../core/embedding';
import { InputError } from '../ingest/errors';
import { Fields, readJsonl } from '../ingest/jsonl';
import { SentenceEncoder } from './sentenceEncoder';

export interface SimilarOptions {
  readonly encoder: string;
  readonly tokenizer: string;
  /** Candidate questions, JSONL with a "question" field (any other fields are kept). */
  readonly pool: string;
  readonly out: string;
  readonly count: number;
  /** Replace an earlier output of premem similar at `out`. */
  readonly force?: boolean;
}

/**
 * Writes the `count` candidates whose questions are nearest to the seed questions, each line
 * the candidate's own record plus `distance` (1 − cosine) and `nearest_seed` (a dataset index).
 */
export async function findSimilar(o: SimilarOptions, seedIndices: readonly number[], seedQuestions: readonly string[]): Promise<{ count: number; seeds: number; pool: number }> {
  const write = {
    path: o.out,
    writer: 'premem similar',
    isOwn: jsonlWithKeys(['distance', 'nearest_seed']),
    force: o.force ?? false,
    protectedPaths: [o.pool, o.encoder, o.tokenizer].map((path) => ({ path, what: 'an input of this search' })),
  };
  // Before the encoder runs: a refusal costs nothing.
  checkOwnedWrite(write);
  const lines = readJsonl(o.pool);
  const questions = lines.map((l) => new Fields(o.pool, l).string('question'));
  if (questions.length === 0) throw new InputError(o.pool, 'has no candidates');
  const encoder = await SentenceEncoder.load(o.encoder, o.tokenizer);
  try {
    const seeds = await encoder.embed(seedQuestions);
    const candidates = await encoder.embed(questions);
    const nearest = nearestToSeeds(candidates, seeds, o.count);
    writeOwnedFile({
      ...write,
      text: nearest.map((n) => JSON.stringify({ ...(lines[n.candidate]!.value as object), distance: n.distance, nearest_seed: seedIndices[n.seed] }) + '\n').join(''),
    });
    return { count: nearest.length, seeds: seeds.length, pool: questions.length };
  } finally {
    await encoder.close();
  }
}
