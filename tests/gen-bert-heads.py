#!/usr/bin/env python3
# SPDX-License-Identifier: LGPL-2.1-or-later
"""gen-bert-heads.py DATADIR OUTDIR: reference cases for the task heads the
copied reference set does not cover.

For every *_feature-extraction case of a BERT-family model in DATADIR, and
every task head transformers has for it, writes OUTDIR/<model>_<task>-head/
laid out like a reference case (config.json, model.safetensors,
vectors.safetensors, case.json): the base model's weights under the task
model's prefix ("bert.", "roberta.", …) plus random head weights, and the
expected outputs computed with numpy from the head's formula in
transformers' modeling_*.py applied to the last_hidden_state transformers
computed for the case (vectors.safetensors).  Multiple-choice reads the
case's two rows as two choices of one example.
"""

import json
import math
import os
import struct
import sys

import numpy as np

# model_type: (base prefix, class prefix, token types input, hidden_act key)
MODELS = {
    "bert": ("bert", "Bert", True, "hidden_act"),
    "roberta": ("roberta", "Roberta", False, "hidden_act"),
    "xlm-roberta": ("roberta", "XLMRoberta", False, "hidden_act"),
    "camembert": ("roberta", "Camembert", False, "hidden_act"),
    "distilbert": ("distilbert", "DistilBert", False, "activation"),
    "albert": ("albert", "Albert", True, "hidden_act"),
    "electra": ("electra", "Electra", True, "hidden_act"),
    "mpnet": ("mpnet", "MPNet", False, "hidden_act"),
    "deberta-v2": ("deberta", "DebertaV2", False, "hidden_act"),
}
TASKS = {
    "fill-mask": "ForMaskedLM",
    "text-classification": "ForSequenceClassification",
    "token-classification": "ForTokenClassification",
    "question-answering": "ForQuestionAnswering",
    "multiple-choice": "ForMultipleChoice",
}
NUM_LABELS = 3

DTYPES = {"F32": np.float32, "I64": np.int64}


def read_safetensors(path):
    with open(path, "rb") as f:
        (n,) = struct.unpack("<Q", f.read(8))
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
        f.write(struct.pack("<Q", len(raw)) + raw + b"".join(chunks))


erf = np.vectorize(math.erf)


def activation(name, x):
    if name in ("gelu", "gelu_python"):
        return 0.5 * x * (1 + erf(x / math.sqrt(2)))
    if name in ("gelu_new", "gelu_pytorch_tanh", "gelu_fast", "gelu_accurate"):
        return 0.5 * x * (1 + np.tanh(math.sqrt(2 / math.pi) * (x + 0.044715 * x**3)))
    if name == "relu":
        return np.maximum(x, 0)
    if name == "tanh":
        return np.tanh(x)
    raise ValueError("activation %s" % name)


def layer_norm(x, w, b, eps):
    mean = x.mean(-1, keepdims=True)
    var = ((x - mean) ** 2).mean(-1, keepdims=True)
    return (x - mean) / np.sqrt(var + eps) * w + b


class Head:
    """Random head weights, stored as float32 and used in float64."""

    def __init__(self, rng):
        self.rng = rng
        self.tensors = {}

    def linear(self, name, n_in, n_out):
        w = (self.rng.standard_normal((n_out, n_in)) / math.sqrt(n_in)).astype(np.float32)
        b = (self.rng.standard_normal(n_out) * 0.1).astype(np.float32)
        self.tensors[name + ".weight"], self.tensors[name + ".bias"] = w, b
        return lambda x: x @ w.astype(np.float64).T + b.astype(np.float64)

    def norm(self, name, n):
        w = (1 + self.rng.standard_normal(n) * 0.1).astype(np.float32)
        b = (self.rng.standard_normal(n) * 0.1).astype(np.float32)
        self.tensors[name + ".weight"], self.tensors[name + ".bias"] = w, b
        return lambda x, eps: layer_norm(x, w.astype(np.float64), b.astype(np.float64), eps)

    def bias(self, name, n):
        b = (self.rng.standard_normal(n) * 0.1).astype(np.float32)
        self.tensors[name] = b
        return b.astype(np.float64)


