import assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, test } from 'node:test';
import { COMMAND_IDS } from '../../src/extension/commandIds';
import { REPO } from '../helpers/paths';

/**
 * Contributed commands against registered ones, both ways (vscode-pull-request-github checks
 * the same with a script): a contributed command nobody registers answers "command not found";
 * a registered one nobody contributes has no title in the palette.
 */
interface Manifest {
  contributes: {
    commands: { command: string; title: string; category?: string }[];
    menus: Record<string, { command: string }[]>;
    viewsWelcome: { contents: string }[];
  };
}
const manifest = JSON.parse(readFileSync(join(REPO, 'package.json'), 'utf8')) as Manifest;
const contributed = manifest.contributes.commands.map((c) => c.command);

function sources(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((e) => (e.isDirectory() ? sources(join(dir, e.name)) : e.name.endsWith('.ts') ? [join(dir, e.name)] : []));
}

describe('commands: manifest and code agree', () => {
  test('every contributed command is registered, and every registered command contributed', () => {
    assert.deepEqual([...contributed].sort(), [...COMMAND_IDS].sort());
    assert.equal(new Set(contributed).size, contributed.length, 'no command contributed twice');
  });

  test('every command a menu or a welcome view names is contributed', () => {
    for (const [menu, entries] of Object.entries(manifest.contributes.menus)) {
      for (const e of entries) assert.ok(contributed.includes(e.command), `${menu} names ${e.command}`);
    }
    for (const w of manifest.contributes.viewsWelcome) {
      for (const m of w.contents.matchAll(/\(command:([\w.]+)/g)) assert.ok(contributed.includes(m[1]!), `a welcome view links ${m[1]}`);
    }
  });

  test('every contributed command has a title and the Premem category', () => {
    for (const c of manifest.contributes.commands) {
      assert.ok(c.command.startsWith('premem.'), c.command);
      assert.equal(c.category, 'Premem', c.command);
      assert.ok(c.title.length > 0, c.command);
    }
  });

  test('commands are registered in one place only, from the list', () => {
    const registering = sources(join(REPO, 'src')).filter((f) => /registerCommand\(/.test(readFileSync(f, 'utf8')));
    assert.deepEqual(
      registering.map((f) => f.slice(REPO.length + 1)),
      ['src/extension/commands.ts'],
    );
    const text = readFileSync(join(REPO, 'src', 'extension', 'commands.ts'), 'utf8');
    assert.match(text, /COMMAND_IDS\.map\(\(id\) =>\s+vscode\.commands\.registerCommand\(id,/, 'registered from COMMAND_IDS');
    assert.match(text, /Record<CommandId, Handler>/, 'the handler table is typed by the list');
  });

  test('only src/extension imports vscode, and it imports nothing from src/cli', () => {
    for (const f of sources(join(REPO, 'src'))) {
      const text = readFileSync(f, 'utf8');
      const rel = f.slice(REPO.length + 1);
      if (!rel.startsWith('src/extension/')) assert.doesNotMatch(text, /from 'vscode'/, `${rel} imports vscode`);
      else assert.doesNotMatch(text, /from '\.\.\/(?:\.\.\/)?cli\//, `${rel} imports from src/cli`);
    }
  });
});
