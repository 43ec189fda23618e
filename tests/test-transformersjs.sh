#!/bin/sh
# SPDX-License-Identifier: LGPL-2.1-or-later
# transformers.js (npm @huggingface/transformers, the client most ONNX
# exports of Hugging Face models are made for) loads every public reference
# case oxport can export, in `oxport export --layout transformers.js`:
# AutoModel / AutoModelFor… from the local folder with remote models off,
# the case's inputs from its vectors.safetensors, every reference output
# compared within the case's atol (max diffs printed); generate() over the
# decoder and seq2seq exports against a loop without cache and the
# reference argmax; one fp16 export (onnx/model_fp16.onnx); and one
# pipeline() run with a tokenizer.json this test writes.  The work is done
# by tests/transformersjs-cases.mjs.
#
# Skipped only when node or the package is absent; quickstart.sh installs
# the package into _deps/ (OXP_TRANSFORMERSJS names another copy of its
# dist/transformers.node.mjs).

set -u

skip_all () { echo "1..0 # SKIP $1"; exit 0; }

[ -n "${OXPORT:-}" ] && [ -x "$OXPORT" ] || skip_all "no oxport program (OXPORT=${OXPORT:-})"
srcdir=${OXP_TOP_SRCDIR:-$(cd "$(dirname "$0")/.." && pwd)}
tjs=${OXP_TRANSFORMERSJS:-$srcdir/_deps/node_modules/@huggingface/transformers/dist/transformers.node.mjs}
command -v node >/dev/null 2>&1 || skip_all "node is not installed (./quickstart.sh installs it)"
[ -r "$tjs" ] || skip_all "@huggingface/transformers is not installed in $srcdir/_deps (run ./quickstart.sh)"

tmp=$(mktemp -d "${TMPDIR:-/tmp}/oxp-transformersjs-XXXXXX") || exit 1
trap 'rm -rf "$tmp"' EXIT

echo "# $(node --version), transformers.js $(sed -n 's/^ *"version": *"\([^"]*\)".*/\1/p' "$(dirname "$tjs")/../package.json" | head -1)"
# ONNX Runtime's log lines (the errors of a failing case) go to stderr, the
# test log; transformers.js's own caches stay in the temporary folder.
cd "$tmp" && exec node "$srcdir/tests/transformersjs-cases.mjs" "$tjs" "$OXPORT" \
  "${G_TEST_SRCDIR:-$srcdir/tests}/data" "$tmp"
