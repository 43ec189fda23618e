#!/usr/bin/env python3
# SPDX-License-Identifier: LGPL-2.1-or-later
"""Writes the tiny ONNX models (and reference vectors) the runtime and
validator tests use, into the folder given as the only argument.

Every model computes, from int64 input_ids and attention_mask of shape
[batch_size, sequence_length]:
    last_hidden_state = ids[..., None] * W + mask[..., None] * B    [batch_size, sequence_length, 4]
    pooler_output     = mean of last_hidden_state over the sequence [batch_size, 4]
and each variant breaks one thing the validator must catch.

Run with Debian's python3-onnx (onnx.helper) and numpy; test time only.
"""

import json
import os
import struct
import sys

import numpy as np
import onnx
from onnx import TensorProto, helper, numpy_helper

OPSET = 17
HIDDEN = 4
W = np.array([0.01, -0.02, 0.03, 0.5], dtype=np.float32)
B = np.array([1.0, 2.0, -1.0, 0.25], dtype=np.float32)


def value_info(name, elem_type, dims):
    return helper.make_tensor_value_info(name, elem_type, dims)


def build(path, *, input_dims=("batch_size", "sequence_length"), outputs=None,
          transpose=False, freeze_batch=None, slice_batch=None, divide_by_zero=False,
          pooler_type=TensorProto.FLOAT, hidden_seq_name="sequence_length"):
    """Builds one variant and writes it to path."""
    nodes = [
        helper.make_node("Cast", ["input_ids"], ["ids_f"], to=TensorProto.FLOAT),
        helper.make_node("Cast", ["attention_mask"], ["mask_f"], to=TensorProto.FLOAT),
        helper.make_node("Unsqueeze", ["ids_f", "last_axis"], ["ids_u"]),
        helper.make_node("Unsqueeze", ["mask_f", "last_axis"], ["mask_u"]),
        helper.make_node("Mul", ["ids_u", "W"], ["ids_w"]),
        helper.make_node("Mul", ["mask_u", "B"], ["mask_b"]),
        helper.make_node("Add", ["ids_w", "mask_b"], ["hidden"]),
    ]
    initializers = [
        numpy_helper.from_array(np.array([-1], dtype=np.int64), "last_axis"),
        numpy_helper.from_array(W, "W"),
        numpy_helper.from_array(B, "B"),
    ]
    hidden = "hidden"
    if freeze_batch is not None:
        # What a tracer leaves behind: a reshape to the batch size seen at export.
        initializers.append(numpy_helper.from_array(
            np.array([freeze_batch, -1, HIDDEN], dtype=np.int64), "frozen_shape"))
        nodes.append(helper.make_node("Reshape", ["hidden", "frozen_shape"], ["hidden_frozen"]))
        hidden = "hidden_frozen"
    if slice_batch is not None:
        # A slice whose end was traced as a number: invisible to shape
        # inference, wrong as soon as the batch grows.
        for name, value in (("slice_start", 0), ("slice_end", slice_batch), ("slice_axis", 0)):
            initializers.append(numpy_helper.from_array(np.array([value], dtype=np.int64), name))
        nodes.append(helper.make_node("Slice", ["hidden", "slice_start", "slice_end", "slice_axis"],
                                      ["hidden_sliced"]))
        hidden = "hidden_sliced"
    if divide_by_zero:
        initializers.append(numpy_helper.from_array(
            np.array([0.0, 1.0, 1.0, 1.0], dtype=np.float32), "divisor"))
        nodes.append(helper.make_node("Div", [hidden, "divisor"], ["hidden_div"]))
        hidden = "hidden_div"
    if transpose:
        # Batch and sequence swapped: [sequence_length, batch_size, 4].
        nodes.append(helper.make_node("Transpose", [hidden], ["hidden_t"], perm=[1, 0, 2]))
        nodes.append(helper.make_node("Identity", ["hidden_t"], ["last_hidden_state"]))
        pooled_from = hidden
    else:
        nodes.append(helper.make_node("Identity", [hidden], ["last_hidden_state"]))
        pooled_from = hidden
    nodes.append(helper.make_node("ReduceMean", [pooled_from], ["pooled"], axes=[1], keepdims=0))
    if pooler_type == TensorProto.FLOAT:
        nodes.append(helper.make_node("Identity", ["pooled"], ["pooler_output"]))
    else:
        nodes.append(helper.make_node("Cast", ["pooled"], ["pooler_output"], to=pooler_type))

    batch = input_dims[0]
    all_outputs = {
        "last_hidden_state": value_info("last_hidden_state", TensorProto.FLOAT,
                                        [batch, hidden_seq_name, HIDDEN]),
        "pooler_output": value_info("pooler_output", pooler_type, [batch, HIDDEN]),
    }
    if outputs is None:
        outputs = ["last_hidden_state", "pooler_output"]
    graph = helper.make_graph(
        nodes, "oxport_test",
        [value_info("input_ids", TensorProto.INT64, list(input_dims)),
         value_info("attention_mask", TensorProto.INT64, list(input_dims))],
        [all_outputs[name] for name in outputs],
        initializers)
    model = helper.make_model(graph, producer_name="oxport-tests",
                              opset_imports=[helper.make_opsetid("", OPSET)])
    model.ir_version = 8
    if not transpose:
        # The transposed variant contradicts its declared shapes on purpose.
        onnx.checker.check_model(model)
    onnx.save(model, path)


