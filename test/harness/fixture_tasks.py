"""The second half of make-fixtures.sh: the harness's own task files on local data, and the figures
the unit tests check the logs against, computed here without Premem Lens's code.

    python fixture_tasks.py WORK

WORK holds what make-fixtures.sh made: train.jsonl and test.jsonl (the Trainer run's data), run/
(checkpoints 6 and 24, with the plan's logs under lm_eval/) and plan/ (the premem plan). This
writes WORK/gsm8k/<checkpoint>/ and WORK/math/<checkpoint>/ (the harness's --output_path of each
evaluation), WORK/math.jsonl (the MATH-style problems) and WORK/expected.json:

- "harness": the harness's own aggregate figures from each evaluation's results file, per layout,
  checkpoint and "<task>,<filter>" key (e.g. "exact_match,strict-match");
- "references": per checkpoint, the summed log-probability and token count of each planned
  reference from a float64 transformers forward pass (independent.py);
- "copies": per layout, checkpoint, task and document, the copy rate of each logged response
  against its reference: the share of reference steps the response reproduces, in order, at a
  similarity of at least 0.9 (steps are lines without the "#### N" line, calculator annotations
  dropped, white space folded; similarity is 1 - Levenshtein distance / longer length; steps pair
  by the order-keeping alignment that maximizes the summed similarity of pairs at 0.5 or more).
  The reference is the document's "solution" (MATH) or else its "answer" (GSM8K).
  Premem Lens's text criterion says the same in TypeScript (src/core/steps.ts); this is written
  again from that description so that the test compares two implementations, not one with itself.
"""

import glob
import json
import os
import subprocess
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
CHECKPOINTS = ["checkpoint-6", "checkpoint-24"]

# MATH-style problems in the MATH dataset's fields (problem, solution, level, type). The tiny
# model was never trained on them: its answers are what the harness's own grading makes of noise.
MATH = [
    {"problem": "What is $2+3$?", "solution": "We add: $2+3=5$. The answer is $\\boxed{5}$.", "level": "Level 1", "type": "Prealgebra"},
    {"problem": "Solve $x^2=9$ for $x>0$.", "solution": "Taking roots, $x=3$. So $x=\\boxed{3}$.", "level": "Level 2", "type": "Algebra"},
    {"problem": "What is $10/2$?", "solution": "Divide: $10/2=5$. Hence $\\boxed{5}$.", "level": "Level 1", "type": "Prealgebra"},
    {"problem": "What is $4 \\cdot 6$?", "solution": "Multiply: $4 \\cdot 6 = 24$. The answer is $\\boxed{24}$.", "level": "Level 1", "type": "Prealgebra"},
    {"problem": "If $3x = 12$, what is $x$?", "solution": "Divide both sides by 3: $x = 4$. So $x = \\boxed{4}$.", "level": "Level 2", "type": "Algebra"},
    {"problem": "What is $7-9$?", "solution": "Subtract: $7-9=-2$. The answer is $\\boxed{-2}$.", "level": "Level 3", "type": "Prealgebra"},
]


def lm_eval_tasks_dir():
    import lm_eval

    return os.path.join(os.path.dirname(lm_eval.__file__), "tasks")


def write_tasks(work):
    tasks = os.path.join(work, "tasks")
    os.makedirs(tasks, exist_ok=True)
    harness = lm_eval_tasks_dir()
    with open(os.path.join(work, "gsm8k_test.jsonl"), "w") as f:
        for line in open(os.path.join(work, "test.jsonl")).readlines()[:4]:
            f.write(line)
    with open(os.path.join(work, "math.jsonl"), "w") as f:
        for r in MATH:
            f.write(json.dumps(r) + "\n")
    train = os.path.join(work, "plan", "data", "train_first8.jsonl")
    # The harness's own gsm8k task (its prompt, metric and both filters), on local files, zero-shot;
    # generation stops at the fine-tuning format's end too, so that 48 new tokens suffice.
    for name, data in [("gsm8k_train", train), ("gsm8k_test", os.path.join(work, "gsm8k_test.jsonl"))]:
        with open(os.path.join(tasks, f"{name}.yaml"), "w") as f:
            f.write(
                f"include: {json.dumps(os.path.join(harness, 'gsm8k', 'gsm8k.yaml'))}\n"
                f"task: {name}\n"
                "tag: []\n"
                "dataset_path: json\n"
                "dataset_name: null\n"
                f"dataset_kwargs:\n  data_files:\n    test: {json.dumps(data)}\n"
                "training_split: null\n"
                "fewshot_split: null\n"
                "test_split: test\n"
                "num_fewshot: 0\n"
                "generation_kwargs:\n"
                '  until: ["Question:", "</s>", "<|im_end|>", "\\nDone."]\n'
                "  do_sample: false\n"
                "  temperature: 0.0\n"
                "  max_gen_toks: 48\n"
            )
    # The harness's own MATH task (minerva_math: its prompt, answer extraction and exact_match).
    with open(os.path.join(tasks, "minerva_math_train.yaml"), "w") as f:
        f.write(
            f"include: {json.dumps(os.path.join(harness, 'minerva_math', 'minerva_math_algebra.yaml'))}\n"
            "task: minerva_math_train\n"
            "tag: []\n"
            "dataset_path: json\n"
            "dataset_name: null\n"
            f"dataset_kwargs:\n  data_files:\n    test: {json.dumps(os.path.join(work, 'math.jsonl'))}\n"
            "training_split: null\n"
            "test_split: test\n"
            "num_fewshot: 0\n"
            "fewshot_config: null\n"
            "generation_kwargs:\n"
            '  until: ["Problem:", "\\nDone."]\n'
            "  do_sample: false\n"
            "  temperature: 0\n"
            "  max_gen_toks: 48\n"
        )
    return tasks


