/**
 * The texts a reference is scored as. Kept apart from the scorer so the editor can name them
 * without loading onnxruntime (which only the scoring worker loads).
 */

/** How a training example becomes the scored text: the authors' format by default. */
export interface ScoreTemplates {
  /** `{question}` is replaced by the question. */
  readonly prompt: string;
  /** `{answer}` is replaced by the reference solution. */
  readonly target: string;
}

export const AUTHORS_TEMPLATES: ScoreTemplates = { prompt: '{question}\nAnswer:', target: ' {answer}\nDone.' };

export function fillTemplates(t: ScoreTemplates, question: string, answer: string): { prompt: string; target: string } {
  return { prompt: t.prompt.split('{question}').join(question), target: t.target.split('{answer}').join(answer) };
}
