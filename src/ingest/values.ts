/**
 * What a valid figure in a run's files is. A reference perplexity is exp(mean token NLL), so at
 * least 1; values a little below 1 are rounding of a verbatim reproduction (float32 exp of a
 * tiny NLL), which the metric counts as memorized. Anything lower, zero, negative or −∞ is a bug
 * in the pipeline that wrote it and would silently count as memorized: refused. NaN is
 * "unknown" (never memorized); +∞ is a reference the model finds impossible (never memorized).
 */
export const MIN_PERPLEXITY = 1 - 1e-4;

/** Why a perplexity is invalid, or null when it is fine. */
export function invalidPerplexity(x: number): string | null {
  if (Number.isNaN(x) || x === Infinity || x >= MIN_PERPLEXITY) return null;
  return `perplexity ${x} is below 1 (a perplexity is exp of a mean negative log-likelihood, so at least 1)`;
}

/** The authors' answer codes: 0 correct, 1 wrong, 2 no final answer found. */
export const ANSWER_CODES = 'answer types are 0 (correct), 1 (wrong) or 2 (no final answer)';

/** The largest answer code: codes are the integers 0..MAX_ANSWER_CODE. */
export const MAX_ANSWER_CODE = 2;

export function isAnswerCode(x: number): boolean {
  return x === 0 || x === 1 || x === 2;
}

/** A Trainer checkpoint (or an ONNX export) that nothing has evaluated yet. */
export const NOT_EVALUATED =
  'not evaluated yet: model files but no samples. premem plan lm-eval <run> --out DIR writes the harness tasks that evaluate it (or premem sample, for ONNX checkpoints)';
