/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include "config.h"

#include <math.h>
#include <stdarg.h>
#include <string.h>

#include <oxport/oxport.h>

/**
 * oxp_config_error_quark:
 *
 * The error domain of what a config.json says as an export reads it
 * (#OxpConfigError).
 *
 * Returns: the #GQuark of the domain, also %OXP_CONFIG_ERROR
 */
/* clang-format off */
G_DEFINE_QUARK (oxp-config-error-quark, oxp_config_error)
G_DEFINE_ENUM_TYPE (OxpConfigError, oxp_config_error,
                    G_DEFINE_ENUM_VALUE (OXP_CONFIG_ERROR_MISSING_KEY, "missing-key"),
                    G_DEFINE_ENUM_VALUE (OXP_CONFIG_ERROR_INVALID_VALUE, "invalid-value"),
                    G_DEFINE_ENUM_VALUE (OXP_CONFIG_ERROR_UNSUPPORTED_TASK, "unsupported-task"))
/* clang-format on */

typedef struct
{
  JsonObject *config;
  char *source;
  /* common name → "key|dotted.path|…" */
  GHashTable *aliases;
  /* common name → resolved JsonNode (owned); only names that were found */
  GHashTable *cache;
} OxpNormalizedConfigPrivate;

/**
 * OxpNormalizedConfig:
 *
 * A read-only view over config.json that answers common attribute names
 * ("num_layers", "hidden_size", "num_attention_heads", "vocab_size", …)
 * from each architecture's own keys, like optimum's NormalizedConfig.
 *
 * A name resolves, in order, through: the instance's alias for it (a key, a
 * dotted path into nested objects such as "text_config.hidden_size", or
 * several of those separated by '|', the first present wins); the name
 * itself as a key; the class's #OxpNormalizedConfigClass.lookup chain, which
 * derives num_key_value_heads (= num_attention_heads), num_labels (from
 * id2label, else 2) and head_dim (= hidden_size / num_attention_heads).
 * Aliases are set once by the config's owner: the variants set the usual
 * ones in their init, and plugins add theirs with
 * oxp_normalized_config_set_aliases(), like optimum's
 * `NormalizedTextConfig.with_args (num_layers="n_layer")`.
 */
G_DEFINE_TYPE_WITH_PRIVATE (OxpNormalizedConfig, oxp_normalized_config, G_TYPE_OBJECT)

enum
{
  PROP_0,
  PROP_CONFIG,
  PROP_SOURCE,
  N_PROPS
};

static GParamSpec *properties[N_PROPS];

/* The value at a dotted @path, or NULL when absent or JSON null. (transfer none) */
static JsonNode *
resolve_path (JsonObject *root, const char *path)
{
  g_auto (GStrv) parts = g_strsplit (path, ".", -1);
  JsonObject *obj = root;
  JsonNode *node = NULL;

  for (guint i = 0; parts[i] != NULL; i++)
    {
      if (obj == NULL || !json_object_has_member (obj, parts[i]))
        return NULL;
      node = json_object_get_member (obj, parts[i]);
      obj = JSON_NODE_HOLDS_OBJECT (node) ? json_node_get_object (node) : NULL;
    }
  if (node == NULL || JSON_NODE_HOLDS_NULL (node))
    return NULL;
  return node;
}

/* First of the '|'-separated @keys that is present. (transfer none) */
static JsonNode *
resolve_keys (JsonObject *root, const char *keys)
{
  g_auto (GStrv) alts = g_strsplit (keys, "|", -1);

  for (guint i = 0; alts[i] != NULL; i++)
    {
      JsonNode *node;
      if (*alts[i] == '\0')
        continue;
      node = resolve_path (root, alts[i]);
      if (node)
        return node;
    }
  return NULL;
}

static JsonNode *
int_node (gint64 value)
{
  JsonNode *node = json_node_new (JSON_NODE_VALUE);
  json_node_set_int (node, value);
  return node;
}

