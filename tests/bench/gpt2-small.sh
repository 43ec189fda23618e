# SPDX-License-Identifier: LGPL-2.1-or-later
# Sourced by the benchmarks (bench-decoder.sh, bench-optimize-gpt2.sh): a
# gpt2-small (124M) shaped GPT2LMHeadModel, 12 layers, hidden 768, 12 heads,
# vocabulary 50257, 1024 positions, fp32.
#
# gpt2_config: prints its config.json.
# gpt2_tensors: prints its tensors as oxp-gen-checkpoint's --tensors list.
gpt2_config () {
  cat <<'EOF'
{
  "activation_function": "gelu_new",
  "architectures": ["GPT2LMHeadModel"],
  "attn_pdrop": 0.1,
  "bos_token_id": 50256,
  "embd_pdrop": 0.1,
  "eos_token_id": 50256,
  "initializer_range": 0.02,
  "layer_norm_epsilon": 1e-05,
  "model_type": "gpt2",
  "n_ctx": 1024,
  "n_embd": 768,
  "n_head": 12,
  "n_inner": null,
  "n_layer": 12,
  "n_positions": 1024,
  "resid_pdrop": 0.1,
  "scale_attn_weights": true,
  "torch_dtype": "float32",
  "use_cache": true,
  "vocab_size": 50257
}
EOF
}

# GPT2LMHeadModel.save_pretrained()'s names (Conv1D weights are [in, out];
# lm_head is tied to wte and not saved).
gpt2_tensors () {
  p=transformer.h.{0..11}
  cat <<EOF
transformer.wte.weight F32 50257,768
transformer.wpe.weight F32 1024,768
$p.ln_1.weight F32 768
$p.ln_1.bias F32 768
$p.attn.c_attn.weight F32 768,2304
$p.attn.c_attn.bias F32 2304
$p.attn.c_proj.weight F32 768,768
$p.attn.c_proj.bias F32 768
$p.ln_2.weight F32 768
$p.ln_2.bias F32 768
$p.mlp.c_fc.weight F32 768,3072
$p.mlp.c_fc.bias F32 3072
$p.mlp.c_proj.weight F32 3072,768
$p.mlp.c_proj.bias F32 768
transformer.ln_f.weight F32 768
transformer.ln_f.bias F32 768
EOF
}
