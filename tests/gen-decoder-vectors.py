#!/usr/bin/python3
# SPDX-License-Identifier: LGPL-2.1-or-later
"""Reference vectors for the single-file layout from the optimum 1.13 cases.

The first-batch decoder cases (gpt2, llama, llama-gqa) carry the inputs of
optimum 1.13's decoder_model.onnx / decoder_with_past_model.onnx: no
position_ids, and no past for the first step.  Current optimum writes one
model.onnx that always takes position_ids (these families have it) and a
past that may be empty.  transformers 4.32 computed those outputs with
positions past_len + arange(seq) for every row, so feeding exactly that, and
a past of length 0 for the first step, must give the same outputs.  Writes
CASE/vectors-model.safetensors next to each such case's vectors.safetensors.

    /usr/bin/python3 tests/gen-decoder-vectors.py tests/data
"""
import json
import os
import sys

import numpy as np

# tests/oxp_vectors.py, next to this file (no __pycache__ in the source tree).
sys.dont_write_bytecode = True
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from oxp_vectors import cases, read_safetensors, write_safetensors  # noqa: E402


def main(data_dir):
    for case_dir, info in cases(data_dir):
        if not info.get("optimum", {}).get("version", "").startswith("1.13") \
                or not info["task"].startswith("text-generation"):
            continue
        vectors = read_safetensors(os.path.join(case_dir, "vectors.safetensors"))
        config = json.load(open(os.path.join(case_dir, "config.json")))
        ids = vectors["input_ids"]
        batch, seq = ids.shape
        with_past = "past_key_values.0.key" in vectors
        past_len = vectors["past_key_values.0.key"].shape[2] if with_past else 0
        out = {"input_ids": ids, "attention_mask": vectors["attention_mask"]}
        out["position_ids"] = np.tile(np.arange(past_len, past_len + seq, dtype=np.int64),
                                      (batch, 1))
        n_layers = config.get("num_hidden_layers", config.get("n_layer"))
        heads = config.get("num_attention_heads", config.get("n_head"))
        kv_heads = config.get("num_key_value_heads", heads)
        head_dim = config.get("hidden_size", config.get("n_embd")) // heads
        if info["task"] == "text-generation-with-past":
            for i in range(n_layers):
                for leaf in ("key", "value"):
                    name = f"past_key_values.{i}.{leaf}"
                    out[name] = vectors[name] if with_past else \
                        np.zeros((batch, kv_heads, 0, head_dim), np.float32)
        for name, arr in vectors.items():
            if name not in out and not name.startswith("past_key_values"):
                out[name] = arr
        write_safetensors(os.path.join(case_dir, "vectors-model.safetensors"), out)
        print(os.path.basename(case_dir), "->", ", ".join(f"{k}{list(v.shape)}" for k, v in out.items()))


if __name__ == "__main__":
    main(sys.argv[1] if len(sys.argv) > 1 else "tests/data")
