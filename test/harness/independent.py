"""Independent figures for the harness suite, computed without Premem Lens's code.

    python independent.py RUN_DIR TRAIN_FILE SAMPLE_TASK

For every checkpoint-<step>/ of RUN_DIR, prints (as one JSON object):
- "forward": per training example, the summed log-probability of the reference continuation
  (premem score's target, " {answer}\\nDone.") after the prompt ("{question}\\nAnswer:"), and its
  token count, from a plain transformers forward pass of the checkpoint's weights; the tokens are
  split as the harness splits a request (whole minus context);
- "harness_ll": the log-likelihood the harness logged for each document (newest references log);
- "grades": each logged sample of SAMPLE_TASK graded by the authors' GSM8K rule (the number after
  the last "####", as Python's split("####")[-1] cuts it; 0 correct, 1 wrong, 2 no answer);
- "harness_exact_match": the harness's own exact_match for the document (its strict-match
  filter, first sample only), to list where its rule and the authors' disagree.
"""

import glob
import json
import math
import os
import re
import sys

os.environ.setdefault("HF_HUB_OFFLINE", "1")

import torch
from transformers import AutoModelForCausalLM, AutoTokenizer

PROMPT = "{question}\nAnswer:"
TARGET = " {answer}\nDone."
NUMBER = re.compile(r"^[-+]?(?:\d[\d,]*)?(?:\.\d+)?")


def final_number(text):
    if "####" not in text:
        return None
    line = text.split("####")[-1].split("\n")[0].strip()
    line = re.sub(r"^[$€£]\s*", "", line)
    m = NUMBER.match(line)
    raw = m.group(0) if m else ""
    digits = raw.replace(",", "")
    if not re.search(r"\d", digits):
        return None
    return float(digits)


def grade(sample, reference):
    want, got = final_number(reference), final_number(sample)
    if got is None:
        return 2
    return 0 if got == want else 1


def newest(pattern):
    files = sorted(glob.glob(pattern, recursive=True))
    return files[-1] if files else None


def main():
    run, train_file, sample_task = sys.argv[1], sys.argv[2], sys.argv[3]
    torch.set_num_threads(2)
    records = [json.loads(l) for l in open(train_file) if l.strip()]
    out = {}
    steps = sorted((int(d.split("-")[1]), d) for d in os.listdir(run) if re.fullmatch(r"checkpoint-\d+", d))
    for _, name in steps:
        ckpt = os.path.join(run, name)
        tok = AutoTokenizer.from_pretrained(ckpt)
        model = AutoModelForCausalLM.from_pretrained(ckpt, torch_dtype=torch.float64).eval()
        forward = []
        with torch.no_grad():
            for i, r in enumerate(records):
                context = PROMPT.format(question=r["question"])
                whole = tok(context + TARGET.format(answer=r["answer"]))["input_ids"]
                n_context = len(tok(context)["input_ids"])
                logits = model(torch.tensor([whole])).logits[0]
                logp = torch.log_softmax(logits, dim=-1)
                total = sum(float(logp[t - 1, whole[t]]) for t in range(n_context, len(whole)))
                forward.append({"index": i, "logprob": total, "tokens": len(whole) - n_context})
        harness_ll, grades, exact = {}, {}, {}
        refs = newest(os.path.join(ckpt, "lm_eval", "**", "samples_premem_train_references_*.jsonl"))
        for line in open(refs):
            rec = json.loads(line)
            harness_ll[rec["doc_id"]] = float(rec["resps"][0][0][0])
        gen = newest(os.path.join(ckpt, "lm_eval", "**", f"samples_{sample_task}_*.jsonl"))
        for line in open(gen):
            rec = json.loads(line)
            d = rec["doc_id"]
            grades[d] = [grade(s, records[d]["answer"]) for s in rec["resps"][0]]
            exact[d] = float(rec["exact_match"])
        out[name] = {"forward": forward, "harness_ll": harness_ll, "grades": grades, "harness_exact_match": exact, "samples": {d: r for d, r in ((json.loads(l)["doc_id"], json.loads(l)["resps"][0]) for l in open(gen))}}
    print(json.dumps(out))


if __name__ == "__main__":
    main()
