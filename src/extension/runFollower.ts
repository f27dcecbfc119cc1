import * as path from 'node:path';
import * as vscode from 'vscode';
import { announce, describeNewCheckpoint, type NewCheckpoint } from '../queries/follow';
import type { IndexService } from './indexService';

/** Writing must pause this long before a changed folder is indexed. */
const QUIET_MS = 1500;
/** A folder that still fails to read (a file being written) is retried after attempt × this. */
const RETRY_MS = 3000;
const MAX_ATTEMPTS = 6;

/**
 * Follows the open run and sweep folders while training writes them: VS Code's file watcher
 * reports changes to checkpoint folders (nothing polls), and once writing pauses the changed
 * folders are indexed in the worker, quietly. Each new checkpoint is announced with its
 * pre-memorization accuracy and its test accuracy, measured or predicted.
 */
export class RunFollower implements vscode.Disposable {
  private readonly watchers = new Map<string, vscode.FileSystemWatcher>();
  private readonly dirty = new Set<string>();
  private timer: ReturnType<typeof setTimeout> | undefined;
  private attempts = 0;
  private running: Promise<void> = Promise.resolve();

  constructor(
    private readonly index: IndexService,
    private readonly log: vscode.OutputChannel,
  ) {}

  /** Starts following these folders (runs or sweeps); folders already followed are kept. */
  follow(folders: readonly string[]): void {
    for (const folder of folders) {
      if (this.watchers.has(folder)) continue;
      const w = vscode.workspace.createFileSystemWatcher(new vscode.RelativePattern(vscode.Uri.file(folder), '**/checkpoint-*/**'));
      const changed = () => this.changed(folder);
      w.onDidCreate(changed);
      w.onDidChange(changed);
      w.onDidDelete(changed);
      this.watchers.set(folder, w);
    }
  }

  /** Stops following a folder (a run or sweep the user closed). */
  unfollow(folder: string): void {
    this.watchers.get(folder)?.dispose();
    this.watchers.delete(folder);
    this.dirty.delete(folder);
  }

  private changed(folder: string): void {
    this.dirty.add(folder);
    // Files are being written again: the retry budget starts over.
    this.attempts = 0;
    this.schedule(QUIET_MS);
  }

  private schedule(ms: number): void {
    clearTimeout(this.timer);
    // One pass at a time: a pass that started before another finished would take the other's
    // new checkpoints for its own and announce them twice.
    this.timer = setTimeout(() => (this.running = this.running.then(() => this.pass())), ms);
  }

  private async pass(): Promise<void> {
    const folders = [...this.dirty];
    this.dirty.clear();
    if (folders.length === 0) return;
    try {
      const before = await this.stepsByRun(folders);
      await this.index.indexFolders(folders, 'Premem: following new checkpoints', true);
      const pending = folders.filter((f) => this.index.runFailures().some((x) => within(x.path, f)));
      for (const c of await this.newCheckpoints(folders, before)) {
        const line = describeNewCheckpoint(c);
        this.log.appendLine(line);
        void vscode.window.showInformationMessage(`Premem: ${line}`);
      }
      if (pending.length > 0 && ++this.attempts < MAX_ATTEMPTS) {
        for (const f of pending) this.dirty.add(f);
        this.schedule(RETRY_MS * this.attempts);
      }
    } catch (e) {
      this.log.appendLine(`error while following runs: ${(e as Error).message}`);
    }
  }

  private async stepsByRun(folders: readonly string[]): Promise<Map<string, Set<number>>> {
    const out = new Map<string, Set<number>>();
    for (const v of await this.index.runViews()) {
      if (!underAny(folders, v.run)) continue;
      out.set(v.run.path, new Set((v.analysis?.checkpoints ?? []).map((c) => c.step)));
    }
    return out;
  }

  private async newCheckpoints(folders: readonly string[], before: Map<string, Set<number>>): Promise<NewCheckpoint[]> {
    const views = await this.index.runViews();
    const models = await this.index.sweepModels(views);
    const analyses = views.flatMap((v) => (v.analysis ? [v.analysis] : []));
    return views.flatMap((v) => {
      const known = before.get(v.run.path);
      // A run seen for the first time is announced by the indexing itself, not per checkpoint.
      if (!v.analysis || !known || !underAny(folders, v.run)) return [];
      return announce(v.analysis, models.get(v.run.sweepPath), (step) => !known.has(step), analyses);
    });
  }

  dispose(): void {
    clearTimeout(this.timer);
    for (const w of this.watchers.values()) w.dispose();
  }
}

/** Whether `file` is `folder` or inside it. */
function within(file: string, folder: string): boolean {
  return file === folder || file.startsWith(folder + path.sep);
}

/** Whether a run is one of the followed folders, in one (a sweep), or below one. */
function underAny(folders: readonly string[], run: { readonly path: string; readonly sweepPath: string }): boolean {
  return folders.some((f) => within(run.path, f) || run.sweepPath === f);
}
