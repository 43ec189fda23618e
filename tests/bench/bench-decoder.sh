#!/bin/sh
# SPDX-License-Identifier: LGPL-2.1-or-later
# bench-decoder.sh [BUILDDIR] — the text decoder export benchmark (not a test).
#
#   make -C BUILDDIR bench-decoder          (builds what it needs, then runs this)
#   tests/bench/bench-decoder.sh [BUILDDIR]  (default BUILDDIR: the current folder)
#
# For each model, writes a random checkpoint with real shapes with
# tests/tools/oxp-gen-checkpoint (streamed: a 7B checkpoint takes little
# memory), reads it once so that the page cache is warm, then times under
# /usr/bin/time -v, one after the other on the same disk:
#   - cp of the safetensors files (the reference: the same bytes);
#   - oxport export --task text-generation-with-past --no-validate: wall
#     time, CPU time (user + system), peak RSS and the bytes it wrote;
# and runs the exported model.onnx in ONNX Runtime (tests/bench/bench-decoder):
# the latency of one new token after a past of 128 tokens, batch 1, median
# of 20 runs after 3 warm-up runs.  The models:
#   gpt2      GPT2LMHeadModel, 124M: 12 layers, hidden 768, 12 heads,
#             vocab 50257, 1024 positions; fp32, exported as fp32
#   llama-1b  LlamaForCausalLM shaped like Llama 3.2 1B: hidden 2048,
#             16 layers, 32 query / 8 key-value heads, FFN 8192,
#             vocab 128256, tied embeddings, llama3 rope scaling; bf16,
#             exported as fp32
#   llama-7b  LlamaForCausalLM, hidden 4096, 32 layers, 32 / 8 heads,
#             FFN 11008, vocab 32000; bf16 in 3 shards, exported as fp16
#             (external data)
# Prints one table.  Environment:
#   BENCH_MODELS        the models to run (default "gpt2 llama-1b llama-7b")
#   BENCH_WORKDIR       scratch folder (default BUILDDIR/bench-decoder.tmp);
#                       the 7B needs about 3 x 11 GiB free there (checkpoint,
#                       the cp copy and the export); each model's files are
#                       removed once it is measured, the folder at the end
#   BENCH_7B_LATENCY=1  also run the 7B in ONNX Runtime (loads ~12 GB of
#                       fp16 weights into memory; off by default)
#   OXPORT_ONNXRUNTIME  libonnxruntime.so.1 (default: the one configure found)
set -eu

. "$(dirname "$0")/bench-common.sh"
# shellcheck source=tests/bench/gpt2-small.sh
. "$(dirname "$0")/gpt2-small.sh"
bench_init bench-decoder "${1:-.}"
models=${BENCH_MODELS:-gpt2 llama-1b llama-7b}

# --- configs and tensor lists ------------------------------------------------

# llama_config HIDDEN LAYERS HEADS KV_HEADS FFN VOCAB POSITIONS ROPE_THETA TIED ROPE_SCALING
llama_config () {
  cat <<EOF
{
  "architectures": ["LlamaForCausalLM"],
  "attention_bias": false,
  "attention_dropout": 0.0,
  "bos_token_id": 1,
  "eos_token_id": 2,
  "head_dim": $(($1 / $3)),
  "hidden_act": "silu",
  "hidden_size": $1,
  "initializer_range": 0.02,
  "intermediate_size": $5,
  "max_position_embeddings": $7,
  "mlp_bias": false,
  "model_type": "llama",
  "num_attention_heads": $3,
  "num_hidden_layers": $2,
  "num_key_value_heads": $4,
  "pretraining_tp": 1,
  "rms_norm_eps": 1e-05,
  "rope_scaling": ${10},
  "rope_theta": $8,
  "tie_word_embeddings": $9,
  "torch_dtype": "bfloat16",
  "use_cache": true,
  "vocab_size": $6
}
EOF
}

# llama_tensors HIDDEN LAYERS HEADS KV_HEADS FFN VOCAB TIED: LlamaForCausalLM's names.
llama_tensors () {
  h=$1 kv=$(($4 * ($1 / $3))) f=$5 v=$6
  p=model.layers.{0..$(($2 - 1))}
  cat <<EOF
model.embed_tokens.weight BF16 $v,$h
$p.input_layernorm.weight BF16 $h
$p.self_attn.q_proj.weight BF16 $h,$h
$p.self_attn.k_proj.weight BF16 $kv,$h
$p.self_attn.v_proj.weight BF16 $kv,$h
$p.self_attn.o_proj.weight BF16 $h,$h
$p.post_attention_layernorm.weight BF16 $h
$p.mlp.gate_proj.weight BF16 $f,$h
$p.mlp.up_proj.weight BF16 $f,$h
$p.mlp.down_proj.weight BF16 $h,$f
model.norm.weight BF16 $h
EOF
  [ "$7" = true ] || echo "lm_head.weight BF16 $v,$h"
}

# Llama 3.2 1B's config (its llama3 rope scaling too).
llama1b_config () {
  llama_config 2048 16 32 8 8192 128256 131072 500000.0 true \
    '{"factor": 32.0, "high_freq_factor": 4.0, "low_freq_factor": 1.0,
    "original_max_position_embeddings": 8192, "rope_type": "llama3"}'
}
llama1b_tensors () { llama_tensors 2048 16 32 8 8192 128256 true; }
llama7b_config () { llama_config 4096 32 32 8 11008 32000 4096 10000.0 false null; }
llama7b_tensors () { llama_tensors 4096 32 32 8 11008 32000 false; }

# --- measuring -------------------------------------------------------------------

table="$work/table.txt"
row='%-9s %-11s %8s %6s %8s %6s %6s %7s %6s %7s %7s %7s\n'
: >"$table"

