/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

#if !defined(OXP_INSIDE) && !defined(OXP_COMPILATION)
#error "Only <oxport/oxport.h> can be included directly."
#endif

#include <oxport/oxp-types.h>
#include <oxport/oxp-graph.h>
#include <oxport/oxp-checkpoint.h>

G_BEGIN_DECLS

/*
 * Transformer building blocks.
 *
 * Each block adds nodes to @graph under its current scope and returns the
 * name of the value it computes (owned by the graph), or NULL with @error
 * set when a checkpoint tensor is missing or misshaped (the error names the
 * tensor; domain OXP_CHECKPOINT_ERROR) or a setting is unsupported
 * (OXP_EXPORT_ERROR_UNSUPPORTED).  Activations are in the graph's float type
 * (oxp_graph_get_float_type()); ids and masks are int64.  Sizes passed as -1
 * accept any size when a weight's shape is checked.  The blocks need
 * opset 13 or newer; they pick the operator forms of the graph's opset.
 *
 * Layouts: hidden states [batch, seq, hidden]; per-head tensors
 * [batch, heads, seq, head_dim]; additive masks broadcastable to
 * [batch, heads, query_seq, kv_seq].
 */

/**
 * OxpLinearFlags:
 * @OXP_LINEAR_DEFAULT: torch Linear: weight [out, in], bias [out] required
 * @OXP_LINEAR_NO_BIAS: no bias
 * @OXP_LINEAR_OPTIONAL_BIAS: add the bias when the checkpoint has it
 * @OXP_LINEAR_WEIGHT_IN_OUT: the weight is stored [in, out] (GPT-2's Conv1D)
 * @OXP_LINEAR_SHARED_WEIGHT: the [out, in] weight is also used untransposed
 *   elsewhere (a decoder tied to the word embeddings): it is written once
 *   and transposed by a Transpose node instead of while writing
 *
 * How oxp_block_linear() and the blocks built on it find a projection's
 * weight and bias in the checkpoint.
 */
typedef enum {
  OXP_LINEAR_DEFAULT = 0,
  OXP_LINEAR_NO_BIAS = 1 << 0,
  OXP_LINEAR_OPTIONAL_BIAS = 1 << 1,
  OXP_LINEAR_WEIGHT_IN_OUT = 1 << 2,
  OXP_LINEAR_SHARED_WEIGHT = 1 << 3,
} OxpLinearFlags;

#define OXP_TYPE_LINEAR_FLAGS (oxp_linear_flags_get_type ())
OXP_API GType oxp_linear_flags_get_type (void) G_GNUC_CONST;

/* Dense layers and norms.  The prefix forms read "<prefix>.weight" and
 * "<prefix>.bias"; the _from forms take the tensor names (@bias nullable). */
OXP_API const char *oxp_block_linear          (OxpGraph       *graph,
                                               OxpCheckpoint  *checkpoint,
                                               const char     *x,
                                               const char     *prefix,
                                               gint64          in_features,
                                               gint64          out_features,
                                               OxpLinearFlags  flags,
                                               GError        **error);
OXP_API const char *oxp_block_linear_from     (OxpGraph       *graph,
                                               OxpCheckpoint  *checkpoint,
                                               const char     *x,
                                               const char     *weight,
                                               const char     *bias,
                                               gint64          in_features,
                                               gint64          out_features,
                                               OxpLinearFlags  flags,
                                               GError        **error);
/* Layer normalization over the last axis: LayerNormalization at opset 17
 * and newer, ReduceMean/Sub/Pow/Sqrt/Div below (computed in float32 when
 * the graph's float type is narrower). */
OXP_API const char *oxp_block_layer_norm      (OxpGraph       *graph,
                                               OxpCheckpoint  *checkpoint,
                                               const char     *x,
                                               const char     *prefix,
                                               gint64          hidden,
                                               double          eps,
                                               GError        **error);
OXP_API const char *oxp_block_layer_norm_from (OxpGraph       *graph,
                                               OxpCheckpoint  *checkpoint,
                                               const char     *x,
                                               const char     *weight,
                                               const char     *bias,
                                               gint64          hidden,
                                               double          eps,
                                               GError        **error);
