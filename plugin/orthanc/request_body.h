/* request_body.h — the body of POST /pdva/series/{id}/analyze, an untrusted JSON document:
 *   {"wound_venosomes": ["medial_plantar", ...], "baseline": "<Orthanc series ID>"}
 * Both members are optional; anything else is refused so that a typo does not silently
 * analyze without the wound.
 * SPDX-License-Identifier: GPL-3.0-or-later */
#ifndef PDVA_ORTHANC_REQUEST_BODY_H
#define PDVA_ORTHANC_REQUEST_BODY_H

#include <stdbool.h>
#include <stddef.h>

#include "plugin/orthanc/plugin_config.h"
#include "plugin/orthanc/report_store.h"

/* Bodies larger than this are refused before parsing (HTTP 413). */
#define REQUEST_BODY_MAX_BYTES (64u * 1024u)
/* Deeper nesting is refused before parsing (HTTP 400): the real body is 2 levels deep. */
#define REQUEST_BODY_MAX_DEPTH 16u

typedef struct analysis_request {
    char wounds[PLUGIN_MAX_WOUNDS][PLUGIN_VENOSOME_ID_MAX];
    size_t n_wounds;
    bool wounds_given;                 /* "wound_venosomes" was present (even empty) */
    char baseline[ORTHANC_ID_LEN + 1]; /* "" when none */
} analysis_request;

typedef enum request_status {
    REQUEST_OK = 0,
    REQUEST_TOO_LARGE = 1, /* larger than REQUEST_BODY_MAX_BYTES */
    REQUEST_INVALID = 2    /* not JSON, wrong members or values: the message says which */
} request_status;

/* Parse `body` (`len` bytes, not NUL-terminated, may be empty: the defaults) into *out. On
 * REQUEST_INVALID a sentence for the client is in error[cap]. */
request_status analysis_request_parse(const char *body, size_t len, analysis_request *out,
                                      char *error, size_t cap);

#endif /* PDVA_ORTHANC_REQUEST_BODY_H */
