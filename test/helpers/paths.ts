import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';

/** The repository root, from out/test/helpers or test/helpers alike. */
export const REPO = resolve(__dirname, __dirname.includes(`${join('out', 'test')}`) ? '../../..' : '../..');

/** `../shared/data` beside the repository (CI lays it there too); PREMEM_SHARED overrides. */
export const SHARED_DATA = process.env['PREMEM_SHARED'] ?? resolve(REPO, '../shared/data');
export const KANG_SWEEP = join(SHARED_DATA, 'kang2024/gsm8k');
export const TINYGSM = join(SHARED_DATA, 'tinygsm');

/**
 * Set in CI (`.ci/run`): data the tests were promised must be there. A missing folder, or a
 * missing numpy, then fails the run naming what is missing, instead of turning into quiet skips.
 */
export const REQUIRE_SHARED = process.env['PREMEM_REQUIRE_SHARED'] === '1';

/** A reason to skip for a missing requirement, or (with PREMEM_REQUIRE_SHARED=1) a failure naming it. */
export function missingRequirement(what: string): string {
  if (REQUIRE_SHARED) throw new Error(`PREMEM_REQUIRE_SHARED=1, but ${what}`);
  return what;
}

/** For `test(name, { skip: skipUnless(dir) }, ...)`: a reason to skip, or false to run. */
export function skipUnless(dir: string): string | false {
  return existsSync(dir) ? false : missingRequirement(`shared test data not found at ${dir} (set PREMEM_SHARED, or lay ../shared beside the clone)`);
}

export function tempDir(prefix = 'premem-test-'): { dir: string; cleanup: () => void } {
  const dir = mkdtempSync(join(tmpdir(), prefix));
  return { dir, cleanup: () => rmSync(dir, { recursive: true, force: true }) };
}
