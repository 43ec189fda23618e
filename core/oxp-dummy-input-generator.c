/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include "config.h"

#include <string.h>

#include <oxport/oxport.h>

#include "oxp-dummy-input-generator-private.h"
#include "oxp-types-private.h"

typedef struct
{
  char *task;
  OxpNormalizedConfig *normalized;
} OxpDummyInputGeneratorPrivate;

/**
 * OxpDummyInputGenerator:
 *
 * Produces the value of a graph input for validation, from its spec (name,
 * element type, dims) and the requested #OxpShapes.  The symbolic dims are
 * resolved with oxp_shapes_resolve_spec(); the generator chooses the
 * values.  Values are pseudo-random but deterministic: the same input name,
 * shape and #OxpShapes.seed give the same tensor.  An #OxpOnnxConfig lists
 * its generators in #OxpOnnxConfigClass.create_dummy_input_generators, and
 * the first that supports an input produces it (optimum's
 * DummyInputGenerator classes).
 */
G_DEFINE_ABSTRACT_TYPE_WITH_PRIVATE (OxpDummyInputGenerator, oxp_dummy_input_generator,
                                     G_TYPE_OBJECT)

enum
{
  PROP_0,
  PROP_TASK,
  PROP_NORMALIZED_CONFIG,
  N_PROPS
};

static GParamSpec *properties[N_PROPS];

/* splitmix64: small, fast, and the same on every platform. */
guint64
_oxp_rng_next (guint64 *state)
{
  guint64 z = (*state += G_GUINT64_CONSTANT (0x9e3779b97f4a7c15));
  z = (z ^ (z >> 30)) * G_GUINT64_CONSTANT (0xbf58476d1ce4e5b9);
  z = (z ^ (z >> 27)) * G_GUINT64_CONSTANT (0x94d049bb133111eb);
  return z ^ (z >> 31);
}

guint64
_oxp_rng_init (guint32 seed, const char *name)
{
  /* FNV-1a of the name, so that each input gets its own stream. */
  guint64 h = G_GUINT64_CONSTANT (0xcbf29ce484222325);
  for (const char *p = name ? name : ""; *p; p++)
    {
      h ^= (guint8)*p;
      h *= G_GUINT64_CONSTANT (0x100000001b3);
    }
  return h ^ ((guint64)seed << 32 | seed);
}

double
_oxp_rng_uniform (guint64 *state)
{
  return (double)(_oxp_rng_next (state) >> 11) * (1.0 / 9007199254740992.0);
}

/**
 * OxpDummyInputGeneratorClass::supports_input:
 * @self: a generator
 * @name: a graph input name
 *
 * Whether the generator produces @name.  The default matches
 * #OxpDummyInputGeneratorClass.supported_inputs, where an entry ending in
 * '.' matches every name it starts ("past_key_values.").
 *
 * Returns: %TRUE when @self generates @name
 */
static gboolean
oxp_dummy_input_generator_real_supports_input (OxpDummyInputGenerator *self, const char *name)
{
  const char *const *names = OXP_DUMMY_INPUT_GENERATOR_GET_CLASS (self)->supported_inputs;

  for (guint i = 0; names && names[i]; i++)
    {
      gsize len = strlen (names[i]);
      if (len > 0 && names[i][len - 1] == '.' ? g_str_has_prefix (name, names[i])
                                              : strcmp (name, names[i]) == 0)
        return TRUE;
    }
  return FALSE;
}

/**
 * OxpDummyInputGeneratorClass::generate:
 * @self: a generator
 * @spec: the graph input
 * @shape: (array): the concrete dims of @spec, resolved from @shapes
 * @shapes: the requested sizes, for values that depend on them
 *   (past_sequence_length in position_ids, say)
 * @error: return location for an error
 *
 * Makes the value of @spec at @shape, named and typed like @spec.  The
 * default fails with %OXP_CONFIG_ERROR_INVALID_VALUE: a generator that lists
 * inputs must generate them.
 *
 * Returns: (transfer full) (nullable): the tensor, or %NULL with @error set
 */
static OxpTensor *
oxp_dummy_input_generator_real_generate (OxpDummyInputGenerator *self, const OxpTensorSpec *spec,
                                         const gint64 *shape, const OxpShapes *shapes,
                                         GError **error)
{
  g_set_error (error, OXP_CONFIG_ERROR, OXP_CONFIG_ERROR_INVALID_VALUE,
               "%s cannot generate input '%s'", G_OBJECT_TYPE_NAME (self),
               oxp_tensor_spec_get_name (spec));
  return NULL;
}

