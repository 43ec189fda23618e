/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Task names as optimum's exporters spell them (TasksManager's task →
 * AutoModel table and _SYNONYM_TASK_MAP), and the class-name suffixes the
 * offline task inference reads. */
#include "config.h"

#include <string.h>

#include <oxport/oxport.h>

#include "oxp-tasks-private.h"

/* optimum's current task names, sorted (list_known_tasks returns this). */
static const char *const known_tasks[] = {
  "audio-classification",
  "audio-frame-classification",
  "audio-xvector",
  "automatic-speech-recognition",
  "depth-estimation",
  "document-question-answering",
  "feature-extraction",
  "fill-mask",
  "image-classification",
  "image-segmentation",
  "image-to-image",
  "image-to-text",
  "inpainting",
  "keypoint-detection",
  "masked-im",
  "multiple-choice",
  "object-detection",
  "question-answering",
  "reinforcement-learning",
  "semantic-segmentation",
  "text-classification",
  "text-generation",
  "text-to-audio",
  "text-to-image",
  "text2text-generation",
  "time-series-forecasting",
  "token-classification",
  "visual-question-answering",
  "zero-shot-image-classification",
  "zero-shot-object-detection",
  NULL,
};

/* Tasks whose models can take past key/values (optimum's decoder and
 * encoder-decoder tasks). */
static const char *const past_tasks[] = {
  "automatic-speech-recognition",
  "document-question-answering",
  "feature-extraction",
  "image-to-text",
  "text-generation",
  "text2text-generation",
  "visual-question-answering",
  NULL,
};

typedef struct
{
  const char *synonym;
  const char *canonical;
} OxpTaskSynonym;

/* optimum's _SYNONYM_TASK_MAP without its "-with-past" entries, which
 * canonical_task derives from the base names. */
static const OxpTaskSynonym synonyms[] = {
  { "audio-ctc", "automatic-speech-recognition" },
  { "causal-lm", "text-generation" },
  { "default", "feature-extraction" },
  { "image-feature-extraction", "feature-extraction" },
  { "latent-consistency", "text-to-image" },
  { "mask-generation", "feature-extraction" },
  { "masked-lm", "fill-mask" },
  { "pretraining", "feature-extraction" },
  { "sentence-similarity", "feature-extraction" },
  { "seq2seq-lm", "text2text-generation" },
  { "sequence-classification", "text-classification" },
  { "speech2seq-lm", "automatic-speech-recognition" },
  { "stable-diffusion", "text-to-image" },
  { "stable-diffusion-xl", "text-to-image" },
  { "summarization", "text2text-generation" },
  { "text-to-speech", "text-to-audio" },
  { "translation", "text2text-generation" },
  { "vision2seq-lm", "image-to-text" },
  { "zero-shot-classification", "text-classification" },
};

static gboolean
strv_contains (const char *const *strv, const char *s)
{
  for (; *strv != NULL; strv++)
    if (strcmp (*strv, s) == 0)
      return TRUE;
  return FALSE;
}

gboolean
_oxp_task_has_past (const char *task)
{
  return task != NULL && g_str_has_suffix (task, OXP_WITH_PAST_SUFFIX)
         && strlen (task) > strlen (OXP_WITH_PAST_SUFFIX);
}

char *
_oxp_task_strip_past (const char *task)
{
  if (!_oxp_task_has_past (task))
    return g_strdup (task);
  return g_strndup (task, strlen (task) - strlen (OXP_WITH_PAST_SUFFIX));
}

gboolean
_oxp_task_base_allows_past (const char *base)
{
  return strv_contains (past_tasks, base);
}

static const char *
canonical_base (const char *base)
{
  for (const char *const *t = known_tasks; *t != NULL; t++)
    if (strcmp (*t, base) == 0)
      return *t;
  for (gsize i = 0; i < G_N_ELEMENTS (synonyms); i++)
    if (strcmp (synonyms[i].synonym, base) == 0)
      return synonyms[i].canonical;
  return NULL;
}

