import { Tokenizer } from '@huggingface/tokenizers';
import { readFileSync } from 'node:fs';
import * as ort from 'onnxruntime-node';
import { InputError } from '../ingest/errors';

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
  return { session, tokenizer: new Tokenizer(tokenizerJson as ConstructorParameters<typeof Tokenizer>[0], {}), tokenizerJson };
}
