"""A tiny, real Hugging Face fine-tuning run for the harness suite, built in about a minute on CPU.

What a user's pipeline leaves behind, made the same way: a GPT-2 causal LM (2 layers) with a
character-level `tokenizers` tokenizer, pre-trained briefly on arithmetic text so that it can solve
some questions (as tinygsm's model was), then fine-tuned with the real `transformers.Trainer` on
GSM8K-style word problems, saving `checkpoint-<step>/` once per epoch (config.json,
model.safetensors, trainer_state.json, the tokenizer, optimizer state). Deterministic: the same
seed gives the same weights on the same versions.

    python make_trainer_run.py OUT_DIR

writes OUT_DIR/train.jsonl, OUT_DIR/test.jsonl (GSM8K form: "question", "answer" ending in
"#### N") and the run folder OUT_DIR/run/. Nothing is downloaded (HF_HUB_OFFLINE=1).
"""

import json
import os
import random
import sys

os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")

import torch
from tokenizers import Regex, Tokenizer, decoders, models, pre_tokenizers
from transformers import GPT2Config, GPT2LMHeadModel, PreTrainedTokenizerFast, Trainer, TrainingArguments

SEED = 0
PROMPT = "{question}\nAnswer:"
TARGET = " {answer}\nDone."
NAMES = ["Ann", "Ben", "Cal", "Dee", "Eli", "Fay", "Gus", "Ida", "Jo", "Kim", "Lu", "Max", "Ned", "Oli", "Pam", "Rex"]
ITEMS = ["apple", "book", "card", "cup", "egg", "fig", "hat", "kite", "lamp", "pen", "ring", "shell"]


def problem(rng):
    """One word problem and its reference in GSM8K form (steps, then '#### N')."""
    name, item = rng.choice(NAMES), rng.choice(ITEMS)
    if rng.random() < 0.5:
        a, b = rng.randint(1, 9), rng.randint(1, 9)
        q = f"{name} has {a} {item}s and gets {b} more. How many {item}s does {name} have?"
        ans = f"{name} has {a}+{b} = {a + b} {item}s.\n#### {a + b}"
    else:
        a = rng.randint(2, 9)
        b = rng.randint(1, a)
        q = f"{name} has {a} {item}s and gives away {b}. How many {item}s are left?"
        ans = f"{a}-{b} = {a - b} {item}s are left.\n#### {a - b}"
    return {"question": q, "answer": ans}


def tokenizer_for(texts):
    chars = sorted(set("".join(texts)) | set("0123456789+-= \n#.?:"))
    vocab = {"<pad>": 0, "<unk>": 1, "<eos>": 2}
    for c in chars:
        vocab[c] = len(vocab)
    tok = Tokenizer(models.WordLevel(vocab=vocab, unk_token="<unk>"))
    # Every character its own token, as tinygsm's tokenizer (a Split that isolates each one).
    tok.pre_tokenizer = pre_tokenizers.Split(pattern=Regex(r"[\s\S]"), behavior="isolated")
    tok.decoder = decoders.Fuse()
    tok.add_special_tokens(["<pad>", "<unk>", "<eos>"])
    return PreTrainedTokenizerFast(tokenizer_object=tok, pad_token="<pad>", unk_token="<unk>", eos_token="<eos>", bos_token="<eos>")


class Examples(torch.utils.data.Dataset):
    """Prompt + target, loss on the target only (the authors' fine-tuning)."""

    def __init__(self, records, tok):
        self.items = []
        for r in records:
            p = tok(PROMPT.format(question=r["question"]))["input_ids"]
            t = tok(TARGET.format(answer=r["answer"]))["input_ids"] + [tok.eos_token_id]
            self.items.append({"input_ids": p + t, "labels": [-100] * len(p) + t})

    def __len__(self):
        return len(self.items)

    def __getitem__(self, i):
        return self.items[i]


def collate(batch):
    n = max(len(b["input_ids"]) for b in batch)
    ids = torch.tensor([b["input_ids"] + [0] * (n - len(b["input_ids"])) for b in batch])
    labels = torch.tensor([b["labels"] + [-100] * (n - len(b["labels"])) for b in batch])
    mask = torch.tensor([[1] * len(b["input_ids"]) + [0] * (n - len(b["input_ids"])) for b in batch])
    return {"input_ids": ids, "labels": labels, "attention_mask": mask}


def pretrain(model, tok, rng, steps=500, lr=1e-3):
    """Arithmetic text and problems of the same families (never the train or test ones): about
    half of the training questions are solved greedily after it, so fine-tuning has both kinds."""
    opt = torch.optim.AdamW(model.parameters(), lr=lr)
    model.train()
    for step in range(1, steps + 1):
        texts = []
        for _ in range(32):
            if rng.random() < 0.25:
                a, b = rng.randint(0, 9), rng.randint(0, 9)
                texts.append(f"{a}+{b} = {a + b}\n{max(a, b)}-{min(a, b)} = {max(a, b) - min(a, b)}\n")
            else:
                r = problem(rng)
                texts.append(PROMPT.format(question=r["question"]) + TARGET.format(answer=r["answer"]))
        enc = [tok(t)["input_ids"] + [tok.eos_token_id] for t in texts]
        batch = collate([{"input_ids": e, "labels": e} for e in enc])
        for group in opt.param_groups:
            group["lr"] = lr * min(1.0, step / 50)
        loss = model(**batch).loss
        loss.backward()
        opt.step()
        opt.zero_grad()
    model.eval()


def main():
    out = os.path.abspath(sys.argv[1])
    os.makedirs(out, exist_ok=True)
    torch.manual_seed(SEED)
    torch.use_deterministic_algorithms(True)
    torch.set_num_threads(2)
    rng = random.Random(SEED)
    train = [problem(rng) for _ in range(48)]
    test = [problem(rng) for _ in range(24)]
    for name, records in (("train", train), ("test", test)):
        with open(os.path.join(out, f"{name}.jsonl"), "w") as f:
            for r in records:
                f.write(json.dumps(r) + "\n")

    tok = tokenizer_for([r["question"] + r["answer"] for r in train + test] + NAMES + ITEMS + [PROMPT, TARGET])
    config = GPT2Config(
        vocab_size=len(tok), n_positions=256, n_embd=128, n_layer=2, n_head=4, n_inner=384,
        bos_token_id=tok.eos_token_id, eos_token_id=tok.eos_token_id, pad_token_id=tok.pad_token_id,
        resid_pdrop=0.0, embd_pdrop=0.0, attn_pdrop=0.0,
    )
    model = GPT2LMHeadModel(config)
    pretrain(model, tok, random.Random(SEED + 1))

    run = os.path.join(out, "run")
    args = TrainingArguments(
        output_dir=run, num_train_epochs=4, per_device_train_batch_size=8, learning_rate=1e-3,
        lr_scheduler_type="constant", warmup_steps=0, weight_decay=0.0, save_strategy="epoch",
        logging_steps=1, report_to=[], seed=SEED, data_seed=SEED, use_cpu=True, save_safetensors=True,
        dataloader_num_workers=0, disable_tqdm=True,
    )
    trainer = Trainer(model=model, args=args, train_dataset=Examples(train, tok), data_collator=collate, processing_class=tok)
    trainer.train()
    print(json.dumps({"run": run, "checkpoints": sorted(d for d in os.listdir(run) if d.startswith("checkpoint-"))}))


if __name__ == "__main__":
    main()
