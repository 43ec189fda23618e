/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Sinusoidal position embeddings computed in the graph (Marian, Pegasus):
 * their tables are buffers, never in a checkpoint. */
#include "config.h"

#include <math.h>

#include <oxport/oxport.h>

static void
set_int (OxpGraph *graph, const char *name, gint64 value)
{
  oxp_node_set_attr_int (oxp_graph_get_last_node (graph), name, value);
}

/* float32 [@n]: 10000^(-2j/@dim) for j < @n, in double then rounded, as
 * numpy's table is before its float32 cast. */
static const char *
frequencies (OxpGraph *graph, const char *name_hint, gint64 n, gint64 dim)
{
  gint64 shape[1] = { n };
  g_autoptr (OxpTensor) t = oxp_tensor_new (name_hint, OXP_DATA_TYPE_FLOAT, shape, 1);
  float *f = oxp_tensor_get_mutable_data (t);

  for (gint64 j = 0; j < n; j++)
    f[j] = (float)pow (10000.0, -2.0 * (double)j / (double)dim);
  return oxp_graph_add_constant (graph, name_hint, t);
}

/**
 * oxp_block_sinusoidal_positions:
 * @graph: the graph to add nodes to
 * @position_ids: int64 [batch|1, seq] positions
 * @dim: the embedding width
 * @error: return location for an error
 *
 * Marian's sinusoidal position embeddings at @position_ids: sines in the
 * first ⌈@dim/2⌉ columns, cosines in the rest, of p · 10000^(-2j/@dim).
 *
 * Returns: (transfer none) (nullable): [batch|1, seq, @dim] in the graph's
 *   float type, or NULL when @dim < 1
 */
const char *
oxp_block_sinusoidal_positions (OxpGraph *graph, const char *position_ids, gint64 dim,
                                GError **error)
{
  static const gint64 last_axis[] = { -1 };
  gint64 n_sin = (dim + 1) / 2, n_cos = dim / 2;
  const char *p, *sin_freq, *cos_freq, *out;

  g_return_val_if_fail (OXP_IS_GRAPH (graph), NULL);
  g_return_val_if_fail (position_ids != NULL, NULL);
  g_return_val_if_fail (error == NULL || *error == NULL, NULL);

  if (dim < 1)
    {
      g_set_error (error, OXP_EXPORT_ERROR, OXP_EXPORT_ERROR_UNSUPPORTED,
                   "sinusoidal positions: width %" G_GINT64_FORMAT ", expected at least 1", dim);
      return NULL;
    }

  oxp_graph_push_scope (graph, "sinusoidal_positions");
  p = oxp_graph_op (graph, "Cast", position_ids, NULL);
  set_int (graph, "to", OXP_DATA_TYPE_FLOAT);
  p = oxp_graph_op (graph, "Unsqueeze", p,
                    oxp_graph_add_constant_int64s (graph, "axes", last_axis, 1), NULL);
  /* An odd width has one sine column more than cosine columns. */
  sin_freq = frequencies (graph, "sin_frequencies", n_sin, dim);
  cos_freq = n_cos == n_sin ? sin_freq : frequencies (graph, "cos_frequencies", n_cos, dim);
  out = oxp_graph_op (graph, "Sin", oxp_graph_op (graph, "Mul", p, sin_freq, NULL), NULL);
  if (n_cos > 0)
    {
      const char *c
          = oxp_graph_op (graph, "Cos", oxp_graph_op (graph, "Mul", p, cos_freq, NULL), NULL);
      out = oxp_graph_op (graph, "Concat", out, c, NULL);
      set_int (graph, "axis", -1);
    }
  if (oxp_graph_get_float_type (graph) != OXP_DATA_TYPE_FLOAT)
    {
      out = oxp_graph_op (graph, "Cast", out, NULL);
      set_int (graph, "to", oxp_graph_get_float_type (graph));
    }
  oxp_graph_pop_scope (graph);
  return out;
}
