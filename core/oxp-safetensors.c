/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include "config.h"

#include <string.h>

#include "oxp-safetensors-private.h"

/* Defined here rather than in oxp-checkpoint.c because the parsers are its
 * first users and the fuzzer links this file alone. */
/**
 * oxp_checkpoint_error_quark:
 *
 * The error domain of reading a model folder: config.json, safetensors files
 * and the shard index, and the tensors an exporter asks for
 * (#OxpCheckpointError).
 *
 * Returns: the #GQuark of the domain, also %OXP_CHECKPOINT_ERROR
 */
/* clang-format off */
G_DEFINE_QUARK (oxp-checkpoint-error-quark, oxp_checkpoint_error)
G_DEFINE_ENUM_TYPE (OxpCheckpointError, oxp_checkpoint_error,
                    G_DEFINE_ENUM_VALUE (OXP_CHECKPOINT_ERROR_NOT_FOUND, "not-found"),
                    G_DEFINE_ENUM_VALUE (OXP_CHECKPOINT_ERROR_IO, "io"),
                    G_DEFINE_ENUM_VALUE (OXP_CHECKPOINT_ERROR_UNSUPPORTED_FORMAT, "unsupported-format"),
                    G_DEFINE_ENUM_VALUE (OXP_CHECKPOINT_ERROR_HEADER, "header"),
                    G_DEFINE_ENUM_VALUE (OXP_CHECKPOINT_ERROR_DTYPE, "dtype"),
                    G_DEFINE_ENUM_VALUE (OXP_CHECKPOINT_ERROR_SHAPE, "shape"),
                    G_DEFINE_ENUM_VALUE (OXP_CHECKPOINT_ERROR_OFFSETS, "offsets"),
                    G_DEFINE_ENUM_VALUE (OXP_CHECKPOINT_ERROR_DUPLICATE, "duplicate"),
                    G_DEFINE_ENUM_VALUE (OXP_CHECKPOINT_ERROR_INDEX, "index"),
                    G_DEFINE_ENUM_VALUE (OXP_CHECKPOINT_ERROR_CONFIG, "config"),
                    G_DEFINE_ENUM_VALUE (OXP_CHECKPOINT_ERROR_NO_MODEL_TYPE, "no-model-type"),
                    G_DEFINE_ENUM_VALUE (OXP_CHECKPOINT_ERROR_MISSING_TENSOR, "missing-tensor"),
                    G_DEFINE_ENUM_VALUE (OXP_CHECKPOINT_ERROR_TENSOR_SHAPE, "tensor-shape"))
/* clang-format on */

typedef struct
{
  const char *name;
  OxpDataType dtype;
  gsize size;
} DtypeInfo;

static const DtypeInfo dtype_table[] = {
  { "F64", OXP_DATA_TYPE_DOUBLE, 8 },  { "F32", OXP_DATA_TYPE_FLOAT, 4 },
  { "F16", OXP_DATA_TYPE_FLOAT16, 2 }, { "BF16", OXP_DATA_TYPE_BFLOAT16, 2 },
  { "I64", OXP_DATA_TYPE_INT64, 8 },   { "I32", OXP_DATA_TYPE_INT32, 4 },
  { "I16", OXP_DATA_TYPE_INT16, 2 },   { "I8", OXP_DATA_TYPE_INT8, 1 },
  { "U8", OXP_DATA_TYPE_UINT8, 1 },    { "BOOL", OXP_DATA_TYPE_BOOL, 1 },
};

#define SUPPORTED_DTYPES "F64, F32, F16, BF16, I64, I32, I16, I8, U8, BOOL"

static const DtypeInfo *
lookup_dtype (const char *name)
{
  for (gsize i = 0; i < G_N_ELEMENTS (dtype_table); i++)
    if (strcmp (dtype_table[i].name, name) == 0)
      return &dtype_table[i];
  return NULL;
}

static const char *
describe_node (JsonNode *node)
{
  if (node == NULL)
    return "nothing";
  switch (json_node_get_node_type (node))
    {
    case JSON_NODE_OBJECT:
      return "an object";
    case JSON_NODE_ARRAY:
      return "an array";
    case JSON_NODE_NULL:
      return "null";
    case JSON_NODE_VALUE:
      switch (json_node_get_value_type (node))
        {
        case G_TYPE_STRING:
          return "a string";
        case G_TYPE_BOOLEAN:
          return "a boolean";
        case G_TYPE_INT64:
          return "an integer";
        default:
          return "a number";
        }
    }
  return "a value";
}

