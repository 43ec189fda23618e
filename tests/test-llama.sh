#!/bin/sh
# SPDX-License-Identifier: LGPL-2.1-or-later
# The llama plugin beyond the reference cases: bad checkpoints fail with
# an error naming the file and the field or tensor, exit status 1 and no
# file written; rope_scaling variants and sliding windows shorter than the
# sequence match a numpy forward pass, plain and at --optimize O2 (gen-llama-refs.py, itself first
# checked against every family's transformers reference); sequence
# classification reads the last non-pad token; a tied head stores the
# embeddings once.  Prints TAP.

set -u

: "${OXPORT:?OXPORT must name the built oxport program}"
: "${G_TEST_SRCDIR:?G_TEST_SRCDIR must name the tests source folder}"
PYTHON3="${PYTHON3:-python3}"
DATA="$G_TEST_SRCDIR/data"
ort=${OXPORT_ONNXRUNTIME:-}

TMP=$(mktemp -d "${TMPDIR:-/tmp}/oxp-llama-XXXXXX") || exit 99
trap 'rm -rf "$TMP"' EXIT INT TERM

n=0
failures=0
ok () { n=$((n + 1)); echo "ok $n - $1"; }
not_ok () { n=$((n + 1)); failures=$((failures + 1)); echo "not ok $n - $1"; }
skip () { n=$((n + 1)); echo "ok $n # SKIP $1"; }

