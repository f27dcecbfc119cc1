#!/usr/bin/env node
'use strict';
// Thin launcher: the CLI is bundled into dist/cli.js by `npm run build` (also run by `npm ci`
// and `npm test`); one file loads in a fraction of the time of the compiled modules in out/.
const { main } = require('../dist/cli.js');
// `premem report | head`: the reader has gone; stop quietly, as Unix tools do.
process.stdout.on('error', (e) => {
  if (e && e.code === 'EPIPE') process.exit(0);
  throw e;
});
main(process.argv.slice(2), {
  out: (t) => process.stdout.write(t + '\n'),
  err: (t) => process.stderr.write(t + '\n'),
}).then(
  (code) => {
    process.exitCode = code;
  },
  (e) => {
    process.stderr.write(`premem: internal error: ${(e && e.stack) || e}\n`);
    process.exitCode = 1;
  },
);
