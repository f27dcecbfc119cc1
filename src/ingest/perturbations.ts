import type { Change, Perturbation, PerturbationKind } from '../core/perturb';
import { InputError } from './errors';
import { Fields, jsonlLines, type JsonlLine } from './jsonl';

/**
 * `perturbations.jsonl` (what `premem perturb` writes, and what other tools can write): one
 * perturbed variant of a training question per line,
 * `{"id", "index", "kind", "preserves_answer", "question", "answer", "changes": [{"from", "to"}]}`.
 * `id` is unique in the file; `index` is the original example's index in the training set;
 * `kind` is free text for variants made elsewhere.
 */
export function readPerturbations(file: string): Perturbation[] {
  return readPerturbationLines(file).map((l) => l.variant);
}

/** The variants with their lines as written (a plan's subset file hands them back untouched). */
export function readPerturbationLines(file: string): { variant: Perturbation; raw: string }[] {
  const seen = new Set<string>();
  const out: { variant: Perturbation; raw: string }[] = [];
  for (const e of jsonlLines(file)) {
    const p = perturbationFields(file, e);
    if (seen.has(p.id)) throw new InputError(file, `variant "${p.id}" appears twice`, e.line);
    seen.add(p.id);
    out.push({ variant: p, raw: e.raw });
  }
  if (out.length === 0) throw new InputError(file, 'has no perturbed variants');
  return out;
}

export function perturbationFields(file: string, e: JsonlLine): Perturbation {
  const f = new Fields(file, e);
  const id = e.value['id'];
  if (typeof id !== 'string' && typeof id !== 'number') throw new InputError(file, `"id" must be a string or a number, got ${JSON.stringify(id)?.slice(0, 40)}`, e.line);
  const changes = e.value['changes'] ?? [];
  if (!Array.isArray(changes) || changes.some((c) => !isChange(c))) throw new InputError(file, '"changes" must be a list of {"from": text, "to": text}', e.line);
  const preserves = e.value['preserves_answer'] ?? true;
  if (typeof preserves !== 'boolean') throw new InputError(file, '"preserves_answer" must be true or false', e.line);
  return {
    id: String(id),
    index: f.index('index'),
    kind: (f.has('kind') ? f.string('kind') : 'unspecified') as PerturbationKind,
    preserves_answer: preserves,
    question: f.string('question'),
    answer: f.string('answer'),
    changes: changes as Change[],
  };
}

function isChange(c: unknown): c is Change {
  return typeof c === 'object' && c !== null && typeof (c as Change).from === 'string' && typeof (c as Change).to === 'string';
}
