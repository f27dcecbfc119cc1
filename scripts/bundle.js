// Bundles the extension, its indexing worker and the panels' front ends with esbuild.
// `vscode` is provided by the editor; `sqlite3` is a native addon shipped as-is inside the
// .vsix (node_modules/sqlite3). The webview bundles are self-contained: no CDN, no network.
'use strict';
const esbuild = require('esbuild');

const node = {
  bundle: true,
  platform: 'node',
  target: 'node20',
  format: 'cjs',
  sourcemap: true,
  external: ['vscode', 'sqlite3'],
  logLevel: 'warning',
};

const browser = {
  bundle: true,
  platform: 'browser',
  target: 'chrome120',
  format: 'iife',
  minify: true,
  sourcemap: false,
  logLevel: 'warning',
  outdir: 'dist/webview',
  entryNames: '[name]',
  legalComments: 'linked',
};

Promise.all([
  esbuild.build({ ...node, entryPoints: ['src/extension/extension.ts'], outfile: 'dist/extension.js' }),
  esbuild.build({ ...node, entryPoints: ['src/store/indexWorker.ts'], outfile: 'dist/indexWorker.js' }),
  // onnxruntime-node is a native addon too: shipped as-is (its linux-x64 binaries), not bundled.
  esbuild.build({ ...node, entryPoints: ['src/score/scoringChild.ts'], outfile: 'dist/scoringChild.js', external: [...node.external, 'onnxruntime-node'] }),
  esbuild.build({
    ...browser,
    entryPoints: {
      example: 'webview/example/main.ts',
      dashboard: 'webview/dashboard/main.ts',
    },
  }),
  esbuild.build({
    ...browser,
    entryPoints: {
      example: 'webview/example/example.css',
      dashboard: 'webview/dashboard/dashboard.css',
    },
  }),
]).catch(() => process.exit(1));
