import { Tokenizer } from '@huggingface/tokenizers';
import { readFileSync } from 'node:fs';
import * as ort from 'onnxruntime-node';
import { InputError } from '../ingest/errors';
import { requireRegularFile } from '../ingest/jsonl';

/**
 * An ONNX model and its `tokenizer.json`, opened with errors that name the file at fault.
 * Both the reference scorer and the sentence encoder start here.
 */
export async function openOnnx(
  modelFile: string,
  tokenizerFile: string,
  what: string,
  sessionOptions: ort.InferenceSession.SessionOptions = {},
): Promise<{ session: ort.InferenceSession; tokenizer: Tokenizer; tokenizerJson: unknown }> {
  // A FIFO, socket or device in place of a model would block the read for ever: refused by name.
  requireRegularFile(modelFile);
  requireRegularFile(tokenizerFile);
  let tokenizerJson: unknown;
  try {
    tokenizerJson = JSON.parse(readFileSync(tokenizerFile, 'utf8'));
  } catch (e) {
    throw new InputError(tokenizerFile, `cannot read the tokenizer: ${(e as Error).message}`);
  }
  let session: ort.InferenceSession;
  try {
    session = await ort.InferenceSession.create(modelFile, sessionOptions);
  } catch (e) {
    throw new InputError(modelFile, `cannot load the ONNX model: ${(e as Error).message}`);
  }
  if (!session.inputNames.includes('input_ids')) throw new InputError(modelFile, `${what} has no "input_ids" input (inputs: ${session.inputNames.join(', ')})`);
  const tokenizer = new Tokenizer(tokenizerJson as ConstructorParameters<typeof Tokenizer>[0], {});
  // A tokenizer made for another model would index past the embeddings (onnxruntime's raw
  // "Gather" error, after partial files): checked against the logits' width before any work.
  const logits = session.outputMetadata.find((m) => m.name === 'logits');
  const vocab = logits?.isTensor && typeof logits.shape[2] === 'number' ? logits.shape[2] : null;
  const largest = Math.max(-1, ...tokenizer.get_vocab(true).values());
  if (vocab !== null && largest >= vocab)
    throw new InputError(tokenizerFile, `has token ids up to ${largest} but ${modelFile} predicts ${vocab} tokens: not this model's tokenizer`);
  return { session, tokenizer, tokenizerJson };
}
