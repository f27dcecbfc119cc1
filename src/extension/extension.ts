import * as path from 'node:path';
import * as vscode from 'vscode';
import { explainStartupFailure, registerCommands, StartupFailure, type CommandContext } from './commands';
import { stopScoringProcesses } from '../score/scoringProcess';
import { DatasetAnnotations } from './datasetAnnotations';
import { ExamplesView } from './examplesView';
import { FlaggedView } from './flaggedView';
import { IndexService } from './indexService';
import { RunsView } from './runsView';
import { ANALYSIS_SETTINGS, readSettings } from './settings';
import { RunFollower } from './runFollower';
import { RunStatusBar } from './statusBar';
import { DashboardPanel } from './webviews/dashboardPanel';
import { DataMapPanel } from './webviews/dataMapPanel';
import { SweepTablePanel } from './webviews/sweepTablePanel';
import { ExamplePanel } from './webviews/examplePanel';
import { EXAMPLE_TEXT_SCHEME, ExampleTextProvider } from './webviews/exampleTexts';

const OPENED_KEY = 'premem.openedFolders';
const SELECTED_KEY = 'premem.selectedRun';
/** Folders the user closed: not reopened from the workspace or settings until opened again. */
const CLOSED_KEY = 'premem.closedFolders';
/** Files whose presence marks a checkpoint folder, in either layout. */
const CHECKPOINT_MARKERS = '**/checkpoint-*/{train_perplexities.npy,train_answer_types*.npy,train_references.jsonl,train_samples*.jsonl,samples_*.json,samples_*.jsonl}';

/** Run folders inside the workspace: the parents of checkpoint folders. */
async function workspaceRuns(): Promise<string[]> {
  const files = await vscode.workspace.findFiles(CHECKPOINT_MARKERS, '{**/node_modules/**,**/.git/**}', 2000);
  return [...new Set(files.map((f) => path.dirname(path.dirname(f.fsPath))))].sort();
}

/** Set by `activate` once the services are up: what `deactivate` must stop and close. */
let stopServices: (() => Promise<void>) | undefined;

