/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

#include <oxport/oxport.h>

G_BEGIN_DECLS

#define OXP_WITH_PAST_SUFFIX "-with-past"

/* Whether @task (canonical) ends in "-with-past". */
G_GNUC_INTERNAL gboolean _oxp_task_has_past (const char *task);
/* @task without "-with-past". (transfer full) */
G_GNUC_INTERNAL char *_oxp_task_strip_past (const char *task);
/* Whether the canonical base task @base has a "-with-past" form. */
G_GNUC_INTERNAL gboolean _oxp_task_base_allows_past (const char *base);

/* Candidate canonical base tasks for a Hugging Face class name, most likely
 * first (BertForSequenceClassification → text-classification,
 * *ForConditionalGeneration → text2text-generation, automatic-speech-recognition,
 * …); NULL when the class name says nothing.  @generates tells whether the
 * class generates step by step (past key/values are then the default).
 * (transfer none) */
G_GNUC_INTERNAL const char *const *_oxp_task_candidates_for_class (const char *class_name,
                                                                   gboolean *generates);

G_END_DECLS
