#!/bin/sh
# SPDX-License-Identifier: LGPL-2.1-or-later
# `oxport export` on bad checkpoints: each fails with exit status 1, an
# "oxport: error:" line naming the tensor, key or model type at fault, and
# no file left in OUTDIR (absent, or empty when it existed before).

set -u

: "${OXPORT:?OXPORT must name the built oxport program}"
: "${G_TEST_SRCDIR:?G_TEST_SRCDIR must name the tests source folder}"
PYTHON3="${PYTHON3:-python3}"
DATA="$G_TEST_SRCDIR/data"

TMP=$(mktemp -d "${TMPDIR:-/tmp}/oxp-export-errors-XXXXXX") || exit 99
trap 'rm -rf "$TMP"' EXIT INT TERM

n=0
failures=0
ok () { n=$((n + 1)); echo "ok $n - $1"; }
not_ok () { n=$((n + 1)); failures=$((failures + 1)); echo "not ok $n - $1"; }

# edit_safetensors SRC DST drop|transpose TENSOR: rewrites a safetensors
# file without TENSOR, or with its shape reversed (same bytes, wrong shape).
edit_safetensors () {
  "$PYTHON3" - "$@" <<'EOF'
import json, struct, sys
src, dst, op, name = sys.argv[1:5]
data = open(src, "rb").read()
n = struct.unpack("<Q", data[:8])[0]
header = json.loads(data[8:8 + n])
body = data[8 + n:]
meta = header.pop("__metadata__", None)
if name not in header:
    sys.exit("no tensor %s in %s" % (name, src))
out, chunks, offset = {}, [], 0
for key, info in sorted(header.items(), key=lambda kv: kv[1]["data_offsets"][0]):
    if key == name and op == "drop":
        continue
    chunk = body[info["data_offsets"][0]:info["data_offsets"][1]]
    shape = info["shape"][::-1] if key == name else info["shape"]
    out[key] = {"dtype": info["dtype"], "shape": shape,
                "data_offsets": [offset, offset + len(chunk)]}
    chunks.append(chunk)
    offset += len(chunk)
if meta is not None:
    out["__metadata__"] = meta
raw = json.dumps(out).encode()
raw += b" " * (-len(raw) % 8)
with open(dst, "wb") as f:
    f.write(struct.pack("<Q", len(raw)) + raw + b"".join(chunks))
EOF
}

# edit_config SRC DST KEY VALUE: config.json with KEY set to the string VALUE.
edit_config () {
  "$PYTHON3" - "$@" <<'EOF'
import json, sys
src, dst, key, value = sys.argv[1:5]
config = json.load(open(src))
config[key] = value
json.dump(config, open(dst, "w"), indent=2)
EOF
}

# make_model NAME CASE: a copy of the reference checkpoint CASE in $TMP/NAME.
make_model () {
  mkdir -p "$TMP/$1" && cp "$DATA/$2/config.json" "$DATA/$2/model.safetensors" "$TMP/$1/"
}

# expect_failure DESCRIPTION MODEL WANTED [EXTRA ARGS]: export fails with
# status 1, stderr has "oxport: error:" and WANTED, OUTDIR keeps no file.
# Run twice: OUTDIR absent, then OUTDIR existing and empty.
expect_failure () {
  desc=$1 model=$2 wanted=$3
  shift 3
  for outdir_state in absent empty; do
    out="$TMP/out-$n-$outdir_state"
    rm -rf "$out"
    [ "$outdir_state" = empty ] && mkdir -p "$out"
    "$OXPORT" export --model "$model" "$@" "$out" >"$TMP/stdout" 2>"$TMP/stderr"
    status=$?
    why=""
    if [ "$status" -ne 1 ]; then
      why="exit status $status, expected 1"
    elif ! grep -q '^oxport: error: ' "$TMP/stderr"; then
      why="no 'oxport: error:' line"
    elif ! grep -qF -- "$wanted" "$TMP/stderr"; then
      why="the error does not name '$wanted'"
    elif [ "$outdir_state" = absent ] && [ -e "$out" ] && [ -n "$(ls -A "$out")" ]; then
      why="OUTDIR holds files: $(ls -A "$out" | tr '\n' ' ')"
    elif [ "$outdir_state" = empty ] && [ -n "$(ls -A "$out")" ]; then
      why="OUTDIR holds files: $(ls -A "$out" | tr '\n' ' ')"
    fi
    if [ -z "$why" ]; then
      ok "$desc (OUTDIR $outdir_state): $(head -n 1 "$TMP/stderr")"
    else
      sed 's/^/# /' "$TMP/stderr"
      not_ok "$desc (OUTDIR $outdir_state): $why"
    fi
  done
}

