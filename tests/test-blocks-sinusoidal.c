/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* oxp_block_sinusoidal_positions() in ONNX Runtime against the table
 * transformers' MarianSinusoidalPositionalEmbedding builds (numpy, float64,
 * then float32), written out here from its definition: entry (p, c) is
 * p / 10000^(2·⌊c/2⌋/dim); sin of the even columns fill the first half,
 * cos of the odd ones the second. */

#include "config.h"

#include <math.h>
#include <string.h>

#include <glib/gstdio.h>

#include <oxport/oxport.h>

#include "oxp-test-utils.h"

static OxpRuntime *runtime;
static char *workdir;

typedef struct
{
  const char *path;
  gint64 dim;
  gint64 positions[8];
  guint n_positions;
  OxpDataType float_type;
  double atol;
} SinusoidalCase;

/* float32 of transformers' table row @p. */
static float
reference (gint64 p, gint64 col, gint64 dim)
{
  gint64 sentinel = dim % 2 == 0 ? dim / 2 : dim / 2 + 1;
  gint64 source = col < sentinel ? 2 * col : 2 * (col - sentinel) + 1;
  double angle = (double)p / pow (10000.0, 2.0 * (double)(source / 2) / (double)dim);

  return (float)(col < sentinel ? sin (angle) : cos (angle));
}

static void
test_table (gconstpointer data)
{
  const SinusoidalCase *c = data;
  g_autoptr (GError) error = NULL;
  g_autoptr (OxpGraph) graph = oxp_graph_new ("sinusoidal", 17);
  g_autoptr (OxpTensorSpec) in_spec
      = oxp_tensor_spec_new ("position_ids", OXP_DATA_TYPE_INT64, "batch,sequence");
  g_autoptr (OxpTensorSpec) out_spec = NULL;
  g_autoptr (OxpOnnxWriter) writer = oxp_onnx_writer_new ();
  g_autoptr (OxpRuntimeSession) session = NULL;
  g_autoptr (GPtrArray) feeds = g_ptr_array_new_with_free_func ((GDestroyNotify)oxp_tensor_unref);
  g_autoptr (GPtrArray) outputs = NULL;
  g_autofree char *path = NULL;
  const gint64 shape[2] = { 1, c->n_positions };
  OxpTensor *ids, *got;
  const char *y;
  double max_diff = 0;

  oxp_graph_set_float_type (graph, c->float_type);
  y = oxp_block_sinusoidal_positions (graph, oxp_graph_add_input (graph, in_spec), c->dim, &error);
  g_assert_no_error (error);
  out_spec = oxp_tensor_spec_new_rank ("y", c->float_type, 3);
  oxp_graph_add_output (graph, out_spec);
  oxp_graph_bind_output (graph, "y", y, &error);
  g_assert_no_error (error);
  path = g_strdup_printf ("%s/%" G_GINT64_FORMAT "-%d.onnx", workdir, c->dim, c->float_type);
  oxp_onnx_writer_write (writer, graph, path, &error);
  g_assert_no_error (error);

  if (runtime == NULL)
    {
      g_test_skip ("OXPORT_ONNXRUNTIME is not set: no ONNX Runtime to run the block with");
      return;
    }
  ids = oxp_tensor_new ("position_ids", OXP_DATA_TYPE_INT64, shape, 2);
  memcpy (oxp_tensor_get_mutable_data (ids), c->positions, c->n_positions * sizeof (gint64));
  g_ptr_array_add (feeds, ids);
  session = oxp_runtime_open_session (runtime, path, &error);
  g_assert_no_error (error);
  outputs = oxp_runtime_session_run (session, feeds, &error);
  g_assert_no_error (error);
  got = g_ptr_array_index (outputs, 0);

  g_assert_cmpint (oxp_tensor_get_dtype (got), ==, c->float_type);
  g_assert_cmpuint (oxp_tensor_get_rank (got), ==, 3);
  g_assert_cmpint (oxp_tensor_get_shape (got)[0], ==, 1);
  g_assert_cmpint (oxp_tensor_get_shape (got)[1], ==, c->n_positions);
  g_assert_cmpint (oxp_tensor_get_shape (got)[2], ==, c->dim);
  for (guint i = 0; i < c->n_positions; i++)
    for (gint64 col = 0; col < c->dim; col++)
      {
        double a = oxp_tensor_get_element_as_double (got, i * c->dim + col);
        double d = fabs (a - reference (c->positions[i], col, c->dim));

        g_assert_false (isnan (a));
        max_diff = MAX (max_diff, d);
      }
  g_test_message ("%s: max abs diff %.3g, tolerance %.1g", c->path, max_diff, c->atol);
  g_assert_cmpfloat (max_diff, <=, c->atol);
}

