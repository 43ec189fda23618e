/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* A plugin with a bug: its graph never binds the outputs its config
 * declares.  test-cli.sh uses it to check that such an internal error
 * exits with status 2 and leaves nothing behind. */
#include <oxport/oxport.h>

G_DECLARE_FINAL_TYPE (OxpCliInternalConfig, oxp_cli_internal_config, OXP, CLI_INTERNAL_CONFIG,
                      OxpTextEncoderOnnxConfig)
struct _OxpCliInternalConfig
{
  OxpTextEncoderOnnxConfig parent_instance;
};
G_DEFINE_FINAL_TYPE (OxpCliInternalConfig, oxp_cli_internal_config,
                     OXP_TYPE_TEXT_ENCODER_ONNX_CONFIG)

static gboolean
cli_internal_build_graph (OxpOnnxConfig *config, OxpGraph *graph, OxpCheckpoint *checkpoint,
                          GError **error)
{
  return TRUE;
}

static void
oxp_cli_internal_config_class_init (OxpCliInternalConfigClass *klass)
{
  OXP_ONNX_CONFIG_CLASS (klass)->build_graph = cli_internal_build_graph;
}

static void
oxp_cli_internal_config_init (OxpCliInternalConfig *self)
{
}

static gboolean
cliinternal_init (OxpPlugin *plugin, GError **error)
{
  static const char *const tasks[] = { "feature-extraction", NULL };
  static const char *const architectures[] = { "OxpCliInternalModel", NULL };

  return oxp_plugin_register_model (plugin, "oxptest-cli-internal",
                                    oxp_cli_internal_config_get_type (), tasks, architectures);
}

OXP_PLUGIN_DEFINE (cliinternal, "A plugin whose graphs are broken (CLI tests)", cliinternal_init,
                   "1.0", "LGPL-2.1-or-later")
