#!/usr/bin/python3
# SPDX-License-Identifier: LGPL-2.1-or-later
"""Independent check of `oxport export --quantize`: unpacks every
MatMulNBits' codes, scales and zero points from MODEL.onnx and compares the
dequantized weights with the checkpoint's (read here from the safetensors
files with numpy, not by oxport).  Every weight must be within half a
quantization step of its block (plus float rounding), every padded code
must be the zero code, and the metadata must record the settings.

The scales must be stored as SCALES (float32 or float16; default: the
activations' type), recorded as oxport_quantize_scales; stored narrower than
the activations, they must reach MatMulNBits through a Cast to that type
(MatMulNBits takes them in its input A's type).

Usage: check-quantized.py MODEL.onnx CHECKPOINT_DIR BITS BLOCK_SIZE sym|asym [SCALES]
Prints one JSON line of facts; exits 1 on a mismatch."""

import glob
import json
import os
import struct
import sys

import numpy as np
import onnx
from onnx import numpy_helper


def load_safetensors(folder):
    dtypes = {"F32": np.float32, "F16": np.float16, "F64": np.float64}
    tensors = {}
    for path in sorted(glob.glob(os.path.join(folder, "*.safetensors"))):
        if os.path.basename(path).startswith("vectors"):
            continue
        with open(path, "rb") as f:
            (n,) = struct.unpack("<Q", f.read(8))
            header = json.loads(f.read(n))
            base = 8 + n
            data = np.memmap(path, dtype=np.uint8, mode="r")
        for name, info in header.items():
            if name == "__metadata__":
                continue
            start, end = info["data_offsets"]
            raw = data[base + start : base + end]
            if info["dtype"] == "BF16":
                arr = (raw.view(np.uint16).astype(np.uint32) << 16).view(np.float32)
            elif info["dtype"] in dtypes:
                arr = raw.view(dtypes[info["dtype"]])
            else:
                continue
            tensors[name] = arr.reshape(info["shape"]).astype(np.float32)
    return tensors


def unpack(codes, bits):
    if bits == 8:
        return codes.astype(np.int32)
    low = codes & 0x0F
    high = codes >> 4
    return np.stack([low, high], axis=-1).reshape(*codes.shape[:-1], -1).astype(np.int32)