/* An integer JSON value (json-glib keeps integers without a fraction or an
 * exponent as gint64). */
static gboolean
node_get_int (JsonNode *node, gint64 *value)
{
  if (node == NULL || !JSON_NODE_HOLDS_VALUE (node)
      || json_node_get_value_type (node) != G_TYPE_INT64)
    return FALSE;
  *value = json_node_get_int (node);
  return TRUE;
}

/* Checks what json-glib does not before it parses: nesting deeper than
 * OXP_JSON_MAX_DEPTH (its recursive parser would overflow the stack on a
 * crafted document), anything but whitespace after the root value (it
 * would silently ignore a second object), and with @refuse_nul_escape a
 * "\u0000" in a string (names and dtypes are C strings: "F32\u0000x" would
 * read as "F32"). */
static gboolean
check_json_text (const char *data, gsize size, const char *filename, gint code,
                 gboolean refuse_nul_escape, GError **error)
{
  gboolean in_string = FALSE, escaped = FALSE, closed = FALSE;
  guint depth = 0;

  for (gsize i = 0; i < size; i++)
    {
      char c = data[i];

      if (in_string)
        {
          if (escaped)
            {
              escaped = FALSE;
              if (refuse_nul_escape && c == 'u' && size - i > 4
                  && memcmp (data + i + 1, "0000", 4) == 0)
                {
                  g_set_error (
                      error, OXP_CHECKPOINT_ERROR, code,
                      "%s: a string holds an escaped NUL (\\u0000) at byte %" G_GSIZE_FORMAT
                      " of the JSON"
                      ": names and dtypes cannot contain NUL",
                      filename, i - 1);
                  return FALSE;
                }
            }
          else if (c == '\\')
            escaped = TRUE;
          else if (c == '"')
            in_string = FALSE;
          continue;
        }
      if (closed && c != ' ' && c != '\t' && c != '\n' && c != '\r')
        {
          g_set_error (error, OXP_CHECKPOINT_ERROR, code,
                       "%s: not valid JSON: more data after the end of the document (at byte "
                       "%" G_GSIZE_FORMAT ")",
                       filename, i);
          return FALSE;
        }
      if (c == '"')
        in_string = TRUE;
      else if (c == '[' || c == '{')
        {
          if (++depth > OXP_JSON_MAX_DEPTH)
            {
              g_set_error (error, OXP_CHECKPOINT_ERROR, code,
                           "%s: JSON nested more than %d levels deep (at byte %" G_GSIZE_FORMAT ")",
                           filename, OXP_JSON_MAX_DEPTH, i);
              return FALSE;
            }
        }
      else if ((c == ']' || c == '}') && depth > 0)
        {
          if (--depth == 0)
            closed = TRUE;
        }
    }
  return TRUE;
}

/* json-glib keeps the last of duplicate members silently; the
 * "object-member" signal still sees each, so an object that got more
 * members than it holds had a duplicate. */
typedef struct
{
  GHashTable *counts; /* JsonObject* → members seen */
  JsonObject *object;
  char *name;
} Duplicates;

static void
duplicates_clear (Duplicates *dups)
{
  g_clear_pointer (&dups->counts, g_hash_table_unref);
  g_clear_pointer (&dups->name, g_free);
}

G_DEFINE_AUTO_CLEANUP_CLEAR_FUNC (Duplicates, duplicates_clear)

static void
on_object_member (JsonParser *parser, JsonObject *object, const char *name, Duplicates *dups)
{
  guint seen = GPOINTER_TO_UINT (g_hash_table_lookup (dups->counts, object)) + 1;

  g_hash_table_insert (dups->counts, object, GUINT_TO_POINTER (seen));
  if (seen > json_object_get_size (object) && dups->name == NULL)
    {
      dups->object = object;
      dups->name = g_strdup (name);
    }
}

