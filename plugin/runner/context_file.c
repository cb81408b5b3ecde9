/* context_file.c — context.json: {"wound_venosomes": [...], "baseline_report": null | "path"}.
 * Other members (laterality, note) are the generator's and are ignored.
 * SPDX-License-Identifier: GPL-3.0-or-later */
#include <jansson.h>
#include <string.h>

#include "plugin/runner/cli.h"
#include "plugin/runner/context_file.h"

static int known_venosome(const char *id)
{
    for (size_t i = 0; runner_venosome_ids[i]; i++)
        if (strcmp(id, runner_venosome_ids[i]) == 0)
            return 1;
    return 0;
}

static int read_wounds(const json_t *list, const char *path, study_context *ctx, FILE *errors)
{
    if (!list || json_is_null(list))
        return 0;
    if (!json_is_array(list)) {
        fprintf(errors, "pdva: %s: wound_venosomes is not a list\n", path);
        return -1;
    }
    size_t i;
    const json_t *v;
    json_array_foreach(list, i, v)
    {
        const char *id = json_string_value(v);
        if (!id || !known_venosome(id)) {
            fprintf(errors, "pdva: %s: wound_venosomes[%zu] is not a venosome id\n", path, i);
            return -1;
        }
        int dup = 0;
        for (size_t k = 0; k < ctx->n_wounds; k++)
            dup |= strcmp(ctx->wounds[k], id) == 0;
        if (!dup && ctx->n_wounds < CONTEXT_MAX_WOUNDS)
            snprintf(ctx->wounds[ctx->n_wounds++], sizeof ctx->wounds[0], "%s", id);
    }
    return 0;
}

/* A relative baseline path is relative to the folder of context.json. */
static int resolve_baseline(const json_t *value, const char *path, study_context *ctx, FILE *errors)
{
    if (!value || json_is_null(value))
        return 0;
    const char *rel = json_string_value(value);
    if (!rel || !rel[0]) {
        fprintf(errors, "pdva: %s: baseline_report is not a path\n", path);
        return -1;
    }
    int n;
    const char *slash = strrchr(path, '/');
    if (rel[0] == '/' || !slash)
        n = snprintf(ctx->baseline_path, sizeof ctx->baseline_path, "%s", rel);
    else
        n = snprintf(ctx->baseline_path, sizeof ctx->baseline_path, "%.*s/%s", (int)(slash - path),
                     path, rel);
    if (n < 0 || (size_t)n >= sizeof ctx->baseline_path) {
        fprintf(errors, "pdva: %s: baseline_report path too long\n", path);
        return -1;
    }
    return 0;
}

int context_file_read(const char *path, study_context *ctx, FILE *errors)
{
    memset(ctx, 0, sizeof *ctx);
    json_error_t je;
    /* a context is a few hundred bytes: refuse anything unreasonable before parsing it */
    FILE *f = fopen(path, "rb");
    if (!f) {
        fprintf(errors, "pdva: cannot open the context file %s\n", path);
        return -1;
    }
    char buf[65536];
    size_t len = fread(buf, 1, sizeof buf, f);
    int too_big = len == sizeof buf;
    fclose(f);
    if (too_big) {
        fprintf(errors, "pdva: %s is larger than 64 KiB: not a context file\n", path);
        return -1;
    }
    json_t *doc = json_loadb(buf, len, JSON_REJECT_DUPLICATES, &je);
    if (!doc || !json_is_object(doc)) {
        fprintf(errors, "pdva: %s is not a JSON object (%s, line %d)\n", path,
                doc ? "wrong type" : je.text, doc ? 0 : je.line);
        json_decref(doc);
        return -1;
    }
    int rc = read_wounds(json_object_get(doc, "wound_venosomes"), path, ctx, errors);
    if (rc == 0)
        rc = resolve_baseline(json_object_get(doc, "baseline_report"), path, ctx, errors);
    json_decref(doc);
    return rc;
}
