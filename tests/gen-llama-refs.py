#!/usr/bin/env python3
# SPDX-License-Identifier: LGPL-2.1-or-later
"""A numpy forward pass of the LLaMA family, for tests/test-llama.sh.

    gen-llama-refs.py MODEL_DIR VECTORS OUT.safetensors
    gen-llama-refs.py --check MODEL_DIR VECTORS

Reads MODEL_DIR's config.json and model.safetensors and the inputs in
VECTORS (input_ids, attention_mask, position_ids, past_key_values.*; ONNX
names), and computes logits and present.* in float64 following
transformers' modeling_{llama,mistral,qwen2,phi3,gemma}.py and
modeling_rope_utils.py.  The first form writes the inputs and these outputs
to OUT (a reference for `oxport validate --reference`), so configurations
that no transformers-made case covers (rope scaling, sliding windows
shorter than the sequence) are checked end to end.  --check compares the
outputs with those VECTORS holds (transformers') and fails beyond 1e-4: it
proves this forward pass before it is trusted.
"""

import json
import math
import struct
import sys

import numpy as np

DTYPES = {"F32": "<f4", "F16": "<f2", "I64": "<i8"}


def read_safetensors(path):
    data = open(path, "rb").read()
    n = struct.unpack("<Q", data[:8])[0]
    header = json.loads(data[8:8 + n])
    body = data[8 + n:]
    out = {}
    for name, info in header.items():
        if name == "__metadata__":
            continue
        a, b = info["data_offsets"]
        out[name] = np.frombuffer(body[a:b], dtype=DTYPES[info["dtype"]]).reshape(info["shape"])
    return out


def write_safetensors(path, tensors):
    header, chunks, offset = {}, [], 0
    for name, a in tensors.items():
        if a.dtype.kind == "i":
            dtype, raw = "I64", a.astype("<i8").tobytes()
        else:
            dtype, raw = "F32", a.astype("<f4").tobytes()
        header[name] = {"dtype": dtype, "shape": list(a.shape),
                        "data_offsets": [offset, offset + len(raw)]}
        chunks.append(raw)
        offset += len(raw)
    head = json.dumps(header).encode()
    head += b" " * (-len(head) % 8)
    with open(path, "wb") as f:
        f.write(struct.pack("<Q", len(head)) + head + b"".join(chunks))


def inv_freq(cfg, dim, seq_len):
    base = cfg.get("rope_theta", 10000.0)
    rope = cfg.get("rope_scaling") or {}
    kind = rope.get("rope_type", rope.get("type", "default"))
    exps = np.arange(0, dim, 2) / dim
    if kind == "dynamic":
        max_pos = cfg["max_position_embeddings"]
        length = max(seq_len, max_pos)
        factor = rope["factor"]
        base = base * ((factor * length / max_pos) - (factor - 1)) ** (dim / (dim - 2))
    inv = 1.0 / base ** exps
    scale = 1.0
    if kind == "linear":
        inv = inv / rope["factor"]
    elif kind == "llama3":
        factor, low, high = rope["factor"], rope["low_freq_factor"], rope["high_freq_factor"]
        old = rope["original_max_position_embeddings"]
        wavelen = 2 * math.pi / inv
        scaled = np.where(wavelen > old / low, inv / factor, inv)
        smooth = (old / wavelen - low) / (high - low)
        smoothed = (1 - smooth) * scaled / factor + smooth * scaled
        medium = ~(wavelen < old / high) & ~(wavelen > old / low)
        inv = np.where(medium, smoothed, scaled)
    elif kind in ("longrope", "su"):
        if "original_max_position_embeddings" in cfg:
            original = cfg["original_max_position_embeddings"]
            factor = cfg["max_position_embeddings"] / original
        else:
            original = cfg["max_position_embeddings"]
            factor = rope.get("factor", 1.0)
        ext = np.array(rope["long_factor"] if seq_len > original else rope["short_factor"])
        inv = 1.0 / (ext * base ** exps)
        scale = rope.get("attention_factor") or (
            1.0 if factor <= 1.0 else math.sqrt(1 + math.log(factor) / math.log(original)))
    return inv, scale