JsonObject *
_oxp_json_parse_object (const char *data, gsize size, const char *filename, gint code,
                        const char *unique_kind, GError **error)
{
  g_auto (Duplicates) dups = { g_hash_table_new (NULL, NULL), NULL, NULL };
  g_autoptr (JsonParser) parser = NULL;
  g_autoptr (GError) local_error = NULL;
  g_autofree char *text = NULL;
  const char *invalid = NULL;
  JsonNode *root;

  if (memchr (data, '\0', size) != NULL)
    {
      g_set_error (error, OXP_CHECKPOINT_ERROR, code,
                   "%s: not valid JSON: contains a NUL byte at offset %" G_GSIZE_FORMAT, filename,
                   (gsize)((const char *)memchr (data, '\0', size) - data));
      return NULL;
    }
  if (!g_utf8_validate_len (data, size, &invalid))
    {
      g_set_error (error, OXP_CHECKPOINT_ERROR, code,
                   "%s: not valid JSON: invalid UTF-8 at offset %" G_GSIZE_FORMAT, filename,
                   (gsize)(invalid - data));
      return NULL;
    }
  /* Tensor and shard names are C strings; config.json values are not
   * names, and Python's json accepts them. */
  if (!check_json_text (data, size, filename, code, code != OXP_CHECKPOINT_ERROR_CONFIG, error))
    return NULL;

  /* json-glib gets a NUL-terminated copy: it is not instrumented for the
   * fuzzer, so nothing may depend on how far it reads. */
  text = g_malloc (size + 1);
  memcpy (text, data, size);
  text[size] = '\0';

  parser = json_parser_new_immutable ();
  if (unique_kind != NULL)
    g_signal_connect (parser, "object-member", G_CALLBACK (on_object_member), &dups);
  if (!json_parser_load_from_data (parser, text, (gssize)size, &local_error))
    {
      g_set_error (error, OXP_CHECKPOINT_ERROR, code, "%s: not valid JSON: %s", filename,
                   local_error->message);
      return NULL;
    }
  root = json_parser_get_root (parser);
  if (root == NULL || !JSON_NODE_HOLDS_OBJECT (root))
    {
      g_set_error (error, OXP_CHECKPOINT_ERROR, code,
                   "%s: the JSON document is %s, expected an object", filename,
                   root == NULL ? "empty" : describe_node (root));
      return NULL;
    }
  if (dups.name != NULL)
    {
      if (dups.object == json_node_get_object (root))
        g_set_error (error, OXP_CHECKPOINT_ERROR, OXP_CHECKPOINT_ERROR_DUPLICATE,
                     "%s: %s '%s' appears twice", filename, unique_kind, dups.name);
      else
        g_set_error (error, OXP_CHECKPOINT_ERROR, code,
                     "%s: member \"%s\" appears twice in the same object", filename, dups.name);
      return NULL;
    }
  return json_object_ref (json_node_get_object (root));
}

static void
entry_free (OxpSafetensorsEntry *entry)
{
  g_free (entry->name);
  g_free (entry->shape);
  g_free (entry);
}

G_DEFINE_AUTOPTR_CLEANUP_FUNC (OxpSafetensorsEntry, entry_free)

void
_oxp_safetensors_header_free (OxpSafetensorsHeader *header)
{
  if (header == NULL)
    return;
  g_clear_pointer (&header->by_name, g_hash_table_unref);
  g_clear_pointer (&header->entries, g_ptr_array_unref);
  g_free (header);
}

static char *
format_shape (const gint64 *shape, guint rank)
{
  GString *s = g_string_new ("[");

  for (guint i = 0; i < rank; i++)
    g_string_append_printf (s, "%s%" G_GINT64_FORMAT, i ? ", " : "", shape[i]);
  g_string_append_c (s, ']');
  return g_string_free (s, FALSE);
}

