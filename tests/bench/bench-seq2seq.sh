#!/bin/sh
# SPDX-License-Identifier: LGPL-2.1-or-later
# bench-seq2seq.sh [BUILDDIR] — the encoder-decoder export benchmark (not a test).
#
#   make -C BUILDDIR bench-seq2seq          (builds what it needs, then runs this)
#   tests/bench/bench-seq2seq.sh [BUILDDIR]  (default BUILDDIR: the current folder)
#
# For each model, writes a random fp32 checkpoint with the real shapes
# (tests/tools/oxp-gen-checkpoint; config.json from the tiny reference case
# with the real sizes), reads it once so that the page cache is warm, then
# times under /usr/bin/time -v, one after the other on the same disk:
#   - cp of the safetensors file (the same bytes);
#   - oxport export (text2text-generation-with-past or
#     automatic-speech-recognition-with-past) --no-validate: wall time, peak
#     RSS, the bytes it wrote and their ratio to the checkpoint;
# and runs the export in ONNX Runtime (tests/bench/bench-seq2seq): the
# encoder at batch 1 over 128 tokens (whisper: its 3000 frames) and one
# decoder_with_past_model.onnx step after a decoder past of 128, run
# alternately, medians of 10 runs after 3 warm-up rounds.  The models:
#   t5-small      T5ForConditionalGeneration, 60M: d_model 512, 6 + 6 layers,
#                 8 heads, d_ff 2048, vocab 32128, tied embeddings
#   bart-base     BartForConditionalGeneration, 139M: d_model 768, 6 + 6
#                 layers, 12 heads, FFN 3072, vocab 50265, 1024 positions
#   whisper-small WhisperForConditionalGeneration, 242M: d_model 768, 12 + 12
#                 layers, 12 heads, FFN 3072, vocab 51865, 80 mels, 1500
#                 source / 448 target positions
# Prints one table.  Environment:
#   BENCH_MODELS        the models (default "t5-small bart-base whisper-small")
#   OXP_BENCH_OPTIMIZE  the levels exported and timed, one row each: "plain"
#                       (no --optimize, the default) and/or O1 O2 O3
#   BENCH_ROUNDS        ORT rounds alternating the levels' files (default 1)
#   BENCH_WORKDIR       scratch folder (default BUILDDIR/bench-seq2seq.tmp),
#                       removed at the end
#   OXPORT_ONNXRUNTIME  libonnxruntime.so.1 (default: the one configure found)
set -eu

. "$(dirname "$0")/bench-common.sh"
bench_init bench-seq2seq "${1:-.}"
py=${PYTHON3:-/usr/bin/python3}
models=${BENCH_MODELS:-t5-small bart-base whisper-small}
levels=${OXP_BENCH_OPTIMIZE:-plain}
rounds=${BENCH_ROUNDS:-1}

# config CASE PYTHON: the reference case's config.json with `c` changed.
config () {
  "$py" -c 'import json,sys; c=json.load(open(sys.argv[1])); exec(sys.argv[2]); print(json.dumps(c, indent=1))' \
    "$srcdir/tests/data/$1/config.json" "$2"
}

t5_config () {
  config t5_decoder-with-past 'c.update(d_model=512, d_ff=2048, d_kv=64, num_heads=8, num_layers=6,
num_decoder_layers=6, vocab_size=32128, feed_forward_proj="relu", tie_word_embeddings=True)'
}
t5_tensors () {
  cat <<'EOF2'
shared.weight F32 32128,512
encoder.block.0.layer.0.SelfAttention.relative_attention_bias.weight F32 32,8
decoder.block.0.layer.0.SelfAttention.relative_attention_bias.weight F32 32,8
encoder.block.{0..5}.layer.0.SelfAttention.q.weight F32 512,512
encoder.block.{0..5}.layer.0.SelfAttention.k.weight F32 512,512
encoder.block.{0..5}.layer.0.SelfAttention.v.weight F32 512,512
encoder.block.{0..5}.layer.0.SelfAttention.o.weight F32 512,512
encoder.block.{0..5}.layer.0.layer_norm.weight F32 512
encoder.block.{0..5}.layer.1.DenseReluDense.wi.weight F32 2048,512
encoder.block.{0..5}.layer.1.DenseReluDense.wo.weight F32 512,2048
encoder.block.{0..5}.layer.1.layer_norm.weight F32 512
encoder.final_layer_norm.weight F32 512
decoder.block.{0..5}.layer.0.SelfAttention.q.weight F32 512,512
decoder.block.{0..5}.layer.0.SelfAttention.k.weight F32 512,512
decoder.block.{0..5}.layer.0.SelfAttention.v.weight F32 512,512
decoder.block.{0..5}.layer.0.SelfAttention.o.weight F32 512,512
decoder.block.{0..5}.layer.0.layer_norm.weight F32 512
decoder.block.{0..5}.layer.1.EncDecAttention.q.weight F32 512,512
decoder.block.{0..5}.layer.1.EncDecAttention.k.weight F32 512,512
decoder.block.{0..5}.layer.1.EncDecAttention.v.weight F32 512,512
decoder.block.{0..5}.layer.1.EncDecAttention.o.weight F32 512,512
decoder.block.{0..5}.layer.1.layer_norm.weight F32 512
decoder.block.{0..5}.layer.2.DenseReluDense.wi.weight F32 2048,512
decoder.block.{0..5}.layer.2.DenseReluDense.wo.weight F32 512,2048
decoder.block.{0..5}.layer.2.layer_norm.weight F32 512
decoder.final_layer_norm.weight F32 512
EOF2
}

