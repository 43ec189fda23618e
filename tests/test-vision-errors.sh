#!/bin/sh
# SPDX-License-Identifier: LGPL-2.1-or-later
# `oxport export` of bad ViT and CLIP checkpoints: each fails with exit
# status 1, an "oxport: error:" line naming the file and the tensor or
# config field at fault, and no file left in OUTDIR (absent, or empty when
# it existed before).

set -u

: "${OXPORT:?OXPORT must name the built oxport program}"
: "${G_TEST_SRCDIR:?G_TEST_SRCDIR must name the tests source folder}"
PYTHON3="${PYTHON3:-python3}"
DATA="$G_TEST_SRCDIR/data"

TMP=$(mktemp -d "${TMPDIR:-/tmp}/oxp-vision-errors-XXXXXX") || exit 99
trap 'rm -rf "$TMP"' EXIT INT TERM

n=0
failures=0
ok () { n=$((n + 1)); echo "ok $n - $1"; }
not_ok () { n=$((n + 1)); failures=$((failures + 1)); echo "not ok $n - $1"; }

# drop_tensor DIR TENSOR: DIR/model.safetensors without TENSOR.
drop_tensor () {
  "$PYTHON3" - "$1/model.safetensors" "$2" <<'PY'
import json, struct, sys
path, name = sys.argv[1:3]
data = open(path, "rb").read()
n = struct.unpack("<Q", data[:8])[0]
header = json.loads(data[8:8 + n])
body = data[8 + n:]
if name not in header:
    sys.exit("no tensor %s in %s" % (name, path))
out, chunks, offset = {}, [], 0
for key, info in sorted(header.items(), key=lambda kv: kv[1].get("data_offsets", [0])[0]):
    if key == "__metadata__":
        out[key] = info
        continue
    if key == name:
        continue
    chunk = body[info["data_offsets"][0]:info["data_offsets"][1]]
    out[key] = dict(info, data_offsets=[offset, offset + len(chunk)])
    chunks.append(chunk)
    offset += len(chunk)
raw = json.dumps(out).encode()
raw += b" " * (-len(raw) % 8)
open(path, "wb").write(struct.pack("<Q", len(raw)) + raw + b"".join(chunks))
PY
}

# set_config DIR KEY JSON: DIR/config.json with KEY (dotted for nested
# objects: vision_config.image_size) set to the JSON value.
set_config () {
  "$PYTHON3" - "$1/config.json" "$2" "$3" <<'PY'
import json, sys
path, key, value = sys.argv[1:4]
config = json.load(open(path))
*parents, last = key.split(".")
obj = config
for p in parents:
    obj = obj.setdefault(p, {})
obj[last] = json.loads(value)
json.dump(config, open(path, "w"), indent=2)
PY
}

# make_model NAME CASE: a copy of the reference checkpoint CASE in $TMP/NAME.
make_model () {
  mkdir -p "$TMP/$1" && cp "$DATA/$2/config.json" "$DATA/$2/model.safetensors" "$TMP/$1/"
}

# expect_failure DESCRIPTION MODEL [WANTED...] -- [EXTRA ARGS]: export fails
# with status 1, stderr has "oxport: error:" and every WANTED string, OUTDIR
# keeps no file.  Run twice: OUTDIR absent, then existing and empty.
expect_failure () {
  desc=$1 model=$2
  shift 2
  wanted=""
  while [ $# -gt 0 ] && [ "$1" != -- ]; do
    wanted="$wanted$1
"
    shift
  done
  [ $# -gt 0 ] && shift
  for outdir_state in absent empty; do
    out="$TMP/out-$n-$outdir_state"
    rm -rf "$out"
    [ "$outdir_state" = empty ] && mkdir -p "$out"
    "$OXPORT" export --model "$model" --no-validate "$@" "$out" >"$TMP/stdout" 2>"$TMP/stderr"
    status=$?
    why=""
    if [ "$status" -ne 1 ]; then
      why="exit status $status, expected 1"
    elif ! grep -q '^oxport: error: ' "$TMP/stderr"; then
      why="no 'oxport: error:' line"
    elif [ -e "$out" ] && [ -n "$(ls -A "$out")" ]; then
      why="OUTDIR holds files: $(ls -A "$out" | tr '\n' ' ')"
    elif [ "$outdir_state" = empty ] && [ ! -d "$out" ]; then
      why="the existing OUTDIR was removed"
    fi
    if [ -z "$why" ]; then
      # Each wanted string, one a line.
      while IFS= read -r w; do
        [ -z "$w" ] && continue
        grep -qF -- "$w" "$TMP/stderr" || { why="the error does not name '$w'"; break; }
      done <<EOW
$wanted
EOW
    fi
    if [ -z "$why" ]; then
      ok "$desc (OUTDIR $outdir_state): $(grep '^oxport: error: ' "$TMP/stderr" | head -n 1)"
    else
      sed 's/^/# /' "$TMP/stderr"
      not_ok "$desc (OUTDIR $outdir_state): $why"
    fi
  done
}

echo "1..20"

# Missing tensors: one of an encoder layer, one of a task head.
make_model vit-missing vit_image-classification
drop_tensor "$TMP/vit-missing" vit.encoder.layer.1.attention.attention.key.weight
expect_failure "vit: missing tensor" "$TMP/vit-missing" \
  vit.encoder.layer.1.attention.attention.key.weight "$TMP/vit-missing"
make_model clip-missing clip_zero-shot-image-classification
drop_tensor "$TMP/clip-missing" vision_model.post_layernorm.weight
expect_failure "clip: missing tensor" "$TMP/clip-missing" \
  vision_model.post_layernorm.weight "$TMP/clip-missing"

# An image size the patches do not tile.
make_model vit-indivisible vit_feature-extraction
set_config "$TMP/vit-indivisible" image_size 31
expect_failure "vit: image_size not divisible by patch_size" "$TMP/vit-indivisible" \
  config.json image_size patch_size
make_model clip-indivisible clip_zero-shot-image-classification
set_config "$TMP/clip-indivisible" vision_config.image_size 31
expect_failure "clip: vision_config image_size not divisible by patch_size" \
  "$TMP/clip-indivisible" config.json vision_config image_size patch_size

# An image size the position embeddings were not trained for.
make_model vit-positions vit_feature-extraction
set_config "$TMP/vit-positions" image_size 32
expect_failure "vit: image_size the position embeddings do not fit" "$TMP/vit-positions" \
  embeddings.position_embeddings "[1, 257, 32]"

# Activations oxport does not know.
make_model vit-act vit_image-classification
set_config "$TMP/vit-act" hidden_act '"gelu_10"'
expect_failure "vit: unknown hidden_act" "$TMP/vit-act" config.json hidden_act gelu_10
make_model clip-act clip_zero-shot-image-classification
set_config "$TMP/clip-act" text_config.hidden_act '"gelu_10"'
expect_failure "clip: unknown text_config hidden_act" "$TMP/clip-act" \
  config.json text_config hidden_act gelu_10

# A hidden size the heads do not divide.
make_model vit-heads vit_feature-extraction
set_config "$TMP/vit-heads" num_attention_heads 5
expect_failure "vit: hidden_size not a multiple of the heads" "$TMP/vit-heads" \
  config.json num_attention_heads

# --split of a model type without a split form.
expect_failure "vit --split" "$DATA/vit_feature-extraction" "model type 'vit' has no split export" \
  -- --split
# A missing text tower tensor also fails the split export.
expect_failure "clip --split: missing tensor" "$TMP/clip-missing" \
  vision_model.post_layernorm.weight -- --split

[ "$failures" -eq 0 ]