def evaluate(work, tasks, layout, task_names):
    out = {}
    for ckpt in CHECKPOINTS:
        dest = os.path.join(work, layout, ckpt)
        cmd = [
            "lm_eval", "--model", "hf",
            "--model_args", f"pretrained={os.path.join(work, 'run', ckpt)},dtype=float32",
            "--tasks", ",".join(task_names), "--include_path", tasks,
            "--device", "cpu", "--batch_size", "8", "--log_samples", "--output_path", dest,
        ]
        r = subprocess.run(cmd, capture_output=True, text=True)
        if r.returncode != 0:
            sys.stderr.write(r.stdout[-3000:] + r.stderr[-6000:])
            raise SystemExit(f"lm_eval failed on {layout}/{ckpt}")
        results = sorted(glob.glob(os.path.join(dest, "**", "results_*.json"), recursive=True))[-1]
        figures = json.load(open(results))["results"]
        out[ckpt] = {task: {k: v for k, v in figures[task].items() if isinstance(v, (int, float)) and "stderr" not in k} for task in task_names}
        # The results file holds the machine's paths and timings: not kept (the tests use these figures).
        for f in glob.glob(os.path.join(dest, "**", "results_*.json"), recursive=True):
            os.remove(f)
    return out


def levenshtein(a, b):
    if len(a) < len(b):
        a, b = b, a
    prev = list(range(len(b) + 1))
    for i, ca in enumerate(a, 1):
        cur = [i]
        for j, cb in enumerate(b, 1):
            cur.append(min(prev[j] + 1, cur[j - 1] + 1, prev[j - 1] + (ca != cb)))
        prev = cur
    return prev[-1]


def steps(text):
    import re

    out = []
    for line in re.split(r"\r?\n", text):
        if re.match(r"^\s*####", line) or line.strip() == "":
            continue
        out.append(re.sub(r"\s+", " ", re.sub(r"<<[^<>]*>>", "", line.strip())).strip())
    return out


def copy_rate(sample, reference):
    s, r = steps(sample), steps(reference)
    m, n = len(s), len(r)
    if n == 0:
        return 0.0
    sim = [[(1.0 if max(len(a), len(b)) == 0 else 1 - levenshtein(a, b) / max(len(a), len(b))) for b in r] for a in s]
    best = [[0.0] * (n + 1) for _ in range(m + 1)]
    for i in range(1, m + 1):
        for j in range(1, n + 1):
            v = max(best[i - 1][j], best[i][j - 1])
            if sim[i - 1][j - 1] >= 0.5:
                v = max(v, best[i - 1][j - 1] + sim[i - 1][j - 1])
            best[i][j] = v
    copied, i, j = 0, m, n
    while i > 0 or j > 0:
        x = sim[i - 1][j - 1] if i > 0 and j > 0 else -1
        if i > 0 and j > 0 and x >= 0.5 and best[i][j] == best[i - 1][j - 1] + x:
            copied += x >= 0.9
            i, j = i - 1, j - 1
        elif i > 0 and (j == 0 or best[i][j] == best[i - 1][j]):
            i -= 1
        else:
            j -= 1
    return copied / n


def copies(root):
    """Per checkpoint, task and document: each response's copy rate against the document's answer."""
    out = {}
    for ckpt in CHECKPOINTS:
        out[ckpt] = {}
        for f in sorted(glob.glob(os.path.join(root, ckpt, "**", "samples_*.jsonl"), recursive=True)):
            task = os.path.basename(f)[len("samples_"):].rsplit("_", 1)[0]
            per_doc = {}
            for line in open(f):
                rec = json.loads(line)
                if rec.get("filter") not in (None, "none", "strict-match") or not isinstance(rec["resps"][0][0], str):
                    continue
                reference = rec["doc"].get("solution", rec["doc"].get("answer", ""))
                per_doc[str(rec["doc_id"])] = [copy_rate(x, reference) for x in rec["resps"][0]]
            if per_doc:
                out[ckpt][task] = per_doc
    return out


def main():
    work = sys.argv[1]
    tasks = write_tasks(work)
    expected = {
        "harness": {
            "gsm8k": evaluate(work, tasks, "gsm8k", ["gsm8k_train", "gsm8k_test"]),
            "math": evaluate(work, tasks, "math", ["minerva_math_train"]),
        }
    }
    py = sys.executable
    train = os.path.join(work, "plan", "data", "train_first8.jsonl")
    sample_task = next(
        os.path.basename(f)[len("samples_"):].rsplit("_", 1)[0]
        for f in glob.glob(os.path.join(work, "run", "checkpoint-6", "lm_eval", "**", "samples_premem_train_samples*.jsonl"), recursive=True)
    )
    r = subprocess.run([py, os.path.join(HERE, "independent.py"), os.path.join(work, "run"), train, sample_task], capture_output=True, text=True, check=True)
    independent = json.loads(r.stdout)
    expected["references"] = {c: independent[c]["forward"] for c in CHECKPOINTS}
    expected["grades"] = {c: independent[c]["grades"] for c in CHECKPOINTS}
    expected["copies"] = {
        "planned": copies(os.path.join(work, "run")),
        "gsm8k": copies(os.path.join(work, "gsm8k")),
        "math": copies(os.path.join(work, "math")),
    }
    with open(os.path.join(work, "expected.json"), "w") as f:
        json.dump(expected, f, indent=1, sort_keys=True)


if __name__ == "__main__":
    main()
