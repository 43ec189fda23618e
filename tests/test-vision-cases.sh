#!/bin/sh
# SPDX-License-Identifier: LGPL-2.1-or-later
# Every vit_* and clip_* reference case in tests/data, exported with
# `oxport export --task <case.json task>` and validated in ONNX Runtime
# against the outputs transformers computed (vectors.safetensors); each
# line prints the max abs difference.  Each file also passes
# onnx.checker.check_model(full_check=True) (tests/check-onnx.py).  The validation must have run the
# model at two batch sizes of pixel_values.  CLIP is also exported with
# --split (text_model.onnx, vision_model.onnx) and checked against the
# vectors tests/clip-tower-vectors.py computes with numpy (after checking
# that numpy model against transformers' vectors).  DeiT, which has no
# reference case, is checked on the two checkpoints tests/deit-vectors.py
# derives from the ViT case (with the teacher head, and the bare backbone),
# the task inferred from their "architectures".

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

tmp=$(mktemp -d "${TMPDIR:-/tmp}/oxp-vision-cases-XXXXXX") || exit 1
trap 'rm -rf "$tmp"' EXIT

# case_fields: the case.json values of a case, one python3 run per case.
. "$G_TEST_SRCDIR/case-fields.sh"

# check NAME MODEL REFERENCE ATOL: validates MODEL against REFERENCE; passes
# when validation passed, every output of REFERENCE that the model has was
# compared, and pixel_values (when an input) was fed at two batch sizes.
check () {
  name=$1 model=$2 ref=$3 atol=$4
  if [ ! -f "$model" ]; then
    not_ok "$name: $(basename "$model") was not written"
    return
  fi
  if ! "$py" "$G_TEST_SRCDIR/check-onnx.py" "$model" >"$tmp/c.log" 2>&1; then
    not_ok "$name: onnx.checker: $(grep -v '^ok' "$tmp/c.log" | head -c 300)"
    return
  fi
  "$OXPORT" validate "$model" --reference "$ref" --atol "$atol" --json >"$tmp/v.json" 2>"$tmp/v.err"
  status=$?
  summary=$("$py" "$G_TEST_SRCDIR/validate-summary.py" --batches "$tmp/v.json")
  case $summary in
    *"max abs diff"*) [ "$status" -eq 0 ] && { ok "$name: $summary"; return; } ;;
  esac
  not_ok "$name: exit $status: $summary $(head -c 300 "$tmp/v.err")"
}

