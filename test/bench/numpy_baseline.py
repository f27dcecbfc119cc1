"""The authors' computation in numpy, as a baseline and an independent cross-check.

Reads a sweep in the authors' .npy layout and prints one JSON object: per run and
checkpoint the dataset means (as float.hex, so a comparison can be bit for bit), the
sweep fit, the wall time and the peak memory of this process.
"""
import json
import math
import os
import re
import resource
import sys
import time

import numpy as np

PREFERENCE = ["types5_seed2_temp0.8", "types50_seed2_temp0.8", "types5_seed2", "types50_seed2", "types10_seed2_temp0.8"]


def first_present(ckpt, split):
    for name in PREFERENCE:
        path = os.path.join(ckpt, f"{split}_answer_{name}.npy")
        if os.path.exists(path):
            return name, np.load(path)
    return None, None


def load_runs(sweep):
    """Each run of a sweep in turn (one in memory at a time): its steps, and per checkpoint (rows)
    each analysed example's train accuracy and reference perplexity, and the test accuracy (None
    where the checkpoint has no test evaluation)."""
    for run in sorted(os.listdir(sweep)):
        run_dir = os.path.join(sweep, run)
        steps = sorted(int(m.group(1)) for m in (re.match(r"checkpoint-(\d+)$", d) for d in os.listdir(run_dir)) if m)
        if not steps:
            continue
        sub = np.load(os.path.join(run_dir, "subsample_idxs.npy"))
        accs, ppls, tests = [], [], []
        for step in steps:
            ckpt = os.path.join(run_dir, f"checkpoint-{step}")
            _, train = first_present(ckpt, "train")
            _, test = first_present(ckpt, "test")
            accs.append((train == 0).mean(axis=1))
            ppls.append(np.load(os.path.join(ckpt, "train_perplexities.npy")))
            tests.append(None if test is None else float((test == 0).mean()))
        yield {"name": run, "steps": steps, "acc": np.stack(accs)[:, sub], "ppl": np.stack(ppls)[:, sub], "tests": tests}


def pre_memorization(acc, ppl, t):
    """The authors' metric at ln ln threshold t: pre-memorization accuracy and the memorized mask."""
    with np.errstate(invalid="ignore", divide="ignore"):
        memorized = np.log(np.log(ppl)) < t
    return np.minimum(acc, np.maximum.accumulate(acc * (~memorized), axis=0)), memorized


def main(sweep, t):
    start = time.perf_counter()
    runs = []
    xs, ys = [], []
    for loaded in load_runs(sweep):
        run, steps, acc, tests = loaded["name"], loaded["steps"], loaded["acc"], loaded["tests"]
        premem, memorized = pre_memorization(acc, loaded["ppl"], t)
        checkpoints = []
        for j, step in enumerate(steps):
            checkpoints.append({
                "step": step,
                "train_accuracy": float(acc[j].mean()).hex(),
                "pre_memorization_accuracy": float(premem[j].mean()).hex(),
                "memorized_fraction": float(memorized[j].mean()).hex(),
                "test_accuracy": None if tests[j] is None else tests[j].hex(),
            })
            if tests[j] is not None:
                xs.append(float(premem[j].mean()))
                ys.append(tests[j])
        runs.append({"name": run, "checkpoints": checkpoints})
    r = np.corrcoef(xs, ys)[0, 1]
    slope, intercept = np.polyfit(xs, ys, 1)
    seconds = time.perf_counter() - start
    print(json.dumps({
        "runs": runs,
        "fit": {"points": len(xs), "slope": slope, "intercept": intercept, "r2": r * r},
        "seconds": seconds,
        "peak_rss_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024,
    }))


if __name__ == "__main__":
    main(sys.argv[1], float(sys.argv[2]) if len(sys.argv) > 2 else -2.3)
