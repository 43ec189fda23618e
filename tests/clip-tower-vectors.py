#!/usr/bin/env python3
# SPDX-License-Identifier: LGPL-2.1-or-later
"""clip-tower-vectors.py CASE_DIR OUT_DIR [TOWER_CONFIG_JSON]

Reference vectors for CLIP's split export (text_model.onnx,
vision_model.onnx), which the reference cases do not hold: a numpy CLIP
(modeling_clip.py's math) computed from CASE_DIR/model.safetensors on the
inputs of CASE_DIR/vectors.safetensors.  The numpy model is first checked
against what transformers computed (the normalised embeddings and logits of
vectors.safetensors, within 1e-5), so a mistake here cannot make a wrong
export pass.  Writes OUT_DIR/text-vectors.safetensors (input_ids →
text_embeds, last_hidden_state of CLIPTextModelWithProjection: no padding
mask) and OUT_DIR/vision-vectors.safetensors (pixel_values → image_embeds,
last_hidden_state).  TOWER_CONFIG_JSON (default CASE_DIR/config.json)
is the config the tower vectors are computed with, e.g. one with another
text_config eos_token_id.  Exit status 1 when the self-check fails.
"""
import json
import math
import os
import sys

import numpy as np

# tests/oxp_vectors.py, next to this file (no __pycache__ in the source tree).
sys.dont_write_bytecode = True
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from oxp_vectors import read_safetensors as load, write_safetensors as save  # noqa: E402


def ln(x, w, b, eps):
    m = x.mean(-1, keepdims=True)
    v = ((x - m) ** 2).mean(-1, keepdims=True)
    return (x - m) / np.sqrt(v + eps) * w + b


def act(x, name):
    if name == "quick_gelu":
        return x / (1 + np.exp(-1.702 * x))
    if name == "gelu":
        return 0.5 * x * (1 + np.vectorize(math.erf)(x / math.sqrt(2)))
    raise SystemExit("unsupported hidden_act %s" % name)


def encoder(W, p, x, mask, cfg):
    heads = cfg.get("num_attention_heads", 8)
    eps = cfg.get("layer_norm_eps", 1e-5)
    a = cfg.get("hidden_act", "quick_gelu")
    B, S, H = x.shape
    d = H // heads
    lin = lambda t, n: t @ W[n + ".weight"].T + W[n + ".bias"]
    for i in range(cfg.get("num_hidden_layers", 12)):
        q = "%s.encoder.layers.%d." % (p, i)
        h = ln(x, W[q + "layer_norm1.weight"], W[q + "layer_norm1.bias"], eps)
        split = lambda t: t.reshape(B, S, heads, d).transpose(0, 2, 1, 3)
        Q, K, V = (split(lin(h, q + "self_attn.%s_proj" % n)) for n in "qkv")
        s = Q @ K.transpose(0, 1, 3, 2) / math.sqrt(d)
        if mask is not None:
            s = s + mask
        s = np.exp(s - s.max(-1, keepdims=True))
        s /= s.sum(-1, keepdims=True)
        o = (s @ V).transpose(0, 2, 1, 3).reshape(B, S, H)
        x = x + lin(o, q + "self_attn.out_proj")
        h = ln(x, W[q + "layer_norm2.weight"], W[q + "layer_norm2.bias"], eps)
        x = x + lin(act(lin(h, q + "mlp.fc1"), a), q + "mlp.fc2")
    return x


def text(W, cfg, ids, attention_mask):
    B, S = ids.shape
    x = W["text_model.embeddings.token_embedding.weight"][ids] + W["text_model.embeddings.position_embedding.weight"][:S]
    mask = np.triu(np.full((S, S), -np.inf, np.float64), 1)[None, None]
    if attention_mask is not None:
        mask = mask + np.where(attention_mask[:, None, None, :] == 0, -np.inf, 0.0)
    x = encoder(W, "text_model", x, mask, cfg)
    x = ln(x, W["text_model.final_layer_norm.weight"], W["text_model.final_layer_norm.bias"], cfg.get("layer_norm_eps", 1e-5))
    eos = cfg.get("eos_token_id", 2)
    idx = ids.argmax(-1) if eos == 2 else (ids == eos).argmax(-1)
    return x[np.arange(B), idx] @ W["text_projection.weight"].T, x


def vision(W, cfg, pixels):
    B, C, Hh, Ww = pixels.shape
    w = W["vision_model.embeddings.patch_embedding.weight"]
    H, _, P, _ = w.shape
    patches = pixels.reshape(B, C, Hh // P, P, Ww // P, P).transpose(0, 2, 4, 1, 3, 5).reshape(B, -1, C * P * P)
    x = patches @ w.reshape(H, -1).T
    cls = np.broadcast_to(W["vision_model.embeddings.class_embedding"], (B, 1, H))
    x = np.concatenate([cls, x], 1) + W["vision_model.embeddings.position_embedding.weight"]
    eps = cfg.get("layer_norm_eps", 1e-5)
    x = ln(x, W["vision_model.pre_layrnorm.weight"], W["vision_model.pre_layrnorm.bias"], eps)
    x = encoder(W, "vision_model", x, None, cfg)
    pooled = ln(x[:, 0], W["vision_model.post_layernorm.weight"], W["vision_model.post_layernorm.bias"], eps)
    return pooled @ W["visual_projection.weight"].T, x


def main():
    case, out = sys.argv[1], sys.argv[2]
    cfg = json.load(open(case + "/config.json"))
    W = {k: v.astype(np.float64) for k, v in load(case + "/model.safetensors").items()}
    ref = load(case + "/vectors.safetensors")
    tc, vc = cfg.get("text_config", {}), cfg.get("vision_config", {})
    ids = ref["input_ids"]
    pixels = ref["pixel_values"].astype(np.float64)

    t, _ = text(W, tc, ids, ref["attention_mask"])
    v, _ = vision(W, vc, pixels)
    tn = t / np.linalg.norm(t, axis=-1, keepdims=True)
    vn = v / np.linalg.norm(v, axis=-1, keepdims=True)
    per_text = tn @ vn.T * np.exp(W["logit_scale"])
    worst = max(np.abs(tn - ref["text_embeds"]).max(), np.abs(vn - ref["image_embeds"]).max(),
                np.abs(per_text - ref["logits_per_text"]).max(),
                np.abs(per_text.T - ref["logits_per_image"]).max())
    print("numpy CLIP vs transformers: max abs diff %.3g" % worst)
    if not worst < 1e-5:
        sys.exit(1)

    if len(sys.argv) > 3:
        cfg = json.load(open(sys.argv[3]))
        tc, vc = cfg.get("text_config", {}), cfg.get("vision_config", {})
    t, tl = text(W, tc, ids, None)
    save(out + "/text-vectors.safetensors", {"input_ids": ids, "text_embeds": t.astype(np.float32),
                                             "last_hidden_state": tl.astype(np.float32)})
    v, vl = vision(W, vc, pixels)
    save(out + "/vision-vectors.safetensors", {"pixel_values": ref["pixel_values"],
                                               "image_embeds": v.astype(np.float32),
                                               "last_hidden_state": vl.astype(np.float32)})


main()
