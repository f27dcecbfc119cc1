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


def main(sweep, t):
    start = time.perf_counter()
    runs = []
    xs, ys = [], []
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
        acc = np.stack(accs)[:, sub]
        ppl = np.stack(ppls)[:, sub]
        with np.errstate(invalid="ignore", divide="ignore"):
            memorized = np.log(np.log(ppl)) < t
        premem = np.minimum(acc, np.maximum.accumulate(acc * (~memorized), axis=0))
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
