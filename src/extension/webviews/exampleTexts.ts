import * as vscode from 'vscode';
import type { IndexService } from '../indexService';

export const EXAMPLE_TEXT_SCHEME = 'premem-example';

interface TextKey {
  readonly runPath: string;
  readonly index: number;
  /** Absent for the reference solution. */
  readonly step?: number;
  readonly sample?: number;
}

/** A read-only document for a reference solution or one model sample, as the diff editor shows it. */
export function exampleTextUri(runName: string, key: TextKey): vscode.Uri {
  const file = key.step === undefined ? 'reference.txt' : `step-${key.step}-sample-${key.sample}.txt`;
  return vscode.Uri.from({ scheme: EXAMPLE_TEXT_SCHEME, path: `/${runName}/example-${key.index}/${file}`, query: JSON.stringify(key) });
}

/** Serves those documents from the index, never from run files: a virtual document cannot be edited. */
export class ExampleTextProvider implements vscode.TextDocumentContentProvider {
  constructor(private readonly index: IndexService) {}

  async provideTextDocumentContent(uri: vscode.Uri): Promise<string> {
    const key = JSON.parse(uri.query) as TextKey;
    const run = await this.index.runByPath(key.runPath);
    const example = run && (await this.index.example(run, key.index));
    if (!run || !example) return `(example ${key.index} of ${key.runPath} is not in the index)`;
    if (key.step === undefined) return example.answer ?? '(the run has no reference solution for this example)';
    return (await this.index.sampleText(run, example, key.step, key.sample ?? 0)) ?? '(no text was kept for this sample)';
  }
}
