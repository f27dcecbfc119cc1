import type { AlignedRow, CheckpointSamples, ExampleDetail, ExampleMethods, ExampleNotifications, ExamplePanelState, SampleView } from '../../src/protocol/examplePanel';
import { badge, button, dropdown, progressRing, textField } from '../components/controls';
import type { LinePoint } from '../shared/charts';
import { chartSlot } from '../shared/lazyCharts';
import { legend } from '../shared/legend';
import { clear, el, focusedId, foldable, pickableRow, restoreFocus, section, tableHead, visible } from '../shared/dom';
import { num, stepLabel } from '../../src/present/format';
import { mark, markPainted } from '../shared/marks';
import { createClient } from '../shared/rpc';
import { chartTheme, onThemeChange } from '../shared/theme';

const client = createClient<ExampleMethods, ExampleNotifications, ExamplePanelState>();
const app = document.getElementById('app')!;

const CATEGORY: Record<ExampleDetail['category'], string> = {
  'solved-before-memorized': 'solved before memorized',
  'memorized-before-solved': 'memorized before ever solved',
  'memorized-at-first-checkpoint': 'memorized at the first checkpoint (nothing earlier to measure)',
  'never-memorized': 'never memorized',
};
const KIND_LABEL: Record<AlignedRow['kind'], string> = { copied: 'copied', reworded: 'reworded', own: 'own step', skipped: 'skipped' };
/** What each term means, shown as a tooltip where it is used and in the "What these mean" list. */
const TERMS: Record<string, string> = {
  copied: 'The sample states this reference step verbatim (similarity ≥ 0.9 after calculator notes and spacing are set aside).',
  reworded: 'The sample makes this reference step in its own words: similarity between 0.5 and 0.9; the number is the similarity (1 − edit distance / length).',
  'own step': 'A step of the sample that matches no reference step: its own reasoning (or a mistake).',
  skipped: 'A reference step the sample leaves out.',
  'copy rate': 'The share of the reference’s steps a sample copies verbatim. Under the text criterion an example is memorized when most samples copy at least the set share.',
  pattern:
    'solved before memorized: a sample was correct at a checkpoint before the reference was memorized. memorized before ever solved: copied before any sample was correct (the paper’s warning sign). never memorized: the reference never became easy to reproduce.',
  'pre-memorization accuracy': 'The accuracy the example reached at checkpoints before it was memorized, capped by today’s accuracy (Kang et al. 2024).',
};

let detail: ExampleDetail | null = null;
/** The checkpoint shown; on a window reload, the one shown before. */
let step: number | null = client.getState()?.step ?? null;
let restoring = step !== null;
let samplesHost: HTMLElement | null = null;
/** Which answer is current: a late response for an earlier checkpoint or example is dropped. */
let generation = 0;

function saveState(): void {
  if (detail) client.setState({ runPath: detail.runPath, index: detail.index, step });
}

client.on('show', (d) => render(d));

async function start(): Promise<void> {
  try {
    mark('request');
    const d = await client.request('ready', {});
    mark('answer');
    if (d) render(d);
    else showMessage('This example is no longer in the index. Open it again from the Examples view.');
  } catch (e) {
    showMessage((e as Error).message);
  }
}

function showMessage(message: string): void {
  clear(app);
  app.removeAttribute('aria-busy');
  app.append(el('p', { className: 'message', text: message }));
}

function render(d: ExampleDetail): void {
  const sameExample = restoring || (detail?.index === d.index && detail.runPath === d.runPath);
  restoring = false;
  detail = d;
  if (!sameExample || step === null || !d.timeline.some((t) => t.step === step)) step = defaultStep(d);
  saveState();
  const focused = focusedId();
  clear(app);
  app.removeAttribute('aria-busy');
  app.append(header(d), questionAndReference(d), timeline(d));
  const others = otherRunsSection(d);
  if (others) app.append(others);
  const perturbed = perturbationsSection(d);
  if (perturbed) app.append(perturbed);
  app.append(samplesSection(d));
  restoreFocus(focused);
  markPainted('painted');
  void loadSamples();
}

