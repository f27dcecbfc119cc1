import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { InputError } from '../ingest/errors';
import { enablePhaseTimes, phaseTimes, phaseTimesEnabled } from '../diagnostics/phaseTimes';
import { terminalSafe } from '../present/format';
import { UsageError, type Command, type CommandIo } from './command';
import { COMMANDS } from './commandTable';
import { bindOptionValues } from './options';

/** What `bin/premem.js` (and the tests) hand the CLI: raw writers for standard output and error. */
export interface Output {
  out(text: string): void;
  err(text: string): void;
}

/** The package's version: its package.json is beside dist/ (the bundle) or three up from out/src/cli/. */
function packageVersion(): string {
  const file = [join(__dirname, '..', 'package.json'), join(__dirname, '..', '..', '..', 'package.json')].find((f) => existsSync(f))!;
  return (JSON.parse(readFileSync(file, 'utf8')) as { version: string }).version;
}

const ABOUT = `premem: pre-memorization train accuracy for LLM fine-tuning runs (Kang et al. 2024)`;

const NOTES = `<dir> is a run (a folder with checkpoint-<step> sub-folders) or a sweep (a folder of runs).
The index defaults to .premem/index.sqlite under the current folder; run folders are never written to.
Flags and notes live beside it in <index>.flags.sqlite, which no re-index, upgrade or deletion of
the index touches. Memorized means ln(ln(perplexity)) < T (default -2.3, the authors' GSM8K choice)
or perplexity < P; with --memorization text, that most samples copy at least R (default 0.5) of the
reference steps verbatim. premem <command> --help lists a command's options.`;

export function usage(): string {
  const width = Math.max(...COMMANDS.map((c) => c.name.length));
  const lines = COMMANDS.map((c) => `  ${c.name.padEnd(width)}  ${c.summary}`);
  return `${ABOUT}\n\nusage: premem <command> [options]\n\ncommands:\n${lines.join('\n')}\n\n${NOTES}`;
}

export function commandUsage(c: Command): string {
  const names = Object.keys(c.options);
  const width = Math.max(0, ...names.map((n) => n.length)) + 2;
  const options = Object.entries(c.options).map(([name, o]) => `  --${name.padEnd(width)}${o.help}`);
  return `usage: premem ${c.name} ${c.usage}\n\n${c.summary}\n\noptions:\n${options.join('\n')}\n  --${'help'.padEnd(width)}this text`;
}

/** Runs one CLI call and resolves to its exit code; never throws for anything the user did. */
export async function main(argv: readonly string[], raw: Output): Promise<number> {
  // Everything printed for people may carry text from users' files: control characters are
  // shown, never obeyed. JSON output is escaped by JSON.stringify and written as is.
  const io: CommandIo = {
    out: (t) => raw.out(terminalSafe(t)),
    err: (t) => raw.err(terminalSafe(t)),
    json: (v) => raw.out(JSON.stringify(v)),
  };
  const [name, ...rest] = argv;
  if (name === '--version') {
    io.out(packageVersion());
    return 0;
  }
  if (name === undefined || name === '--help' || name === '-h' || name === 'help') {
    io.out(usage());
    return name === undefined ? 2 : 0;
  }
  const command = COMMANDS.find((c) => c.name === name);
  if (!command) {
    io.err(`premem: unknown command "${name}"\n(see premem --help)`);
    return 2;
  }
  if (rest.includes('--help') || rest.includes('-h')) {
    io.out(commandUsage(command));
    return 0;
  }
  let parsed;
  try {
    parsed = parseArgs({ args: bindOptionValues(rest, command.options), options: command.options, allowPositionals: true, strict: true });
  } catch (e) {
    const err = e as Error & { code?: string };
    const option = /'(-[^']*)'/.exec(err.message)?.[1];
    const message = err.code === 'ERR_PARSE_ARGS_UNKNOWN_OPTION' && option ? `premem ${command.name} does not take ${option.split('=')[0]}` : err.message;
    io.err(`premem: ${message}\n\n${commandUsage(command)}`);
    return 2;
  }
  const startUp = performance.now();
  if (process.env['PREMEM_TIMINGS']) enablePhaseTimes();
  try {
    return await command.run({ values: parsed.values, positionals: parsed.positionals, io });
  } catch (e) {
    if (e instanceof UsageError) {
      io.err(`premem: ${e.message}\n(see premem ${command.name} --help)`);
      return 2;
    }
    const err = e as Error;
    io.err(`premem: error: ${err.message}`);
    if (!(e instanceof InputError) && process.env['PREMEM_DEBUG']) io.err(err.stack ?? '');
    return 1;
  } finally {
    if (phaseTimesEnabled()) raw.err(`premem timings (ms): ${JSON.stringify(timingsReport(startUp))}`);
  }
}

/**
 * PREMEM_TIMINGS: the command's wall time by phase. `start-up` is from process start to the
 * command (Node and module loading); `index: other` is indexing that is neither reading files
 * nor a write statement (mostly SQLite's commits); `total` is from process start.
 */
function timingsReport(startUp: number): Record<string, number> {
  const t = phaseTimes();
  const ms = (x: number) => Math.round(x * 10) / 10;
  const out: Record<string, number> = { 'start-up': ms(startUp) };
  for (const [phase, v] of t) if (phase !== 'index') out[phase] = ms(v);
  const index = t.get('index');
  if (index !== undefined) out['index: other'] = ms(index - (t.get('read') ?? 0) - (t.get('write') ?? 0));
  out['total'] = ms(performance.now());
  return out;
}
