/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/* Minimal OxpOnnxConfig subclasses for the test plugins.  GType names are
 * process-wide, so every module passes its own names. */
#include <oxport/oxport.h>

/* A config with nothing of its own. */
#define OXP_TEST_DEFINE_CONFIG(TypeName, type_name)                                    \
  typedef struct { OxpOnnxConfig parent_instance; } TypeName;                         \
  typedef struct { OxpOnnxConfigClass parent_class; } TypeName##Class;                \
  static GType type_name##_get_type (void);                                           \
  G_DEFINE_TYPE (TypeName, type_name, OXP_TYPE_ONNX_CONFIG)                           \
  static void type_name##_class_init (TypeName##Class *klass) { (void) klass; }       \
  static void type_name##_init (TypeName *self) { (void) self; }

/* A config with a "use-past" property, like OxpOnnxConfigWithPast's. */
#define OXP_TEST_DEFINE_PAST_CONFIG(TypeName, type_name)                               \
  typedef struct { OxpOnnxConfig parent_instance; gboolean use_past; } TypeName;      \
  typedef struct { OxpOnnxConfigClass parent_class; } TypeName##Class;                \
  static GType type_name##_get_type (void);                                           \
  G_DEFINE_TYPE (TypeName, type_name, OXP_TYPE_ONNX_CONFIG)                           \
  static void type_name##_get_property (GObject *object, guint id, GValue *value,     \
                                        GParamSpec *pspec)                            \
  {                                                                                   \
    (void) id; (void) pspec;                                                          \
    g_value_set_boolean (value, ((TypeName *) object)->use_past);                     \
  }                                                                                   \
  static void type_name##_set_property (GObject *object, guint id,                    \
                                        const GValue *value, GParamSpec *pspec)       \
  {                                                                                   \
    (void) id; (void) pspec;                                                          \
    ((TypeName *) object)->use_past = g_value_get_boolean (value);                    \
  }                                                                                   \
  static void type_name##_class_init (TypeName##Class *klass)                         \
  {                                                                                   \
    GObjectClass *object_class = G_OBJECT_CLASS (klass);                              \
    object_class->get_property = type_name##_get_property;                            \
    object_class->set_property = type_name##_set_property;                            \
    g_object_class_install_property (                                                 \
      object_class, 1,                                                                \
      g_param_spec_boolean ("use-past", NULL, NULL, FALSE,                            \
                            G_PARAM_READWRITE | G_PARAM_STATIC_STRINGS));             \
  }                                                                                   \
  static void type_name##_init (TypeName *self) { (void) self; }