static gboolean
node_as_int (JsonNode *node, gint64 *out)
{
  if (node == NULL || !JSON_NODE_HOLDS_VALUE (node))
    return FALSE;
  switch (json_node_get_value_type (node))
    {
    case G_TYPE_INT64:
      *out = json_node_get_int (node);
      return TRUE;
    case G_TYPE_DOUBLE:
      {
        double d = json_node_get_double (node);
        if (!isfinite (d) || d != floor (d) || fabs (d) > 9007199254740992.0)
          return FALSE;
        *out = (gint64)d;
        return TRUE;
      }
    default:
      return FALSE;
    }
}

/**
 * OxpNormalizedConfigClass::lookup:
 * @self: a normalized config
 * @name: a common attribute name that is neither aliased nor a key
 *
 * Derives the value of @name from other keys.  The base class derives
 * num_key_value_heads, num_labels and head_dim; a subclass handles its own
 * names and chains up for the rest.
 *
 * Returns: (transfer full) (nullable): the value, or %NULL when @name
 *   cannot be derived
 */
static JsonNode *
oxp_normalized_config_real_lookup (OxpNormalizedConfig *self, const char *name)
{
  OxpNormalizedConfigPrivate *priv = oxp_normalized_config_get_instance_private (self);

  if (strcmp (name, "num_key_value_heads") == 0)
    {
      /* Multi-head attention: as many key/value heads as query heads. */
      JsonNode *heads = oxp_normalized_config_lookup (self, "num_attention_heads");
      return heads ? json_node_copy (heads) : NULL;
    }
  if (strcmp (name, "num_labels") == 0)
    {
      /* transformers' PretrainedConfig: len(id2label), 2 by default. */
      JsonNode *id2label = resolve_path (priv->config, "id2label");
      if (id2label && JSON_NODE_HOLDS_OBJECT (id2label))
        return int_node (json_object_get_size (json_node_get_object (id2label)));
      return int_node (2);
    }
  if (strcmp (name, "head_dim") == 0)
    {
      gint64 hidden, heads;
      if (node_as_int (oxp_normalized_config_lookup (self, "hidden_size"), &hidden)
          && node_as_int (oxp_normalized_config_lookup (self, "num_attention_heads"), &heads)
          && heads > 0 && hidden % heads == 0)
        return int_node (hidden / heads);
      return NULL;
    }
  return NULL;
}

static void
oxp_normalized_config_finalize (GObject *object)
{
  OxpNormalizedConfig *self = OXP_NORMALIZED_CONFIG (object);
  OxpNormalizedConfigPrivate *priv = oxp_normalized_config_get_instance_private (self);

  g_clear_pointer (&priv->config, json_object_unref);
  g_clear_pointer (&priv->source, g_free);
  g_clear_pointer (&priv->aliases, g_hash_table_unref);
  g_clear_pointer (&priv->cache, g_hash_table_unref);

  G_OBJECT_CLASS (oxp_normalized_config_parent_class)->finalize (object);
}

static void
oxp_normalized_config_constructed (GObject *object)
{
  OxpNormalizedConfig *self = OXP_NORMALIZED_CONFIG (object);
  OxpNormalizedConfigPrivate *priv = oxp_normalized_config_get_instance_private (self);

  G_OBJECT_CLASS (oxp_normalized_config_parent_class)->constructed (object);

  /* An empty view rather than NULL checks everywhere. */
  if (priv->config == NULL)
    priv->config = json_object_new ();
}

