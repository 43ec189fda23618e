#!/usr/bin/python3
# SPDX-License-Identifier: LGPL-2.1-or-later
"""Facts about a merged decoder (decoder_model_merged.onnx) for the tests.

    check-merged-decoder.py MERGED.onnx DECODER_MODEL.onnx

Prints one JSON object: duplicate initializer names, initializers whose
payload (1 KiB or more) is stored twice, initializers inside subgraphs, the
number and bytes of the checkpoint weights (initializers named "*.weight"
or "*.weight.T") of the merged file and of the plain decoder, and the
main graph's input and output names.
"""
import json
import sys

import onnx
from onnx import numpy_helper


def is_weight(name):
    return name.endswith(".weight") or name.endswith(".weight.T")


def payload(init):
    return numpy_helper.to_array(init).tobytes()


def branch_initializers(graph):
    n = 0
    for node in graph.node:
        for attr in node.attribute:
            subgraphs = list(attr.graphs)
            if attr.type == onnx.AttributeProto.GRAPH:
                subgraphs.append(attr.g)
            for g in subgraphs:
                n += len(g.initializer) + branch_initializers(g)
    return n


def main(merged_path, plain_path):
    merged = onnx.load(merged_path)
    plain = onnx.load(plain_path)
    names = [i.name for i in merged.graph.initializer]
    payloads = {}
    duplicates = 0
    for init in merged.graph.initializer:
        data = payload(init)
        if len(data) >= 1024:
            if data in payloads:
                duplicates += 1
            payloads[data] = init.name
    weights = [i for i in merged.graph.initializer if is_weight(i.name)]
    plain_weights = [i for i in plain.graph.initializer if is_weight(i.name)]
    print(json.dumps({
        "initializers": len(names),
        "duplicate_names": len(names) - len(set(names)),
        "duplicate_large_payloads": duplicates,
        "branch_initializers": branch_initializers(merged.graph),
        "weights": len(weights),
        "weight_bytes": sum(len(payload(i)) for i in weights),
        "plain_weight_bytes": sum(len(payload(i)) for i in plain_weights),
        "inputs": ",".join(i.name for i in merged.graph.input),
        "outputs": ",".join(o.name for o in merged.graph.output),
    }))


if __name__ == "__main__":
    main(sys.argv[1], sys.argv[2])