bart_config () {
  config bart_decoder-with-past 'c.update(d_model=768, encoder_layers=6, decoder_layers=6,
encoder_attention_heads=12, decoder_attention_heads=12, encoder_ffn_dim=3072, decoder_ffn_dim=3072,
vocab_size=50265, max_position_embeddings=1024, num_hidden_layers=6)'
}
# attn PREFIX BIAS_K: q/k/v/out_proj of width 768 (k_proj without bias when BIAS_K=no).
attn () {
  for w in q k v out; do
    echo "$1.${w}_proj.weight F32 768,768"
    [ "$w" = k ] && [ "$2" = no ] && continue
    echo "$1.${w}_proj.bias F32 768"
  done
}
norm () { echo "$1.weight F32 768"; echo "$1.bias F32 768"; }
ffn () {
  echo "$1.fc1.weight F32 3072,768"; echo "$1.fc1.bias F32 3072"
  echo "$1.fc2.weight F32 768,3072"; echo "$1.fc2.bias F32 768"
}
bart_tensors () {
  echo "model.shared.weight F32 50265,768"
  echo "final_logits_bias F32 1,50265"
  for s in encoder decoder; do
    echo "model.$s.embed_positions.weight F32 1026,768"
    norm "model.$s.layernorm_embedding"
    p="model.$s.layers.{0..5}"
    attn "$p.self_attn" yes
    norm "$p.self_attn_layer_norm"
    ffn "$p"
    norm "$p.final_layer_norm"
  done
  attn "model.decoder.layers.{0..5}.encoder_attn" yes
  norm "model.decoder.layers.{0..5}.encoder_attn_layer_norm"
}

whisper_config () {
  config whisper_decoder-with-past 'c.update(d_model=768, encoder_layers=12, decoder_layers=12,
num_hidden_layers=12, encoder_attention_heads=12, decoder_attention_heads=12, encoder_ffn_dim=3072,
decoder_ffn_dim=3072, vocab_size=51865, num_mel_bins=80, max_source_positions=1500,
max_target_positions=448)'
}
whisper_tensors () {
  echo "model.encoder.conv1.weight F32 768,80,3"; echo "model.encoder.conv1.bias F32 768"
  echo "model.encoder.conv2.weight F32 768,768,3"; echo "model.encoder.conv2.bias F32 768"
  echo "model.encoder.embed_positions.weight F32 1500,768"
  echo "model.decoder.embed_positions.weight F32 448,768"
  echo "model.decoder.embed_tokens.weight F32 51865,768"
  for s in encoder decoder; do
    p="model.$s.layers.{0..11}"
    attn "$p.self_attn" no
    norm "$p.self_attn_layer_norm"
    ffn "$p"
    norm "$p.final_layer_norm"
    norm "model.$s.layer_norm"
  done
  attn "model.decoder.layers.{0..11}.encoder_attn" no
  norm "model.decoder.layers.{0..11}.encoder_attn_layer_norm"
}

# --- measuring -------------------------------------------------------------------

onnx_bytes () { find "$1" -type f -name '*.onnx*' -exec stat -c %s {} + | awk '{ s += $1 } END { printf "%.0f", s }'; }
median () { awk '{ v[NR] = $1 } END { m = int((NR + 1) / 2); print v[m] }'; }

table="$work/table.txt"
row='%-16s %8s %6s %8s %6s %7s %7s %8s %8s %8s\n'
: >"$table"

