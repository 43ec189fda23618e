/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

#if !defined(OXP_INSIDE) && !defined(OXP_COMPILATION)
#error "Only <oxport/oxport.h> can be included directly."
#endif

#include <json-glib/json-glib.h>
#include <oxport/oxp-types.h>

G_BEGIN_DECLS

#define OXP_CONFIG_ERROR (oxp_config_error_quark ())
OXP_API GQuark oxp_config_error_quark (void);

/**
 * OxpConfigError:
 * @OXP_CONFIG_ERROR_MISSING_KEY: config.json lacks a key the export needs
 * @OXP_CONFIG_ERROR_INVALID_VALUE: a key has the wrong JSON type or an impossible value
 * @OXP_CONFIG_ERROR_UNSUPPORTED_TASK: the config class cannot export the task it was given
 *
 * Errors about a checkpoint's config.json as an export reads it.  All of
 * them are user errors (the checkpoint, or the task asked for).
 */
typedef enum {
  OXP_CONFIG_ERROR_MISSING_KEY,
  OXP_CONFIG_ERROR_INVALID_VALUE,
  OXP_CONFIG_ERROR_UNSUPPORTED_TASK,
} OxpConfigError;

/* OxpNormalizedConfig: a read-only view over config.json that answers
 * common attribute names ("num_layers", "hidden_size",
 * "num_attention_heads", "vocab_size", …) from each architecture's own keys.
 *
 * A name resolves, in order, through: the instance's alias for it (a key,
 * a dotted path into nested objects such as "text_config.hidden_size", or
 * several of those separated by '|', the first present wins); the name
 * itself as a key; the class's lookup vfunc chain, which derives
 * num_key_value_heads (= num_attention_heads), num_labels (from id2label,
 * else 2) and head_dim (= hidden_size / num_attention_heads).
 * Aliases are set once by the config's owner (variants set the usual ones
 * in their init; plugins add theirs, like optimum's
 * NormalizedTextConfig.with_args (num_layers="n_layer")). */

#define OXP_TYPE_NORMALIZED_CONFIG (oxp_normalized_config_get_type ())
OXP_API
G_DECLARE_DERIVABLE_TYPE (OxpNormalizedConfig, oxp_normalized_config, OXP, NORMALIZED_CONFIG, GObject)

/**
 * OxpNormalizedConfigClass:
 * @lookup: the value of the common attribute @name when neither an alias
 *   nor the name itself is a key, or NULL.  (transfer full).  Chain up for
 *   the names a subclass does not derive.
 */
struct _OxpNormalizedConfigClass
{
  GObjectClass parent_class;

  JsonNode *(*lookup) (OxpNormalizedConfig *self, const char *name);

  /*< private >*/
  gpointer _oxp_reserved[8];
};

/* A plain view: names resolve only as keys, aliases and the derived values. */
OXP_API OxpNormalizedConfig *oxp_normalized_config_new (JsonObject *config);

/* The config.json object. (transfer none) */
OXP_API JsonObject *oxp_normalized_config_get_config     (OxpNormalizedConfig *self);
/* config.json's "model_type", or NULL. */
OXP_API const char *oxp_normalized_config_get_model_type (OxpNormalizedConfig *self);
/* What errors call the config ("config.json of model type 'bert'" unless set,
 * e.g. to the file's path). */
OXP_API const char *oxp_normalized_config_get_source     (OxpNormalizedConfig *self);
OXP_API void        oxp_normalized_config_set_source     (OxpNormalizedConfig *self,
                                                          const char          *source);

/* Aliases: @keys is a key, a dotted path, or alternatives "a|b.c"; NULL removes it. */
OXP_API void        oxp_normalized_config_set_alias (OxpNormalizedConfig *self,
                                                     const char          *name,
                                                     const char          *keys);
OXP_API const char *oxp_normalized_config_get_alias (OxpNormalizedConfig *self,
                                                     const char          *name);