/** The first memorized checkpoint shows the copying; without one, the last checkpoint. */
function defaultStep(d: ExampleDetail): number | null {
  return d.memorizationStep ?? d.timeline.at(-1)?.step ?? null;
}

function header(d: ExampleDetail): HTMLElement {
  const note = textField({ id: 'flag-note', label: 'Flag note', placeholder: 'note (optional)', value: d.flag?.note ?? '', size: 30, onEnter: () => flag() });
  const flag = () => void act(() => client.request('flag', { note: note.value }));
  const nav = (direction: 'previous' | 'next') => void navigate(direction);
  const order = d.order ? `${d.order.rank} of ${d.order.of} · ${d.order.label}` : 'not in the Examples view’s current filter';
  return el('header', { className: 'example-header' }, [
    el('div', { className: 'title-row' }, [
      el('h1', {}, [el('span', { className: 'index', text: `#${d.index}` }), ' ', el('span', { className: 'run', text: d.runName })]),
      el('div', { className: 'nav' }, [
        button('‹ Previous', () => nav('previous'), { id: 'previous', title: 'Previous example in the Examples view order (←)', disabled: !d.order || d.order.rank <= 1 }),
        el('span', { className: 'order', text: order }),
        button('Next ›', () => nav('next'), { id: 'next', title: 'Next example in the Examples view order (→)', disabled: !d.order || d.order.rank >= d.order.of }),
      ]),
    ]),
    el('dl', { className: 'figures' }, [
      figure('Pre-memorization accuracy', num(d.preMemorizationAccuracy), 'premem', TERMS['pre-memorization accuracy']),
      figure('Memorized at', stepLabel(d.memorizationStep), 'memorization-step'),
      figure('Pattern', CATEGORY[d.category], 'category', TERMS['pattern']),
      d.level
        ? figure(
            `Within ${d.level.label}`,
            `mean ${num(d.level.preMemorizationAccuracy)} over ${d.level.examples} examples; ${d.level.below} lower, ${d.level.above} higher`,
            'level',
            'Its difficulty level’s examples at the last checkpoint: read a low figure against what questions as hard as this one reach (see premem robustness, which controls for the level).',
          )
        : null,
    ]),
    el('p', { className: 'criterion', text: `Memorized: ${d.criterion}.` }),
    el('div', { className: 'flag-row' }, [
      d.flag ? badge('⚑ flagged', d.flag.note) : null,
      note.element,
      button(d.flag ? 'Update note' : 'Flag', flag, { id: 'flag', appearance: 'primary' }),
      d.flag ? button('Unflag', () => void act(() => client.request('unflag', {})), { id: 'unflag' }) : null,
    ]),
  ]);
}

function figure(label: string, value: string, id: string, explained?: string): HTMLElement {
  return el('div', { className: 'figure' }, [el('dt', { text: label, ...(explained && { title: explained }) }), el('dd', { text: value, attrs: { id } })]);
}

/** The terms of the aligned samples, explained once per panel. */
function termsList(): HTMLElement {
  return el('details', { className: 'terms', attrs: { id: 'terms' } }, [
    el('summary', { text: 'What these mean' }),
    el(
      'dl',
      {},
      Object.entries(TERMS).flatMap(([term, meaning]) => [el('dt', { text: term }), el('dd', { text: meaning })]),
    ),
  ]);
}

async function act(request: () => Promise<ExampleDetail>): Promise<void> {
  try {
    render(await request());
  } catch (e) {
    showError((e as Error).message);
  }
}

async function navigate(direction: 'previous' | 'next'): Promise<void> {
  try {
    const d = await client.request('navigate', { direction });
    if (d) {
      step = null;
      render(d);
    }
  } catch (e) {
    showError((e as Error).message);
  }
}

function showError(message: string): void {
  const old = document.getElementById('error');
  old?.remove();
  app.prepend(el('p', { className: 'error', text: message, attrs: { id: 'error', role: 'alert' } }));
}