/**
 * oxp_tasks_manager_canonical_task:
 * @task: a task name in any spelling: canonical, a synonym or an older
 *   name ("default", "causal-lm", "seq2seq-lm", "masked-lm", …), with or
 *   without "-with-past"
 *
 * Folds @task to optimum's current name, keeping "-with-past"
 * ("causal-lm-with-past" → "text-generation-with-past").  Needs no
 * registry.
 *
 * Returns: (nullable): the canonical name, interned (it lives as long as
 *   the process), or %NULL for an unknown task or a "-with-past" form of a
 *   task that has none
 */
/* Interned so the returned pointer lives as long as the process. */
const char *
oxp_tasks_manager_canonical_task (const char *task)
{
  g_autofree char *base = NULL;
  const char *canonical;

  if (task == NULL || *task == '\0')
    return NULL;
  base = _oxp_task_strip_past (task);
  canonical = canonical_base (base);
  if (canonical == NULL)
    return NULL;
  if (!_oxp_task_has_past (task))
    return canonical;
  if (!_oxp_task_base_allows_past (canonical))
    return NULL;
  {
    g_autofree char *with_past = g_strconcat (canonical, OXP_WITH_PAST_SUFFIX, NULL);
    return g_intern_string (with_past);
  }
}

/**
 * oxp_tasks_manager_is_known_task:
 * @task: a task name
 *
 * Whether @task is a canonical task name oxport knows, maybe with
 * "-with-past"; %FALSE for synonyms, which
 * oxp_tasks_manager_canonical_task() folds.
 *
 * Returns: %TRUE for a canonical task name
 */
gboolean
oxp_tasks_manager_is_known_task (const char *task)
{
  const char *canonical = oxp_tasks_manager_canonical_task (task);

  return canonical != NULL && strcmp (canonical, task) == 0;
}

/**
 * oxp_tasks_manager_list_known_tasks:
 *
 * The canonical task names oxport knows, without "-with-past", sorted: what
 * `oxport tasks` and the shell completion list.
 *
 * Returns: (transfer none) (array zero-terminated=1): the task names
 */
const char *const *
oxp_tasks_manager_list_known_tasks (void)
{
  return known_tasks;
}

/**
 * oxp_tasks_manager_dup_task_synonyms:
 * @task: a task name, in any spelling
 *
 * The synonyms of @task, sorted.
 *
 * Returns: (transfer full) (array zero-terminated=1): the synonyms
 */
char **
oxp_tasks_manager_dup_task_synonyms (const char *task)
{
  g_autoptr (GStrvBuilder) builder = g_strv_builder_new ();
  g_autofree char *base = NULL;
  const char *canonical = oxp_tasks_manager_canonical_task (task);
  gboolean past;
  char **result;

  if (canonical == NULL)
    return g_new0 (char *, 1);
  past = _oxp_task_has_past (canonical);
  base = _oxp_task_strip_past (canonical);
  for (gsize i = 0; i < G_N_ELEMENTS (synonyms); i++)
    {
      if (strcmp (synonyms[i].canonical, base) != 0)
        continue;
      if (past)
        {
          g_autofree char *with_past
              = g_strconcat (synonyms[i].synonym, OXP_WITH_PAST_SUFFIX, NULL);
          g_strv_builder_add (builder, with_past);
        }
      else
        g_strv_builder_add (builder, synonyms[i].synonym);
    }
  result = g_strv_builder_end (builder);
  return result;
}

typedef struct
{
  const char *suffix;
  /* Generates token by token, so past key/values are the default. */
  gboolean generates;
  const char *tasks[5];
} OxpClassSuffix;

