import { spawnSync } from 'node:child_process';

/** A python3 that can import numpy (Debian's python3-numpy lives under /usr/bin), or null. */
export function pythonWithNumpy(): string | null {
  for (const py of ['/usr/bin/python3', 'python3']) {
    const r = spawnSync(py, ['-c', 'import numpy'], { stdio: 'ignore' });
    if (r.status === 0) return py;
  }
  return null;
}

/** Python's float.hex() back to a double, exactly. */
export function fromPythonHex(hex: string): number {
  const m = /^(-)?0x([01])\.([0-9a-f]*)p([+-]\d+)$/.exec(hex);
  if (!m) {
    if (hex === 'nan') return NaN;
    if (/^-?inf$/.test(hex)) return hex.startsWith('-') ? -Infinity : Infinity;
    throw new Error(`not a Python float.hex: ${hex}`);
  }
  const frac = m[3]!;
  const mantissa = parseInt(m[2]! + frac || '0', 16);
  const value = mantissa * 2 ** (Number(m[4]) - 4 * frac.length);
  return m[1] ? -value : value;
}
