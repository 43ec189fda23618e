#!/bin/sh
# SPDX-License-Identifier: LGPL-2.1-or-later
# The gpt-neox plugin (GPT-NeoX, OPT) beyond the reference cases that
# test-decoder-cases.sh runs: the variants transformers' vectors do not
# cover (GPT-NeoX's sequential residual, rotary settings and linear
# rope_scaling, OPT's post-LN and project_in/out,
# sequence classification, the bare base models), checked in ONNX Runtime
# against gen-gpt-neox-variants.py's NumPy forward pass (itself checked
# against the vectors first); optimum 1.13's files (--legacy) with the
# merged If; OPT's tied lm_head stored once; and bad
# checkpoints: exit status 1, an error naming the tensor or key, nothing
# written.

set -u

n=0
failed=0
ok () { n=$((n + 1)); echo "ok $n - $1"; }
not_ok () { n=$((n + 1)); failed=1; echo "not ok $n - $1"; }
skip_all () { echo "1..0 # SKIP $1"; exit 0; }

[ -n "${OXPORT:-}" ] && [ -x "$OXPORT" ] || skip_all "no oxport program (OXPORT=${OXPORT:-})"
: "${G_TEST_SRCDIR:?G_TEST_SRCDIR must name the tests source folder}"
py=${PYTHON3:-/usr/bin/python3}
"$py" -c 'import numpy, onnx' 2>/dev/null || skip_all "$py has no numpy or onnx"
data=$G_TEST_SRCDIR/data
gen="$py $G_TEST_SRCDIR/gen-gpt-neox-variants.py"

tmp=$(mktemp -d "${TMPDIR:-/tmp}/oxp-gpt-neox-XXXXXX") || exit 99
trap 'rm -rf "$tmp"' EXIT INT TERM

# ---- the NumPy forward pass agrees with transformers -------------------------

for case in gpt_neox_decoder opt_decoder; do
  diff=$($gen "$data/$case" check 2>&1)
  if "$py" -c 'import sys; sys.exit(0 if float(sys.argv[1]) < 1e-4 else 1)' "$diff" 2>/dev/null; then
    ok "$case: NumPy reference logits within $diff of transformers'"
  else
    not_ok "$case: NumPy reference disagrees with transformers: $diff"
  fi
done

# ---- variants through ONNX Runtime ---------------------------------------------