static void
oxp_normalized_config_get_property (GObject *object, guint prop_id, GValue *value,
                                    GParamSpec *pspec)
{
  OxpNormalizedConfig *self = OXP_NORMALIZED_CONFIG (object);
  OxpNormalizedConfigPrivate *priv = oxp_normalized_config_get_instance_private (self);

  switch (prop_id)
    {
    case PROP_CONFIG:
      g_value_set_boxed (value, priv->config);
      break;
    case PROP_SOURCE:
      g_value_set_string (value, oxp_normalized_config_get_source (self));
      break;
    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
oxp_normalized_config_set_property (GObject *object, guint prop_id, const GValue *value,
                                    GParamSpec *pspec)
{
  OxpNormalizedConfig *self = OXP_NORMALIZED_CONFIG (object);
  OxpNormalizedConfigPrivate *priv = oxp_normalized_config_get_instance_private (self);

  switch (prop_id)
    {
    case PROP_CONFIG:
      g_clear_pointer (&priv->config, json_object_unref);
      priv->config = g_value_dup_boxed (value);
      break;
    case PROP_SOURCE:
      oxp_normalized_config_set_source (self, g_value_get_string (value));
      break;
    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
oxp_normalized_config_class_init (OxpNormalizedConfigClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);

  object_class->finalize = oxp_normalized_config_finalize;
  object_class->constructed = oxp_normalized_config_constructed;
  object_class->get_property = oxp_normalized_config_get_property;
  object_class->set_property = oxp_normalized_config_set_property;
  klass->lookup = oxp_normalized_config_real_lookup;

  /**
   * OxpNormalizedConfig:config:
   *
   * The config.json object the view reads.
   */
  properties[PROP_CONFIG]
      = g_param_spec_boxed ("config", NULL, NULL, JSON_TYPE_OBJECT,
                            G_PARAM_READWRITE | G_PARAM_CONSTRUCT_ONLY | G_PARAM_STATIC_STRINGS);
  /**
   * OxpNormalizedConfig:source:
   *
   * What error messages call the config.
   */
  properties[PROP_SOURCE] = g_param_spec_string ("source", NULL, NULL, NULL,
                                                 G_PARAM_READWRITE | G_PARAM_STATIC_STRINGS);
  g_object_class_install_properties (object_class, N_PROPS, properties);
}

static void
oxp_normalized_config_init (OxpNormalizedConfig *self)
{
  OxpNormalizedConfigPrivate *priv = oxp_normalized_config_get_instance_private (self);

  priv->aliases = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, g_free);
  priv->cache
      = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, (GDestroyNotify)json_node_unref);
}

/**
 * oxp_normalized_config_new:
 * @config: a config.json object
 *
 * Creates a plain view over @config: a name resolves only as an alias set
 * later, as the key itself, or as one of the values the base class derives
 * (num_key_value_heads, num_labels, head_dim).  Plugins usually start from a
 * variant with the common aliases, such as oxp_normalized_text_config_new().
 *
 * Returns: (transfer full): a view where names are keys (plus the derived values)
 */
OxpNormalizedConfig *
oxp_normalized_config_new (JsonObject *config)
{
  g_return_val_if_fail (config != NULL, NULL);
  return g_object_new (OXP_TYPE_NORMALIZED_CONFIG, "config", config, NULL);
}

/**
 * oxp_normalized_config_get_config:
 * @self: a normalized config
 *
 * The parsed config.json this view reads, for keys no common name covers.
 *
 * Returns: (transfer none): the config.json object
 */
JsonObject *
oxp_normalized_config_get_config (OxpNormalizedConfig *self)
{
  OxpNormalizedConfigPrivate *priv;

  g_return_val_if_fail (OXP_IS_NORMALIZED_CONFIG (self), NULL);
  priv = oxp_normalized_config_get_instance_private (self);
  return priv->config;
}

/**
 * oxp_normalized_config_get_model_type:
 * @self: a normalized config
 *
 * The "model_type" string of config.json: the key the registry finds the
 * plugin by.
 *
 * Returns: (nullable): config.json's "model_type"
 */
const char *
oxp_normalized_config_get_model_type (OxpNormalizedConfig *self)
{
  OxpNormalizedConfigPrivate *priv;
  JsonNode *node;

  g_return_val_if_fail (OXP_IS_NORMALIZED_CONFIG (self), NULL);
  priv = oxp_normalized_config_get_instance_private (self);
  node = resolve_path (priv->config, "model_type");
  if (node && JSON_NODE_HOLDS_VALUE (node) && json_node_get_value_type (node) == G_TYPE_STRING)
    return json_node_get_string (node);
  return NULL;
}

/**
 * oxp_normalized_config_get_source:
 * @self: a normalized config
 *
 * How error messages name this config: "config.json of model type 'bert'"
 * unless oxp_normalized_config_set_source() set something else, such as the
 * file's path.
 *
 * Returns: what error messages call the config
 */
const char *
oxp_normalized_config_get_source (OxpNormalizedConfig *self)
{
  OxpNormalizedConfigPrivate *priv;

  g_return_val_if_fail (OXP_IS_NORMALIZED_CONFIG (self), NULL);
  priv = oxp_normalized_config_get_instance_private (self);
  if (priv->source == NULL)
    {
      const char *model_type = oxp_normalized_config_get_model_type (self);
      priv->source = model_type ? g_strdup_printf ("config.json of model type '%s'", model_type)
                                : g_strdup ("config.json");
    }
  return priv->source;
}

/**
 * oxp_normalized_config_set_source:
 * @self: a normalized config
 * @source: (nullable): e.g. the path of config.json; NULL for the default
 *
 * Sets how error messages name this config (#OxpNormalizedConfig:source).
 */
void
oxp_normalized_config_set_source (OxpNormalizedConfig *self, const char *source)
{
  OxpNormalizedConfigPrivate *priv;

  g_return_if_fail (OXP_IS_NORMALIZED_CONFIG (self));
  priv = oxp_normalized_config_get_instance_private (self);
  if (g_strcmp0 (priv->source, source) == 0)
    return;
  g_free (priv->source);
  priv->source = g_strdup (source);
  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_SOURCE]);
}

