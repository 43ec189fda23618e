/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <glib/gstdio.h>
#include <oxport/oxport.h>

#include "oxp-safetensors-private.h"

/**
 * OxpCheckpoint:
 *
 * A Hugging Face model folder opened for export: `config.json` parsed with
 * json-glib and the safetensors weights memory-mapped, from one
 * `model.safetensors` or from shards listed in
 * `model.safetensors.index.json`. Every file is validated completely when
 * the checkpoint is opened; afterwards tensors are borrowed views into the
 * maps, valid as long as the checkpoint lives.
 */

/**
 * OxpCheckpointTensor:
 *
 * A tensor of an #OxpCheckpoint: a borrowed view of its name, dtype, shape
 * and bytes in the memory map, valid as long as the checkpoint lives.
 * Plugins hand these to oxp_graph_add_weight(), which streams the
 * bytes to the ONNX file without copying them first.
 */
struct _OxpCheckpointTensor
{
  const OxpSafetensorsEntry *entry;
  const guint8 *data;
  const char *file;
};

typedef struct
{
  char *path;
  GMappedFile *map;
  OxpSafetensorsHeader *header;
  OxpCheckpointTensor *tensors; /* one per header entry, in file order */
} Shard;

struct _OxpCheckpoint
{
  GObject parent_instance;

  char *path;
  JsonObject *config;
  const char *model_type; /* borrowed from config */
  GPtrArray *shards;      /* Shard*, in file-name order */
  GPtrArray *order;       /* OxpCheckpointTensor*, shard by shard in file order */
  GHashTable *by_name;    /* name → OxpCheckpointTensor* */
  guint64 n_parameters;
};

G_DEFINE_FINAL_TYPE (OxpCheckpoint, oxp_checkpoint, G_TYPE_OBJECT)

enum
{
  PROP_0,
  PROP_PATH,
  PROP_MODEL_TYPE,
  N_PROPS
};

static GParamSpec *properties[N_PROPS];

static void
shard_free (Shard *shard)
{
  g_free (shard->tensors);
  _oxp_safetensors_header_free (shard->header);
  g_clear_pointer (&shard->map, g_mapped_file_unref);
  g_free (shard->path);
  g_free (shard);
}

G_DEFINE_AUTOPTR_CLEANUP_FUNC (Shard, shard_free)

static void
oxp_checkpoint_finalize (GObject *object)
{
  OxpCheckpoint *self = OXP_CHECKPOINT (object);

  g_clear_pointer (&self->by_name, g_hash_table_unref);
  g_clear_pointer (&self->order, g_ptr_array_unref);
  g_clear_pointer (&self->shards, g_ptr_array_unref);
  g_clear_pointer (&self->config, json_object_unref);
  g_free (self->path);
  G_OBJECT_CLASS (oxp_checkpoint_parent_class)->finalize (object);
}

