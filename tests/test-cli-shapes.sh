#!/bin/sh
# SPDX-License-Identifier: LGPL-2.1-or-later
#
# optimum's shape flags and --no-dynamic-axes (issue 12): --batch_size,
# --sequence_length, … set the validation's dummy shapes; with
# --no-dynamic-axes every input and output dim of the files is that fixed
# number (python3-onnx reads no dim_param), ONNX Runtime runs the file at
# that shape and refuses another, validation runs one shape set, and a
# reference case passes when its own shapes are given.  Impossible values
# are refused with a message naming what is wrong.  Speaks TAP.

set -u

: "${G_TEST_SRCDIR:?}"
. "$G_TEST_SRCDIR/tap.sh"
srcdir=${OXP_TOP_SRCDIR:-$G_TEST_SRCDIR/..}
ort_node=$srcdir/_deps/node_modules/onnxruntime-node

# dims FILE: "name=d0,d1,…" per graph input and output, a dim_param as @name
dims () {
  "$PYTHON3" - "$1" <<'PY' 2>>"$tmp/err"
import sys, onnx
m = onnx.load(sys.argv[1], load_external_data=False)
for v in list(m.graph.input) + list(m.graph.output):
    ds = [("@" + d.dim_param) if d.dim_param else str(d.dim_value) if d.HasField("dim_value") else "?"
          for d in v.type.tensor_type.shape.dim]
    print(v.name + "=" + ",".join(ds))
PY
}
# the checks that ran at dummy shapes, per file: [(name, check, shapes)]
runs='[(c["name"], c["check"], c["shapes"]) for r in d["validation"]["reports"] for c in r["checks"] if c["check"] in ("run", "cache")]'

# --- fixed dims, reference at its own shapes ----------------------------------------
bert=$data/bert_feature-extraction
run 0 export --json --no-dynamic-axes --batch_size 2 --sequence_length 11 \
  --reference "$bert/vectors.safetensors" --model "$bert" "$tmp/b" \
  && json 'd["validation"]["status"] == "passed"' \
  && json "any(c['check'] == 'reference' and c['passed'] for r in d['validation']['reports'] for c in r['checks'])"
check "--no-dynamic-axes at the reference's shapes (2×11): validated, the reference passes" '[ $? -eq 0 ]'
dims "$tmp/b/model.onnx" >"$tmp/dims"
check "python onnx: every input and output dim is a number at those shapes, no dim_param" \
  "[ \"\$(tr '\n' ' ' <'$tmp/dims')\" = 'input_ids=2,11 attention_mask=2,11 token_type_ids=2,11 last_hidden_state=2,11,32 ' ]"
check "onnx.checker full_check passes on the fixed file" \
  "'$PYTHON3' -c \"import onnx; onnx.checker.check_model('$tmp/b/model.onnx', full_check=True)\" 2>>'$tmp/err'"
check "validation ran one shape set (a fixed file takes no other)" \
  "json '[r[1] for r in $runs] == [\"run\"]'"

# ONNX Runtime itself (onnxruntime-node) at the fixed shape and at another.
if command -v node >/dev/null 2>&1 && [ -d "$ort_node" ]; then
  cat >"$tmp/ort.js" <<'JS'
const ort = require(process.argv[2]);
(async () => {
  const s = await ort.InferenceSession.create(process.argv[3]);
  const feed = (b, t) => Object.fromEntries(s.inputNames.map(n =>
    [n, new ort.Tensor('int64', new BigInt64Array(b * t).fill(1n), [b, t])]));
  const out = await s.run(feed(2, 11));
  console.log('2x11 ' + out.last_hidden_state.dims.join(','));
  try { await s.run(feed(3, 11)); console.log('3x11 ran'); } catch (e) { console.log('3x11 refused'); }
})().catch(e => { console.log('error ' + e.message); });
JS
  node "$tmp/ort.js" "$ort_node" "$tmp/b/model.onnx" >"$tmp/out" 2>"$tmp/err"
  check "ONNX Runtime runs the fixed file at 2×11 (output 2,11,32) and refuses 3×11" \
    "[ \"\$(tr '\n' ' ' <'$tmp/out')\" = '2x11 2,11,32 3x11 refused ' ]"
else
  ok "# SKIP ONNX Runtime's own run: node or onnxruntime-node is not installed"
fi

# Without --no-dynamic-axes the shapes are only the validation's.
run 0 export --json --batch_size 1 --sequence_length 7 --model "$bert" "$tmp/b2" \
  && json "[r[2] for r in $runs][0] == 'batch_size=1,sequence_length=7' and len($runs) == 2"
check "--batch_size 1 --sequence_length 7 alone: the first validation shape set, two sets run" '[ $? -eq 0 ]'
check "… and the file keeps its symbolic dims" "dims '$tmp/b2/model.onnx' | grep -qx 'input_ids=@batch_size,@sequence_length'"
run 0 export --json --no-dynamic-axes --batch-size 3 --sequence-length 4 --no-validate --model "$bert" "$tmp/b3"
check "the hyphen spellings --batch-size/--sequence-length work too" \
  "[ \$? -eq 0 ] && dims '$tmp/b3/model.onnx' | grep -qx 'input_ids=3,4'"