static OxpSafetensorsEntry *
parse_entry (const char *filename, const char *name, JsonNode *node, guint64 data_size,
             GError **error)
{
  g_autoptr (OxpSafetensorsEntry) entry = NULL;
  JsonObject *object;
  JsonNode *dtype_node, *shape_node, *offsets_node;
  JsonArray *array;
  const DtypeInfo *info;
  const char *dtype_name;
  gint64 begin, end;
  guint64 n_bytes;

  if (!JSON_NODE_HOLDS_OBJECT (node))
    {
      g_set_error (error, OXP_CHECKPOINT_ERROR, OXP_CHECKPOINT_ERROR_HEADER,
                   "%s: tensor '%s': the header entry is %s, expected an object with "
                   "\"dtype\", \"shape\" and \"data_offsets\"",
                   filename, name, describe_node (node));
      return NULL;
    }
  object = json_node_get_object (node);
  entry = g_new0 (OxpSafetensorsEntry, 1);
  entry->name = g_strdup (name);

  dtype_node = json_object_get_member (object, "dtype");
  if (dtype_node == NULL || !JSON_NODE_HOLDS_VALUE (dtype_node)
      || json_node_get_value_type (dtype_node) != G_TYPE_STRING)
    {
      g_set_error (error, OXP_CHECKPOINT_ERROR, OXP_CHECKPOINT_ERROR_DTYPE,
                   "%s: tensor '%s': \"dtype\" is %s, expected a string (one of %s)", filename,
                   name, dtype_node ? describe_node (dtype_node) : "missing", SUPPORTED_DTYPES);
      return NULL;
    }
  dtype_name = json_node_get_string (dtype_node);
  info = lookup_dtype (dtype_name);
  if (info != NULL)
    {
      entry->dtype = info->dtype;
      entry->dtype_name = info->name;
      entry->element_size = info->size;
    }
  if (entry->dtype_name == NULL)
    {
      g_set_error (error, OXP_CHECKPOINT_ERROR, OXP_CHECKPOINT_ERROR_DTYPE,
                   "%s: tensor '%s': unknown or unsupported dtype '%s' (expected one of %s)",
                   filename, name, dtype_name, SUPPORTED_DTYPES);
      return NULL;
    }

  shape_node = json_object_get_member (object, "shape");
  if (shape_node == NULL || !JSON_NODE_HOLDS_ARRAY (shape_node))
    {
      g_set_error (error, OXP_CHECKPOINT_ERROR, OXP_CHECKPOINT_ERROR_SHAPE,
                   "%s: tensor '%s': \"shape\" is %s, expected a list of non-negative integers",
                   filename, name, shape_node ? describe_node (shape_node) : "missing");
      return NULL;
    }
  array = json_node_get_array (shape_node);
  entry->rank = json_array_get_length (array);
  entry->shape = entry->rank ? g_new (gint64, entry->rank) : NULL;
  entry->n_elements = 1;
  for (guint i = 0; i < entry->rank; i++)
    {
      JsonNode *dim_node = json_array_get_element (array, i);
      gint64 dim;

      if (!node_get_int (dim_node, &dim) || dim < 0)
        {
          g_set_error (error, OXP_CHECKPOINT_ERROR, OXP_CHECKPOINT_ERROR_SHAPE,
                       "%s: tensor '%s': dimension %u of \"shape\" is %s%s, expected a "
                       "non-negative integer",
                       filename, name, i, describe_node (dim_node),
                       (dim_node && node_get_int (dim_node, &dim)) ? " below zero" : "");
          return NULL;
        }
      entry->shape[i] = dim;
      if (!g_uint64_checked_mul (&entry->n_elements, entry->n_elements, (guint64)dim))
        {
          g_set_error (error, OXP_CHECKPOINT_ERROR, OXP_CHECKPOINT_ERROR_SHAPE,
                       "%s: tensor '%s': the element count of its shape overflows", filename, name);
          return NULL;
        }
    }

  offsets_node = json_object_get_member (object, "data_offsets");
  if (offsets_node == NULL || !JSON_NODE_HOLDS_ARRAY (offsets_node)
      || json_array_get_length (json_node_get_array (offsets_node)) != 2
      || !node_get_int (json_array_get_element (json_node_get_array (offsets_node), 0), &begin)
      || !node_get_int (json_array_get_element (json_node_get_array (offsets_node), 1), &end)
      || begin < 0 || end < begin)
    {
      g_set_error (error, OXP_CHECKPOINT_ERROR, OXP_CHECKPOINT_ERROR_OFFSETS,
                   "%s: tensor '%s': \"data_offsets\" must be [BEGIN, END] with "
                   "0 <= BEGIN <= END",
                   filename, name);
      return NULL;
    }
  if ((guint64)end > data_size)
    {
      g_set_error (error, OXP_CHECKPOINT_ERROR, OXP_CHECKPOINT_ERROR_OFFSETS,
                   "%s: tensor '%s': data_offsets [%" G_GINT64_FORMAT ", %" G_GINT64_FORMAT
                   "] run past the end of the data section (%" G_GUINT64_FORMAT " bytes)",
                   filename, name, begin, end, data_size);
      return NULL;
    }
  entry->begin = (guint64)begin;
  entry->end = (guint64)end;

  if (!g_uint64_checked_mul (&n_bytes, entry->n_elements, entry->element_size)
      || n_bytes != entry->end - entry->begin)
    {
      g_autofree char *shape = format_shape (entry->shape, entry->rank);

      g_set_error (error, OXP_CHECKPOINT_ERROR, OXP_CHECKPOINT_ERROR_SHAPE,
                   "%s: tensor '%s': shape %s of %s (%" G_GSIZE_FORMAT
                   " bytes each) needs %" G_GUINT64_FORMAT
                   " elements, but data_offsets [%" G_GUINT64_FORMAT ", %" G_GUINT64_FORMAT
                   "] hold %" G_GUINT64_FORMAT " bytes",
                   filename, name, shape, entry->dtype_name, entry->element_size, entry->n_elements,
                   entry->begin, entry->end, entry->end - entry->begin);
      return NULL;
    }
  return g_steal_pointer (&entry);
}

