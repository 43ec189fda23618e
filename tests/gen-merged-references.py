#!/usr/bin/python3
# SPDX-License-Identifier: LGPL-2.1-or-later
"""Reference vectors for both branches of a seq2seq decoder_model_merged.onnx.

    gen-merged-references.py MERGED.onnx DECODER.safetensors WITH_PAST.safetensors OUTDIR

From a case's first-step decoder vectors and its one-step with-past
vectors, writes OUTDIR/no_past.safetensors (the decoder's inputs, an empty
past, use_cache_branch false → the decoder's outputs) and
OUTDIR/with_past.safetensors (the with-past inputs, encoder_hidden_states
from the decoder's when the with-past file lacks it, use_cache_branch true →
the with-past outputs, and present.{i}.encoder.* equal to the encoder past
it was given: the cross-attention cache does not change).
"""
import json
import struct
import sys

import numpy as np
import onnx

DTYPES = {"F32": np.float32, "F16": np.float16, "I64": np.int64, "I32": np.int32, "BOOL": np.bool_}
NAMES = {np.dtype(v): k for k, v in DTYPES.items()}


def read(path):
    with open(path, "rb") as f:
        data = f.read()
    n = struct.unpack("<Q", data[:8])[0]
    header = json.loads(data[8:8 + n])
    out = {}
    for name, info in header.items():
        if name == "__metadata__":
            continue
        start, end = info["data_offsets"]
        raw = data[8 + n + start:8 + n + end]
        out[name] = np.frombuffer(raw, dtype=DTYPES[info["dtype"]]).reshape(info["shape"])
    return out


def write(path, tensors):
    header, blobs, offset = {}, [], 0
    for name, array in tensors.items():
        raw = np.ascontiguousarray(array).tobytes()
        header[name] = {"dtype": NAMES[array.dtype], "shape": list(array.shape),
                        "data_offsets": [offset, offset + len(raw)]}
        blobs.append(raw)
        offset += len(raw)
    text = json.dumps(header).encode()
    text += b" " * (-len(text) % 8)
    with open(path, "wb") as f:
        f.write(struct.pack("<Q", len(text)) + text + b"".join(blobs))


def main(merged_path, decoder_path, with_past_path, outdir):
    model = onnx.load(merged_path, load_external_data=False)
    inputs = [i.name for i in model.graph.input]
    outputs = [o.name for o in model.graph.output]
    first, step = read(decoder_path), read(with_past_path)

    no_past, with_past = {}, {}
    for name in inputs:
        if name == "use_cache_branch":
            no_past[name] = np.array([False])
            with_past[name] = np.array([True])
            continue
        if name.startswith("past_key_values."):
            # An empty past of the first step's batch, heads and head size.
            like = first["present." + name[len("past_key_values."):]]
            no_past[name] = np.zeros((like.shape[0], like.shape[1], 0, like.shape[3]), like.dtype)
        else:
            no_past[name] = first[name]
        with_past[name] = step[name] if name in step else first[name]
    for name in outputs:
        no_past[name] = first[name]
        if name in step:
            with_past[name] = step[name]
        else:
            with_past[name] = step["past_key_values." + name[len("present."):]]
    write(outdir + "/no_past.safetensors", no_past)
    write(outdir + "/with_past.safetensors", with_past)


if __name__ == "__main__":
    main(*sys.argv[1:5])
