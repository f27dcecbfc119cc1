import { jsonlLayout } from './jsonlLayout';
import type { LayoutReader } from './layout';
import { lmEvalLayout } from './lmEvalLayout';
import { npyLayout } from './npyLayout';
import { trainerStateLayout } from './trainerState';

/**
 * Every run layout, in the order they are asked: the first that knows a split's size decides
 * it (the authors' arrays, then harness logs, then JSONL). A new layout is one line here.
 */
export const LAYOUTS: readonly LayoutReader[] = [npyLayout, lmEvalLayout, jsonlLayout, trainerStateLayout];

/** Whether any layout reads a file of this name: discovery fingerprints exactly these. */
export function isCheckpointFile(fileName: string): boolean {
  return LAYOUTS.some((l) => l.files.test(fileName));
}
