#!/bin/sh
# SPDX-License-Identifier: LGPL-2.1-or-later
# The whisper plugin through `oxport export`: the files each task writes,
# their input and output names in optimum's order (case.json: no
# encoder_attention_mask, the decoder with past without
# encoder_hidden_states), proj_out stored once as the decoder embeddings,
# and bad checkpoints: a clear error naming the file and the field or
# tensor, a non-zero exit, nothing written.  Prints TAP.

set -u

. "$G_TEST_SRCDIR/export-checks.sh"
case_dir=$data/whisper_encoder

# variant NAME PYTHON: a copy of the whisper case whose config.json `c` the
# Python statement changes.
variant () { case_variant "$1" "$case_dir" "$2"; }

# A copy of the whisper case whose checkpoint lacks one tensor.
drop_tensor () { variant "$1" pass && edit_tensors "$1" "del t['$2']"; }

drop_tensor missing model.decoder.layers.1.fc2.weight
refused "missing layer tensor" "$tmp/missing" "$tmp/missing" model.decoder.layers.1.fc2.weight
drop_tensor missing-conv model.encoder.conv2.bias
refused "missing conv stem tensor" "$tmp/missing-conv" "$tmp/missing-conv" \
  model.encoder.conv2.bias
variant heads 'c["encoder_attention_heads"] = 5'
refused "d_model not a multiple of encoder_attention_heads" "$tmp/heads" config.json \
  "d_model 32 is not a multiple of encoder_attention_heads 5"
variant decoder-heads 'c["decoder_attention_heads"] = 3'
refused "d_model not a multiple of decoder_attention_heads" "$tmp/decoder-heads" config.json \
  "d_model 32 is not a multiple of decoder_attention_heads 3"
variant mels 'c["num_mel_bins"] = 20'
refused "num_mel_bins not matching conv1" "$tmp/mels" model.safetensors \
  model.encoder.conv1.weight num_mel_bins 20
variant act 'c["activation_function"] = "gelu_wobbly"'
refused "unknown activation_function" "$tmp/act" config.json activation_function gelu_wobbly
# Untied, proj_out is its own tensor, which this checkpoint does not hold.
variant untied 'c["tie_word_embeddings"] = False'
refused "untied proj_out missing" "$tmp/untied" "$tmp/untied" proj_out.weight

# names FILE: its input names, then "->", then its output names.
names () {
  "$py" -c 'import onnx,sys; g=onnx.load(sys.argv[1]).graph; print(" ".join([i.name for i in g.input] + ["->"] + [o.name for o in g.output]))' "$1" 2>&1
}
# expected CASE: the same from the case's case.json.
expected () {
  "$py" -c 'import json,sys; c=json.load(open(sys.argv[1])); print(" ".join([i["name"] for i in c["inputs"]] + ["->"] + [o["name"] for o in c["outputs"]]))' "$data/$1/case.json"
}

