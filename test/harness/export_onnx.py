"""Exports a Hugging Face checkpoint to ONNX for the in-tool route (`premem score`, `premem sample`).

    python export_onnx.py CHECKPOINT_DIR OUT_DIR

writes OUT_DIR/model.onnx (input "input_ids" int64 [batch, seq] -> "logits" float32
[batch, seq, vocab], no attention mask and no cache: the plain export premem samples right-padded,
as tinygsm's) and copies tokenizer.json beside it, with torch.onnx.export in the harness's own
environment, so that both routes start from the same weights.
"""

import os
import shutil
import sys

os.environ.setdefault("HF_HUB_OFFLINE", "1")

import torch
from transformers import AutoModelForCausalLM


class Logits(torch.nn.Module):
    def __init__(self, model):
        super().__init__()
        self.model = model

    def forward(self, input_ids):
        return self.model(input_ids=input_ids, use_cache=False).logits


def main():
    ckpt, out = sys.argv[1], sys.argv[2]
    os.makedirs(out, exist_ok=True)
    model = AutoModelForCausalLM.from_pretrained(ckpt, dtype=torch.float32, attn_implementation="eager").eval()
    # A batch of 2 (not 1): torch.export specialises a dimension of size 1 to a constant.
    example = torch.ones((2, 8), dtype=torch.int64)
    torch.onnx.export(
        Logits(model).eval(), (example,), os.path.join(out, "model.onnx"),
        input_names=["input_ids"], output_names=["logits"],
        dynamic_axes={"input_ids": {0: "batch", 1: "seq"}, "logits": {0: "batch", 1: "seq"}},
        dynamo=True, external_data=False,
    )
    if os.path.realpath(ckpt) != os.path.realpath(out):
        shutil.copy(os.path.join(ckpt, "tokenizer.json"), os.path.join(out, "tokenizer.json"))


if __name__ == "__main__":
    main()
