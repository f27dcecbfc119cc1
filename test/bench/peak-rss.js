// Preloaded into benchmarked processes (node -r): reports their peak resident memory on exit.
'use strict';
process.on('exit', () => {
  require('node:fs').writeSync(2, `\n__PEAK_RSS_KB__ ${process.resourceUsage().maxRSS}\n`);
});