static gint
compare_entries (gconstpointer a, gconstpointer b)
{
  const OxpSafetensorsEntry *x = *(OxpSafetensorsEntry *const *)a;
  const OxpSafetensorsEntry *y = *(OxpSafetensorsEntry *const *)b;

  if (x->begin != y->begin)
    return x->begin < y->begin ? -1 : 1;
  if (x->end != y->end)
    return x->end < y->end ? -1 : 1;
  return strcmp (x->name, y->name);
}

/* Sorted by offset, the byte ranges must tile [0, data_size) exactly. */
static gboolean
check_tiling (OxpSafetensorsHeader *header, const char *filename, GError **error)
{
  const OxpSafetensorsEntry *prev = NULL;
  guint64 expected = 0;

  g_ptr_array_sort (header->entries, compare_entries);
  for (guint i = 0; i < header->entries->len; i++)
    {
      const OxpSafetensorsEntry *e = g_ptr_array_index (header->entries, i);

      if (e->begin < expected)
        {
          g_set_error (error, OXP_CHECKPOINT_ERROR, OXP_CHECKPOINT_ERROR_OFFSETS,
                       "%s: tensors '%s' [%" G_GUINT64_FORMAT ", %" G_GUINT64_FORMAT
                       "] and '%s' [%" G_GUINT64_FORMAT ", %" G_GUINT64_FORMAT "] overlap",
                       filename, prev->name, prev->begin, prev->end, e->name, e->begin, e->end);
          return FALSE;
        }
      if (e->begin > expected)
        {
          g_set_error (error, OXP_CHECKPOINT_ERROR, OXP_CHECKPOINT_ERROR_OFFSETS,
                       "%s: a hole of %" G_GUINT64_FORMAT
                       " bytes before tensor '%s': bytes [%" G_GUINT64_FORMAT ", %" G_GUINT64_FORMAT
                       ") of the data section belong to "
                       "no tensor",
                       filename, e->begin - expected, e->name, expected, e->begin);
          return FALSE;
        }
      expected = e->end;
      prev = e;
    }
  if (expected != header->data_size)
    {
      g_set_error (error, OXP_CHECKPOINT_ERROR, OXP_CHECKPOINT_ERROR_OFFSETS,
                   "%s: %" G_GUINT64_FORMAT " trailing bytes after %s%s%s belong to no tensor",
                   filename, header->data_size - expected,
                   prev ? "the last tensor '" : "the header", prev ? prev->name : "",
                   prev ? "'" : "");
      return FALSE;
    }
  return TRUE;
}

/* The format says "__metadata__" maps strings to strings; other readers
 * (the Rust reference) refuse anything else, so a file accepted here
 * would be rejected elsewhere. */
static gboolean
check_metadata (JsonNode *node, const char *filename, GError **error)
{
  g_autoptr (GList) members = NULL;
  JsonObject *object;

  if (!JSON_NODE_HOLDS_OBJECT (node))
    {
      g_set_error (error, OXP_CHECKPOINT_ERROR, OXP_CHECKPOINT_ERROR_HEADER,
                   "%s: \"__metadata__\" is %s, expected an object of strings", filename,
                   describe_node (node));
      return FALSE;
    }
  object = json_node_get_object (node);
  members = json_object_get_members (object);
  for (GList *l = members; l != NULL; l = l->next)
    {
      JsonNode *value = json_object_get_member (object, l->data);

      if (!JSON_NODE_HOLDS_VALUE (value) || json_node_get_value_type (value) != G_TYPE_STRING)
        {
          g_autofree char *key = _oxp_truncate_for_message (l->data);

          g_set_error (error, OXP_CHECKPOINT_ERROR, OXP_CHECKPOINT_ERROR_HEADER,
                       "%s: \"__metadata__\" entry '%s' is %s, expected a string", filename, key,
                       describe_node (value));
          return FALSE;
        }
    }
  return TRUE;
}

