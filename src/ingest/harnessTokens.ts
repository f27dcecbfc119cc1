import type * as TokenizersLib from '@huggingface/tokenizers';
import type { Tokenizer } from '@huggingface/tokenizers';
import { existsSync, readFileSync, statSync } from 'node:fs';
import { basename, dirname, join } from 'node:path';
import { InputError } from './errors';

/**
 * Counting a continuation's tokens the way lm-evaluation-harness splits a log-likelihood request
 * (`TemplateLM._encode_pair`): trailing whitespace of the context moves to the continuation, the
 * whole string and the context are encoded, and the continuation is what the whole has beyond the
 * context. Special tokens are not added (the harness's default for causal models); a BOS token
 * would be added to both and cancel.
 */
export function continuationTokens(tokenizer: Tokenizer, context: string, continuation: string): number {
  const spaces = context.length - context.trimEnd().length;
  const ctx = spaces ? context.slice(0, context.length - spaces) : context;
  const cont = spaces ? context.slice(context.length - spaces) + continuation : continuation;
  const whole = tokenizer.encode(ctx + cont, { add_special_tokens: false }).ids.length;
  const head = tokenizer.encode(ctx, { add_special_tokens: false }).ids.length;
  return whole - head;
}

const loaded = new Map<string, Tokenizer>();

/**
 * The checkpoint's own `tokenizer.json` for a log under it: the nearest one from the log's folder
 * up to the checkpoint folder, else the run folder's. Hugging Face checkpoints carry one.
 */
export function tokenizerForLog(log: string): { tokenizer: Tokenizer; file: string } {
  const candidates: string[] = [];
  let dir = dirname(log);
  for (let i = 0; i < 6; i++) {
    candidates.push(join(dir, 'tokenizer.json'));
    if (/^checkpoint-\d+$/.test(basename(dir))) {
      candidates.push(join(dirname(dir), 'tokenizer.json'));
      break;
    }
    dir = dirname(dir);
  }
  const file = candidates.find((f) => existsSync(f));
  if (!file) throw new InputError(log, 'log-likelihoods need the checkpoint’s tokenizer.json (in the checkpoint folder or the run folder) to count the reference’s tokens');
  // Keyed by modification time too: the indexing worker lives long, and a tokenizer may be replaced.
  const key = `${file}\t${statSync(file).mtimeMs}`;
  let tokenizer = loaded.get(key);
  if (!tokenizer) {
    try {
      const json = JSON.parse(readFileSync(file, 'utf8')) as ConstructorParameters<typeof Tokenizer>[0];
      // Loaded on first use: only runs with harness log-likelihoods need it, and `premem report`
      // on other runs must not pay for it (test/unit/cli.test.ts checks what each command loads).
      // eslint-disable-next-line @typescript-eslint/no-require-imports
      const lib = require('@huggingface/tokenizers') as typeof TokenizersLib;
      tokenizer = new lib.Tokenizer(json, {});
    } catch (e) {
      throw new InputError(file, `cannot read the tokenizer: ${(e as Error).message}`);
    }
    loaded.set(key, tokenizer);
  }
  return { tokenizer, file };
}
