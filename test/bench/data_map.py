"""The data map and the sweep table in numpy, from the authors' .npy arrays: the reference that
test/unit/data-map.test.ts holds `premem map --json` and `premem table --json` to, bit for bit.

    python3 data_map.py map RUN [T]
    python3 data_map.py table SWEEP [T]

Confidence and variability are np.mean and np.std over the checkpoint axis (Swayamdipta et al.
2020, with sample accuracy in place of the gold label's probability); floats are printed with
float.hex() so nothing is lost on the way.
"""
import json
import os
import sys

import numpy as np

# The authors' layout and metric, shared with the bit-for-bit baseline.
from numpy_baseline import load_runs, pre_memorization


def hexed(x):
    return None if not np.isfinite(x) else float(x).hex()


def per_example(run, t):
    premem, memorized = pre_memorization(run["acc"], run["ppl"], t)
    sub = np.load(os.path.join(run["dir"], "subsample_idxs.npy"))
    first = np.where(memorized.any(axis=0), memorized.argmax(axis=0), -1)
    steps = run["steps"]
    rows = {}
    for p, index in enumerate(sub.tolist()):
        f = int(first[p])
        copied = f > 0 and not (run["acc"][:f, p] > 0).any()
        rows[int(index)] = {
            "premem": premem[-1, p],
            "train": run["acc"][-1, p],
            "step": None if f == -1 else steps[f],
            "copied": copied,
        }
    return premem, memorized, first, sub, rows


def data_map(run_dir, t):
    sweep, name = os.path.split(os.path.normpath(run_dir))
    run = next(r for r in load_runs(sweep) if r["name"] == name)
    run["dir"] = run_dir
    acc = run["acc"]
    confidence = acc.mean(axis=0)
    variability = acc.std(axis=0)
    premem, memorized, first, sub, _ = per_example(run, t)
    lines = []
    for p in np.argsort(sub, kind="stable"):
        f = int(first[p])
        lines.append({
            "index": int(sub[p]),
            "confidence": hexed(confidence[p]),
            "variability": hexed(variability[p]),
            "pre_memorization_accuracy": hexed(premem[-1, p]),
            "memorized": f != -1,
            "memorization_step": None if f == -1 else run["steps"][f],
        })
    return lines


def table(sweep, t):
    runs = []
    for run in load_runs(sweep):
        run["dir"] = os.path.join(sweep, run["name"])
        runs.append((run["name"], per_example(run, t)[4]))
    runs.sort(key=lambda r: r[0])
    indices = sorted({i for _, rows in runs for i in rows})
    out = []
    for i in indices:
        cells, total, known, copied = {}, 0.0, 0, 0
        for name, rows in runs:
            if i not in rows:
                continue
            r = rows[i]
            cells[name] = {"pre_memorization_accuracy": hexed(r["premem"]), "memorization_step": r["step"], "train_accuracy": hexed(r["train"])}
            copied += r["copied"]
            if np.isfinite(r["premem"]):
                # Run by run, left to right: the order premem sums them in, written out here.
                total += float(r["premem"])
                known += 1
        out.append({"index": i, "copied_before_solved": copied, "mean_pre_memorization_accuracy": hexed(total / known) if known else None, "cells": cells})
    return {"runs": [name for name, _ in runs], "rows": out}


if __name__ == "__main__":
    kind, folder = sys.argv[1], sys.argv[2]
    t = float(sys.argv[3]) if len(sys.argv) > 3 else -2.3
    print(json.dumps(data_map(folder, t) if kind == "map" else table(folder, t)))
