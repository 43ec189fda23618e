/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

#if !defined(OXP_INSIDE) && !defined(OXP_COMPILATION)
#error "Only <oxport/oxport.h> can be included directly."
#endif

#include <oxport/oxp-types.h>

G_BEGIN_DECLS

/**
 * OXP_PLUGIN_ABI_MAJOR:
 *
 * The major version of the plugin ABI: a plugin is loaded only when the
 * major in its descriptor equals the core's (otherwise it is rejected with
 * %OXP_PLUGIN_ERROR_ABI).  Bumped when a change breaks built plugins.
 */
#define OXP_PLUGIN_ABI_MAJOR 1
/**
 * OXP_PLUGIN_ABI_MINOR:
 *
 * The minor version of the plugin ABI: a plugin built against a newer minor
 * than the core's is rejected, one built against an older minor loads.
 */
#define OXP_PLUGIN_ABI_MINOR 0

/**
 * OxpPluginInitFunc:
 * @plugin: the plugin being loaded
 * @error: return location for an error
 *
 * A plugin's entry point, called once after its descriptor was checked.  It
 * only registers models with oxp_plugin_register_model(), and may run in the
 * helper scanner process as well as in the process that exports.
 *
 * Returns: %TRUE on success; %FALSE (with @error set) rejects the whole
 *   plugin and discards its registrations
 */
typedef gboolean (*OxpPluginInitFunc) (OxpPlugin *plugin, GError **error);

/**
 * OxpPluginDesc:
 * @abi_major: %OXP_PLUGIN_ABI_MAJOR when the plugin was built
 * @abi_minor: %OXP_PLUGIN_ABI_MINOR when the plugin was built
 * @name: the plugin's name, also the middle of the descriptor's symbol
 * @description: one line for `oxport plugins`
 * @version: the plugin's version
 * @license: its license, an SPDX expression
 * @init: the function that registers the plugin's models
 *
 * What a plugin module exports, as read-only data, under the symbol
 * `oxp_plugin_<name>_desc` where <name> is the module file name without a
 * leading "lib", the "oxport-" prefix and the extension, with '-' turned into
 * '_' (oxport-bert.so → oxp_plugin_bert_desc).  Declare it with
 * OXP_PLUGIN_DEFINE().
 */
typedef struct {
  guint32           abi_major;
  guint32           abi_minor;
  const char       *name;
  const char       *description;
  const char       *version;
  const char       *license;
  OxpPluginInitFunc init;
  /*< private >*/
  gpointer          _oxp_reserved[8];
} OxpPluginDesc;

#if defined(__GNUC__)
#define OXP_PLUGIN_EXPORT __attribute__ ((visibility ("default")))
#else
#define OXP_PLUGIN_EXPORT
#endif

/**
 * OXP_PLUGIN_DEFINE:
 * @name: the plugin's name, a C identifier matching the module file name
 *   (oxport-bert.so → bert)
 * @description: a one-line description
 * @init: the #OxpPluginInitFunc
 * @version: the plugin's version string
 * @license: its license, an SPDX expression
 *
 * Defines and exports the plugin's #OxpPluginDesc, the only symbol a plugin
 * module exports; use it once, in one file of the module:
 * |[<!-- language="C" -->
 * OXP_PLUGIN_DEFINE (bert, "BERT-family encoders", bert_plugin_init, "1.0",
 *                    "LGPL-2.1-or-later")
 * ]|
 */
#define OXP_PLUGIN_DEFINE(name, description, init, version, license)            \
  OXP_PLUGIN_EXPORT extern const OxpPluginDesc oxp_plugin_##name##_desc;        \
  OXP_PLUGIN_EXPORT const OxpPluginDesc oxp_plugin_##name##_desc = {            \
    OXP_PLUGIN_ABI_MAJOR, OXP_PLUGIN_ABI_MINOR, #name, (description),          \
    (version), (license), (init), { NULL, }                                     \
  };

#define OXP_TYPE_PLUGIN (oxp_plugin_get_type ())
/**
 * OxpPlugin:
 *
 * A loaded plugin module: its descriptor facts and what it registered.
 * Owned by the #OxpTasksManager that loaded it.
 */
OXP_API
G_DECLARE_FINAL_TYPE (OxpPlugin, oxp_plugin, OXP, PLUGIN, GObject)

/* Registers @config_type (a subtype of OxpOnnxConfig) for @model_type (the
 * config.json "model_type"), with its canonical @tasks and the Hugging Face
 * @architectures class names it handles (NULL-terminated arrays; tasks may
 * carry "-with-past").  Only valid inside init.  Returns FALSE when the
 * core refuses the registration; the reason is recorded and listed by
 * `oxport plugins`. */
OXP_API gboolean oxp_plugin_register_model (OxpPlugin          *plugin,
                                            const char         *model_type,
                                            GType               config_type,
                                            const char * const *tasks,
                                            const char * const *architectures);

/* Plugin facts (for listings); never NULL ("" when the descriptor left a
 * field out). */
OXP_API const char *oxp_plugin_get_name        (OxpPlugin *plugin);
OXP_API const char *oxp_plugin_get_description (OxpPlugin *plugin);
OXP_API const char *oxp_plugin_get_version     (OxpPlugin *plugin);
OXP_API const char *oxp_plugin_get_license     (OxpPlugin *plugin);
OXP_API const char *oxp_plugin_get_filename    (OxpPlugin *plugin);
/* Model types this plugin registered successfully. (transfer none) */
OXP_API const char * const *oxp_plugin_get_model_types (OxpPlugin *plugin);
/* Whether the plugin's code is loaded in this process (plugins are
 * scanned in a helper process and loaded when first needed). */
OXP_API gboolean oxp_plugin_is_loaded (OxpPlugin *plugin);

/* For programs: once plugin code is loaded, on SIGSEGV, SIGBUS, SIGILL,
 * SIGFPE or SIGABRT write a line naming the loaded plugins to stderr, then
 * let the handler installed before (by default: death by that signal) take
 * over. */
OXP_API void oxp_plugin_install_crash_handler (void);

G_END_DECLS
