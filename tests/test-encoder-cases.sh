#!/bin/sh
# SPDX-License-Identifier: LGPL-2.1-or-later
# The deberta-v2 and mpnet reference cases in tests/data, and the heads
# gen-bert-heads.py derives from them, exported with `oxport export` and run
# in ONNX Runtime on the case's inputs; each output is compared with the
# reference and the max abs difference printed.  A case whose case.json
# says compare_positions "attention_mask==1" (DeBERTa's padded query rows
# are implementation-defined) is compared there only, with `validate
# --reference-mask attention_mask`; that option is checked to still catch a
# kept position and to fail without the mask tensor.  Then bad checkpoints:
# an error naming the file and field, exit status 1, nothing in OUTDIR.

set -u

n=0
failed=0
ok () { n=$((n + 1)); echo "ok $n - $1"; }
not_ok () { n=$((n + 1)); failed=1; echo "not ok $n - $1"; }
skip_all () { echo "1..0 # SKIP $1"; exit 0; }

[ -n "${OXPORT:-}" ] && [ -x "$OXPORT" ] || skip_all "no oxport program (OXPORT=${OXPORT:-})"
[ -n "${OXPORT_ONNXRUNTIME:-}" ] || skip_all "OXPORT_ONNXRUNTIME is not set"
py=${PYTHON3:-/usr/bin/python3}
data=$G_TEST_SRCDIR/data

tmp=$(mktemp -d "${TMPDIR:-/tmp}/oxp-encoder-cases-XXXXXX") || exit 1
trap 'rm -rf "$tmp"' EXIT

# case_fields: the case.json values of a case, one python3 run per case.
. "$G_TEST_SRCDIR/case-fields.sh"

# validate_summary MODEL REFERENCE ATOL [ARGS]: runs `oxport validate`, sets
# $status and $summary (the largest reference difference, or the failures).
validate_summary () {
  model=$1 ref=$2 atol=$3
  shift 3
  "$OXPORT" validate "$model" --reference "$ref" --atol "$atol" --json "$@" >"$tmp/v.json" 2>"$tmp/v.err"
  status=$?
  summary=$("$py" - "$tmp/v.json" <<'PY'
import json, sys
try:
    doc = json.load(open(sys.argv[1]))
except Exception as e:
    print("no JSON report (%s)" % e); sys.exit(0)
diffs, bad = [], []
for r in doc.get("reports", []):
    for c in r.get("checks", []):
        if c.get("check") == "reference":
            if c.get("max_abs_diff") is not None:
                diffs.append((c["max_abs_diff"], c["name"]))
            if not c.get("passed"):
                bad.append("%s: %s" % (c["name"], c.get("reason")))
if bad:
    print("FAILED " + "; ".join(bad[:3]))
elif diffs:
    d, w = max(diffs)
    print("%d outputs, max abs diff %.3g (%s)" % (len(diffs), d, w))
else:
    print("no reference output compared")
PY
)
}

# mask_args RULE: the validate arguments for a case's compare_positions.
mask_args () {
  case $1 in
    "") echo "" ;;
    "attention_mask==1") echo "--reference-mask attention_mask" ;;
    *) echo "UNKNOWN:$1" ;;
  esac
}

"$py" "$G_TEST_SRCDIR/gen-bert-heads.py" "$data" "$tmp/heads" >/dev/null || {
  echo "Bail out! gen-bert-heads.py failed"; exit 1; }

