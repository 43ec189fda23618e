#!/usr/bin/env python3
# SPDX-License-Identifier: LGPL-2.1-or-later
"""check-onnx.py MODEL.onnx...

An independent check of models oxport wrote, printed as TAP:
- onnx.checker.check_model(path, full_check=True) (structure, types, shape
  inference in strict mode; external data is resolved from the path);
- when the model's metadata names its source checkpoint ("oxp_test_source",
  a safetensors file beside it), every initializer whose name is a source
  tensor (a ".T" suffix: transposed; a "_N" suffix: another copy) holds
  exactly the source values converted with numpy's round-to-nearest-even to
  the initializer's type (bfloat16 emulated on the float32 bits).
"""
import json
import os
import struct
import sys

import numpy as np
import onnx

ST_DTYPES = {
    "F64": np.float64, "F32": np.float32, "F16": np.float16, "I64": np.int64,
    "I32": np.int32, "I16": np.int16, "I8": np.int8, "U8": np.uint8, "BOOL": np.bool_,
}
ONNX_DTYPES = {
    onnx.TensorProto.FLOAT: np.float32, onnx.TensorProto.FLOAT16: np.float16,
    onnx.TensorProto.BFLOAT16: np.uint16, onnx.TensorProto.DOUBLE: np.float64,
    onnx.TensorProto.INT64: np.int64, onnx.TensorProto.INT32: np.int32,
    onnx.TensorProto.INT8: np.int8, onnx.TensorProto.UINT8: np.uint8,
    onnx.TensorProto.BOOL: np.bool_,
}


def read_safetensors(path):
    with open(path, "rb") as f:
        (n,) = struct.unpack("<Q", f.read(8))
        header = json.loads(f.read(n))
        data = f.read()
    tensors = {}
    for name, info in header.items():
        if name == "__metadata__":
            continue
        begin, end = info["data_offsets"]
        a = np.frombuffer(data[begin:end], dtype=ST_DTYPES[info["dtype"]])
        tensors[name] = a.reshape(info["shape"])
    return tensors


def bf16_bits(a):
    u = a.astype(np.float32).reshape(-1).view(np.uint32).astype(np.uint64)
    r = ((u + 0x7FFF + ((u >> 16) & 1)) >> 16).astype(np.uint16)
    nan = np.isnan(a.reshape(-1))
    r[nan] = ((u[nan] >> 16) | 0x40).astype(np.uint16)
    return r.reshape(a.shape)


def expected_array(src, data_type):
    if data_type == onnx.TensorProto.BFLOAT16:
        return bf16_bits(src)
    return src.astype(ONNX_DTYPES[data_type])


def same(found, expected):
    if found.shape != expected.shape:
        return "shape %s, expected %s" % (found.shape, expected.shape)
    if expected.dtype.kind == "f":
        fn, en = np.isnan(found), np.isnan(expected)
        if not np.array_equal(fn, en):
            return "NaN positions differ"
        f, e = found[~fn], expected[~en]
        width = {2: np.uint16, 4: np.uint32, 8: np.uint64}[e.dtype.itemsize]
        bad = np.nonzero(f.view(width) != e.view(width))[0]
    else:
        bad = np.nonzero(found.reshape(-1) != expected.reshape(-1))[0]
    if len(bad):
        i = bad[0]
        return "%d values differ, first at flat index %d: %r, expected %r" % (
            len(bad), i, found.reshape(-1)[i], expected.reshape(-1)[i])
    return None


def check_values(path):
    model = onnx.load(path)  # loads external data too
    meta = {p.key: p.value for p in model.metadata_props}
    if "oxp_test_source" not in meta:
        return None, 0
    source = read_safetensors(os.path.join(os.path.dirname(path), meta["oxp_test_source"]))
    n = 0
    for t in model.graph.initializer:
        name = t.name
        base = name.rsplit("_", 1)[0] if name.rsplit("_", 1)[-1].isdigit() else name
        transposed = base.endswith(".T")
        if transposed:
            base = base[:-2]
        if base not in source:
            continue
        src = source[base].T if transposed else source[base]
        with np.errstate(over="ignore", invalid="ignore"):
            expected = expected_array(np.ascontiguousarray(src), t.data_type)
        found = np.frombuffer(t.raw_data, dtype=expected.dtype).reshape(tuple(t.dims))
        problem = same(found, expected)
        if problem:
            return "initializer %s: %s" % (name, problem), n
        n += 1
    if n == 0:
        return "no initializer matches a tensor of %s" % meta["oxp_test_source"], 0
    return None, n


def main(paths):
    print("1..%d" % (2 * len(paths)))
    failed = 0
    number = 0
    for path in paths:
        name = os.path.basename(path)
        number += 1
        try:
            onnx.checker.check_model(path, full_check=True)
            print("ok %d - check_model(full_check=True) %s" % (number, name))
        except Exception as e:  # the checker raises several types
            failed += 1
            print("not ok %d - check_model(full_check=True) %s" % (number, name))
            for line in str(e).splitlines():
                print("# " + line)
        number += 1
        try:
            problem, n = check_values(path)
        except Exception as e:
            problem, n = "%s: %s" % (type(e).__name__, e), 0
        if problem:
            failed += 1
            print("not ok %d - initializer values %s: %s" % (number, name, problem))
        elif n == 0:
            print("ok %d - initializer values %s # SKIP no source checkpoint named" % (number, name))
        else:
            print("ok %d - initializer values %s (%d initializers)" % (number, name, n))
    return 1 if failed else 0


if __name__ == "__main__":
    if len(sys.argv) < 2:
        sys.stderr.write(__doc__)
        sys.exit(2)
    sys.exit(main(sys.argv[1:]))
