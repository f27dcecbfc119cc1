import * as path from 'node:path';
import * as vscode from 'vscode';
import type { MemorizationThreshold } from '../core/threshold';
import { DEFAULT_COPY_RATE } from '../core/textMemorization';
import type { AnalysisOptions, MemorizationCriterion } from '../queries/runAnalysis';

/** Everything the extension reads from `premem.*` settings, in one typed place. */
export interface PremSettings {
  readonly runs: readonly string[];
  readonly databasePath: string | null;
  readonly analysis: AnalysisOptions;
  readonly lowPreMemorizationThreshold: number;
  readonly decorations: boolean;
}

function resolveVariables(p: string): string {
  const folder = vscode.workspace.workspaceFolders?.[0]?.uri.fsPath ?? '';
  const expanded = p.replace(/\$\{workspaceFolder\}/g, folder).replace(/^~(?=$|[\\/])/, process.env['HOME'] ?? '~');
  return path.isAbsolute(expanded) || folder === '' ? expanded : path.join(folder, expanded);
}

export function readSettings(): PremSettings {
  const c = vscode.workspace.getConfiguration('premem');
  const ppl = c.get<number | null>('memorization.perplexityThreshold', null);
  const loglog = c.get<number>('memorization.logLogThreshold', -2.3);
  const threshold: MemorizationThreshold =
    typeof ppl === 'number' && Number.isFinite(ppl) && ppl > 1 ? { kind: 'perplexity', value: ppl } : { kind: 'loglog', value: Number.isFinite(loglog) ? loglog : -2.3 };
  const preference = c.get<string[]>('samplePreference', []).filter((s) => typeof s === 'string' && s.trim() !== '');
  const copyRate = c.get<number>('memorization.copyRate', DEFAULT_COPY_RATE);
  const memorization: MemorizationCriterion =
    c.get<string>('memorization.criterion', 'perplexity') === 'text'
      ? { kind: 'text', copyRate: Number.isFinite(copyRate) && copyRate >= 0 && copyRate <= 1 ? copyRate : DEFAULT_COPY_RATE }
      : { kind: 'perplexity' };
  const db = c.get<string>('databasePath', '').trim();
  return {
    runs: c
      .get<string[]>('runs', [])
      .filter((s) => typeof s === 'string' && s.trim() !== '')
      .map(resolveVariables),
    databasePath: db === '' ? null : resolveVariables(db),
    analysis: { threshold, samplePreference: preference.length ? preference : null, memorization },
    lowPreMemorizationThreshold: c.get<number>('lowPreMemorizationThreshold', 0.25),
    decorations: c.get<boolean>('decorations.enabled', true),
  };
}

/** Settings whose change means recomputing figures from the index (never re-reading files). */
export const ANALYSIS_SETTINGS = ['premem.memorization', 'premem.samplePreference'];
