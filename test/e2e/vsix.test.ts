/**
 * The .vsix the e2e suites install, as built by `npm run package`: it carries what the extension
 * runs, each file once, and no source map, no CLI bundle and no picture the marketplace page does
 * not show. Read from the archive itself (Python's zipfile lists it), not from .vscodeignore.
 */
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { REPO } from '../helpers/paths';
import { VSIX } from './harness';

test('the packaged extension carries each file once, and no source map, CLI or unused picture', { skip: !existsSync(VSIX) && 'no premem-lens.vsix: run npm run package' }, () => {
  const names = execFileSync('/usr/bin/python3', ['-c', 'import sys, zipfile; print("\\n".join(zipfile.ZipFile(sys.argv[1]).namelist()))', VSIX], { encoding: 'utf8' })
    .trim()
    .split('\n')
    .map((n) => n.replace(/^extension\//, ''));
  const seen = new Set<string>();
  const twice = names.filter((n) => (seen.has(n) ? true : (seen.add(n), false)));
  assert.deepEqual(twice, [], 'no file twice');
  assert.deepEqual(
    names.filter((n) => n.endsWith('.map')),
    [],
    'no source map',
  );
  assert.ok(!names.includes('dist/cli.js'), 'the CLI bundle stays out: the editor does not run it');
  // What the extension runs is in it: its bundles, the panels, the charting module once.
  for (const f of ['dist/extension.js', 'dist/indexWorker.js', 'dist/scoringChild.js', 'dist/webview/dashboard.js', 'dist/webview/example.js', 'dist/webview/charts.js'])
    assert.ok(names.includes(f), `${f} is packaged`);
  // Pictures: the icon, the walkthrough's, and the README's own; none of the docs' others.
  const readmePictures = [...readFileSync(join(REPO, 'README.md'), 'utf8').matchAll(/\((docs\/[^)]+\.png)\)/g)].map((m) => m[1]!);
  assert.deepEqual(names.filter((n) => n.startsWith('docs/')).sort(), [...new Set(readmePictures)].sort());
});