/**
 * oxp_normalized_config_set_alias:
 * @self: a normalized config
 * @name: a common attribute name ("num_layers")
 * @keys: (nullable): where config.json holds it: a key ("n_layer"), a
 *   dotted path ("text_config.hidden_size") or alternatives separated by '|';
 *   NULL removes the alias
 *
 * Declares where config.json holds the common attribute @name, replacing an
 * earlier alias of @name.  Keys are tried in order ("a|b": a, else b) and a
 * dotted key reads a nested object.  Aliases are set once by the config's
 * owner, before the view is shared.
 */
void
oxp_normalized_config_set_alias (OxpNormalizedConfig *self, const char *name, const char *keys)
{
  OxpNormalizedConfigPrivate *priv;

  g_return_if_fail (OXP_IS_NORMALIZED_CONFIG (self));
  g_return_if_fail (name != NULL);
  priv = oxp_normalized_config_get_instance_private (self);

  if (keys)
    g_hash_table_replace (priv->aliases, g_strdup (name), g_strdup (keys));
  else
    g_hash_table_remove (priv->aliases, name);
  /* Derived values may depend on the alias. */
  g_hash_table_remove_all (priv->cache);
}

/**
 * oxp_normalized_config_set_aliases:
 * @self: a normalized config
 * @first_name: a common name, followed by its keys, then more pairs, then NULL
 * @...: the keys of @first_name, then name/keys pairs, NULL-terminated
 *
 * Declares where config.json holds several common attribute names, as
 * oxp_normalized_config_set_alias() does for one; a plugin calls it in its
 * #OxpOnnxConfigClass.create_normalized_config after chaining up:
 * |[<!-- language="C" -->
 * oxp_normalized_config_set_aliases (nc,
 *                                    "num_layers", "n_layer",
 *                                    "hidden_size", "n_embd",
 *                                    "intermediate_size", "n_inner|ffn_dim",
 *                                    NULL);
 * ]|
 * Then oxp_normalized_config_get_int (nc, "num_layers", …) reads
 * "n_layer", and "intermediate_size" "n_inner", else "ffn_dim".
 */
