#!/bin/sh
# SPDX-License-Identifier: LGPL-2.1-or-later
# The t5 plugin through `oxport export`: the files each task writes
# (T5EncoderModel's feature-extraction is the encoder alone, as model.onnx;
# text2text-generation without past is the encoder and a decoder without
# cache outputs), and bad checkpoints: a clear error naming the file and the
# field or tensor, a non-zero exit, nothing written.  Prints TAP.

set -u

. "$G_TEST_SRCDIR/export-checks.sh"
case_dir=$data/t5_encoder

# variant NAME PYTHON: a copy of the t5 case whose config.json `c` the
# Python statement changes.
variant () { case_variant "$1" "$case_dir" "$2"; }

# A copy of the t5 case whose checkpoint lacks one tensor.
drop_tensor () { variant "$1" pass && edit_tensors "$1" "del t['$2']"; }

variant buckets 'c["relative_attention_num_buckets"] = 0'
refused "relative_attention_num_buckets 0" "$tmp/buckets" config.json relative_attention_num_buckets
variant buckets-negative 'c["relative_attention_num_buckets"] = -32'
refused "relative_attention_num_buckets -32" "$tmp/buckets-negative" config.json \
  relative_attention_num_buckets
# T5 maps d_model to num_heads·d_kv; a d_kv the checkpoint's projections do
# not have is caught on the first of them.
variant dkv 'c["d_kv"] = 16'
refused "d_kv not matching the projections" "$tmp/dkv" model.safetensors \
  encoder.block.0.layer.0.SelfAttention.q.weight "[64, 32]"
variant ffn 'c["feed_forward_proj"] = "gated-swishy"'
refused "unknown feed_forward_proj activation" "$tmp/ffn" config.json feed_forward_proj swishy
variant ffn-form 'c["feed_forward_proj"] = "double-gated-gelu"'
refused "malformed feed_forward_proj" "$tmp/ffn-form" config.json feed_forward_proj
drop_tensor missing decoder.block.1.layer.2.DenseReluDense.wo.weight
refused "missing layer tensor" "$tmp/missing" "$tmp/missing" \
  decoder.block.1.layer.2.DenseReluDense.wo.weight

# T5EncoderModel: feature-extraction, the encoder alone.
variant encoder-only 'c["architectures"] = ["T5EncoderModel"]'
if "$OXPORT" export --model "$tmp/encoder-only" --no-validate "$tmp/out-encoder-only" >"$tmp/log" 2>&1; then
  files=$(cd "$tmp/out-encoder-only" && ls *.onnx | tr '\n' ' ')
  if [ "$files" = "model.onnx " ]; then
    ok "T5EncoderModel writes model.onnx alone"
  else
    not_ok "T5EncoderModel writes $files"
  fi
  if [ -n "${OXPORT_ONNXRUNTIME:-}" ]; then
    if "$OXPORT" validate "$tmp/out-encoder-only/model.onnx" \
         --reference "$case_dir/vectors.safetensors" >"$tmp/log" 2>&1; then
      ok "T5EncoderModel's model.onnx: $(grep -m1 'vs reference' "$tmp/log" | sed 's/^ *//')"
    else
      not_ok "T5EncoderModel's model.onnx: $(tail -n 3 "$tmp/log" | tr '\n' ' ')"
    fi
  fi
else
  not_ok "T5EncoderModel export failed: $(tail -n 3 "$tmp/log" | tr '\n' ' ')"
fi

# text2text-generation without past: encoder and decoder, no cache outputs.
if "$OXPORT" export --model "$case_dir" --task text2text-generation --no-validate \
     "$tmp/out-no-past" >"$tmp/log" 2>&1; then
  files=$(cd "$tmp/out-no-past" && ls *.onnx | tr '\n' ' ')
  outputs=$("$py" -c 'import onnx,sys; print(",".join(o.name for o in onnx.load(sys.argv[1]).graph.output))' \
    "$tmp/out-no-past/decoder_model.onnx" 2>&1)
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

echo "1..$n"
exit $failed
