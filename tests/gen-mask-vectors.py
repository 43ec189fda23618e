#!/usr/bin/python3
# SPDX-License-Identifier: LGPL-2.1-or-later
"""Reference vectors with other attention masks, derived from the decoder cases.

Every decoder case's reference batch has padding in some row, so an export
that takes a different path for an all-ones mask (--optimize O2's
GroupQueryAttention) would never run that path against transformers.  From
each text-generation case's model.onnx vectors (vectors-model.safetensors,
else vectors.safetensors) this writes, next to it:

  vectors-all-valid.safetensors   the first row whose attention_mask is all
      ones, twice (batch 2): every input and output of that row, as
      transformers computed them.
  vectors-left-padded.safetensors that row left-padded by PAD tokens, as
      generate() pads a batch: a causal model's outputs at the valid
      positions of [pad x PAD, ids[:seq - PAD]] are the row's outputs at
      0 .. seq - PAD - 1 (position_ids 0, 1, ... from the first valid token,
      1 at the pads, as generate() computes them).  With a past, the past
      is the row's own behind PAD masked entries (zeros), and the new
      token's outputs are the row's.  Only logits are kept, and the test
      compares them where attention_mask is 1 (validate --reference-mask).
      Without a past the batch is 2: the left-padded row and the row itself.
      Only for models with a position_ids input.

    /usr/bin/python3 tests/gen-mask-vectors.py tests/data
"""
import json
import os
import sys

import numpy as np

# tests/oxp_vectors.py, next to this file (no __pycache__ in the source tree).
sys.dont_write_bytecode = True
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from oxp_vectors import cases, read_safetensors, write_safetensors  # noqa: E402

PAD = 3


def left_padded(v, row, pad_id):
    # Without a position_ids input the model counts positions from the
    # start of the mask, and the pads would shift them.
    if "position_ids" not in v:
        return None
    ids = v["input_ids"][row]
    mask = v["attention_mask"][row]
    seq = ids.shape[0]
    past = v["past_key_values.0.key"].shape[2] if "past_key_values.0.key" in v else 0
    out = {}
    if past == 0:
        if seq <= PAD + 1:
            return None
        keep = seq - PAD
        ids_a = np.concatenate([np.full(PAD, pad_id, np.int64), ids[:keep]])
        mask_a = np.concatenate([np.zeros(PAD, np.int64), np.ones(keep, np.int64)])
        out["input_ids"] = np.stack([ids_a, ids])
        out["attention_mask"] = np.stack([mask_a, mask])
        if "position_ids" in v:
            pos_a = np.concatenate([np.ones(PAD, np.int64), np.arange(keep, dtype=np.int64)])
            out["position_ids"] = np.stack([pos_a, v["position_ids"][row]])
        for name, t in v.items():
            if name.startswith("past_key_values."):
                out[name] = np.stack([t[row], t[row]])
        logits = v["logits"][row]
        shifted = np.zeros_like(logits)
        shifted[PAD:] = logits[:keep]
        out["logits"] = np.stack([shifted, logits])
        return out
    out["input_ids"] = ids[None]
    out["attention_mask"] = np.concatenate([np.zeros(PAD, np.int64), mask])[None]
    if "position_ids" in v:
        out["position_ids"] = v["position_ids"][row][None]
    for name, t in v.items():
        if name.startswith("past_key_values."):
            p = t[row]
            gap = np.zeros(p.shape[:-2] + (PAD,) + p.shape[-1:], p.dtype)
            out[name] = np.concatenate([gap, p], axis=-2)[None]
    out["logits"] = v["logits"][row][None]
    return out


def main(data_dir):
    for case_dir, info in cases(data_dir):
        if not info["optimum"]["task"].startswith("text-generation"):
            continue
        src = os.path.join(case_dir, "vectors-model.safetensors")
        if not os.path.exists(src):
            src = os.path.join(case_dir, "vectors.safetensors")
        v = read_safetensors(src)
        rows = [r for r in range(v["attention_mask"].shape[0]) if v["attention_mask"][r].all()]
        if not rows:
            continue
        row = rows[0]
        batch = v["attention_mask"].shape[0]
        all_valid = {n: np.stack([t[row], t[row]]) for n, t in v.items()
                     if t.ndim >= 1 and t.shape[0] == batch}
        write_safetensors(os.path.join(case_dir, "vectors-all-valid.safetensors"), all_valid)
        config = json.load(open(os.path.join(case_dir, "config.json")))
        pad_id = config.get("pad_token_id")
        if pad_id is None:
            pad_id = 0
        lp = left_padded(v, row, pad_id)
        if lp is not None:
            write_safetensors(os.path.join(case_dir, "vectors-left-padded.safetensors"), lp)


if __name__ == "__main__":
    main(sys.argv[1] if len(sys.argv) > 1 else "tests/data")