void
oxp_normalized_config_set_aliases (OxpNormalizedConfig *self, const char *first_name, ...)
{
  va_list ap;
  const char *name = first_name;

  g_return_if_fail (OXP_IS_NORMALIZED_CONFIG (self));

  va_start (ap, first_name);
  while (name != NULL)
    {
      const char *keys = va_arg (ap, const char *);
      oxp_normalized_config_set_alias (self, name, keys);
      name = va_arg (ap, const char *);
    }
  va_end (ap);
}

/**
 * oxp_normalized_config_get_alias:
 * @self: a normalized config
 * @name: a common attribute name
 *
 * The alias oxp_normalized_config_set_alias() or a variant's defaults set for
 * @name, as written ("num_hidden_layers|n_layer|num_layers").
 *
 * Returns: (nullable): the keys @name is read from, NULL when it has no alias
 */
const char *
oxp_normalized_config_get_alias (OxpNormalizedConfig *self, const char *name)
{
  OxpNormalizedConfigPrivate *priv;

  g_return_val_if_fail (OXP_IS_NORMALIZED_CONFIG (self), NULL);
  g_return_val_if_fail (name != NULL, NULL);
  priv = oxp_normalized_config_get_instance_private (self);
  return g_hash_table_lookup (priv->aliases, name);
}

/**
 * oxp_normalized_config_lookup:
 * @self: a normalized config
 * @name: a common attribute name, a key or a dotted path
 *
 * The raw JSON value @name resolves to: through its alias, else as a key or
 * dotted path, else through the class's #OxpNormalizedConfigClass.lookup
 * chain (derived values).  A JSON null counts as absent.  The typed getters
 * are built on this.
 *
 * Returns: (transfer none) (nullable): the value, or NULL when absent or null
 */
JsonNode *
oxp_normalized_config_lookup (OxpNormalizedConfig *self, const char *name)
{
  OxpNormalizedConfigPrivate *priv;
  const char *keys;
  JsonNode *node;

  g_return_val_if_fail (OXP_IS_NORMALIZED_CONFIG (self), NULL);
  g_return_val_if_fail (name != NULL, NULL);
  priv = oxp_normalized_config_get_instance_private (self);

  node = g_hash_table_lookup (priv->cache, name);
  if (node)
    return node;

  keys = g_hash_table_lookup (priv->aliases, name);
  if (keys && (node = resolve_keys (priv->config, keys)) != NULL)
    node = json_node_copy (node);
  else if ((node = resolve_path (priv->config, name)) != NULL)
    node = json_node_copy (node);
  else
    node = OXP_NORMALIZED_CONFIG_GET_CLASS (self)->lookup (self, name);

  if (node == NULL)
    return NULL;
  if (JSON_NODE_HOLDS_NULL (node))
    {
      json_node_unref (node);
      return NULL;
    }
  g_hash_table_replace (priv->cache, g_strdup (name), node);
  return node;
}

/**
 * oxp_normalized_config_has:
 * @self: a normalized config
 * @name: a common attribute name
 *
 * Whether @name resolves, as oxp_normalized_config_lookup() resolves it: for
 * keys that are optional in some checkpoints (a bias flag, a tied embedding).
 *
 * Returns: whether @name resolves to a non-null value
 */
gboolean
oxp_normalized_config_has (OxpNormalizedConfig *self, const char *name)
{
  return oxp_normalized_config_lookup (self, name) != NULL;
}

/* "'n_layer' (for num_layers)" or "'hidden_size'". */
static char *
describe_keys (OxpNormalizedConfig *self, const char *name)
{
  const char *keys = oxp_normalized_config_get_alias (self, name);
  g_autofree char *quoted = NULL;

  if (keys == NULL || strcmp (keys, name) == 0)
    return g_strdup_printf ("'%s'", name);
  {
    g_auto (GStrv) alts = g_strsplit (keys, "|", -1);
    g_autofree char *joined = g_strjoinv ("', '", alts);
    quoted = g_strdup_printf ("'%s'", joined);
  }
  return g_strdup_printf ("%s (for %s)", quoted, name);
}