/* Sets several aliases: NULL-terminated name, keys pairs.  This is how a
 * plugin declares its config keys for the common names the core and the
 * blocks ask for (num_layers, hidden_size, num_attention_heads, …): chain
 * up in create_normalized_config, then alias, e.g. for a GPT-J-like
 * config.json with n_layer, n_embd, n_head and an optional n_inner:
 *
 *   static OxpNormalizedConfig *
 *   my_config_create_normalized_config (OxpOnnxConfig *self, JsonObject *json,
 *                                       GError **error)
 *   {
 *     OxpNormalizedConfig *nc = OXP_ONNX_CONFIG_CLASS (my_config_parent_class)
 *                                   ->create_normalized_config (self, json, error);
 *     if (nc != NULL)
 *       oxp_normalized_config_set_aliases (nc,
 *                                          "num_layers", "n_layer",
 *                                          "hidden_size", "n_embd",
 *                                          "num_attention_heads", "n_head",
 *                                          "intermediate_size", "n_inner|ffn_dim",
 *                                          "vocab_size", "text_config.vocab_size",
 *                                          NULL);
 *     return nc;
 *   }
 *
 * Keys are tried in order ("a|b": a, else b); a dotted key reads a nested
 * object.  A later call for the same name replaces the alias. */
OXP_API void        oxp_normalized_config_set_aliases (OxpNormalizedConfig *self,
                                                       const char          *first_name,
                                                       ...) G_GNUC_NULL_TERMINATED;

/* Raw lookup: the resolved JSON value of @name, or NULL (a JSON null counts
 * as absent). (transfer none) (nullable) */
OXP_API JsonNode *oxp_normalized_config_lookup (OxpNormalizedConfig *self, const char *name);
OXP_API gboolean  oxp_normalized_config_has    (OxpNormalizedConfig *self, const char *name);

/* Typed getters.  A missing name fails with OXP_CONFIG_ERROR_MISSING_KEY, a
 * value of another JSON type (or a non-integral number for get_int) with
 * OXP_CONFIG_ERROR_INVALID_VALUE; both messages name the key(s) tried and
 * the config.  The _or variants return @default_value instead of failing. */
OXP_API gboolean    oxp_normalized_config_get_int        (OxpNormalizedConfig *self,
                                                          const char          *name,
                                                          gint64              *out_value,
                                                          GError             **error);
OXP_API gint64      oxp_normalized_config_get_int_or     (OxpNormalizedConfig *self,
                                                          const char          *name,
                                                          gint64               default_value);
OXP_API gboolean    oxp_normalized_config_get_double     (OxpNormalizedConfig *self,
                                                          const char          *name,
                                                          double              *out_value,
                                                          GError             **error);
OXP_API double      oxp_normalized_config_get_double_or  (OxpNormalizedConfig *self,
                                                          const char          *name,
                                                          double               default_value);
OXP_API gboolean    oxp_normalized_config_get_boolean    (OxpNormalizedConfig *self,
                                                          const char          *name,
                                                          gboolean            *out_value,
                                                          GError             **error);
OXP_API gboolean    oxp_normalized_config_get_boolean_or (OxpNormalizedConfig *self,
                                                          const char          *name,
                                                          gboolean             default_value);
/* (transfer none): the string lives as long as @self. */
OXP_API const char *oxp_normalized_config_get_string     (OxpNormalizedConfig *self,
                                                          const char          *name,
                                                          GError             **error);
OXP_API const char *oxp_normalized_config_get_string_or  (OxpNormalizedConfig *self,
                                                          const char          *name,
                                                          const char          *default_value);
/* The check of a size read with the getters above: TRUE when @value > 0,
 * else OXP_CONFIG_ERROR_INVALID_VALUE naming the config and @name. */
OXP_API gboolean    oxp_normalized_config_require_positive (OxpNormalizedConfig *self,
                                                            const char          *name,
                                                            gint64               value,
                                                            GError             **error);

/* A view over the nested object @key ("text_config") as an instance of
 * @type (a subtype of OxpNormalizedConfig).  (transfer full) */
OXP_API OxpNormalizedConfig *oxp_normalized_config_dup_sub_config (OxpNormalizedConfig *self,
                                                                   const char          *key,
                                                                   GType                type,
                                                                   GError             **error);

