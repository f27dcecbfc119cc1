import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';

/** The repository root, from out/test/helpers or test/helpers alike. */
export const REPO = resolve(__dirname, __dirname.includes(`${join('out', 'test')}`) ? '../../..' : '../..');

/** `../shared/data` beside the repository (CI lays it there too); PREMEM_SHARED overrides. */
export const SHARED_DATA = process.env['PREMEM_SHARED'] ?? resolve(REPO, '../shared/data');
export const KANG_SWEEP = join(SHARED_DATA, 'kang2024/gsm8k');
export const TINYGSM = join(SHARED_DATA, 'tinygsm');

/** For `test(name, { skip: skipUnless(dir) }, ...)`: a reason to skip, or false to run. */
export function skipUnless(dir: string): string | false {
  return existsSync(dir) ? false : `shared test data not found at ${dir}`;
}

export function tempDir(prefix = 'premem-test-'): { dir: string; cleanup: () => void } {
  const dir = mkdtempSync(join(tmpdir(), prefix));
  return { dir, cleanup: () => rmSync(dir, { recursive: true, force: true }) };
}
