/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include "config.h"

#include <string.h>

#include "oxp-cli.h"

/* Reads ModelProto.metadata_props of an .onnx file with a minimal protobuf
 * wire-format scanner: the CLI only uses the public API, and the library's
 * protobuf-c code is private.  Only the top level of the message is walked;
 * the graph (field 7) is skipped by its length, never parsed. */

#define MODEL_PROTO_METADATA_PROPS 14
#define ENTRY_KEY 1
#define ENTRY_VALUE 2

typedef struct
{
  const guint8 *p;
  const guint8 *end;
} Reader;

static gboolean
read_varint (Reader *r, guint64 *out)
{
  guint64 v = 0;

  for (guint shift = 0; shift < 64; shift += 7)
    {
      guint8 b;

      if (r->p >= r->end)
        return FALSE;
      b = *r->p++;
      v |= (guint64)(b & 0x7f) << shift;
      if ((b & 0x80) == 0)
        {
          *out = v;
          return TRUE;
        }
    }
  return FALSE;
}

/* Skips a field of @wire_type; for length-delimited ones returns the bytes. */
static gboolean
read_field (Reader *r, guint wire_type, const guint8 **bytes, gsize *len)
{
  guint64 v;

  *bytes = NULL;
  *len = 0;
  switch (wire_type)
    {
    case 0:
      return read_varint (r, &v);
    case 1:
      if (r->end - r->p < 8)
        return FALSE;
      r->p += 8;
      return TRUE;
    case 2:
      if (!read_varint (r, &v) || v > (guint64)(r->end - r->p))
        return FALSE;
      *bytes = r->p;
      *len = (gsize)v;
      r->p += v;
      return TRUE;
    case 5:
      if (r->end - r->p < 4)
        return FALSE;
      r->p += 4;
      return TRUE;
    default:
      return FALSE;
    }
}

static gboolean
parse_entry (const guint8 *data, gsize len, char **key, char **value)
{
  Reader r = { data, data + len };

  while (r.p < r.end)
    {
      guint64 tag;
      const guint8 *bytes;
      gsize n;

      if (!read_varint (&r, &tag) || !read_field (&r, (guint)(tag & 7), &bytes, &n))
        return FALSE;
      if ((tag >> 3) == ENTRY_KEY && (tag & 7) == 2)
        {
          g_free (*key);
          *key = g_strndup ((const char *)bytes, n);
        }
      else if ((tag >> 3) == ENTRY_VALUE && (tag & 7) == 2)
        {
          g_free (*value);
          *value = g_strndup ((const char *)bytes, n);
        }
    }
  return TRUE;
}

GHashTable *
oxp_cli_read_onnx_metadata (const char *path, GError **error)
{
  g_autoptr (GMappedFile) file = NULL;
  g_autoptr (GHashTable) props = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, g_free);
  Reader r;

  file = g_mapped_file_new (path, FALSE, error);
  if (file == NULL)
    return NULL;
  r.p = (const guint8 *)g_mapped_file_get_contents (file);
  r.end = r.p + g_mapped_file_get_length (file);
  while (r.p != NULL && r.p < r.end)
    {
      guint64 tag;
      const guint8 *bytes;
      gsize n;

      if (!read_varint (&r, &tag) || !read_field (&r, (guint)(tag & 7), &bytes, &n))
        {
          g_set_error (error, G_FILE_ERROR, G_FILE_ERROR_INVAL,
                       "%s is not an ONNX model (its protobuf encoding is broken)", path);
          return NULL;
        }
      if ((tag >> 3) == MODEL_PROTO_METADATA_PROPS && (tag & 7) == 2)
        {
          char *key = NULL;
          char *value = NULL;

          if (parse_entry (bytes, n, &key, &value) && key != NULL)
            g_hash_table_replace (props, key, value != NULL ? value : g_strdup (""));
          else
            {
              g_free (key);
              g_free (value);
            }
        }
    }
  return g_steal_pointer (&props);
}

/* ---- operators outside ai.onnx ------------------------------------------ */

#define MODEL_PROTO_GRAPH 7
#define GRAPH_PROTO_NODE 1
#define NODE_PROTO_OP_TYPE 4
#define NODE_PROTO_ATTRIBUTE 5
#define NODE_PROTO_DOMAIN 7
#define ATTRIBUTE_PROTO_G 6
#define ATTRIBUTE_PROTO_GRAPHS 11

static gboolean scan_graph (const guint8 *data, gsize len, GHashTable *ops, guint depth);

