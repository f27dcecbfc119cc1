#!/usr/bin/env bash
# Makes the Python environment of the harness suite (npm run test:harness): the real
# lm-evaluation-harness 0.4.13 with transformers and torch 2.13.0 (CPU), pinned in
# requirements.txt, in .tools/harness-venv (git-ignored). Cached: a second run with the same
# requirements takes a second. `pip install torch==2.13.0` takes the CPU build these machines keep
# on disk; an unpinned torch would download a CUDA build of several GB.
set -euo pipefail
cd "$(dirname "$0")/../.."
VENV="${PREMEM_HARNESS_VENV:-$PWD/.tools/harness-venv}"
REQ="$PWD/test/harness/requirements.txt"
STAMP="$VENV/.requirements-$(sha256sum "$REQ" | cut -c1-16)"

if [ -f "$STAMP" ]; then
  echo "setup-venv: harness environment ready in $VENV"
  exit 0
fi
PYTHON="${PYTHON:-python3}"
command -v "$PYTHON" >/dev/null || { echo "setup-venv: no $PYTHON on PATH (Python 3.10+ with venv is needed)" >&2; exit 1; }
echo "setup-venv: installing lm-eval, transformers and torch into $VENV (a few minutes the first time)"
rm -rf "$VENV"
"$PYTHON" -m venv "$VENV"
"$VENV/bin/python" -m pip install --quiet --disable-pip-version-check --upgrade pip
"$VENV/bin/python" -m pip install --quiet --disable-pip-version-check -r "$REQ"
"$VENV/bin/python" -c "import lm_eval, transformers, torch, onnxscript; print('setup-venv: torch', torch.__version__, '| transformers', transformers.__version__)"
touch "$STAMP"
echo "setup-venv: done"
