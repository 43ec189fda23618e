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
# GemmaRMSNorm: the stored weight is an offset from 1.
put("norm.rms_norm_unit_offset", x / np.sqrt((x * x).mean(-1, keepdims=True) + 1e-6) * (1 + w))

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



# Rope scaling (transformers' modeling_rope_utils.py: _compute_linear_scaling_rope_parameters,
# _compute_llama3_parameters, _compute_longrope_parameters, _compute_dynamic_ntk_parameters),
# applied to rope.x at rope.positions (max position 8, so the sequence length is 9).
def default_inv(rdim, base=theta):
    return 1.0 / base ** (np.arange(0, rdim, 2) / rdim)


def rope_with(x, pos, inv, factor=1.0):
    rdim = 2 * len(inv)
    freqs = pos[:, :, None] * inv[None, None, :]
    emb = np.concatenate([freqs, freqs], -1)[:, None, :, :]
    x1, x2 = x[..., : rdim // 2], x[..., rdim // 2 :]
    rotated = np.concatenate([-x2, x1], -1)
    return x * np.cos(emb) * factor + rotated * np.sin(emb) * factor


put("rope.linear", rope_with(xr, positions, default_inv(hd) / 2.0))


def llama3_inv(rdim, factor, low, high, old_len):
    inv = default_inv(rdim)
    wavelen = 2 * math.pi / inv
    out = np.where(wavelen > old_len / low, inv / factor, inv)
    smooth = (old_len / wavelen - low) / (high - low)
    smoothed = (1 - smooth) * out / factor + smooth * out
    medium = ~(wavelen < old_len / high) & ~(wavelen > old_len / low)
    return np.where(medium, smoothed, out)


llama3 = llama3_inv(hd, 8.0, 1.0, 4.0, 64)
assert (llama3 != default_inv(hd)).sum() >= 2, "every llama3 branch should be exercised"
put("rope.llama3", rope_with(xr, positions, llama3))

short_factor = np.array([1.0, 1.25, 1.5, 2.0])
long_factor = np.array([1.0, 2.0, 4.0, 8.0])
longrope_factor = 4.0  # max_position_embeddings / original_max_position_embeddings
attn = math.sqrt(1 + math.log(longrope_factor) / math.log(8))
# original 8 < 9: long factors; original 16: short ones (same derived attention factor input).
put("rope.longrope_long", rope_with(xr, positions, default_inv(hd) / long_factor, attn))
attn16 = math.sqrt(1 + math.log(longrope_factor) / math.log(16))
put("rope.longrope_short", rope_with(xr, positions, default_inv(hd) / short_factor, attn16))

# dynamic, factor 2, max_position_embeddings 4: the base grows for length 9 ...
seq_len, dyn_factor, dyn_max = 9, 2.0, 4
dyn_base = theta * ((dyn_factor * seq_len / dyn_max) - (dyn_factor - 1)) ** (hd / (hd - 2))
put("rope.dynamic", rope_with(xr, positions, default_inv(hd, dyn_base)))
# ... and stays for max_position_embeddings 16.
put("rope.dynamic_within", rope_with(xr, positions, default_inv(hd)))

# Cached self-attention (LlamaAttention after its projections): GQA with 4
# query heads over 2 key/value heads, a past of 3, rotary, causal + padding.
b_, s_, past_, nh, nkv, d_ = 2, 4, 3, 4, 2, 8
cq = randn(b_, s_, nh * d_)
ck = randn(b_, s_, nkv * d_)
cv = randn(b_, s_, nkv * d_)
cpk = randn(b_, nkv, past_, d_)
cpv = randn(b_, nkv, past_, d_)
cmask = np.ones((b_, past_ + s_), dtype=np.int64)
cmask[1, :2] = 0
cpos = np.tile(np.arange(past_, past_ + s_), (b_, 1)).astype(np.int64)


def split(t, heads):
    return t.reshape(b_, s_, heads, d_).transpose(0, 2, 1, 3)


qh = rope(split(cq, nh), cpos, d_)
kh = np.concatenate([cpk, rope(split(ck, nkv), cpos, d_)], axis=2)
vh = np.concatenate([cpv, split(cv, nkv)], axis=2)
kvl = past_ + s_
allowed = (np.arange(kvl)[None, :] <= (past_ + np.arange(s_))[:, None])[None, None] & (
    cmask[:, None, None, :] == 1)
add = np.where(allowed, 0.0, fmin)
scores = qh @ np.repeat(kh, nh // nkv, axis=1).transpose(0, 1, 3, 2) / math.sqrt(d_) + add
ctx = softmax(scores) @ np.repeat(vh, nh // nkv, axis=1)
for name, t in [("q", cq), ("k", ck), ("v", cv), ("past_key", cpk), ("past_value", cpv),
                ("mask", cmask), ("positions", cpos)]:
    put("cached." + name, t)
put("cached.y", ctx.transpose(0, 2, 1, 3).reshape(b_, s_, nh * d_))
put("cached.present_key", kh)
put("cached.present_value", vh)


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