static void
oxp_checkpoint_get_property (GObject *object, guint prop_id, GValue *value, GParamSpec *pspec)
{
  OxpCheckpoint *self = OXP_CHECKPOINT (object);

  switch (prop_id)
    {
    case PROP_PATH:
      g_value_set_string (value, self->path);
      break;
    case PROP_MODEL_TYPE:
      g_value_set_string (value, self->model_type);
      break;
    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
oxp_checkpoint_class_init (OxpCheckpointClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);

  object_class->finalize = oxp_checkpoint_finalize;
  object_class->get_property = oxp_checkpoint_get_property;

  /**
   * OxpCheckpoint:path:
   *
   * The model folder, or the file for oxp_checkpoint_open_safetensors().
   */
  properties[PROP_PATH]
      = g_param_spec_string ("path", NULL, NULL, NULL, G_PARAM_READABLE | G_PARAM_STATIC_STRINGS);
  /**
   * OxpCheckpoint:model-type:
   *
   * `model_type` of config.json; %NULL without a config.
   */
  properties[PROP_MODEL_TYPE] = g_param_spec_string ("model-type", NULL, NULL, NULL,
                                                     G_PARAM_READABLE | G_PARAM_STATIC_STRINGS);
  g_object_class_install_properties (object_class, N_PROPS, properties);
}

static void
oxp_checkpoint_init (OxpCheckpoint *self)
{
  self->shards = g_ptr_array_new_with_free_func ((GDestroyNotify)shard_free);
  self->order = g_ptr_array_new ();
  self->by_name = g_hash_table_new (g_str_hash, g_str_equal);
}

/* Opens @path for reading only if it is a regular file.  O_NONBLOCK makes
 * the open of a FIFO return at once instead of waiting for a writer, and
 * fstat() of what was opened (not of the name) decides; a device such as
 * /dev/zero would otherwise be read until memory runs out. */
static gboolean
refuse_special (const char *path, const struct stat *st, GError **error)
{
  if (S_ISREG (st->st_mode))
    return TRUE;
  g_set_error (error, OXP_CHECKPOINT_ERROR, OXP_CHECKPOINT_ERROR_IO,
               "%s: not a regular file (%s): oxport reads only regular files from a model "
               "folder",
               path,
               S_ISDIR (st->st_mode)    ? "a folder"
               : S_ISFIFO (st->st_mode) ? "a named pipe"
               : S_ISCHR (st->st_mode)  ? "a character device"
               : S_ISBLK (st->st_mode)  ? "a block device"
               : S_ISSOCK (st->st_mode) ? "a socket"
                                        : "a special file");
  return FALSE;
}

static int
open_regular (const char *path, struct stat *st, gint not_found_code, GError **error)
{
  int fd;
  int saved;

  /* A device is not even opened (opening some has effects); the fstat()
   * below decides in case the name changed in between. */
  if (stat (path, st) == 0 && !refuse_special (path, st, error))
    return -1;
  fd = g_open (path, O_RDONLY | O_NONBLOCK | O_NOCTTY | O_CLOEXEC, 0);
  if (fd < 0)
    {
      saved = errno;
      g_set_error (error, OXP_CHECKPOINT_ERROR,
                   saved == ENOENT ? not_found_code : OXP_CHECKPOINT_ERROR_IO,
                   "%s: cannot open: %s", path, g_strerror (saved));
      return -1;
    }
  if (fstat (fd, st) != 0)
    {
      saved = errno;
      close (fd);
      g_set_error (error, OXP_CHECKPOINT_ERROR, OXP_CHECKPOINT_ERROR_IO, "%s: cannot stat: %s",
                   path, g_strerror (saved));
      return -1;
    }
  if (!refuse_special (path, st, error))
    {
      close (fd);
      return -1;
    }
  /* Regular: reads never block, and the writer's pread/copy paths want
   * ordinary blocking semantics. */
  fcntl (fd, F_SETFL, fcntl (fd, F_GETFL) & ~O_NONBLOCK);
  return fd;
}

/* Reads a whole JSON side file (config.json, the shard index), refusing
 * anything but a regular file of at most OXP_JSON_MAX_FILE_SIZE bytes. */
static char *
read_json_file (const char *path, gint code, gsize *length, GError **error)
{
  g_autofree char *contents = NULL;
  struct stat st;
  gsize done = 0;
  int fd;

  fd = open_regular (path, &st, code, error);
  if (fd < 0)
    return NULL;
  if ((guint64)st.st_size > OXP_JSON_MAX_FILE_SIZE)
    {
      close (fd);
      g_set_error (error, OXP_CHECKPOINT_ERROR, code,
                   "%s: %" G_GUINT64_FORMAT " bytes, above the limit of %u MiB for this file "
                   "(a real one is a few kB)",
                   path, (guint64)st.st_size, (guint)(OXP_JSON_MAX_FILE_SIZE >> 20));
      return NULL;
    }
  /* One byte more than the size: a file that grows is caught too. */
  contents = g_malloc ((gsize)st.st_size + 2);
  for (;;)
    {
      ssize_t n = read (fd, contents + done, (gsize)st.st_size + 1 - done);

      if (n < 0 && errno == EINTR)
        continue;
      if (n < 0)
        {
          int saved = errno;
          close (fd);
          g_set_error (error, OXP_CHECKPOINT_ERROR, OXP_CHECKPOINT_ERROR_IO, "%s: cannot read: %s",
                       path, g_strerror (saved));
          return NULL;
        }
      if (n == 0)
        break;
      done += (gsize)n;
      if (done > (gsize)st.st_size)
        {
          close (fd);
          g_set_error (error, OXP_CHECKPOINT_ERROR, OXP_CHECKPOINT_ERROR_IO,
                       "%s: changed while it was being read", path);
          return NULL;
        }
    }
  close (fd);
  contents[done] = '\0';
  *length = done;
  return g_steal_pointer (&contents);
}

/* Maps and validates one safetensors file. */
static Shard *
shard_open (const char *path, GError **error)
{
  g_autoptr (Shard) shard = g_new0 (Shard, 1);
  g_autoptr (GError) local_error = NULL;
  const guint8 *data;
  struct stat st;
  gsize size;
  int fd;

  shard->path = g_strdup (path);
  if (g_file_test (path, G_FILE_TEST_IS_DIR))
    {
      g_set_error (error, OXP_CHECKPOINT_ERROR, OXP_CHECKPOINT_ERROR_IO,
                   "%s: is a folder, expected a safetensors file", path);
      return NULL;
    }
  fd = open_regular (path, &st, OXP_CHECKPOINT_ERROR_NOT_FOUND, error);
  if (fd < 0)
    return NULL;
  shard->map = g_mapped_file_new_from_fd (fd, FALSE, &local_error);
  close (fd);
  if (shard->map == NULL)
    {
      g_set_error (error, OXP_CHECKPOINT_ERROR, OXP_CHECKPOINT_ERROR_IO,
                   "%s: cannot map the file: %s", path, local_error->message);
      return NULL;
    }
  data = (const guint8 *)g_mapped_file_get_contents (shard->map);
  size = g_mapped_file_get_length (shard->map);
  shard->header = _oxp_safetensors_parse (data, size, path, error);
  if (shard->header == NULL)
    return NULL;

  shard->tensors = g_new0 (OxpCheckpointTensor, MAX (shard->header->entries->len, 1));
  for (guint i = 0; i < shard->header->entries->len; i++)
    {
      const OxpSafetensorsEntry *e = g_ptr_array_index (shard->header->entries, i);

      shard->tensors[i].entry = e;
      shard->tensors[i].data = data + shard->header->data_offset + e->begin;
      shard->tensors[i].file = shard->path;
    }
  return g_steal_pointer (&shard);
}

/* Adds a shard's tensors; a name already held by another shard is an error. */
static gboolean
add_shard (OxpCheckpoint *self, Shard *shard, GError **error)
{
  g_ptr_array_add (self->shards, shard);
  for (guint i = 0; i < shard->header->entries->len; i++)
    {
      OxpCheckpointTensor *t = &shard->tensors[i];
      OxpCheckpointTensor *other = g_hash_table_lookup (self->by_name, t->entry->name);

      if (other != NULL)
        {
          g_set_error (error, OXP_CHECKPOINT_ERROR, OXP_CHECKPOINT_ERROR_DUPLICATE,
                       "tensor '%s' is in two shards: %s and %s", t->entry->name, other->file,
                       t->file);
          return FALSE;
        }
      g_hash_table_insert (self->by_name, t->entry->name, t);
      g_ptr_array_add (self->order, t);
      self->n_parameters += t->entry->n_elements;
    }
  return TRUE;
}

static gboolean
load_config (OxpCheckpoint *self, GError **error)
{
  g_autofree char *path = g_build_filename (self->path, "config.json", NULL);
  g_autofree char *contents = NULL;
  gsize length;

  if (!g_file_test (path, G_FILE_TEST_EXISTS) && !g_file_test (path, G_FILE_TEST_IS_SYMLINK))
    {
      g_set_error (error, OXP_CHECKPOINT_ERROR, OXP_CHECKPOINT_ERROR_CONFIG,
                   "%s: missing: a model folder needs a config.json with its \"model_type\"", path);
      return FALSE;
    }
  contents = read_json_file (path, OXP_CHECKPOINT_ERROR_CONFIG, &length, error);
  if (contents == NULL)
    return FALSE;
  self->config = _oxp_checkpoint_config_parse (contents, length, path, &self->model_type, error);
  return self->config != NULL;
}

static gint
compare_strings (gconstpointer a, gconstpointer b)
{
  return strcmp (*(const char *const *)a, *(const char *const *)b);
}

/* Names of the folder's entries, sorted so that errors are reproducible. */
static GPtrArray *
list_folder (const char *dir, GError **error)
{
  g_autoptr (GDir) d = NULL;
  g_autoptr (GError) local_error = NULL;
  g_autoptr (GPtrArray) names = g_ptr_array_new_with_free_func (g_free);
  const char *name;

  d = g_dir_open (dir, 0, &local_error);
  if (d == NULL)
    {
      g_set_error (error, OXP_CHECKPOINT_ERROR, OXP_CHECKPOINT_ERROR_IO, "%s: cannot list: %s", dir,
                   local_error->message);
      return NULL;
    }
  while ((name = g_dir_read_name (d)) != NULL)
    g_ptr_array_add (names, g_strdup (name));
  g_ptr_array_sort (names, compare_strings);
  return g_steal_pointer (&names);
}

static gboolean
is_shard_name (const char *name)
{
  return g_str_has_prefix (name, "model-") && strstr (name, "-of-") != NULL
         && g_str_has_suffix (name, ".safetensors");
}

/* The weight formats of other frameworks, which oxport does not read, and
 * how transformers loads each to save it again as safetensors. */
typedef struct
{
  const char *suffix;
  const char *format;
  const char *load;
} ForeignFormat;

static const ForeignFormat foreign_formats[] = {
  { ".bin", "PyTorch pickle", "AutoModel.from_pretrained(dir)" },
  { ".pt", "PyTorch pickle", "AutoModel.from_pretrained(dir)" },
  { ".pth", "PyTorch pickle", "AutoModel.from_pretrained(dir)" },
  { ".ckpt", "PyTorch pickle", "AutoModel.from_pretrained(dir)" },
  { ".h5", "TensorFlow HDF5", "AutoModel.from_pretrained(dir, from_tf=True)" },
  { ".msgpack", "Flax msgpack", "AutoModel.from_pretrained(dir, from_flax=True)" },
};

/* Trainer state saved next to the weights: never the weights themselves. */
static gboolean
is_trainer_file (const char *name)
{
  return strcmp (name, "training_args.bin") == 0 || g_str_has_prefix (name, "optimizer.")
         || g_str_has_prefix (name, "scheduler.") || g_str_has_prefix (name, "scaler.")
         || g_str_has_prefix (name, "rng_state");
}

/* The foreign weight file of the folder, preferring the names transformers
 * writes (pytorch_model.bin, tf_model.h5, …). */
static const ForeignFormat *
find_foreign_weights (GPtrArray *names, const char **file)
{
  static const char *const preferred[] = { "pytorch_model", "model", "tf_model", "flax_model" };

  for (int pass = 0; pass < 2; pass++)
    for (guint i = 0; i < names->len; i++)
      {
        const char *name = names->pdata[i];
        gboolean is_preferred = FALSE;

        for (gsize p = 0; p < G_N_ELEMENTS (preferred); p++)
          is_preferred |= g_str_has_prefix (name, preferred[p]);
        if ((pass == 0 && !is_preferred) || is_trainer_file (name))
          continue;
        for (gsize f = 0; f < G_N_ELEMENTS (foreign_formats); f++)
          if (g_str_has_suffix (name, foreign_formats[f].suffix))
            {
              *file = name;
              return &foreign_formats[f];
            }
      }
  return NULL;
}

/* No model.safetensors and no index: explains what the folder holds instead. */
static void
set_no_weights_error (const char *dir, GError **error)
{
  g_autoptr (GPtrArray) names = list_folder (dir, error);
  const ForeignFormat *foreign;
  const char *file = NULL;

  if (names == NULL)
    return;
  for (guint i = 0; i < names->len; i++)
    if (is_shard_name (names->pdata[i]))
      {
        g_set_error (error, OXP_CHECKPOINT_ERROR, OXP_CHECKPOINT_ERROR_INDEX,
                     "%s: sharded weights (%s) without model.safetensors.index.json: the "
                     "index is needed to know which shard holds which tensor",
                     dir, (const char *)names->pdata[i]);
        return;
      }
  foreign = find_foreign_weights (names, &file);
  if (foreign != NULL)
    {
      g_set_error (error, OXP_CHECKPOINT_ERROR, OXP_CHECKPOINT_ERROR_UNSUPPORTED_FORMAT,
                   "%s: the weights are only in %s (%s format), which oxport does not read: "
                   "it needs safetensors (model.safetensors, or "
                   "model-0000K-of-0000N.safetensors shards with model.safetensors.index.json). "
                   "Convert them with transformers: model = %s; "
                   "model.save_pretrained(dir, safe_serialization=True)",
                   dir, file, foreign->format, foreign->load);
      return;
    }
  g_set_error (error, OXP_CHECKPOINT_ERROR, OXP_CHECKPOINT_ERROR_NOT_FOUND,
               "%s: no weights: expected model.safetensors, or model.safetensors.index.json "
               "with its shards",
               dir);
}

static gboolean
load_sharded (OxpCheckpoint *self, const char *index_path, GError **error)
{
  g_autofree char *contents = NULL;
  g_autoptr (GHashTable) weight_map = NULL;
  g_autoptr (GHashTable) shard_names = g_hash_table_new (g_str_hash, g_str_equal);
  g_autoptr (GPtrArray) sorted = g_ptr_array_new ();
  g_autoptr (GPtrArray) tensor_names = NULL;
  GHashTableIter iter;
  gpointer key;
  gsize length;

  contents = read_json_file (index_path, OXP_CHECKPOINT_ERROR_INDEX, &length, error);
  if (contents == NULL)
    return FALSE;
  weight_map = _oxp_safetensors_index_parse (contents, length, index_path, error);
  if (weight_map == NULL)
    return FALSE;

  /* Shards in file-name order (model-00001-of-… first); the first tensor
   * naming each shard is kept for the error message of a missing one. */
  tensor_names = g_ptr_array_new ();
  g_hash_table_iter_init (&iter, weight_map);
  while (g_hash_table_iter_next (&iter, &key, NULL))
    g_ptr_array_add (tensor_names, key);
  g_ptr_array_sort (tensor_names, compare_strings);
  for (guint i = 0; i < tensor_names->len; i++)
    {
      const char *shard = g_hash_table_lookup (weight_map, tensor_names->pdata[i]);

      if (g_hash_table_insert (shard_names, (gpointer)shard, tensor_names->pdata[i]))
        g_ptr_array_add (sorted, (gpointer)shard);
    }
  g_ptr_array_sort (sorted, compare_strings);
  if (sorted->len == 0)
    {
      g_set_error (error, OXP_CHECKPOINT_ERROR, OXP_CHECKPOINT_ERROR_INDEX,
                   "%s: \"weight_map\" is empty: it lists no tensor and no shard", index_path);
      return FALSE;
    }

  for (guint i = 0; i < sorted->len; i++)
    {
      const char *name = sorted->pdata[i];
      g_autofree char *path = g_build_filename (self->path, name, NULL);
      Shard *shard;

      if (!g_file_test (path, G_FILE_TEST_EXISTS))
        {
          g_set_error (error, OXP_CHECKPOINT_ERROR, OXP_CHECKPOINT_ERROR_INDEX,
                       "%s: points at shard %s (for tensor '%s'), which is missing from %s",
                       index_path, name, (const char *)g_hash_table_lookup (shard_names, name),
                       self->path);
          return FALSE;
        }
      shard = shard_open (path, error);
      if (shard == NULL || !add_shard (self, shard, error))
        return FALSE;
    }

  /* The index and the shards must agree both ways. */
  for (guint i = 0; i < self->order->len; i++)
    {
      const OxpCheckpointTensor *t = self->order->pdata[i];
      const char *listed = g_hash_table_lookup (weight_map, t->entry->name);
      g_autofree char *base = g_path_get_basename (t->file);

      if (listed == NULL)
        {
          g_set_error (error, OXP_CHECKPOINT_ERROR, OXP_CHECKPOINT_ERROR_INDEX,
                       "%s: tensor '%s' of shard %s is missing from the index", index_path,
                       t->entry->name, base);
          return FALSE;
        }
      if (strcmp (listed, base) != 0)
        {
          g_set_error (error, OXP_CHECKPOINT_ERROR, OXP_CHECKPOINT_ERROR_INDEX,
                       "%s: says tensor '%s' is in %s, but it is in %s", index_path, t->entry->name,
                       listed, base);
          return FALSE;
        }
    }
  for (guint i = 0; i < tensor_names->len; i++)
    if (!g_hash_table_contains (self->by_name, tensor_names->pdata[i]))
      {
        g_set_error (error, OXP_CHECKPOINT_ERROR, OXP_CHECKPOINT_ERROR_INDEX,
                     "%s: points at tensor '%s' in %s, which that shard does not hold", index_path,
                     (const char *)tensor_names->pdata[i],
                     (const char *)g_hash_table_lookup (weight_map, tensor_names->pdata[i]));
        return FALSE;
      }
  return TRUE;
}

/* config.json values that the weights themselves contradict, checked once
 * both are read: a plugin trusting the config would build a wrong graph
 * (type_vocab_size 0 with a token-type table drops the table). */
static gboolean
check_config_against_weights (OxpCheckpoint *self, GError **error)
{
  JsonNode *node = json_object_get_member (self->config, "type_vocab_size");

  if (node == NULL || !JSON_NODE_HOLDS_VALUE (node)
      || json_node_get_value_type (node) != G_TYPE_INT64)
    return TRUE;
  for (guint i = 0; i < self->order->len; i++)
    {
      const OxpCheckpointTensor *t = self->order->pdata[i];

      if (g_str_has_suffix (t->entry->name, "token_type_embeddings.weight") && t->entry->rank == 2
          && t->entry->shape[0] != json_node_get_int (node))
        {
          g_set_error (error, OXP_CHECKPOINT_ERROR, OXP_CHECKPOINT_ERROR_CONFIG,
                       "%s/config.json: \"type_vocab_size\" is %" G_GINT64_FORMAT
                       ", but tensor '%s' of %s has %" G_GINT64_FORMAT " token types",
                       self->path, json_node_get_int (node), t->entry->name, t->file,
                       t->entry->shape[0]);
          return FALSE;
        }
    }
  return TRUE;
}

/**
 * oxp_checkpoint_open:
 * @dir: a model folder
 * @error: return location for an error in %OXP_CHECKPOINT_ERROR
 *
 * Opens a model folder: reads config.json and maps and validates every
 * weight file. A folder with `model.safetensors` uses it; otherwise
 * `model.safetensors.index.json` lists the shards.
 *
 * Returns: (transfer full): the checkpoint, or %NULL with @error set
 */
OxpCheckpoint *
oxp_checkpoint_open (const char *dir, GError **error)
{
  g_autoptr (OxpCheckpoint) self = NULL;
  g_autofree char *single = NULL;
  g_autofree char *index = NULL;

  g_return_val_if_fail (dir != NULL, NULL);
  g_return_val_if_fail (error == NULL || *error == NULL, NULL);

  if (!g_file_test (dir, G_FILE_TEST_IS_DIR))
    {
      g_set_error (error, OXP_CHECKPOINT_ERROR, OXP_CHECKPOINT_ERROR_NOT_FOUND,
                   g_file_test (dir, G_FILE_TEST_EXISTS)
                       ? "%s: not a folder: a model is a folder with config.json and "
                         "model.safetensors"
                       : "%s: no such model folder",
                   dir);
      return NULL;
    }

  self = g_object_new (OXP_TYPE_CHECKPOINT, NULL);
  self->path = g_strdup (dir);
  if (!load_config (self, error))
    return NULL;

  single = g_build_filename (dir, "model.safetensors", NULL);
  index = g_build_filename (dir, "model.safetensors.index.json", NULL);
  if (g_file_test (single, G_FILE_TEST_EXISTS))
    {
      Shard *shard = shard_open (single, error);

      if (shard == NULL || !add_shard (self, shard, error))
        return NULL;
    }
  else if (g_file_test (index, G_FILE_TEST_EXISTS))
    {
      if (!load_sharded (self, index, error))
        return NULL;
    }
  else
    {
      set_no_weights_error (dir, error);
      return NULL;
    }
  if (!check_config_against_weights (self, error))
    return NULL;
  return g_steal_pointer (&self);
}

/**
 * oxp_checkpoint_open_safetensors:
 * @path: a .safetensors file
 * @error: return location for an error in %OXP_CHECKPOINT_ERROR
 *
 * Maps and validates one safetensors file on its own, without config.json
 * (reference vectors, for instance).
 *
 * Returns: (transfer full): the checkpoint, or %NULL with @error set
 */
OxpCheckpoint *
oxp_checkpoint_open_safetensors (const char *path, GError **error)
{
  g_autoptr (OxpCheckpoint) self = NULL;
  Shard *shard;

  g_return_val_if_fail (path != NULL, NULL);
  g_return_val_if_fail (error == NULL || *error == NULL, NULL);

  if (!g_file_test (path, G_FILE_TEST_EXISTS))
    {
      g_set_error (error, OXP_CHECKPOINT_ERROR, OXP_CHECKPOINT_ERROR_NOT_FOUND,
                   "%s: no such safetensors file", path);
      return NULL;
    }
  self = g_object_new (OXP_TYPE_CHECKPOINT, NULL);
  self->path = g_strdup (path);
  shard = shard_open (path, error);
  if (shard == NULL || !add_shard (self, shard, error))
    return NULL;
  return g_steal_pointer (&self);
}

/**
 * oxp_checkpoint_get_path:
 * @self: a checkpoint
 *
 * The path the checkpoint was opened from, as given: what error messages
 * name.
 *
 * Returns: (transfer none): the folder (or file) it was opened from
 */
const char *
oxp_checkpoint_get_path (OxpCheckpoint *self)
{
  g_return_val_if_fail (OXP_IS_CHECKPOINT (self), NULL);
  return self->path;
}

/**
 * oxp_checkpoint_get_config:
 * @self: a checkpoint
 *
 * The parsed config.json of a model folder, validated to be a JSON object.
 *
 * Returns: (transfer none) (nullable): config.json, %NULL for a checkpoint
 *   from oxp_checkpoint_open_safetensors()
 */
JsonObject *
oxp_checkpoint_get_config (OxpCheckpoint *self)
{
  g_return_val_if_fail (OXP_IS_CHECKPOINT (self), NULL);
  return self->config;
}

/**
 * oxp_checkpoint_get_model_type:
 * @self: a checkpoint
 *
 * The checkpoint's model type, the key the registry finds the plugin by;
 * oxp_checkpoint_open() fails with %OXP_CHECKPOINT_ERROR_NO_MODEL_TYPE when
 * config.json has none, so it is %NULL only for a safetensors file alone.
 *
 * Returns: (transfer none) (nullable): `model_type` of config.json
 */
const char *
oxp_checkpoint_get_model_type (OxpCheckpoint *self)
{
  g_return_val_if_fail (OXP_IS_CHECKPOINT (self), NULL);
  return self->model_type;
}

/**
 * oxp_checkpoint_get_n_tensors:
 * @self: a checkpoint
 *
 * The number of tensors, counted over every shard; index them with
 * oxp_checkpoint_get_nth().
 *
 * Returns: the number of tensors in all its files
 */
guint
oxp_checkpoint_get_n_tensors (OxpCheckpoint *self)
{
  g_return_val_if_fail (OXP_IS_CHECKPOINT (self), 0);
  return self->order->len;
}

/**
 * oxp_checkpoint_get_nth:
 * @self: a checkpoint
 * @i: an index below oxp_checkpoint_get_n_tensors()
 *
 * Tensors in file order: shard by shard (in file-name order), and by data
 * offset within a file.
 *
 * Returns: (transfer none): the @i-th tensor
 */
const OxpCheckpointTensor *
oxp_checkpoint_get_nth (OxpCheckpoint *self, guint i)
{
  g_return_val_if_fail (OXP_IS_CHECKPOINT (self), NULL);
  g_return_val_if_fail (i < self->order->len, NULL);
  return self->order->pdata[i];
}

/**
 * oxp_checkpoint_lookup:
 * @self: a checkpoint
 * @name: a tensor name
 *
 * Finds a tensor by its safetensors name, in any shard, for weights that are
 * optional (a bias, a tied head).  Use oxp_checkpoint_get_tensor() or
 * oxp_checkpoint_expect_tensor() for weights the graph needs.
 *
 * Returns: (transfer none) (nullable): the tensor, %NULL when absent
 */
const OxpCheckpointTensor *
oxp_checkpoint_lookup (OxpCheckpoint *self, const char *name)
{
  g_return_val_if_fail (OXP_IS_CHECKPOINT (self), NULL);
  g_return_val_if_fail (name != NULL, NULL);
  return g_hash_table_lookup (self->by_name, name);
}

/**
 * oxp_checkpoint_get_tensor:
 * @self: a checkpoint
 * @name: a tensor name
 * @error: return location for %OXP_CHECKPOINT_ERROR_MISSING_TENSOR
 *
 * Finds a tensor the export needs; when it is absent the error
 * (%OXP_CHECKPOINT_ERROR_MISSING_TENSOR) names the tensor and the folder.
 *
 * Returns: (transfer none): the tensor, or %NULL with @error set
 */
const OxpCheckpointTensor *
oxp_checkpoint_get_tensor (OxpCheckpoint *self, const char *name, GError **error)
{
  const OxpCheckpointTensor *t;

  g_return_val_if_fail (OXP_IS_CHECKPOINT (self), NULL);
  g_return_val_if_fail (name != NULL, NULL);
  g_return_val_if_fail (error == NULL || *error == NULL, NULL);

  t = g_hash_table_lookup (self->by_name, name);
  if (t == NULL)
    g_set_error (error, OXP_CHECKPOINT_ERROR, OXP_CHECKPOINT_ERROR_MISSING_TENSOR,
                 "tensor '%s' is not in the checkpoint %s (%u tensors)", name, self->path,
                 self->order->len);
  return t;
}

static char *
format_expected_shape (const gint64 *shape, guint rank)
{
  GString *s = g_string_new ("[");

  for (guint i = 0; i < rank; i++)
    {
      if (i > 0)
        g_string_append (s, ", ");
      if (shape[i] < 0)
        g_string_append_c (s, '*');
      else
        g_string_append_printf (s, "%" G_GINT64_FORMAT, shape[i]);
    }
  g_string_append_c (s, ']');
  return g_string_free (s, FALSE);
}

/**
 * oxp_checkpoint_expect_tensor:
 * @self: a checkpoint
 * @name: a tensor name
 * @shape: (array length=rank) (nullable): the expected shape; -1 matches any size
 * @rank: the expected rank
 * @error: return location for an error in %OXP_CHECKPOINT_ERROR
 *
 * Like oxp_checkpoint_get_tensor(), and checks the shape:
 * %OXP_CHECKPOINT_ERROR_TENSOR_SHAPE names the expected and found shapes.
 *
 * Returns: (transfer none): the tensor, or %NULL with @error set
 */
const OxpCheckpointTensor *
oxp_checkpoint_expect_tensor (OxpCheckpoint *self, const char *name, const gint64 *shape,
                              guint rank, GError **error)
{
  const OxpCheckpointTensor *t;
  gboolean match;

  g_return_val_if_fail (OXP_IS_CHECKPOINT (self), NULL);
  g_return_val_if_fail (shape != NULL || rank == 0, NULL);

  t = oxp_checkpoint_get_tensor (self, name, error);
  if (t == NULL)
    return NULL;
  match = t->entry->rank == rank;
  for (guint i = 0; match && i < rank; i++)
    match = shape[i] < 0 || shape[i] == t->entry->shape[i];
  if (!match)
    {
      g_autofree char *expected = format_expected_shape (shape, rank);
      g_autofree char *found = format_expected_shape (t->entry->shape, t->entry->rank);

      g_set_error (error, OXP_CHECKPOINT_ERROR, OXP_CHECKPOINT_ERROR_TENSOR_SHAPE,
                   "%s: tensor '%s' has shape %s, expected %s", t->file, name, found, expected);
      return NULL;
    }
  return t;
}

/**
 * oxp_checkpoint_expect_float_tensor:
 * @self: a checkpoint
 * @name: a tensor name
 * @shape: (array length=rank) (nullable): the expected shape; -1 matches any size
 * @rank: the expected rank
 * @error: return location for an error in %OXP_CHECKPOINT_ERROR
 *
 * Like oxp_checkpoint_expect_tensor(), and checks that the tensor is
 * floating point: an integer weight would otherwise be written as it is and
 * only refused later, by ONNX Runtime, without naming the tensor.
 *
 * Returns: (transfer none): the tensor, or %NULL with @error set
 */
const OxpCheckpointTensor *
oxp_checkpoint_expect_float_tensor (OxpCheckpoint *self, const char *name, const gint64 *shape,
                                    guint rank, GError **error)
{
  const OxpCheckpointTensor *t = oxp_checkpoint_expect_tensor (self, name, shape, rank, error);
  OxpDataType dtype;

  if (t == NULL)
    return NULL;
  dtype = oxp_checkpoint_tensor_get_dtype (t);
  if (dtype != OXP_DATA_TYPE_FLOAT && dtype != OXP_DATA_TYPE_FLOAT16
      && dtype != OXP_DATA_TYPE_BFLOAT16 && dtype != OXP_DATA_TYPE_DOUBLE)
    {
      g_set_error (error, OXP_CHECKPOINT_ERROR, OXP_CHECKPOINT_ERROR_TENSOR_SHAPE,
                   "%s: tensor '%s' is %s, expected a floating-point weight (F32, F16 or BF16)",
                   t->file, name, oxp_data_type_to_string (dtype));
      return NULL;
    }
  return t;
}

/**
 * oxp_checkpoint_get_n_parameters:
 * @self: a checkpoint
 *
 * The sum of the element counts of all tensors, as the CLI and the export
 * result report the model's size.
 *
 * Returns: the sum of the element counts of all tensors
 */
guint64
oxp_checkpoint_get_n_parameters (OxpCheckpoint *self)
{
  g_return_val_if_fail (OXP_IS_CHECKPOINT (self), 0);
  return self->n_parameters;
}

/**
 * oxp_checkpoint_tensor_get_name:
 * @t: a checkpoint tensor
 *
 * The tensor's key in the safetensors header ("encoder.layer.0.attention.self.query.weight").
 *
 * Returns: (transfer none): the name, valid while the checkpoint lives
 */
const char *
oxp_checkpoint_tensor_get_name (const OxpCheckpointTensor *t)
{
  g_return_val_if_fail (t != NULL, NULL);
  return t->entry->name;
}

/**
 * oxp_checkpoint_tensor_get_dtype:
 * @t: a checkpoint tensor
 *
 * The element type in the file ("F32", "F16", "BF16", … mapped to
 * #OxpDataType).
 *
 * Returns: the element type
 */
OxpDataType
oxp_checkpoint_tensor_get_dtype (const OxpCheckpointTensor *t)
{
  g_return_val_if_fail (t != NULL, OXP_DATA_TYPE_UNDEFINED);
  return t->entry->dtype;
}

/**
 * oxp_checkpoint_tensor_get_rank:
 * @t: a checkpoint tensor
 *
 * The number of dims of the tensor's shape in the header.
 *
 * Returns: the rank, 0 for a scalar
 */
guint
oxp_checkpoint_tensor_get_rank (const OxpCheckpointTensor *t)
{
  g_return_val_if_fail (t != NULL, 0);
  return t->entry->rank;
}

/**
 * oxp_checkpoint_tensor_get_shape:
 * @t: a checkpoint tensor
 *
 * The shape in the safetensors header, outermost first.
 *
 * Returns: (transfer none) (array) (nullable): the dims, %NULL for a scalar
 */
const gint64 *
oxp_checkpoint_tensor_get_shape (const OxpCheckpointTensor *t)
{
  g_return_val_if_fail (t != NULL, NULL);
  return t->entry->shape;
}

/**
 * oxp_checkpoint_tensor_get_n_elements:
 * @t: a checkpoint tensor
 *
 * The product of the dims; the header was checked to match the byte range.
 *
 * Returns: the element count
 */
gsize
oxp_checkpoint_tensor_get_n_elements (const OxpCheckpointTensor *t)
{
  g_return_val_if_fail (t != NULL, 0);
  return (gsize)t->entry->n_elements;
}

/**
 * oxp_checkpoint_tensor_get_data:
 * @t: a checkpoint tensor
 *
 * The bytes in the memory map: little-endian, row-major. safetensors does
 * not promise alignment, so read elements with memcpy().
 *
 * Returns: (transfer none): the data
 */
gconstpointer
oxp_checkpoint_tensor_get_data (const OxpCheckpointTensor *t)
{
  g_return_val_if_fail (t != NULL, NULL);
  return t->data;
}

/**
 * oxp_checkpoint_tensor_get_size:
 * @t: a checkpoint tensor
 *
 * The size of the tensor's byte range in the file: element count × element
 * size.
 *
 * Returns: the size in bytes
 */
gsize
oxp_checkpoint_tensor_get_size (const OxpCheckpointTensor *t)
{
  g_return_val_if_fail (t != NULL, 0);
  return (gsize)(t->entry->end - t->entry->begin);
}

/**
 * oxp_checkpoint_tensor_get_file:
 * @t: a checkpoint tensor
 *
 * The safetensors file (the shard) that holds the tensor, for messages.
 *
 * Returns: (transfer none): the file's path
 */
const char *
oxp_checkpoint_tensor_get_file (const OxpCheckpointTensor *t)
{
  g_return_val_if_fail (t != NULL, NULL);
  return t->file;
}

/**
 * oxp_checkpoint_tensor_to_tensor:
 * @t: a checkpoint tensor
 *
 * Copies the tensor into memory, in host byte order.
 *
 * Returns: (transfer full): a new #OxpTensor
 */
OxpTensor *
oxp_checkpoint_tensor_to_tensor (const OxpCheckpointTensor *t)
{
  g_autoptr (GBytes) bytes = NULL;
  gsize size;

  g_return_val_if_fail (t != NULL, NULL);

  size = (gsize)(t->entry->end - t->entry->begin);
#if G_BYTE_ORDER == G_BIG_ENDIAN
  {
    guint8 *copy = g_memdup2 (t->data, size);
    gsize w = t->entry->element_size;

    for (gsize i = 0; w > 1 && i < size; i += w)
      for (gsize j = 0; j < w / 2; j++)
        {
          guint8 tmp = copy[i + j];
          copy[i + j] = copy[i + w - 1 - j];
          copy[i + w - 1 - j] = tmp;
        }
    bytes = g_bytes_new_take (copy, size);
  }
#else
  bytes = g_bytes_new (t->data, size);
#endif
  return oxp_tensor_new_from_bytes (t->entry->name, t->entry->dtype, t->entry->shape,
                                    t->entry->rank, bytes);
}
