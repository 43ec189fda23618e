#!/usr/bin/env python3
# SPDX-License-Identifier: LGPL-2.1-or-later
"""GPT-2 test helper (numpy only; for tests, never at run time).

  gpt2-tool.py variant SRC DST [--config KEY=JSON] [--drop T] [--resize T=D0,D1]
                               [--strip-prefix P] [--add T=D0,D1]
      copies the checkpoint folder SRC to DST with config.json keys set,
      tensors dropped, cut to a smaller shape, renamed without prefix P, or
      added (random values).
  gpt2-tool.py merged VECTORS OUT
      VECTORS (optimum 1.13 names) with the use_cache_branch input of a
      merged decoder: true when VECTORS has a past, else false with an
      empty past of the presents' shape.
  gpt2-tool.py reference DIR OUT TASK [--position-ids] [--check VECTORS]
                                      [--all-valid]
      writes OUT, a vectors file: inputs for TASK (feature-extraction,
      text-classification, text-generation) and the outputs of GPT-2 as
      transformers' modeling_gpt2.py computes them, in float64 numpy.
      --check VECTORS first runs the reference on the inputs of a vectors
      file written by transformers and fails unless it reproduces its
      logits (so the reference itself is tested).  --all-valid: an
      attention_mask of ones (no padding row), the inputs on which
      --optimize O2 runs GroupQueryAttention.
"""
import argparse, json, math, os, shutil, struct, sys

import numpy as np

DTYPES = {"F32": np.float32, "F16": np.float16, "I64": np.int64, "BOOL": np.bool_}
NAMES = {np.dtype(v): k for k, v in DTYPES.items()}


def read_st(path):
    data = open(path, "rb").read()
    n = struct.unpack("<Q", data[:8])[0]
    header = json.loads(data[8:8 + n])
    header.pop("__metadata__", None)
    body = data[8 + n:]
    out = {}
    for k, info in header.items():
        a, b = info["data_offsets"]
        if info["dtype"] == "BF16":  # the high half of a float32
            bits = np.frombuffer(body[a:b], dtype=np.uint16).astype(np.uint32) << 16
            out[k] = bits.view(np.float32).reshape(info["shape"])
            continue
        out[k] = np.frombuffer(body[a:b], dtype=DTYPES[info["dtype"]]).reshape(info["shape"])
    return out


def read_checkpoint(folder):
    """model.safetensors, or every shard model.safetensors.index.json lists."""
    index = os.path.join(folder, "model.safetensors.index.json")
    if not os.path.exists(index):
        return read_st(os.path.join(folder, "model.safetensors"))
    out = {}
    for shard in sorted(set(json.load(open(index))["weight_map"].values())):
        out.update(read_st(os.path.join(folder, shard)))
    return out


def write_st(path, tensors):
    header, chunks, offset = {}, [], 0
    for k, v in tensors.items():
        v = np.ascontiguousarray(v)
        raw = v.tobytes()
        header[k] = {"dtype": NAMES[v.dtype], "shape": list(v.shape),
                     "data_offsets": [offset, offset + len(raw)]}
        chunks.append(raw)
        offset += len(raw)
    h = json.dumps(header).encode()
    h += b" " * (-len(h) % 8)
    with open(path, "wb") as f:
        f.write(struct.pack("<Q", len(h)) + h + b"".join(chunks))


