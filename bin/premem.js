#!/usr/bin/env node
'use strict';
// Thin launcher: the CLI is compiled to out/ by `npm run build` (also run by `npm ci`).
const { main } = require('../out/src/cli/main.js');
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
