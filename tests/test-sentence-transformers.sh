#!/bin/sh
# SPDX-License-Identifier: LGPL-2.1-or-later
# sentence-transformers folders made from tests/data/bert_feature-extraction
# (modules.json, 1_Pooling/config.json, optional 2_Normalize): exported as
# optimum >= 1.19 does, with token_embeddings and sentence_embedding, the
# latter checked in ONNX Runtime against a numpy reference of
# sentence-transformers' Pooling (mean, cls, max) and Normalize within 1e-5.
# Then: the files copied (a symlink out of the folder is not), --library
# transformers keeps the plain export, an unsupported module fails.

set -u

n=0
failed=0
ok () { n=$((n + 1)); echo "ok $n - $1"; }
not_ok () { n=$((n + 1)); failed=1; echo "not ok $n - $1"; }
skip_all () { echo "1..0 # SKIP $1"; exit 0; }

[ -n "${OXPORT:-}" ] && [ -x "$OXPORT" ] || skip_all "no oxport program (OXPORT=${OXPORT:-})"
[ -n "${OXPORT_ONNXRUNTIME:-}" ] || skip_all "OXPORT_ONNXRUNTIME is not set"
py=${PYTHON3:-/usr/bin/python3}
case_dir=$G_TEST_SRCDIR/data/bert_feature-extraction

tmp=$(mktemp -d "${TMPDIR:-/tmp}/oxp-st-XXXXXX") || exit 1
trap 'rm -rf "$tmp"' EXIT

# make_folder DIR MODE NORMALIZE: a sentence-transformers folder and
# DIR.reference.safetensors (the case's inputs, token_embeddings and the
# sentence_embedding numpy computes from transformers' last_hidden_state).
make_folder () {
  mkdir -p "$1/1_Pooling"
  cp "$case_dir/config.json" "$case_dir/model.safetensors" "$1/"
  "$py" - "$case_dir/vectors.safetensors" "$1" "$2" "$3" <<'PY'
import json, struct, sys
import numpy as np
src, d, mode, normalize = sys.argv[1], sys.argv[2], sys.argv[3], sys.argv[4] == "1"
modules = [{"idx": 0, "name": "0", "path": "", "type": "sentence_transformers.models.Transformer"},
           {"idx": 1, "name": "1", "path": "1_Pooling", "type": "sentence_transformers.models.Pooling"}]
if normalize:
    modules.append({"idx": 2, "name": "2", "path": "2_Normalize",
                    "type": "sentence_transformers.models.Normalize"})
json.dump(modules, open(d + "/modules.json", "w"), indent=2)
json.dump({"max_seq_length": 128, "do_lower_case": False}, open(d + "/sentence_bert_config.json", "w"))
json.dump({"word_embedding_dimension": 32, "pooling_mode_cls_token": mode == "cls",
           "pooling_mode_mean_tokens": mode == "mean", "pooling_mode_max_tokens": mode == "max",
           "pooling_mode_mean_sqrt_len_tokens": False}, open(d + "/1_Pooling/config.json", "w"))
raw = open(src, "rb").read()
n = struct.unpack("<Q", raw[:8])[0]
header = json.loads(raw[8:8 + n]); body = raw[8 + n:]
t = {}
for k, v in header.items():
    if k == "__metadata__": continue
    a, b = v["data_offsets"]
    t[k] = np.frombuffer(body[a:b], dtype={"I64": "<i8", "F32": "<f4"}[v["dtype"]]).reshape(v["shape"])
h = t["last_hidden_state"].astype(np.float64)
m = t["attention_mask"].astype(np.float64)[..., None]
if mode == "mean":
    s = (h * m).sum(1) / np.maximum(m.sum(1), 1e-9)
elif mode == "cls":
    s = h[:, 0]
else:
    s = np.where(m > 0, h, -1e9).max(1)
if normalize:
    s = s / np.maximum(np.linalg.norm(s, axis=1, keepdims=True), 1e-12)
out = {k: t[k] for k in ("input_ids", "attention_mask", "token_type_ids") if k in t}
out["token_embeddings"] = t["last_hidden_state"]
out["sentence_embedding"] = s.astype(np.float32)
hdr, chunks, off = {}, [], 0
for k, v in out.items():
    data = v.tobytes()
    hdr[k] = {"dtype": "I64" if v.dtype.kind == "i" else "F32", "shape": list(v.shape),
              "data_offsets": [off, off + len(data)]}
    chunks.append(data); off += len(data)
j = json.dumps(hdr).encode(); j += b" " * (-len(j) % 8)
open(d + ".reference.safetensors", "wb").write(struct.pack("<Q", len(j)) + j + b"".join(chunks))
PY
}

# outputs MODEL: the model's output names, space-separated.
outputs () {
  "$py" -c 'import onnx,sys; print(" ".join(o.name for o in onnx.load(sys.argv[1], load_external_data=False).graph.output))' "$1"
}

