import * as vscode from 'vscode';

const GROUP = ['First', 'Second', 'Third', 'Fourth', 'Fifth', 'Sixth', 'Seventh', 'Eighth'];

/**
 * After a window reload VS Code restores a panel's tab at once but calls its serializer only
 * when the tab is first shown. Showing such a tab (rather than opening a second panel beside
 * it) is what a user expects; this finds one and brings it to the front. True if it did.
 */
export async function revealRestoredTab(viewType: string): Promise<boolean> {
  for (const group of vscode.window.tabGroups.all) {
    const at = group.tabs.findIndex((t) => t.input instanceof vscode.TabInputWebview && t.input.viewType.endsWith(viewType));
    const ordinal = GROUP[group.viewColumn - 1];
    if (at === -1 || !ordinal) continue;
    await vscode.commands.executeCommand(`workbench.action.focus${ordinal}EditorGroup`);
    await vscode.commands.executeCommand('workbench.action.openEditorAtIndex', at);
    return true;
  }
  return false;
}

/** Resolves with the next value an event fires, or undefined after `ms`. */
export function nextEvent<T>(event: vscode.Event<T>, ms: number): Promise<T | undefined> {
  return new Promise((resolve) => {
    const timer = setTimeout(() => {
      sub.dispose();
      resolve(undefined);
    }, ms);
    const sub = event((v) => {
      clearTimeout(timer);
      sub.dispose();
      resolve(v);
    });
  });
}
