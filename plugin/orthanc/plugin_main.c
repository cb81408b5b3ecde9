/* plugin_main.c — the four entry points Orthanc calls (the only symbols libOrthancPdva.so
 * exports, see OrthancPdva.map): read the configuration, prepare the folders, register the
 * routes, the change callback and the Explorer panel; on the way out, stop the analyses and
 * remove the work folders. A bad configuration disables the plugin (one route explains why)
 * instead of stopping Orthanc.
 * SPDX-License-Identifier: GPL-3.0-or-later */
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "plugin/orthanc/analysis_job.h"
#include "plugin/orthanc/change_worker.h"
#include "plugin/common/fs_util.h"
#include "plugin/orthanc/plugin_state.h"
#include "plugin/orthanc/rest_api.h"

/* explorer.js, embedded at build time (explorer_js.c). */
extern const char pdva_explorer_js[];

ORTHANC_PLUGINS_API int32_t OrthancPluginInitialize(OrthancPluginContext *context);
ORTHANC_PLUGINS_API void OrthancPluginFinalize(void);
ORTHANC_PLUGINS_API const char *OrthancPluginGetName(void);
ORTHANC_PLUGINS_API const char *OrthancPluginGetVersion(void);

static int32_t disable(OrthancPluginContext *context, const char *reason)
{
    char line[2 * PATH_MAX + 600];
    snprintf(line, sizeof line, "pdva: the plugin is DISABLED: %s", reason);
    OrthancPluginLogError(context, line);
    rest_api_register_disabled(context, reason);
    return 0; /* Orthanc keeps running without pdva */
}

static unsigned online_cores(void)
{
    long n = sysconf(_SC_NPROCESSORS_ONLN);
    return n > 0 && n < 4096 ? (unsigned)n : 1u;
}

/* The folders, checked now rather than at the first analysis. */
static int prepare_folders(plugin_state *p, char *why, size_t cap)
{
    if (fs_make_dirs(p->config.work_dir, 0700) != 0 ||
        access(p->config.work_dir, W_OK | X_OK) != 0) {
        snprintf(why, cap, "Pdva.WorkDirectory %s cannot be created or written: %s",
                 p->config.work_dir, strerror(errno));
        return -1;
    }
    if (report_store_open(&p->store, p->config.report_dir) != 0) {
        snprintf(why, cap, "Pdva.ReportDirectory %s cannot be created or written: %s",
                 p->config.report_dir, strerror(errno));
        return -1;
    }
    return 0;
}

static plugin_state *state_create(OrthancPluginContext *context, const plugin_config *config)
{
    plugin_state *p = calloc(1, sizeof *p);
    if (!p)
        return NULL;
    p->context = context;
    p->config = *config;
    pthread_mutex_init(&p->lock, NULL);
    pthread_cond_init(&p->slot_freed, NULL);
    pthread_cond_init(&p->thread_exited, NULL);
    p->slots_free = config->worker_threads;
    p->threads_per_analysis = config->threads_per_analysis;
    if (p->threads_per_analysis == 0) {
        unsigned per = online_cores() / config->worker_threads;
        p->threads_per_analysis = per ? per : 1;
    }
    return p;
}

static void state_destroy(plugin_state *p)
{
    pthread_cond_destroy(&p->thread_exited);
    pthread_cond_destroy(&p->slot_freed);
    pthread_mutex_destroy(&p->lock);
    free(p);
}

static void log_config(plugin_state *p, const char *warnings)
{
    for (const char *line = warnings; line && *line;) {
        const char *end = strchr(line, '\n');
        size_t len = end ? (size_t)(end - line) : strlen(line);
        plugin_log(p, PDVA_LOG_WARNING, "configuration: %.*s", (int)len, line);
        line = end ? end + 1 : line + len;
    }
    plugin_log(p, PDVA_LOG_WARNING,
               "pdva %s (library %s) ready: %u worker thread(s) x %u thread(s), automatic "
               "analysis %s, reports in %s",
               PDVA_VERSION_STRING, pdva_version_string(), p->config.worker_threads,
               p->threads_per_analysis, p->config.auto_analyze ? "on" : "off",
               p->config.report_dir);
    if (p->config.orthanc_concurrent_jobs != 0 &&
        p->config.orthanc_concurrent_jobs < p->config.worker_threads)
        plugin_log(p, PDVA_LOG_WARNING,
                   "Orthanc's ConcurrentJobs (%u) is below Pdva.WorkerThreads (%u): at most %u "
                   "analyses will run at once",
                   p->config.orthanc_concurrent_jobs, p->config.worker_threads,
                   p->config.orthanc_concurrent_jobs);
}

