// Bundles the extension and its indexing worker with esbuild. `vscode` is provided by the
// editor; `sqlite3` is a native addon shipped as-is inside the .vsix (node_modules/sqlite3).
'use strict';
const esbuild = require('esbuild');

const common = {
  bundle: true,
  platform: 'node',
  target: 'node20',
  format: 'cjs',
  sourcemap: true,
  external: ['vscode', 'sqlite3'],
  logLevel: 'warning',
};

Promise.all([
  esbuild.build({ ...common, entryPoints: ['src/extension/extension.ts'], outfile: 'dist/extension.js' }),
  esbuild.build({ ...common, entryPoints: ['src/store/indexWorker.ts'], outfile: 'dist/indexWorker.js' }),
]).catch(() => process.exit(1));