function questionAndReference(d: ExampleDetail): HTMLElement {
  const reference =
    d.reference.text === null
      ? [el('p', { className: 'muted', text: 'The run has no dataset file, so the reference solution is unknown.' })]
      : [
          el(
            'ol',
            { className: 'reference-steps', attrs: { id: 'reference-steps' } },
            d.reference.steps.map((s) => el('li', {}, [foldable(el('span', { text: s }), s.length)])),
          ),
          d.reference.finalAnswer !== null ? el('p', { className: 'final' }, ['Final answer: ', el('strong', { text: d.reference.finalAnswer })]) : null,
        ];
  return el('div', { className: 'two-columns' }, [
    section('Question', [
      d.question === null
        ? el('div', {}, [
            el('p', {
              className: 'muted',
              text: 'No question text: the run has no dataset file Premem Lens can find (train.jsonl in the run or its sweep, or train_file in run.json). Attach the training set (JSONL, one {"question", "answer"} per line, in dataset order) to see questions, references and step alignment.',
            }),
            button('Attach Dataset File…', () => void client.request('attachDataset', {}).catch((e: Error) => showError(e.message)), {
              id: 'attach-dataset',
              title: 'Premem: Attach Dataset File… for this run',
            }),
          ])
        : foldable(el('p', { className: 'question text', text: d.question, attrs: { id: 'question' } }), d.question.length),
    ]),
    section(d.reference.text === null ? 'Reference solution' : `Reference solution (${d.reference.steps.length} steps)`, reference),
  ]);
}

/** The same example in every run of the sweep: when it was memorized, how far it got, its pattern. */
function otherRunsSection(d: ExampleDetail): HTMLElement | null {
  if (d.otherRuns.length < 2) return null;
  const copied = d.otherRuns.filter((o) => o.category === 'memorized-before-solved').length;
  const rows = d.otherRuns.map((o) =>
    el('tr', { className: o.current ? 'current' : '' }, [
      el('td', {}, [
        o.current
          ? el('strong', { text: o.runName })
          : button(o.runName, () => void act(() => client.request('switchRun', { runPath: o.runPath })), { title: `Show #${d.index} in ${o.runName}` }),
      ]),
      el('td', { text: stepLabel(o.memorizationStep) }),
      el('td', { text: o.memorizationEpoch === null ? '–' : num(o.memorizationEpoch, 2) }),
      el('td', { text: num(o.preMemorizationAccuracy) }),
      el('td', { text: num(o.trainAccuracy) }),
      el('td', { text: CATEGORY[o.category] }),
    ]),
  );
  return section(`In other runs (${d.otherRuns.length} runs of the sweep)`, [
    el('p', { className: 'muted', attrs: { id: 'other-runs-summary' }, text: `Memorized before ever solved in ${copied} of ${d.otherRuns.length} runs.` }),
    el('div', { className: 'table-scroll' }, [
      el('table', { className: 'numbers other-runs', attrs: { id: 'other-runs' } }, [
        tableHead(['run', 'memorized at', 'epoch', 'pre-mem acc', 'train acc', 'pattern']),
        el('tbody', {}, rows),
      ]),
    ]),
  ]);
}

const OUTCOME_TEXT: Record<SampleView['outcome'], string> = { correct: '✓ correct', wrong: '✗ wrong', 'no-answer': '∅ no answer' };

/**
 * The paper's robustness check for this example: its perturbed questions (what was changed)
 * and the samples on each, beside its own accuracy at the same checkpoint. All texts are text.
 */
