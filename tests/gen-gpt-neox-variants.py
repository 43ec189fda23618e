#!/usr/bin/env python3
# SPDX-License-Identifier: LGPL-2.1-or-later
"""Variants of the gpt_neox and opt reference checkpoints, with reference
outputs from a NumPy forward pass (float64), for the cases transformers'
vectors do not cover: GPT-NeoX's sequential residual, OPT's post-LN and
project_in/out, sequence classification and the bare base models.

  gen-gpt-neox-variants.py CASE_DIR check
      recomputes the case's logits and prints the max abs difference from
      the vectors transformers wrote (the forward pass's own test)
  gen-gpt-neox-variants.py CASE_DIR VARIANT[,VARIANT…] OUT_DIR
      writes OUT_DIR/config.json, model.safetensors, reference.safetensors
      (variants: sequential, rotary, rope-linear, post-ln, project, classification, base)

The forward pass follows modeling_gpt_neox.py and modeling_opt.py; it is a
check, never run by oxport itself.
"""

import json
import math
import os
import struct
import sys

import numpy as np

DTYPES = {"F32": np.float32, "I64": np.int64, "F64": np.float64}
NAMES = {np.dtype(v): k for k, v in DTYPES.items()}


def load(path):
    data = open(path, "rb").read()
    n = struct.unpack("<Q", data[:8])[0]
    header = json.loads(data[8:8 + n])
    header.pop("__metadata__", None)
    out = {}
    for name, info in header.items():
        a, b = info["data_offsets"]
        out[name] = np.frombuffer(data[8 + n + a:8 + n + b], DTYPES[info["dtype"]]).reshape(
            info["shape"]).copy()
    return out


def save(path, tensors):
    header, chunks, offset = {}, [], 0
    for name, t in tensors.items():
        t = np.ascontiguousarray(t)
        raw = t.tobytes()
        header[name] = {"dtype": NAMES[t.dtype], "shape": list(t.shape),
                        "data_offsets": [offset, offset + len(raw)]}
        chunks.append(raw)
        offset += len(raw)
    h = json.dumps(header).encode()
    h += b" " * (-len(h) % 8)
    with open(path, "wb") as f:
        f.write(struct.pack("<Q", len(h)) + h + b"".join(chunks))


def layer_norm(x, w, b, eps):
    mu = x.mean(-1, keepdims=True)
    var = ((x - mu) ** 2).mean(-1, keepdims=True)
    y = (x - mu) / np.sqrt(var + eps) * w
    return y + b if b is not None else y


def linear(x, w, b=None):
    y = x @ w.astype(np.float64).T
    return y + b if b is not None else y


ERF = np.vectorize(math.erf)
ACTS = {"gelu": lambda x: 0.5 * x * (1.0 + ERF(x / math.sqrt(2.0))),
        "relu": lambda x: np.maximum(x, 0.0)}


def causal_mask(mask, q_len):
    """[batch, 1, q, kv]: 0 where allowed, float32 min elsewhere."""
    kv = mask.shape[1]
    i = np.arange(q_len)[:, None] + (kv - q_len)
    j = np.arange(kv)[None, :]
    allowed = (j <= i)[None, None] & (mask[:, None, None, :] != 0)
    return np.where(allowed, 0.0, float(np.finfo(np.float32).min))


def attend(q, k, v, mask):
    s = q @ k.transpose(0, 1, 3, 2) / math.sqrt(q.shape[-1]) + mask
    s = np.exp(s - s.max(-1, keepdims=True))
    return (s / s.sum(-1, keepdims=True)) @ v


