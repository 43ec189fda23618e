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

#define OXP_TYPE_CONFIG_ERROR (oxp_config_error_get_type ())
OXP_API GType oxp_config_error_get_type (void) G_GNUC_CONST;

/* OxpNormalizedConfig: a read-only view over config.json answering common
 * attribute names from each architecture's keys (resolution order: see
 * core/oxp-normalized-config.c). */

#define OXP_TYPE_NORMALIZED_CONFIG (oxp_normalized_config_get_type ())
OXP_API
G_DECLARE_DERIVABLE_TYPE (OxpNormalizedConfig, oxp_normalized_config, OXP, NORMALIZED_CONFIG, GObject)

/**
 * OxpNormalizedConfigClass:
 * @lookup: the value of the common attribute @name when neither an alias
 *   nor the name itself is a key, or NULL.  (transfer full).  Chain up for
 *   the names a subclass does not derive.
 *
 * The class of #OxpNormalizedConfig.  A subclass overrides @lookup to derive
 * values config.json does not hold under any key.
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

/* A view over the nested object @key ("text_config") as an instance of
 * @type (a subtype of OxpNormalizedConfig).  (transfer full) */
OXP_API OxpNormalizedConfig *oxp_normalized_config_dup_sub_config (OxpNormalizedConfig *self,
                                                                   const char          *key,
                                                                   GType                type,
                                                                   GError             **error);

/* Variants (optimum's NormalizedTextConfig, NormalizedSeq2SeqConfig,
 * NormalizedVisionConfig, NormalizedTextAndVisionConfig); their default
 * aliases are listed in core/oxp-normalized-config-variants.c. */

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