OxpSafetensorsHeader *
_oxp_safetensors_parse (const guint8 *data, gsize size, const char *filename, GError **error)
{
  g_autoptr (OxpSafetensorsHeader) header = NULL;
  g_autoptr (JsonObject) root = NULL;
  g_autoptr (GList) members = NULL;
  guint64 n = 0;

  if (size < 8)
    {
      g_set_error (error, OXP_CHECKPOINT_ERROR, OXP_CHECKPOINT_ERROR_HEADER,
                   "%s: truncated: %" G_GSIZE_FORMAT " bytes, but a safetensors file starts with "
                   "an 8-byte header length",
                   filename, size);
      return NULL;
    }
  for (int i = 7; i >= 0; i--)
    n = (n << 8) | data[i];
  if (n > OXP_SAFETENSORS_MAX_HEADER_SIZE)
    {
      g_set_error (error, OXP_CHECKPOINT_ERROR, OXP_CHECKPOINT_ERROR_HEADER,
                   "%s: header length %" G_GUINT64_FORMAT " is above the %" G_GUINT64_FORMAT
                   "-byte limit: corrupt, or not a safetensors file",
                   filename, n, OXP_SAFETENSORS_MAX_HEADER_SIZE);
      return NULL;
    }
  if (n > size - 8)
    {
      g_set_error (error, OXP_CHECKPOINT_ERROR, OXP_CHECKPOINT_ERROR_HEADER,
                   "%s: header length %" G_GUINT64_FORMAT
                   " runs past the end of the file (%" G_GSIZE_FORMAT
                   " bytes): truncated or not a safetensors file",
                   filename, n, size);
      return NULL;
    }

  root = _oxp_json_parse_object ((const char *)data + 8, n, filename, OXP_CHECKPOINT_ERROR_HEADER,
                                 "tensor", error);
  if (root == NULL)
    return NULL;

  header = g_new0 (OxpSafetensorsHeader, 1);
  header->entries = g_ptr_array_new_with_free_func ((GDestroyNotify)entry_free);
  header->by_name = g_hash_table_new (g_str_hash, g_str_equal);
  header->header_size = n;
  header->data_offset = 8 + n;
  header->data_size = size - header->data_offset;

  members = json_object_get_members (root);
  for (GList *l = members; l != NULL; l = l->next)
    {
      const char *name = l->data;
      OxpSafetensorsEntry *entry;

      if (strcmp (name, "__metadata__") == 0)
        {
          if (!check_metadata (json_object_get_member (root, name), filename, error))
            return NULL;
          continue;
        }
      if (name[0] == '\0')
        {
          g_set_error (error, OXP_CHECKPOINT_ERROR, OXP_CHECKPOINT_ERROR_HEADER,
                       "%s: a tensor has an empty name", filename);
          return NULL;
        }
      entry = parse_entry (filename, name, json_object_get_member (root, name), header->data_size,
                           error);
      if (entry == NULL)
        return NULL;
      /* Names are unique: the JSON parser refused duplicates. */
      g_hash_table_insert (header->by_name, entry->name, entry);
      g_ptr_array_add (header->entries, entry);
    }

  if (!check_tiling (header, filename, error))
    return NULL;
  return g_steal_pointer (&header);
}

char *
_oxp_truncate_for_message (const char *text)
{
  const char *end;

  if (strlen (text) <= OXP_MESSAGE_ECHO_MAX)
    return g_strdup (text);
  end = g_utf8_find_prev_char (text, text + OXP_MESSAGE_ECHO_MAX);
  if (end == NULL)
    end = text;
  return g_strdup_printf ("%.*s… (%" G_GSIZE_FORMAT " bytes)", (int)(end - text), text,
                          strlen (text));
}

typedef enum
{
  KEY_INT,   /* an integer in [min, max] */
  KEY_FLOAT, /* a number (integer or not) in (min, max] */
  KEY_STRING,
} KeyKind;

typedef struct
{
  const char *key;
  KeyKind kind;
  double min;
  double max;
} KeyCheck;

/* The config.json values every architecture's graph is built from, under
 * their Hugging Face names: a wrong type or an absurd value is refused
 * here, before any plugin builds a graph from it (an export of 0 layers,
 * or with a negative epsilon, used to "pass" validation).  Bounds are far
 * beyond any real model. */