echo "1..16"

# A missing encoder tensor.
make_model missing-key bert_text-classification
edit_safetensors "$DATA/bert_text-classification/model.safetensors" "$TMP/missing-key/model.safetensors" \
  drop bert.encoder.layer.1.attention.self.key.weight
expect_failure "missing tensor" "$TMP/missing-key" bert.encoder.layer.1.attention.self.key.weight

# A missing head tensor (DistilBERT's pre_classifier).
make_model missing-head distilbert_text-classification
edit_safetensors "$DATA/distilbert_text-classification/model.safetensors" "$TMP/missing-head/model.safetensors" \
  drop pre_classifier.weight
expect_failure "missing head tensor" "$TMP/missing-head" pre_classifier.weight

# Missing word embeddings: the whole base model is unrecognisable.
make_model missing-embeddings roberta_text-classification
edit_safetensors "$DATA/roberta_text-classification/model.safetensors" "$TMP/missing-embeddings/model.safetensors" \
  drop roberta.embeddings.word_embeddings.weight
expect_failure "missing embeddings" "$TMP/missing-embeddings" roberta.embeddings.word_embeddings.weight

# A tensor of the wrong shape ([37, 32] stored as [32, 37]).
make_model wrong-shape albert_text-classification
edit_safetensors "$DATA/albert_text-classification/model.safetensors" "$TMP/wrong-shape/model.safetensors" \
  transpose albert.encoder.albert_layer_groups.0.albert_layers.0.ffn.weight
expect_failure "wrong shape" "$TMP/wrong-shape" albert.encoder.albert_layer_groups.0.albert_layers.0.ffn.weight

# A classifier that disagrees with config.json's labels.
make_model wrong-labels electra_text-classification
edit_safetensors "$DATA/electra_text-classification/model.safetensors" "$TMP/wrong-labels/model.safetensors" \
  transpose classifier.out_proj.weight
expect_failure "wrong classifier shape" "$TMP/wrong-labels" classifier.out_proj.weight

# An unsupported model type.
make_model unknown-type bert_feature-extraction
edit_config "$DATA/bert_feature-extraction/config.json" "$TMP/unknown-type/config.json" model_type bort
expect_failure "unsupported model_type" "$TMP/unknown-type" bort --task feature-extraction
# ... and when the task is to be inferred from classes no plugin knows, the
# model type is still what is named.
make_model unknown-type-arch bert_feature-extraction
edit_config "$DATA/bert_feature-extraction/config.json" "$TMP/unknown-type-arch/config.json" model_type bort
edit_config "$TMP/unknown-type-arch/config.json" "$TMP/unknown-type-arch/config.json" architectures BortModel
expect_failure "unsupported model_type, task inferred" "$TMP/unknown-type-arch" "no plugin handles model type 'bort'"

# An activation oxport does not know.
make_model unknown-act bert_feature-extraction
edit_config "$DATA/bert_feature-extraction/config.json" "$TMP/unknown-act/config.json" hidden_act gelu_10
expect_failure "unsupported hidden_act" "$TMP/unknown-act" gelu_10

[ "$failures" -eq 0 ]