def main():
    model_path, ckpt_dir, bits, block, scheme = sys.argv[1:6]
    bits, block = int(bits), int(block)
    model = onnx.load(model_path)
    inits = {t.name: t for t in model.graph.initializer}
    meta = {p.key: p.value for p in model.metadata_props}
    casts = {n.output[0]: n for n in model.graph.node if n.op_type == "Cast"}
    # The activations' type: the first graph input that is a float tensor.
    np_types = {onnx.TensorProto.FLOAT: np.float32, onnx.TensorProto.FLOAT16: np.float16}
    tensor_type = lambda t: np_types.get(t)  # noqa: E731
    act_type = np.float32
    for v in list(model.graph.input) + list(model.graph.output):
        t = v.type.tensor_type.elem_type
        if t in (onnx.TensorProto.FLOAT, onnx.TensorProto.FLOAT16):
            act_type = tensor_type(t)
            break
    scales_type = {"float16": np.float16, "float32": np.float32}.get(
        sys.argv[6] if len(sys.argv) > 6 else "", act_type
    )
    weights = load_safetensors(ckpt_dir)
    with open(os.path.join(ckpt_dir, "config.json")) as f:
        conv1d = json.load(f).get("model_type") == "gpt2"
    by_data = {}
    failures = []

    expect_meta = {
        "oxport_quantize": "int%d" % bits,
        "oxport_quantize_block_size": str(block),
        "oxport_quantize_scheme": "symmetric" if scheme == "sym" else "asymmetric",
        "oxport_quantize_scales": "float16" if scales_type == np.float16 else "float32",
    }
    for key, value in expect_meta.items():
        if meta.get(key) != value:
            failures.append("metadata %s is %r, expected %r" % (key, meta.get(key), value))

    nodes = [n for n in model.graph.node if n.op_type == "MatMulNBits"]
    worst = 0.0
    checked = 0
    for node in nodes:
        attrs = {a.name: onnx.helper.get_attribute_value(a) for a in node.attribute}
        k, n = attrs["K"], attrs["N"]
        if attrs["bits"] != bits or attrs["block_size"] != block or node.domain != "com.microsoft":
            failures.append("%s: attributes %r" % (node.name, attrs))
        b_name = node.input[1]
        # The initializer is named after the checkpoint tensor: "<tensor>.q4".
        tensor = b_name.rsplit(".", 1)[0]
        if tensor not in weights:
            failures.append("%s: no checkpoint tensor %s" % (node.name, tensor))
            continue
        w = weights[tensor]
        if conv1d and (".attn.c_" in tensor or ".mlp.c_" in tensor):
            w = w.T  # GPT-2's Conv1D: [in, out]
        if w.shape != (n, k):
            failures.append("%s: checkpoint shape %s, K=%d N=%d" % (tensor, w.shape, k, n))
            continue
        k_blocks = (k + block - 1) // block
        codes = numpy_helper.to_array(inits[b_name])
        if codes.dtype != np.uint8 or codes.shape != (n, k_blocks, block * bits // 8):
            failures.append("%s: codes %s %s" % (b_name, codes.dtype, codes.shape))
            continue
        q = unpack(codes, bits).reshape(n, k_blocks * block)
        scales_name = node.input[2]
        if scales_type != act_type:
            cast = casts.get(scales_name)
            to = cast and onnx.helper.get_attribute_value(cast.attribute[0])
            if cast is None or tensor_type(to) != act_type:
                failures.append("%s: %s scales not cast to %s" % (node.name, scales_type, act_type))
                continue
            scales_name = cast.input[0]
        if scales_name not in inits:
            failures.append("%s: scales %s are no initializer" % (node.name, scales_name))
            continue
        scales = numpy_helper.to_array(inits[scales_name])
        if scales.dtype != scales_type:
            failures.append("%s: scales are %s, expected %s" % (scales_name, scales.dtype, scales_type))
            continue
        scales = scales.astype(np.float32)
        if scales.shape != (n * k_blocks,):
            failures.append("%s: scales shape %s" % (scales_name, scales.shape))
            continue
        scales = scales.reshape(n, k_blocks)
        if len(node.input) > 3 and node.input[3]:
            if scheme == "sym":
                failures.append("%s: zero points in a symmetric export" % node.name)
            zp_packed = numpy_helper.to_array(inits[node.input[3]])
            row = (k_blocks * bits + 7) // 8
            zp = unpack(zp_packed.reshape(n, row), bits)[:, :k_blocks]
        else:
            if scheme != "sym":
                failures.append("%s: no zero points in an asymmetric export" % node.name)
            zp = np.full((n, k_blocks), 1 << (bits - 1), dtype=np.int32)
        zp_full = np.repeat(zp, block, axis=1)
        deq = (q - zp_full).astype(np.float32) * np.repeat(scales, block, axis=1)
        pad = q[:, k:]
        if pad.size and not np.array_equal(pad, zp_full[:, k:]):
            failures.append("%s: padding codes are not the zero code" % b_name)
        err = np.abs(deq[:, :k] - w)
        step = np.repeat(scales, block, axis=1)[:, :k]
        # Half a step, and float rounding of the products.
        bound = 0.5 * step + 1e-6 * np.abs(w) + 1e-7
        if np.any(err > bound):
            i = np.unravel_index(np.argmax(err - bound), err.shape)
            failures.append(
                "%s: weight %s off by %g, half a step is %g" % (tensor, i, err[i], 0.5 * step[i])
            )
        worst = max(worst, float(np.max(err / np.maximum(step, 1e-30))))
        checked += 1
        by_data[tensor] = True

    print(
        json.dumps(
            {
                "matmulnbits": len(nodes),
                "checked": checked,
                "worst_error_in_steps": round(worst, 4),
                "failures": failures[:5],
            }
        )
    )
    return 1 if failures or checked == 0 else 0


if __name__ == "__main__":
    sys.exit(main())