/* RMS normalization (T5, LLaMA): x / sqrt(mean(x²) + eps) · "<prefix>.weight",
 * computed in float32. */
OXP_API const char *oxp_block_rms_norm        (OxpGraph       *graph,
                                               OxpCheckpoint  *checkpoint,
                                               const char     *x,
                                               const char     *prefix,
                                               gint64          hidden,
                                               double          eps,
                                               GError        **error);
/* Gemma's: x / sqrt(mean(x²) + eps) · (1 + "<prefix>.weight"), all in
 * float32, cast to the graph's float type last. */
OXP_API const char *oxp_block_rms_norm_unit_offset (OxpGraph       *graph,
                                                    OxpCheckpoint  *checkpoint,
                                                    const char     *x,
                                                    const char     *prefix,
                                                    gint64          hidden,
                                                    double          eps,
                                                    GError        **error);

/* One Cast of @x to @to. */
OXP_API const char *oxp_block_cast (OxpGraph *graph, const char *x, OxpDataType to);

/* Activations.  gelu is the exact (erf) form; gelu_tanh the tanh
 * approximation (gelu_new, gelu_pytorch_tanh, gelu_fast); quick_gelu is
 * x·sigmoid(1.702x); swiglu is silu(@gate)·@up. */
OXP_API const char *oxp_block_gelu       (OxpGraph *graph, const char *x);
OXP_API const char *oxp_block_gelu_tanh  (OxpGraph *graph, const char *x);
OXP_API const char *oxp_block_quick_gelu (OxpGraph *graph, const char *x);
OXP_API const char *oxp_block_silu       (OxpGraph *graph, const char *x);
OXP_API const char *oxp_block_swiglu     (OxpGraph *graph, const char *gate, const char *up);
/* The activation a Hugging Face config names (ACT2FN keys: gelu,
 * gelu_python, gelu_new, gelu_pytorch_tanh, gelu_fast, gelu_accurate,
 * quick_gelu, relu, silu, swish, tanh, sigmoid, linear).  An unknown name
 * fails naming @config_key (e.g. "hidden_act") and the value. */
OXP_API const char *oxp_block_activation (OxpGraph    *graph,
                                          const char  *x,
                                          const char  *hf_name,
                                          const char  *config_key,
                                          GError     **error);
/* Whether oxp_block_activation() knows @hf_name. */
OXP_API gboolean    oxp_block_activation_is_supported (const char *hf_name);

/* Embeddings and positions. */
/* Gather of the rows @ids (int64, any shape) of "@weight" [@num, @dim]. */
OXP_API const char *oxp_block_embedding (OxpGraph       *graph,
                                         OxpCheckpoint  *checkpoint,
                                         const char     *ids,
                                         const char     *weight,
                                         gint64          num,
                                         gint64          dim,
                                         GError        **error);
/* int64 [1, seq]: @past_length + arange(seq), seq being axis 1 of
 * @input_ids; @past_length is an int64 scalar value or NULL for 0. */
OXP_API const char *oxp_block_position_ids         (OxpGraph   *graph,
                                                    const char *input_ids,
                                                    const char *past_length);
/* RoBERTa's positions, int64 like @input_ids:
 * (cumsum(ids != pad) + past_length) · (ids != pad) + pad. */
OXP_API const char *oxp_block_padded_position_ids  (OxpGraph   *graph,
                                                    const char *input_ids,
                                                    gint64      padding_idx,
                                                    const char *past_length);
/* x[:, @index, :] of [batch, seq, hidden] → [batch, hidden] (poolers). */
OXP_API const char *oxp_block_select_token         (OxpGraph   *graph,
                                                    const char *x,
                                                    gint64      index);
/* The slice at @index of @axis (negative counts from the end), that axis
 * dropped: oxp_block_select (g, logits, -1, 0) is logits[..., 0]. */
OXP_API const char *oxp_block_select               (OxpGraph   *graph,
                                                    const char *x,
                                                    gint64      axis,
                                                    gint64      index);