# The task inferred from WhisperForConditionalGeneration: the four files.
out=$tmp/out-default
if "$OXPORT" export --model "$case_dir" --no-validate "$out" >"$tmp/log" 2>&1; then
  grep -q "automatic-speech-recognition-with-past, inferred" "$tmp/log" &&
    ok "the task inferred is automatic-speech-recognition-with-past" ||
    not_ok "the task inferred: $(head -n 1 "$tmp/log")"
  files=$(cd "$out" && ls *.onnx | tr '\n' ' ')
  if [ "$files" = "decoder_model.onnx decoder_model_merged.onnx decoder_with_past_model.onnx encoder_model.onnx " ]; then
    ok "automatic-speech-recognition-with-past writes the four files"
  else
    not_ok "automatic-speech-recognition-with-past writes $files"
  fi
  for pair in encoder_model:whisper_encoder decoder_model:whisper_decoder \
      decoder_with_past_model:whisper_decoder-with-past; do
    file=${pair%%:*}.onnx
    got=$(names "$out/$file")
    want=$(expected "${pair##*:}")
    [ "$got" = "$want" ] && ok "$file: inputs and outputs as optimum's" ||
      not_ok "$file: '$got', expected '$want'"
  done
  # proj_out is the decoder embeddings: one [vocab, d_model] tensor.
  tied=$("$py" -c '
import onnx, sys
g = onnx.load(sys.argv[1]).graph
big = [i.name for i in g.initializer if list(i.dims) == [320, 32]]
print(" ".join(big) + ("" if not any("proj_out" in i.name for i in g.initializer) else " proj_out"))' \
    "$out/decoder_model.onnx" 2>&1)
  [ "$tied" = model.decoder.embed_tokens.weight ] &&
    ok "proj_out reads decoder.embed_tokens, stored once" ||
    not_ok "decoder_model.onnx's [vocab, d_model] initializers: $tied"
  [ -f "$out/generation_config.json" ] && ok "generation_config.json is copied" ||
    not_ok "generation_config.json is not copied"
else
  not_ok "automatic-speech-recognition-with-past export failed: $(tail -n 3 "$tmp/log" | tr '\n' ' ')"
fi

# automatic-speech-recognition without past: encoder and decoder, logits only.
if "$OXPORT" export --model "$case_dir" --task automatic-speech-recognition --no-validate \
     "$tmp/out-no-past" >"$tmp/log" 2>&1; then
  files=$(cd "$tmp/out-no-past" && ls *.onnx | tr '\n' ' ')
  got=$(names "$tmp/out-no-past/decoder_model.onnx")
  if [ "$files" = "decoder_model.onnx encoder_model.onnx " ] &&
     [ "$got" = "input_ids encoder_hidden_states -> logits" ]; then
    ok "automatic-speech-recognition writes encoder_model.onnx and decoder_model.onnx (logits only)"
  else
    not_ok "automatic-speech-recognition writes $files; decoder $got"
  fi
else
  not_ok "automatic-speech-recognition export failed: $(tail -n 3 "$tmp/log" | tr '\n' ' ')"
fi

# An odd frame count still gives the declared encoder_sequence_length / 2
# frames, and an even one conv2's exact count, in ONNX Runtime.
if [ -n "${OXPORT_ONNXRUNTIME:-}" ] && [ -f "$out/encoder_model.onnx" ]; then
  if "$OXPORT" validate "$out/encoder_model.onnx" >"$tmp/log" 2>&1; then
    ok "encoder_model.onnx validates at both shape sets (an odd frame count among them)"
  else
    not_ok "encoder_model.onnx: $(tail -n 2 "$tmp/log" | tr '\n' ' ')"
  fi
fi

# An odd frame count: conv2 keeps its last, half-padded window, so the
# encoder returns ceil(frames / 2) frames; the values must be the encoder's
# math (tests/whisper-odd-vectors.py, checked against transformers first).
if [ -n "${OXPORT_ONNXRUNTIME:-}" ] && [ -f "$out/encoder_model.onnx" ]; then
  for frames in 29 7; do
    if ! "$py" "$G_TEST_SRCDIR/whisper-odd-vectors.py" "$case_dir" "$frames" \
         "$tmp/odd-$frames.safetensors" >"$tmp/log" 2>&1; then
      not_ok "$frames frames: no numpy reference: $(tail -n 2 "$tmp/log" | tr '\n' ' ')"
    elif "$OXPORT" validate "$out/encoder_model.onnx" --reference "$tmp/odd-$frames.safetensors" \
           >"$tmp/log" 2>&1; then
      ok "$frames frames give $(( (frames + 1) / 2 )) encoder frames, as the reference math does"
    else
      not_ok "$frames frames: $(grep -m2 'last_hidden_state' "$tmp/log" | tr '\n' ' ')"
    fi
  done
fi

echo "1..$n"
exit $failed
