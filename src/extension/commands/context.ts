import * as vscode from 'vscode';
import type { DashboardPanel } from '../webviews/dashboardPanel';
import type { DataMapPanel } from '../webviews/dataMapPanel';
import type { SweepTablePanel } from '../webviews/sweepTablePanel';
import type { ExamplePanel } from '../webviews/examplePanel';
import type { IndexService } from '../indexService';

/** What the commands act on: the services activation starts. */
export interface CommandContext {
  readonly index: IndexService;
  readonly log: vscode.OutputChannel;
  /** Indexes a folder the user picked and remembers it for this workspace. */
  readonly openFolder: (folder: string) => Promise<void>;
  readonly reindexAll: () => Promise<void>;
  /** Closes a run or sweep: out of the views and the index, not opened again by itself; flags stay. */
  readonly closeFolder: (folder: string) => Promise<string[]>;
  readonly examplePanel: ExamplePanel;
  /** The built scoring process entry (dist/scoringChild.js). */
  readonly scoringChildFile: string;
  readonly dashboard: DashboardPanel;
  readonly dataMap: DataMapPanel;
  readonly sweepTable: SweepTablePanel;
  /** Pages the Examples view. */
  readonly showMoreExamples: () => void;
  /** Where Open the Example Sweep writes the bundled example (the extension's global storage). */
  readonly exampleSweepDir: string;
}

export type Handler = (...args: unknown[]) => unknown;

/**
 * Workspace Trust: in Restricted Mode the commands that run models or write scripts from the
 * workspace's settings are off, and say why (reading and browsing runs work). A repository someone
 * clones can carry `.vscode/settings.json`; VS Code's answer is Restricted Mode, and
 * `restrictedConfigurations` in the manifest keeps those settings to the user's own meanwhile.
 */
export function trusted(what: string, why: string): boolean {
  if (vscode.workspace.isTrusted) return true;
  void vscode.window
    .showWarningMessage(`Premem: ${what} is off in Restricted Mode: ${why}. Trust this workspace to use it; reading and browsing runs work as they are.`, 'Manage Workspace Trust')
    .then((choice) => choice && vscode.commands.executeCommand('workbench.trust.manage'));
  return false;
}

/** Turns the low-pre-memorization marks in dataset files on or off (a setting: it needs no index). */
export async function toggleDecorations(): Promise<void> {
  const c = vscode.workspace.getConfiguration('premem');
  const target = vscode.workspace.workspaceFolders ? vscode.ConfigurationTarget.Workspace : vscode.ConfigurationTarget.Global;
  await c.update('decorations.enabled', !c.get<boolean>('decorations.enabled', true), target);
}
