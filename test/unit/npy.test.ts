import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, test } from 'node:test';
import { InputError } from '../../src/ingest/errors';
import { encodeNpy, parseNpy, readNpyFile, readNpyHeader } from '../../src/ingest/npy';
import { tempDir } from '../helpers/paths';

type Writer = (b: Buffer, v: number, off: number) => void;
const W =
  (name: string): Writer =>
  (b, v, o) =>
    (b as unknown as Record<string, (v: number | bigint, o: number) => void>)[name]!(v, o);

const DTYPES: { descr: string; size: number; write: Writer; values: number[] }[] = [
  { descr: '|b1', size: 1, write: W('writeUInt8'), values: [0, 1, 1, 0] },
  { descr: '|i1', size: 1, write: W('writeInt8'), values: [-128, -1, 0, 127] },
  { descr: '|u1', size: 1, write: W('writeUInt8'), values: [0, 1, 200, 255] },
  { descr: '<i2', size: 2, write: W('writeInt16LE'), values: [-32768, -2, 3, 32767] },
  { descr: '>i2', size: 2, write: W('writeInt16BE'), values: [-32768, -2, 3, 32767] },
  { descr: '<i4', size: 4, write: W('writeInt32LE'), values: [-2147483648, -5, 6, 2147483647] },
  { descr: '>i4', size: 4, write: W('writeInt32BE'), values: [-2147483648, -5, 6, 2147483647] },
  { descr: '<f4', size: 4, write: W('writeFloatLE'), values: [0.5, -1.25, 3, Infinity] },
  { descr: '>f4', size: 4, write: W('writeFloatBE'), values: [0.5, -1.25, 3, -Infinity] },
  { descr: '<f8', size: 8, write: W('writeDoubleLE'), values: [Math.PI, -0, 1e-300, NaN] },
  { descr: '>f8', size: 8, write: W('writeDoubleBE'), values: [Math.E, 1.1054570216568773, -2.5, 1e300] },
];

function payload(size: number, write: Writer, values: number[]): Buffer {
  const b = Buffer.alloc(values.length * size);
  values.forEach((v, i) => write(b, v, i * size));
  return b;
}

function int64(values: bigint[], bigEndian = false): Buffer {
  const b = Buffer.alloc(values.length * 8);
  values.forEach((v, i) => (bigEndian ? b.writeBigInt64BE(v, i * 8) : b.writeBigInt64LE(v, i * 8)));
  return b;
}

