/**
 * The one write rule (src/output/ownedFiles.ts) as users meet it through `premem export`: never
 * over the flags database, the index or a run's dataset; never through a link; a folder, a
 * missing folder or a dangling link named, not a raw ENOENT/EISDIR; an earlier export replaced
 * only with --force. Each case was seen to destroy data or crash before the rule (issue #24).
 */
import assert from 'node:assert/strict';
import { existsSync, mkdirSync, readFileSync, statSync, symlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { before, describe, test } from 'node:test';
import { writeExampleSweep } from '../../src/example/exampleSweep';
import { IndexStore } from '../../src/store/indexStore';
import { runCli } from '../helpers/fixtures';
import { tempDir } from '../helpers/paths';

describe('premem export never writes over what the user owns', () => {
  const { dir, cleanup } = tempDir();
  test.after(cleanup);
  const sweep = writeExampleSweep(join(dir, 'sweep'));
  const run = join(sweep, 'example_3epochs_lr2e-04');
  const db = join(dir, 'index.sqlite');
  const flags = join(dir, 'index.flags.sqlite');
  const exportTo = (out: string, ...more: string[]) => runCli('export', run, '--strategy', 'lowest-premem', '--count', '5', '--out', out, '--db', db, ...more);

  before(async () => {
    assert.equal((await runCli('flag', run, '3', '--note', 'keep me', '--db', db)).code, 0);
  });

  const flagsIntact = async () => {
    const store = await IndexStore.open(db);
    try {
      assert.deepEqual(
        (await store.flags(run)).map((f) => [f.index, f.note]),
        [[3, 'keep me']],
      );
    } finally {
      await store.close();
    }
  };

  for (const [name, target, reason] of [
    ['the flags database', () => flags, /is the flags database \(every flag and note\); premem export never writes over it/],
    ['the index', () => db, /is the Premem index; premem export never writes over it/],
    ['the run’s own dataset', () => join(sweep, 'train.jsonl'), /is the dataset that .* reads/],
  ] as const) {
    test(`--out ${name} is refused, with --force too, and nothing is lost`, async () => {
      const before = readFileSync(target());
      for (const force of [[], ['--force']]) {
        const r = await exportTo(target(), ...force);
        assert.notEqual(r.code, 0, r.out);
        assert.match(r.err, reason);
      }
      assert.deepEqual(readFileSync(target()), before);
      await flagsIntact();
    });
  }

  test('a folder, a missing folder, a dangling link and a link to a file: named refusals, nothing written through a link', async () => {
    const folder = join(dir, 'afolder');
    mkdirSync(folder);
    assert.match((await exportTo(folder)).err, /afolder: is a folder; give a file path/);
    assert.match((await exportTo(join(dir, 'missing', 'x.jsonl'))).err, /x\.jsonl: cannot be written: the folder .*missing does not exist/);
    symlinkSync(join(dir, 'nowhere'), join(dir, 'dangling.jsonl'));
    assert.match((await exportTo(join(dir, 'dangling.jsonl'))).err, /dangling\.jsonl: is a symbolic link/);
    writeFileSync(join(dir, 'precious.txt'), 'mine');
    symlinkSync(join(dir, 'precious.txt'), join(dir, 'link.jsonl'));
    assert.match((await exportTo(join(dir, 'link.jsonl'), '--force')).err, /link\.jsonl: is a symbolic link/);
    assert.equal(readFileSync(join(dir, 'precious.txt'), 'utf8'), 'mine');
  });

  test('never into a run: a new file inside any checkpoint folder is refused (it would be read as that run’s data)', async () => {
    const inside = join(sweep, 'example_3epochs_lr1e-05', 'checkpoint-12', 'train_samples_extra.jsonl');
    const r = await exportTo(inside);
    assert.notEqual(r.code, 0);
    assert.match(r.err, /train_samples_extra\.jsonl: is inside the checkpoint folder .*checkpoint-12, where Premem Lens reads a run's data/);
    assert.ok(!existsSync(inside));
  });

  test('an earlier export is replaced only with --force; a file of another kind never', async () => {
    const out = join(dir, 'curated.jsonl');
    assert.equal((await exportTo(out)).code, 0);
    const first = statSync(out).size;
    assert.ok(first > 0);
    const again = await exportTo(out);
    assert.notEqual(again.code, 0);
    assert.match(again.err, /exists \(written by an earlier premem export\); pass --force to replace it/);
    assert.equal((await exportTo(out, '--force')).code, 0);
    writeFileSync(join(dir, 'notes.jsonl'), '{"my": "notes"}\n');
    const other = await exportTo(join(dir, 'notes.jsonl'), '--force');
    assert.match(other.err, /notes\.jsonl: exists and was not written by premem export/);
    assert.equal(readFileSync(join(dir, 'notes.jsonl'), 'utf8'), '{"my": "notes"}\n');
    await flagsIntact();
  });
});

describe('premem perturb and premem similar write under the same rule', () => {
  const { dir, cleanup } = tempDir();
  test.after(cleanup);

  test('perturb --out its own dataset is refused with --force too; an earlier perturbations file needs --force; another file never', async () => {
    const sweep = writeExampleSweep(join(dir, 'sweep'));
    const dataset = join(sweep, 'train.jsonl');
    const before = readFileSync(dataset, 'utf8');
    const self = await runCli('perturb', dataset, '--out', dataset, '--force', '--limit', '3');
    assert.notEqual(self.code, 0);
    assert.match(self.err, /train\.jsonl: is the dataset being perturbed; premem perturb never writes over it/);
    assert.equal(readFileSync(dataset, 'utf8'), before);
    const out = join(dir, 'perturbations.jsonl');
    assert.equal((await runCli('perturb', dataset, '--out', out, '--limit', '3')).code, 0);
    assert.match((await runCli('perturb', dataset, '--out', out, '--limit', '3')).err, /exists \(written by an earlier premem perturb\); pass --force/);
    assert.equal((await runCli('perturb', dataset, '--out', out, '--limit', '3', '--force')).code, 0);
    const mine = join(dir, 'mine.jsonl');
    writeFileSync(mine, '{"question": "mine", "answer": "#### 1"}\n');
    assert.match((await runCli('perturb', dataset, '--out', mine, '--force', '--limit', '3')).err, /mine\.jsonl: exists and was not written by premem perturb/);
    assert.equal(readFileSync(mine, 'utf8'), '{"question": "mine", "answer": "#### 1"}\n');
  });
});
