/**
 * Which sample set stands for a checkpoint and split. The authors took, per checkpoint and
 * split, the first set present in this order; we do the same, then fall back to any other
 * set (the most samples per question, then alphabetically) so runs with other names still work
 * without configuration.
 */
export const AUTHORS_SAMPLE_PREFERENCE: readonly string[] = ['types5_seed2_temp0.8', 'types50_seed2_temp0.8', 'types5_seed2', 'types50_seed2', 'types10_seed2_temp0.8'];

/**
 * `preference` null: the authors' order, then the rest. An explicit list is strict: a
 * checkpoint with none of the named sets has no choice (null), so a user's list is never
 * silently replaced by something else.
 */
export function chooseSampleSet(available: readonly string[], preference: readonly string[] | null): string | null {
  const order = preference ?? AUTHORS_SAMPLE_PREFERENCE;
  for (const name of order) if (available.includes(name)) return name;
  if (preference !== null) return null;
  // lm-eval logs give one set per filter: the strict one is the default, as the harness reports it.
  const strict = available.filter((n) => n.endsWith(':strict-match')).sort()[0];
  if (strict) return strict;
  // Else the set with the most samples per question (its name says: `types4_…`, `samples8_…`),
  // so a quick small set sampled into a run does not displace the run's own larger one.
  const k = (n: string) => Number(/^(?:types|samples)(\d+)/.exec(n)?.[1] ?? 0);
  return [...available].sort((a, b) => k(b) - k(a) || (a < b ? -1 : a > b ? 1 : 0))[0] ?? null;
}