def variant(args):
    os.makedirs(args.dst)
    for f in ("config.json", "generation_config.json"):
        if os.path.exists(os.path.join(args.src, f)):
            shutil.copy(os.path.join(args.src, f), args.dst)
    config = json.load(open(os.path.join(args.dst, "config.json")))
    for kv in args.config:
        k, v = kv.split("=", 1)
        config[k] = json.loads(v)
    json.dump(config, open(os.path.join(args.dst, "config.json"), "w"), indent=2)
    tensors = read_st(os.path.join(args.src, "model.safetensors"))
    rng = np.random.default_rng(7)
    for t in args.drop:
        del tensors[t]
    for spec in args.resize:
        t, dims = spec.split("=")
        dims = [int(d) for d in dims.split(",")]
        tensors[t] = tensors[t][tuple(slice(0, d) for d in dims)]
    if args.strip_prefix:
        p = args.strip_prefix
        tensors = {(k[len(p):] if k.startswith(p) else k): v for k, v in tensors.items()}
    for spec in args.add:
        t, dims = spec.split("=")
        dims = [int(d) for d in dims.split(",")]
        tensors[t] = (rng.standard_normal(dims) * 0.2).astype(np.float32)
    write_st(os.path.join(args.dst, "model.safetensors"), tensors)


def gelu_tanh(x):
    return 0.5 * x * (1.0 + np.tanh(math.sqrt(2.0 / math.pi) * (x + 0.044715 * x ** 3)))


ACT = {
    "gelu_new": gelu_tanh, "gelu_pytorch_tanh": gelu_tanh, "gelu_fast": gelu_tanh,
    "gelu": lambda x: 0.5 * x * (1.0 + np.vectorize(math.erf)(x / math.sqrt(2.0))),
    "relu": lambda x: np.maximum(x, 0.0),
    "quick_gelu": lambda x: x / (1.0 + np.exp(-1.702 * x)),
}


def layer_norm(x, w, b, eps):
    m = x.mean(-1, keepdims=True)
    v = ((x - m) ** 2).mean(-1, keepdims=True)
    return (x - m) / np.sqrt(v + eps) * w + b


def forward(cfg, w, ids, mask, positions):
    """GPT2Model: last hidden state [batch, seq, n_embd], float64."""
    p = "transformer." if "transformer.wte.weight" in w else ""
    g = lambda name: w[p + name].astype(np.float64)
    e, heads = cfg["n_embd"], cfg["n_head"]
    d = e // heads
    eps = cfg.get("layer_norm_epsilon", 1e-5)
    act = ACT[cfg.get("activation_function", "gelu_new")]
    batch, seq = ids.shape
    h = g("wte.weight")[ids] + g("wpe.weight")[positions]
    causal = np.tril(np.ones((seq, seq), dtype=bool))
    keep = causal[None, None] & (mask[:, None, None, :] != 0)
    for i in range(cfg["n_layer"]):
        q = "h.%d." % i
        x = layer_norm(h, g(q + "ln_1.weight"), g(q + "ln_1.bias"), eps)
        qkv = x @ g(q + "attn.c_attn.weight") + g(q + "attn.c_attn.bias")
        qh, kh, vh = (t.reshape(batch, seq, heads, d).transpose(0, 2, 1, 3)
                      for t in np.split(qkv, 3, axis=-1))
        s = qh @ kh.transpose(0, 1, 3, 2)
        if cfg.get("scale_attn_weights", True):
            s = s / math.sqrt(d)
        if cfg.get("scale_attn_by_inverse_layer_idx", False):
            s = s / float(i + 1)
        s = np.where(keep, s, -1e300)
        s = np.exp(s - s.max(-1, keepdims=True))
        s = s / s.sum(-1, keepdims=True)
        ctx = (s @ vh).transpose(0, 2, 1, 3).reshape(batch, seq, e)
        h = h + ctx @ g(q + "attn.c_proj.weight") + g(q + "attn.c_proj.bias")
        x = layer_norm(h, g(q + "ln_2.weight"), g(q + "ln_2.bias"), eps)
        f = act(x @ g(q + "mlp.c_fc.weight") + g(q + "mlp.c_fc.bias"))
        h = h + f @ g(q + "mlp.c_proj.weight") + g(q + "mlp.c_proj.bias")
    return layer_norm(h, g("ln_f.weight"), g("ln_f.bias"), eps)


def lm_logits(cfg, w, h):
    if cfg.get("tie_word_embeddings", True):
        table = w.get("transformer.wte.weight", w.get("wte.weight"))
    else:
        table = w["lm_head.weight"]
    return h @ table.astype(np.float64).T


