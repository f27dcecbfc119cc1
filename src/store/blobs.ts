/**
 * Per-checkpoint arrays are stored as one little-endian BLOB each: one row per checkpoint
 * instead of one per example, which is what keeps indexing and the warm report fast.
 */
const LITTLE_ENDIAN = new Uint8Array(new Uint16Array([1]).buffer)[0] === 1;

function toBuffer(view: ArrayBufferView): Buffer {
  if (!LITTLE_ENDIAN) throw new Error('big-endian hosts are not supported by the index format');
  return Buffer.from(view.buffer, view.byteOffset, view.byteLength);
}

export const float64Blob = (a: Float64Array): Buffer => toBuffer(a);
export const uint8Blob = (a: Uint8Array): Buffer => Buffer.from(a);
export const uint32Blob = (a: Uint16Array | Uint32Array): Buffer => toBuffer(a instanceof Uint32Array ? a : Uint32Array.from(a));

/** Copies, because a Buffer from SQLite need not be 8-byte aligned. */
export function blobFloat64(b: Buffer): Float64Array {
  const out = new Float64Array(b.byteLength / 8);
  new Uint8Array(out.buffer).set(b);
  return out;
}

export function blobUint32(b: Buffer): Uint32Array {
  const out = new Uint32Array(b.byteLength / 4);
  new Uint8Array(out.buffer).set(b);
  return out;
}