export async function activate(context: vscode.ExtensionContext): Promise<void> {
  const log = vscode.window.createOutputChannel('Premem');
  context.subscriptions.push(log);
  // Commands first: whatever happens below, no menu, palette entry or welcome link can answer
  // "command not found". They wait for the services, or explain why there are none.
  let started!: (c: CommandContext) => void;
  let failed!: (e: Error) => void;
  const services = new Promise<CommandContext>((resolve, reject) => {
    started = resolve;
    failed = reject;
  });
  services.catch(() => undefined); // reported by each command that needs them
  context.subscriptions.push(...registerCommands(services, log));

  let settings = readSettings();
  const storage = context.storageUri ?? context.globalStorageUri;
  const dbFile = settings.databasePath ?? path.join(storage.fsPath, 'index.sqlite');
  log.appendLine(`index: ${dbFile}`);

  let index: IndexService;
  try {
    index = await IndexService.open(dbFile, vscode.Uri.joinPath(context.extensionUri, 'dist', 'indexWorker.js').fsPath, log, settings.analysis);
  } catch (e) {
    const failure = new StartupFailure(dbFile, (e as Error).message);
    log.appendLine(`error: ${failure.message}`);
    failed(failure);
    void vscode.commands.executeCommand('setContext', 'premem.indexUnavailable', true);
    void explainStartupFailure(failure, log);
    return;
  }
  context.subscriptions.push(index);
  stopServices = async () => {
    stopScoringProcesses();
    await index.close();
  };
  log.appendLine(`flags: ${index.flagsFile}`);
  if (index.setAside) {
    log.appendLine(`warning: the index could not be read; it was moved to ${index.setAside} and is rebuilt from the run folders. Flags are kept in ${index.flagsFile}.`);
    void vscode.window
      .showWarningMessage('Premem: the index file was damaged and is being rebuilt from your run folders. Your flags are kept.', 'Show Output')
      .then((c) => c && log.show(true));
  }

  const runsView = new RunsView(index);
  const examplesView = new ExamplesView(index);
  const flaggedView = new FlaggedView(index);
  const runsTree = vscode.window.createTreeView('premem.runs', { treeDataProvider: runsView, showCollapseAll: true });
  const examplesTree = vscode.window.createTreeView('premem.examples', { treeDataProvider: examplesView });
  examplesView.treeView = examplesTree;
  const flaggedTree = vscode.window.createTreeView('premem.flagged', { treeDataProvider: flaggedView });
  const annotations = new DatasetAnnotations(index, context.extensionUri, settings);
  context.subscriptions.push(
    runsView,
    examplesView,
    flaggedView,
    runsTree,
    examplesTree,
    flaggedTree,
    annotations,
    new RunStatusBar(index),
    vscode.languages.registerHoverProvider({ scheme: 'file', pattern: '**/*.jsonl' }, annotations),
  );

  const follower = new RunFollower(index, log);
  context.subscriptions.push(follower);
  const known = () => [...new Set([...settings.runs, ...context.workspaceState.get<string[]>(OPENED_KEY, [])])];
  const closed = () => new Set(context.workspaceState.get<string[]>(CLOSED_KEY, []));
  index.setClosed(closed());
  const reindexAll = async () => {
    const shut = closed();
    const folders = [...new Set([...known(), ...(await workspaceRuns())])].filter((f) => !shut.has(f) && !shut.has(path.dirname(f)));
    // Runs keep training while they are open: follow every folder from now on.
    follower.follow(folders);
    await index.indexFolders(folders);
  };
  const openFolder = async (folder: string) => {
    await context.workspaceState.update(OPENED_KEY, [...new Set([...context.workspaceState.get<string[]>(OPENED_KEY, []), folder])]);
    await context.workspaceState.update(
      CLOSED_KEY,
      [...closed()].filter((f) => f !== folder && path.dirname(f) !== folder),
    );
    index.setClosed(closed());
    follower.follow([folder]);
    await index.indexFolders([folder], `Premem: indexing ${path.basename(folder)}`);
    const runs = (await index.runs()).filter((r) => r.path === folder || r.sweepPath === folder);
    if (runs.length > 0 && !index.selectedRunPath) await index.select(runs[0]!.path);
  };
  const closeFolder = async (folder: string) => {
    await context.workspaceState.update(
      OPENED_KEY,
      context.workspaceState.get<string[]>(OPENED_KEY, []).filter((f) => f !== folder),
    );
    await context.workspaceState.update(CLOSED_KEY, [...new Set([...closed(), folder])]);
    index.setClosed(closed());
    follower.unfollow(folder);
    return index.forget(folder);
  };
  const examplePanel = new ExamplePanel(index, context.extensionUri, log);
  const dashboard = new DashboardPanel(index, context.extensionUri, log);
  const dataMap = new DataMapPanel(index, examplePanel, context.extensionUri, log);
  const sweepTable = new SweepTablePanel(index, examplePanel, context.extensionUri, log);
  context.subscriptions.push(
    examplePanel,
    dashboard,
    dataMap,
    sweepTable,
    vscode.workspace.registerTextDocumentContentProvider(EXAMPLE_TEXT_SCHEME, new ExampleTextProvider(index)),
  );

  context.subscriptions.push(
    index.onDidChangeSelection((run) => void context.workspaceState.update(SELECTED_KEY, run?.path)),
    vscode.workspace.onDidChangeConfiguration((e) => {
      if (!e.affectsConfiguration('premem')) return;
      const before = settings;
      settings = readSettings();
      if (ANALYSIS_SETTINGS.some((s) => e.affectsConfiguration(s))) index.setAnalysisOptions(settings.analysis);
      if (e.affectsConfiguration('premem.lowPreMemorizationThreshold') || e.affectsConfiguration('premem.decorations')) annotations.configure(settings);
      const added = settings.runs.filter((r) => !before.runs.includes(r));
      if (added.length) {
        follower.follow(added);
        void index.indexFolders(added).catch((err: Error) => log.appendLine(`error: ${err.message}`));
      }
      if (e.affectsConfiguration('premem.databasePath')) {
        void vscode.window
          .showInformationMessage('Premem: the index location changes after a window reload.', 'Reload Window')
          .then((c) => c && vscode.commands.executeCommand('workbench.action.reloadWindow'));
      }
    }),
  );

  // Figures already in the index show at once; then everything known is brought up to date.
  const remembered = context.workspaceState.get<string>(SELECTED_KEY);
  if (remembered) await index.select(remembered).catch((e: Error) => log.appendLine(`error: ${e.message}`));
  // Commands run from here on: with the selection as the user left it (a command issued during
  // a reload must see the remembered run, as it did when commands waited for activation).
  started({
    index,
    log,
    openFolder,
    reindexAll,
    closeFolder,
    examplePanel,
    dashboard,
    dataMap,
    sweepTable,
    showMoreExamples: () => examplesView.showMore(),
    scoringChildFile: vscode.Uri.joinPath(context.extensionUri, 'dist', 'scoringChild.js').fsPath,
    // The bundled example is written where the extension keeps its own files, never in a workspace.
    exampleSweepDir: vscode.Uri.joinPath(context.globalStorageUri, 'example-sweep').fsPath,
  });
  void reindexAll()
    .then(async () => {
      if (!index.selectedRunPath) {
        const first = (await index.runs())[0];
        if (first) await index.select(first.path);
      }
    })
    .catch((e: Error) => log.appendLine(`error: ${e.stack ?? e.message}`));
}

/** Stops scoring processes and closes the index; VS Code waits for the promise. */
export async function deactivate(): Promise<void> {
  await stopServices?.();
  stopServices = undefined;
}