for dir in "$data"/vit_* "$data"/clip_*; do
  [ -f "$dir/case.json" ] || continue
  case_name=$(basename "$dir")
  if ! case_fields "$dir" task='c["task"]' atol='c.get("atol", 1e-4)' \
         o3_atol='max(float(c.get("atol", 1e-4)), float(os.environ.get("OXP_O3_ATOL") or 2e-2))'; then
    not_ok "$case_name: case.json unreadable"
    continue
  fi
  out=$tmp/$case_name
  if "$OXPORT" export --model "$dir" --task "$task" --no-validate "$out" >"$tmp/e.log" 2>&1; then
    check "$case_name model.onnx" "$out/model.onnx" "$dir/vectors.safetensors" "$atol"
  else
    not_ok "$case_name: export failed: $(tail -n 3 "$tmp/e.log" | tr '\n' ' ')"
  fi

  # The optimize levels ($OXP_OPTIMIZE, default "O1 O2 O3"; empty: none),
  # against the same reference; O3's approximations at OXP_O3_ATOL (2e-2).
  for level in ${OXP_OPTIMIZE-O1 O2 O3}; do
    level_atol=$atol
    [ "$level" = O3 ] && level_atol=$o3_atol
    lout=$tmp/$case_name-$level
    if "$OXPORT" export --optimize "$level" --model "$dir" --task "$task" --no-validate "$lout" \
         >"$tmp/e.log" 2>&1; then
      check "$case_name --optimize $level model.onnx" "$lout/model.onnx" "$dir/vectors.safetensors" \
        "$level_atol"
    else
      not_ok "$case_name --optimize $level: export failed: $(tail -n 3 "$tmp/e.log" | tr '\n' ' ')"
    fi
    rm -rf "$lout"
  done

  case $case_name in clip_*) ;; *) continue ;; esac
  out=$tmp/$case_name-split
  if ! "$OXPORT" export --split --model "$dir" --task "$task" --no-validate "$out" >"$tmp/e.log" 2>&1; then
    not_ok "$case_name --split: export failed: $(tail -n 3 "$tmp/e.log" | tr '\n' ' ')"
    continue
  fi
  if [ -e "$out/model.onnx" ]; then
    not_ok "$case_name --split: model.onnx written too"
  fi
  if ! "$py" "$G_TEST_SRCDIR/clip-tower-vectors.py" "$dir" "$out" >"$tmp/t.log" 2>&1; then
    not_ok "$case_name --split: no tower vectors: $(tail -n 2 "$tmp/t.log" | tr '\n' ' ')"
    continue
  fi
  check "$case_name --split text_model.onnx ($(cat "$tmp/t.log"))" "$out/text_model.onnx" \
    "$out/text-vectors.safetensors" "$atol"
  check "$case_name --split vision_model.onnx" "$out/vision_model.onnx" \
    "$out/vision-vectors.safetensors" "$atol"

  # A non-legacy eos_token_id (not 2) pools at its first occurrence, not at
  # argmax(input_ids): 254 is at position 3 of row 0 and absent from row 1
  # (pooled at 0, as torch's argmax of all-false does).
  eos=$tmp/$case_name-eos
  mkdir -p "$eos" && cp "$dir/model.safetensors" "$eos/"
  "$py" -c 'import json,sys; c=json.load(open(sys.argv[1])); c["text_config"]["eos_token_id"]=254; json.dump(c, open(sys.argv[2], "w"))' \
    "$dir/config.json" "$eos/config.json"
  out=$tmp/$case_name-eos-split
  if ! "$OXPORT" export --split --model "$eos" --task "$task" --no-validate "$out" >"$tmp/e.log" 2>&1; then
    not_ok "$case_name eos_token_id 254 --split: export failed: $(tail -n 3 "$tmp/e.log" | tr '\n' ' ')"
  elif ! "$py" "$G_TEST_SRCDIR/clip-tower-vectors.py" "$dir" "$out" "$eos/config.json" >"$tmp/t.log" 2>&1; then
    not_ok "$case_name eos_token_id 254: no tower vectors: $(tail -n 2 "$tmp/t.log" | tr '\n' ' ')"
  else
    check "$case_name eos_token_id 254 --split text_model.onnx" "$out/text_model.onnx" \
      "$out/text-vectors.safetensors" "$atol"
  fi
done

if "$py" "$G_TEST_SRCDIR/deit-vectors.py" "$data/vit_image-classification" "$tmp/deit" >"$tmp/d.log" 2>&1; then
  for variant in deit-teacher deit-base; do
    out=$tmp/$variant-onnx
    if "$OXPORT" export --model "$tmp/deit/$variant" --no-validate "$out" >"$tmp/e.log" 2>&1; then
      check "$variant model.onnx ($(cat "$tmp/d.log"))" "$out/model.onnx" \
        "$tmp/deit/$variant/vectors.safetensors" 1e-4
    else
      not_ok "$variant: export failed: $(tail -n 3 "$tmp/e.log" | tr '\n' ' ')"
    fi
  done
else
  not_ok "deit: no derived checkpoints: $(tail -n 2 "$tmp/d.log" | tr '\n' ' ')"
fi

[ "$n" -gt 0 ] || { echo "Bail out! no vision case in $data"; exit 1; }
echo "1..$n"
exit $failed