def heads(x, n):
    b, s, h = x.shape
    return x.reshape(b, s, n, h // n).transpose(0, 2, 1, 3)


def merge(x):
    b, n, s, d = x.shape
    return x.transpose(0, 2, 1, 3).reshape(b, s, n * d)


def gpt_neox(c, w, ids, mask, pos, p):
    n, hs = c["num_attention_heads"], c["hidden_size"]
    d = hs // n
    rd = int(d * c.get("rotary_pct", 0.25))
    eps = c.get("layer_norm_eps", 1e-5)
    act = ACTS[c.get("hidden_act", "gelu")]
    inv = 1.0 / (c.get("rotary_emb_base", 10000) ** (np.arange(0, rd, 2) / rd))
    scaling = c.get("rope_scaling") or {}
    f = pos[..., None] / scaling.get("factor", 1.0) * inv  # only "linear" is generated
    cos, sin = np.cos(np.concatenate([f, f], -1))[:, None], np.sin(np.concatenate([f, f], -1))[:, None]
    m = causal_mask(mask, ids.shape[1])

    def rot(x):
        xr, xp = x[..., :rd], x[..., rd:]
        half = np.concatenate([-xr[..., rd // 2:], xr[..., :rd // 2]], -1)
        return np.concatenate([xr * cos + half * sin, xp], -1)

    x = w[p + "embed_in.weight"][ids].astype(np.float64)
    for i in range(c["num_hidden_layers"]):
        L = "%slayers.%d." % (p, i)
        h = layer_norm(x, w[L + "input_layernorm.weight"], w[L + "input_layernorm.bias"], eps)
        qkv = linear(h, w[L + "attention.query_key_value.weight"],
                     w[L + "attention.query_key_value.bias"])
        qkv = qkv.reshape(qkv.shape[0], qkv.shape[1], n, 3 * d).transpose(0, 2, 1, 3)
        q, k, v = rot(qkv[..., :d]), rot(qkv[..., d:2 * d]), qkv[..., 2 * d:]
        a = linear(merge(attend(q, k, v, m)), w[L + "attention.dense.weight"],
                   w[L + "attention.dense.bias"])

        def mlp(y):
            y = layer_norm(y, w[L + "post_attention_layernorm.weight"],
                           w[L + "post_attention_layernorm.bias"], eps)
            y = act(linear(y, w[L + "mlp.dense_h_to_4h.weight"], w[L + "mlp.dense_h_to_4h.bias"]))
            return linear(y, w[L + "mlp.dense_4h_to_h.weight"], w[L + "mlp.dense_4h_to_h.bias"])

        if c.get("use_parallel_residual", True):
            x = x + a + mlp(x)
        else:
            x = x + a
            x = x + mlp(x)
    return layer_norm(x, w[p + "final_layer_norm.weight"], w[p + "final_layer_norm.bias"], eps)


def opt(c, w, ids, mask, pos, p):
    n = c["num_attention_heads"]
    before = c.get("do_layer_norm_before", True)
    act = ACTS[c.get("activation_function", "relu")]
    m = causal_mask(mask, ids.shape[1])
    x = w[p + "embed_tokens.weight"][ids].astype(np.float64)
    if p + "project_in.weight" in w:
        x = linear(x, w[p + "project_in.weight"])
    x = x + w[p + "embed_positions.weight"][pos + 2]

    def ln(y, name):
        return layer_norm(y, w[name + ".weight"], w[name + ".bias"], 1e-5)

    for i in range(c["num_hidden_layers"]):
        L = "%slayers.%d." % (p, i)
        A = L + "self_attn."
        h = ln(x, L + "self_attn_layer_norm") if before else x
        q, k, v = (heads(linear(h, w[A + t + "_proj.weight"], w[A + t + "_proj.bias"]), n)
                   for t in "qkv")
        x = x + linear(merge(attend(q, k, v, m)), w[A + "out_proj.weight"], w[A + "out_proj.bias"])
        if not before:
            x = ln(x, L + "self_attn_layer_norm")
        h = ln(x, L + "final_layer_norm") if before else x
        h = act(linear(h, w[L + "fc1.weight"], w[L + "fc1.bias"]))
        x = x + linear(h, w[L + "fc2.weight"], w[L + "fc2.bias"])
        if not before:
            x = ln(x, L + "final_layer_norm")
    if before:
        x = ln(x, p + "final_layer_norm")
    if p + "project_out.weight" in w:
        x = linear(x, w[p + "project_out.weight"])
    return x


def forward(c, w, ids, mask, pos, prefix):
    return (gpt_neox if c["model_type"] == "gpt_neox" else opt)(c, w, ids, mask, pos, prefix)


def lm_head(c, w):
    if c["model_type"] == "gpt_neox":
        return w["embed_out.weight"]
    return w.get("lm_head.weight", w["model.decoder.embed_tokens.weight"])


def main():
    case = sys.argv[1]
    variant = sys.argv[2]
    c = json.load(open(os.path.join(case, "config.json")))
    w = load(os.path.join(case, "model.safetensors"))
    vec = load(os.path.join(case, "vectors.safetensors"))
    ids, mask, pos = vec["input_ids"], vec["attention_mask"], vec["position_ids"]
    neox = c["model_type"] == "gpt_neox"
    prefix = "gpt_neox." if neox else "model.decoder."

    if variant == "check":
        logits = forward(c, w, ids, mask, pos, prefix) @ lm_head(c, w).astype(np.float64).T
        print("%.3g" % np.abs(logits - vec["logits"]).max())
        return

    out = sys.argv[3]
    rng = np.random.default_rng(20250611)
    task = "text-generation"
    for step in variant.split(","):  # applied in order
        if step == "sequential":      # GPT-NeoX use_parallel_residual false
            c["use_parallel_residual"] = False
        elif step == "rotary":         # GPT-NeoX: half the channels, another base
            c["rotary_pct"] = c["partial_rotary_factor"] = 0.5
            c["rotary_emb_base"] = c["rope_theta"] = 500.0
        elif step == "rope-linear":    # GPT-NeoX rope_scaling linear
            c["rope_scaling"] = {"type": "linear", "factor": 2.0}
        elif step == "post-ln":       # OPT do_layer_norm_before false
            c["do_layer_norm_before"] = False
        elif step == "project":       # OPT word_embed_proj_dim < hidden_size
            e, hs = c["hidden_size"] // 2, c["hidden_size"]
            c["word_embed_proj_dim"] = e
            w[prefix + "embed_tokens.weight"] = rng.normal(0, 0.5, (c["vocab_size"], e)).astype(np.float32)
            w[prefix + "project_in.weight"] = rng.normal(0, 0.2, (hs, e)).astype(np.float32)
            w[prefix + "project_out.weight"] = rng.normal(0, 0.2, (e, hs)).astype(np.float32)
        elif step == "classification":
            task = "text-classification"
            c["architectures"] = ["GPTNeoXForSequenceClassification" if neox
                                  else "OPTForSequenceClassification"]
            c["id2label"] = {"0": "NEGATIVE", "1": "NEUTRAL", "2": "POSITIVE"}
            c["label2id"] = {v: int(k) for k, v in c["id2label"].items()}
            w.pop("embed_out.weight", None)
            w["score.weight"] = rng.normal(0, 0.5, (3, c.get("word_embed_proj_dim", c["hidden_size"]))
                                           ).astype(np.float32)
        elif step == "base":          # GPTNeoXModel / OPTModel tensor names
            task = "feature-extraction"
            c["architectures"] = ["GPTNeoXModel" if neox else "OPTModel"]
            w.pop("embed_out.weight", None)
            base = "" if neox else "decoder."
            w = {base + k[len(prefix):]: v for k, v in w.items() if k.startswith(prefix)}
            prefix = base
        else:
            sys.exit("unknown variant " + step)

    h = forward(c, w, ids, mask, pos, prefix)
    # Every input the export may declare (a runner ignores the others):
    # text-generation-with-past's first step takes an empty past.
    ref = {"input_ids": ids, "attention_mask": mask, "position_ids": pos}
    if task == "text-generation":
        n = c["num_attention_heads"]
        empty = np.zeros((ids.shape[0], n, 0, c["hidden_size"] // n), np.float32)
        for i in range(c["num_hidden_layers"]):
            ref["past_key_values.%d.key" % i] = ref["past_key_values.%d.value" % i] = empty
    if task == "feature-extraction":
        ref["last_hidden_state"] = h.astype(np.float32)
    elif task == "text-classification":
        # The last token that is not pad_token_id (transformers' pooling).
        last = (np.arange(ids.shape[1]) * (ids != c["pad_token_id"])).argmax(-1)
        ref["logits"] = (h[np.arange(ids.shape[0]), last] @ w["score.weight"].T).astype(np.float32)
    else:
        head = w.get("lm_head.weight", w.get("embed_out.weight", w.get(prefix + "embed_tokens.weight")))
        ref["logits"] = (h @ head.astype(np.float64).T).astype(np.float32)

    os.makedirs(out, exist_ok=True)
    json.dump(c, open(os.path.join(out, "config.json"), "w"), indent=2)
    save(os.path.join(out, "model.safetensors"), w)
    save(os.path.join(out, "reference.safetensors"), ref)
    print(task)


if __name__ == "__main__":
    main()