static JsonNode *
lookup_or_error (OxpNormalizedConfig *self, const char *name, GError **error)
{
  JsonNode *node = oxp_normalized_config_lookup (self, name);

  if (node == NULL)
    {
      g_autofree char *what = describe_keys (self, name);
      g_set_error (error, OXP_CONFIG_ERROR, OXP_CONFIG_ERROR_MISSING_KEY, "%s has no key %s",
                   oxp_normalized_config_get_source (self), what);
    }
  return node;
}

static gboolean
invalid_value (OxpNormalizedConfig *self, const char *name, const char *expected, GError **error)
{
  g_autofree char *what = describe_keys (self, name);
  g_set_error (error, OXP_CONFIG_ERROR, OXP_CONFIG_ERROR_INVALID_VALUE, "%s: key %s is not %s",
               oxp_normalized_config_get_source (self), what, expected);
  return FALSE;
}

/**
 * oxp_normalized_config_get_int:
 * @self: a normalized config
 * @name: a common attribute name
 * @out_value: (out): the value
 * @error: return location for an error
 *
 * Reads @name as an integer.  A missing name fails with
 * %OXP_CONFIG_ERROR_MISSING_KEY, a value of another JSON type or a
 * non-integral number with %OXP_CONFIG_ERROR_INVALID_VALUE; both messages name
 * the keys tried and the config.
 *
 * Returns: TRUE when @name is an integer (an integral JSON number)
 */
gboolean
oxp_normalized_config_get_int (OxpNormalizedConfig *self, const char *name, gint64 *out_value,
                               GError **error)
{
  JsonNode *node;
  gint64 v;

  g_return_val_if_fail (OXP_IS_NORMALIZED_CONFIG (self), FALSE);
  g_return_val_if_fail (name != NULL, FALSE);
  g_return_val_if_fail (error == NULL || *error == NULL, FALSE);

  node = lookup_or_error (self, name, error);
  if (node == NULL)
    return FALSE;
  if (!node_as_int (node, &v))
    return invalid_value (self, name, "an integer", error);
  if (out_value)
    *out_value = v;
  return TRUE;
}

/**
 * oxp_normalized_config_get_int_or:
 * @self: a normalized config
 * @name: a common attribute name
 * @default_value: returned when @name is absent or not an integer
 *
 * Reads @name as an integer, or gives @default_value when it is absent or not
 * an integer: for keys with a documented default in transformers.
 *
 * Returns: the value or @default_value
 */
gint64
oxp_normalized_config_get_int_or (OxpNormalizedConfig *self, const char *name, gint64 default_value)
{
  gint64 v;
  if (!oxp_normalized_config_get_int (self, name, &v, NULL))
    return default_value;
  return v;
}

/**
 * oxp_normalized_config_get_double:
 * @self: a normalized config
 * @name: a common attribute name
 * @out_value: (out): the value
 * @error: return location for an error
 *
 * Reads @name as a number (an integer is converted).  Fails as
 * oxp_normalized_config_get_int() does.
 *
 * Returns: TRUE when @name is a JSON number
 */
gboolean
oxp_normalized_config_get_double (OxpNormalizedConfig *self, const char *name, double *out_value,
                                  GError **error)
{
  JsonNode *node;
  GType type;

  g_return_val_if_fail (OXP_IS_NORMALIZED_CONFIG (self), FALSE);
  g_return_val_if_fail (name != NULL, FALSE);
  g_return_val_if_fail (error == NULL || *error == NULL, FALSE);

  node = lookup_or_error (self, name, error);
  if (node == NULL)
    return FALSE;
  type = JSON_NODE_HOLDS_VALUE (node) ? json_node_get_value_type (node) : G_TYPE_INVALID;
  if (type != G_TYPE_INT64 && type != G_TYPE_DOUBLE)
    return invalid_value (self, name, "a number", error);
  if (out_value)
    *out_value = json_node_get_double (node);
  return TRUE;
}

