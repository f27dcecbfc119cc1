import * as path from 'node:path';
import * as vscode from 'vscode';
import { exportLine, type CuratedExample } from '../queries/examples';
import { exportProtected, writeExport } from '../output/exportFile';
import type { StoredRun } from '../store/indexStore';
import { flagsFileFor } from '../store/schema';
import type { IndexService } from './indexService';

/**
 * Asks where to save examples and writes them as `premem export` does (one line per example,
 * the user's record with `premem`'s figures), under the one write rule: the save dialog asked
 * before replacing a file, and the index, the flags, a run's dataset or any file that is not an
 * earlier export are still refused. Every export in the editor goes through here.
 * Returns the file written, or null when cancelled or refused (the user was told why).
 */
export async function saveExport(
  index: IndexService,
  log: vscode.OutputChannel,
  runs: readonly StoredRun[],
  choose: () => Promise<CuratedExample[]> | CuratedExample[],
  fileName: string,
  what: string,
): Promise<string | null> {
  const first = runs[0];
  if (!first) return null;
  const folder = vscode.workspace.workspaceFolders?.[0]?.uri ?? vscode.Uri.file(path.dirname(first.path));
  const target = await vscode.window.showSaveDialog({ defaultUri: vscode.Uri.joinPath(folder, fileName), filters: { 'JSON Lines': ['jsonl'] }, saveLabel: 'Export' });
  if (!target) return null;
  const chosen = await choose();
  try {
    writeExport(target.fsPath, chosen.map(exportLine), { force: true, protectedPaths: exportProtected(index.dbFile, flagsFileFor(index.dbFile), runs), writer: 'Premem export' });
  } catch (e) {
    void vscode.window.showErrorMessage(`Premem: ${(e as Error).message}`);
    return null;
  }
  const kind = chosen.some((c) => c.record !== null) ? 'dataset records with figures' : 'indices and figures (no dataset file)';
  log.appendLine(`exported ${chosen.length} ${what} examples of ${runs.map((r) => r.path).join(', ')} to ${target.fsPath}`);
  void vscode.window.showInformationMessage(`Premem: wrote ${chosen.length} examples (${kind}) to ${path.basename(target.fsPath)}.`);
  return target.fsPath;
}