describe('.npy reader', () => {
  for (const version of [1, 2, 3] as const) {
    for (const d of DTYPES) {
      test(`${d.descr}, format ${version}.0`, () => {
        const bytes = encodeNpy(d.descr, [2, 2], payload(d.size, d.write, d.values), { version });
        const a = parseNpy(bytes, 'x.npy');
        assert.equal(a.kind, 'numeric');
        assert.deepEqual(a.shape, [2, 2]);
        assert.deepEqual(Array.from(a.data), d.values);
      });
    }
  }

  test('int64 both endians, up to 2^53', () => {
    const vals = [0n, -1n, 7473n, 2n ** 53n, -(2n ** 53n)];
    for (const be of [false, true]) {
      const a = parseNpy(encodeNpy(be ? '>i8' : '<i8', [5], int64(vals, be)), 'x.npy');
      assert.deepEqual(Array.from(a.data as Float64Array), vals.map(Number));
    }
  });

  test('int64 beyond 2^53 is refused, not rounded', () => {
    assert.throws(() => parseNpy(encodeNpy('<i8', [1], int64([2n ** 60n])), 'big.npy'), /big\.npy: .*does not fit/);
  });

  test('unicode arrays, with non-BMP characters and trailing NULs stripped', () => {
    const strings = ['2+2 = <<2+2=4>>4', '', 'naïve 😀 ∑', 'x'];
    const chars = 12;
    for (const be of [false, true]) {
      const b = Buffer.alloc(strings.length * chars * 4);
      strings.forEach((s, i) => [...s].forEach((c, k) => (be ? b.writeUInt32BE(c.codePointAt(0)!, (i * chars + k) * 4) : b.writeUInt32LE(c.codePointAt(0)!, (i * chars + k) * 4))));
      // 16 chars would be needed for the first one: use a wide enough dtype.
      const wide = Buffer.alloc(strings.length * 16 * 4);
      strings.forEach((s, i) => [...s].forEach((c, k) => (be ? wide.writeUInt32BE(c.codePointAt(0)!, (i * 16 + k) * 4) : wide.writeUInt32LE(c.codePointAt(0)!, (i * 16 + k) * 4))));
      const a = parseNpy(encodeNpy(`${be ? '>' : '<'}U16`, [2, 2], wide), 't.npy');
      assert.equal(a.kind, 'unicode');
      assert.deepEqual(a.data, strings);
    }
  });

  test('Fortran order is returned in C order', () => {
    // C-order [[1,2,3],[4,5,6]] stored column-major is 1,4,2,5,3,6.
    const a = parseNpy(encodeNpy('<f8', [2, 3], payload(8, W('writeDoubleLE'), [1, 4, 2, 5, 3, 6]), { fortranOrder: true }), 'f.npy');
    assert.deepEqual(Array.from(a.data as Float64Array), [1, 2, 3, 4, 5, 6]);
  });

  test('0-d and empty arrays', () => {
    assert.deepEqual(Array.from(parseNpy(encodeNpy('<f8', [], payload(8, W('writeDoubleLE'), [2.5])), 's.npy').data as Float64Array), [2.5]);
    const e = parseNpy(encodeNpy('<i8', [0, 5], Buffer.alloc(0)), 'e.npy');
    assert.deepEqual(e.shape, [0, 5]);
    assert.equal(e.data.length, 0);
  });

  test('truncated data names the file and the sizes', () => {
    const full = encodeNpy('<f8', [4], payload(8, W('writeDoubleLE'), [1, 2, 3, 4]));
    const cut = full.subarray(0, full.length - 5);
    assert.throws(
      () => parseNpy(cut, 'cut.npy'),
      (e: unknown) => e instanceof InputError && /cut\.npy: truncated: shape \(4\) of <f8 needs 32 data bytes, the file has 27/.test(e.message),
    );
  });

  test('truncated header, bad magic, unknown version', () => {
    const full = encodeNpy('<f8', [1], payload(8, W('writeDoubleLE'), [1]));
    assert.throws(() => parseNpy(full.subarray(0, 30), 'h.npy'), /h\.npy: truncated \.npy header/);
    assert.throws(() => parseNpy(Buffer.from('PK\x03\x04 not numpy'), 'z.npy'), /z\.npy: not a \.npy file/);
    const v9 = Buffer.from(full);
    v9[6] = 9;
    assert.throws(() => parseNpy(v9, 'v.npy'), /v\.npy: unsupported \.npy format version 9/);
  });

  test('unsupported dtypes are refused by name', () => {
    for (const descr of ['<c16', '<u8', '|S10', '<M8', '|O', '<f2', '<u2']) {
      assert.throws(() => parseNpy(encodeNpy(descr, [0], Buffer.alloc(0)), 'd.npy'), new RegExp(`d\\.npy: unsupported dtype '${descr.replace(/[|]/g, '\\|')}'`));
    }
    const structured = Buffer.from(encodeNpy('<f8', [0], Buffer.alloc(0)).toString('latin1').replace("'descr': '<f8'", "'descr': [('a', '<f8')]"), 'latin1');
    assert.throws(() => parseNpy(structured, 's.npy'), /structured dtypes are not supported/);
  });

  test('bool bytes other than 0/1 are refused', () => {
    assert.throws(() => parseNpy(encodeNpy('|b1', [2], Buffer.from([1, 7])), 'b.npy'), /b\.npy: bool element 1/);
  });

  test('files: header-only read and clear errors for missing files', () => {
    const { dir, cleanup } = tempDir();
    try {
      const f = join(dir, 'a.npy');
      writeFileSync(f, encodeNpy('<i8', [3, 2], int64([1n, 2n, 3n, 4n, 5n, 6n])));
      assert.deepEqual(readNpyHeader(f).shape, [3, 2]);
      assert.deepEqual(Array.from(readNpyFile(f).data as Float64Array), [1, 2, 3, 4, 5, 6]);
      assert.throws(() => readNpyFile(join(dir, 'missing.npy')), /missing\.npy: cannot read/);
    } finally {
      cleanup();
    }
  });
});