/**
 * oxp_normalized_config_get_double_or:
 * @self: a normalized config
 * @name: a common attribute name
 * @default_value: returned when @name is absent or not a number
 *
 * Reads @name as a number, or gives @default_value when it is absent or not a
 * number (layer_norm_eps, rope_theta, …).
 *
 * Returns: the value or @default_value
 */
double
oxp_normalized_config_get_double_or (OxpNormalizedConfig *self, const char *name,
                                     double default_value)
{
  double v;
  if (!oxp_normalized_config_get_double (self, name, &v, NULL))
    return default_value;
  return v;
}

/**
 * oxp_normalized_config_get_boolean:
 * @self: a normalized config
 * @name: a common attribute name
 * @out_value: (out): the value
 * @error: return location for an error
 *
 * Reads @name as a JSON boolean.  Fails as oxp_normalized_config_get_int()
 * does.
 *
 * Returns: TRUE when @name is a JSON boolean
 */
gboolean
oxp_normalized_config_get_boolean (OxpNormalizedConfig *self, const char *name, gboolean *out_value,
                                   GError **error)
{
  JsonNode *node;

  g_return_val_if_fail (OXP_IS_NORMALIZED_CONFIG (self), FALSE);
  g_return_val_if_fail (name != NULL, FALSE);
  g_return_val_if_fail (error == NULL || *error == NULL, FALSE);

  node = lookup_or_error (self, name, error);
  if (node == NULL)
    return FALSE;
  if (!JSON_NODE_HOLDS_VALUE (node) || json_node_get_value_type (node) != G_TYPE_BOOLEAN)
    return invalid_value (self, name, "a boolean", error);
  if (out_value)
    *out_value = json_node_get_boolean (node);
  return TRUE;
}

/**
 * oxp_normalized_config_get_boolean_or:
 * @self: a normalized config
 * @name: a common attribute name
 * @default_value: returned when @name is absent or not a boolean
 *
 * Reads @name as a JSON boolean, or gives @default_value when it is absent or
 * not a boolean.
 *
 * Returns: the value or @default_value
 */
gboolean
oxp_normalized_config_get_boolean_or (OxpNormalizedConfig *self, const char *name,
                                      gboolean default_value)
{
  gboolean v;
  if (!oxp_normalized_config_get_boolean (self, name, &v, NULL))
    return default_value;
  return v;
}

/**
 * oxp_normalized_config_get_string:
 * @self: a normalized config
 * @name: a common attribute name
 * @error: return location for an error
 *
 * Reads @name as a string; the string lives as long as @self.  Fails as
 * oxp_normalized_config_get_int() does.
 *
 * Returns: (transfer none) (nullable): the string, or NULL with @error set
 */
const char *
oxp_normalized_config_get_string (OxpNormalizedConfig *self, const char *name, GError **error)
{
  JsonNode *node;

  g_return_val_if_fail (OXP_IS_NORMALIZED_CONFIG (self), NULL);
  g_return_val_if_fail (name != NULL, NULL);
  g_return_val_if_fail (error == NULL || *error == NULL, NULL);

  node = lookup_or_error (self, name, error);
  if (node == NULL)
    return NULL;
  if (!JSON_NODE_HOLDS_VALUE (node) || json_node_get_value_type (node) != G_TYPE_STRING)
    {
      invalid_value (self, name, "a string", error);
      return NULL;
    }
  return json_node_get_string (node);
}

/**
 * oxp_normalized_config_get_string_or:
 * @self: a normalized config
 * @name: a common attribute name
 * @default_value: (nullable): returned when @name is absent or not a string
 *
 * Reads @name as a string, or gives @default_value when it is absent or not a
 * string (hidden_act, position_embedding_type, …).
 *
 * Returns: (transfer none) (nullable): the string or @default_value
 */
