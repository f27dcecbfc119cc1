import { checkOwnedWrite, jsonlWithKeys, writeOwnedFile } from '../../output/ownedFiles';
import { resolve } from 'node:path';
import { ANSWER_PRESERVING, perturbDataset, type PerturbationKind } from '../../core/perturb';
import { readDataset } from '../../ingest/dataset';
import { defineCommand, UsageError } from '../command';
import { wholeNumber } from '../options';

const KINDS: readonly PerturbationKind[] = [...ANSWER_PRESERVING, 'resample-numbers'];

export const perturbCommand = defineCommand({
  name: 'perturb',
  usage: '<dataset> --out FILE [--seed S] [--kinds K1,K2] [--limit N] [--force]',
  summary: 'perturbed variants of training questions, each linked to its original (perturbations.jsonl)',
  options: {
    out: { type: 'string', help: 'FILE  where to write the variants (JSONL; see docs/robustness.md)' },
    seed: { type: 'string', help: 'S  same seed, same variants (default 0)' },
    kinds: { type: 'string', help: `K1,K2  which edits (default all: ${KINDS.join(', ')})` },
    limit: { type: 'string', help: 'N  only the first N questions of the dataset' },
    force: { type: 'boolean', help: 'replace FILE if an earlier premem perturb wrote it (never a file of another kind)' },
  },
  // eslint-disable-next-line @typescript-eslint/require-await
  async run({ values: v, positionals, io }) {
    if (positionals.length !== 1) throw new UsageError('premem perturb takes one dataset file (GSM8K form: {"question", "answer"} per line)');
    if (v.out === undefined) throw new UsageError('premem perturb needs --out FILE');
    const kinds = v.kinds?.split(',').map((k) => {
      if (!KINDS.includes(k as PerturbationKind)) throw new UsageError(`--kinds: "${k}" is not one of ${KINDS.join(', ')}`);
      return k as PerturbationKind;
    });
    const out = resolve(v.out);
    const dataset = resolve(positionals[0]!);
    const write = {
      path: out,
      writer: 'premem perturb',
      isOwn: jsonlWithKeys(['id', 'index', 'kind', 'preserves_answer']),
      force: v.force ?? false,
      protectedPaths: [{ path: dataset, what: 'the dataset being perturbed' }],
    };
    checkOwnedWrite(write);
    const records = readDataset(dataset).slice(0, wholeNumber(v.limit, '--limit', 1) ?? Infinity);
    const { perturbations, skipped } = perturbDataset(records, { seed: wholeNumber(v.seed, '--seed') ?? 0, kinds });
    writeOwnedFile({ ...write, text: perturbations.map((p) => JSON.stringify(p) + '\n').join('') });
    for (const k of kinds ?? KINDS) {
      const made = perturbations.filter((p) => p.kind === k).length;
      io.err(
        `${k.padEnd(20)} ${String(made).padStart(6)} variants${skipped[k] ? `, ${skipped[k]} questions skipped (${k === 'resample-numbers' ? 'arithmetic not replayable' : 'nothing to change'})` : ''}`,
      );
    }
    io.err(`wrote ${perturbations.length} variants of ${records.length} questions to ${out}`);
    return 0;
  },
});
