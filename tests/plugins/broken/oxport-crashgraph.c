/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Scans cleanly, then crashes in build_graph, during an export: the crash
 * report must name it. */
#include <oxport/oxport.h>

typedef struct
{
  OxpTextEncoderOnnxConfig parent_instance;
} OxpTestCrashGraphConfig;

typedef struct
{
  OxpTextEncoderOnnxConfigClass parent_class;
} OxpTestCrashGraphConfigClass;

static GType oxp_test_crash_graph_config_get_type (void);
G_DEFINE_TYPE (OxpTestCrashGraphConfig, oxp_test_crash_graph_config,
               OXP_TYPE_TEXT_ENCODER_ONNX_CONFIG)

static gboolean
crash_build_graph (OxpOnnxConfig *self, OxpGraph *graph, OxpCheckpoint *checkpoint, GError **error)
{
  /* An unmapped address, not NULL: UBSan would stop at a null store
   * before the fault happens. */
  volatile int *volatile nowhere = (volatile int *)(guintptr)64;

  *nowhere = 42;
  return TRUE;
}

static void
oxp_test_crash_graph_config_class_init (OxpTestCrashGraphConfigClass *klass)
{
  OxpOnnxConfigClass *config_class = OXP_ONNX_CONFIG_CLASS (klass);

  OXP_TEXT_ENCODER_ONNX_CONFIG_CLASS (klass)->uses_token_type_ids = TRUE;
  config_class->default_opset = 17;
  config_class->min_opset = 14;
  config_class->atol = 1e-4;
  config_class->build_graph = crash_build_graph;
}

static void
oxp_test_crash_graph_config_init (OxpTestCrashGraphConfig *self)
{
}

static gboolean
crashgraph_init (OxpPlugin *plugin, GError **error)
{
  static const char *const tasks[] = { "feature-extraction", NULL };
  static const char *const archs[] = { "OxpTestCrashGraphModel", NULL };

  return oxp_plugin_register_model (plugin, "oxptest-crashgraph",
                                    oxp_test_crash_graph_config_get_type (), tasks, archs);
}

OXP_PLUGIN_DEFINE (crashgraph, "Crashes while building its graph", crashgraph_init, "1.0",
                   "LGPL-2.1-or-later")