/* Positions up to 511: the float32 angle's rounding grows with p. */
static const SinusoidalCase cases[] = {
  { "/oxp/blocks/sinusoidal/even",
    32,
    { 0, 1, 2, 3, 10, 127, 300, 511 },
    8,
    OXP_DATA_TYPE_FLOAT,
    2e-5 },
  { "/oxp/blocks/sinusoidal/small-positions",
    512,
    { 0, 1, 2, 3, 4, 5, 6, 7 },
    8,
    OXP_DATA_TYPE_FLOAT,
    2e-6 },
  { "/oxp/blocks/sinusoidal/odd", 7, { 0, 1, 5, 64, 511 }, 5, OXP_DATA_TYPE_FLOAT, 2e-5 },
  { "/oxp/blocks/sinusoidal/one-column", 1, { 0, 3, 100 }, 3, OXP_DATA_TYPE_FLOAT, 1e-5 },
  { "/oxp/blocks/sinusoidal/float16", 16, { 0, 1, 7, 60 }, 4, OXP_DATA_TYPE_FLOAT16, 1e-3 },
};

static void
test_no_width (void)
{
  g_autoptr (GError) error = NULL;
  g_autoptr (OxpGraph) graph = oxp_graph_new ("sinusoidal", 17);
  g_autoptr (OxpTensorSpec) in_spec
      = oxp_tensor_spec_new ("position_ids", OXP_DATA_TYPE_INT64, "batch,sequence");

  g_assert_null (
      oxp_block_sinusoidal_positions (graph, oxp_graph_add_input (graph, in_spec), 0, &error));
  g_assert_error (error, OXP_EXPORT_ERROR, OXP_EXPORT_ERROR_UNSUPPORTED);
  g_assert_nonnull (strstr (error->message, "width 0"));
}

static void
remove_workdir (void)
{
  g_autoptr (GDir) dir = g_dir_open (workdir, 0, NULL);
  const char *name;

  while (dir != NULL && (name = g_dir_read_name (dir)) != NULL)
    {
      g_autofree char *path = g_build_filename (workdir, name, NULL);
      g_remove (path);
    }
  g_rmdir (workdir);
  g_clear_pointer (&workdir, g_free);
}

int
main (int argc, char **argv)
{
  g_autoptr (GError) error = NULL;
  int ret;

  g_test_init (&argc, &argv, G_TEST_OPTION_ISOLATE_DIRS, NULL);

  workdir = oxp_test_make_tmpdir ("oxp-blocks-sinusoidal-XXXXXX");
  if (g_getenv ("OXPORT_ONNXRUNTIME") != NULL && *g_getenv ("OXPORT_ONNXRUNTIME") != '\0')
    {
      runtime = oxp_runtime_new (NULL, FALSE, &error);
      g_assert_no_error (error);
    }
  for (gsize i = 0; i < G_N_ELEMENTS (cases); i++)
    g_test_add_data_func (cases[i].path, &cases[i], test_table);
  g_test_add_func ("/oxp/blocks/sinusoidal/no-width", test_no_width);

  ret = g_test_run ();

  g_clear_object (&runtime);
  remove_workdir ();
  return ret;
}
