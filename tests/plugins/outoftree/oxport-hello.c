/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* A third-party plugin as a plugin author writes it: built out of tree by
 * tests/test-install.sh against the installed headers, with
 * `pkg-config --cflags --libs oxport-1.0` and nothing else. */
#include <oxport/oxport.h>

typedef struct
{
  OxpOnnxConfig parent_instance;
} HelloConfig;

typedef struct
{
  OxpOnnxConfigClass parent_class;
} HelloConfigClass;

static GType hello_config_get_type (void);
G_DEFINE_TYPE (HelloConfig, hello_config, OXP_TYPE_ONNX_CONFIG)

static void
hello_config_class_init (HelloConfigClass *klass)
{
  OXP_ONNX_CONFIG_CLASS (klass)->default_opset = 14;
  OXP_ONNX_CONFIG_CLASS (klass)->min_opset = 11;
}

static void
hello_config_init (HelloConfig *self)
{
}

static gboolean
hello_plugin_init (OxpPlugin *plugin, GError **error)
{
  static const char *const tasks[] = { "feature-extraction", "text-classification", NULL };
  static const char *const architectures[]
      = { "HelloModel", "HelloForSequenceClassification", NULL };

  oxp_plugin_register_model (plugin, "hello", hello_config_get_type (), tasks, architectures);
  return TRUE;
}

OXP_PLUGIN_DEFINE (hello, "An out-of-tree test plugin", hello_plugin_init, "0.0.1",
                   "LGPL-2.1-or-later")
