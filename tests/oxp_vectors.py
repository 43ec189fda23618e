# SPDX-License-Identifier: LGPL-2.1-or-later
"""The safetensors files and case folders of tests/data, with numpy only.

Imported by the generators that derive reference vectors from the cases
(tests/gen-decoder-vectors.py, tests/gen-mask-vectors.py); they run from
anywhere, so they put their own folder on sys.path first.
"""
import json
import os
import struct

import numpy as np

DTYPES = {"F32": np.float32, "I64": np.int64, "F16": np.float16}
NAMES = {v: k for k, v in DTYPES.items()}


def read_safetensors(path):
    """Every tensor of the safetensors file PATH, by name (numpy arrays)."""
    with open(path, "rb") as f:
        n = struct.unpack("<Q", f.read(8))[0]
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
    """Writes TENSORS (name -> numpy array, in that order) to PATH, through
    a temporary file renamed over it."""
    header, blobs, offset = {}, [], 0
    for name, arr in tensors.items():
        raw = np.ascontiguousarray(arr).tobytes()
        header[name] = {"dtype": NAMES[arr.dtype.type], "shape": list(arr.shape),
                        "data_offsets": [offset, offset + len(raw)]}
        blobs.append(raw)
        offset += len(raw)
    text = json.dumps(header, separators=(",", ":")).encode()
    text += b" " * (-len(text) % 8)
    with open(path + ".tmp", "wb") as f:
        f.write(struct.pack("<Q", len(text)) + text + b"".join(blobs))
    os.replace(path + ".tmp", path)


def cases(data_dir):
    """(case folder, its parsed case.json) for each case in DATA_DIR, by name."""
    for case in sorted(os.listdir(data_dir)):
        path = os.path.join(data_dir, case, "case.json")
        if os.path.exists(path):
            yield os.path.join(data_dir, case), json.load(open(path))
