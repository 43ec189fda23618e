/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include "config.h"

#include <math.h>
#include <string.h>

#include <oxport/oxport.h>

#include "oxp-test-utils.h"

static void
test_data_type_sizes (void)
{
  g_assert_cmpuint (oxp_data_type_get_size (OXP_DATA_TYPE_FLOAT), ==, 4);
  g_assert_cmpuint (oxp_data_type_get_size (OXP_DATA_TYPE_FLOAT16), ==, 2);
  g_assert_cmpuint (oxp_data_type_get_size (OXP_DATA_TYPE_BFLOAT16), ==, 2);
  g_assert_cmpuint (oxp_data_type_get_size (OXP_DATA_TYPE_INT64), ==, 8);
  g_assert_cmpuint (oxp_data_type_get_size (OXP_DATA_TYPE_BOOL), ==, 1);
  g_assert_cmpuint (oxp_data_type_get_size (OXP_DATA_TYPE_DOUBLE), ==, 8);
  g_assert_cmpuint (oxp_data_type_get_size (OXP_DATA_TYPE_STRING), ==, 0);
  g_assert_cmpuint (oxp_data_type_get_size (OXP_DATA_TYPE_UNDEFINED), ==, 0);
  g_assert_cmpuint (oxp_data_type_get_size ((OxpDataType)99), ==, 0);
}

static void
test_data_type_names (void)
{
  static const OxpDataType all[] = {
    OXP_DATA_TYPE_FLOAT,  OXP_DATA_TYPE_UINT8,    OXP_DATA_TYPE_INT8,   OXP_DATA_TYPE_UINT16,
    OXP_DATA_TYPE_INT16,  OXP_DATA_TYPE_INT32,    OXP_DATA_TYPE_INT64,  OXP_DATA_TYPE_STRING,
    OXP_DATA_TYPE_BOOL,   OXP_DATA_TYPE_FLOAT16,  OXP_DATA_TYPE_DOUBLE, OXP_DATA_TYPE_UINT32,
    OXP_DATA_TYPE_UINT64, OXP_DATA_TYPE_BFLOAT16,
  };

  for (gsize i = 0; i < G_N_ELEMENTS (all); i++)
    g_assert_cmpint (oxp_data_type_from_string (oxp_data_type_to_string (all[i])), ==, all[i]);

  g_assert_cmpstr (oxp_data_type_to_string (OXP_DATA_TYPE_FLOAT), ==, "float32");
  g_assert_cmpstr (oxp_data_type_to_string (OXP_DATA_TYPE_BFLOAT16), ==, "bfloat16");
  g_assert_cmpint (oxp_data_type_from_string ("float"), ==, OXP_DATA_TYPE_FLOAT);
  g_assert_cmpint (oxp_data_type_from_string ("fp32"), ==, OXP_DATA_TYPE_FLOAT);
  g_assert_cmpint (oxp_data_type_from_string ("FP16"), ==, OXP_DATA_TYPE_FLOAT16);
  g_assert_cmpint (oxp_data_type_from_string ("bf16"), ==, OXP_DATA_TYPE_BFLOAT16);
  g_assert_cmpint (oxp_data_type_from_string ("F32"), ==, OXP_DATA_TYPE_FLOAT);
  g_assert_cmpint (oxp_data_type_from_string ("I64"), ==, OXP_DATA_TYPE_INT64);
  g_assert_cmpint (oxp_data_type_from_string ("complex64"), ==, OXP_DATA_TYPE_UNDEFINED);
  g_assert_cmpint (oxp_data_type_from_string (NULL), ==, OXP_DATA_TYPE_UNDEFINED);
  g_assert_cmpstr (oxp_data_type_to_string ((OxpDataType)99), ==, "undefined");
}

