/* plugin_config.c — reading and checking the "Pdva" section of Orthanc's configuration.
 * SPDX-License-Identifier: GPL-3.0-or-later */
#include <jansson.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "pdva/pdva.h"
#include "plugin/orthanc/plugin_config.h"

const char *const plugin_venosome_ids[PLUGIN_MAX_WOUNDS] = {
    "dorsalis_pedis",   "medial_plantar",    "lateral_plantar",
    "medial_calcaneal", "lateral_calcaneal", "anterior_perforating"};

bool plugin_venosome_is_known(const char *id)
{
    for (size_t i = 0; id && i < PLUGIN_MAX_WOUNDS; i++)
        if (strcmp(id, plugin_venosome_ids[i]) == 0)
            return true;
    return false;
}

static const char *const known_keys[] = {"Enable",
                                         "WorkerThreads",
                                         "ThreadsPerAnalysis",
                                         "AutoAnalyze",
                                         "WoundVenosomesDefault",
                                         "WorkDirectory",
                                         "ReportDirectory",
                                         "MaxQueuedJobs",
                                         "MaxInstancesPerSeries",
                                         "JobPriority",
                                         "LogLevel",
                                         NULL};

typedef struct parse_ctx {
    char *error;
    size_t error_cap;
    char *warnings;
    size_t warnings_cap;
} parse_ctx;

