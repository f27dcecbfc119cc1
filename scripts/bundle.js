// Bundles the extension, its indexing worker, the panels' front ends and the CLI with esbuild.
// `node scripts/bundle.js cli` bundles the CLI alone (npm test and npm run build do).
// `vscode` is provided by the editor; `sqlite3` is a native addon shipped as-is inside the
// .vsix (node_modules/sqlite3). The webview bundles are self-contained: no CDN, no network.
'use strict';
const { rmSync } = require('node:fs');
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

/** The panels' `import('./charts')` resolves, at run time, to the one charts.js built beside them. */
const chartsStayExternal = {
  name: 'charts-stay-external',
  setup(build) {
    build.onResolve({ filter: /^\.\/charts$/ }, (args) => (args.importer.endsWith('lazyCharts.ts') ? { path: './charts.js', external: true } : undefined));
  },
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

// The CLI as one file: loading ~90 compiled modules one by one was a third of its start-up.
// The scoring libraries stay outside, loaded only by the commands that score or sample.
const cli = () => esbuild.build({ ...node, entryPoints: ['src/cli/main.ts'], outfile: 'dist/cli.js', external: [...node.external, 'onnxruntime-node', '@huggingface/tokenizers'] });

const all = () => [
  cli(),
  esbuild.build({ ...node, entryPoints: ['src/extension/extension.ts'], outfile: 'dist/extension.js' }),
  esbuild.build({ ...node, entryPoints: ['src/store/indexWorker.ts'], outfile: 'dist/indexWorker.js' }),
  // onnxruntime-node is a native addon too: shipped as-is (its linux-x64 binaries), not bundled.
  esbuild.build({ ...node, entryPoints: ['src/score/scoringChild.ts'], outfile: 'dist/scoringChild.js', external: [...node.external, 'onnxruntime-node'] }),
  // Each panel's script as an ES module whose dynamic import of the charting module
  // (webview/shared/lazyCharts.ts) stays a request for charts.js: the first script carries the
  // panel's text and controls, and Plot is one module of its own that both panels share (it was
  // shipped twice, once per panel, 254 kB each), fetched while the page waits for its data. No
  // other code is split off, so nothing else is fetched only after the panel's script. A module
  // script's imports inherit its nonce, so the CSP stays nonce-only.
  ...['example', 'dashboard', 'dataMap', 'sweepTable'].map((entry) =>
    esbuild.build({ ...browser, format: 'esm', entryPoints: { [entry]: `webview/${entry}/main.ts` }, plugins: [chartsStayExternal] }),
  ),
  esbuild.build({ ...browser, format: 'esm', entryPoints: { charts: 'webview/shared/charts.ts' } }),
  esbuild.build({
    ...browser,
    entryPoints: {
      example: 'webview/example/example.css',
      dashboard: 'webview/dashboard/dashboard.css',
      dataMap: 'webview/dataMap/dataMap.css',
      sweepTable: 'webview/sweepTable/sweepTable.css',
    },
  }),
];

// The panels' chunks are named by content hash: last build's must not linger into the .vsix.
if (process.argv[2] !== 'cli') rmSync('dist/webview', { recursive: true, force: true });
Promise.all(process.argv[2] === 'cli' ? [cli()] : all()).catch(() => process.exit(1));