for dir in "$data"/deberta-v2_* "$data"/mpnet_* "$tmp"/heads/deberta-v2_* "$tmp"/heads/mpnet_*; do
  [ -f "$dir/case.json" ] || continue
  name=$(basename "$dir")
  if ! case_fields "$dir" task='c["task"]' atol='c.get("atol", 1e-4)' \
         rule='c.get("compare_positions", "")' \
         o3_atol='max(float(c.get("atol", 1e-4)), float(os.environ.get("OXP_O3_ATOL") or 2e-2))'; then
    not_ok "$name: case.json unreadable"
    continue
  fi
  args=$(mask_args "$rule")
  case $args in UNKNOWN:*) not_ok "$name: unknown compare_positions ${args#UNKNOWN:}"; continue ;; esac

  # The optimize levels ($OXP_OPTIMIZE, default "O1 O2 O3"; empty: none),
  # against the same reference; O3's approximations at OXP_O3_ATOL (2e-2).
  for level in ${OXP_OPTIMIZE-O1 O2 O3}; do
    level_atol=$atol
    [ "$level" = O3 ] && level_atol=$o3_atol
    lout=$tmp/out-$name-$level
    if "$OXPORT" export --optimize "$level" --model "$dir" --task "$task" --no-validate "$lout" \
         >"$tmp/e.log" 2>&1; then
      # shellcheck disable=SC2086 # $args is zero or two words
      validate_summary "$lout/model.onnx" "$dir/vectors.safetensors" "$level_atol" $args
      case $summary in
        *"max abs diff"*) [ "$status" -eq 0 ] && ok "$name --optimize $level: $summary" ||
                            not_ok "$name --optimize $level: exit $status: $summary" ;;
        *) not_ok "$name --optimize $level: exit $status: $summary $(head -c 300 "$tmp/v.err")" ;;
      esac
    else
      not_ok "$name --optimize $level: export failed: $(tail -n 3 "$tmp/e.log" | tr '\n' ' ')"
    fi
    rm -rf "$lout"
  done
  out=$tmp/out-$name
  if ! "$OXPORT" export --model "$dir" --task "$task" --no-validate "$out" >"$tmp/e.log" 2>&1; then
    not_ok "$name: export failed: $(tail -n 3 "$tmp/e.log" | tr '\n' ' ')"
    continue
  fi
  # shellcheck disable=SC2086 # $args is zero or two words
  validate_summary "$out/model.onnx" "$dir/vectors.safetensors" "$atol" $args
  case $summary in
    *"max abs diff"*) if [ "$status" -eq 0 ]; then
                        ok "$name${args:+ ($args)}: $summary"; continue
                      fi ;;
  esac
  not_ok "$name: exit $status: $summary $(head -c 300 "$tmp/v.err")"
done

# --reference-mask: a reference whose padded positions are off by 1 fails a
# full comparison and passes the masked one; one off at a kept position
# fails both; a mask the reference lacks fails.
fe=$tmp/out-deberta-v2_feature-extraction/model.onnx
perturb () {
  "$py" - "$data/deberta-v2_feature-extraction/vectors.safetensors" "$1" "$2" <<'PY'
import json, struct, sys
import numpy as np
src, where, dst = sys.argv[1:4]
raw = open(src, "rb").read()
n = struct.unpack("<Q", raw[:8])[0]
header = json.loads(raw[8:8 + n]); body = bytearray(raw[8 + n:])
def view(name, dt):
    a, b = header[name]["data_offsets"]
    return np.frombuffer(body, dtype=dt, count=(b - a) // np.dtype(dt).itemsize, offset=a).reshape(header[name]["shape"])
mask = view("attention_mask", "<i8")
h = view("last_hidden_state", "<f4").copy()
h[(mask == 0) if where == "padded" else (mask == 1)] += 1.0
a, b = header["last_hidden_state"]["data_offsets"]
body[a:b] = h.astype("<f4").tobytes()
open(dst, "wb").write(raw[:8 + n] + bytes(body))
PY
}
if [ -f "$fe" ] && perturb padded "$tmp/padded.safetensors" && perturb kept "$tmp/kept.safetensors"; then
  validate_summary "$fe" "$tmp/padded.safetensors" 1e-4
  case "$status:$summary" in
    0:*) not_ok "padded positions off by 1: a full comparison passed" ;;
    *"last_hidden_state: "*tolerance*) ok "padded positions off by 1: a full comparison fails ($summary)" ;;
    *) not_ok "padded positions off by 1: the full comparison failed otherwise: $summary" ;;
  esac
  validate_summary "$fe" "$tmp/padded.safetensors" 1e-4 --reference-mask attention_mask
  [ "$status" -eq 0 ] && ok "padded positions off by 1: the masked comparison passes ($summary)" \
    || not_ok "padded positions off by 1: the masked comparison failed: $summary"
  validate_summary "$fe" "$tmp/kept.safetensors" 1e-4 --reference-mask attention_mask
  case "$status:$summary" in
    0:*) not_ok "kept positions off by 1: the masked comparison passed" ;;
    *"last_hidden_state: "*tolerance*) ok "kept positions off by 1: the masked comparison fails ($summary)" ;;
    *) not_ok "kept positions off by 1: the masked comparison failed otherwise: $summary" ;;
  esac
  validate_summary "$fe" "$data/deberta-v2_feature-extraction/vectors.safetensors" 1e-4 --reference-mask no_such_mask
  case "$status:$summary" in
    0:*) not_ok "--reference-mask no_such_mask passed" ;;
    *no_such_mask*) ok "--reference-mask no_such_mask fails naming it" ;;
    *) not_ok "--reference-mask no_such_mask: $summary" ;;
  esac
