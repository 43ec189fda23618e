/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/* Parsers for the files of a Hugging Face checkpoint folder, working on
 * memory buffers so that the checkpoint reader and the fuzzer share them:
 * the safetensors header, model.safetensors.index.json and config.json.
 * Every error is in OXP_CHECKPOINT_ERROR and names @filename. */

#include <json-glib/json-glib.h>
#include <oxport/oxp-types.h>
#include <oxport/oxp-checkpoint.h>

G_BEGIN_DECLS

/* Largest safetensors header accepted (the Rust reference uses the same). */
#define OXP_SAFETENSORS_MAX_HEADER_SIZE ((guint64)100 * 1000 * 1000)

/* JSON nesting deeper than this is refused before json-glib sees it: its
 * parser recurses once per level and a crafted header would overflow the
 * stack. Real headers and configs nest a few levels. */
#define OXP_JSON_MAX_DEPTH 64

/* Largest config.json or model.safetensors.index.json read (real ones are
 * a few kB; the largest indexes of 100+ shard models are about 1 MB): a
 * bigger file is a mistake or an attack, and is refused before it is read. */
#define OXP_JSON_MAX_FILE_SIZE ((guint64)16 << 20)

/* Longest model_type accepted: it is echoed in messages and names a plugin
 * registration, so a real one is a short identifier. */
#define OXP_MODEL_TYPE_MAX_LENGTH 128

/* Input echoed in a message is cut to this many bytes. */
#define OXP_MESSAGE_ECHO_MAX 80

/* @text for a message: itself when short, else its head, "…" and its
 * length. (transfer full) */
G_GNUC_INTERNAL
char *_oxp_truncate_for_message (const char *text);

typedef struct
{
  char *name;
  OxpDataType dtype;
  const char *dtype_name; /* as in the file: "F32", "BF16", … (static) */
  gsize element_size;
  guint rank;
  gint64 *shape; /* rank entries, NULL for a scalar */
  guint64 n_elements;
  guint64 begin; /* byte range in the data section */
  guint64 end;
} OxpSafetensorsEntry;

typedef struct
{
  /* OxpSafetensorsEntry*, in file order (by data offset). */
  GPtrArray *entries;
  /* name → OxpSafetensorsEntry* (borrowed from entries). */
  GHashTable *by_name;
  guint64 header_size; /* the JSON text, without the 8-byte length */
  guint64 data_offset; /* 8 + header_size */
  guint64 data_size;
} OxpSafetensorsHeader;

/* Parses and validates a whole safetensors file held in @data (@size bytes):
 * length prefix, JSON header, dtypes, shapes, and offsets that tile the data
 * section exactly. */
G_GNUC_INTERNAL
OxpSafetensorsHeader *_oxp_safetensors_parse (const guint8 *data, gsize size, const char *filename,
                                              GError **error);
G_GNUC_INTERNAL
void _oxp_safetensors_header_free (OxpSafetensorsHeader *header);
G_DEFINE_AUTOPTR_CLEANUP_FUNC (OxpSafetensorsHeader, _oxp_safetensors_header_free)

/* Parses a JSON document from @data (@size bytes, no NUL needed) after
 * checking it is UTF-8 without NUL bytes and not nested too deeply; the
 * root must be an object. Errors use @code and name @filename. With
 * @unique_kind (e.g. "tensor"), duplicate members are refused: at the top
 * level with OXP_CHECKPOINT_ERROR_DUPLICATE naming the @unique_kind. */
G_GNUC_INTERNAL
JsonObject *_oxp_json_parse_object (const char *data, gsize size, const char *filename, gint code,
                                    const char *unique_kind, GError **error);

/* Parses config.json: a JSON object with a non-empty string "model_type".
 * Returns the object (transfer full); @model_type borrows from it. */
G_GNUC_INTERNAL
JsonObject *_oxp_checkpoint_config_parse (const char *data, gsize size, const char *filename,
                                          const char **model_type, GError **error);

/* Parses model.safetensors.index.json. Returns tensor name → shard file
 * name (both owned by the table); every shard name is a plain file name
 * (no directory part). */
G_GNUC_INTERNAL
GHashTable *_oxp_safetensors_index_parse (const char *data, gsize size, const char *filename,
                                          GError **error);

G_END_DECLS