static int fail(parse_ctx *c, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

static int fail(parse_ctx *c, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(c->error, c->error_cap, fmt, ap);
    va_end(ap);
    return -1;
}

static void warn(parse_ctx *c, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

static void warn(parse_ctx *c, const char *fmt, ...)
{
    size_t used = strlen(c->warnings);
    if (used + 2 >= c->warnings_cap)
        return;
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(c->warnings + used, c->warnings_cap - used, fmt, ap);
    va_end(ap);
    used = strlen(c->warnings);
    if (used + 1 < c->warnings_cap) {
        c->warnings[used] = '\n';
        c->warnings[used + 1] = '\0';
    }
}

static int get_bool(parse_ctx *c, const json_t *section, const char *key, bool *out)
{
    const json_t *v = json_object_get(section, key);
    if (!v)
        return 0;
    if (!json_is_boolean(v))
        return fail(c, "Pdva.%s must be true or false", key);
    *out = json_is_true(v);
    return 0;
}

static int get_int(parse_ctx *c, const json_t *section, const char *key, long long lo, long long hi,
                   long long *out)
{
    const json_t *v = json_object_get(section, key);
    if (!v)
        return 0;
    if (!json_is_integer(v) || json_integer_value(v) < lo || json_integer_value(v) > hi)
        return fail(c, "Pdva.%s must be an integer from %lld to %lld", key, lo, hi);
    *out = json_integer_value(v);
    return 0;
}

static int get_unsigned(parse_ctx *c, const json_t *section, const char *key, unsigned lo,
                        unsigned hi, unsigned *out)
{
    long long v = *out;
    if (get_int(c, section, key, lo, hi, &v) != 0)
        return -1;
    *out = (unsigned)v;
    return 0;
}

/* The folder relative paths of the configuration are taken from: the configuration folder, or
 * the folder of the configuration file, or the current one. */
static void config_base_dir(const char *config_path, char *out, size_t cap)
{
    struct stat st;
    if (!config_path || !config_path[0]) {
        if (!getcwd(out, cap))
            snprintf(out, cap, ".");
        return;
    }
    if (stat(config_path, &st) == 0 && S_ISDIR(st.st_mode)) {
        snprintf(out, cap, "%s", config_path);
        return;
    }
    const char *slash = strrchr(config_path, '/');
    if (!slash) {
        if (!getcwd(out, cap))
            snprintf(out, cap, ".");
    } else if (slash == config_path) {
        snprintf(out, cap, "/");
    } else {
        snprintf(out, cap, "%.*s", (int)(slash - config_path), config_path);
    }
}

static int join_path(parse_ctx *c, const char *base, const char *path, const char *suffix,
                     char *out, size_t cap, const char *what)
{
    int n;
    if (path[0] == '/')
        n = snprintf(out, cap, "%s%s%s", path, suffix[0] ? "/" : "", suffix);
    else
        n = snprintf(out, cap, "%s/%s%s%s", base, path, suffix[0] ? "/" : "", suffix);
    if (n < 0 || (size_t)n >= cap)
        return fail(c, "the path of %s is too long", what);
    /* strip trailing slashes so that comparisons and messages are stable */
    size_t len = strlen(out);
    while (len > 1 && out[len - 1] == '/')
        out[--len] = '\0';
    return 0;
}

static int get_dir(parse_ctx *c, const json_t *section, const char *key, const char *base,
                   const char *storage, const char *fallback, char *out, size_t cap)
{
    const json_t *v = json_object_get(section, key);
    if (!v)
        return join_path(c, base, storage, fallback, out, cap, key);
    const char *s = json_string_value(v);
    if (!s || !s[0])
        return fail(c, "Pdva.%s must be a non-empty folder path", key);
    if (strcmp(s, "/") == 0)
        return fail(c, "Pdva.%s must not be the root folder", key);
    return join_path(c, base, s, "", out, cap, key);
}

static int get_wounds(parse_ctx *c, const json_t *section, plugin_config *out)
{
    const json_t *v = json_object_get(section, "WoundVenosomesDefault");
    if (!v)
        return 0;
    if (!json_is_array(v))
        return fail(c, "Pdva.WoundVenosomesDefault must be a list of venosome ids");
    size_t i;
    const json_t *item;
    json_array_foreach(v, i, item)
    {
        const char *id = json_string_value(item);
        if (!plugin_venosome_is_known(id))
            return fail(c,
                        "Pdva.WoundVenosomesDefault[%zu] is not one of dorsalis_pedis, "
                        "medial_plantar, lateral_plantar, medial_calcaneal, lateral_calcaneal, "
                        "anterior_perforating",
                        i);
        bool dup = false;
        for (size_t k = 0; k < out->n_wounds; k++)
            dup |= strcmp(out->wounds[k], id) == 0;
        if (!dup)
            snprintf(out->wounds[out->n_wounds++], PLUGIN_VENOSOME_ID_MAX, "%s", id);
    }
    return 0;
}

static int get_log_level(parse_ctx *c, const json_t *section, int *out)
{
    static const char *const names[] = {"debug", "info", "warning", "error"};
    const json_t *v = json_object_get(section, "LogLevel");
    if (!v)
        return 0;
    const char *s = json_string_value(v);
    for (int i = 0; s && i < 4; i++)
        if (strcmp(s, names[i]) == 0) {
            *out = i;
            return 0;
        }
    return fail(c, "Pdva.LogLevel must be \"debug\", \"info\", \"warning\" or \"error\"");
}

static void defaults(plugin_config *out)
{
    memset(out, 0, sizeof *out);
    out->enabled = true;
    out->worker_threads = 1;
    out->threads_per_analysis = 0;
    out->max_queued_jobs = 100;
    out->max_instances = 5000;
    out->log_level = PDVA_LOG_INFO;
    out->orthanc_concurrent_jobs = 2;
}

static int parse_section(parse_ctx *c, const json_t *root, json_t *section, const char *config_path,
                         plugin_config *out)
{
    const char *key;
    json_t *v;
    json_object_foreach(section, key, v)
    {
        bool known = false;
        for (size_t i = 0; known_keys[i]; i++)
            known |= strcmp(key, known_keys[i]) == 0;
        if (!known)
            warn(c, "unknown option Pdva.%s is ignored (a typo?)", key);
    }
    long long priority = 0;
    if (get_bool(c, section, "Enable", &out->enabled) ||
        get_unsigned(c, section, "WorkerThreads", 1, 64, &out->worker_threads) ||
        get_unsigned(c, section, "ThreadsPerAnalysis", 0, 256, &out->threads_per_analysis) ||
        get_bool(c, section, "AutoAnalyze", &out->auto_analyze) || get_wounds(c, section, out) ||
        get_unsigned(c, section, "MaxQueuedJobs", 1, 10000, &out->max_queued_jobs) ||
        get_unsigned(c, section, "MaxInstancesPerSeries", 1, 100000, &out->max_instances) ||
        get_int(c, section, "JobPriority", -1000, 1000, &priority) ||
        get_log_level(c, section, &out->log_level))
        return -1;
    out->job_priority = (int)priority;

    /* Orthanc's own options this plugin depends on */
    const json_t *storage_v = json_object_get(root, "StorageDirectory");
    const char *storage = storage_v ? json_string_value(storage_v) : "OrthancStorage";
    if (!storage || !storage[0])
        return fail(c, "StorageDirectory of Orthanc is not a path");
    const json_t *cj = json_object_get(root, "ConcurrentJobs");
    if (json_is_integer(cj) && json_integer_value(cj) >= 0 && json_integer_value(cj) < 100000)
        out->orthanc_concurrent_jobs = (unsigned)json_integer_value(cj);

    char base[PATH_MAX];
    config_base_dir(config_path, base, sizeof base);
    if (get_dir(c, section, "WorkDirectory", base, storage, "pdva-work", out->work_dir,
                sizeof out->work_dir) ||
        get_dir(c, section, "ReportDirectory", base, storage, "pdva-reports", out->report_dir,
                sizeof out->report_dir))
        return -1;
    size_t wl = strlen(out->work_dir), rl = strlen(out->report_dir);
    if (strcmp(out->work_dir, out->report_dir) == 0 ||
        (rl > wl && strncmp(out->report_dir, out->work_dir, wl) == 0 &&
         out->report_dir[wl] == '/') ||
        (wl > rl && strncmp(out->work_dir, out->report_dir, rl) == 0 && out->work_dir[rl] == '/'))
        return fail(c,
                    "Pdva.WorkDirectory (%s) and Pdva.ReportDirectory (%s) must be separate "
                    "folders: work folders are deleted, reports are kept",
                    out->work_dir, out->report_dir);
    return 0;
}

int plugin_config_parse(const char *orthanc_json, const char *config_path, plugin_config *out,
                        char *error, size_t error_cap, char *warnings, size_t warnings_cap)
{
    parse_ctx c = {error, error_cap, warnings, warnings_cap};
    if (error_cap)
        error[0] = '\0';
    if (warnings_cap)
        warnings[0] = '\0';
    defaults(out);
    json_error_t je;
    json_t *root = orthanc_json ? json_loads(orthanc_json, 0, &je) : NULL;
    if (!root || !json_is_object(root)) {
        json_decref(root);
        return fail(&c, "the configuration of Orthanc is not a JSON object");
    }
    json_t *section = json_object_get(root, "Pdva");
    json_t *empty = section ? NULL : json_object();
    int rc = 0;
    if (section && !json_is_object(section))
        rc = fail(&c, "the \"Pdva\" section of the configuration must be a JSON object");
    else if (!section && !empty)
        rc = fail(&c, "no memory to read the configuration");
    else
        rc = parse_section(&c, root, section ? section : empty, config_path, out);
    json_decref(empty);
    json_decref(root);
    return rc;
}
