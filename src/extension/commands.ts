import * as vscode from 'vscode';
import { COMMAND_IDS, type CommandId } from './commandIds';
import { collectionCommands } from './commands/collection';
import { toggleDecorations, type CommandContext, type Handler } from './commands/context';
import { exampleCommands } from './commands/examples';
import { flagCommands } from './commands/flags';
import { commandHelpers } from './commands/helpers';
import { panelCommands } from './commands/panels';
import { runCommands } from './commands/runs';

export type { CommandContext } from './commands/context';

/**
 * Every command's handler, one module per area (commands/: runs, examples, flags and export,
 * collection, panels). Each area's record is typed by its own ids and this one by COMMAND_IDS:
 * a command without a handler, or a handler for no command, does not compile.
 */
function commandHandlers(ctx: CommandContext): Record<CommandId, Handler> {
  const helpers = commandHelpers(ctx);
  return {
    ...runCommands(ctx, helpers),
    ...exampleCommands(ctx, helpers),
    ...flagCommands(ctx, helpers),
    ...collectionCommands(ctx, helpers),
    ...panelCommands(ctx, helpers),
  };
}

/** Why the commands cannot run: activation could not open the index. */
export class StartupFailure extends Error {
  constructor(
    readonly dbFile: string,
    readonly reason: string,
  ) {
    super(`Premem could not open its index at ${dbFile}: ${reason}`);
  }
}

/**
 * Registers every command at once, before anything else starts, so that no entry of the palette,
 * a menu or the welcome view can ever answer "command not found". Until the services are up a
 * command waits for them; if they could not start (the index cannot be opened), it says why and
 * offers the fix, as vscode-eslint's stand-in commands do.
 */
export function registerCommands(services: Promise<CommandContext>, log: vscode.OutputChannel): vscode.Disposable[] {
  // The few commands that need no index keep working without one.
  const standalone: Partial<Record<CommandId, Handler>> = { 'premem.showOutput': () => log.show(true), 'premem.toggleDecorations': toggleDecorations };
  let handlers: Promise<Record<CommandId, Handler>> | undefined;
  const ready = () => (handlers ??= services.then(commandHandlers));
  return COMMAND_IDS.map((id) =>
    vscode.commands.registerCommand(id, async (...args: unknown[]) => {
      let table: Record<CommandId, Handler>;
      try {
        table = await ready();
      } catch (e) {
        const alone = standalone[id];
        return alone ? alone(...args) : explainStartupFailure(e, log);
      }
      try {
        return await table[id](...args);
      } catch (e) {
        // A failing command reports and logs; it never takes the extension host down.
        log.appendLine(`error in ${id}: ${(e as Error).stack ?? String(e)}`);
        void vscode.window.showErrorMessage(`Premem: ${(e as Error).message}`, 'Show Output').then((c) => c && log.show(true));
        return undefined;
      }
    }),
  );
}

/** What a command says when the index could not be opened, with the ways out. */
export async function explainStartupFailure(e: unknown, log: vscode.OutputChannel): Promise<void> {
  const message = e instanceof StartupFailure ? e.message : `Premem could not start: ${(e as Error).message}`;
  const choice = await vscode.window.showErrorMessage(
    `${message}. Set "premem.databasePath" to a file in a writable folder (or clear it to use this workspace's storage), then reload the window.`,
    'Open Setting',
    'Reload Window',
    'Show Output',
  );
  if (choice === 'Open Setting') await vscode.commands.executeCommand('workbench.action.openSettings', 'premem.databasePath');
  else if (choice === 'Reload Window') await vscode.commands.executeCommand('workbench.action.reloadWindow');
  else if (choice === 'Show Output') log.show(true);
}
