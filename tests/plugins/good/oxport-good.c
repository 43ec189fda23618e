/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* A well-behaved test plugin: small configs for an encoder, a decoder, a
 * seq2seq and a speech model type, enough to exercise the registry. */
#include <oxport/oxport.h>

#include "oxp-test-plugin-configs.h"

OXP_TEST_DEFINE_CONFIG (OxpTestGoodConfig, oxp_test_good_config)
OXP_TEST_DEFINE_PAST_CONFIG (OxpTestGoodPastConfig, oxp_test_good_past_config)

/* The decoder uses the core's own OxpOnnxConfigWithPast. */
typedef struct
{
  OxpOnnxConfigWithPast parent_instance;
} OxpTestGoodDecoderConfig;

typedef struct
{
  OxpOnnxConfigWithPastClass parent_class;
} OxpTestGoodDecoderConfigClass;

static GType oxp_test_good_decoder_config_get_type (void);
G_DEFINE_TYPE (OxpTestGoodDecoderConfig, oxp_test_good_decoder_config,
               OXP_TYPE_ONNX_CONFIG_WITH_PAST)

static void
oxp_test_good_decoder_config_class_init (OxpTestGoodDecoderConfigClass *klass)
{
}

static void
oxp_test_good_decoder_config_init (OxpTestGoodDecoderConfig *self)
{
}

static gboolean
good_plugin_init (OxpPlugin *plugin, GError **error)
{
  static const char *const encoder_tasks[] = {
    "feature-extraction",
    "fill-mask",
    "text-classification",
    "token-classification",
    "question-answering",
    "multiple-choice",
    NULL,
  };
  static const char *const encoder_archs[] = {
    "OxpTestModel",
    "OxpTestForMaskedLM",
    "OxpTestForSequenceClassification",
    "OxpTestForTokenClassification",
    "OxpTestForQuestionAnswering",
    "OxpTestForMultipleChoice",
    NULL,
  };
  /* Old names on purpose: registration folds them. */
  static const char *const decoder_tasks[] = {
    "default", "default-with-past", "causal-lm", "causal-lm-with-past", "sequence-classification",
    NULL,
  };
  static const char *const decoder_archs[] = {
    "OxpTestDecoderModel",
    "OxpTestDecoderForCausalLM",
    "OxpTestDecoderForSequenceClassification",
    NULL,
  };
  static const char *const seq2seq_tasks[] = {
    "feature-extraction",
    "feature-extraction-with-past",
    "text2text-generation",
    "text2text-generation-with-past",
    NULL,
  };
  static const char *const seq2seq_archs[] = {
    "OxpTestSeq2SeqModel",
    "OxpTestSeq2SeqForConditionalGeneration",
    NULL,
  };
  static const char *const speech_tasks[] = {
    "feature-extraction",
    "automatic-speech-recognition",
    "automatic-speech-recognition-with-past",
    NULL,
  };

  GType past_type = oxp_test_good_past_config_get_type ();

  /* A refused registration is recorded by the core; the others still count. */
  oxp_plugin_register_model (plugin, "oxptest", oxp_test_good_config_get_type (), encoder_tasks,
                             encoder_archs);
  oxp_plugin_register_model (plugin, "oxptest-decoder", oxp_test_good_decoder_config_get_type (),
                             decoder_tasks, decoder_archs);
  oxp_plugin_register_model (plugin, "oxptest-seq2seq", past_type, seq2seq_tasks, seq2seq_archs);
  /* No architectures: inference then trusts the class-name suffix alone. */
  oxp_plugin_register_model (plugin, "oxptest-speech", past_type, speech_tasks, NULL);
  return TRUE;
}

OXP_PLUGIN_DEFINE (good, "Test configs for the registry tests", good_plugin_init, "1.2.3",
                   "LGPL-2.1-or-later")