static void
test_spec_parse (void)
{
  g_autoptr (OxpTensorSpec) spec
      = oxp_tensor_spec_new ("logits", OXP_DATA_TYPE_FLOAT, "batch_size, sequence_length,320,?");
  g_autofree char *dims = NULL;

  g_assert_cmpstr (oxp_tensor_spec_get_name (spec), ==, "logits");
  g_assert_cmpint (oxp_tensor_spec_get_dtype (spec), ==, OXP_DATA_TYPE_FLOAT);
  g_assert_cmpuint (oxp_tensor_spec_get_rank (spec), ==, 4);
  g_assert_cmpstr (oxp_tensor_spec_get_dim_param (spec, 0), ==, "batch_size");
  g_assert_cmpint (oxp_tensor_spec_get_dim_value (spec, 0), ==, -1);
  g_assert_cmpstr (oxp_tensor_spec_get_dim_param (spec, 1), ==, "sequence_length");
  g_assert_cmpint (oxp_tensor_spec_get_dim_value (spec, 2), ==, 320);
  g_assert_null (oxp_tensor_spec_get_dim_param (spec, 2));
  g_assert_null (oxp_tensor_spec_get_dim_param (spec, 3));
  g_assert_cmpint (oxp_tensor_spec_get_dim_value (spec, 3), ==, -1);

  dims = oxp_tensor_spec_dims_to_string (spec);
  g_assert_cmpstr (dims, ==, "batch_size,sequence_length,320,?");
}

static void
test_spec_expression_dims (void)
{
  g_autoptr (OxpTensorSpec) spec
      = oxp_tensor_spec_new ("present.0.key", OXP_DATA_TYPE_FLOAT,
                             "batch_size,4,past_sequence_length + sequence_length,8");
  g_autoptr (OxpTensorSpec) scalar = oxp_tensor_spec_new ("s", OXP_DATA_TYPE_INT64, "");
  g_autoptr (OxpTensorSpec) minus = oxp_tensor_spec_new ("m", OXP_DATA_TYPE_INT64, "-1,2");
  g_autofree char *empty = NULL;

  g_assert_cmpuint (oxp_tensor_spec_get_rank (spec), ==, 4);
  g_assert_cmpstr (oxp_tensor_spec_get_dim_param (spec, 2), ==,
                   "past_sequence_length + sequence_length");
  g_assert_cmpuint (oxp_tensor_spec_get_rank (scalar), ==, 0);
  g_assert_null (oxp_tensor_spec_get_dim_param (minus, 0));
  g_assert_cmpint (oxp_tensor_spec_get_dim_value (minus, 0), ==, -1);
  g_assert_cmpint (oxp_tensor_spec_get_dim_value (minus, 1), ==, 2);
  empty = oxp_tensor_spec_dims_to_string (scalar);
  g_assert_cmpstr (empty, ==, "");
}

static void
test_spec_setters_copy_equal (void)
{
  g_autoptr (OxpTensorSpec) a = oxp_tensor_spec_new_rank ("x", OXP_DATA_TYPE_INT64, 2);
  g_autoptr (OxpTensorSpec) b = oxp_tensor_spec_new ("x", OXP_DATA_TYPE_INT64, "batch_size,7");
  g_autoptr (OxpTensorSpec) c = NULL;
  g_autoptr (OxpTensorSpec) d = NULL;

  g_assert_false (oxp_tensor_spec_equal (a, b));
  oxp_tensor_spec_set_dim_param (a, 0, "batch_size");
  oxp_tensor_spec_set_dim_value (a, 1, 7);
  g_assert_true (oxp_tensor_spec_equal (a, b));

  c = oxp_tensor_spec_copy_renamed (a, "y");
  g_assert_cmpstr (oxp_tensor_spec_get_name (c), ==, "y");
  g_assert_false (oxp_tensor_spec_equal (a, c));
  oxp_tensor_spec_set_dim_value (c, 0, 3);
  /* The copy is independent of the original. */
  g_assert_cmpstr (oxp_tensor_spec_get_dim_param (a, 0), ==, "batch_size");
  g_assert_cmpint (oxp_tensor_spec_get_dim_value (c, 0), ==, 3);

  d = oxp_tensor_spec_new ("x", OXP_DATA_TYPE_FLOAT, "batch_size,7");
  g_assert_false (oxp_tensor_spec_equal (a, d));

  oxp_tensor_spec_ref (a);
  oxp_tensor_spec_unref (a);
  g_assert_cmpstr (oxp_tensor_spec_get_name (a), ==, "x");
  g_assert_true (G_TYPE_IS_BOXED (OXP_TYPE_TENSOR_SPEC));
}