def reference(args):
    cfg = json.load(open(os.path.join(args.dir, "config.json")))
    w = read_checkpoint(args.dir)
    if args.check:
        v = read_st(args.check)
        ids, mask = v["input_ids"], v["attention_mask"]
        pos = np.broadcast_to(np.arange(ids.shape[1]), ids.shape)
        got = lm_logits(cfg, w, forward(cfg, w, ids, mask, pos))
        diff = float(np.abs(got - v["logits"]).max())
        if diff > 2e-5:
            sys.exit("reference differs from %s by %g" % (args.check, diff))
        print("reference reproduces %s: max abs diff %.3g" % (args.check, diff))
    rng = np.random.default_rng(20261201)
    batch, seq = 3, 9
    pad = cfg.get("pad_token_id")
    ids = rng.integers(1, cfg["vocab_size"], size=(batch, seq)).astype(np.int64)
    if pad is not None:
        ids[ids == pad] = (pad + 1) % cfg["vocab_size"]
    mask = np.ones((batch, seq), dtype=np.int64)
    # Right padding in row 1.  Left padding (row 2) leaves the first query
    # rows with no key to see, whose outputs no two implementations agree
    # on; only the classification head, which reads the last token, is
    # compared with it.
    if args.all_valid:
        pass  # no padding: where --optimize O2 takes GroupQueryAttention
    elif args.task == "text-classification":
        mask[1, -3:] = 0
        mask[2, :2] = 0
    else:
        mask[1, -3:] = 0
        mask[2, -1:] = 0
    if pad is not None:
        ids[mask == 0] = pad
    pos = np.broadcast_to(np.arange(seq), (batch, seq)).astype(np.int64)
    h = forward(cfg, w, ids, mask, pos)
    out = {"input_ids": ids, "attention_mask": mask}
    if args.position_ids:
        out["position_ids"] = np.ascontiguousarray(pos)
    if args.task == "feature-extraction":
        out["last_hidden_state"] = h.astype(np.float32)
    elif args.task == "text-generation":
        out["logits"] = lm_logits(cfg, w, h).astype(np.float32)
    elif args.task == "text-classification":
        last = (np.arange(seq) * (ids != pad)).argmax(-1)
        pooled = h[np.arange(batch), last]
        out["logits"] = (pooled @ w["score.weight"].astype(np.float64).T).astype(np.float32)
    else:
        sys.exit("unknown task " + args.task)
    write_st(args.out, out)


def merged(args):
    v = dict(read_st(args.vectors))
    past = any(k.startswith("past_key_values.") for k in v)
    if not past:
        for k in [k for k in v if k.startswith("present.")]:
            shape = list(v[k].shape)
            shape[2] = 0
            v["past_key_values." + k[len("present."):]] = np.zeros(shape, np.float32)
    v["use_cache_branch"] = np.array([past])
    write_st(args.out, v)


def main():
    ap = argparse.ArgumentParser()
    sub = ap.add_subparsers(dest="cmd", required=True)
    a = sub.add_parser("variant")
    a.add_argument("src")
    a.add_argument("dst")
    a.add_argument("--config", action="append", default=[])
    a.add_argument("--drop", action="append", default=[])
    a.add_argument("--resize", action="append", default=[])
    a.add_argument("--add", action="append", default=[])
    a.add_argument("--strip-prefix")
    b = sub.add_parser("reference")
    b.add_argument("dir")
    b.add_argument("out")
    b.add_argument("task")
    b.add_argument("--position-ids", action="store_true")
    b.add_argument("--check")
    b.add_argument("--all-valid", action="store_true", help="an attention_mask of ones")
    c = sub.add_parser("merged")
    c.add_argument("vectors")
    c.add_argument("out")
    args = ap.parse_args()
    {"variant": variant, "reference": reference, "merged": merged}[args.cmd](args)


if __name__ == "__main__":
    main()