const char *
oxp_normalized_config_get_string_or (OxpNormalizedConfig *self, const char *name,
                                     const char *default_value)
{
  const char *v = oxp_normalized_config_get_string (self, name, NULL);
  return v ? v : default_value;
}

/**
 * oxp_normalized_config_dup_sub_config:
 * @self: a normalized config
 * @key: a key or dotted path of a nested object ("text_config")
 * @type: the view's type, a subtype of #OxpNormalizedConfig
 * @error: return location for an error
 *
 * Makes a view of type @type over the nested object @key: the text or vision
 * tower of a composite model, read with that tower's own aliases.  Fails with
 * %OXP_CONFIG_ERROR_MISSING_KEY when @key is absent and
 * %OXP_CONFIG_ERROR_INVALID_VALUE when it is not an object.
 *
 * Returns: (transfer full) (nullable): a view over the nested object
 */
OxpNormalizedConfig *
oxp_normalized_config_dup_sub_config (OxpNormalizedConfig *self, const char *key, GType type,
                                      GError **error)
{
  OxpNormalizedConfigPrivate *priv;
  JsonNode *node;
  OxpNormalizedConfig *sub;
  g_autofree char *source = NULL;

  g_return_val_if_fail (OXP_IS_NORMALIZED_CONFIG (self), NULL);
  g_return_val_if_fail (key != NULL, NULL);
  g_return_val_if_fail (g_type_is_a (type, OXP_TYPE_NORMALIZED_CONFIG), NULL);
  priv = oxp_normalized_config_get_instance_private (self);

  node = resolve_path (priv->config, key);
  if (node == NULL)
    {
      g_set_error (error, OXP_CONFIG_ERROR, OXP_CONFIG_ERROR_MISSING_KEY, "%s has no key '%s'",
                   oxp_normalized_config_get_source (self), key);
      return NULL;
    }
  if (!JSON_NODE_HOLDS_OBJECT (node))
    {
      g_set_error (error, OXP_CONFIG_ERROR, OXP_CONFIG_ERROR_INVALID_VALUE,
                   "%s: key '%s' is not an object", oxp_normalized_config_get_source (self), key);
      return NULL;
    }
  source = g_strdup_printf ("%s, in '%s'", oxp_normalized_config_get_source (self), key);
  sub = g_object_new (type, "config", json_node_get_object (node), "source", source, NULL);
  return sub;
}

/**
 * oxp_normalized_config_get_image_size:
 * @self: a normalized config
 * @out_height: (out) (optional): the image height
 * @out_width: (out) (optional): the image width
 * @error: return location for an error
 *
 * Reads "image_size": a number (square images) or a [height, width] pair.
 *
 * Returns: TRUE on success
 */
gboolean
oxp_normalized_config_get_image_size (OxpNormalizedConfig *self, gint64 *out_height,
                                      gint64 *out_width, GError **error)
{
  JsonNode *node;
  gint64 h, w;

  g_return_val_if_fail (OXP_IS_NORMALIZED_CONFIG (self), FALSE);

  node = lookup_or_error (self, "image_size", error);
  if (node == NULL)
    return FALSE;
  if (JSON_NODE_HOLDS_ARRAY (node))
    {
      JsonArray *arr = json_node_get_array (node);
      if (json_array_get_length (arr) != 2 || !node_as_int (json_array_get_element (arr, 0), &h)
          || !node_as_int (json_array_get_element (arr, 1), &w))
        return invalid_value (self, "image_size", "a number or a [height, width] pair", error);
    }
  else if (node_as_int (node, &h))
    w = h;
  else
    return invalid_value (self, "image_size", "a number or a [height, width] pair", error);
  if (h <= 0 || w <= 0)
    return invalid_value (self, "image_size", "positive", error);
  if (out_height)
    *out_height = h;
  if (out_width)
    *out_width = w;
  return TRUE;
}