# edit_safetensors SRC DST OP TENSOR [ARG]: rewrites a safetensors file
# without TENSOR (drop), with TENSOR's shape reversed (transpose), with its
# first ROWS rows only (truncate ROWS), with a copy of it named ARG (copy),
# or (unprefix, TENSOR a prefix) with only the tensors named TENSOR..., the
# prefix removed.
edit_safetensors () {
  "$PYTHON3" - "$@" <<'EOF'
import json, struct, sys
src, dst, op, name = sys.argv[1:5]
arg = sys.argv[5] if len(sys.argv) > 5 else None
data = open(src, "rb").read()
n = struct.unpack("<Q", data[:8])[0]
header = json.loads(data[8:8 + n])
body = data[8 + n:]
header.pop("__metadata__", None)
if op == "unprefix":
    header = {k[len(name):]: v for k, v in header.items() if k.startswith(name)}
elif name not in header:
    sys.exit("no tensor %s in %s" % (name, src))
items = sorted(header.items(), key=lambda kv: kv[1]["data_offsets"][0])
if op == "copy":
    items.append((arg, header[name]))
out, chunks, offset = {}, [], 0
for key, info in items:
    chunk = body[info["data_offsets"][0]:info["data_offsets"][1]]
    shape = list(info["shape"])
    if key == name and op == "drop":
        continue
    if key == name and op == "transpose":
        shape = shape[::-1]
    if key == name and op == "truncate":
        rows = int(arg)
        chunk = chunk[:len(chunk) // shape[0] * rows]
        shape[0] = rows
    out[key] = {"dtype": info["dtype"], "shape": shape,
                "data_offsets": [offset, offset + len(chunk)]}
    chunks.append(chunk)
    offset += len(chunk)
raw = json.dumps(out).encode()
raw += b" " * (-len(raw) % 8)
with open(dst, "wb") as f:
    f.write(struct.pack("<Q", len(raw)) + raw + b"".join(chunks))
EOF
}

# edit_config FILE KEY JSON: sets KEY of config.json FILE to the JSON value.
edit_config () {
  "$PYTHON3" - "$@" <<'EOF'
import json, sys
path, key, value = sys.argv[1:4]
config = json.load(open(path))
config[key] = json.loads(value)
json.dump(config, open(path, "w"), indent=2)
EOF
}

# make_model NAME CASE: a copy of the reference checkpoint CASE in $TMP/NAME.
make_model () {
  mkdir -p "$TMP/$1" && cp "$DATA/$2/config.json" "$DATA/$2/model.safetensors" "$TMP/$1/"
}

# expect_failure DESCRIPTION MODEL FILE WANTED: export fails with status 1,
# stderr has "oxport: error:", the path of FILE in MODEL (MODEL itself when
# FILE is empty: a missing tensor is in no file) and WANTED, and OUTDIR
# keeps no file.
expect_failure () {
  desc=$1 model=$2 file=$3 wanted=$4
  out="$TMP/out-$n"
  "$OXPORT" export --model "$model" --task text-generation-with-past "$out" \
    >"$TMP/stdout" 2>"$TMP/stderr"
  status=$?
  why=""
  if [ "$status" -ne 1 ]; then
    why="exit status $status, expected 1"
  elif ! grep -q '^oxport: error: ' "$TMP/stderr"; then
    why="no 'oxport: error:' line"
  elif ! grep -qF -- "$model${file:+/$file}" "$TMP/stderr"; then
    why="the error does not name $model${file:+/$file}"
  elif ! grep -qF -- "$wanted" "$TMP/stderr"; then
    why="the error does not name '$wanted'"
  elif [ -e "$out" ] && [ -n "$(ls -A "$out")" ]; then
    why="OUTDIR holds files: $(ls -A "$out" | tr '\n' ' ')"
  fi
  if [ -z "$why" ]; then
    ok "$desc: $(grep '^oxport: error: ' "$TMP/stderr" | head -n 1)"
  else
    sed 's/^/# /' "$TMP/stderr"
    not_ok "$desc: $why"
  fi
}

# expect_export DESCRIPTION MODEL TASK [REFERENCE]: export with validation
# in ONNX Runtime (two shape sets), and against REFERENCE when given.
expect_export () {
  desc=$1 model=$2 task=$3 ref=${4:-}
  out="$TMP/out-$n"
  if [ -z "$ort" ]; then
    skip "$desc: OXPORT_ONNXRUNTIME is not set"
    return
  fi
  # shellcheck disable=SC2086
  if ! "$OXPORT" export ${export_opts:-} --model "$model" --task "$task" "$out" >"$TMP/stdout" \
    2>"$TMP/stderr"; then
    sed 's/^/# /' "$TMP/stderr"
    not_ok "$desc: export failed"
    return
  fi
  if [ -n "$ref" ]; then
    if ! "$OXPORT" validate "$out/model.onnx" --task "$task" --reference "$ref" >"$TMP/stdout" \
      2>"$TMP/stderr"; then
      sed 's/^/# /' "$TMP/stdout" "$TMP/stderr"
      not_ok "$desc: differs from the reference"
      return
    fi
    ok "$desc: $(grep 'vs reference' "$TMP/stdout" | head -n 1 | sed 's/^ *//')"
    return
  fi
  ok "$desc"
}

# expect_rotary DESCRIPTION MODEL CONFIG: the --optimize O2 export MODEL
# (of the checkpoint whose config.json is CONFIG) has its rotary as two
# com.microsoft RotaryEmbedding per layer (queries and keys), where ORT's
# GroupQueryAttention takes the head size (a multiple of 8).
expect_rotary () {
  if [ -z "$ort" ]; then
    skip "$1: OXPORT_ONNXRUNTIME is not set"
    return
  fi
  if ! "$PYTHON3" -c 'import onnx' 2>/dev/null; then
    skip "$1: python3 has no onnx module"
    return
  fi
  if msg=$("$PYTHON3" - "$2" "$3" 2>&1 <<'EOF'
import json, sys
import onnx
g = onnx.load(sys.argv[1], load_external_data=False).graph
c = json.load(open(sys.argv[2]))
head_dim = c.get("head_dim") or c["hidden_size"] // c["num_attention_heads"]
want = 2 * c["num_hidden_layers"] if head_dim % 8 == 0 else 0
got = sum(1 for node in g.node if node.op_type == "RotaryEmbedding"
          and node.domain == "com.microsoft")
print("RotaryEmbedding %d (want %d)" % (got, want))
sys.exit(0 if got == want else 1)
EOF
  ); then
    ok "$1: $msg"
  else
    not_ok "$1: $(echo "$msg" | tail -n 2 | tr '\n' ' ' | head -c 300)"
  fi
}

echo "1..42"

# ---- bad input ------------------------------------------------------------

make_model rope-unknown llama_decoder
edit_config "$TMP/rope-unknown/config.json" rope_scaling '{"type": "stretchy", "factor": 2.0}'
expect_failure "unknown rope_scaling type" "$TMP/rope-unknown" config.json 'rope_scaling.type “stretchy”'

make_model kv-heads llama-gqa_decoder
edit_config "$TMP/kv-heads/config.json" num_key_value_heads 3
expect_failure "heads not a multiple of kv heads" "$TMP/kv-heads" config.json num_key_value_heads

make_model missing-layer mistral_decoder
edit_safetensors "$DATA/mistral_decoder/model.safetensors" "$TMP/missing-layer/model.safetensors" \
  drop model.layers.1.mlp.up_proj.weight
expect_failure "missing layer tensor" "$TMP/missing-layer" "" \
  model.layers.1.mlp.up_proj.weight

make_model fused-qkv phi3_decoder
edit_safetensors "$DATA/phi3_decoder/model.safetensors" "$TMP/fused-qkv/model.safetensors" \
  truncate model.layers.0.self_attn.qkv_proj.weight 48
expect_failure "fused qkv_proj of the wrong size" "$TMP/fused-qkv" model.safetensors \
  model.layers.0.self_attn.qkv_proj.weight

make_model fused-gate-up phi3_decoder
edit_safetensors "$DATA/phi3_decoder/model.safetensors" "$TMP/fused-gate-up/model.safetensors" \
  truncate model.layers.1.mlp.gate_up_proj.weight 37
expect_failure "fused gate_up_proj of the wrong size" "$TMP/fused-gate-up" model.safetensors \
  model.layers.1.mlp.gate_up_proj.weight

make_model longrope-short phi3_decoder
edit_config "$TMP/longrope-short/config.json" rope_scaling \
  '{"type": "longrope", "short_factor": [1, 1, 1], "long_factor": [1, 2, 3, 4]}'
expect_failure "longrope factors of the wrong length" "$TMP/longrope-short" config.json \
  rope_scaling.short_factor

# ---- rope scaling runs ------------------------------------------------------

make_model rope-linear llama_decoder
edit_config "$TMP/rope-linear/config.json" rope_scaling '{"type": "linear", "factor": 2.0}'
expect_export "rope_scaling linear" "$TMP/rope-linear" text-generation-with-past

make_model rope-llama3 llama-gqa_decoder
edit_config "$TMP/rope-llama3/config.json" rope_scaling \
  '{"rope_type": "llama3", "factor": 8.0, "low_freq_factor": 1.0, "high_freq_factor": 4.0, "original_max_position_embeddings": 16}'
expect_export "rope_scaling llama3" "$TMP/rope-llama3" text-generation-with-past

make_model rope-dynamic llama_decoder
edit_config "$TMP/rope-dynamic/config.json" rope_scaling '{"type": "dynamic", "factor": 2.0}'
edit_config "$TMP/rope-dynamic/config.json" max_position_embeddings 8
expect_export "rope_scaling dynamic" "$TMP/rope-dynamic" text-generation-with-past

make_model rope-longrope phi3_decoder
edit_config "$TMP/rope-longrope/config.json" rope_scaling \
  '{"type": "longrope", "short_factor": [1.0, 1.1, 1.2, 1.3], "long_factor": [1.0, 2.0, 4.0, 8.0]}'
edit_config "$TMP/rope-longrope/config.json" original_max_position_embeddings 8
edit_config "$TMP/rope-longrope/config.json" sliding_window 5
expect_export "rope_scaling longrope, sliding window 5" "$TMP/rope-longrope" text-generation-with-past

# ---- against a numpy forward pass ------------------------------------------

# vectors CASE: the case's inputs for model.onnx.
vectors () {
  if [ -f "$DATA/$1/vectors-model.safetensors" ]; then
    echo "$DATA/$1/vectors-model.safetensors"
  else
    echo "$DATA/$1/vectors.safetensors"
  fi
}

why=""
for c in llama-gqa_decoder-with-past mistral_decoder-with-past qwen2_decoder-with-past \
  phi3_decoder-with-past gemma_decoder-with-past gemma_decoder; do
  if ! "$PYTHON3" "$G_TEST_SRCDIR/gen-llama-refs.py" --check "$DATA/$c" "$(vectors "$c")" \
    >"$TMP/stdout" 2>&1; then
    why="$why $c: $(tail -n 1 "$TMP/stdout")"
  fi
done
if [ -z "$why" ]; then
  ok "the numpy forward pass reproduces transformers on every family"
else
  not_ok "the numpy forward pass differs from transformers:$why"
fi

# numpy_case DESCRIPTION NAME CASE TASK KEY JSON [KEY JSON...]: CASE's
# checkpoint with config.json edited, exported and compared with the numpy
# forward pass on CASE's inputs.
numpy_case () {
  desc=$1 name=$2 case_dir=$3 task=$4
  nc_desc=$1
  shift 4
  make_model "$name" "$case_dir"
  while [ $# -ge 2 ]; do
    edit_config "$TMP/$name/config.json" "$1" "$2"
    shift 2
  done
  if ! "$PYTHON3" "$G_TEST_SRCDIR/gen-llama-refs.py" "$TMP/$name" "$(vectors "$case_dir")" \
    "$TMP/$name-ref.safetensors" >"$TMP/stdout" 2>&1; then
    sed 's/^/# /' "$TMP/stdout"
    not_ok "$desc: no numpy reference"
    return
  fi
  expect_export "$desc" "$TMP/$name" "$task" "$TMP/$name-ref.safetensors"
  # And at --optimize O2 (GroupQueryAttention, with local_window_size for
  # the windows), against the same reference.
  export_opts="--optimize O2"
  expect_export "$desc, --optimize O2" "$TMP/$name" "$task" "$TMP/$name-ref.safetensors"
  export_opts=
  expect_rotary "$nc_desc, --optimize O2 operators" "$out/model.onnx" "$TMP/$name/config.json"
}

# key j visible to query i iff i - 3 < j <= i: 6 queries, then 1 over 7 keys.
numpy_case "mistral sliding_window 3, first step" window-first mistral_decoder \
  text-generation-with-past sliding_window 3
numpy_case "mistral sliding_window 3, with past" window-past mistral_decoder-with-past \
  text-generation-with-past sliding_window 3
# Qwen2: the window only from layer max_window_layers on.
numpy_case "qwen2 use_sliding_window, window 3 from layer 1" window-qwen2 qwen2_decoder-with-past \
  text-generation-with-past use_sliding_window true sliding_window 3 max_window_layers 1
# Phi-3 longrope: a length of 7 beyond the original 4 takes the long factors ...
numpy_case "phi3 longrope, long factors" longrope-long phi3_decoder-with-past \
  text-generation-with-past original_max_position_embeddings 4 rope_scaling \
  '{"type": "longrope", "short_factor": [1.0, 1.25, 1.5, 2.0], "long_factor": [1.0, 2.0, 4.0, 8.0]}'
# ... and within the original 64 the short ones (attention factor from 128 / 64).
numpy_case "phi3 longrope, short factors" longrope-short phi3_decoder \
  text-generation-with-past original_max_position_embeddings 64 rope_scaling \
  '{"type": "longrope", "short_factor": [1.0, 1.25, 1.5, 2.0], "long_factor": [1.0, 2.0, 4.0, 8.0]}'
numpy_case "llama3 rope scaling" llama3 llama-gqa_decoder-with-past text-generation-with-past \
  rope_scaling '{"rope_type": "llama3", "factor": 8.0, "low_freq_factor": 1.0, "high_freq_factor": 4.0, "original_max_position_embeddings": 16}'
numpy_case "linear rope scaling" linear llama_decoder text-generation-with-past \
  rope_scaling '{"type": "linear", "factor": 4.0}'
# dynamic NTK: 12 positions beyond max_position_embeddings 8.
numpy_case "dynamic rope scaling" dynamic llama_decoder-with-past text-generation-with-past \
  max_position_embeddings 8 rope_scaling '{"type": "dynamic", "factor": 2.0}'

# Several new tokens after a past in a batch of 2, one row left-padded:
# the shape ORT's GroupQueryAttention kernel refuses (batch 1 only there),
# which --optimize O2 works around inside the graph; no transformers case
# has it, so the inputs are made here and the numpy pass gives the outputs.
make_model chunk llama-gqa_decoder-with-past
"$PYTHON3" - "$G_TEST_SRCDIR" "$(vectors llama-gqa_decoder-with-past)" \
  "$TMP/chunk-inputs.safetensors" <<'EOF'
import sys
import numpy as np
sys.dont_write_bytecode = True
sys.path.insert(0, sys.argv[1])
from oxp_vectors import read_safetensors, write_safetensors  # noqa: E402
src, dst = sys.argv[2:4]
past, seq = 6, 3
out = {}
for k, a in read_safetensors(src).items():
    if k.startswith("past_key_values."):
        out[k] = np.ascontiguousarray(a[:2, :, :past, :])
rng = np.random.default_rng(7)
out["input_ids"] = rng.integers(1, 60, (2, seq)).astype(np.int64)
mask = np.ones((2, past + seq), np.int64)
mask[1, :2] = 0
out["attention_mask"] = mask
pos = np.cumsum(mask, 1) - 1
pos[mask == 0] = 1
out["position_ids"] = np.ascontiguousarray(pos[:, past:])
write_safetensors(dst, out)
EOF
if "$PYTHON3" "$G_TEST_SRCDIR/gen-llama-refs.py" "$TMP/chunk" "$TMP/chunk-inputs.safetensors" \
  "$TMP/chunk-ref.safetensors" >"$TMP/stdout" 2>&1; then
  expect_export "3 new tokens after a past of 6, batch 2, left padding" "$TMP/chunk" \
    text-generation-with-past "$TMP/chunk-ref.safetensors"
  export_opts="--optimize O2"
  expect_export "3 new tokens after a past of 6, batch 2, left padding, --optimize O2" \
    "$TMP/chunk" text-generation-with-past "$TMP/chunk-ref.safetensors"
  export_opts=
  expect_rotary "3 new tokens after a past, --optimize O2 operators" "$out/model.onnx" \
    "$TMP/chunk/config.json"
else
  sed 's/^/# /' "$TMP/stdout"
  not_ok "3 new tokens after a past: no numpy reference"
  not_ok "3 new tokens after a past, --optimize O2: no numpy reference"
  not_ok "3 new tokens after a past, --optimize O2 operators: no numpy reference"
fi

# A GemmaModel checkpoint (no "model." prefix) for feature extraction.
make_model base-model gemma_decoder
edit_config "$TMP/base-model/config.json" architectures '["GemmaModel"]'
edit_safetensors "$DATA/gemma_decoder/model.safetensors" "$TMP/base-model/model.safetensors" \
  unprefix model.
if "$PYTHON3" "$G_TEST_SRCDIR/gen-llama-refs.py" "$TMP/base-model" "$(vectors gemma_decoder)" \
  "$TMP/base-model-ref.safetensors" >"$TMP/stdout" 2>&1; then
  expect_export "feature-extraction of a GemmaModel checkpoint" "$TMP/base-model" \
    feature-extraction "$TMP/base-model-ref.safetensors"
else
  sed 's/^/# /' "$TMP/stdout"
  not_ok "feature-extraction of a GemmaModel checkpoint: no numpy reference"
fi

# ---- sequence classification ----------------------------------------------

# score = lm_head with one label per vocabulary entry: the logits must be
# text generation's at each row's last non-pad token.
make_model classify llama_decoder
edit_config "$TMP/classify/config.json" architectures '["LlamaForSequenceClassification"]'
"$PYTHON3" - "$TMP/classify/config.json" <<'EOF'
import json, sys
c = json.load(open(sys.argv[1]))
c["id2label"] = {str(i): "LABEL_%d" % i for i in range(c["vocab_size"])}
json.dump(c, open(sys.argv[1], "w"), indent=2)
EOF
edit_safetensors "$DATA/llama_decoder/model.safetensors" "$TMP/classify/model.safetensors" \
  copy lm_head.weight score.weight
"$PYTHON3" - "$G_TEST_SRCDIR" "$DATA/llama_text-generation/vectors-model.safetensors" \
  "$TMP/classify-ref.safetensors" <<'EOF'
import sys
import numpy as np
sys.dont_write_bytecode = True
sys.path.insert(0, sys.argv[1])
from oxp_vectors import read_safetensors, write_safetensors  # noqa: E402
src, dst = sys.argv[2:4]
ref = read_safetensors(src)
ids = ref["input_ids"]
# transformers: argmax(arange(seq) * (ids != pad_token_id)); pad_token_id 0.
last = (np.arange(ids.shape[1]) * (ids != 0)).argmax(-1)
assert (last < ids.shape[1] - 1).any(), "the reference has no padded row"
write_safetensors(dst, {"input_ids": ids, "attention_mask": ref["attention_mask"],
                        "position_ids": ref["position_ids"],
                        "logits": ref["logits"][np.arange(ids.shape[0]), last]})
EOF
expect_export "text-classification: logits at the last non-pad token" "$TMP/classify" \
  text-classification "$TMP/classify-ref.safetensors"

# ---- bf16 ---------------------------------------------------------------

# ONNX Runtime's CPU provider runs no bfloat16 graph; the ONNX checker's
# type inference still proves every operator takes bfloat16 at the opset
# written (Where and Pow do only from opsets 16 and 15 on).
why=""
for m in "$DATA/llama_decoder" "$DATA/mistral_decoder" "$DATA/qwen2_decoder" "$DATA/phi3_decoder" \
  "$DATA/gemma_decoder" "$TMP/longrope-long"; do
  out="$TMP/bf16-$(basename "$m")"
  if ! "$OXPORT" export --model "$m" --task text-generation-with-past --dtype bf16 --no-validate \
    "$out" >"$TMP/stdout" 2>&1; then
    why="$why $(basename "$m"): export failed;"
  elif ! "$PYTHON3" -c 'import onnx, sys; onnx.checker.check_model(onnx.load(sys.argv[1]), full_check=True)' \
    "$out/model.onnx" >"$TMP/stdout" 2>&1; then
    why="$why $(basename "$m"): $(tail -n 1 "$TMP/stdout");"
  fi
done
if [ -z "$why" ]; then
  ok "bf16 exports pass the ONNX checker's type inference"
else
  not_ok "bf16 exports:$why"
fi

# ---- tied head -------------------------------------------------------------

out="$TMP/tied"
if "$OXPORT" export --model "$DATA/qwen2_decoder" --task text-generation-with-past --no-validate \
  "$out" >"$TMP/stdout" 2>"$TMP/stderr"; then
  counts=$("$PYTHON3" - "$out" <<'EOF'
import glob, sys
import onnx
m = onnx.load(sorted(glob.glob(sys.argv[1] + "/*.onnx"))[0], load_external_data=False)
shapes = [tuple(i.dims) for i in m.graph.initializer]
print(shapes.count((320, 32)), shapes.count((32, 320)))
EOF
)
  if [ "$counts" = "1 0" ]; then
    ok "tied lm_head: the embeddings are stored once"
  else
    not_ok "tied lm_head: [320, 32] and [32, 320] initializers: $counts, expected 1 0"
  fi
else
  sed 's/^/# /' "$TMP/stderr"
  not_ok "tied lm_head: export failed"
fi

[ "$failures" -eq 0 ]