# bench NAME CKPT_DTYPE EXPORT_DTYPE SHARDS LATENCY(yes|no) CONFIG_FUNC TENSORS_FUNC
bench () {
  name=$1 ckpt_dtype=$2 export_dtype=$3 shards=$4 latency=$5
  dir="$work/$name"
  rm -rf "$dir"
  mkdir -p "$dir"
  $6 >"$dir/config.json"
  $7 >"$dir/tensors.txt"

  echo "== $name: generating the checkpoint" >&2
  "$gen" --quiet --seed 1 --shards "$shards" --config "$dir/config.json" \
    --tensors "$dir/tensors.txt" "$dir/ckpt"
  ckpt_bytes=$(bytes "$dir/ckpt")
  out_estimate=$ckpt_bytes
  [ "$export_dtype" = fp32 ] && [ "$ckpt_dtype" != fp32 ] &&
    out_estimate=$(awk -v a="$ckpt_bytes" 'BEGIN { printf "%.0f", 2 * a }')
  avail_kb=$(df -Pk "$work" | awk 'NR == 2 { print $4 }')
  need_kb=$(awk -v a="$ckpt_bytes" -v b="$out_estimate" 'BEGIN { printf "%.0f", (a + b) / 1024 + 1048576 }')
  if [ "$avail_kb" -lt "$need_kb" ]; then
    echo "bench-decoder.sh: $work: $((avail_kb / 1024)) MiB free, $name needs $((need_kb / 1024)) MiB more" >&2
    exit 1
  fi

  time_cp "$name" "$dir"

  echo "== $name: export" >&2
  dtype_flag=
  [ "$export_dtype" = fp16 ] && dtype_flag="--dtype fp16"
  # shellcheck disable=SC2086
  if ! /usr/bin/time -v -o "$dir/export.time" "$oxport" export --model "$dir/ckpt" \
      --task text-generation-with-past $dtype_flag --no-validate "$dir/out" \
      >"$dir/export.out" 2>&1; then
    echo "bench-decoder.sh: $name: oxport export failed:" >&2
    tail -n 20 "$dir/export.out" >&2
    printf "$row" "$name" "$ckpt_dtype->$export_dtype" "$(mib "$ckpt_bytes")" "$cp_s" "failed" \
      - - - - - - - >>"$table"
    rm -rf "$dir"
    return 0
  fi
  export_s=$(wall "$dir/export.time")
  cpu_s=$(echo "$(field "$dir/export.time" 'User time (seconds)') $(field "$dir/export.time" 'System time (seconds)')" |
    awk '{ printf "%.2f", $1 + $2 }')
  rss_mb=$(($(field "$dir/export.time" 'Maximum resident set size (kbytes)') / 1024))
  written=$(bytes "$dir/out")
  ratio=$(awk -v a="$export_s" -v b="$cp_s" 'BEGIN { printf "%.2f", (b > 0 ? a / b : 0) }')
  # The export against a cp of as many bytes as it wrote (bf16 -> fp32 writes twice the bytes).
  ratio_out=$(awk -v a="$export_s" -v b="$cp_s" -v w="$written" -v c="$ckpt_bytes" \
    'BEGIN { printf "%.2f", (b > 0 ? a / (b * w / c) : 0) }')

  lat="- -"
  if [ "$latency" = yes ]; then
    echo "== $name: ONNX Runtime" >&2
    if ! lat=$("$driver" "$dir/out/model.onnx" 128 20 2>"$dir/ort.err"); then
      echo "bench-decoder.sh: $name: bench-decoder failed:" >&2
      cat "$dir/ort.err" >&2
      lat="failed -"
    fi
  fi
  # shellcheck disable=SC2086
  printf "$row" "$name" "$ckpt_dtype->$export_dtype" "$(mib "$ckpt_bytes")" "$cp_s" "$export_s" \
    "$cpu_s" "${ratio}x" "${ratio_out}x" "$rss_mb" "$(mib "$written")" $lat >>"$table"
  rm -rf "$dir"
}

for m in $models; do
  case $m in
    gpt2)
      bench gpt2 fp32 fp32 1 yes gpt2_config gpt2_tensors ;;
    llama-1b)
      bench llama-1b bf16 fp32 1 yes llama1b_config llama1b_tensors ;;
    llama-7b)
      lat7=no
      [ "${BENCH_7B_LATENCY:-0}" = 1 ] && lat7=yes
      bench llama-7b bf16 fp16 3 "$lat7" llama7b_config llama7b_tensors ;;
    *)
      echo "bench-decoder.sh: unknown model '$m' (gpt2, llama-1b, llama-7b)" >&2
      exit 2 ;;
  esac
done

echo
echo "oxport export --task text-generation-with-past --no-validate of random checkpoints"
echo "$(nproc) CPUs, load average $(cut -d' ' -f1-3 /proc/loadavg); cp and export run one after"
echo "the other from a warm page cache; vs cp: export / cp of the checkpoint; per B: against a cp"
echo "of as many bytes as the export wrote; ORT: one new token after a past of 128, batch 1:"
echo "median wall time of 20 runs after 3 warm-up runs, and mean CPU time of a run (all threads), ms"
# shellcheck disable=SC2059
printf "$row" "model" "dtype" "ckpt MiB" "cp s" "export s" "CPU s" "vs cp" "per B" "RSS MB" \
  "out MiB" "ORT ms" "ORT CPU"
cat "$table"
echo "aims (issue 8): export <= 3x cp; peak RSS < 300 MB (llama-1b), < 1 GB (7B);"
echo "ORT no slower than optimum's exports here (gpt2 23 ms, llama-1b 191 ms)"
