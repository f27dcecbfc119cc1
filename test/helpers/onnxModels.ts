/**
 * Small ONNX models built by the tests themselves (no model can be downloaded here), written
 * with onnx-proto, and a character tokenizer.json for them. Their outputs are known in closed
 * form, so the scorer is checked against arithmetic, not against itself.
 */
import { writeFileSync } from 'node:fs';
import { onnx } from 'onnx-proto';

const INT64 = onnx.TensorProto.DataType.INT64;
const FLOAT = onnx.TensorProto.DataType.FLOAT;

function valueInfo(name: string, elemType: number, dims: (number | string)[]): onnx.IValueInfoProto {
  return {
    name,
    type: { tensorType: { elemType, shape: { dim: dims.map((d) => (typeof d === 'number' ? { dimValue: d } : { dimParam: d })) } } },
  };
}

/**
 * A causal LM whose logits at each position are row `input_ids[t]` of `table`: the next token's
 * log-probability is log-softmax(table[previous token]) — known exactly. With `attentionMask`,
 * it also takes an `attention_mask` input (multiplied in, so padded positions get zero logits);
 * with `optimumCache`, Optimum's decoder signature as well (position_ids, past_key_values.0.*).
 */
export function lookupLanguageModel(table: readonly (readonly number[])[], options: { attentionMask?: boolean; optimumCache?: boolean } = {}): Uint8Array {
  if (options.optimumCache) options = { ...options, attentionMask: true };
  const V = table.length;
  const nodes: onnx.INodeProto[] = [
    {
      opType: 'Gather',
      input: ['table', 'input_ids'],
      output: [options.attentionMask ? 'raw' : 'logits'],
      attribute: [{ name: 'axis', i: 0, type: onnx.AttributeProto.AttributeType.INT }],
    },
  ];
  const inputs = [valueInfo('input_ids', INT64, ['batch', 'sequence'])];
  const initializers: onnx.ITensorProto[] = [{ name: 'table', dataType: FLOAT, dims: [V, V], floatData: table.flat() }];
  if (options.attentionMask) {
    inputs.push(valueInfo('attention_mask', INT64, ['batch', 'sequence']));
    initializers.push({ name: 'last_axis', dataType: INT64, dims: [1], int64Data: [-1] });
    nodes.push(
      { opType: 'Cast', input: ['attention_mask'], output: ['mask_f'], attribute: [{ name: 'to', i: FLOAT, type: onnx.AttributeProto.AttributeType.INT }] },
      { opType: 'Unsqueeze', input: ['mask_f', 'last_axis'], output: ['mask_3d'] },
      { opType: 'Mul', input: ['raw', 'mask_3d'], output: ['logits'] },
    );
  }
  if (options.optimumCache) {
    // Optimum's decoder signature: position_ids and a key/value cache in, present key/values out.
    inputs.push(valueInfo('position_ids', INT64, ['batch', 'sequence']));
    initializers.push({ name: 'zero', dataType: FLOAT, dims: [], floatData: [0] });
    nodes[nodes.length - 1]!.output = ['masked'];
    nodes.push(
      { opType: 'Cast', input: ['position_ids'], output: ['pos_f'], attribute: [{ name: 'to', i: FLOAT, type: onnx.AttributeProto.AttributeType.INT }] },
      { opType: 'Unsqueeze', input: ['pos_f', 'last_axis'], output: ['pos_3d'] },
      { opType: 'Mul', input: ['pos_3d', 'zero'], output: ['pos_zero'] },
      { opType: 'Add', input: ['masked', 'pos_zero'], output: ['logits'] },
    );
    for (const kind of ['key', 'value']) {
      inputs.push(valueInfo(`past_key_values.0.${kind}`, FLOAT, ['batch', 2, 'past_sequence', 4]));
      nodes.push({ opType: 'Identity', input: [`past_key_values.0.${kind}`], output: [`present.0.${kind}`] });
    }
  }
  const outputs = [valueInfo('logits', FLOAT, ['batch', 'sequence', V])];
  if (options.optimumCache) for (const kind of ['key', 'value']) outputs.push(valueInfo(`present.0.${kind}`, FLOAT, ['batch', 2, 'total_sequence', 4]));
  const model: onnx.IModelProto = {
    irVersion: 8,
    opsetImport: [{ domain: '', version: 13 }],
    producerName: 'premem-tests',
    graph: { name: 'lookup_lm', node: nodes, initializer: initializers, input: inputs, output: outputs },
  };
  return onnx.ModelProto.encode(onnx.ModelProto.create(model)).finish();
}

