"""The "Does it hold?" figures in numpy, from the authors' .npy arrays: the reference that
test/unit/does-it-hold.test.ts holds premem report --json's sensitivity, predictors and early to.

    python3 does_it_hold.py SWEEP [T]

Every fit is np.polyfit(x, y, 1) with R^2 = corrcoef(x, y)^2; leave-one-run-out RMSE fits on
every other run's points and predicts the held-out run's, the RMSE over all predictions.
"""
import json
import sys

import numpy as np

# The authors' layout and metric, shared with the bit-for-bit baseline.
from numpy_baseline import load_runs, pre_memorization


def load(sweep):
    return list(load_runs(sweep))


def premem(run, t):
    return pre_memorization(run["acc"], run["ppl"], t)


def quality(points):
    """points: (run, x, y). R^2 of the line, and its leave-one-run-out RMSE."""
    xs = np.array([p[1] for p in points])
    ys = np.array([p[2] for p in points])
    r2 = float(np.corrcoef(xs, ys)[0, 1] ** 2) if len(points) >= 2 else None
    names = sorted({p[0] for p in points})
    if len(names) < 3:
        return {"r2": r2, "loo_rmse": None}
    errors = []
    for held in names:
        train = [p for p in points if p[0] != held]
        slope, intercept = np.polyfit([p[1] for p in train], [p[2] for p in train], 1)
        errors += [slope * p[1] + intercept - p[2] for p in points if p[0] == held]
    return {"r2": r2, "loo_rmse": float(np.sqrt(np.mean(np.square(errors))))}


def per_checkpoint(runs, value):
    points = []
    for run in runs:
        for j, test in enumerate(run["tests"]):
            x = value(run, j)
            if test is not None and np.isfinite(x):
                points.append((run["name"], float(x), test))
    return points


def main(sweep, t):
    runs = load(sweep)
    sensitivity = []
    for i in range(41):
        threshold = (i - 40) / 10
        pm = {run["name"]: premem(run, threshold)[0] for run in runs}
        points = per_checkpoint(runs, lambda run, j: pm[run["name"]][j].mean())
        sensitivity.append({"threshold": threshold, **quality(points), "points": len(points)})
    at_t = {run["name"]: premem(run, t) for run in runs}

    def mean_log_ppl(run, j):
        logs = np.log(run["ppl"][j])
        return logs[np.isfinite(logs)].mean()

    predictors = [
        {"name": "pre_memorization_accuracy", **quality(per_checkpoint(runs, lambda run, j: at_t[run["name"]][0][j].mean()))},
        {"name": "train_accuracy", **quality(per_checkpoint(runs, lambda run, j: run["acc"][j].mean()))},
        {"name": "memorized_fraction", **quality(per_checkpoint(runs, lambda run, j: at_t[run["name"]][1][j].mean()))},
        {"name": "mean_log_perplexity", **quality(per_checkpoint(runs, mean_log_ppl))},
    ]
    early = []
    for j in range(1, max(len(run["tests"]) for run in runs) + 1):
        def at(kind):
            points = []
            for run in runs:
                if run["tests"][-1] is None:
                    continue
                k = min(j, len(run["tests"])) - 1
                x = at_t[run["name"]][0][k].mean() if kind == "premem" else run["acc"][k].mean()
                points.append((run["name"], float(x), run["tests"][-1]))
            return quality(points)
        early.append({"checkpoints": j, "pre_memorization_accuracy": at("premem"), "train_accuracy": at("train")})
    print(json.dumps({"sensitivity": sensitivity, "predictors": predictors, "early": early}))


if __name__ == "__main__":
    main(sys.argv[1], float(sys.argv[2]) if len(sys.argv) > 2 else -2.3)
