/* change_worker.c — the change queue and its thread.
 * SPDX-License-Identifier: GPL-3.0-or-later */
#include <stdio.h>
#include <string.h>

#include "plugin/orthanc/analysis_job.h"
#include "plugin/orthanc/change_worker.h"
#include "plugin/orthanc/orthanc_io.h"

#define QUEUE_CAPACITY 1024u

typedef enum task_kind { TASK_AUTO_ANALYZE = 0, TASK_PRUNE_REPORTS = 1 } task_kind;

typedef struct task {
    task_kind kind;
    char id[ORTHANC_ID_LEN + 1];
} task;

/* One worker per process, like the plugin itself. */
static struct {
    plugin_state *plugin;
    pthread_t thread;
    bool started;
    pthread_mutex_t lock;
    pthread_cond_t changed;
    bool quit;
    task queue[QUEUE_CAPACITY];
    unsigned head, count;
    unsigned dropped;
} worker = {.lock = PTHREAD_MUTEX_INITIALIZER, .changed = PTHREAD_COND_INITIALIZER};

static void enqueue(task_kind kind, const char *id)
{
    pthread_mutex_lock(&worker.lock);
    if (worker.count == QUEUE_CAPACITY) {
        worker.dropped++;
    } else {
        task *t = &worker.queue[(worker.head + worker.count) % QUEUE_CAPACITY];
        t->kind = kind;
        snprintf(t->id, sizeof t->id, "%s", id ? id : "");
        worker.count++;
        pthread_cond_signal(&worker.changed);
    }
    pthread_mutex_unlock(&worker.lock);
}

static bool is_angiographic(const json_t *series)
{
    const char *modality =
        json_string_value(json_object_get(json_object_get(series, "MainDicomTags"), "Modality"));
    return modality && (strcmp(modality, "XA") == 0 || strcmp(modality, "RF") == 0);
}

static void auto_analyze(plugin_state *p, const char *series_id)
{
    char uri[96];
    snprintf(uri, sizeof uri, "/series/%s", series_id);
    json_t *series = orthanc_get_json(p, uri, NULL);
    bool wanted = series && is_angiographic(series);
    json_decref(series);
    if (!wanted)
        return;
    char job_id[64];
    float progress;
    if (analysis_job_find_active(p, series_id, job_id, sizeof job_id, &progress))
        return;
    analysis_params params;
    memset(&params, 0, sizeof params);
    snprintf(params.series_id, sizeof params.series_id, "%s", series_id);
    params.n_wounds = p->config.n_wounds;
    memcpy(params.wounds, p->config.wounds, sizeof params.wounds);
    params.automatic = true;
    submit_status st = analysis_job_submit(p, &params, job_id, sizeof job_id);
    if (st == SUBMIT_OK)
        plugin_log(p, PDVA_LOG_INFO, "automatic analysis of stable series %s: job %s", series_id,
                   job_id);
    else
        plugin_log(p, PDVA_LOG_WARNING, "automatic analysis of series %s not submitted: %s",
                   series_id,
                   st == SUBMIT_QUEUE_FULL ? "Pdva.MaxQueuedJobs reached" : "Orthanc refused");
}

typedef struct prune_ctx {
    plugin_state *plugin;
    unsigned removed;
} prune_ctx;

static void prune_one(void *user, const char *series_id)
{
    prune_ctx *c = user;
    char uri[96];
    snprintf(uri, sizeof uri, "/series/%s", series_id);
    OrthancPluginErrorCode code;
    json_t *series = orthanc_get_json(c->plugin, uri, &code);
    if (series) {
        json_decref(series);
        return;
    }
    if (code == OrthancPluginErrorCode_UnknownResource &&
        report_store_remove(&c->plugin->store, series_id) == 0)
        c->removed++;
}

static void *worker_main(void *unused)
{
    (void)unused;
    plugin_state *p = worker.plugin;
    for (;;) {
        pthread_mutex_lock(&worker.lock);
        while (!worker.quit && worker.count == 0)
            pthread_cond_wait(&worker.changed, &worker.lock);
        if (worker.quit) {
            pthread_mutex_unlock(&worker.lock);
            return NULL;
        }
        task t = worker.queue[worker.head];
        worker.head = (worker.head + 1) % QUEUE_CAPACITY;
        worker.count--;
        unsigned dropped = worker.dropped;
        worker.dropped = 0;
        pthread_mutex_unlock(&worker.lock);
        if (dropped)
            plugin_log(p, PDVA_LOG_WARNING, "%u change(s) dropped: the change queue was full",
                       dropped);
        if (plugin_is_stopping(p))
            continue;
        if (t.kind == TASK_AUTO_ANALYZE) {
            auto_analyze(p, t.id);
        } else {
            prune_ctx c = {p, 0};
            report_store_foreach(&p->store, prune_one, &c);
            if (c.removed)
                plugin_log(p, PDVA_LOG_INFO,
                           "removed %u report(s) of series deleted while the plugin was away",
                           c.removed);
        }
    }
}

int change_worker_start(plugin_state *p)
{
    worker.plugin = p;
    worker.quit = false;
    worker.head = worker.count = worker.dropped = 0;
    int rc = pthread_create(&worker.thread, NULL, worker_main, NULL);
    worker.started = rc == 0;
    return rc;
}

void change_worker_stop(void)
{
    if (!worker.started)
        return;
    pthread_mutex_lock(&worker.lock);
    worker.quit = true;
    pthread_cond_broadcast(&worker.changed);
    pthread_mutex_unlock(&worker.lock);
    pthread_join(worker.thread, NULL);
    worker.started = false;
}

OrthancPluginErrorCode change_worker_on_change(OrthancPluginChangeType change,
                                               OrthancPluginResourceType resource,
                                               const char *resource_id)
{
    plugin_state *p = pdva_plugin;
    if (!p)
        return OrthancPluginErrorCode_Success;
    switch (change) {
    case OrthancPluginChangeType_StableSeries:
        if (p->config.auto_analyze && resource == OrthancPluginResourceType_Series &&
            orthanc_id_is_valid(resource_id))
            enqueue(TASK_AUTO_ANALYZE, resource_id);
        break;
    case OrthancPluginChangeType_Deleted:
        if (resource == OrthancPluginResourceType_Series && orthanc_id_is_valid(resource_id) &&
            report_store_has(&p->store, resource_id)) {
            report_store_remove(&p->store, resource_id);
            plugin_log(p, PDVA_LOG_INFO, "report of deleted series %s removed", resource_id);
        }
        break;
    case OrthancPluginChangeType_OrthancStarted:
        enqueue(TASK_PRUNE_REPORTS, NULL);
        break;
    case OrthancPluginChangeType_OrthancStopped:
        analysis_jobs_request_stop(p);
        break;
    default:
        break;
    }
    return OrthancPluginErrorCode_Success;
}