static void
oxp_dummy_input_generator_finalize (GObject *object)
{
  OxpDummyInputGenerator *self = OXP_DUMMY_INPUT_GENERATOR (object);
  OxpDummyInputGeneratorPrivate *priv = oxp_dummy_input_generator_get_instance_private (self);

  g_clear_pointer (&priv->task, g_free);
  g_clear_object (&priv->normalized);

  G_OBJECT_CLASS (oxp_dummy_input_generator_parent_class)->finalize (object);
}

static void
oxp_dummy_input_generator_get_property (GObject *object, guint prop_id, GValue *value,
                                        GParamSpec *pspec)
{
  OxpDummyInputGenerator *self = OXP_DUMMY_INPUT_GENERATOR (object);
  OxpDummyInputGeneratorPrivate *priv = oxp_dummy_input_generator_get_instance_private (self);

  switch (prop_id)
    {
    case PROP_TASK:
      g_value_set_string (value, priv->task);
      break;
    case PROP_NORMALIZED_CONFIG:
      g_value_set_object (value, priv->normalized);
      break;
    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
oxp_dummy_input_generator_set_property (GObject *object, guint prop_id, const GValue *value,
                                        GParamSpec *pspec)
{
  OxpDummyInputGenerator *self = OXP_DUMMY_INPUT_GENERATOR (object);
  OxpDummyInputGeneratorPrivate *priv = oxp_dummy_input_generator_get_instance_private (self);

  switch (prop_id)
    {
    case PROP_TASK:
      g_free (priv->task);
      priv->task = g_value_dup_string (value);
      break;
    case PROP_NORMALIZED_CONFIG:
      g_clear_object (&priv->normalized);
      priv->normalized = g_value_dup_object (value);
      break;
    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
oxp_dummy_input_generator_class_init (OxpDummyInputGeneratorClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);

  object_class->finalize = oxp_dummy_input_generator_finalize;
  object_class->get_property = oxp_dummy_input_generator_get_property;
  object_class->set_property = oxp_dummy_input_generator_set_property;
  klass->supports_input = oxp_dummy_input_generator_real_supports_input;
  klass->generate = oxp_dummy_input_generator_real_generate;

  /**
   * OxpDummyInputGenerator:task:
   *
   * The task the inputs are for.
   */
  properties[PROP_TASK]
      = g_param_spec_string ("task", NULL, NULL, NULL,
                             G_PARAM_READWRITE | G_PARAM_CONSTRUCT_ONLY | G_PARAM_STATIC_STRINGS);
  /**
   * OxpDummyInputGenerator:normalized-config:
   *
   * Where vocabulary size, pad token and the like are read.
   */
  properties[PROP_NORMALIZED_CONFIG]
      = g_param_spec_object ("normalized-config", NULL, NULL, OXP_TYPE_NORMALIZED_CONFIG,
                             G_PARAM_READWRITE | G_PARAM_CONSTRUCT_ONLY | G_PARAM_STATIC_STRINGS);
  g_object_class_install_properties (object_class, N_PROPS, properties);
}

static void
oxp_dummy_input_generator_init (OxpDummyInputGenerator *self)
{
}

/**
 * oxp_dummy_input_generator_get_task:
 * @self: a generator
 *
 * The task the generator was made for (#OxpDummyInputGenerator:task): some
 * inputs differ by task, such as the 3-D ids of multiple-choice.
 *
 * Returns: (nullable): the task
 */
const char *
oxp_dummy_input_generator_get_task (OxpDummyInputGenerator *self)
{
  OxpDummyInputGeneratorPrivate *priv;

  g_return_val_if_fail (OXP_IS_DUMMY_INPUT_GENERATOR (self), NULL);
  priv = oxp_dummy_input_generator_get_instance_private (self);
  return priv->task;
}

/**
 * oxp_dummy_input_generator_get_normalized_config:
 * @self: a generator
 *
 * The config the generator reads sizes from (vocab_size, num_layers,
 * head_dim, image_size, …).
 *
 * Returns: (transfer none) (nullable): the normalized config
 */
OxpNormalizedConfig *
oxp_dummy_input_generator_get_normalized_config (OxpDummyInputGenerator *self)
{
  OxpDummyInputGeneratorPrivate *priv;

  g_return_val_if_fail (OXP_IS_DUMMY_INPUT_GENERATOR (self), NULL);
  priv = oxp_dummy_input_generator_get_instance_private (self);
  return priv->normalized;
}

/**
 * oxp_dummy_input_generator_supports_input:
 * @self: a generator
 * @name: an input name
 *
 * Whether @self produces the graph input @name, through the class's
 * #OxpDummyInputGeneratorClass.supports_input.
 *
 * Returns: whether @self produces @name
 */
gboolean
oxp_dummy_input_generator_supports_input (OxpDummyInputGenerator *self, const char *name)
{
  g_return_val_if_fail (OXP_IS_DUMMY_INPUT_GENERATOR (self), FALSE);
  g_return_val_if_fail (name != NULL, FALSE);
  return OXP_DUMMY_INPUT_GENERATOR_GET_CLASS (self)->supports_input (self, name);
}

/**
 * oxp_dummy_input_generator_generate:
 * @self: a generator
 * @spec: the input
 * @shapes: the requested sizes
 * @error: return location for an error
 *
 * Makes the value of the graph input @spec at @shapes: resolves the spec's
 * symbolic dims with oxp_shapes_resolve_spec() (failing with its error when
 * a dim cannot be resolved), then calls the class's
 * #OxpDummyInputGeneratorClass.generate.
 *
 * Returns: (transfer full) (nullable): a tensor named and typed like @spec
 */
OxpTensor *
oxp_dummy_input_generator_generate (OxpDummyInputGenerator *self, const OxpTensorSpec *spec,
                                    const OxpShapes *shapes, GError **error)
{
  g_autofree gint64 *shape = NULL;
  OxpTensor *tensor;

  g_return_val_if_fail (OXP_IS_DUMMY_INPUT_GENERATOR (self), NULL);
  g_return_val_if_fail (spec != NULL, NULL);
  g_return_val_if_fail (shapes != NULL, NULL);
  g_return_val_if_fail (error == NULL || *error == NULL, NULL);

  shape = g_new0 (gint64, MAX (oxp_tensor_spec_get_rank (spec), 1));
  if (!oxp_shapes_resolve_spec (shapes, spec, shape, error))
    return NULL;
  tensor = OXP_DUMMY_INPUT_GENERATOR_GET_CLASS (self)->generate (self, spec, shape, shapes, error);
  g_return_val_if_fail (
      tensor == NULL || oxp_tensor_get_rank (tensor) == oxp_tensor_spec_get_rank (spec), tensor);
  return tensor;
}

/**
 * oxp_tensor_set_element_from_double:
 * @tensor: a tensor made by oxp_tensor_new()
 * @i: flat index
 * @value: the value, converted (rounded for integers, saturating at the
 *   type's range is not done: keep values in range)
 *
 * Writes @value as element @i of @tensor, in the tensor's dtype (fp16 and
 * bf16 rounded to nearest): how generators fill tensors of any element
 * type from one loop.
 */
void
oxp_tensor_set_element_from_double (OxpTensor *tensor, gsize i, double value)
{
  guint8 *p;

  g_return_if_fail (tensor != NULL);
  g_return_if_fail (i < oxp_tensor_get_n_elements (tensor));

  p = (guint8 *)oxp_tensor_get_mutable_data (tensor);
  g_return_if_fail (p != NULL);
  p += i * oxp_data_type_get_size (oxp_tensor_get_dtype (tensor));

#define WRITE_AS(ctype, v)                                                                         \
  G_STMT_START                                                                                     \
  {                                                                                                \
    ctype v_ = (ctype)(v);                                                                         \
    memcpy (p, &v_, sizeof v_);                                                                    \
  }                                                                                                \
  G_STMT_END

  switch (oxp_tensor_get_dtype (tensor))
    {
    case OXP_DATA_TYPE_FLOAT:
      WRITE_AS (float, value);
      break;
    case OXP_DATA_TYPE_DOUBLE:
      WRITE_AS (double, value);
      break;
    case OXP_DATA_TYPE_FLOAT16:
      WRITE_AS (guint16, _oxp_float_to_half ((float)value));
      break;
    case OXP_DATA_TYPE_BFLOAT16:
      WRITE_AS (guint16, _oxp_float_to_bfloat16 ((float)value));
      break;
    case OXP_DATA_TYPE_UINT8:
      WRITE_AS (guint8, value);
      break;
    case OXP_DATA_TYPE_INT8:
      WRITE_AS (gint8, value);
      break;
    case OXP_DATA_TYPE_UINT16:
      WRITE_AS (guint16, value);
      break;
    case OXP_DATA_TYPE_INT16:
      WRITE_AS (gint16, value);
      break;
    case OXP_DATA_TYPE_INT32:
      WRITE_AS (gint32, value);
      break;
    case OXP_DATA_TYPE_INT64:
      WRITE_AS (gint64, value);
      break;
    case OXP_DATA_TYPE_UINT32:
      WRITE_AS (guint32, value);
      break;
    case OXP_DATA_TYPE_UINT64:
      WRITE_AS (guint64, value);
      break;
    case OXP_DATA_TYPE_BOOL:
      WRITE_AS (guint8, value != 0.0 ? 1 : 0);
      break;
    case OXP_DATA_TYPE_UNDEFINED:
    case OXP_DATA_TYPE_STRING:
    default:
      g_return_if_reached ();
    }
#undef WRITE_AS
}

/**
 * oxp_dummy_random_int_tensor:
 * @name: the tensor's name
 * @dtype: an integer type
 * @shape: (array length=rank): the dims
 * @rank: number of dims
 * @low: smallest value
 * @high: one past the largest value (> @low)
 * @seed: the seed
 *
 * A tensor of integers drawn uniformly in [@low, @high), for ids and
 * labels; the same @name, @shape and @seed always give the same values, so
 * validation runs are reproducible.
 *
 * Returns: (transfer full): a tensor of values uniform in [@low, @high)
 */
OxpTensor *
oxp_dummy_random_int_tensor (const char *name, OxpDataType dtype, const gint64 *shape, guint rank,
                             gint64 low, gint64 high, guint32 seed)
{
  OxpTensor *t;
  guint64 state, range;
  gsize n;

  g_return_val_if_fail (high > low, NULL);

  t = oxp_tensor_new (name, dtype, shape, rank);
  g_return_val_if_fail (t != NULL, NULL);
  state = _oxp_rng_init (seed, name);
  range = (guint64)(high - low);
  n = oxp_tensor_get_n_elements (t);
  for (gsize i = 0; i < n; i++)
    oxp_tensor_set_element_from_double (t, i,
                                        (double)(low + (gint64)(_oxp_rng_next (&state) % range)));
  return t;
}

/**
 * oxp_dummy_random_float_tensor:
 * @name: the tensor's name
 * @dtype: a float type
 * @shape: (array length=rank): the dims
 * @rank: number of dims
 * @low: smallest value
 * @high: upper bound
 * @seed: the seed
 *
 * A tensor of floats drawn uniformly in [@low, @high) and stored as @dtype
 * (FLOAT, FLOAT16, BFLOAT16 or DOUBLE); deterministic from @name, @shape and
 * @seed.
 *
 * Returns: (transfer full): a tensor of values uniform in [@low, @high)
 */
OxpTensor *
oxp_dummy_random_float_tensor (const char *name, OxpDataType dtype, const gint64 *shape, guint rank,
                               double low, double high, guint32 seed)
{
  OxpTensor *t;
  guint64 state;
  gsize n;

  t = oxp_tensor_new (name, dtype, shape, rank);
  g_return_val_if_fail (t != NULL, NULL);
  state = _oxp_rng_init (seed, name);
  n = oxp_tensor_get_n_elements (t);
  for (gsize i = 0; i < n; i++)
    oxp_tensor_set_element_from_double (t, i, low + (high - low) * _oxp_rng_uniform (&state));
  return t;
}

/**
 * oxp_dummy_constant_tensor:
 * @name: the tensor's name
 * @dtype: a numeric type
 * @shape: (array length=rank): the dims
 * @rank: number of dims
 * @value: the value of every element
 *
 * A tensor of @dtype with every element @value: masks of ones, zero
 * positions.
 *
 * Returns: (transfer full): the tensor
 */
OxpTensor *
oxp_dummy_constant_tensor (const char *name, OxpDataType dtype, const gint64 *shape, guint rank,
                           double value)
{
  OxpTensor *t = oxp_tensor_new (name, dtype, shape, rank);
  gsize n;

  g_return_val_if_fail (t != NULL, NULL);
  n = oxp_tensor_get_n_elements (t);
  if (value != 0.0)
    for (gsize i = 0; i < n; i++)
      oxp_tensor_set_element_from_double (t, i, value);
  return t;
}

/**
 * oxp_dummy_text_padding:
 * @batch_size: rows
 * @sequence_length: tokens per row
 *
 * The number of right-padded positions the text generator gives the last
 * batch row: 0 for a single row or a sequence shorter than 2, else
 * min(3, @sequence_length - 1), as in the reference vectors (11 tokens, the
 * last 3 padded).  Plugins that build their own masks use it to pad alike.
 *
 * Returns: how many trailing positions of the last row are padding
 */
gint64
oxp_dummy_text_padding (gint64 batch_size, gint64 sequence_length)
{
  if (batch_size < 2 || sequence_length < 2)
    return 0;
  return MIN (3, sequence_length - 1);
}
