import { closeSync, fstatSync, openSync, readFileSync, readSync } from 'node:fs';
import { InputError } from './errors';

/**
 * A reader for numpy's .npy format, versions 1.0-3.0
 * (https://numpy.org/doc/stable/reference/generated/numpy.lib.format.html).
 * Numeric arrays come back as float64 (every supported integer fits exactly, int64 is
 * checked), unicode arrays as strings. Anything else is refused with the file's name.
 */
export type NpyNumericKind = 'b1' | 'i1' | 'i2' | 'i4' | 'i8' | 'u1' | 'f4' | 'f8';

export interface NpyHeader {
  readonly version: 1 | 2 | 3;
  readonly descr: string;
  readonly littleEndian: boolean;
  /** 'U' for unicode, otherwise a numeric kind. */
  readonly kind: NpyNumericKind | 'U';
  readonly itemSize: number;
  readonly fortranOrder: boolean;
  readonly shape: readonly number[];
  /** Byte offset of the first element. */
  readonly dataOffset: number;
  readonly count: number;
}

export interface NpyNumeric {
  readonly kind: 'numeric';
  readonly header: NpyHeader;
  readonly shape: readonly number[];
  readonly data: Float64Array;
}

export interface NpyUnicode {
  readonly kind: 'unicode';
  readonly header: NpyHeader;
  readonly shape: readonly number[];
  readonly data: string[];
}

export type NpyArray = NpyNumeric | NpyUnicode;

const MAGIC = [0x93, 0x4e, 0x55, 0x4d, 0x50, 0x59]; // \x93NUMPY
const NUMERIC_SIZES: Record<NpyNumericKind, number> = { b1: 1, i1: 1, i2: 2, i4: 4, i8: 8, u1: 1, f4: 4, f8: 8 };
const SUPPORTED = 'b1, i1, i2, i4, i8, u1, f4, f8 and <U/>U unicode';