function perturbationsSection(d: ExampleDetail): HTMLElement | null {
  const p = d.perturbations;
  if (!p) return null;
  const variants = p.variants.map((v) => {
    const changes = v.changes.map((c) => (c.from ? `${c.from} → ${c.to}` : `+ ${c.to}`)).join('; ');
    const samples = v.samples.map((s, k) =>
      el('li', {}, [
        el('span', { className: `outcome ${s.outcome}`, text: OUTCOME_TEXT[s.outcome] }),
        s.text === null
          ? el('span', { className: 'muted', text: ` sample ${k + 1}: no text kept` })
          : foldable(el('pre', { className: 'sample-text', text: visible(s.text) }), s.text.length),
      ]),
    );
    return el('article', { className: 'variant', attrs: { 'data-variant': v.id } }, [
      el('div', { className: 'sample-head' }, [
        el('h3', { text: v.kind }),
        badge(v.preservesAnswer ? 'same answer' : `answer ${v.finalAnswer ?? '–'}`),
        el('span', { className: 'muted', text: changes }),
      ]),
      foldable(el('p', { className: 'variant-question', text: visible(v.question) }), v.question.length),
      el('ul', { className: 'variant-samples' }, samples),
    ]);
  });
  return section(`Perturbed questions (${p.variants.length}, checkpoint ${p.step})`, [
    el('p', { className: 'muted', attrs: { id: 'perturbed-summary' } }, [
      `Accuracy on perturbed questions ${num(p.accuracy)} against ${num(p.originalAccuracy)} on the question itself at checkpoint ${p.step} (sample set ${p.sampleSet}). `,
      'Examples the model only learned to copy tend to break when the question changes (Kang et al. 2024).',
    ]),
    ...variants,
  ]);
}

function timeline(d: ExampleDetail): HTMLElement {
  const body = el('div', { className: 'timeline' });
  const draw = () => {
    clear(body);
    const theme = chartTheme();
    const width = Math.max(320, Math.min(720, app.clientWidth - 40));
    const series = [
      { key: 'accuracy', label: 'sample accuracy', color: theme.series.blue },
      { key: 'copy', label: 'copy rate', color: theme.series.orange },
      { key: 'premem', label: 'pre-memorization accuracy', color: theme.series.green, dashed: true },
    ];
    const points: LinePoint[] = [];
    for (const t of d.timeline) {
      if (t.accuracy !== null) points.push({ x: t.step, series: 'accuracy', y: t.accuracy });
      if (t.copyRate !== null) points.push({ x: t.step, series: 'copy', y: t.copyRate });
      if (t.preMemorizationAccuracy !== null) points.push({ x: t.step, series: 'premem', y: t.preMemorizationAccuracy });
    }
    const rules = d.memorizationStep === null ? [] : [{ x: d.memorizationStep, color: theme.series.red, label: 'memorized' }];
    const pick = (x: number) => void selectStep(x);
    body.append(
      legend(series.filter((s) => s.key !== 'copy' || d.hasTexts)),
      chartSlot(width, 170, (c) =>
        c.lineChart({
          theme,
          width,
          height: 170,
          series,
          points,
          xLabel: 'step',
          yLabel: 'share',
          yDomain: [0, 1],
          rules,
          onPick: pick,
          ariaLabel: 'Sample accuracy and copy rate over checkpoints',
          description: timelineDescription(d),
          describedBy: 'timeline-table',
        }),
      ),
    );
    const ppl = d.timeline.filter((t) => t.perplexity !== null).map((t) => ({ x: t.step, series: 'ppl', y: t.perplexity! }));
    if (ppl.length) {
      body.append(
        chartSlot(width, 130, (c) =>
          c.lineChart({
            theme,
            width,
            height: 130,
            series: [{ key: 'ppl', label: 'reference perplexity', color: theme.series.purple }],
            points: ppl,
            xLabel: 'step',
            yLabel: 'reference perplexity',
            yLog: true,
            rules,
            onPick: pick,
            ariaLabel: 'Reference perplexity over checkpoints',
            description: `Reference perplexity from ${num(ppl[0]!.y)} at step ${ppl[0]!.x} to ${num(ppl.at(-1)!.y)} at step ${ppl.at(-1)!.x}.`,
            describedBy: 'timeline-table',
          }),
        ),
      );
    }
  };
  draw();
  redrawTimeline = draw;
  const table = el('table', { className: 'numbers', attrs: { id: 'timeline-table' } }, [
    tableHead(['step', 'accuracy', 'perplexity', 'copy rate', 'memorized', 'pre-mem']),
    el(
      'tbody',
      {},
      // Enter on a row shows that checkpoint's samples: the keyboard's way to a click on the chart.
      d.timeline.map((t) =>
        pickableRow(
          el('tr', { className: t.step === d.memorizationStep ? 'memorization' : '', attrs: { id: `timeline-row-${t.step}` } }, [
            el('td', { text: String(t.step) }),
            el('td', { text: num(t.accuracy) }),
            el('td', { text: num(t.perplexity) }),
            el('td', { text: num(t.copyRate) }),
            el('td', { text: t.memorized ? 'yes' : 'no' }),
            el('td', { text: num(t.preMemorizationAccuracy) }),
          ]),
          () => void selectStep(t.step),
        ),
      ),
    ),
  ]);
  return section('Across checkpoints', [body, el('details', {}, [el('summary', { text: 'Numbers (Enter on a row shows its samples)' }), table])]);
}