else
  not_ok "no deberta-v2 feature-extraction export to check --reference-mask with"
fi

# ---- bad checkpoints ------------------------------------------------------

# edit CASE NAME PYTHON: $tmp/bad-NAME, a copy of CASE changed by PYTHON
# (on `config`, a dict, and `tensors`, the safetensors header dict); the
# data is repacked so that the file stays well-formed.
edit () {
  mkdir -p "$tmp/bad-$2"
  "$py" - "$data/$1" "$tmp/bad-$2" "$3" <<'PY'
import json, struct, sys
src, dst, code = sys.argv[1:4]
config = json.load(open(src + "/config.json"))
raw = open(src + "/model.safetensors", "rb").read()
n = struct.unpack("<Q", raw[:8])[0]
tensors = json.loads(raw[8:8 + n]); body = raw[8 + n:]
exec(code)
out, chunks, offset = {}, [], 0
for key, info in tensors.items():
    if key == "__metadata__":
        out[key] = info; continue
    a, b = info["data_offsets"]
    out[key] = dict(info, data_offsets=[offset, offset + b - a])
    chunks.append(body[a:b]); offset += b - a
hdr = json.dumps(out).encode(); hdr += b" " * (-len(hdr) % 8)
open(dst + "/model.safetensors", "wb").write(struct.pack("<Q", len(hdr)) + hdr + b"".join(chunks))
json.dump(config, open(dst + "/config.json", "w"), indent=2)
PY
}

# expect_failure NAME WANTED...: export fails with status 1, an "oxport:
# error:" line holding every WANTED string (the file, or for a missing
# tensor the checkpoint folder, and the field), and no OUTDIR left.
expect_failure () {
  name=$1
  shift
  out=$tmp/bad-out-$name
  "$OXPORT" export --model "$tmp/bad-$name" --no-validate "$out" >"$tmp/stdout" 2>"$tmp/stderr"
  status=$?
  why=""
  [ "$status" -eq 1 ] || why="exit status $status, expected 1"
  line=$(grep '^oxport: error: ' "$tmp/stderr" | head -n 1)
  [ -n "$why" ] || [ -n "$line" ] || why="no 'oxport: error:' line"
  for w in "$@"; do
    [ -n "$why" ] || case $line in *"$w"*) ;; *) why="the error does not name '$w'" ;; esac
  done
  [ -n "$why" ] || [ ! -e "$out" ] || [ -z "$(ls -A "$out")" ] || why="OUTDIR holds $(ls -A "$out" | tr '\n' ' ')"
  if [ -z "$why" ]; then ok "$name: $line"; else sed 's/^/# /' "$tmp/stderr"; not_ok "$name: $why"; fi
}

edit deberta-v2_feature-extraction missing-rel \
  'tensors.pop("encoder.rel_embeddings.weight")'
expect_failure missing-rel bad-missing-rel encoder.rel_embeddings.weight
edit deberta-v2_text-classification missing-pooler 'tensors.pop("pooler.dense.weight")'
expect_failure missing-pooler bad-missing-pooler pooler.dense.weight
edit deberta-v2_feature-extraction pos-att-type 'config["pos_att_type"] = ["p2c", "c2q"]'
expect_failure pos-att-type config.json pos_att_type c2q
edit deberta-v2_feature-extraction conv 'config["conv_kernel_size"] = 3'
expect_failure conv config.json conv_kernel_size
edit mpnet_feature-extraction buckets-zero 'config["relative_attention_num_buckets"] = 0'
expect_failure buckets-zero config.json relative_attention_num_buckets
edit mpnet_feature-extraction buckets-negative 'config["relative_attention_num_buckets"] = -4'
expect_failure buckets-negative config.json relative_attention_num_buckets
edit mpnet_text-classification missing-bias \
  'tensors.pop("mpnet.encoder.relative_attention_bias.weight")'
expect_failure missing-bias bad-missing-bias mpnet.encoder.relative_attention_bias.weight

[ "$n" -gt 0 ] || { echo "Bail out! no encoder case in $data"; exit 1; }
echo "1..$n"
exit $failed