/* Fused projections and pooling (core/oxp-blocks-pooling.c). */
/* The @n consecutive parts of @x along @axis, of @sizes; written to
 * @outputs (a fused q/k/v projection into q, k and v). */
OXP_API void        oxp_block_split            (OxpGraph     *graph,
                                                const char   *x,
                                                gint64        axis,
                                                const gint64 *sizes,
                                                guint         n,
                                                const char  **outputs);
/* The parts of a fused projection [batch, seq, @n_groups·Σ@sizes] whose
 * channels are grouped by head (GPT-NeoX's query_key_value: per head q, k,
 * v), each part [batch, seq, @n_groups·@sizes[i]] in head order. */
OXP_API void        oxp_block_split_per_head   (OxpGraph     *graph,
                                                const char   *x,
                                                gint64        n_groups,
                                                const gint64 *sizes,
                                                guint         n,
                                                const char  **outputs);
/* [batch, seq, hidden] → [batch, hidden] over the tokens @attention_mask
 * (int64 [batch, seq]) keeps, as sentence-transformers' Pooling does:
 * mean (sum / max(count, 1e-9)) and max (others set to -1e9).  CLS
 * pooling is oxp_block_select_token (g, x, 0). */
OXP_API const char *oxp_block_masked_mean_pool (OxpGraph   *graph,
                                                const char *x,
                                                const char *attention_mask);
OXP_API const char *oxp_block_masked_max_pool  (OxpGraph   *graph,
                                                const char *x,
                                                const char *attention_mask);
/* x / max(‖x‖₂, @eps) over the last axis (torch's F.normalize: 1e-12). */
OXP_API const char *oxp_block_l2_normalize     (OxpGraph   *graph,
                                                const char *x,
                                                double      eps);
/* Decoder sequence classification: each row of @x [batch, seq, dim] at its
 * last token that is not @pad_token_id (argmax(arange(seq) · (ids != pad))),
 * the last token when @pad_token_id < 0 → [batch, dim]. */
OXP_API const char *oxp_block_last_non_pad_token (OxpGraph   *graph,
                                                  const char *x,
                                                  const char *input_ids,
                                                  gint64      pad_token_id);

/* Masks.  The masked value is the float type's finfo.min (float32
 * -3.4028234663852886e38), not -inf, as transformers does. */
/* [batch, 1, 1, kv]: (1 - @attention_mask) · finfo.min. */
OXP_API const char *oxp_block_attention_mask (OxpGraph   *graph,
                                              const char *attention_mask);
/* [batch|1, 1, q, kv]: query i (at position kv - q + i) sees keys j ≤ kv - q + i
 * and the keys @attention_mask [batch, kv] keeps; q is axis 1 of @query_ids.
 * Without @attention_mask, kv = q.  Both parts are combined with Min, so
 * every value stays finite. */
OXP_API const char *oxp_block_causal_attention_mask (OxpGraph   *graph,
                                                     const char *attention_mask,
                                                     const char *query_ids);
/* The causal mask within a sliding window (Mistral): query i at position
 * p = kv - q + i sees key j iff p - @window < j <= p (and @attention_mask
 * keeps j); @window <= 0 is the plain causal mask.  The cache is not cut. */
OXP_API const char *oxp_block_sliding_window_mask   (OxpGraph   *graph,
                                                     const char *attention_mask,
                                                     const char *query_ids,
                                                     gint64      window);

/* Attention. */
/* [batch, seq, heads·head_dim] → [batch, heads, seq, head_dim] and back. */
OXP_API const char *oxp_block_split_heads (OxpGraph   *graph,
                                           const char *x,
                                           gint64      n_heads,
                                           gint64      head_dim);
OXP_API const char *oxp_block_merge_heads (OxpGraph   *graph,
                                           const char *x,
                                           gint64      n_heads,
                                           gint64      head_dim);
/* softmax(@scale · Q·Kᵀ + @mask) · V for [batch, heads, seq, head_dim]
 * inputs; @mask (nullable) is any additive bias (padding, causal, T5's
 * position bias); @scale is usually 1/√head_dim (T5: 1, no scaling node). */