def rotate(x, cos, sin, rdim):
    xr, xp = x[..., :rdim], x[..., rdim:]
    x1, x2 = xr[..., : rdim // 2], xr[..., rdim // 2:]
    return np.concatenate([xr * cos + np.concatenate([-x2, x1], -1) * sin, xp], -1)


def forward(cfg, w, inputs):
    mt = cfg["model_type"]
    gemma = mt == "gemma"
    hidden, heads = cfg["hidden_size"], cfg["num_attention_heads"]
    kv_heads = cfg.get("num_key_value_heads") or heads
    dim = cfg.get("head_dim") or hidden // heads
    rdim = int(dim * cfg.get("partial_rotary_factor", 1.0))
    ffn, layers = cfg["intermediate_size"], cfg["num_hidden_layers"]
    eps = cfg.get("rms_norm_eps", 1e-5 if mt == "phi3" else 1e-6)
    act = (cfg.get("hidden_activation") or cfg.get("hidden_act")) if gemma else cfg.get("hidden_act", "silu")
    tied = cfg.get("tie_word_embeddings", gemma)
    window = None
    if mt in ("mistral", "phi3") or (mt == "qwen2" and cfg.get("use_sliding_window")):
        window = cfg.get("sliding_window")
    first_window = cfg.get("max_window_layers", 0) if mt == "qwen2" else 0

    ids, mask = inputs["input_ids"], inputs["attention_mask"]
    b, s = ids.shape
    past = inputs["past_key_values.0.key"].shape[2] if "past_key_values.0.key" in inputs else 0
    pos = inputs.get("position_ids")
    if pos is None:
        pos = np.tile(np.arange(past, past + s), (b, 1))
    inv, scale = inv_freq(cfg, rdim, int(pos.max()) + 1)
    freqs = pos[:, :, None] * inv[None, None, :]
    emb = np.concatenate([freqs, freqs], -1)[:, None]
    cos, sin = np.cos(emb) * scale, np.sin(emb) * scale

    kv = past + s
    p = past + np.arange(s)
    allowed_full = (np.arange(kv)[None, :] <= p[:, None])[None, None] & (mask[:, None, None, :] == 1)
    allowed_window = allowed_full
    if window:
        allowed_window = allowed_full & (np.arange(kv)[None, :] > p[:, None] - window)[None, None]

    def norm(x, weight):
        y = x / np.sqrt((x * x).mean(-1, keepdims=True) + eps)
        return y * (1 + weight) if gemma else y * weight

    def lin(x, name, bias=False):
        y = x @ w[name + ".weight"].T
        return y + w[name + ".bias"] if name + ".bias" in w else y

    def activation(x):
        if act in ("silu", "swish"):
            return x / (1 + np.exp(-x))
        if act in ("gelu_pytorch_tanh", "gelu_new", "gelu_fast"):
            return 0.5 * x * (1 + np.tanh(math.sqrt(2 / math.pi) * (x + 0.044715 * x ** 3)))
        sys.exit("gen-llama-refs.py: activation %s not modelled" % act)

    h = w["model.embed_tokens.weight"][ids]
    if gemma:
        h = h * math.sqrt(hidden)
    outputs = {}
    for i in range(layers):
        pre = "model.layers.%d." % i
        x = norm(h, w[pre + "input_layernorm.weight"])
        if mt == "phi3":
            qkv = lin(x, pre + "self_attn.qkv_proj")
            q, k, v = np.split(qkv, [heads * dim, heads * dim + kv_heads * dim], -1)
        else:
            q, k, v = (lin(x, pre + "self_attn.%s_proj" % n) for n in "qkv")
        q = rotate(q.reshape(b, s, heads, dim).transpose(0, 2, 1, 3), cos, sin, rdim)
        k = rotate(k.reshape(b, s, kv_heads, dim).transpose(0, 2, 1, 3), cos, sin, rdim)
        v = v.reshape(b, s, kv_heads, dim).transpose(0, 2, 1, 3)
        if past:
            k = np.concatenate([inputs["past_key_values.%d.key" % i], k], 2)
            v = np.concatenate([inputs["past_key_values.%d.value" % i], v], 2)
        outputs["present.%d.key" % i], outputs["present.%d.value" % i] = k, v
        rep = heads // kv_heads
        scores = q @ np.repeat(k, rep, 1).transpose(0, 1, 3, 2) / math.sqrt(dim)
        allowed = allowed_window if (window and i >= first_window) else allowed_full
        scores = np.where(allowed, scores, -np.inf)
        scores = np.exp(scores - scores.max(-1, keepdims=True))
        ctx = (scores / scores.sum(-1, keepdims=True)) @ np.repeat(v, rep, 1)
        h = h + lin(ctx.transpose(0, 2, 1, 3).reshape(b, s, heads * dim), pre + "self_attn.o_proj")
        x = norm(h, w[pre + "post_attention_layernorm.weight"])
        if mt == "phi3":
            gate, up = np.split(lin(x, pre + "mlp.gate_up_proj"), 2, -1)
        else:
            gate, up = lin(x, pre + "mlp.gate_proj"), lin(x, pre + "mlp.up_proj")
        h = h + lin(activation(gate) * up, pre + "mlp.down_proj")
    h = norm(h, w["model.norm.weight"])
    outputs["last_hidden_state"] = h
    head = w["model.embed_tokens.weight"] if tied else w.get("lm_head.weight")
    if head is not None:
        outputs["logits"] = h @ head.T
    return outputs


def main(argv):
    check = argv[1:2] == ["--check"]
    args = argv[2:] if check else argv[1:]
    if len(args) != (2 if check else 3):
        sys.exit(__doc__)
    cfg = json.load(open(args[0] + "/config.json"))
    w = {k: v.astype(np.float64) for k, v in read_safetensors(args[0] + "/model.safetensors").items()}
    if "embed_tokens.weight" in w:  # a *Model checkpoint: no "model." prefix
        w = {"model." + k: v for k, v in w.items()}
    vectors = read_safetensors(args[1])
    names = ["input_ids", "attention_mask", "position_ids"] + [
        n for n in vectors if n.startswith("past_key_values.")]
    inputs = {n: (vectors[n] if vectors[n].dtype.kind == "i" else vectors[n].astype(np.float64))
              for n in names if n in vectors}
    outputs = forward(cfg, w, inputs)
    if check:
        worst = max(float(np.abs(outputs[n] - vectors[n]).max()) for n in outputs if n in vectors)
        print("numpy forward vs %s: max abs diff %.3g" % (args[1], worst))
        sys.exit(0 if worst <= 1e-4 else 1)
    write_safetensors(args[2], {**inputs, **outputs})


if __name__ == "__main__":
    main(sys.argv)