export function parseNpyHeader(bytes: Uint8Array, file: string, fileSize = bytes.length): NpyHeader {
  if (bytes.length < 10 || MAGIC.some((b, i) => bytes[i] !== b)) {
    throw new InputError(file, 'not a .npy file (the magic string \\x93NUMPY is missing)');
  }
  const major = bytes[6]!;
  if (major !== 1 && major !== 2 && major !== 3) {
    throw new InputError(file, `unsupported .npy format version ${major}.${bytes[7]} (supported: 1.0, 2.0, 3.0)`);
  }
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const lenBytes = major === 1 ? 2 : 4;
  if (bytes.length < 8 + lenBytes) throw new InputError(file, 'truncated .npy header');
  const headerLen = major === 1 ? view.getUint16(8, true) : view.getUint32(8, true);
  const start = 8 + lenBytes;
  const dataOffset = start + headerLen;
  if (bytes.length < dataOffset) {
    throw new InputError(file, `truncated .npy header: it declares ${headerLen} bytes, the file has ${Math.max(0, bytes.length - start)}`);
  }
  const raw = bytes.subarray(start, dataOffset);
  const text = major === 3 ? new TextDecoder('utf-8', { fatal: false }).decode(raw) : Buffer.from(raw).toString('latin1');

  const descrMatch = /['"]descr['"]\s*:\s*(['"])(.*?)\1/.exec(text);
  const fortranMatch = /['"]fortran_order['"]\s*:\s*(True|False)/.exec(text);
  const shapeMatch = /['"]shape['"]\s*:\s*\(([^)]*)\)/.exec(text);
  if (!descrMatch) {
    if (/['"]descr['"]\s*:\s*\[/.test(text)) throw new InputError(file, `structured dtypes are not supported (supported: ${SUPPORTED})`);
    throw new InputError(file, `malformed .npy header (no 'descr'): ${text.trim().slice(0, 120)}`);
  }
  if (!fortranMatch || !shapeMatch) throw new InputError(file, `malformed .npy header: ${text.trim().slice(0, 120)}`);

  const descr = descrMatch[2]!;
  const dm = /^([<>|=])([a-zA-Z])(\d+)$/.exec(descr);
  if (!dm) throw new InputError(file, `unsupported dtype '${descr}' (supported: ${SUPPORTED})`);
  const [, order, letter, sizeText] = dm as unknown as [string, string, string, string];
  const size = Number(sizeText);
  let kind: NpyNumericKind | 'U';
  let itemSize: number;
  if (letter === 'U') {
    if (size < 1) throw new InputError(file, `unsupported dtype '${descr}'`);
    kind = 'U';
    itemSize = 4 * size;
  } else {
    const k = `${letter}${size}`;
    if (!(k in NUMERIC_SIZES)) throw new InputError(file, `unsupported dtype '${descr}' (supported: ${SUPPORTED})`);
    kind = k as NpyNumericKind;
    itemSize = size;
  }
  const littleEndian = order !== '>';

  const shape: number[] = [];
  for (const part of shapeMatch[1]!.split(',')) {
    const p = part.trim().replace(/L$/, '');
    if (p === '') continue;
    if (!/^\d+$/.test(p)) throw new InputError(file, `malformed shape (${shapeMatch[1]}) in .npy header`);
    shape.push(Number(p));
  }
  const count = shape.reduce((a, b) => a * b, 1);
  if (!Number.isSafeInteger(count * itemSize)) throw new InputError(file, `array shape (${shape.join(', ')}) is too large`);
  const needed = dataOffset + count * itemSize;
  if (fileSize < needed) {
    throw new InputError(file, `truncated: shape (${shape.join(', ')}) of ${descr} needs ${count * itemSize} data bytes, the file has ${Math.max(0, fileSize - dataOffset)}`);
  }
  return { version: major, descr, littleEndian, kind, itemSize, fortranOrder: fortranMatch[1] === 'True', shape, dataOffset, count };
}

function decodeNumeric(bytes: Uint8Array, header: NpyHeader, file: string): Float64Array {
  const view = new DataView(bytes.buffer, bytes.byteOffset + header.dataOffset, header.count * header.itemSize);
  const le = header.littleEndian;
  const n = header.count;
  const out = new Float64Array(n);
  switch (header.kind) {
    case 'f8':
      if (le && (bytes.byteOffset + header.dataOffset) % 8 === 0) {
        out.set(new Float64Array(bytes.buffer, bytes.byteOffset + header.dataOffset, n));
      } else {
        for (let i = 0; i < n; i++) out[i] = view.getFloat64(i * 8, le);
      }
      break;
    case 'f4':
      for (let i = 0; i < n; i++) out[i] = view.getFloat32(i * 4, le);
      break;
    case 'i8':
      for (let i = 0; i < n; i++) {
        const lo = view.getUint32(i * 8 + (le ? 0 : 4), le);
        const hi = view.getInt32(i * 8 + (le ? 4 : 0), le);
        // Exact in a double iff -2^53 <= value <= 2^53; no count or index is larger.
        if (hi < -0x200000 || hi > 0x200000 || (hi === 0x200000 && lo !== 0)) {
          throw new InputError(file, `int64 value at element ${i} does not fit in a double exactly`);
        }
        out[i] = hi * 4294967296 + lo;
      }
      break;
    case 'i4':
      for (let i = 0; i < n; i++) out[i] = view.getInt32(i * 4, le);
      break;
    case 'i2':
      for (let i = 0; i < n; i++) out[i] = view.getInt16(i * 2, le);
      break;
    case 'i1':
      for (let i = 0; i < n; i++) out[i] = view.getInt8(i);
      break;
    case 'u1':
      for (let i = 0; i < n; i++) out[i] = view.getUint8(i);
      break;
    case 'b1':
      for (let i = 0; i < n; i++) {
        const b = view.getUint8(i);
        if (b > 1) throw new InputError(file, `bool element ${i} holds byte ${b}, not 0 or 1`);
        out[i] = b;
      }
      break;
    case 'U':
      throw new Error('unreachable');
  }
  return out;
}

/**
 * A C-ordered little-endian integer array (bool, int8–int64, uint8) whose values all lie in
 * 0..max, decoded straight into bytes; null when it needs the general path (floats, big-endian,
 * Fortran order) or holds a value outside 0..max, which the general path then reports exactly.
 * Answer-type arrays are int64 in every pipeline we know of, and decoding them through float64
 * was a third of a cold index's time.
 */
export function smallIntegers(bytes: Uint8Array, header: NpyHeader, max: number): Uint8Array | null {
  if (header.kind === 'U' || header.kind === 'f4' || header.kind === 'f8' || (!header.littleEndian && header.itemSize > 1)) return null;
  if (header.fortranOrder && header.shape.length > 1) return null;
  const n = header.count;
  const size = header.itemSize;
  let data = bytes.subarray(header.dataOffset, header.dataOffset + n * size);
  // Typed views need their element alignment; a copy is cheap next to decoding.
  if ((data.byteOffset & 7) !== 0) data = new Uint8Array(data);
  const out = new Uint8Array(n);
  switch (header.kind) {
    case 'i8': {
      const w = new Int32Array(data.buffer, data.byteOffset, n * 2);
      for (let i = 0; i < n; i++) {
        const lo = w[2 * i]!;
        if (w[2 * i + 1] !== 0 || lo < 0 || lo > max) return null;
        out[i] = lo;
      }
      return out;
    }
    case 'i4':
    case 'i2': {
      const w = header.kind === 'i4' ? new Int32Array(data.buffer, data.byteOffset, n) : new Int16Array(data.buffer, data.byteOffset, n);
      for (let i = 0; i < n; i++) {
        const v = w[i]!;
        if (v < 0 || v > max) return null;
        out[i] = v;
      }
      return out;
    }
    case 'i1':
    case 'u1':
    case 'b1': {
      const limit = header.kind === 'b1' ? Math.min(max, 1) : max;
      for (let i = 0; i < n; i++) {
        const v = header.kind === 'i1' ? (data[i]! << 24) >> 24 : data[i]!;
        if (v < 0 || v > limit) return null;
        out[i] = v;
      }
      return out;
    }
  }
}

/**
 * `smallIntegers` of a 2-D array's rows in the given order (each row once), decoded straight
 * into place: a run's training arrays follow its analysis order, and decoding then gathering
 * went over every code twice. Rows the order leaves out are still checked. Null as for
 * `smallIntegers`.
 */
export function smallIntegerRows(bytes: Uint8Array, header: NpyHeader, max: number, order: readonly number[]): Uint8Array | null {
  const [rows, n] = header.shape as [number, number];
  const fused = header.kind === 'i8' && header.littleEndian && !header.fortranOrder && header.shape.length === 2;
  if (!fused) {
    const all = smallIntegers(bytes, header, max);
    if (!all) return null;
    const out = new Uint8Array(order.length * n);
    for (let p = 0, to = 0; p < order.length; p++) for (let from = order[p]! * n, end = from + n; from < end;) out[to++] = all[from++]!;
    return out;
  }
  let data = bytes.subarray(header.dataOffset, header.dataOffset + header.count * 8);
  if ((data.byteOffset & 7) !== 0) data = new Uint8Array(data);
  const w = new Int32Array(data.buffer, data.byteOffset, header.count * 2);
  const out = new Uint8Array(order.length * n);
  const decodeRow = (r: number, to: number): boolean => {
    for (let k = 2 * r * n, end = k + 2 * n; k < end; k += 2) {
      const lo = w[k]!;
      if (w[k + 1] !== 0 || lo < 0 || lo > max) return false;
      if (to >= 0) out[to++] = lo;
    }
    return true;
  };
  for (let p = 0; p < order.length; p++) if (!decodeRow(order[p]!, p * n)) return null;
  if (order.length < rows) {
    const covered = new Uint8Array(rows);
    for (const r of order) covered[r] = 1;
    for (let r = 0; r < rows; r++) if (covered[r] === 0 && !decodeRow(r, -1)) return null;
  }
  return out;
}

/** UTF-32 code units, trailing NULs stripped as numpy does. */
export function decodeUnicodeItem(view: DataView, byteOffset: number, chars: number, le: boolean, file: string): string {
  let end = chars;
  while (end > 0 && view.getUint32(byteOffset + (end - 1) * 4, le) === 0) end--;
  let s = '';
  const CHUNK = 4096;
  const codes: number[] = [];
  for (let c = 0; c < end; c++) {
    const cp = view.getUint32(byteOffset + c * 4, le);
    if (cp > 0x10ffff || (cp >= 0xd800 && cp <= 0xdfff)) {
      throw new InputError(file, `invalid unicode code point 0x${cp.toString(16)} in a <U array`);
    }
    codes.push(cp);
    if (codes.length === CHUNK) {
      s += String.fromCodePoint(...codes);
      codes.length = 0;
    }
  }
  return s + String.fromCodePoint(...codes);
}

function decodeUnicode(bytes: Uint8Array, header: NpyHeader, file: string): string[] {
  const view = new DataView(bytes.buffer, bytes.byteOffset + header.dataOffset, header.count * header.itemSize);
  const chars = header.itemSize / 4;
  const out = new Array<string>(header.count);
  for (let i = 0; i < header.count; i++) out[i] = decodeUnicodeItem(view, i * header.itemSize, chars, header.littleEndian, file);
  return out;
}

/** Reorders a Fortran-ordered (column-major) array into C order. */
function toCOrder<T>(data: ArrayLike<T>, shape: readonly number[], make: (n: number) => { [i: number]: T }): { [i: number]: T } {
  const n = data.length;
  const out = make(n);
  const nd = shape.length;
  const idx = new Array<number>(nd).fill(0);
  // Walk C order; the Fortran offset of (i0..ik) is sum i_d * prod_{e<d} shape[e].
  const fStrides: number[] = [];
  let s = 1;
  for (let d = 0; d < nd; d++) {
    fStrides.push(s);
    s *= shape[d]!;
  }
  for (let c = 0; c < n; c++) {
    let f = 0;
    for (let d = 0; d < nd; d++) f += idx[d]! * fStrides[d]!;
    out[c] = data[f]!;
    for (let d = nd - 1; d >= 0; d--) {
      if (++idx[d]! < shape[d]!) break;
      idx[d] = 0;
    }
  }
  return out;
}

export function parseNpy(bytes: Uint8Array, file: string): NpyArray {
  const header = parseNpyHeader(bytes, file);
  const fortran = header.fortranOrder && header.shape.length > 1;
  if (header.kind === 'U') {
    let data = decodeUnicode(bytes, header, file);
    if (fortran) data = Array.from(toCOrder(data, header.shape, (n) => new Array<string>(n)) as string[]);
    return { kind: 'unicode', header, shape: header.shape, data };
  }
  let data = decodeNumeric(bytes, header, file);
  if (fortran) data = toCOrder(data, header.shape, (n) => new Float64Array(n)) as Float64Array;
  return { kind: 'numeric', header, shape: header.shape, data };
}

/** Reads just the header: enough to check shapes and dtypes without loading data. */
export function readNpyHeader(file: string): NpyHeader {
  const fd = openSync(file, 'r');
  try {
    const size = fstatSync(fd).size;
    const probe = Buffer.alloc(Math.min(size, 65536 + 12));
    readSync(fd, probe, 0, probe.length, 0);
    return parseNpyHeader(probe, file, size);
  } finally {
    closeSync(fd);
  }
}

export function readNpyFile(file: string): NpyArray {
  let bytes: Buffer;
  try {
    bytes = readFileSync(file);
  } catch (e) {
    throw new InputError(file, `cannot read: ${(e as Error).message}`);
  }
  return parseNpy(bytes, file);
}

export function expectNumeric(a: NpyArray, file: string, ndim: number, what: string): NpyNumeric {
  if (a.kind !== 'numeric') throw new InputError(file, `${what} must be numeric, found dtype '${a.header.descr}'`);
  if (a.shape.length !== ndim) {
    throw new InputError(file, `${what} must be ${ndim}-dimensional, found shape (${a.shape.join(', ')})`);
  }
  return a;
}

/** Writes an .npy file's bytes (tests and fixtures); the product itself only reads .npy. */
export function encodeNpy(descr: string, shape: readonly number[], payload: Uint8Array, options: { version?: 1 | 2 | 3; fortranOrder?: boolean } = {}): Buffer {
  const version = options.version ?? 1;
  const shapeText = shape.length === 1 ? `(${shape[0]},)` : `(${shape.join(', ')})`;
  let dict = `{'descr': '${descr}', 'fortran_order': ${options.fortranOrder ? 'True' : 'False'}, 'shape': ${shapeText}, }`;
  const lenBytes = version === 1 ? 2 : 4;
  const headerBytes = (s: string) => (version === 3 ? Buffer.from(s, 'utf8') : Buffer.from(s, 'latin1'));
  const pad = 64 - ((8 + lenBytes + headerBytes(dict).length + 1) % 64);
  dict = dict + ' '.repeat(pad % 64) + '\n';
  const h = headerBytes(dict);
  const pre = Buffer.alloc(8 + lenBytes);
  Buffer.from(MAGIC).copy(pre, 0);
  pre[6] = version;
  pre[7] = 0;
  if (version === 1) pre.writeUInt16LE(h.length, 8);
  else pre.writeUInt32LE(h.length, 8);
  return Buffer.concat([pre, h, payload]);
}
