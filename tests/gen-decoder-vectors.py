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
import struct
import sys

import numpy as np

DTYPES = {"F32": np.float32, "I64": np.int64, "F16": np.float16}
NAMES = {v: k for k, v in DTYPES.items()}


def read_safetensors(path):
    with open(path, "rb") as f:
        n = struct.unpack("<Q", f.read(8))[0]
        header = json.loads(f.read(n))
        data = f.read()
    out = {}
    for name, info in header.items():
        if name == "__metadata__":
            continue
        a, b = info["data_offsets"]
        out[name] = np.frombuffer(data[a:b], dtype=DTYPES[info["dtype"]]).reshape(info["shape"])
    return out


def write_safetensors(path, tensors):
    header, blobs, offset = {}, [], 0
    for name, arr in tensors.items():
        raw = np.ascontiguousarray(arr).tobytes()
        header[name] = {"dtype": NAMES[arr.dtype.type], "shape": list(arr.shape),
                        "data_offsets": [offset, offset + len(raw)]}
        blobs.append(raw)
        offset += len(raw)
    text = json.dumps(header, separators=(",", ":")).encode()
    text += b" " * (-len(text) % 8)
    with open(path + ".tmp", "wb") as f:
        f.write(struct.pack("<Q", len(text)) + text + b"".join(blobs))
    os.replace(path + ".tmp", path)


def main(data_dir):
    for case in sorted(os.listdir(data_dir)):
        path = os.path.join(data_dir, case, "case.json")
        if not os.path.exists(path):
            continue
        info = json.load(open(path))
        if not info.get("optimum", {}).get("version", "").startswith("1.13") \
                or not info["task"].startswith("text-generation"):
            continue
        vectors = read_safetensors(os.path.join(data_dir, case, "vectors.safetensors"))
        config = json.load(open(os.path.join(data_dir, case, "config.json")))
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
        write_safetensors(os.path.join(data_dir, case, "vectors-model.safetensors"), out)
        print(case, "->", ", ".join(f"{k}{list(v.shape)}" for k, v in out.items()))


if __name__ == "__main__":
    main(sys.argv[1] if len(sys.argv) > 1 else "tests/data")