ORTHANC_PLUGINS_API int32_t OrthancPluginInitialize(OrthancPluginContext *context)
{
    if (!OrthancPluginCheckVersion(context)) {
        char line[256];
        snprintf(line, sizeof line,
                 "pdva: this Orthanc (%s) is older than the plugin SDK it was built for "
                 "(%d.%d.%d); the plugin is not loaded",
                 context->orthancVersion, ORTHANC_PLUGINS_MINIMAL_MAJOR_NUMBER,
                 ORTHANC_PLUGINS_MINIMAL_MINOR_NUMBER, ORTHANC_PLUGINS_MINIMAL_REVISION_NUMBER);
        OrthancPluginLogError(context, line);
        return -1;
    }
    OrthancPluginSetDescription(context, "p-DVA angiography analysis (pdva): analyzes XA/XRF "
                                         "series after percutaneous deep venous arterialization");
    if (pdva_version_number() / 10000 != PDVA_VERSION_MAJOR) {
        char why[160];
        snprintf(why, sizeof why, "libpdva %s is loaded, this plugin needs %d.x",
                 pdva_version_string(), PDVA_VERSION_MAJOR);
        return disable(context, why);
    }

    char *json = OrthancPluginGetConfiguration(context);
    char *path = OrthancPluginGetConfigurationPath(context);
    plugin_config config;
    char error[2 * PATH_MAX + 512], warnings[2048];
    int rc = plugin_config_parse(json, path ? path : "", &config, error, sizeof error, warnings,
                                 sizeof warnings);
    if (json)
        OrthancPluginFreeString(context, json);
    if (path)
        OrthancPluginFreeString(context, path);
    if (rc != 0)
        return disable(context, error);
    if (!config.enabled)
        return disable(context, "Pdva.Enable is false");

    plugin_state *p = state_create(context, &config);
    if (!p)
        return disable(context, "no memory");
    if (prepare_folders(p, error, sizeof error) != 0) {
        state_destroy(p);
        return disable(context, error);
    }
    analysis_jobs_clean_work_dir(p);
    pdva_plugin = p;
    rc = change_worker_start(p);
    if (rc != 0) {
        pdva_plugin = NULL;
        state_destroy(p);
        snprintf(error, sizeof error, "cannot start the change thread: %s", strerror(rc));
        return disable(context, error);
    }
    rest_api_register(p);
    OrthancPluginRegisterOnChangeCallback(context, change_worker_on_change);
    OrthancPluginExtendOrthancExplorer(context, pdva_explorer_js);
    log_config(p, warnings);
    plugin_update_metrics(p);
    return 0;
}

ORTHANC_PLUGINS_API void OrthancPluginFinalize(void)
{
    rest_api_unregister_disabled();
    plugin_state *p = pdva_plugin;
    if (!p)
        return;
    change_worker_stop();
    /* Orthanc finalizes its jobs before its plugins; should one still run, it is cancelled
     * here, and its work folder goes with the others */
    analysis_jobs_wait_threads(p, 60);
    analysis_jobs_clean_work_dir(p);
    plugin_log(p, PDVA_LOG_INFO, "plugin stopped");
    pthread_mutex_lock(&p->lock);
    bool jobs_left = p->jobs != NULL;
    pthread_mutex_unlock(&p->lock);
    if (!jobs_left) {
        pdva_plugin = NULL;
        state_destroy(p);
    }
}

ORTHANC_PLUGINS_API const char *OrthancPluginGetName(void)
{
    return PDVA_PLUGIN_NAME;
}

ORTHANC_PLUGINS_API const char *OrthancPluginGetVersion(void)
{
    return PDVA_VERSION_STRING;
}
