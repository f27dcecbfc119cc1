import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { main } from '../../src/cli/main';
import { encodeNpy } from '../../src/ingest/npy';

export function int64Npy(values: readonly number[], shape: readonly number[]): Buffer {
  const b = Buffer.alloc(values.length * 8);
  values.forEach((v, i) => b.writeBigInt64LE(BigInt(v), i * 8));
  return encodeNpy('<i8', shape, b);
}

export function float64Npy(values: readonly number[]): Buffer {
  const b = Buffer.alloc(values.length * 8);
  values.forEach((v, i) => b.writeDoubleLE(v, i * 8));
  return encodeNpy('<f8', [values.length], b);
}

export function unicodeNpy(values: readonly string[], shape: readonly number[], chars: number): Buffer {
  const b = Buffer.alloc(values.length * chars * 4);
  values.forEach((s, i) => {
    const cps = [...s].map((c) => c.codePointAt(0)!);
    if (cps.length > chars) throw new Error('string too long for the dtype');
    cps.forEach((cp, k) => b.writeUInt32LE(cp, (i * chars + k) * 4));
  });
  return encodeNpy(`<U${chars}`, shape, b);
}

export interface NpyCheckpointSpec {
  readonly step: number;
  /** codes[question][sample]: 0 correct, 1 wrong, 2 no answer. */
  readonly train: readonly (readonly number[])[];
  readonly ppl: readonly number[];
  readonly test?: readonly (readonly number[])[];
  readonly setName?: string;
  readonly texts?: readonly (readonly string[])[];
}

/** A run in the authors' .npy layout, written from plain arrays. */
export function writeNpyRun(dir: string, checkpoints: readonly NpyCheckpointSpec[], subsample?: readonly number[]): string {
  mkdirSync(dir, { recursive: true });
  if (subsample) writeFileSync(join(dir, 'subsample_idxs.npy'), int64Npy(subsample, [subsample.length]));
  for (const c of checkpoints) writeNpyCheckpoint(dir, c);
  return dir;
}

export function writeNpyCheckpoint(runDir: string, c: NpyCheckpointSpec): string {
  const ckpt = join(runDir, `checkpoint-${c.step}`);
  mkdirSync(ckpt, { recursive: true });
  const set = c.setName ?? 'types2_seed2_temp0.8';
  const n = c.train[0]?.length ?? 0;
  writeFileSync(join(ckpt, `train_answer_${set}.npy`), int64Npy(c.train.flat(), [c.train.length, n]));
  writeFileSync(join(ckpt, 'train_perplexities.npy'), float64Npy(c.ppl));
  if (c.test) writeFileSync(join(ckpt, `test_answer_${set}.npy`), int64Npy(c.test.flat(), [c.test.length, c.test[0]!.length]));
  if (c.texts) {
    writeFileSync(join(ckpt, `train_answers${set.replace(/^types/, '')}.npy`), unicodeNpy(c.texts.flat(), [c.texts.length, n], 64));
  }
  return ckpt;
}

/** Captures what the CLI prints, for in-process runs of `main`. */
export function captureIo(): { out: string[]; err: string[]; io: { out(t: string): void; err(t: string): void } } {
  const out: string[] = [];
  const err: string[] = [];
  return { out, err, io: { out: (t) => out.push(t), err: (t) => err.push(t) } };
}

/** Runs `premem` in-process, as the bin would, capturing its output and exit code. */
export async function runCli(...args: string[]): Promise<{ code: number; out: string; err: string }> {
  const c = captureIo();
  const code = await main(args, c.io);
  return { code, out: c.out.join('\n'), err: c.err.join('\n') };
}
