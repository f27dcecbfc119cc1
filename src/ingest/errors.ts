/**
 * Every problem with a user's files ends up here: one line naming the file (and line, for
 * text formats), so the CLI can print it and the editor can point at it.
 */
export class InputError extends Error {
  constructor(
    readonly file: string,
    readonly detail: string,
    readonly line?: number,
  ) {
    super(`${file}${line === undefined ? '' : `:${line}`}: ${detail}`);
    this.name = 'InputError';
  }
}

/**
 * A run whose checkpoints all have model files and none has samples yet: a fresh Trainer run,
 * which is exactly when a user wants a plan. Not an error to alarm about: the editor lists it as
 * "not evaluated", with its checkpoints, and offers to plan the evaluation.
 */
export class NotEvaluatedError extends InputError {
  constructor(
    runDir: string,
    readonly steps: readonly number[],
  ) {
    super(
      runDir,
      `not evaluated yet: ${steps.length} checkpoint${steps.length === 1 ? '' : 's'} (step${steps.length === 1 ? '' : 's'} ${steps.join(', ')}) with model files and no samples. premem plan lm-eval <run> --out DIR writes the harness tasks that evaluate them (or premem sample, for ONNX checkpoints)`,
    );
    this.name = 'NotEvaluatedError';
  }
}
