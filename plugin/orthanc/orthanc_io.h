/* orthanc_io.h — talking to Orthanc: its REST API read from inside the plugin (resources as
 * JSON), and HTTP answers (JSON documents, JSON errors, text).
 * SPDX-License-Identifier: GPL-3.0-or-later */
#ifndef PDVA_ORTHANC_ORTHANC_IO_H
#define PDVA_ORTHANC_ORTHANC_IO_H

#include <jansson.h>
#include <orthanc/OrthancCPlugin.h>
#include <stddef.h>

#include "plugin/orthanc/plugin_state.h"

/* GET `uri` from Orthanc's own REST API (no HTTP involved) and parse it. Returns a new
 * reference, or NULL: *code (optional) then says why (OrthancPluginErrorCode_UnknownResource
 * for a missing resource). Never call it from an OnChange callback (Orthanc may deadlock). */
json_t *orthanc_get_json(plugin_state *p, const char *uri, OrthancPluginErrorCode *code);

/* Answer `doc` (borrowed) with HTTP `status` (200, or any code Orthanc lets a plugin send). */
void answer_json(plugin_state *p, OrthancPluginRestOutput *output, unsigned short status,
                 const json_t *doc);

/* Answer {"error": message, "status": status} with HTTP `status`. printf-style. */
void answer_error(plugin_state *p, OrthancPluginRestOutput *output, unsigned short status,
                  const char *fmt, ...) __attribute__((format(printf, 4, 5)));

/* Answer `len` bytes of `body` with `mime` and HTTP 200. */
void answer_bytes(plugin_state *p, OrthancPluginRestOutput *output, const char *body, size_t len,
                  const char *mime);

#endif /* PDVA_ORTHANC_ORTHANC_IO_H */
