import { basename } from 'node:path';
import { num, pct } from '../present/format';
import type { ReportForecast, ReportJson, ReportThreshold } from '../queries/report';
import { unfinishedText } from '../queries/forecast';
import { NEAR, PREDICTOR_LABELS, summarizeHolds } from '../present/holds';
import { table } from './table';

/** Where the report's threshold came from, in words. */
function thresholdSource(t: ReportThreshold, runPath?: string): string {
  if (t.source === 'option') return 'given for this call';
  if (t.source === 'default') return "default (the authors' GSM8K value), not calibrated for this model";
  const c = t.calibration;
  const where = t.stored_for === undefined ? 'stored for this sweep' : `stored for ${t.stored_for === runPath ? 'this run' : basename(t.stored_for)}`;
  if (!c) return where;
  return c.method === 'text'
    ? `calibrated against the text criterion (${c.kappa === undefined ? '' : `kappa ${num(c.kappa, 2)}, `}agreement ${pct(c.agreement ?? null)})`
    : `calibrated on ${c.runs} runs (held-out RMSE ${pct(c.heldOutRmse ?? null, 2)})`;
}

/** "final test accuracy forecast 0.412 ± 0.031 (…)" */
export function forecastText(f: Extract<ReportForecast, { band: number | null }>): string {
  return `final test accuracy forecast ${num(f.final_test_accuracy)}${f.band === null ? '' : ` ± ${num(f.band)}`} (from ${f.runs} finished runs of its sweep after ${f.checkpoints} checkpoint${f.checkpoints === 1 ? '' : 's'}; ± is their leave-one-run-out RMSE)`;
}

/** `premem report` for people: the criterion, a table per run, then the sweep's fit. */
export function formatReport(report: ReportJson, agreements: ReadonlyMap<string, { agree: number; total: number } | null> = new Map()): string {
  const parts: string[] = [];
  const t = report.threshold;
  parts.push(
    t.memorization === 'text'
      ? `memorized: most samples copy at least ${num(t.copy_rate, 2)} of the reference steps (text criterion)`
      : `memorized: ln(ln(ppl)) < ${num(t.loglog, 3)}  (perplexity < ${num(t.perplexity, 4)})  ${thresholdSource(t)}`,
  );
  for (const run of report.runs) {
    parts.push('');
    parts.push(`${run.name}  ${run.checkpoints[0]?.examples ?? 0} examples  ${run.path}`);
    // A run whose threshold is not the report's (its own, kept for it alone) says so by its figures.
    const own = run.threshold;
    if (t.memorization !== 'text' && (own.loglog !== t.loglog || own.source !== t.source || own.stored_for !== t.stored_for))
      parts.push(`memorized here: ln(ln(ppl)) < ${num(own.loglog, 3)}  (perplexity < ${num(own.perplexity, 4)})  ${thresholdSource(own, run.path)}`);
    for (const s of run.skipped_checkpoints) parts.push(`skipped step ${s.step} (its figures are left out): ${s.file}: ${s.reason}`);
    for (const c of run.checkpoints) for (const n of c.notes ?? []) parts.push(`note, step ${c.step}: ${n}`);
    const agreed = agreements.get(run.path);
    if (agreed) parts.push(`text and perplexity (ln ln < ${num(own.loglog, 3)}) memorization agree on ${pct(agreed.agree / agreed.total)} of example-checkpoints`);
    parts.push(
      table(
        ['step', 'train acc', 'pre-mem acc', 'memorized', 'test acc', 'train set', 'test set'],
        run.checkpoints.map((c) => [
          String(c.step),
          num(c.train_accuracy),
          num(c.pre_memorization_accuracy),
          num(c.memorized_fraction),
          num(c.test_accuracy),
          c.sample_sets.train,
          c.sample_sets.test ?? '–',
        ]),
        new Set([5, 6]),
      ),
    );
    const f = run.forecast;
    if (f) parts.push(`${unfinishedText(f)}: ${f.final_test_accuracy === null ? f.reason : forecastText(f)}`);
  }
  parts.push('');
  const f = report.fit;
  if (f === null) {
    parts.push(`fit withheld: ${report.fit_withheld ?? 'not enough test evaluations'}`);
    return parts.join('\n');
  }
  parts.push(
    f.slope === null || f.intercept === null
      ? `fit: needs at least two checkpoints with test accuracy and some spread (have ${f.points})`
      : `fit over ${f.points} checkpoints: test accuracy = ${num(f.slope)} x pre-memorization accuracy ${f.intercept < 0 ? '-' : '+'} ${num(Math.abs(f.intercept))}   R^2 = ${num(f.r2)}`,
  );
  parts.push(...doesItHoldText(report));
  return parts.join('\n');
}

/** The "Does it hold?" block: the threshold's sensitivity, the baselines, and how early it tells. */
function doesItHoldText(report: ReportJson): string[] {
  const { sensitivity, predictors, early } = report;
  if (!sensitivity || !predictors || !early) return [];
  const out = ['', 'Does it hold?'];
  const t = report.threshold.loglog;
  const { best, near } = summarizeHolds({ sensitivity, predictors, early }, t);
  if (best && near)
    out.push(
      `  threshold: R^2 ${num(near.low)}-${num(near.high)} within ${NEAR} of ln ln ${num(t, 2)}; best ${num(best.r2)} at ${num(best.threshold, 1)} (41 thresholds, -4.0 to 0.0)`,
    );
  out.push(`  baselines (R^2, leave-one-run-out RMSE): ${predictors.map((p) => `${PREDICTOR_LABELS[p.name]} ${num(p.r2)}, ${num(p.loo_rmse)}`).join('; ')}`);
  out.push(
    `  early: final test accuracy from the first j checkpoints, R^2 pre-memorization / train: ${early.map((e) => `j=${e.checkpoints} ${num(e.pre_memorization_accuracy.r2, 2)}/${num(e.train_accuracy.r2, 2)}`).join(', ')}`,
  );
  return out;
}
