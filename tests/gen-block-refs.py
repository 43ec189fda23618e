#!/usr/bin/env python3
# SPDX-License-Identifier: LGPL-2.1-or-later
"""Reference values for tests/test-blocks.c, computed independently with numpy.

Writes OUTDIR/block-refs.safetensors: the weights the blocks read, the inputs
the graphs are run on and the expected outputs, all under "<case>.<name>"
names.  Everything is computed in float64 from the textbook formulas (the
transformers code they mirror is named per case) and stored as float32.
"""

import json
import math
import struct
import sys

import numpy as np

rng = np.random.default_rng(20240601)
tensors = {}


def put(name, array):
    tensors[name] = np.ascontiguousarray(array)


def randn(*shape, scale=1.0):
    return rng.standard_normal(shape) * scale


erf = np.vectorize(math.erf)


def layer_norm(x, w, b, eps):
    mean = x.mean(-1, keepdims=True)
    var = ((x - mean) ** 2).mean(-1, keepdims=True)
    return (x - mean) / np.sqrt(var + eps) * w + b


def softmax(x):
    e = np.exp(x - x.max(-1, keepdims=True))
    return e / e.sum(-1, keepdims=True)


def sigmoid(x):
    return 1.0 / (1.0 + np.exp(-x))


# Linear: torch Linear y = x W^T + b (W [out, in]); GPT-2 Conv1D y = x W + b (W [in, out]).
x = randn(2, 3, 5)
w = randn(4, 5, scale=1 / math.sqrt(5))
b = randn(4, scale=0.1)
put("linear.x", x)
put("linear.weight", w)
put("linear.bias", b)
put("linear.y", x @ w.T + b)
put("linear.y_no_bias", x @ w.T)
put("conv1d.weight", w.T.copy())
put("conv1d.bias", b)

# LayerNorm (nn.LayerNorm) and RMSNorm (LlamaRMSNorm / T5LayerNorm).
x = randn(2, 3, 8) * 3 + 1
w = 1 + randn(8, scale=0.1)
b = randn(8, scale=0.1)
put("norm.x", x)
put("norm.weight", w)
put("norm.bias", b)
put("norm.layer_norm", layer_norm(x, w, b, 1e-5))
put("norm.layer_norm_no_bias", layer_norm(x, w, 0.0, 1e-12))
put("norm.rms_norm", x / np.sqrt((x * x).mean(-1, keepdims=True) + 1e-6) * w)

# Activations (transformers.activations).
x = np.linspace(-6, 6, 2 * 3 * 16).reshape(2, 3, 16)
put("act.x", x)
put("act.gelu", 0.5 * x * (1 + erf(x / math.sqrt(2))))
put("act.gelu_tanh", 0.5 * x * (1 + np.tanh(math.sqrt(2 / math.pi) * (x + 0.044715 * x**3))))
put("act.quick_gelu", x * sigmoid(1.702 * x))
put("act.silu", x * sigmoid(x))
put("act.relu", np.maximum(x, 0))
put("act.tanh", np.tanh(x))
put("act.sigmoid", sigmoid(x))
up = randn(2, 3, 16)
put("act.up", up)
put("act.swiglu", x * sigmoid(x) * up)

# Embedding lookup and positions.
table = randn(10, 6)
ids = np.array([[3, 1, 4, 1, 5], [9, 2, 6, 1, 1]], dtype=np.int64)
put("emb.weight", table)
put("emb.ids", ids)
put("emb.y", table[ids])
pad = 1
keep = (ids != pad).astype(np.int64)
put("pos.roberta", np.cumsum(keep, axis=1) * keep + pad)
put("pos.roberta_past3", (np.cumsum(keep, axis=1) + 3) * keep + pad)

# Heads and attention (BertSelfAttention / eager attention).
batch, heads, seq, kv, dim = 2, 3, 4, 6, 5
hidden = randn(batch, seq, heads * dim)
put("heads.x", hidden)
split = hidden.reshape(batch, seq, heads, dim).transpose(0, 2, 1, 3)
put("heads.split", split)
q = randn(batch, heads, seq, dim)
k = randn(batch, heads, kv, dim)
v = randn(batch, heads, kv, dim)
mask = np.ones((batch, kv), dtype=np.int64)
mask[1, -2:] = 0
fmin = float(np.finfo(np.float32).min)
add_mask = ((1.0 - mask) * fmin)[:, None, None, :]
put("attn.q", q)
put("attn.k", k)
put("attn.v", v)
put("attn.mask", mask)
scores = q @ k.transpose(0, 1, 3, 2)
put("attn.scaled", softmax(scores / math.sqrt(dim) + add_mask) @ v)
put("attn.unscaled", softmax(scores) @ v)
past = randn(batch, heads, 2, dim)
put("attn.past", past)
put("attn.concat", np.concatenate([past, k], axis=2))
kv_heads, rep = 2, 3
kvx = randn(batch, kv_heads, kv, dim)
put("gqa.x", kvx)
put("gqa.y", np.repeat(kvx, rep, axis=1))

# Rotary embeddings (LlamaRotaryEmbedding + apply_rotary_pos_emb, rotate_half).
hd, rot, theta = 8, 4, 10000.0
xr = randn(batch, heads, seq, hd)
positions = np.array([[0, 1, 2, 3], [5, 6, 7, 8]], dtype=np.int64)


def rope(x, pos, rdim):
    inv = 1.0 / theta ** (np.arange(0, rdim, 2) / rdim)
    freqs = pos[:, :, None] * inv[None, None, :]
    emb = np.concatenate([freqs, freqs], -1)[:, None, :, :]
    xr_, xp = x[..., :rdim], x[..., rdim:]
    x1, x2 = xr_[..., : rdim // 2], xr_[..., rdim // 2 :]
    rotated = np.concatenate([-x2, x1], -1)
    return np.concatenate([xr_ * np.cos(emb) + rotated * np.sin(emb), xp], -1)


put("rope.x", xr)
put("rope.positions", positions)
put("rope.full", rope(xr, positions, hd))
put("rope.partial", rope(xr, positions, rot))


def write(path):
    header, chunks, offset = {}, [], 0
    for name, array in tensors.items():
        if array.dtype == np.int64:
            dtype, data = "I64", array.astype("<i8").tobytes()
        else:
            dtype, data = "F32", array.astype("<f4").tobytes()
        header[name] = {"dtype": dtype, "shape": list(array.shape),
                        "data_offsets": [offset, offset + len(data)]}
        chunks.append(data)
        offset += len(data)
    raw = json.dumps(header, separators=(",", ":")).encode()
    raw += b" " * (-len(raw) % 8)
    with open(path, "wb") as f:
        f.write(struct.pack("<Q", len(raw)))
        f.write(raw)
        for chunk in chunks:
            f.write(chunk)


if __name__ == "__main__":
    if len(sys.argv) != 2:
        sys.exit("usage: gen-block-refs.py OUTDIR")
    write(sys.argv[1] + "/block-refs.safetensors")
