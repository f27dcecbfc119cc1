/**
 * What a run says of how it was trained (ingest/hyperparameters.ts reads the files), and the
 * authors' run names, which carry the same facts: pure, so the sweep table can group by them.
 */
export type HyperValue = string | number | boolean;

export interface Hyperparameter {
  readonly value: HyperValue;
  readonly source: 'run.json' | 'trainer_state.json' | 'run name';
}

export type Hyperparameters = Readonly<Record<string, Hyperparameter>>;

/** The authors' naming: gsm8k_orig_3epochs_full_lr2e-05_bs128. */
export function fromRunName(name: string): Record<string, HyperValue> {
  const out: Record<string, HyperValue> = {};
  const epochs = /(?:^|[_-])(\d+(?:\.\d+)?)epochs?(?=[_-]|$)/.exec(name);
  if (epochs) out['num_train_epochs'] = Number(epochs[1]);
  const share = /(?:^|[_-])(full|half|quarter)(?=[_-]|$)/.exec(name);
  if (share) out['data'] = share[1]!;
  const lr = /(?:^|[_-])lr(\d+(?:\.\d+)?(?:e[-+]?\d+)?)(?=[_-]|$)/i.exec(name);
  if (lr) out['learning_rate'] = Number(lr[1]);
  const bs = /(?:^|[_-])bs(\d+)(?=[_-]|$)/.exec(name);
  if (bs) out['batch_size'] = Number(bs[1]);
  return out;
}