# --- a decoder with its cache ---------------------------------------------------------
gpt2=$data/gpt2_decoder-with-past
run 0 export --json --no-dynamic-axes --batch_size 1 --sequence_length 5 \
  --task text-generation-with-past --model "$gpt2" "$tmp/g" \
  && json 'd["validation"]["status"] == "passed"' \
  && json "set(r[1] for r in $runs) == {'run'} and len(set(r[2] for r in $runs)) == 1"
check "gpt2 with past, fixed: validated at one shape set, no empty-cache run, no cache check" '[ $? -eq 0 ]'
dims "$tmp/g/model.onnx" >"$tmp/dims"
check "gpt2 with past, fixed: input_ids 1×5, past 16, attention_mask 21, present 21, no dim_param" \
  "grep -qx 'input_ids=1,5' '$tmp/dims' && grep -qx 'attention_mask=1,21' '$tmp/dims' \
   && grep -qx 'past_key_values.0.key=1,4,16,8' '$tmp/dims' && grep -qx 'present.1.value=1,4,21,8' '$tmp/dims' \
   && grep -qx 'logits=1,5,[0-9]*' '$tmp/dims' && ! grep -q '@' '$tmp/dims'"
run 0 validate --json "$tmp/g" && json 'd["validation"]["status"] == "passed"'
check "oxport validate of the fixed export passes (the file records its fixed shapes)" '[ $? -eq 0 ]'
run 0 validate "$tmp/b/model.onnx" --reference "$bert/vectors.safetensors"
check "oxport validate FILE --reference of the fixed bert file passes" '[ $? -eq 0 ]'
run 1 export --no-dynamic-axes --legacy --task text-generation-with-past --model "$gpt2" "$tmp/g2"
check "--no-dynamic-axes with a merged decoder (use_cache_branch) is refused, saying why" \
  "grep -q 'decoder_model_merged.onnx cannot have fixed dims' '$tmp/err' && [ ! -e '$tmp/g2' ]"

# --- audio: the frames are the encoder's sequence ----------------------------------------
whisper=$data/whisper_decoder
run 0 export --json --no-dynamic-axes --batch_size 1 --sequence_length 3 --nb_max_frames 20 \
  --task automatic-speech-recognition --model "$whisper" "$tmp/w" \
  && json 'd["validation"]["status"] == "passed"'
check "whisper, fixed at 20 frames: validated" '[ $? -eq 0 ]'
check "whisper: input_features 1×mel×20, the decoder's encoder_hidden_states 1×10" \
  "dims '$tmp/w/encoder_model.onnx' | grep -qx 'input_features=1,[0-9]*,20' \
   && dims '$tmp/w/decoder_model.onnx' | grep -qx 'encoder_hidden_states=1,10,[0-9]*'"

# --- refused values ---------------------------------------------------------------------
run 1 export --batch_size 0 --model "$bert" "$tmp/r1"
check "--batch_size 0 is refused" "grep -q -- '--batch_size must be a whole number ≥ 1, not “0”' '$tmp/err' && [ ! -e '$tmp/r1' ]"
run 1 export --sequence_length -4 --model "$bert" "$tmp/r2"
check "--sequence_length -4 is refused" "grep -q -- '--sequence_length must be a whole number ≥ 1, not “-4”' '$tmp/err'"
run 1 export --width 32 --model "$bert" "$tmp/r3"
check "--width for a text model is refused, listing its inputs" \
  "grep -q 'width does not apply to bert (feature-extraction).*input_ids \[batch_size,sequence_length\]' '$tmp/err' && [ ! -e '$tmp/r3' ]"
run 1 export --num_choices 3 --model "$bert" "$tmp/r4"
check "--num_choices outside multiple-choice is refused" "grep -q 'num_choices does not apply to bert' '$tmp/err'"
run 0 export --no-validate --no-dynamic-axes --num_choices 3 --model "$data/bert_multiple-choice" "$tmp/r5"
check "--num_choices 3 for multiple-choice: input_ids fixed at 2×3×16" "dims '$tmp/r5/model.onnx' | grep -qx 'input_ids=2,3,16'"
vit=$data/vit_image-classification
run 1 export --height 31 --model "$vit" "$tmp/r6"
check "--height 31 for a ViT whose config.json fixes 30 is refused, naming both" \
  "grep -q 'height 31 does not fit vit: its height is 30 (axis 2 of pixel_values), fixed by config.json' '$tmp/err'"
run 0 export --no-validate --no-dynamic-axes --height 30 --width 30 --batch_size 1 --model "$vit" "$tmp/r7"
check "--height/--width equal to the model's are accepted: pixel_values 1×3×30×30" \
  "dims '$tmp/r7/model.onnx' | grep -qx 'pixel_values=1,3,30,30'"
run 1 export --sequence_length 8 --model "$vit" "$tmp/r8"
check "--sequence_length for an image model is refused" "grep -q 'sequence_length does not apply to vit' '$tmp/err'"
run 1 export --trust-remote-code --model "$bert" "$tmp/r9"
check "--trust-remote-code is refused: oxport runs no model code" "grep -q 'oxport runs no model code' '$tmp/err'"

tap_done
