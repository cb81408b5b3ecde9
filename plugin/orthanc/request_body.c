/* request_body.c — parsing the analysis request.
 * SPDX-License-Identifier: GPL-3.0-or-later */
#include <jansson.h>
#include <stdio.h>
#include <string.h>

#include "plugin/orthanc/request_body.h"

static bool only_whitespace(const char *s, size_t len)
{
    for (size_t i = 0; i < len; i++)
        if (s[i] != ' ' && s[i] != '\t' && s[i] != '\r' && s[i] != '\n')
            return false;
    return true;
}

/* Nesting depth of arrays and objects, outside strings. jansson recurses once per level and
 * Orthanc's HTTP threads have small stacks: deep documents are refused before parsing. */
static size_t nesting_depth(const char *s, size_t len)
{
    size_t depth = 0, max = 0;
    bool in_string = false;
    for (size_t i = 0; i < len; i++) {
        char c = s[i];
        if (in_string) {
            if (c == '\\')
                i++;
            else if (c == '"')
                in_string = false;
        } else if (c == '"') {
            in_string = true;
        } else if (c == '[' || c == '{') {
            if (++depth > max)
                max = depth;
        } else if ((c == ']' || c == '}') && depth > 0) {
            depth--;
        }
    }
    return max;
}

static request_status invalid(char *error, size_t cap, const char *message)
{
    snprintf(error, cap, "%s", message);
    return REQUEST_INVALID;
}

static request_status parse_wounds(const json_t *list, analysis_request *out, char *error,
                                   size_t cap)
{
    if (!json_is_array(list))
        return invalid(error, cap, "wound_venosomes must be a list of venosome ids");
    if (json_array_size(list) > 16)
        return invalid(error, cap, "wound_venosomes has too many items");
    out->wounds_given = true;
    size_t i;
    const json_t *v;
    json_array_foreach(list, i, v)
    {
        const char *id = json_string_value(v);
        if (!plugin_venosome_is_known(id)) {
            snprintf(error, cap,
                     "wound_venosomes[%zu] is not one of dorsalis_pedis, medial_plantar, "
                     "lateral_plantar, medial_calcaneal, lateral_calcaneal, "
                     "anterior_perforating",
                     i);
            return REQUEST_INVALID;
        }
        bool dup = false;
        for (size_t k = 0; k < out->n_wounds; k++)
            dup |= strcmp(out->wounds[k], id) == 0;
        if (!dup)
            snprintf(out->wounds[out->n_wounds++], PLUGIN_VENOSOME_ID_MAX, "%s", id);
    }
    return REQUEST_OK;
}

request_status analysis_request_parse(const char *body, size_t len, analysis_request *out,
                                      char *error, size_t cap)
{
    memset(out, 0, sizeof *out);
    if (cap)
        error[0] = '\0';
    if (len > REQUEST_BODY_MAX_BYTES)
        return REQUEST_TOO_LARGE;
    if (!body || only_whitespace(body, len))
        return REQUEST_OK;
    if (nesting_depth(body, len) > REQUEST_BODY_MAX_DEPTH)
        return invalid(error, cap, "the body nests arrays or objects too deeply");
    json_error_t je;
    /* duplicates would hide a value */
    json_t *doc = json_loadb(body, len, JSON_REJECT_DUPLICATES, &je);
    if (!doc) {
        snprintf(error, cap, "the body is not valid JSON: %s (line %d, column %d)", je.text,
                 je.line, je.column);
        return REQUEST_INVALID;
    }
    request_status st = REQUEST_OK;
    if (!json_is_object(doc)) {
        st = invalid(error, cap, "the body must be a JSON object");
        goto done;
    }
    const char *key;
    json_t *v;
    json_object_foreach(doc, key, v)
    {
        if (strcmp(key, "wound_venosomes") == 0) {
            st = parse_wounds(v, out, error, cap);
        } else if (strcmp(key, "baseline") == 0) {
            if (json_is_null(v))
                continue;
            const char *id = json_string_value(v);
            if (!orthanc_id_is_valid(id))
                st = invalid(error, cap,
                             "baseline must be the Orthanc ID of a series that has a pdva report");
            else
                snprintf(out->baseline, sizeof out->baseline, "%s", id);
        } else {
            char shown[48];
            size_t n = 0;
            for (const char *p = key; *p && n + 1 < sizeof shown; p++)
                shown[n++] = (*p >= 0x20 && *p < 0x7f) ? *p : '?';
            shown[n] = '\0';
            snprintf(error, cap,
                     "unknown member \"%s\" (expected wound_venosomes and optionally baseline)",
                     shown);
            st = REQUEST_INVALID;
        }
        if (st != REQUEST_OK)
            break;
    }
done:
    json_decref(doc);
    return st;
}
