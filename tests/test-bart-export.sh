#!/bin/sh
# SPDX-License-Identifier: LGPL-2.1-or-later
# The bart plugin (bart, mbart, marian) through `oxport export`: the task
# each architecture implies and the files each task writes, checkpoints
# saved by a bare *Model (no "model." prefix, no final_logits_bias) and an
# untied lm_head; and bad checkpoints: a clear error naming the file and the
# field or tensor, a non-zero exit, nothing written.  Prints TAP.
#
# The numeric checks of every bart_*, mbart_*, marian_* case (split files
# and merged decoder) are in test-seq2seq-cases.sh.

set -u

. "$G_TEST_SRCDIR/export-checks.sh"

# variant NAME CASE PYTHON: a copy of tests/data/CASE whose config.json `c`
# the Python statement changes.
variant () { case_variant "$1" "$data/$2" "$3"; }

# names FILE inputs|outputs|initializers: the graph's names, comma-separated.
names () {
  "$py" -c '
import onnx, sys
g = onnx.load(sys.argv[1]).graph
print(",".join(x.name for x in getattr(g, {"inputs": "input", "outputs": "output", "initializers": "initializer"}[sys.argv[2]])))' \
    "$1" "$2" 2>&1
}

# validated NAME FILE REFERENCE: FILE matches the case's reference vectors.
validated () {
  [ -n "${OXPORT_ONNXRUNTIME:-}" ] || return 0
  if "$OXPORT" validate "$2" --reference "$3" >"$tmp/log" 2>&1; then
    ok "$1: $(grep 'vs reference' "$tmp/log" | sort -g -k7 | tail -n 1 | sed 's/^ *//')"
  else
    not_ok "$1: $(tail -n 3 "$tmp/log" | tr '\n' ' ')"
  fi
}

# ---- bad checkpoints -----------------------------------------------------

variant missing bart_decoder pass &&
  edit_tensors missing 'del t["model.decoder.layers.1.fc2.weight"]'
refused "missing layer tensor" "$tmp/missing" "$tmp/missing" model.decoder.layers.1.fc2.weight
variant enc-heads bart_decoder 'c["encoder_attention_heads"] = 5'
refused "d_model not a multiple of encoder_attention_heads" "$tmp/enc-heads" config.json \
  "d_model 32" "encoder_attention_heads 5"
variant dec-heads mbart_decoder 'c["decoder_attention_heads"] = 3'
refused "d_model not a multiple of decoder_attention_heads" "$tmp/dec-heads" config.json \
  "d_model 32" "decoder_attention_heads 3"
variant act marian_decoder 'c["activation_function"] = "swishy"'
refused "unknown activation_function" "$tmp/act" config.json activation_function swishy
variant untied-missing marian_decoder 'c["tie_word_embeddings"] = False'
refused "untied head without lm_head.weight" "$tmp/untied-missing" lm_head.weight
variant positions bart_decoder 'c["max_position_embeddings"] = 64'
refused "learned positions of another size" "$tmp/positions" model.encoder.embed_positions.weight \
  "[66, 32]"

# ---- tasks and files -----------------------------------------------------

# MarianMTModel generates: text2text-generation-with-past, all four files.
if "$OXPORT" export --model "$data/marian_decoder" --no-validate "$tmp/out-marian" >"$tmp/log" 2>&1; then
  files=$(cd "$tmp/out-marian" && ls *.onnx | tr '\n' ' ')
  outputs=$(names "$tmp/out-marian/decoder_model.onnx" outputs)
  inputs=$(names "$tmp/out-marian/decoder_with_past_model.onnx" inputs)
  if [ "$files" = "decoder_model.onnx decoder_model_merged.onnx decoder_with_past_model.onnx encoder_model.onnx " ] &&
     [ "${outputs%%,*}" = logits ] && [ "${inputs%%,past_key_values.0.decoder.key*}" = "encoder_attention_mask,input_ids" ]; then
    ok "MarianMTModel means text2text-generation-with-past; the decoder with past takes no encoder_hidden_states"
  else
    not_ok "MarianMTModel writes $files; decoder outputs $outputs; decoder with past inputs $inputs"
  fi
else
  not_ok "MarianMTModel export failed: $(tail -n 3 "$tmp/log" | tr '\n' ' ')"
fi