def build_bert_like(path, *, hidden=32, output="last_hidden_state", slice_batch=None,
                    transpose=False):
    """A graph with the inputs and output of a BERT feature-extraction
    export (input_ids, attention_mask, token_type_ids [batch_size,
    sequence_length] -> last_hidden_state [batch_size, sequence_length,
    hidden]) but a made-up computation, for the CLI tests."""
    rng = np.random.default_rng(hidden)
    names = ("input_ids", "attention_mask", "token_type_ids")
    nodes, initializers, terms = [], [
        numpy_helper.from_array(np.array([-1], dtype=np.int64), "last_axis")], []
    for name in names:
        weight = rng.normal(size=hidden).astype(np.float32)
        initializers.append(numpy_helper.from_array(weight, name + "_w"))
        nodes.append(helper.make_node("Cast", [name], [name + "_f"], to=TensorProto.FLOAT))
        nodes.append(helper.make_node("Unsqueeze", [name + "_f", "last_axis"], [name + "_u"]))
        nodes.append(helper.make_node("Mul", [name + "_u", name + "_w"], [name + "_t"]))
        terms.append(name + "_t")
    nodes.append(helper.make_node("Sum", terms, ["hidden"]))
    result = "hidden"
    if slice_batch is not None:
        for name, value in (("slice_start", 0), ("slice_end", slice_batch), ("slice_axis", 0)):
            initializers.append(numpy_helper.from_array(np.array([value], dtype=np.int64), name))
        nodes.append(helper.make_node("Slice", ["hidden", "slice_start", "slice_end",
                                                "slice_axis"], ["hidden_sliced"]))
        result = "hidden_sliced"
    if transpose:
        nodes.append(helper.make_node("Transpose", [result], ["hidden_t"], perm=[1, 0, 2]))
        result = "hidden_t"
    nodes.append(helper.make_node("Identity", [result], [output]))
    graph = helper.make_graph(
        nodes, "oxport_test_bert_like",
        [value_info(name, TensorProto.INT64, ["batch_size", "sequence_length"]) for name in names],
        [value_info(output, TensorProto.FLOAT, ["batch_size", "sequence_length", hidden])],
        initializers)
    model = helper.make_model(graph, producer_name="oxport-tests",
                              opset_imports=[helper.make_opsetid("", OPSET)])
    model.ir_version = 8
    onnx.save(model, path)


