# SPDX-License-Identifier: LGPL-2.1-or-later
# Sourced by the benchmarks (bench-quantize.sh, bench-optimize.sh): the
# tensors of a llama-1b (Llama 3.2 1B) shaped checkpoint, hidden 2048, 32
# heads, 8 key/value heads, intermediate 8192, as oxp-gen-checkpoint's
# --tensors list.
#
# llama_1b_config LAYERS [VOCAB [TIED]]: prints its config.json (llama3 rope
# theta, 131072 positions; default vocabulary 32000), with
# tie_word_embeddings when TIED is "tied".
#
# llama_1b_tensors LAYERS [DTYPE [VOCAB [TIED]]]: prints the list of LAYERS
# layers in DTYPE (default F32), a VOCAB-token vocabulary (default 32000),
# and no lm_head.weight when TIED is "tied" (tie_word_embeddings, as the
# real model: vocabulary 128256, 16 layers, tied).
llama_1b_tensors () {
  _l1b_layers=$1
  _l1b_dtype=${2:-F32}
  _l1b_vocab=${3:-32000}
  echo "model.embed_tokens.weight $_l1b_dtype $_l1b_vocab,2048"
  _l1b_i=0
  while [ "$_l1b_i" -lt "$_l1b_layers" ]; do
    _l1b_p="model.layers.$_l1b_i"
    echo "$_l1b_p.self_attn.q_proj.weight $_l1b_dtype 2048,2048"
    echo "$_l1b_p.self_attn.k_proj.weight $_l1b_dtype 512,2048"
    echo "$_l1b_p.self_attn.v_proj.weight $_l1b_dtype 512,2048"
    echo "$_l1b_p.self_attn.o_proj.weight $_l1b_dtype 2048,2048"
    echo "$_l1b_p.mlp.gate_proj.weight $_l1b_dtype 8192,2048"
    echo "$_l1b_p.mlp.up_proj.weight $_l1b_dtype 8192,2048"
    echo "$_l1b_p.mlp.down_proj.weight $_l1b_dtype 2048,8192"
    echo "$_l1b_p.input_layernorm.weight $_l1b_dtype 2048"
    echo "$_l1b_p.post_attention_layernorm.weight $_l1b_dtype 2048"
    _l1b_i=$((_l1b_i + 1))
  done
  echo "model.norm.weight $_l1b_dtype 2048"
  [ "${4:-}" = tied ] || echo "lm_head.weight $_l1b_dtype $_l1b_vocab,2048"
}

llama_1b_config () {
  cat <<EOF
{
  "architectures": ["LlamaForCausalLM"],
  "hidden_act": "silu",
  "hidden_size": 2048,
  "intermediate_size": 8192,
  "max_position_embeddings": 131072,
  "model_type": "llama",
  "num_attention_heads": 32,
  "num_hidden_layers": $1,
  "num_key_value_heads": 8,
  "head_dim": 64,
  "rms_norm_eps": 1e-05,
  "rope_theta": 500000.0,
  "tie_word_embeddings": $([ "${3:-}" = tied ] && echo true || echo false),
  "vocab_size": ${2:-32000}
}
EOF
}