static const KeyCheck key_checks[] = {
  { "num_hidden_layers", KEY_INT, 1, 4096 },
  { "n_layer", KEY_INT, 1, 4096 },
  { "num_layers", KEY_INT, 1, 4096 },
  { "n_layers", KEY_INT, 1, 4096 },
  { "encoder_layers", KEY_INT, 1, 4096 },
  { "decoder_layers", KEY_INT, 1, 4096 },
  { "num_decoder_layers", KEY_INT, 1, 4096 },
  { "num_attention_heads", KEY_INT, 1, 4096 },
  { "n_head", KEY_INT, 1, 4096 },
  { "n_heads", KEY_INT, 1, 4096 },
  { "num_key_value_heads", KEY_INT, 1, 4096 },
  { "encoder_attention_heads", KEY_INT, 1, 4096 },
  { "decoder_attention_heads", KEY_INT, 1, 4096 },
  { "hidden_size", KEY_INT, 1, 1 << 20 },
  { "n_embd", KEY_INT, 1, 1 << 20 },
  { "d_model", KEY_INT, 1, 1 << 20 },
  { "dim", KEY_INT, 1, 1 << 20 },
  { "embedding_size", KEY_INT, 1, 1 << 20 },
  { "intermediate_size", KEY_INT, 1, 1 << 24 },
  { "hidden_dim", KEY_INT, 1, 1 << 24 },
  { "d_ff", KEY_INT, 1, 1 << 24 },
  { "n_inner", KEY_INT, 1, 1 << 24 },
  { "vocab_size", KEY_INT, 1, 1 << 28 },
  { "max_position_embeddings", KEY_INT, 1, 1 << 26 },
  { "n_positions", KEY_INT, 1, 1 << 26 },
  { "type_vocab_size", KEY_INT, 0, 1 << 16 },
  { "num_labels", KEY_INT, 1, 1 << 24 },
  { "layer_norm_eps", KEY_FLOAT, 0, 1 },
  { "layer_norm_epsilon", KEY_FLOAT, 0, 1 },
  { "rms_norm_eps", KEY_FLOAT, 0, 1 },
  { "hidden_act", KEY_STRING, 0, 0 },
  { "hidden_activation", KEY_STRING, 0, 0 },
  { "activation_function", KEY_STRING, 0, 0 },
};

static gboolean
check_config_values (JsonObject *config, const char *filename, GError **error)
{
  for (gsize i = 0; i < G_N_ELEMENTS (key_checks); i++)
    {
      const KeyCheck *k = &key_checks[i];
      JsonNode *node = json_object_get_member (config, k->key);
      GType type;

      /* Absent or null: the plugin's default applies. */
      if (node == NULL || JSON_NODE_HOLDS_NULL (node))
        continue;
      type = JSON_NODE_HOLDS_VALUE (node) ? json_node_get_value_type (node) : G_TYPE_INVALID;
      switch (k->kind)
        {
        case KEY_INT:
          if (type != G_TYPE_INT64)
            {
              g_set_error (error, OXP_CHECKPOINT_ERROR, OXP_CHECKPOINT_ERROR_CONFIG,
                           "%s: \"%s\" is %s, expected an integer", filename, k->key,
                           describe_node (node));
              return FALSE;
            }
          if ((double)json_node_get_int (node) < k->min
              || (double)json_node_get_int (node) > k->max)
            {
              g_set_error (error, OXP_CHECKPOINT_ERROR, OXP_CHECKPOINT_ERROR_CONFIG,
                           "%s: \"%s\" is %" G_GINT64_FORMAT ", expected %.0f to %.0f", filename,
                           k->key, json_node_get_int (node), k->min, k->max);
              return FALSE;
            }
          break;
        case KEY_FLOAT:
          {
            double v;

            if (type != G_TYPE_INT64 && type != G_TYPE_DOUBLE)
              {
                g_set_error (error, OXP_CHECKPOINT_ERROR, OXP_CHECKPOINT_ERROR_CONFIG,
                             "%s: \"%s\" is %s, expected a number", filename, k->key,
                             describe_node (node));
                return FALSE;
              }
            v = type == G_TYPE_INT64 ? (double)json_node_get_int (node)
                                     : json_node_get_double (node);
            if (!(v > k->min && v <= k->max))
              {
                g_set_error (error, OXP_CHECKPOINT_ERROR, OXP_CHECKPOINT_ERROR_CONFIG,
                             "%s: \"%s\" is %g, expected a number above %g and at most %g",
                             filename, k->key, v, k->min, k->max);
                return FALSE;
              }
            break;
          }
        case KEY_STRING:
          if (type != G_TYPE_STRING)
            {
              g_set_error (error, OXP_CHECKPOINT_ERROR, OXP_CHECKPOINT_ERROR_CONFIG,
                           "%s: \"%s\" is %s, expected a string such as \"gelu\"", filename, k->key,
                           describe_node (node));
              return FALSE;
            }
          break;
        }
    }
  return TRUE;
}

