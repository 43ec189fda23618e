#!/usr/bin/env python3
# SPDX-License-Identifier: LGPL-2.1-or-later
"""deit-vectors.py VIT_CASE_DIR OUT_DIR

The reference cases hold no DeiT checkpoint; this derives two from a ViT
image-classification case: OUT_DIR/deit-teacher (DeiTForImageClassification-
WithTeacher: the ViT weights under "deit.", a distillation token, one more
position row, the ViT classifier as cls_classifier and a second,
seeded-random distillation_classifier) and OUT_DIR/deit-base (DeiTModel: the
same backbone without the "deit." prefix).  Their expected outputs come from
a numpy ViT/DeiT (modeling_vit.py / modeling_deit.py's math), which is first
checked against the ViT case's transformers vectors (within 1e-5), so a
mistake here cannot make a wrong export pass.  Each folder gets
vectors.safetensors (pixel_values → logits / last_hidden_state).
"""
import json
import math
import os
import sys

import numpy as np

# tests/oxp_vectors.py, next to this file (no __pycache__ in the source tree).
sys.dont_write_bytecode = True
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from oxp_vectors import read_safetensors as load, write_safetensors  # noqa: E402


def save(path, tensors):
    write_safetensors(path, dict(sorted(tensors.items())))


def ln(x, w, b, eps):
    m = x.mean(-1, keepdims=True)
    v = ((x - m) ** 2).mean(-1, keepdims=True)
    return (x - m) / np.sqrt(v + eps) * w + b


erf = np.vectorize(math.erf)


def backbone(W, p, cfg, pixels, n_extra):
    """last_hidden_state of ViTModel / DeiTModel (after the final layernorm)."""
    eps = cfg.get("layer_norm_eps", 1e-12)
    heads = cfg["num_attention_heads"]
    assert cfg.get("hidden_act", "gelu") == "gelu"
    w = W[p + "embeddings.patch_embeddings.projection.weight"]
    H, C, P, _ = w.shape
    B, _, hh, ww = pixels.shape
    patches = pixels.reshape(B, C, hh // P, P, ww // P, P).transpose(0, 2, 4, 1, 3, 5).reshape(B, -1, C * P * P)
    x = patches @ w.reshape(H, -1).T + W[p + "embeddings.patch_embeddings.projection.bias"]
    tokens = [np.broadcast_to(W[p + "embeddings.cls_token"], (B, 1, H))]
    if n_extra == 2:
        tokens.append(np.broadcast_to(W[p + "embeddings.distillation_token"], (B, 1, H)))
    x = np.concatenate(tokens + [x], 1) + W[p + "embeddings.position_embeddings"]
    S, d = x.shape[1], H // heads
    lin = lambda t, n: t @ W[n + ".weight"].T + W[n + ".bias"]
    for i in range(cfg["num_hidden_layers"]):
        q = "%sencoder.layer.%d." % (p, i)
        h = ln(x, W[q + "layernorm_before.weight"], W[q + "layernorm_before.bias"], eps)
        split = lambda t: t.reshape(B, S, heads, d).transpose(0, 2, 1, 3)
        Q, K, V = (split(lin(h, q + "attention.attention." + n)) for n in ("query", "key", "value"))
        s = Q @ K.transpose(0, 1, 3, 2) / math.sqrt(d)
        s = np.exp(s - s.max(-1, keepdims=True))
        s /= s.sum(-1, keepdims=True)
        x = x + lin((s @ V).transpose(0, 2, 1, 3).reshape(B, S, H), q + "attention.output.dense")
        h = ln(x, W[q + "layernorm_after.weight"], W[q + "layernorm_after.bias"], eps)
        f = lin(h, q + "intermediate.dense")
        x = x + lin(0.5 * f * (1 + erf(f / math.sqrt(2))), q + "output.dense")
    return ln(x, W[p + "layernorm.weight"], W[p + "layernorm.bias"], eps)


def main():
    case, out = sys.argv[1], sys.argv[2]
    cfg = json.load(open(case + "/config.json"))
    src = load(case + "/model.safetensors")
    W = {k: v.astype(np.float64) for k, v in src.items()}
    ref = load(case + "/vectors.safetensors")
    pixels = ref["pixel_values"].astype(np.float64)

    h = backbone(W, "vit.", cfg, pixels, 1)
    logits = h[:, 0] @ W["classifier.weight"].T + W["classifier.bias"]
    worst = np.abs(logits - ref["logits"]).max()
    print("numpy ViT vs transformers: max abs diff %.3g" % worst)
    if not worst < 1e-5:
        sys.exit(1)

    rng = np.random.default_rng(20240601)
    H = cfg["hidden_size"]
    labels = W["classifier.weight"].shape[0]
    D = {("deit." + k[4:] if k.startswith("vit.") else k): v for k, v in src.items() if k not in
         ("classifier.weight", "classifier.bias")}
    D["cls_classifier.weight"] = src["classifier.weight"]
    D["cls_classifier.bias"] = src["classifier.bias"]
    D["distillation_classifier.weight"] = (rng.standard_normal((labels, H)) * 0.02).astype(np.float32)
    D["distillation_classifier.bias"] = (rng.standard_normal(labels) * 0.02).astype(np.float32)
    D["deit.embeddings.distillation_token"] = (rng.standard_normal((1, 1, H)) * 0.02).astype(np.float32)
    pos = src["vit.embeddings.position_embeddings"]
    extra = (rng.standard_normal((1, 1, H)) * 0.02).astype(np.float32)
    D["deit.embeddings.position_embeddings"] = np.concatenate([pos[:, :1], extra, pos[:, 1:]], 1)
    DW = {k: v.astype(np.float64) for k, v in D.items()}

    deit_cfg = dict(cfg, model_type="deit", architectures=["DeiTForImageClassificationWithTeacher"])
    h = backbone(DW, "deit.", deit_cfg, pixels, 2)
    cls = h[:, 0] @ DW["cls_classifier.weight"].T + DW["cls_classifier.bias"]
    dist = h[:, 1] @ DW["distillation_classifier.weight"].T + DW["distillation_classifier.bias"]
    teacher = os.path.join(out, "deit-teacher")
    os.makedirs(teacher, exist_ok=True)
    json.dump(deit_cfg, open(teacher + "/config.json", "w"), indent=2)
    save(teacher + "/model.safetensors", D)
    save(teacher + "/vectors.safetensors", {"pixel_values": ref["pixel_values"],
                                            "logits": ((cls + dist) / 2).astype(np.float32)})

    base_cfg = dict(deit_cfg, architectures=["DeiTModel"])
    for k in ("id2label", "label2id"):
        base_cfg.pop(k, None)
    B = {k[5:]: v for k, v in D.items() if k.startswith("deit.")}
    base = os.path.join(out, "deit-base")
    os.makedirs(base, exist_ok=True)
    json.dump(base_cfg, open(base + "/config.json", "w"), indent=2)
    save(base + "/model.safetensors", B)
    save(base + "/vectors.safetensors", {"pixel_values": ref["pixel_values"],
                                         "last_hidden_state": h.astype(np.float32)})


main()