def write_safetensors(path, tensors):
    """Writes a safetensors file: an 8-byte little-endian header length, the
    JSON header, then the data."""
    dtypes = {np.dtype(np.float32): "F32", np.dtype(np.int64): "I64"}
    header = {"__metadata__": {"generator": "gen-test-models.py"}}
    blobs = []
    offset = 0
    for name, array in tensors.items():
        array = np.ascontiguousarray(array)
        data = array.tobytes()
        header[name] = {"dtype": dtypes[array.dtype], "shape": list(array.shape),
                        "data_offsets": [offset, offset + len(data)]}
        blobs.append(data)
        offset += len(data)
    raw = json.dumps(header, separators=(",", ":")).encode()
    raw += b" " * (-len(raw) % 8)
    with open(path, "wb") as f:
        f.write(struct.pack("<Q", len(raw)))
        f.write(raw)
        for blob in blobs:
            f.write(blob)


def references(out):
    rng = np.random.default_rng(20261126)
    ids = rng.integers(0, 100, size=(2, 5), dtype=np.int64)
    mask = np.ones((2, 5), dtype=np.int64)
    mask[1, 3:] = 0
    hidden = ids[..., None].astype(np.float32) * W + mask[..., None].astype(np.float32) * B
    pooled = hidden.mean(axis=1, dtype=np.float32)
    good = {"input_ids": ids, "attention_mask": mask,
            "last_hidden_state": hidden, "pooler_output": pooled}
    write_safetensors(os.path.join(out, "good-reference.safetensors"), good)
    off = dict(good)
    off["last_hidden_state"] = hidden.copy()
    off["last_hidden_state"][1, 2, 3] += np.float32(0.01)
    write_safetensors(os.path.join(out, "off-reference.safetensors"), off)
    wrong = dict(good)
    wrong["pooler_output"] = np.zeros((2, 3), dtype=np.float32)
    write_safetensors(os.path.join(out, "wrong-shape-reference.safetensors"), wrong)
    no_input = {k: v for k, v in good.items() if k != "attention_mask"}
    write_safetensors(os.path.join(out, "no-input-reference.safetensors"), no_input)


def main():
    if len(sys.argv) != 2:
        sys.exit("usage: gen-test-models.py OUTDIR")
    out = sys.argv[1]
    os.makedirs(out, exist_ok=True)
    build(os.path.join(out, "good.onnx"))
    build(os.path.join(out, "wrong-shape.onnx"), transpose=True)
    build(os.path.join(out, "missing-output.onnx"), outputs=["last_hidden_state"])
    build(os.path.join(out, "swapped-outputs.onnx"), outputs=["pooler_output", "last_hidden_state"])
    build(os.path.join(out, "wrong-type.onnx"), pooler_type=TensorProto.DOUBLE)
    build(os.path.join(out, "frozen-input.onnx"), input_dims=(2, "sequence_length"))
    build(os.path.join(out, "frozen-reshape.onnx"), freeze_batch=2)
    build(os.path.join(out, "frozen-graph.onnx"), slice_batch=2)
    build(os.path.join(out, "not-finite.onnx"), divide_by_zero=True)
    # Declares the sequence axis of last_hidden_state as the past length.
    build(os.path.join(out, "past-named.onnx"), hidden_seq_name="past_sequence_length")
    with open(os.path.join(out, "corrupt.onnx"), "wb") as f:
        f.write(b"\x08\x07\x12\x0coxport-tests\x3a\xff\xff\xff\x0fnot a graph")
    references(out)
    build_bert_like(os.path.join(out, "bert-like.onnx"))
    build_bert_like(os.path.join(out, "bert-like-missing-output.onnx"), output="hidden_states")
    build_bert_like(os.path.join(out, "bert-like-frozen.onnx"), slice_batch=2)
    build_bert_like(os.path.join(out, "bert-like-wrong-shape.onnx"), transpose=True)


if __name__ == "__main__":
    main()
