/**
 * `npm run demo`: the bundled example sweep in a browser-based VS Code (code-server) with the
 * packaged extension installed, for someone who has no VS Code. Runs until Ctrl-C.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { writeExampleSweep } from '../../src/example/exampleSweep';
import { REPO } from '../helpers/paths';
import { installVsix, startCodeServer, writeUserSettings } from './harness';

async function main(): Promise<void> {
  const root = join(REPO, '.premem', 'demo');
  const workspace = join(root, 'workspace');
  writeExampleSweep(join(workspace, 'example-sweep'));
  mkdirSync(join(workspace, '.vscode'), { recursive: true });
  writeFileSync(join(workspace, '.vscode', 'settings.json'), JSON.stringify({ 'premem.databasePath': join(root, 'index.sqlite') }, null, 1) + '\n');
  const userData = join(root, 'user-data');
  const extensions = join(root, 'extensions');
  writeUserSettings(userData, process.env['PREMEM_DEMO_THEME'] ?? 'Default Dark Modern');
  installVsix(extensions, userData);
  const host = await startCodeServer(workspace, userData, extensions, () => undefined, Number(process.env['PREMEM_DEMO_PORT'] ?? 0) || undefined);
  process.stdout.write(
    `\nPremem Lens demo: open this address in a browser, then click the Premem icon in the activity bar:\n\n    ${host.url}\n\n` +
      `(code-server listens on 127.0.0.1 only; over SSH, forward the port: ssh -L PORT:127.0.0.1:PORT host.)\nCtrl-C stops it.\n`,
  );
  const stop = () => void host.stop().then(() => process.exit(0));
  process.on('SIGINT', stop);
  process.on('SIGTERM', stop);
}

main().catch((e: unknown) => {
  process.stderr.write(`demo: ${(e as Error).message}\n`);
  process.exit(1);
});