static void
test_tensor_new (void)
{
  const gint64 shape[] = { 2, 3 };
  g_autoptr (OxpTensor) t = oxp_tensor_new ("input_ids", OXP_DATA_TYPE_INT64, shape, 2);
  gint64 *data;

  g_assert_cmpstr (oxp_tensor_get_name (t), ==, "input_ids");
  g_assert_cmpint (oxp_tensor_get_dtype (t), ==, OXP_DATA_TYPE_INT64);
  g_assert_cmpuint (oxp_tensor_get_rank (t), ==, 2);
  g_assert_cmpint (oxp_tensor_get_shape (t)[1], ==, 3);
  g_assert_cmpuint (oxp_tensor_get_n_elements (t), ==, 6);
  g_assert_cmpuint (oxp_tensor_get_size (t), ==, 48);
  data = oxp_tensor_get_mutable_data (t);
  for (int i = 0; i < 6; i++)
    g_assert_cmpint (data[i], ==, 0);
  data[4] = -12345678901LL;
  g_assert_cmpfloat (oxp_tensor_get_element_as_double (t, 4), ==, -12345678901.0);
  g_assert_true (oxp_tensor_get_data (t) == (gconstpointer)data);
}

static void
test_tensor_scalar_and_empty (void)
{
  const gint64 zero[] = { 0, 4 };
  g_autoptr (OxpTensor) s = oxp_tensor_new ("s", OXP_DATA_TYPE_FLOAT, NULL, 0);
  g_autoptr (OxpTensor) e = oxp_tensor_new ("e", OXP_DATA_TYPE_FLOAT, zero, 2);

  g_assert_cmpuint (oxp_tensor_get_n_elements (s), ==, 1);
  g_assert_cmpuint (oxp_tensor_get_size (s), ==, 4);
  g_assert_cmpuint (oxp_tensor_get_n_elements (e), ==, 0);
  g_assert_cmpuint (oxp_tensor_get_size (e), ==, 0);
}

static void
test_tensor_from_bytes (void)
{
  const float values[] = { 1.5f, -2.0f, 3.25f, 0.0f };
  const gint64 shape[] = { 2, 2 };
  const gint64 bad_shape[] = { 3, 2 };
  g_autoptr (GBytes) bytes = g_bytes_new (values, sizeof values);
  g_autoptr (OxpTensor) t = oxp_tensor_new_from_bytes ("x", OXP_DATA_TYPE_FLOAT, shape, 2, bytes);
  OxpTensor *bad;

  g_assert_nonnull (t);
  g_assert_cmpfloat (oxp_tensor_get_element_as_double (t, 2), ==, 3.25);
  g_assert_cmpuint (oxp_tensor_get_size (t), ==, sizeof values);
  g_assert_cmpint (memcmp (oxp_tensor_get_data (t), values, sizeof values), ==, 0);

  bad = oxp_tensor_new_from_bytes ("x", OXP_DATA_TYPE_FLOAT, bad_shape, 2, bytes);
  g_assert_null (bad);
  bad = oxp_tensor_new_from_bytes ("x", OXP_DATA_TYPE_DOUBLE, shape, 2, bytes);
  g_assert_null (bad);
  bad = oxp_tensor_new_from_bytes ("x", OXP_DATA_TYPE_STRING, shape, 2, bytes);
  g_assert_null (bad);
}

static void
test_tensor_half_types (void)
{
  /* 1.0, -2.5, 65504 (max half), 2^-24 (smallest subnormal) in IEEE half;
   * 1.0 and -2.5 in bfloat16. */
  const guint16 half[] = { 0x3c00, 0xc100, 0x7bff, 0x0001 };
  const guint16 bf16[] = { 0x3f80, 0xc020 };
  const gint64 n4[] = { 4 };
  const gint64 n2[] = { 2 };
  g_autoptr (GBytes) hb = g_bytes_new (half, sizeof half);
  g_autoptr (GBytes) bb = g_bytes_new (bf16, sizeof bf16);
  g_autoptr (OxpTensor) h = oxp_tensor_new_from_bytes ("h", OXP_DATA_TYPE_FLOAT16, n4, 1, hb);
  g_autoptr (OxpTensor) b = oxp_tensor_new_from_bytes ("b", OXP_DATA_TYPE_BFLOAT16, n2, 1, bb);
  g_autoptr (OxpTensor) w = oxp_tensor_new ("w", OXP_DATA_TYPE_FLOAT16, n4, 1);
  const guint16 *wd;

  g_assert_cmpfloat (oxp_tensor_get_element_as_double (h, 0), ==, 1.0);
  g_assert_cmpfloat (oxp_tensor_get_element_as_double (h, 1), ==, -2.5);
  g_assert_cmpfloat (oxp_tensor_get_element_as_double (h, 2), ==, 65504.0);
  g_assert_cmpfloat (oxp_tensor_get_element_as_double (h, 3), ==, ldexp (1.0, -24));
  g_assert_cmpfloat (oxp_tensor_get_element_as_double (b, 0), ==, 1.0);
  g_assert_cmpfloat (oxp_tensor_get_element_as_double (b, 1), ==, -2.5);

  /* Writing goes through the same conversions, rounding to nearest. */
  oxp_tensor_set_element_from_double (w, 0, 1.0);
  oxp_tensor_set_element_from_double (w, 1, 1.0 + ldexp (1.0, -11)); /* tie → even (1.0) */
  oxp_tensor_set_element_from_double (w, 2, 1e6);                    /* overflow → inf */
  oxp_tensor_set_element_from_double (w, 3, ldexp (1.0, -24));
  wd = oxp_tensor_get_data (w);
  g_assert_cmphex (wd[0], ==, 0x3c00);
  g_assert_cmphex (wd[1], ==, 0x3c00);
  g_assert_cmphex (wd[2], ==, 0x7c00);
  g_assert_cmphex (wd[3], ==, 0x0001);
}

