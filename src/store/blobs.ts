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
export const int32Blob = (a: readonly number[]): Buffer => toBuffer(Int32Array.from(a));

/** Copies, because a Buffer from SQLite need not be 8-byte aligned. */
export function blobFloat64(b: Buffer): Float64Array {
  const out = new Float64Array(b.byteLength / 8);
  new Uint8Array(out.buffer).set(b);
  return out;
}

export function blobInt32(b: Buffer): Int32Array {
  const out = new Int32Array(b.byteLength / 4);
  new Uint8Array(out.buffer).set(b);
  return out;
}

/**
 * Answer codes (0, 1, 2) four to a byte, two bits each, the first code in the low bits: the
 * codes are most of an index's bytes, and a cold index's time goes with the bytes it writes.
 */
export function packCodes(codes: Uint8Array): Buffer {
  const out = Buffer.allocUnsafe((codes.length + 3) >> 2);
  out[out.length - 1] = 0;
  const whole = codes.length >> 2;
  if ((codes.byteOffset & 3) === 0 && LITTLE_ENDIAN) {
    // Four codes a load: bytes b0..b3 of the word go to bits 0-1, 2-3, 4-5, 6-7.
    const words = new Uint32Array(codes.buffer, codes.byteOffset, whole);
    for (let b = 0; b < whole; b++) {
      const w = words[b]!;
      out[b] = (w & 3) | ((w >>> 6) & 0xc) | ((w >>> 12) & 0x30) | ((w >>> 18) & 0xc0);
    }
  } else {
    for (let b = 0, k = 0; b < whole; b++, k += 4) out[b] = codes[k]! | (codes[k + 1]! << 2) | (codes[k + 2]! << 4) | (codes[k + 3]! << 6);
  }
  for (let k = whole * 4; k < codes.length; k++) out[k >> 2]! |= codes[k]! << ((k & 3) * 2);
  return out;
}

/** `count` codes from packed bytes whose first byte holds code `first` (0..3) onward. */
export function unpackCodes(bytes: Uint8Array, first: number, count: number): number[] {
  const out = new Array<number>(count);
  for (let i = 0; i < count; i++) {
    const k = first + i;
    out[i] = (bytes[k >> 2]! >> ((k & 3) * 2)) & 3;
  }
  return out;
}

/** The byte range (1-based start for SQLite's substr, length) holding codes [from, from + count). */
export function packedRange(from: number, count: number): { start: number; length: number; first: number } {
  const a = from >> 2;
  const b = (from + count - 1) >> 2;
  return { start: a + 1, length: b - a + 1, first: from & 3 };
}

/**
 * Correct-sample counts per question, as narrow as the sample count allows (a byte for up to
 * 255 samples): they are read for every checkpoint of every analysis.
 */
export function countsBlob(counts: ArrayLike<number>, samplesPerQuestion: number): Buffer {
  if (samplesPerQuestion < 256) return toBuffer(Uint8Array.from(counts));
  if (samplesPerQuestion < 65536) return toBuffer(Uint16Array.from(counts));
  return toBuffer(Uint32Array.from(counts));
}

/** The counts of `countsBlob`, whatever their width. */
export function blobCounts(b: Buffer, questions: number): Uint32Array {
  const width = questions === 0 ? 1 : b.byteLength / questions;
  const out = new Uint32Array(questions);
  if (width === 1) out.set(b);
  else if (width === 2) for (let q = 0; q < questions; q++) out[q] = b.readUInt16LE(q * 2);
  else if (width === 4) for (let q = 0; q < questions; q++) out[q] = b.readUInt32LE(q * 4);
  else throw new Error(`correct counts of ${b.byteLength} bytes for ${questions} questions`);
  return out;
}
