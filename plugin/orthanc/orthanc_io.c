/* orthanc_io.c — Orthanc's REST API from inside, and HTTP answers.
 * SPDX-License-Identifier: GPL-3.0-or-later */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "plugin/orthanc/orthanc_io.h"

json_t *orthanc_get_json(plugin_state *p, const char *uri, OrthancPluginErrorCode *code)
{
    OrthancPluginMemoryBuffer buffer;
    memset(&buffer, 0, sizeof buffer);
    OrthancPluginErrorCode rc = OrthancPluginRestApiGet(p->context, &buffer, uri);
    if (code)
        *code = rc;
    if (rc != OrthancPluginErrorCode_Success)
        return NULL;
    json_error_t je;
    json_t *doc = json_loadb(buffer.data, buffer.size, 0, &je);
    OrthancPluginFreeMemoryBuffer(p->context, &buffer);
    if (!doc && code)
        *code = OrthancPluginErrorCode_BadFileFormat;
    return doc;
}

void answer_bytes(plugin_state *p, OrthancPluginRestOutput *output, const char *body, size_t len,
                  const char *mime)
{
    OrthancPluginAnswerBuffer(p->context, output, body, (uint32_t)len, mime);
}

void answer_json(plugin_state *p, OrthancPluginRestOutput *output, unsigned short status,
                 const json_t *doc)
{
    char *text = json_dumps(doc, JSON_INDENT(2) | JSON_PRESERVE_ORDER);
    if (!text) {
        OrthancPluginSendHttpStatusCode(p->context, output, 500);
        return;
    }
    size_t len = strlen(text);
    if (status == 200) {
        OrthancPluginAnswerBuffer(p->context, output, text, (uint32_t)len, "application/json");
    } else {
        OrthancPluginSetHttpHeader(p->context, output, "Content-Type", "application/json");
        OrthancPluginSendHttpStatus(p->context, output, status, text, (uint32_t)len);
    }
    free(text);
}

void answer_error(plugin_state *p, OrthancPluginRestOutput *output, unsigned short status,
                  const char *fmt, ...)
{
    char message[1024];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(message, sizeof message, fmt, ap);
    va_end(ap);
    json_t *doc = json_pack("{s:s, s:i}", "error", message, "status", (int)status);
    if (!doc) {
        OrthancPluginSendHttpStatusCode(p->context, output, status);
        return;
    }
    answer_json(p, output, status, doc);
    json_decref(doc);
}