for mode in mean cls max; do
  for normalize in 0 1; do
    name=st-$mode$( [ "$normalize" = 1 ] && echo -normalize)
    dir=$tmp/$name
    make_folder "$dir" "$mode" "$normalize" || { not_ok "$name: folder not made"; continue; }
    out=$tmp/out-$name
    if ! "$OXPORT" export --model "$dir" --task feature-extraction "$out" >"$tmp/e.log" 2>&1; then
      not_ok "$name: export failed: $(tail -n 3 "$tmp/e.log" | tr '\n' ' ')"
      continue
    fi
    got=$(outputs "$out/model.onnx")
    [ "$got" = "token_embeddings sentence_embedding" ] || { not_ok "$name: outputs '$got'"; continue; }
    "$OXPORT" validate "$out/model.onnx" --reference "$dir.reference.safetensors" --atol 1e-5 >"$tmp/v.log" 2>&1
    status=$?
    diff=$(sed -n 's/^ *sentence_embedding vs reference: max abs diff \([^ ]*\).*/\1/p' "$tmp/v.log")
    if [ "$status" -eq 0 ] && [ -n "$diff" ]; then
      ok "$name: sentence_embedding max abs diff $diff (atol 1e-5)"
    else
      sed 's/^/# /' "$tmp/v.log"
      not_ok "$name: validation exit $status"
    fi
  done
done

# The folder's sentence-transformers files are copied, and `oxport validate
# OUTDIR` finds the sentence outputs from them.
out=$tmp/out-st-mean-normalize
missing=""
for f in modules.json sentence_bert_config.json 1_Pooling/config.json config.json; do
  [ -f "$out/$f" ] && [ ! -L "$out/$f" ] || missing="$missing $f"
done
[ -z "$missing" ] && ok "sentence-transformers files copied" || not_ok "not copied:$missing"
if "$OXPORT" validate "$out" >"$tmp/v.log" 2>&1; then
  ok "oxport validate OUTDIR passes with the copied modules.json"
else
  sed 's/^/# /' "$tmp/v.log"; not_ok "oxport validate OUTDIR failed"
fi
[ -z "$(find "$out" -name '.oxport-*' 2>/dev/null)" ] && ok "no staging folder left in OUTDIR" \
  || not_ok "a staging folder was left in OUTDIR"

# A module config symlinked out of the folder is read (it is the model's
# own statement) but not copied.
dir=$tmp/st-mean
mkdir -p "$tmp/elsewhere" && mv "$dir/1_Pooling/config.json" "$tmp/elsewhere/pooling.json" \
  && ln -s "$tmp/elsewhere/pooling.json" "$dir/1_Pooling/config.json"
out=$tmp/out-symlink
if "$OXPORT" export --model "$dir" --task feature-extraction --no-validate "$out" >"$tmp/e.log" 2>&1; then
  if [ ! -e "$out/1_Pooling/config.json" ] && grep -q "outside the model folder" "$tmp/e.log"; then
    ok "a symlink out of the folder is not copied, with a warning"
  else
    sed 's/^/# /' "$tmp/e.log"; not_ok "a symlink out of the folder was copied or not warned about"
  fi
else
  sed 's/^/# /' "$tmp/e.log"; not_ok "export with a symlinked pooling config failed"
fi

# --library transformers: the plain export, without the sentence files.
out=$tmp/out-plain
if "$OXPORT" export --model "$tmp/st-cls" --task feature-extraction --library transformers \
     --no-validate "$out" >"$tmp/e.log" 2>&1 \
   && [ "$(outputs "$out/model.onnx")" = last_hidden_state ] && [ ! -e "$out/modules.json" ]; then
  ok "--library transformers keeps the plain export"
else
  sed 's/^/# /' "$tmp/e.log"; not_ok "--library transformers"
fi

# An unsupported module (a Dense layer after pooling) fails naming modules.json.
dir=$tmp/st-cls
"$py" - "$dir/modules.json" <<'PY'
import json, sys
m = json.load(open(sys.argv[1]))
m.append({"idx": 2, "name": "2", "path": "2_Dense", "type": "sentence_transformers.models.Dense"})
json.dump(m, open(sys.argv[1], "w"))
PY
out=$tmp/out-dense
"$OXPORT" export --model "$dir" --task feature-extraction --no-validate "$out" >"$tmp/e.log" 2>&1
status=$?
if [ "$status" -eq 1 ] && grep -q "^oxport: error: .*modules.json.*Dense" "$tmp/e.log" && [ ! -e "$out" ]; then
  ok "a Dense module fails: $(grep '^oxport: error' "$tmp/e.log" | head -c 160)"
else
  sed 's/^/# /' "$tmp/e.log"; not_ok "a Dense module: exit $status"
fi

echo "1..$n"
exit $failed