static void
test_tensor_all_dtypes_roundtrip (void)
{
  static const OxpDataType types[] = {
    OXP_DATA_TYPE_FLOAT,    OXP_DATA_TYPE_UINT8,  OXP_DATA_TYPE_INT8,   OXP_DATA_TYPE_UINT16,
    OXP_DATA_TYPE_INT16,    OXP_DATA_TYPE_INT32,  OXP_DATA_TYPE_INT64,  OXP_DATA_TYPE_BOOL,
    OXP_DATA_TYPE_FLOAT16,  OXP_DATA_TYPE_DOUBLE, OXP_DATA_TYPE_UINT32, OXP_DATA_TYPE_UINT64,
    OXP_DATA_TYPE_BFLOAT16,
  };
  const gint64 shape[] = { 3 };

  for (gsize i = 0; i < G_N_ELEMENTS (types); i++)
    {
      g_autoptr (OxpTensor) t = oxp_tensor_new ("t", types[i], shape, 1);
      oxp_tensor_set_element_from_double (t, 1, 1.0);
      oxp_tensor_set_element_from_double (t, 2, 100.0 * (types[i] != OXP_DATA_TYPE_BOOL));
      g_assert_cmpfloat (oxp_tensor_get_element_as_double (t, 0), ==, 0.0);
      g_assert_cmpfloat (oxp_tensor_get_element_as_double (t, 1), ==, 1.0);
      g_assert_cmpfloat (oxp_tensor_get_element_as_double (t, 2), ==,
                         types[i] == OXP_DATA_TYPE_BOOL ? 0.0 : 100.0);
    }
}

static void
test_tensor_mutable_refused (void)
{
  if (g_test_subprocess ())
    {
      const gint64 shape[] = { 1 };
      const float v = 1.0f;
      g_autoptr (GBytes) bytes = g_bytes_new (&v, sizeof v);
      g_autoptr (OxpTensor) t
          = oxp_tensor_new_from_bytes ("x", OXP_DATA_TYPE_FLOAT, shape, 1, bytes);
      /* Borrowed data is never writable. */
      g_assert_null (oxp_tensor_get_mutable_data (t));
      return;
    }
  g_test_trap_subprocess (NULL, 0, G_TEST_SUBPROCESS_DEFAULT);
  g_test_trap_assert_failed ();
  g_test_trap_assert_stderr ("*CRITICAL*owned*");
}

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, G_TEST_OPTION_ISOLATE_DIRS, NULL);

  g_test_add_func ("/oxp/types/sizes", test_data_type_sizes);
  g_test_add_func ("/oxp/types/names", test_data_type_names);
  g_test_add_func ("/oxp/tensor-spec/parse", test_spec_parse);
  g_test_add_func ("/oxp/tensor-spec/expression-dims", test_spec_expression_dims);
  g_test_add_func ("/oxp/tensor-spec/setters-copy-equal", test_spec_setters_copy_equal);
  g_test_add_func ("/oxp/tensor/new", test_tensor_new);
  g_test_add_func ("/oxp/tensor/scalar-and-empty", test_tensor_scalar_and_empty);
  g_test_add_func ("/oxp/tensor/from-bytes", test_tensor_from_bytes);
  g_test_add_func ("/oxp/tensor/half-types", test_tensor_half_types);
  g_test_add_func ("/oxp/tensor/all-dtypes-roundtrip", test_tensor_all_dtypes_roundtrip);
  g_test_add_func ("/oxp/tensor/mutable-refused", test_tensor_mutable_refused);

  return g_test_run ();
}
