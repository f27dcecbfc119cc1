#!/usr/bin/env bash
# Real lm-evaluation-harness logs for the unit tests: test/fixtures/lm-eval-0.4.13/. Every record
# there was written by the real harness (0.4.13, pinned in requirements.txt) running a real
# Hugging Face model; nothing is hand-built. Rerun this when the pinned harness changes, and
# commit what it writes:
#
#     bash test/harness/make-fixtures.sh
#
# What it does (about 5 minutes on 2 cores):
# 1. make_trainer_run.py: the harness suite's tiny GPT-2, fine-tuned with transformers.Trainer;
#    its first and last checkpoints (6 and 24) are kept.
# 2. premem perturb (the first 4 questions), premem plan lm-eval --limit 8 --samples 2
#    --perturbations, then the plan's run_all.sh: premem's own tasks (k samples per training,
#    test and perturbed question, reference log-likelihoods), logged under each checkpoint's
#    lm_eval/ as --output_path writes them. The checkpoints' tokenizer files are kept (perplexity
#    needs the tokens of each reference).
# 3. fixture_tasks.py: the harness's own task files, `include`d with local data and no few-shot
#    (gsm8k.yaml with its strict-match and flexible-extract filters, on training and test
#    questions; minerva_math_algebra.yaml on MATH-style problems with levels), on both
#    checkpoints; and the figures the unit tests check against, computed without Premem Lens
#    (a transformers forward pass of each reference, the authors' GSM8K grading, step copies).
# Model weights, optimizer state and the harness's results files are not kept: only the logs,
# the datasets and expected.json. The paths inside the logs are the temporary ones of the run
# that made them.
set -euo pipefail
cd "$(dirname "$0")/../.."
REPO="$PWD"
VENV="${PREMEM_HARNESS_VENV:-$REPO/.tools/harness-venv}"
OUT="$REPO/test/fixtures/lm-eval-0.4.13"
bash test/harness/setup-venv.sh
export PATH="$VENV/bin:$PATH" HF_HUB_OFFLINE=1 HF_DATASETS_OFFLINE=1 TOKENIZERS_PARALLELISM=false PYTHONHASHSEED=0
WORK="$(mktemp -d /tmp/premem-fixtures-XXXXXX)"
trap 'rm -rf "$WORK"' EXIT

python test/harness/make_trainer_run.py "$WORK" >/dev/null
rm -rf "$WORK/run/checkpoint-12" "$WORK/run/checkpoint-18"
node bin/premem.js perturb "$WORK/train.jsonl" --out "$WORK/perturbations.jsonl" --limit 4 >/dev/null
node bin/premem.js plan lm-eval "$WORK/run" --out "$WORK/plan" --backend hf --device cpu --batch-size 8 \
  --samples 2 --max-new-tokens 48 --model-args dtype=float32 --limit 8 --perturbations "$WORK/perturbations.jsonl" >/dev/null
bash "$WORK/plan/run_all.sh" >"$WORK/run_all.log" 2>&1 || { tail -40 "$WORK/run_all.log"; exit 1; }
python test/harness/fixture_tasks.py "$WORK"

rm -rf "$OUT"
# Two sweeps: GSM8K-style (the Trainer run's datasets, beside two runs of logs: the plan's tasks,
# and the harness's own gsm8k task) and MATH-style (logs only: the questions come from them).
mkdir -p "$OUT/gsm8k-style" "$OUT/math-style"
cp "$WORK/train.jsonl" "$WORK/test.jsonl" "$OUT/gsm8k-style/"
cp "$WORK/expected.json" "$OUT/expected.json"
copy_logs() { # from-root to-run
  for ckpt in checkpoint-6 checkpoint-24; do
    (cd "$1/$ckpt" && find . -name 'samples_*.jsonl') | while read -r rel; do
      mkdir -p "$2/$ckpt/lm_eval/$(dirname "$rel")"
      cp "$1/$ckpt/$rel" "$2/$ckpt/lm_eval/$rel"
    done
  done
}
copy_logs "$WORK/run" "$OUT/gsm8k-style/planned_run"
copy_logs "$WORK/gsm8k" "$OUT/gsm8k-style/harness_tasks_run"
copy_logs "$WORK/math" "$OUT/math-style/math_run"
# The planned run's logs sit under checkpoint-N/lm_eval/ already: one level, not two.
for ckpt in checkpoint-6 checkpoint-24; do
  d="$OUT/gsm8k-style/planned_run/$ckpt/lm_eval"
  if [ -d "$d/lm_eval" ]; then mv "$d/lm_eval"/* "$d/" && rmdir "$d/lm_eval"; fi
  for f in tokenizer.json tokenizer_config.json special_tokens_map.json; do
    [ -f "$WORK/run/$ckpt/$f" ] && cp "$WORK/run/$ckpt/$f" "$OUT/gsm8k-style/planned_run/$ckpt/"
  done
done
du -sh "$OUT"
find "$OUT" -type f | sort