def head_outputs(model_type, task, config, base, h, head):
    """The task's outputs from last_hidden_state h [batch, seq, hidden]."""
    prefix = MODELS[model_type][0]
    hs = config.get("hidden_size", config.get("dim"))
    e = config.get("embedding_size", hs)
    act = config.get(MODELS[model_type][3], "gelu")
    eps = 1e-12 if model_type == "distilbert" else config.get("layer_norm_eps", 1e-12)
    word = base["embeddings.word_embeddings.weight"].astype(np.float64)
    kind = {"xlm-roberta": "roberta", "camembert": "roberta", "mpnet": "roberta"}.get(
        model_type, model_type)

    def pooler(x0):
        if kind == "albert":
            return np.tanh(head.linear(prefix + ".pooler", hs, hs)(x0))
        return np.tanh(head.linear(prefix + ".pooler.dense", hs, hs)(x0))

    if task == "feature-extraction":
        return {"last_hidden_state": h}

    if task == "fill-mask":
        # (dense, activation, norm, tied decoder bias, transform width, activation used)
        names = {
            "bert": ("cls.predictions.transform.dense", "cls.predictions.transform.LayerNorm",
                     "cls.predictions.bias", hs, act),
            "roberta": ("lm_head.dense", "lm_head.layer_norm", "lm_head.bias", hs, "gelu"),
            "distilbert": ("vocab_transform", "vocab_layer_norm", "vocab_projector.bias", hs, act),
            "albert": ("predictions.dense", "predictions.LayerNorm", "predictions.bias", e, act),
            "electra": ("generator_predictions.dense", "generator_predictions.LayerNorm",
                        "generator_lm_head.bias", e, "gelu"),
        }[{"deberta-v2": "bert"}.get(kind, kind)]  # DeBERTa's legacy head is BERT's
        dense, norm, bias, width, head_act = names
        x = activation(head_act, head.linear(dense, hs, width)(h))
        x = head.norm(norm, width)(x, eps)
        return {"logits": x @ word.T + head.bias(bias, word.shape[0])}

    if task == "token-classification":
        return {"logits": head.linear("classifier", hs, NUM_LABELS)(h)}

    if task == "question-answering":
        logits = head.linear("qa_outputs", hs, 2)(h)
        return {"start_logits": logits[..., 0], "end_logits": logits[..., 1]}

    x0 = h[:, 0]
    n_out = 1 if task == "multiple-choice" else NUM_LABELS
    if task == "text-classification" and kind == "roberta":
        x = np.tanh(head.linear("classifier.dense", hs, hs)(x0))
        logits = head.linear("classifier.out_proj", hs, n_out)(x)
    elif task == "text-classification" and kind == "electra":
        x = activation("gelu", head.linear("classifier.dense", hs, hs)(x0))
        logits = head.linear("classifier.out_proj", hs, n_out)(x)
    elif kind == "deberta-v2":  # ContextPooler (top-level "pooler"), then classifier
        ph = config.get("pooler_hidden_size", hs)
        x = activation(config.get("pooler_hidden_act", "gelu"), head.linear("pooler.dense", hs, ph)(x0))
        logits = head.linear("classifier", ph, n_out)(x)
    elif kind == "distilbert":
        x = np.maximum(head.linear("pre_classifier", hs, hs)(x0), 0)
        logits = head.linear("classifier", hs, n_out)(x)
    elif kind == "electra":  # multiple-choice: SequenceSummary "first"
        x = head.linear("sequence_summary.summary", hs, hs)(x0)
        x = activation(config.get("summary_activation", "gelu"), x)
        logits = head.linear("classifier", hs, n_out)(x)
    else:
        logits = head.linear("classifier", hs, n_out)(pooler(x0))
    if task == "multiple-choice":
        logits = logits.reshape(1, -1)
    return {"logits": logits}