/* An attribute's subgraphs (If branches) are scanned too. */
static gboolean
scan_attribute (const guint8 *data, gsize len, GHashTable *ops, guint depth)
{
  Reader r = { data, data + len };

  while (r.p < r.end)
    {
      guint64 tag;
      const guint8 *bytes;
      gsize n;

      if (!read_varint (&r, &tag) || !read_field (&r, (guint)(tag & 7), &bytes, &n))
        return FALSE;
      if (((tag >> 3) == ATTRIBUTE_PROTO_G || (tag >> 3) == ATTRIBUTE_PROTO_GRAPHS)
          && (tag & 7) == 2 && !scan_graph (bytes, n, ops, depth + 1))
        return FALSE;
    }
  return TRUE;
}

/* @ops: "domain.op_type" (owned) → how many nodes, the subgraphs' included. */
static void
count_operator (GHashTable *ops, char *name)
{
  guint count = GPOINTER_TO_UINT (g_hash_table_lookup (ops, name));

  g_hash_table_replace (ops, name, GUINT_TO_POINTER (count + 1));
}

static gboolean
scan_node (const guint8 *data, gsize len, GHashTable *ops, guint depth)
{
  Reader r = { data, data + len };
  g_autofree char *op_type = NULL;
  g_autofree char *domain = NULL;

  while (r.p < r.end)
    {
      guint64 tag;
      const guint8 *bytes;
      gsize n;

      if (!read_varint (&r, &tag) || !read_field (&r, (guint)(tag & 7), &bytes, &n))
        return FALSE;
      if ((tag & 7) != 2)
        continue;
      if ((tag >> 3) == NODE_PROTO_OP_TYPE)
        {
          g_free (op_type);
          op_type = g_strndup ((const char *)bytes, n);
        }
      else if ((tag >> 3) == NODE_PROTO_DOMAIN)
        {
          g_free (domain);
          domain = g_strndup ((const char *)bytes, n);
        }
      else if ((tag >> 3) == NODE_PROTO_ATTRIBUTE && !scan_attribute (bytes, n, ops, depth))
        return FALSE;
    }
  if (op_type != NULL && domain != NULL && *domain != '\0' && strcmp (domain, "ai.onnx") != 0)
    count_operator (ops, g_strconcat (domain, ".", op_type, NULL));
  /* ONNX Runtime registers this contrib schema in the ai.onnx domain: no
   * other runtime knows it either. */
  else if (op_type != NULL && strcmp (op_type, "SimplifiedLayerNormalization") == 0)
    count_operator (ops, g_strconcat ("ai.onnx.", op_type, NULL));
  return TRUE;
}

static gboolean
scan_graph (const guint8 *data, gsize len, GHashTable *ops, guint depth)
{
  Reader r = { data, data + len };

  /* If branches nest a few levels at most; a deeper file is malformed. */
  if (depth > 16)
    return FALSE;
  while (r.p < r.end)
    {
      guint64 tag;
      const guint8 *bytes;
      gsize n;

      if (!read_varint (&r, &tag) || !read_field (&r, (guint)(tag & 7), &bytes, &n))
        return FALSE;
      if ((tag >> 3) == GRAPH_PROTO_NODE && (tag & 7) == 2 && !scan_node (bytes, n, ops, depth))
        return FALSE;
    }
  return TRUE;
}

GHashTable *
oxp_cli_count_onnx_custom_operators (const char *path, GError **error)
{
  g_autoptr (GMappedFile) file = NULL;
  g_autoptr (GHashTable) ops = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, NULL);
  Reader r;

  file = g_mapped_file_new (path, FALSE, error);
  if (file == NULL)
    return NULL;
  r.p = (const guint8 *)g_mapped_file_get_contents (file);
  r.end = r.p + g_mapped_file_get_length (file);
  while (r.p != NULL && r.p < r.end)
    {
      guint64 tag;
      const guint8 *bytes;
      gsize n;

      if (!read_varint (&r, &tag) || !read_field (&r, (guint)(tag & 7), &bytes, &n)
          || ((tag >> 3) == MODEL_PROTO_GRAPH && (tag & 7) == 2 && !scan_graph (bytes, n, ops, 0)))
        {
          g_set_error (error, G_FILE_ERROR, G_FILE_ERROR_INVAL,
                       "%s is not an ONNX model (its protobuf encoding is broken)", path);
          return NULL;
        }
    }
  return g_steal_pointer (&ops);
}
