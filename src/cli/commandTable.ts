import type { Command } from './command';
import { attachCommand } from './commands/attach';
import { calibrateCommand } from './commands/calibrate';
import { exampleCommand } from './commands/example';
import { examplesCommand } from './commands/examples';
import { exportCommand } from './commands/export';
import { flagCommand } from './commands/flag';
import { flagsCommand } from './commands/flags';
import { forgetCommand } from './commands/forget';
import { indexCommand } from './commands/index';
import { mapCommand } from './commands/map';
import { perturbCommand } from './commands/perturb';
import { robustnessCommand } from './commands/robustness';
import { planCommand } from './commands/plan';
import { reportCommand } from './commands/report';
import { sampleCommand } from './commands/sample';
import { scoreCommand } from './commands/score';
import { similarCommand } from './commands/similar';
import { slicesCommand } from './commands/slices';
import { tableCommand } from './commands/table';
import { thresholdCommand } from './commands/threshold';
import { watchCommand } from './commands/watch';

/** Every `premem` command, in the order `premem --help` lists them. Adding one: a module in commands/, a line here. */
export const COMMANDS: readonly Command[] = [
  indexCommand,
  reportCommand,
  examplesCommand,
  mapCommand,
  tableCommand,
  exportCommand,
  calibrateCommand,
  thresholdCommand,
  watchCommand,
  scoreCommand,
  sampleCommand,
  perturbCommand,
  robustnessCommand,
  slicesCommand,
  planCommand,
  similarCommand,
  flagCommand,
  flagsCommand,
  attachCommand,
  forgetCommand,
  exampleCommand,
];