/** A sentence encoder whose last hidden state is row `input_ids[t]` of `embeddings` (masked): mean pooling is then arithmetic. */
export function lookupEncoder(embeddings: readonly (readonly number[])[]): Uint8Array {
  const V = embeddings.length;
  const H = embeddings[0]!.length;
  const model: onnx.IModelProto = {
    irVersion: 8,
    opsetImport: [{ domain: '', version: 13 }],
    producerName: 'premem-tests',
    graph: {
      name: 'lookup_encoder',
      node: [
        { opType: 'Gather', input: ['embeddings', 'input_ids'], output: ['raw'], attribute: [{ name: 'axis', i: 0, type: onnx.AttributeProto.AttributeType.INT }] },
        { opType: 'Cast', input: ['attention_mask'], output: ['mask_f'], attribute: [{ name: 'to', i: FLOAT, type: onnx.AttributeProto.AttributeType.INT }] },
        { opType: 'Unsqueeze', input: ['mask_f', 'last_axis'], output: ['mask_3d'] },
        { opType: 'Mul', input: ['raw', 'mask_3d'], output: ['last_hidden_state'] },
      ],
      initializer: [
        { name: 'embeddings', dataType: FLOAT, dims: [V, H], floatData: embeddings.flat() },
        { name: 'last_axis', dataType: INT64, dims: [1], int64Data: [-1] },
      ],
      input: [valueInfo('input_ids', INT64, ['batch', 'sequence']), valueInfo('attention_mask', INT64, ['batch', 'sequence'])],
      output: [valueInfo('last_hidden_state', FLOAT, ['batch', 'sequence', H])],
    },
  };
  return onnx.ModelProto.encode(onnx.ModelProto.create(model)).finish();
}

/** A character-level tokenizer.json (WordLevel, every character its own token): `<pad>` 0, `<unk>` 1, then `chars`. */
export function characterTokenizer(chars: readonly string[]): object {
  const vocab: Record<string, number> = { '<pad>': 0, '<unk>': 1 };
  chars.forEach((c, i) => (vocab[c] = i + 2));
  const special = (id: number, content: string) => ({ id, content, single_word: false, lstrip: false, rstrip: false, normalized: false, special: true });
  return {
    version: '1.0',
    truncation: null,
    padding: null,
    added_tokens: [special(0, '<pad>'), special(1, '<unk>')],
    normalizer: null,
    pre_tokenizer: { type: 'Split', pattern: { Regex: '[\\s\\S]' }, behavior: 'Isolated', invert: false },
    post_processor: null,
    decoder: { type: 'Fuse' },
    model: { type: 'WordLevel', vocab, unk_token: '<unk>' },
  };
}

export function writeModel(file: string, bytes: Uint8Array): void {
  writeFileSync(file, bytes);
}

/**
 * A decoder with a real key/value cache in Optimum's signature: logits at each position are
 * `table[input_ids[t]] + positionBias[position_ids[t]]` (so wrong positions change the tokens),
 * and `present.0.key|value` is the past with the new tokens' entries appended (so the cache grows
 * as a real one does). Greedy decoding is then hand-computable, with or without the cache.
 */
export function cachedLanguageModel(table: readonly (readonly number[])[], positionBias: readonly (readonly number[])[]): Uint8Array {
  const V = table.length;
  const P = positionBias.length;
  const INT = onnx.AttributeProto.AttributeType.INT;
  const INTS = onnx.AttributeProto.AttributeType.INTS;
  const nodes: onnx.INodeProto[] = [
    { opType: 'Gather', input: ['table', 'input_ids'], output: ['token_logits'], attribute: [{ name: 'axis', i: 0, type: INT }] },
    { opType: 'Gather', input: ['position_bias', 'position_ids'], output: ['position_logits'], attribute: [{ name: 'axis', i: 0, type: INT }] },
    { opType: 'Add', input: ['token_logits', 'position_logits'], output: ['logits'] },
    { opType: 'Gather', input: ['kv_table', 'input_ids'], output: ['kv_flat'], attribute: [{ name: 'axis', i: 0, type: INT }] },
    { opType: 'Reshape', input: ['kv_flat', 'kv_shape'], output: ['kv_4d'] },
    { opType: 'Transpose', input: ['kv_4d'], output: ['kv_new'], attribute: [{ name: 'perm', ints: [0, 2, 1, 3], type: INTS }] },
  ];
  const inputs = [
    valueInfo('input_ids', INT64, ['batch', 'sequence']),
    valueInfo('attention_mask', INT64, ['batch', 'total_sequence']),
    valueInfo('position_ids', INT64, ['batch', 'sequence']),
  ];
  const outputs = [valueInfo('logits', FLOAT, ['batch', 'sequence', V])];
  for (const kind of ['key', 'value']) {
    inputs.push(valueInfo(`past_key_values.0.${kind}`, FLOAT, ['batch', 2, 'past_sequence', 4]));
    outputs.push(valueInfo(`present.0.${kind}`, FLOAT, ['batch', 2, 'total_sequence', 4]));
    nodes.push({ opType: 'Concat', input: [`past_key_values.0.${kind}`, 'kv_new'], output: [`present.0.${kind}`], attribute: [{ name: 'axis', i: 2, type: INT }] });
  }
  const model: onnx.IModelProto = {
    irVersion: 8,
    opsetImport: [{ domain: '', version: 13 }],
    producerName: 'premem-tests',
    graph: {
      name: 'cached_lm',
      node: nodes,
      initializer: [
        { name: 'table', dataType: FLOAT, dims: [V, V], floatData: table.flat() },
        { name: 'position_bias', dataType: FLOAT, dims: [P, V], floatData: positionBias.flat() },
        { name: 'kv_table', dataType: FLOAT, dims: [V, 8], floatData: Array.from({ length: V * 8 }, (_, i) => i / 8) },
        { name: 'kv_shape', dataType: INT64, dims: [4], int64Data: [0, 0, 2, 4] },
      ],
      input: inputs,
      output: outputs,
    },
  };
  return onnx.ModelProto.encode(onnx.ModelProto.create(model)).finish();
}