JsonObject *
_oxp_checkpoint_config_parse (const char *data, gsize size, const char *filename,
                              const char **model_type, GError **error)
{
  g_autoptr (JsonObject) config = NULL;
  JsonNode *node;

  /* Duplicate keys are allowed as in Python's json (the last one wins). */
  config = _oxp_json_parse_object (data, size, filename, OXP_CHECKPOINT_ERROR_CONFIG, NULL, error);
  if (config == NULL)
    return NULL;

  node = json_object_get_member (config, "model_type");
  if (node == NULL)
    {
      g_set_error (error, OXP_CHECKPOINT_ERROR, OXP_CHECKPOINT_ERROR_NO_MODEL_TYPE,
                   "%s: no \"model_type\" field: oxport needs it to choose the exporter "
                   "(e.g. \"model_type\": \"bert\")",
                   filename);
      return NULL;
    }
  if (!JSON_NODE_HOLDS_VALUE (node) || json_node_get_value_type (node) != G_TYPE_STRING
      || *json_node_get_string (node) == '\0')
    {
      g_set_error (error, OXP_CHECKPOINT_ERROR, OXP_CHECKPOINT_ERROR_NO_MODEL_TYPE,
                   "%s: \"model_type\" is %s, expected a non-empty string such as \"bert\"",
                   filename,
                   JSON_NODE_HOLDS_VALUE (node) && json_node_get_value_type (node) == G_TYPE_STRING
                       ? "an empty string"
                       : describe_node (node));
      return NULL;
    }
  if (strlen (json_node_get_string (node)) > OXP_MODEL_TYPE_MAX_LENGTH)
    {
      g_autofree char *shown = _oxp_truncate_for_message (json_node_get_string (node));

      g_set_error (error, OXP_CHECKPOINT_ERROR, OXP_CHECKPOINT_ERROR_NO_MODEL_TYPE,
                   "%s: \"model_type\" is longer than %d bytes: \"%s\"", filename,
                   OXP_MODEL_TYPE_MAX_LENGTH, shown);
      return NULL;
    }
  if (!check_config_values (config, filename, error))
    return NULL;
  if (model_type != NULL)
    *model_type = json_node_get_string (node);
  return g_steal_pointer (&config);
}

GHashTable *
_oxp_safetensors_index_parse (const char *data, gsize size, const char *filename, GError **error)
{
  g_autoptr (JsonObject) index = NULL;
  g_autoptr (GHashTable) map = NULL;
  g_autoptr (GList) members = NULL;
  JsonNode *node;
  JsonObject *weight_map;

  index = _oxp_json_parse_object (data, size, filename, OXP_CHECKPOINT_ERROR_INDEX, NULL, error);
  if (index == NULL)
    return NULL;
  node = json_object_get_member (index, "weight_map");
  if (node == NULL || !JSON_NODE_HOLDS_OBJECT (node))
    {
      g_set_error (error, OXP_CHECKPOINT_ERROR, OXP_CHECKPOINT_ERROR_INDEX,
                   "%s: \"weight_map\" is %s, expected an object mapping tensor names to "
                   "shard files",
                   filename, node ? describe_node (node) : "missing");
      return NULL;
    }
  weight_map = json_node_get_object (node);
  map = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, g_free);
  members = json_object_get_members (weight_map);
  for (GList *l = members; l != NULL; l = l->next)
    {
      const char *name = l->data;
      JsonNode *value = json_object_get_member (weight_map, name);
      const char *shard;

      if (!JSON_NODE_HOLDS_VALUE (value) || json_node_get_value_type (value) != G_TYPE_STRING)
        {
          g_set_error (error, OXP_CHECKPOINT_ERROR, OXP_CHECKPOINT_ERROR_INDEX,
                       "%s: weight_map entry of tensor '%s' is %s, expected a shard file name",
                       filename, name, describe_node (value));
          return NULL;
        }
      shard = json_node_get_string (value);
      /* A shard is a file next to the index, never a path elsewhere. */
      if (*shard == '\0' || strchr (shard, '/') != NULL || strchr (shard, '\\') != NULL
          || strcmp (shard, ".") == 0 || strcmp (shard, "..") == 0
          || !g_str_has_suffix (shard, ".safetensors"))
        {
          g_set_error (error, OXP_CHECKPOINT_ERROR, OXP_CHECKPOINT_ERROR_INDEX,
                       "%s: weight_map entry of tensor '%s' is '%s', expected the name of a "
                       ".safetensors file in the same folder",
                       filename, name, shard);
          return NULL;
        }
      g_hash_table_insert (map, g_strdup (name), g_strdup (shard));
    }
  return g_steal_pointer (&map);
}