# text2text-generation without past: encoder and a decoder without cache outputs.
if "$OXPORT" export --model "$data/mbart_decoder" --task text2text-generation --no-validate \
     "$tmp/out-no-past" >"$tmp/log" 2>&1; then
  files=$(cd "$tmp/out-no-past" && ls *.onnx | tr '\n' ' ')
  outputs=$(names "$tmp/out-no-past/decoder_model.onnx" outputs)
  if [ "$files" = "decoder_model.onnx encoder_model.onnx " ] && [ "$outputs" = logits ]; then
    ok "text2text-generation writes encoder_model.onnx and decoder_model.onnx (logits only)"
  else
    not_ok "text2text-generation writes $files; decoder outputs $outputs"
  fi
  [ -f "$tmp/out-no-past/generation_config.json" ] && ok "generation_config.json is copied" ||
    not_ok "generation_config.json is not copied"
else
  not_ok "text2text-generation export failed: $(tail -n 3 "$tmp/log" | tr '\n' ' ')"
fi

# feature-extraction: the encoder and a decoder returning last_hidden_state.
if "$OXPORT" export --model "$data/bart_decoder" --task feature-extraction --no-validate \
     "$tmp/out-features" >"$tmp/log" 2>&1; then
  files=$(cd "$tmp/out-features" && ls *.onnx | tr '\n' ' ')
  outputs=$(names "$tmp/out-features/decoder_model.onnx" outputs)
  if [ "$files" = "decoder_model.onnx encoder_model.onnx " ] && [ "$outputs" = last_hidden_state ]; then
    ok "feature-extraction writes encoder_model.onnx and decoder_model.onnx (last_hidden_state only)"
  else
    not_ok "feature-extraction writes $files; decoder outputs $outputs"
  fi
else
  not_ok "feature-extraction export failed: $(tail -n 3 "$tmp/log" | tr '\n' ' ')"
fi

# A bare BartModel checkpoint: no "model." prefix, no final_logits_bias;
# feature-extraction-with-past, the decoder returning last_hidden_state.
variant bare bart_decoder 'c["architectures"] = ["BartModel"]' &&
  edit_tensors bare 't = {k[len("model."):] if k.startswith("model.") else k: v for k, v in t.items() if k != "final_logits_bias"}'
if "$OXPORT" export --model "$tmp/bare" --no-validate "$tmp/out-bare" >"$tmp/log" 2>&1; then
  files=$(cd "$tmp/out-bare" && ls *.onnx | tr '\n' ' ')
  outputs=$(names "$tmp/out-bare/decoder_model.onnx" outputs)
  if [ "$files" = "decoder_model.onnx decoder_model_merged.onnx decoder_with_past_model.onnx encoder_model.onnx " ] &&
     [ "${outputs%%,*}" = last_hidden_state ] && [ "${outputs#*,}" != "$outputs" ]; then
    ok "BartModel means feature-extraction-with-past: the decoder returns last_hidden_state and the cache"
  else
    not_ok "BartModel writes $files; decoder outputs $outputs"
  fi
  validated "BartModel checkpoint without the model. prefix: encoder_model.onnx" \
    "$tmp/out-bare/encoder_model.onnx" "$data/bart_encoder/vectors.safetensors"
else
  not_ok "BartModel export failed: $(tail -n 3 "$tmp/log" | tr '\n' ' ')"
fi

# An untied lm_head is read from lm_head.weight (here a copy of the shared
# embeddings, so transformers' logits still apply).
variant untied marian_decoder 'c["tie_word_embeddings"] = False' &&
  edit_tensors untied 't["lm_head.weight"] = t["model.shared.weight"]'
if "$OXPORT" export --model "$tmp/untied" --no-validate "$tmp/out-untied" >"$tmp/log" 2>&1; then
  case ,$(names "$tmp/out-untied/decoder_model.onnx" initializers), in
    *,lm_head.weight*) ok "an untied head reads lm_head.weight" ;;
    *) not_ok "the untied head does not read lm_head.weight" ;;
  esac
  validated "untied Marian head: decoder_model.onnx" "$tmp/out-untied/decoder_model.onnx" \
    "$data/marian_decoder/vectors.safetensors"
else
  not_ok "untied Marian export failed: $(tail -n 3 "$tmp/log" | tr '\n' ' ')"
fi

echo "1..$n"
exit $failed
