#!/usr/bin/env python3
# SPDX-License-Identifier: LGPL-2.1-or-later
"""whisper-odd-vectors.py WHISPER_ENCODER_CASE_DIR FRAMES OUT.safetensors

transformers' WhisperEncoder only takes 2 * max_source_positions frames, so
no reference case has an odd frame count.  This computes the encoder in
numpy (modeling_whisper.py's math: conv1 k3 pad 1 -> GELU -> conv2 k3
stride 2 pad 1 -> GELU -> + embed_positions[:T'] -> pre-LN layers -> final
LayerNorm), first checks it against the case's transformers vectors (within
1e-5) so that a mistake here cannot make a wrong export pass, then writes
OUT (input_features [2, mels, FRAMES] -> last_hidden_state [2, ceil(FRAMES /
2), d_model]).
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
    write_safetensors(path, {k: np.ascontiguousarray(a, np.float32) for k, a in tensors.items()})


def gelu(x):
    erf = np.vectorize(math.erf)
    return 0.5 * x * (1.0 + erf(x / math.sqrt(2.0)))


def conv1d(x, w, b, stride):
    """torch Conv1d, kernel 3, padding 1: x [B, C, T], w [O, C, 3]."""
    t = x.shape[2]
    xp = np.pad(x, ((0, 0), (0, 0), (1, 1)))
    n_out = (t + 2 - 3) // stride + 1
    cols = np.stack([xp[:, :, j * stride:j * stride + 3] for j in range(n_out)], axis=1)
    return np.einsum("bjck,ock->boj", cols, w) + b[None, :, None]


def layer_norm(x, w, b, eps=1e-5):
    m = x.mean(-1, keepdims=True)
    v = ((x - m) ** 2).mean(-1, keepdims=True)
    return (x - m) / np.sqrt(v + eps) * w + b


def encoder(p, cfg, x):
    x = x.astype(np.float64)
    g = lambda k: p["model.encoder." + k].astype(np.float64)
    h = gelu(conv1d(x, g("conv1.weight"), g("conv1.bias"), 1))
    h = gelu(conv1d(h, g("conv2.weight"), g("conv2.bias"), 2))
    h = h.transpose(0, 2, 1)
    h = h + g("embed_positions.weight")[:h.shape[1]]
    heads = cfg["encoder_attention_heads"]
    d = cfg["d_model"]
    hd = d // heads
    for i in range(cfg["encoder_layers"]):
        l = "layers.%d." % i
        n = layer_norm(h, g(l + "self_attn_layer_norm.weight"), g(l + "self_attn_layer_norm.bias"))
        q = (n @ g(l + "self_attn.q_proj.weight").T + g(l + "self_attn.q_proj.bias")) * hd ** -0.5
        k = n @ g(l + "self_attn.k_proj.weight").T
        v = n @ g(l + "self_attn.v_proj.weight").T + g(l + "self_attn.v_proj.bias")
        split = lambda t: t.reshape(t.shape[0], t.shape[1], heads, hd).transpose(0, 2, 1, 3)
        s = split(q) @ split(k).transpose(0, 1, 3, 2)
        s = np.exp(s - s.max(-1, keepdims=True))
        s /= s.sum(-1, keepdims=True)
        a = (s @ split(v)).transpose(0, 2, 1, 3).reshape(h.shape[0], h.shape[1], d)
        h = h + a @ g(l + "self_attn.out_proj.weight").T + g(l + "self_attn.out_proj.bias")
        n = layer_norm(h, g(l + "final_layer_norm.weight"), g(l + "final_layer_norm.bias"))
        f = gelu(n @ g(l + "fc1.weight").T + g(l + "fc1.bias"))
        h = h + f @ g(l + "fc2.weight").T + g(l + "fc2.bias")
    return layer_norm(h, g("layer_norm.weight"), g("layer_norm.bias"))


def main():
    case, frames, out = sys.argv[1], int(sys.argv[2]), sys.argv[3]
    cfg = json.load(open(case + "/config.json"))
    p = load(case + "/model.safetensors")
    ref = load(case + "/vectors.safetensors")
    got = encoder(p, cfg, ref["input_features"])
    diff = float(np.abs(got - ref["last_hidden_state"]).max())
    if not diff <= 1e-5:
        sys.exit("numpy encoder differs from transformers' by %g" % diff)
    x = np.random.default_rng(frames).standard_normal(
        (2, cfg["num_mel_bins"], frames)).astype(np.float32)
    y = encoder(p, cfg, x)
    assert y.shape[1] == (frames + 1) // 2
    save(out, {"input_features": x, "last_hidden_state": y})
    print("numpy encoder vs transformers: %.3g; wrote %d frames -> %d" % (diff, frames, y.shape[1]))


main()
