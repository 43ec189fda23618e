/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* libFuzzer target for the checkpoint parsers (`make fuzz`). The first
 * input byte picks what the rest is:
 *   0  a whole safetensors file
 *   1  a 4-byte little-endian data-section size, then a safetensors JSON
 *      header (the length prefix is made up, so mutations reach the header
 *      checks instead of dying on the prefix)
 *   2  a config.json
 *   3  a model.safetensors.index.json
 * Results are checked against the invariants the reader relies on; a
 * violation aborts, so the fuzzer reports it like a crash. */
#include "config.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "oxp-safetensors-private.h"

int LLVMFuzzerInitialize (int *argc, char ***argv);
int LLVMFuzzerTestOneInput (const uint8_t *data, size_t size);

/* A warning or critical from GLib or json-glib on some input would mean the
 * library prints: make it a crash the fuzzer reports. */
int
LLVMFuzzerInitialize (int *argc, char ***argv)
{
  g_log_set_always_fatal (G_LOG_LEVEL_ERROR | G_LOG_LEVEL_CRITICAL | G_LOG_LEVEL_WARNING);
  return 0;
}

static void
check_error (GError *error)
{
  if (error == NULL || error->domain != OXP_CHECKPOINT_ERROR || error->message == NULL
      || error->message[0] == '\0')
    abort ();
}

static void
check_header (const OxpSafetensorsHeader *h, gsize size)
{
  guint64 expected = 0;

  if (h->data_offset != 8 + h->header_size || h->data_offset + h->data_size != size
      || h->header_size > OXP_SAFETENSORS_MAX_HEADER_SIZE
      || g_hash_table_size (h->by_name) != h->entries->len)
    abort ();
  for (guint i = 0; i < h->entries->len; i++)
    {
      const OxpSafetensorsEntry *e = g_ptr_array_index (h->entries, i);
      guint64 n = 1;

      if (e->begin != expected || e->end < e->begin || e->end > h->data_size
          || g_hash_table_lookup (h->by_name, e->name) != e || e->name[0] == '\0'
          || e->element_size == 0 || e->dtype_name == NULL)
        abort ();
      for (guint d = 0; d < e->rank; d++)
        {
          if (e->shape[d] < 0)
            abort ();
          n *= (guint64)e->shape[d];
        }
      if (n != e->n_elements || n * e->element_size != e->end - e->begin)
        abort ();
      expected = e->end;
    }
  if (expected != h->data_size)
    abort ();
}

static void
fuzz_safetensors (const guint8 *file, gsize size)
{
  g_autoptr (GError) error = NULL;
  OxpSafetensorsHeader *h = _oxp_safetensors_parse (file, size, "fuzz.safetensors", &error);

  if (h == NULL)
    check_error (error);
  else
    check_header (h, size);
  _oxp_safetensors_header_free (h);
}

static void
fuzz_header (const uint8_t *data, size_t size)
{
  g_autofree guint8 *file = NULL;
  guint64 data_size;

  if (size < 4)
    return;
  data_size
      = (guint64)data[0] | (guint64)data[1] << 8 | (guint64)data[2] << 16 | (guint64)data[3] << 24;
  data += 4;
  size -= 4;
  file = g_malloc (8 + size);
  for (int i = 0; i < 8; i++)
    file[i] = (guint8)((guint64)size >> (8 * i));
  memcpy (file + 8, data, size);
  /* The parser never reads the data section, so it is not allocated: were
   * it read, AddressSanitizer would report it. */
  fuzz_safetensors (file, 8 + size + data_size);
}

static void
fuzz_config (const char *data, size_t size)
{
  g_autoptr (GError) error = NULL;
  const char *model_type = NULL;
  JsonObject *config
      = _oxp_checkpoint_config_parse (data, size, "config.json", &model_type, &error);

  if (config == NULL)
    check_error (error);
  else if (model_type == NULL || model_type[0] == '\0'
           || strlen (model_type) > OXP_MODEL_TYPE_MAX_LENGTH
           || strcmp (json_object_get_string_member (config, "model_type"), model_type) != 0)
    abort ();
  else
    {
      /* An accepted config has sane values where plugins read them. */
      JsonNode *layers = json_object_get_member (config, "num_hidden_layers");
      JsonNode *eps = json_object_get_member (config, "layer_norm_eps");
      JsonNode *act = json_object_get_member (config, "hidden_act");

      if (layers != NULL && !JSON_NODE_HOLDS_NULL (layers)
          && (json_node_get_value_type (layers) != G_TYPE_INT64 || json_node_get_int (layers) < 1
              || json_node_get_int (layers) > 4096))
        abort ();
      if (eps != NULL && !JSON_NODE_HOLDS_NULL (eps)
          && (!JSON_NODE_HOLDS_VALUE (eps) || json_node_get_value_type (eps) == G_TYPE_STRING
              || json_node_get_value_type (eps) == G_TYPE_BOOLEAN
              || !(json_node_get_double (eps) > 0)))
        abort ();
      if (act != NULL && !JSON_NODE_HOLDS_NULL (act)
          && (!JSON_NODE_HOLDS_VALUE (act) || json_node_get_value_type (act) != G_TYPE_STRING))
        abort ();
    }
  g_clear_pointer (&config, json_object_unref);
}

static void
fuzz_index (const char *data, size_t size)
{
  g_autoptr (GError) error = NULL;
  GHashTable *map
      = _oxp_safetensors_index_parse (data, size, "model.safetensors.index.json", &error);
  GHashTableIter iter;
  gpointer shard;

  if (map == NULL)
    {
      check_error (error);
      return;
    }
  g_hash_table_iter_init (&iter, map);
  while (g_hash_table_iter_next (&iter, NULL, &shard))
    if (strchr (shard, '/') != NULL || !g_str_has_suffix (shard, ".safetensors"))
      abort ();
  g_hash_table_unref (map);
}

int
LLVMFuzzerTestOneInput (const uint8_t *data, size_t size)
{
  if (size < 1)
    return 0;
  switch (data[0] % 4)
    {
    case 0:
      fuzz_safetensors (data + 1, size - 1);
      break;
    case 1:
      fuzz_header (data + 1, size - 1);
      break;
    case 2:
      fuzz_config ((const char *)data + 1, size - 1);
      break;
    default:
      fuzz_index ((const char *)data + 1, size - 1);
      break;
    }
  return 0;
}