/** "Sample accuracy 0.25 at step 6 and 1.00 at step 36; memorized at step 6; pre-memorization accuracy 0.00 at the end." */
function timelineDescription(d: ExampleDetail): string {
  const first = d.timeline[0];
  const last = d.timeline.at(-1);
  if (!first || !last) return 'No checkpoints.';
  return `Sample accuracy ${num(first.accuracy, 2)} at step ${first.step} and ${num(last.accuracy, 2)} at step ${last.step}; ${
    d.memorizationStep === null ? 'never memorized' : `memorized at step ${d.memorizationStep}`
  }; pre-memorization accuracy ${num(last.preMemorizationAccuracy, 2)} at the end.`;
}

let redrawTimeline: (() => void) | null = null;
onThemeChange(() => redrawTimeline?.());

function samplesSection(d: ExampleDetail): HTMLElement {
  const picker = dropdown(
    d.timeline.map((t) => ({ value: String(t.step), label: `step ${t.step}${t.step === d.memorizationStep ? ' (memorized)' : ''}` })),
    String(step),
    (v) => void selectStep(Number(v)),
    { id: 'checkpoint', label: 'Checkpoint' },
  );
  samplesHost = el('div', { className: 'samples', attrs: { id: 'samples' } });
  return el('section', { className: 'panel-section' }, [
    el('div', { className: 'section-title' }, [el('h2', { text: 'Samples at' }), picker.element]),
    d.hasTexts ? termsList() : el('p', { className: 'muted', text: 'This run kept no sample texts: only whether each sample was correct is known.' }),
    samplesHost,
  ]);
}

async function selectStep(s: number): Promise<void> {
  if (!detail || s === step) return;
  step = s;
  saveState();
  const picker = document.getElementById('checkpoint') as (HTMLElement & { value: string }) | null;
  if (picker && picker.value !== String(s)) picker.value = String(s);
  await loadSamples();
}

/** The samples last shown: a re-render for a flag or a note keeps them instead of asking again. */
let shownSamples: { key: string; nodes: HTMLElement[] } | null = null;

async function loadSamples(): Promise<void> {
  if (!samplesHost || step === null || !detail) return;
  const mine = ++generation;
  const host = samplesHost;
  const key = `${detail.runPath}#${detail.index}@${step}`;
  if (shownSamples?.key === key) {
    host.append(...shownSamples.nodes);
    host.setAttribute('data-step', String(step));
    return;
  }
  host.setAttribute('aria-busy', 'true');
  const ring = progressRing();
  host.prepend(ring);
  try {
    const data = await client.request('checkpoint', { step });
    if (mine !== generation) return;
    clear(host);
    const nodes = renderSamples(data);
    host.append(...nodes);
    host.setAttribute('data-step', String(data.step));
    shownSamples = { key, nodes };
    markPainted('complete');
  } catch (e) {
    if (mine === generation) {
      clear(host);
      host.append(el('p', { className: 'error', text: (e as Error).message }));
    }
  } finally {
    if (mine === generation) host.removeAttribute('aria-busy');
  }
}

function renderSamples(data: CheckpointSamples): HTMLElement[] {
  const correct = data.samples.filter((s) => s.outcome === 'correct').length;
  const rates = data.samples.map((s) => s.copyRate).filter((r): r is number => r !== null);
  const meanRate = rates.length ? rates.reduce((a, b) => a + b, 0) / rates.length : null;
  const summary = el('p', { className: 'samples-summary', attrs: { id: 'samples-summary' } }, [
    `${correct} of ${data.samples.length} samples correct`,
    meanRate === null ? '' : ` · mean copy rate ${num(meanRate)}`,
    ` · sample set ${data.sampleSet}`,
  ]);
  if (!data.hasTexts) {
    return [
      summary,
      el(
        'div',
        { className: 'outcomes' },
        data.samples.map((s) => outcomeBadge(s, `sample ${s.sample + 1}`)),
      ),
    ];
  }
  return [summary, ...data.samples.map((s) => sampleCard(s, data.step))];
}