/* First match wins, so longer suffixes come before the suffixes they end with. */
static const OxpClassSuffix class_suffixes[] = {
  { "ForSequenceClassification", FALSE, { "text-classification" } },
  { "ForTokenClassification", FALSE, { "token-classification" } },
  { "ForQuestionAnsweringSimple", FALSE, { "question-answering" } },
  { "ForDocumentQuestionAnswering", FALSE, { "document-question-answering" } },
  { "ForVisualQuestionAnswering", FALSE, { "visual-question-answering" } },
  { "ForQuestionAnswering", FALSE, { "question-answering" } },
  { "ForMultipleChoice", FALSE, { "multiple-choice" } },
  { "ForMaskedLM", FALSE, { "fill-mask" } },
  { "ForCausalLM", TRUE, { "text-generation" } },
  { "WithLMHeadModel", TRUE, { "text2text-generation", "text-generation", "fill-mask" } },
  { "LMHeadModel", TRUE, { "text-generation" } },
  { "DoubleHeadsModel", TRUE, { "text-generation" } },
  { "ForConditionalGeneration",
    TRUE,
    { "text2text-generation", "automatic-speech-recognition", "image-to-text",
      "visual-question-answering" } },
  { "ForSpeechSeq2Seq", TRUE, { "automatic-speech-recognition" } },
  { "ForCTC", FALSE, { "automatic-speech-recognition" } },
  { "ForVision2Seq", TRUE, { "image-to-text" } },
  { "ForZeroShotImageClassification", FALSE, { "zero-shot-image-classification" } },
  { "ForZeroShotObjectDetection", FALSE, { "zero-shot-object-detection" } },
  { "ForImageClassificationWithTeacher", FALSE, { "image-classification" } },
  { "ForImageClassification", FALSE, { "image-classification" } },
  { "ForAudioFrameClassification", FALSE, { "audio-frame-classification" } },
  { "ForAudioClassification", FALSE, { "audio-classification" } },
  { "ForXVector", FALSE, { "audio-xvector" } },
  { "ForObjectDetection", FALSE, { "object-detection" } },
  { "ForSemanticSegmentation", FALSE, { "semantic-segmentation", "image-segmentation" } },
  { "ForImageSegmentation", FALSE, { "image-segmentation" } },
  { "ForInstanceSegmentation", FALSE, { "image-segmentation" } },
  { "ForUniversalSegmentation", FALSE, { "image-segmentation" } },
  { "ForMaskedImageModeling", FALSE, { "masked-im" } },
  { "ForDepthEstimation", FALSE, { "depth-estimation" } },
  { "ForImageSuperResolution", FALSE, { "image-to-image" } },
  { "ForImageToImage", FALSE, { "image-to-image" } },
  { "ForTextToSpectrogram", FALSE, { "text-to-audio" } },
  { "ForTextToWaveform", FALSE, { "text-to-audio" } },
  { "ForTextToSpeech", FALSE, { "text-to-audio" } },
  { "ForKeypointDetection", FALSE, { "keypoint-detection" } },
  { "ForPoseEstimation", FALSE, { "keypoint-detection" } },
  { "ForPrediction", FALSE, { "time-series-forecasting" } },
  { "ForPreTraining", FALSE, { "feature-extraction" } },
  /* Composite models whose names end in "Model" but generate. */
  { "VisionEncoderDecoderModel", TRUE, { "image-to-text" } },
  { "SpeechEncoderDecoderModel", TRUE, { "automatic-speech-recognition" } },
  { "EncoderDecoderModel", TRUE, { "text2text-generation" } },
  { "ModelWithProjection", FALSE, { "feature-extraction" } },
  /* MarianMTModel: transformers' AutoModelForSeq2SeqLM maps it, not AutoModel. */
  { "MTModel", TRUE, { "text2text-generation" } },
  /* A bare backbone: BertModel, GPT2Model, … */
  { "Model", FALSE, { "feature-extraction" } },
};

const char *const *
_oxp_task_candidates_for_class (const char *class_name, gboolean *generates)
{
  *generates = FALSE;
  if (class_name == NULL)
    return NULL;
  for (gsize i = 0; i < G_N_ELEMENTS (class_suffixes); i++)
    if (g_str_has_suffix (class_name, class_suffixes[i].suffix))
      {
        *generates = class_suffixes[i].generates;
        return class_suffixes[i].tasks;
      }
  return NULL;
}