# bench NAME TASK ENCODER_LENGTH CONFIG_FUNC TENSORS_FUNC
bench () {
  name=$1 task=$2 length=$3
  dir="$work/$name"
  rm -rf "$dir"
  mkdir -p "$dir/ckpt"
  $4 >"$dir/ckpt/config.json"
  $5 >"$dir/tensors.txt"

  echo "== $name: generating the checkpoint" >&2
  "$gen" --quiet --seed 1 --config "$dir/ckpt/config.json" --tensors "$dir/tensors.txt" "$dir/ckpt"
  ckpt_bytes=$(bytes "$dir/ckpt" | awk -v c="$(stat -c %s "$dir/ckpt/config.json")" '{ printf "%.0f", $1 - c }')

  time_cp "$name" "$dir"

  : >"$dir/rows"
  for level in $levels; do
    opt=
    [ "$level" = plain ] || opt="--optimize $level"
    out="$dir/out-$level"
    echo "== $name: export ($level)" >&2
    # shellcheck disable=SC2086
    if ! /usr/bin/time -v -o "$dir/export.time" "$oxport" export --model "$dir/ckpt" $opt \
        --task "$task" --no-validate "$out" >"$dir/export.out" 2>&1; then
      echo "bench-seq2seq.sh: $name: oxport export ($level) failed:" >&2
      tail -n 20 "$dir/export.out" >&2
      printf "$row" "$name $level" "$(mib "$ckpt_bytes")" "$cp_s" failed - - - - - - >>"$table"
      continue
    fi
    export_s=$(wall "$dir/export.time")
    rss_mb=$(($(field "$dir/export.time" 'Maximum resident set size (kbytes)') / 1024))
    written=$(onnx_bytes "$out")
    ratio=$(awk -v a="$written" -v b="$ckpt_bytes" 'BEGIN { printf "%.2f", a / b }')
    # The export against a cp of as many bytes as it wrote.
    per_b=$(awk -v a="$export_s" -v b="$cp_s" -v w="$written" -v c="$ckpt_bytes" \
      'BEGIN { printf "%.2f", (b > 0 ? a / (b * w / c) : 0) }')
    echo "$level $export_s $per_b $rss_mb $written $ratio" >>"$dir/rows"
    : >"$dir/lat-$level"
  done

  # ONNX Runtime: the levels' files alternate, round after round (each round
  # a median of 10 runs after 3 warm-ups); the row shows the median round.
  for round in $(seq "$rounds"); do
    while read -r level _; do
      echo "== $name: ONNX Runtime ($level, round $round)" >&2
      if ! "$driver" "$dir/out-$level/encoder_model.onnx" \
           "$dir/out-$level/decoder_with_past_model.onnx" "$length" 128 10 \
           >>"$dir/lat-$level" 2>"$dir/ort.err"; then
        echo "bench-seq2seq.sh: $name: bench-seq2seq ($level) failed:" >&2
        cat "$dir/ort.err" >&2
      fi
    done <"$dir/rows"
  done
  while read -r level export_s per_b rss_mb written ratio; do
    if [ -s "$dir/lat-$level" ]; then
      lat="$(cut -d' ' -f1 "$dir/lat-$level" | sort -n | median) $(cut -d' ' -f2 "$dir/lat-$level" | sort -n | median)"
    else
      lat="failed -"
    fi
    # shellcheck disable=SC2086
    printf "$row" "$name $level" "$(mib "$ckpt_bytes")" "$cp_s" "$export_s" "${per_b}x" \
      "$rss_mb" "$(mib "$written")" "${ratio}x" $lat >>"$table"
  done <"$dir/rows"
  rm -rf "$dir"
}

for m in $models; do
  case $m in
    t5-small) bench t5-small text2text-generation-with-past 128 t5_config t5_tensors ;;
    bart-base) bench bart-base text2text-generation-with-past 128 bart_config bart_tensors ;;
    whisper-small)
      bench whisper-small automatic-speech-recognition-with-past 3000 whisper_config whisper_tensors ;;
    *)
      echo "bench-seq2seq.sh: unknown model '$m' (t5-small, bart-base, whisper-small)" >&2
      exit 2 ;;
  esac
done

echo
echo "oxport export --task *-with-past --no-validate of random fp32 checkpoints"
echo "$(nproc) CPUs, load average $(cut -d' ' -f1-3 /proc/loadavg); cp and export run one after"
echo "the other from a warm page cache; per B: export time / the time cp would take for the"
echo "bytes written; out: the .onnx and .onnx_data bytes, and their ratio to the checkpoint's"
echo "tensors; ORT (batch 1; per round the median of 10 runs, the levels alternating over $rounds"
echo "round(s), the median round shown): the encoder over 128 tokens"
echo "(whisper: 3000 frames) and one decoder_with_past_model.onnx step after a past of 128, ms"
# shellcheck disable=SC2059
printf "$row" "model" "ckpt MiB" "cp s" "export s" "per B" "RSS MB" "out MiB" "out/ckpt" \
  "enc ms" "step ms"
cat "$table"
echo "aims (issue 9): export <= 3x cp of what is written, RSS <= 100 MB, written <= 2.2x the"
echo "checkpoint; optimum here: t5-small 12.5 s, 1,843 MiB RSS, 826 MB written, encoder 26 ms"
