/**
 * lm-evaluation-harness's `--model_args`: `key=value` pairs joined by commas, which the harness
 * splits on `,` and then on the first `=` (`simple_parse_args_string`). The plan writes its own
 * pairs and the user's; merged by key, the user's value replaces the plan's in place, so no key
 * is written twice (the harness would warn "Overwriting key" and take the last).
 */

export type ModelArgs = readonly (readonly [key: string, value: string])[];

const KEY = /^[A-Za-z_][A-Za-z0-9_]*$/;

/**
 * The user's `--model-args` text as pairs, refused (with what is wrong) where the harness would
 * read it otherwise than written: a piece without `=`, a key that is not a name, a key twice.
 * A value cannot hold a comma: the harness would cut it there.
 */
export function parseModelArgs(text: string): ModelArgs {
  if (text.trim() === '') return [];
  const pairs: [string, string][] = [];
  for (const piece of text.split(',')) {
    const at = piece.indexOf('=');
    if (at === -1) throw new RangeError(`--model-args: "${piece}" is not key=value (pairs are separated by commas, so a value cannot hold one)`);
    const key = piece.slice(0, at).trim();
    const value = piece.slice(at + 1);
    if (!KEY.test(key)) throw new RangeError(`--model-args: "${key}" is not a name the harness takes as a key`);
    if (pairs.some(([k]) => k === key)) throw new RangeError(`--model-args: ${key} is given twice`);
    if (value.trim() === '') throw new RangeError(`--model-args: ${key} has no value`);
    pairs.push([key, value]);
  }
  return pairs;
}

/** The plan's pairs with the user's merged in: a user key replaces the plan's value where it stands, new keys follow. */
export function mergeModelArgs(plan: ModelArgs, user: ModelArgs): ModelArgs {
  const merged = plan.map(([k, v]) => [k, user.find(([uk]) => uk === k)?.[1] ?? v] as const);
  return [...merged, ...user.filter(([k]) => !plan.some(([pk]) => pk === k))];
}

export function formatModelArgs(args: ModelArgs): string {
  return args.map(([k, v]) => `${k}=${v}`).join(',');
}