if [ -n "${OXPORT_ONNXRUNTIME:-}" ]; then
  for v in gpt_neox_decoder:sequential gpt_neox_decoder:rotary gpt_neox_decoder:rope-linear \
           gpt_neox_decoder:classification gpt_neox_decoder:base \
           opt_decoder:post-ln opt_decoder:project opt_decoder:project,base \
           opt_decoder:classification opt_decoder:project,classification opt_decoder:base; do
    case=${v%%:*} variant=${v#*:}
    name="$case $variant"
    dir=$tmp/$case-$variant
    if ! task=$($gen "$data/$case" "$variant" "$dir" 2>"$tmp/gen.err"); then
      not_ok "$name: $(cat "$tmp/gen.err")"
      continue
    fi
    # The cached form for generation (what *ForCausalLM infers), and the
    # task named to validate too: validation must not depend on what the
    # export records.
    [ "$task" = text-generation ] && task=text-generation-with-past
    if ! "$OXPORT" export --model "$dir" --task "$task" --no-validate "$dir-out" >"$tmp/e.log" 2>&1; then
      not_ok "$name: export failed: $(tail -n 2 "$tmp/e.log" | tr '\n' ' ')"
      continue
    fi
    "$OXPORT" validate "$dir-out" --task "$task" --reference "$dir/reference.safetensors" \
      >"$tmp/v.log" 2>&1
    status=$?
    diffs=$(grep ' vs reference: max abs diff' "$tmp/v.log" | sort -u | sed 's/^ *//' | tr '\n' ';')
    if [ "$status" -eq 0 ] && [ -n "$diffs" ]; then
      ok "$name ($task): $diffs"
    else
      sed 's/^/# /' "$tmp/v.log" | grep -E 'FAIL|error' | head -n 5
      not_ok "$name ($task): validate exit $status: $diffs"
    fi
  done

  # The partial rotary variants again at --optimize O2: the rotary as two
  # com.microsoft RotaryEmbedding per layer (rotary_embedding_dim, the
  # channels past it passed through), against the same NumPy reference.
  for variant in rotary rope-linear; do
    name="gpt_neox_decoder $variant --optimize O2"
    dir=$tmp/gpt_neox_decoder-$variant
    if [ ! -f "$dir/config.json" ]; then
      not_ok "$name: the variant was not generated"
      continue
    fi
    if ! "$OXPORT" export --optimize O2 --model "$dir" --task text-generation-with-past \
         --no-validate "$dir-o2" >"$tmp/e.log" 2>&1; then
      not_ok "$name: export failed: $(tail -n 2 "$tmp/e.log" | tr '\n' ' ')"
      continue
    fi
    "$OXPORT" validate "$dir-o2" --task text-generation-with-past \
      --reference "$dir/reference.safetensors" >"$tmp/v.log" 2>&1
    status=$?
    diffs=$(grep ' vs reference: max abs diff' "$tmp/v.log" | sort -u | sed 's/^ *//' | tr '\n' ';')
    rope=$("$py" - "$dir-o2/model.onnx" "$dir/config.json" <<'PY'
import json, sys, onnx
g = onnx.load(sys.argv[1], load_external_data=False).graph
c = json.load(open(sys.argv[2]))
got = sum(1 for n in g.node if n.op_type == "RotaryEmbedding" and n.domain == "com.microsoft")
print("RotaryEmbedding %d (want %d)" % (got, 2 * c["num_hidden_layers"]))
sys.exit(0 if got == 2 * c["num_hidden_layers"] else 1)
PY
)
    rope_status=$?
    if [ "$status" -eq 0 ] && [ -n "$diffs" ] && [ "$rope_status" -eq 0 ]; then
      ok "$name: $rope; $diffs"
    else
      sed 's/^/# /' "$tmp/v.log" | grep -E 'FAIL|error' | head -n 5
      not_ok "$name: validate exit $status: $diffs $rope"
    fi
  done

  # optimum 1.13's files: every one runs in ONNX Runtime (the export's own
  # validation, both branches of the merged If), which needs each branch
  # built for its own inputs; the merged file stores each weight once.
  for case in gpt_neox_decoder opt_decoder; do
    out=$tmp/$case-legacy
    if ! "$OXPORT" export --legacy --model "$data/$case" --task text-generation-with-past "$out" \
         >"$tmp/e.log" 2>&1; then
      grep -E 'FAIL|error' "$tmp/e.log" | head -n 3 | sed 's/^/# /'
      not_ok "$case --legacy: export or its validation failed"
      continue
    fi
    facts=$("$py" "$G_TEST_SRCDIR/check-merged-decoder.py" "$out/decoder_model_merged.onnx" \
              "$out/decoder_model.onnx" 2>&1)
    if "$py" -c '
import json, sys
f = json.loads(sys.argv[1])
sys.exit(0 if f["duplicate_names"] == f["duplicate_large_payloads"] == f["branch_initializers"] == 0
         and f["weight_bytes"] == f["plain_weight_bytes"] else 1)' "$facts" 2>/dev/null; then
      ok "$case --legacy: three files run in ONNX Runtime, the merged one stores each weight once"
    else
      not_ok "$case --legacy: merged file: $facts"
    fi
  done
else
  echo "# OXPORT_ONNXRUNTIME is not set: the ONNX Runtime checks are skipped"
fi

# ---- OPT's tied lm_head is the embedding, stored once -------------------------

if "$OXPORT" export --model "$data/opt_decoder" --task text-generation --no-validate \
     "$tmp/tied" >"$tmp/e.log" 2>&1; then
  copies=$("$py" - "$tmp/tied" <<'PY'
import glob, sys, onnx
count = 0
for path in glob.glob(sys.argv[1] + "/*.onnx"):
    model = onnx.load(path, load_external_data=False)
    count = max(count, sum(1 for t in model.graph.initializer if sorted(t.dims) == [32, 320]))
print(count)
PY
)
  if [ "$copies" = 1 ]; then
    ok "opt: the tied lm_head is the embedding, stored once"
  else
    not_ok "opt: $copies [320, 32] initializers in one file, expected 1"
  fi
else
  not_ok "opt: text-generation export failed: $(tail -n 2 "$tmp/e.log" | tr '\n' ' ')"
fi

# ---- bad checkpoints -------------------------------------------------------------

# edit_safetensors SRC DST drop|rows=N TENSOR: a copy without TENSOR, or with
# only its first N rows.
edit_safetensors () {
  "$py" - "$@" <<'PY'
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
    chunk = body[info["data_offsets"][0]:info["data_offsets"][1]]
    shape = list(info["shape"])
    if key == name:
        if op == "drop":
            continue
        rows = int(op.split("=")[1])
        chunk = chunk[:len(chunk) * rows // shape[0]]
        shape[0] = rows
    out[key] = {"dtype": info["dtype"], "shape": shape,
                "data_offsets": [offset, offset + len(chunk)]}
    chunks.append(chunk)
    offset += len(chunk)
if meta is not None:
    out["__metadata__"] = meta
raw = json.dumps(out).encode()
raw += b" " * (-len(raw) % 8)
open(dst, "wb").write(struct.pack("<Q", len(raw)) + raw + b"".join(chunks))
PY
}

# edit_config SRC DST KEY JSON: config.json with KEY set to the JSON value.
edit_config () {
  "$py" - "$@" <<'PY'
import json, sys
src, dst, key, value = sys.argv[1:5]
config = json.load(open(src))
config[key] = json.loads(value)
json.dump(config, open(dst, "w"), indent=2)
PY
}

# make_model NAME CASE: a copy of the reference checkpoint CASE in $tmp/NAME.
make_model () {
  mkdir -p "$tmp/$1" && cp "$data/$2/config.json" "$data/$2/model.safetensors" "$tmp/$1/"
}

# expect_failure DESCRIPTION MODEL WANTED: export fails with status 1, the
# error names WANTED, OUTDIR is not created.
expect_failure () {
  desc=$1 model=$2 wanted=$3
  out=$tmp/out-$n
  "$OXPORT" export --model "$model" --task text-generation-with-past "$out" \
    >"$tmp/stdout" 2>"$tmp/stderr"
  status=$?
  why=""
  if [ "$status" -ne 1 ]; then
    why="exit status $status, expected 1"
  elif ! grep -q '^oxport: error: ' "$tmp/stderr"; then
    why="no 'oxport: error:' line"
  elif ! grep -qF -- "$wanted" "$tmp/stderr"; then
    why="the error does not name '$wanted'"
  elif [ -e "$out" ]; then
    why="OUTDIR was written: $(ls -A "$out" | tr '\n' ' ')"
  fi
  if [ -z "$why" ]; then
    ok "$desc: $(grep '^oxport: error: ' "$tmp/stderr" | head -n 1)"
  else
    sed 's/^/# /' "$tmp/stderr"
    not_ok "$desc: $why"
  fi
}

make_model neox-missing gpt_neox_decoder
edit_safetensors "$data/gpt_neox_decoder/model.safetensors" "$tmp/neox-missing/model.safetensors" \
  drop gpt_neox.layers.1.mlp.dense_h_to_4h.weight
expect_failure "gpt_neox: missing layer tensor" "$tmp/neox-missing" \
  gpt_neox.layers.1.mlp.dense_h_to_4h.weight

make_model opt-missing opt_decoder
edit_safetensors "$data/opt_decoder/model.safetensors" "$tmp/opt-missing/model.safetensors" \
  drop model.decoder.layers.1.self_attn.k_proj.weight
expect_failure "opt: missing layer tensor" "$tmp/opt-missing" \
  model.decoder.layers.1.self_attn.k_proj.weight

# A fused projection for q and k only ([2·hidden, hidden]).
make_model neox-qkv gpt_neox_decoder
edit_safetensors "$data/gpt_neox_decoder/model.safetensors" "$tmp/neox-qkv/model.safetensors" \
  rows=64 gpt_neox.layers.0.attention.query_key_value.weight
expect_failure "gpt_neox: query_key_value of the wrong size" "$tmp/neox-qkv" \
  gpt_neox.layers.0.attention.query_key_value.weight

make_model neox-heads gpt_neox_decoder
edit_config "$data/gpt_neox_decoder/config.json" "$tmp/neox-heads/config.json" num_attention_heads 3
expect_failure "gpt_neox: hidden_size not a multiple of the heads" "$tmp/neox-heads" \
  "hidden_size 32 is not a multiple of num_attention_heads 3"

make_model opt-heads opt_decoder
edit_config "$data/opt_decoder/config.json" "$tmp/opt-heads/config.json" num_attention_heads 5
expect_failure "opt: hidden_size not a multiple of the heads" "$tmp/opt-heads" \
  "hidden_size 32 is not a multiple of num_attention_heads 5"

make_model neox-act gpt_neox_decoder
edit_config "$data/gpt_neox_decoder/config.json" "$tmp/neox-act/config.json" hidden_act '"gelu_foo"'
expect_failure "gpt_neox: unknown activation" "$tmp/neox-act" "“gelu_foo” in key “hidden_act”"

make_model opt-act opt_decoder
edit_config "$data/opt_decoder/config.json" "$tmp/opt-act/config.json" activation_function '"swishy"'
expect_failure "opt: unknown activation" "$tmp/opt-act" "“swishy” in key “activation_function”"

make_model neox-rope gpt_neox_decoder
edit_config "$data/gpt_neox_decoder/config.json" "$tmp/neox-rope/config.json" rope_scaling \
  '{"rope_type": "yarn", "factor": 4.0}'
expect_failure "gpt_neox: unsupported rope_scaling" "$tmp/neox-rope" "rope_scaling type “yarn”"

make_model opt-affine opt_decoder
edit_config "$data/opt_decoder/config.json" "$tmp/opt-affine/config.json" \
  layer_norm_elementwise_affine false
expect_failure "opt: LayerNorm without weights" "$tmp/opt-affine" layer_norm_elementwise_affine

echo "1..$n"
exit $failed