/* Variants (optimum's NormalizedTextConfig, NormalizedSeq2SeqConfig,
 * NormalizedVisionConfig, NormalizedTextAndVisionConfig).  Their default
 * aliases:
 * - text: num_layers → num_hidden_layers|n_layer|num_layers,
 *   hidden_size → hidden_size|n_embd|d_model, num_attention_heads →
 *   num_attention_heads|n_head|num_heads, max_position_embeddings →
 *   max_position_embeddings|n_positions, intermediate_size →
 *   intermediate_size|n_inner|d_ff, layer_norm_eps →
 *   layer_norm_eps|layer_norm_epsilon|rms_norm_eps, hidden_act →
 *   hidden_act|activation_function|hidden_activation
 * - seq2seq (a text config): encoder_num_layers → encoder_layers|num_layers,
 *   decoder_num_layers → decoder_layers|num_decoder_layers|num_layers,
 *   encoder_num_attention_heads → encoder_attention_heads|num_heads,
 *   decoder_num_attention_heads → decoder_attention_heads|num_heads,
 *   hidden_size → d_model|hidden_size, head_dim → head_dim|d_kv,
 *   num_layers and num_attention_heads → the decoder's keys,
 *   intermediate_size → d_ff|decoder_ffn_dim|intermediate_size, hidden_act →
 *   activation_function|feed_forward_proj|hidden_act
 * - vision: num_layers → num_hidden_layers; image_size, num_channels,
 *   patch_size as keys (oxp_normalized_config_get_image_size() reads
 *   a number or a [height, width] pair)
 * - text-and-vision: image_size, num_channels and patch_size resolve in
 *   "vision_config", every other name at the top level, then in
 *   "text_config", then in "vision_config"; num_layers is the text
 *   tower's, vision_num_layers, vision_hidden_size and
 *   vision_num_attention_heads the vision tower's. */

#define OXP_TYPE_NORMALIZED_TEXT_CONFIG (oxp_normalized_text_config_get_type ())
OXP_API
G_DECLARE_DERIVABLE_TYPE (OxpNormalizedTextConfig, oxp_normalized_text_config, OXP,
                          NORMALIZED_TEXT_CONFIG, OxpNormalizedConfig)
struct _OxpNormalizedTextConfigClass
{
  OxpNormalizedConfigClass parent_class;
  /*< private >*/
  gpointer _oxp_reserved[4];
};
OXP_API OxpNormalizedConfig *oxp_normalized_text_config_new (JsonObject *config);

#define OXP_TYPE_NORMALIZED_SEQ2SEQ_CONFIG (oxp_normalized_seq2seq_config_get_type ())
OXP_API
G_DECLARE_DERIVABLE_TYPE (OxpNormalizedSeq2SeqConfig, oxp_normalized_seq2seq_config, OXP,
                          NORMALIZED_SEQ2SEQ_CONFIG, OxpNormalizedTextConfig)
struct _OxpNormalizedSeq2SeqConfigClass
{
  OxpNormalizedTextConfigClass parent_class;
  /*< private >*/
  gpointer _oxp_reserved[4];
};
OXP_API OxpNormalizedConfig *oxp_normalized_seq2seq_config_new (JsonObject *config);

#define OXP_TYPE_NORMALIZED_VISION_CONFIG (oxp_normalized_vision_config_get_type ())
OXP_API
G_DECLARE_DERIVABLE_TYPE (OxpNormalizedVisionConfig, oxp_normalized_vision_config, OXP,
                          NORMALIZED_VISION_CONFIG, OxpNormalizedConfig)
struct _OxpNormalizedVisionConfigClass
{
  OxpNormalizedConfigClass parent_class;
  /*< private >*/
  gpointer _oxp_reserved[4];
};
OXP_API OxpNormalizedConfig *oxp_normalized_vision_config_new (JsonObject *config);

#define OXP_TYPE_NORMALIZED_TEXT_AND_VISION_CONFIG (oxp_normalized_text_and_vision_config_get_type ())
OXP_API
G_DECLARE_DERIVABLE_TYPE (OxpNormalizedTextAndVisionConfig, oxp_normalized_text_and_vision_config,
                          OXP, NORMALIZED_TEXT_AND_VISION_CONFIG, OxpNormalizedConfig)
struct _OxpNormalizedTextAndVisionConfigClass
{
  OxpNormalizedConfigClass parent_class;
  /*< private >*/
  gpointer _oxp_reserved[4];
};
OXP_API OxpNormalizedConfig *oxp_normalized_text_and_vision_config_new (JsonObject *config);

/* image_size of any normalized config: a number (square) or [height, width]. */
OXP_API gboolean oxp_normalized_config_get_image_size (OxpNormalizedConfig *self,
                                                       gint64              *out_height,
                                                       gint64              *out_width,
                                                       GError             **error);

G_END_DECLS