OUTPUT_ORDER = {
    "feature-extraction": ["last_hidden_state"],
    "fill-mask": ["logits"],
    "text-classification": ["logits"],
    "token-classification": ["logits"],
    "question-answering": ["start_logits", "end_logits"],
    "multiple-choice": ["logits"],
}


def main(datadir, outdir):
    rng = np.random.default_rng(20240602)
    written = []
    for case in sorted(os.listdir(datadir)):
        case_json = os.path.join(datadir, case, "case.json")
        if not case.endswith("_feature-extraction") or not os.path.exists(case_json):
            continue
        source = json.load(open(case_json))
        source_type = source["model_type"]
        if source_type not in MODELS:
            continue
        config = json.load(open(os.path.join(datadir, case, "config.json")))
        base = read_safetensors(os.path.join(datadir, case, "model.safetensors"))
        vectors = read_safetensors(os.path.join(datadir, case, "vectors.safetensors"))
        h = vectors["last_hidden_state"].astype(np.float64)

        # CamemBERT is RoBERTa under another name: RoBERTa's case stands for it.
        variants = [(source_type, TASKS)]
        if source_type == "roberta":
            variants.append(("camembert", dict(TASKS, **{"feature-extraction": "Model"})))
        for model_type, tasks in variants:
            generate(model_type, tasks, config, base, vectors, h, case, outdir, rng, written,
                     source.get("compare_positions"))
    print("\n".join(written))


def generate(model_type, tasks, config, base, vectors, h, case, outdir, rng, written,
             compare_positions=None):
    prefix, cls, token_types, _ = MODELS[model_type]
    input_names = ["input_ids", "attention_mask"] + (["token_type_ids"] if token_types else [])

    for task, suffix in tasks.items():
        head = Head(rng)
        outputs = head_outputs(model_type, task, config, base, h, head)
        name = "%s_%s-head" % (model_type, task)
        d = os.path.join(outdir, name)
        os.makedirs(d, exist_ok=True)

        cfg = dict(config)
        cfg["model_type"] = model_type
        cfg["architectures"] = [cls + suffix]
        if task in ("text-classification", "token-classification"):
            cfg["id2label"] = {str(i): "LABEL_%d" % i for i in range(NUM_LABELS)}
            cfg["label2id"] = {"LABEL_%d" % i: i for i in range(NUM_LABELS)}
        json.dump(cfg, open(os.path.join(d, "config.json"), "w"), indent=2)

        # AutoModel checkpoints keep the base names, task models prefix them.
        base_prefix = "" if task == "feature-extraction" else prefix + "."
        weights = {base_prefix + k: v for k, v in base.items()}
        weights.update(head.tensors)
        write_safetensors(os.path.join(d, "model.safetensors"), weights)

        vec = {}
        for n in input_names:
            vec[n] = vectors[n].reshape(1, *vectors[n].shape) if task == "multiple-choice" else vectors[n]
        for n in OUTPUT_ORDER[task]:
            vec[n] = outputs[n].astype(np.float32)
        write_safetensors(os.path.join(d, "vectors.safetensors"), vec)

        json.dump({
            "case": name, "model_type": model_type, "task": task,
            "architectures": cfg["architectures"],
            "inputs": [{"name": n, "shape": list(vec[n].shape), "dtype": "int64"} for n in input_names],
            "outputs": [{"name": n, "shape": list(vec[n].shape), "dtype": "float32"}
                        for n in OUTPUT_ORDER[task]],
            "atol": 1e-4,
            "note": "generated by gen-bert-heads.py from %s" % case,
            # Per-token outputs keep the source's comparison rule; pooled
            # ones come from token 0, which is always kept.
            **({"compare_positions": compare_positions}
               if compare_positions and task in ("fill-mask", "token-classification",
                                                 "question-answering") else {}),
        }, open(os.path.join(d, "case.json"), "w"), indent=1)
        written.append(name)


if __name__ == "__main__":
    if len(sys.argv) != 3:
        sys.exit("usage: gen-bert-heads.py DATADIR OUTDIR")
    main(sys.argv[1], sys.argv[2])
