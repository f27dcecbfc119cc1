import type { StoredRun } from '../store/indexStore';
import { firstJsonlRecord, writeOwnedFile, type ProtectedPath } from './ownedFiles';

/**
 * A curated export (`premem export`, the editor's Export…): JSONL whose every line carries a
 * `premem` object. Written under the one write rule: over an earlier export only with `force`,
 * never over the index, the flags database, a dataset a run reads, or a file of another kind.
 */

/** True when the file's first line is an export line (a JSON object with `premem.run_path`), or the file is empty. */
export function isExportFile(path: string): boolean {
  const v = firstJsonlRecord(path);
  if (v === 'empty') return true;
  const premem = v && typeof v === 'object' ? (v as Record<string, unknown>)['premem'] : undefined;
  return !!premem && typeof premem === 'object' && typeof (premem as Record<string, unknown>)['run_path'] === 'string';
}

/** What an export must never overwrite: the index and its flags, and the datasets of the runs exported. */
export function exportProtected(indexFile: string, flagsFile: string, runs: readonly StoredRun[]): ProtectedPath[] {
  return [
    { path: indexFile, what: 'the Premem index' },
    { path: flagsFile, what: 'the flags database (every flag and note)' },
    ...runs.flatMap((r) => (r.trainDatasetFile ? [{ path: r.trainDatasetFile, what: `the dataset that ${r.name} reads` }] : [])),
    ...runs.map((r) => ({ path: r.path, what: `the run folder of ${r.name}` })),
  ];
}

export function writeExport(out: string, lines: readonly string[], options: { force: boolean; protectedPaths: readonly ProtectedPath[]; writer: string }): string {
  return writeOwnedFile({
    path: out,
    text: lines.map((l) => l + '\n').join(''),
    writer: options.writer,
    isOwn: isExportFile,
    force: options.force,
    protectedPaths: options.protectedPaths,
  });
}
