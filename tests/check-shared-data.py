#!/usr/bin/python3
# SPDX-License-Identifier: LGPL-2.1-or-later
"""check-shared-data.py OUTDIR CHECKPOINT_DIR [MAX_RATIO]

Checks the storage of a -with-past export in OUTDIR with split decoders
(seq2seq, or decoder-only with --legacy):
  - decoder_model.onnx and decoder_with_past_model.onnx load with python
    onnx's load_external_data, every external tensor of both in ONE file,
    decoder_model.onnx_data, and an initializer the two share by name holds
    the same values in both;
  - each tensor's bytes appear once in that file: the ranges the two files
    refer to are equal or disjoint, no two distinct ranges hold the same
    bytes, and the file holds nothing else but alignment padding;
  - decoder_model_merged.onnx is self-contained (inline, or its own
    decoder_model_merged.onnx_data) and loads;
  - the tensor bytes stored in all files (each stored byte counted once) are
    at most MAX_RATIO (default 2.2) times the checkpoint's tensor bytes.
Prints one line of facts (and the bytes of whole files, graphs included);
exits 1 with the reasons when a check fails.
"""
import glob
import hashlib
import json
import os
import struct
import sys

import numpy as np
import onnx
from onnx import numpy_helper

SHARED = "decoder_model.onnx_data"


def external(init):
    return {e.key: e.value for e in init.external_data}


def checkpoint_tensor_bytes(folder):
    total = 0
    for path in glob.glob(os.path.join(folder, "*.safetensors")):
        with open(path, "rb") as f:
            n = struct.unpack("<Q", f.read(8))[0]
            head = json.loads(f.read(n))
        total += sum(v["data_offsets"][1] - v["data_offsets"][0]
                     for k, v in head.items() if k != "__metadata__")
    return total


def main(out, ckpt, max_ratio):
    problems = []
    ranges = {}  # (offset, length) -> names
    stored = 0   # tensor bytes stored, each once
    values = {}
    for f in ("decoder_model.onnx", "decoder_with_past_model.onnx"):
        path = os.path.join(out, f)
        bare = onnx.load(path, load_external_data=False)
        for init in bare.graph.initializer:
            if init.data_location == onnx.TensorProto.EXTERNAL:
                e = external(init)
                if e.get("location") != SHARED:
                    problems.append("%s: %s is in %s" % (f, init.name, e.get("location")))
                ranges.setdefault((int(e.get("offset", 0)), int(e["length"])), set()).add(init.name)
            else:
                stored += len(init.raw_data)
        model = onnx.load(path, load_external_data=True)
        for init, b in zip(model.graph.initializer, bare.graph.initializer):
            if b.data_location != onnx.TensorProto.EXTERNAL:
                continue  # graph constants may differ between the graphs
            a = numpy_helper.to_array(init)
            if init.name in values and not np.array_equal(values[init.name], a):
                problems.append("%s differs between the two files" % init.name)
            values[init.name] = a

    data_path = os.path.join(out, SHARED)
    data = open(data_path, "rb").read()
    spans = sorted(ranges)
    for (o1, l1), (o2, l2) in zip(spans, spans[1:]):
        if o1 + l1 > o2:
            problems.append("ranges %d+%d and %d+%d overlap" % (o1, l1, o2, l2))
    digests = {}
    for (o, l), names in ranges.items():
        d = hashlib.sha256(data[o:o + l]).digest()
        if d in digests:
            problems.append("%s and %s hold the same bytes twice"
                            % (sorted(names)[0], sorted(digests[d])[0]))
        digests[d] = names
    payload = sum(l for _, l in spans)
    n_aligned = sum(1 for _, l in spans if l >= 1 << 20)
    end = max((o + l for o, l in spans), default=0)
    if len(data) != end or len(data) > payload + 65536 * n_aligned:
        problems.append("%s is %d bytes for %d bytes of tensors" % (SHARED, len(data), payload))
    stored += len(data)

    merged = os.path.join(out, "decoder_model_merged.onnx")
    bare = onnx.load(merged, load_external_data=False)
    for init in bare.graph.initializer:
        if init.data_location == onnx.TensorProto.EXTERNAL:
            e = external(init)
            if e.get("location") != "decoder_model_merged.onnx_data":
                problems.append("merged: %s is in %s" % (init.name, e.get("location")))
            stored += int(e["length"])
        else:
            stored += len(init.raw_data)
    onnx.load(merged, load_external_data=True)
    # A seq2seq export has an encoder; optimum 1.13's decoder-only split
    # files (--legacy) have none.
    encoder = os.path.join(out, "encoder_model.onnx")
    if os.path.exists(encoder):
        enc = onnx.load(encoder, load_external_data=True)
        stored += sum(len(numpy_helper.to_array(i).tobytes()) for i in enc.graph.initializer)

    ck = checkpoint_tensor_bytes(ckpt)
    files = sum(os.path.getsize(p) for p in glob.glob(os.path.join(out, "*.onnx*")))
    ratio = stored / ck
    if ratio > max_ratio:
        problems.append("tensor bytes stored %d = %.3fx the checkpoint's %d (limit %.2fx)"
                        % (stored, ratio, ck, max_ratio))
    if problems:
        print("FAIL " + "; ".join(problems[:4]))
        sys.exit(1)
    print("%d tensors in %s, each once (%d bytes); tensor bytes %.3fx the checkpoint "
          "(files, graphs included: %.3fx)" % (len(spans), SHARED, len(data), ratio, files / ck))


if __name__ == "__main__":
    main(sys.argv[1], sys.argv[2], float(sys.argv[3]) if len(sys.argv) > 3 else 2.2)