OXP_API const char *oxp_block_attention   (OxpGraph   *graph,
                                           const char *query,
                                           const char *key,
                                           const char *value,
                                           const char *mask,
                                           double      scale);
/* An encoder's self-attention up to its output projection:
 * [batch, seq, @hidden] from @x through the "<prefix>.weight"/".bias"
 * projections; @mask as for oxp_block_attention().  From optimize level 2
 * one com.microsoft Attention (packed weights, the padding mask of
 * oxp_block_attention_mask() as its mask_index). */
OXP_API const char *oxp_block_self_attention (OxpGraph       *graph,
                                              OxpCheckpoint  *checkpoint,
                                              const char     *x,
                                              const char     *q_prefix,
                                              const char     *k_prefix,
                                              const char     *v_prefix,
                                              gint64          hidden,
                                              gint64          n_heads,
                                              const char     *mask,
                                              double          scale,
                                              GError        **error);
/* LayerNorm(@x + @skip) ("<prefix>.weight"/".bias"): Add and LayerNorm at
 * every level (ORT's SkipLayerNormalization CPU kernel is slower). */
OXP_API const char *oxp_block_skip_layer_norm (OxpGraph       *graph,
                                               OxpCheckpoint  *checkpoint,
                                               const char     *x,
                                               const char     *skip,
                                               const char     *prefix,
                                               gint64          hidden,
                                               double          eps,
                                               GError        **error);
/* Concat(@past, @current) along the sequence axis 2. */
OXP_API const char *oxp_block_concat_past (OxpGraph   *graph,
                                           const char *past,
                                           const char *current);
/* Grouped-query attention: [batch, kv_heads, seq, head_dim] →
 * [batch, kv_heads·@n_rep, seq, head_dim], each head repeated @n_rep times. */
OXP_API const char *oxp_block_repeat_kv   (OxpGraph   *graph,
                                           const char *x,
                                           gint64      n_kv_heads,
                                           gint64      n_rep,
                                           gint64      head_dim);

/* Rotary position embeddings, LLaMA's rotate_half convention.
 * cos_sin(): from @position_ids int64 [batch|1, seq], cos and sin
 * [batch|1, 1, seq, @rotary_dim] in the graph's float type (computed in
 * float32), with inv_freq = @theta^(-2i/@rotary_dim).
 * rotary(): x·cos + rotate_half(x)·sin on the first @rotary_dim channels of
 * @x [batch, heads, seq, @head_dim]; the rest pass through. */
OXP_API void        oxp_block_rotary_cos_sin (OxpGraph    *graph,
                                              const char  *position_ids,
                                              gint64       rotary_dim,
                                              double       theta,
                                              const char **cos_out,
                                              const char **sin_out);
OXP_API const char *oxp_block_rotary         (OxpGraph   *graph,
                                              const char *x,
                                              const char *cos,
                                              const char *sin,
                                              gint64      rotary_dim,
                                              gint64      head_dim);

/**
 * OxpRopeType:
 * @OXP_ROPE_DEFAULT: theta^(-2i/d)
 * @OXP_ROPE_LINEAR: divided by factor (positions / factor)
 * @OXP_ROPE_DYNAMIC: dynamic NTK: the base grows with the sequence length
 *   beyond max_positions (computed in the graph)
 * @OXP_ROPE_LLAMA3: Llama 3.1's wavelength-dependent scaling
 * @OXP_ROPE_LONGROPE: Phi-3's longrope ("su"): per-frequency short or long
 *   factors, cos and sin scaled by the attention factor
 *
 * transformers' rope_scaling "rope_type" (or "type").
 */
typedef enum {
  OXP_ROPE_DEFAULT,
  OXP_ROPE_LINEAR,
  OXP_ROPE_DYNAMIC,
  OXP_ROPE_LLAMA3,
  OXP_ROPE_LONGROPE,
} OxpRopeType;

#define OXP_TYPE_ROPE_TYPE (oxp_rope_type_get_type ())
OXP_API GType oxp_rope_type_get_type (void) G_GNUC_CONST;

