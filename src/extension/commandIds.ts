/**
 * Every command the extension registers, in one list. `package.json` must contribute exactly
 * these (test/unit/commands.test.ts checks both ways), and `commands.ts` must give each a
 * handler (its handler table is typed by this list, so a missing or extra one does not compile).
 * No `vscode` here, so the check runs without an editor.
 */
export const COMMAND_IDS = [
  'premem.openRun',
  'premem.openExampleSweep',
  'premem.refresh',
  'premem.closeRun',
  'premem.showOutput',
  'premem.selectRun',
  'premem.sortExamples.byPreMemorization',
  'premem.sortExamples.byMemorizationStep',
  'premem.sortExamples.byTrainAccuracy',
  'premem.sortExamples.byDatasetOrder',
  'premem.sortExamples.byUnlearnedAcrossSweep',
  'premem.filterExamples',
  'premem.clearExampleFilter',
  'premem.showMoreExamples',
  'premem.flagExample',
  'premem.unflagExample',
  'premem.editFlagNote',
  'premem.showExample',
  'premem.showDashboard',
  'premem.showDataMap',
  'premem.showSweepTable',
  'premem.attachDataset',
  'premem.revealSourceRun',
  'premem.findSimilar',
  'premem.scoreReferences',
  'premem.sampleCheckpoints',
  'premem.planEvaluation',
  'premem.revealExample',
  'premem.exportFlagged',
  'premem.exportCurated',
  'premem.toggleDecorations',
] as const;

export type CommandId = (typeof COMMAND_IDS)[number];
