"""Loads a plan's task folder with lm-evaluation-harness's own task loader and renders every
document's prompt and target with its own Jinja, as an evaluation would; prints JSON.

    python render_tasks.py TASKS_DIR TASK [TASK ...]

For each task: {"config": {"temperature", "top_p", "until", "repeats", "metric_list"},
"docs": [{"text": doc_to_text, "target": doc_to_target}, ...]}. The harness suite compares the
texts with Premem Lens's own literal templates (premem sample, premem score).
"""

import json
import os
import sys

os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("HF_DATASETS_OFFLINE", "1")

from lm_eval.tasks import TaskManager, get_task_dict


def main():
    tasks_dir, names = sys.argv[1], sys.argv[2:]
    manager = TaskManager(include_path=tasks_dir)
    tasks = get_task_dict(names, manager)
    out = {}
    for name in names:
        task = tasks[name]
        cfg = task.config
        gen = cfg.generation_kwargs or {}
        docs = list(task.test_docs())
        out[name] = {
            "config": {
                "temperature": gen.get("temperature"),
                "temperature_type": type(gen.get("temperature")).__name__,
                "top_p": gen.get("top_p"),
                "top_p_type": type(gen.get("top_p")).__name__,
                "until": gen.get("until"),
                "repeats": cfg.repeats,
                "metrics": [m["metric"] for m in (cfg.metric_list or [])],
            },
            "docs": [{"text": task.doc_to_text(d), "target": task.doc_to_target(d)} for d in docs],
        }
    print(json.dumps(out))


if __name__ == "__main__":
    main()
