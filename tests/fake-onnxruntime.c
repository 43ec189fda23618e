/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* A stand-in for libonnxruntime.so.1 that only reports a version (taken
 * from $OXP_FAKE_ORT_VERSION) and serves no API table, to test how
 * oxport's runtime checks versions before asking ORT for anything. */
#include "config.h"

#include <stdint.h>
#include <stdlib.h>

typedef struct
{
  const void *(*get_api) (uint32_t version);
  const char *(*get_version_string) (void);
} FakeApiBase;

const FakeApiBase *OrtGetApiBase (void);

static const void *
fake_get_api (uint32_t version)
{
  return NULL;
}

static const char *
fake_get_version_string (void)
{
  const char *version = getenv ("OXP_FAKE_ORT_VERSION");

  return version != NULL ? version : "1.4.0";
}

static const FakeApiBase fake_api_base = { fake_get_api, fake_get_version_string };

const FakeApiBase *
OrtGetApiBase (void)
{
  return &fake_api_base;
}