function outcomeBadge(s: SampleView, prefix = ''): HTMLElement {
  const text = s.outcome === 'correct' ? '✓ correct' : s.outcome === 'wrong' ? '✗ wrong' : '∅ no answer';
  return el('span', { className: `outcome ${s.outcome}`, text: prefix ? `${prefix} ${text}` : text });
}

function sampleCard(s: SampleView, atStep: number): HTMLElement {
  const head = el('div', { className: 'sample-head' }, [
    el('h3', { text: `Sample ${s.sample + 1}` }),
    outcomeBadge(s),
    el('span', { className: 'muted', text: `copy rate ${num(s.copyRate, 2)}`, title: TERMS['copy rate'] }),
    el('span', { className: 'muted' }, ['answer ', el('code', { text: s.finalAnswer ?? '–' })]),
    button('Open in Diff Editor', () => void client.request('openDiff', { step: atStep, sample: s.sample }).catch((e: Error) => showError(e.message)), {
      title: 'Compare with the reference in VS Code’s diff editor',
    }),
  ]);
  const grid = el('div', { className: 'alignment', attrs: { role: 'table', 'aria-label': `Sample ${s.sample + 1} against the reference, step by step` } }, [
    el('div', { className: 'alignment-head', attrs: { role: 'row' } }, [
      el('span', { text: 'match', attrs: { role: 'columnheader' } }),
      el('span', { text: 'sample', attrs: { role: 'columnheader' } }),
      el('span', { text: 'reference', attrs: { role: 'columnheader' } }),
    ]),
    ...s.rows.map(alignedRow),
  ]);
  if (s.rows.length === 0) grid.append(el('p', { className: 'muted', text: s.text === null ? 'No text kept for this sample.' : 'Empty sample.' }));
  return el('article', { className: `sample ${s.outcome}` }, [head, grid]);
}

function alignedRow(r: AlignedRow): HTMLElement {
  const label = r.kind === 'reworded' || (r.kind === 'copied' && r.similarity !== null && r.similarity < 1) ? `${KIND_LABEL[r.kind]} ${num(r.similarity, 2)}` : KIND_LABEL[r.kind];
  return el('div', { className: `aligned ${r.kind}`, attrs: { role: 'row' } }, [
    el('span', { className: 'kind', text: label, title: TERMS[KIND_LABEL[r.kind]], attrs: { role: 'rowheader' } }),
    cell(r.sample, r.diff, 'added'),
    cell(r.reference, r.diff, 'removed'),
  ]);
}

/** One side of a step pair: its words, with those the other side lacks highlighted. */
function cell(textValue: string | null, diff: AlignedRow['diff'], highlight: 'added' | 'removed'): HTMLElement {
  const c = el('span', { className: `step text${textValue === null ? ' none' : ''}`, attrs: { role: 'cell' } });
  if (textValue === null) return c;
  const body = el('span', { className: 'step-body' });
  if (!diff) {
    body.textContent = visible(textValue);
  } else {
    for (const seg of diff) {
      if (seg.change === 'same') body.append(visible(seg.text));
      else if (seg.change === highlight) body.append(el(highlight === 'added' ? 'ins' : 'del', { text: seg.text }));
    }
  }
  c.append(foldable(body, textValue.length));
  return c;
}

document.addEventListener('keydown', (e) => {
  const target = e.target as HTMLElement | null;
  if (target && /^(INPUT|TEXTAREA|VSCODE-TEXT-FIELD|VSCODE-DROPDOWN)$/.test(target.tagName)) return;
  if (e.key === 'ArrowLeft' || e.key === 'p') void navigate('previous');
  else if (e.key === 'ArrowRight' || e.key === 'n') void navigate('next');
});

mark('script');
void start();