/**
 * OxpRopeScaling:
 * @type: the kind of scaling
 * @factor: linear, dynamic, llama3: rope_scaling.factor; longrope: the
 *   factor transformers derives (max_position_embeddings /
 *   original_max_position_embeddings when the config has the latter)
 * @low_freq_factor: llama3
 * @high_freq_factor: llama3
 * @original_max_positions: llama3, longrope: the pretrained context length
 * @max_positions: dynamic: max_position_embeddings
 * @short_factor: (array) (nullable): longrope: rotary_dim / 2 values
 * @long_factor: (array) (nullable): longrope: rotary_dim / 2 values, used
 *   when max(position_ids) + 1 > @original_max_positions
 * @attention_factor: longrope: cos and sin factor; 0 derives it
 *
 * A scaling description, read from config.json by the plugin (the
 * pointers are borrowed).
 */
typedef struct {
  OxpRopeType   type;
  double        factor;
  double        low_freq_factor;
  double        high_freq_factor;
  gint64        original_max_positions;
  gint64        max_positions;
  const double *short_factor;
  const double *long_factor;
  double        attention_factor;
} OxpRopeScaling;

/* The inverse frequencies [@rotary_dim / 2] in float32 as transformers
 * computes them (@scaling NULL: none; @long_factors picks longrope's long
 * set; dynamic: those up to max_positions), and the cos/sin factor
 * (longrope's attention factor, else 1). */
OXP_API void     oxp_rope_inv_freq         (const OxpRopeScaling *scaling,
                                            gint64                rotary_dim,
                                            double                theta,
                                            gboolean              long_factors,
                                            float                *inv_freq);
OXP_API double   oxp_rope_attention_factor (const OxpRopeScaling *scaling);
/* oxp_block_rotary_cos_sin() with @scaling (nullable).  What transformers
 * decides from the run-time length L = max(position_ids) + 1 is decided in
 * the graph: longrope's long factors when L > original_max_positions,
 * dynamic's base for L > max_positions.  An incomplete @scaling fails
 * (OXP_EXPORT_ERROR_UNSUPPORTED). */
OXP_API gboolean oxp_block_rotary_cos_sin_scaled (OxpGraph             *graph,
                                                  const char           *position_ids,
                                                  gint64                rotary_dim,
                                                  double                theta,
                                                  const OxpRopeScaling *scaling,
                                                  const char          **cos_out,
                                                  const char          **sin_out,
                                                  GError              **error);

/* A decoder's cached self-attention after its projections (the caller
 * projects and applies o_proj).  @query [batch, seq, @n_heads·@head_dim],
 * @key and @value [batch, seq, @n_kv_heads·@head_dim]; @past_key and
 * @past_value (both or neither) [batch, @n_kv_heads, past, @head_dim];
 * @cos/@sin (both or neither) from oxp_block_rotary_cos_sin_scaled(), applied
 * to the first @rotary_dim channels of queries and keys; @n_heads a multiple
 * of @n_kv_heads; @mask additive [batch|1, 1, seq, past + seq] (nullable);
 * the softmax runs in float32 (transformers' decoders upcast it).
 * Returns the attention output [batch, seq, @n_heads·@head_dim]; the
 * optional @present_key/@present_value are the rotated keys and the values
 * after the past, [batch, @n_kv_heads, past + seq, @head_dim].  From
 * optimize level 2 (float32, @head_dim a multiple of 8, @mask from
 * oxp_block_causal_attention_mask() or oxp_block_sliding_window_mask()):
 * one com.microsoft GroupQueryAttention with @mask as its attention_bias,
 * exact for every mask, left padding included. */
OXP_API const char *oxp_block_cached_self_attention (OxpGraph    *graph,
                                                     const char  *query,
                                                     const char  *key,
                                                     const char  *value,
                                                     const char  *past_key,
                                                     const char  *past_value,
                                                     const char  *cos,
                                                     const char  *sin,
                                                     gint64       rotary_dim,
                                                     gint64       n_heads,
                                                     gint64       n_kv_heads,
                                                     gint64       head_dim,
                                                     double       scale,
                                                     const char  *mask,
                                                     const char **present_key,
                                                     const char **present_value);

G_END_DECLS
