/* plugin_state.h — what the Orthanc plugin holds while it is loaded: Orthanc's context, the
 * configuration, the report store, the analysis slots (Pdva.WorkerThreads), and the list of
 * live analysis jobs. One instance per process (Orthanc loads a plugin once); its fields are
 * guarded by `lock` unless marked read-only after initialization.
 * SPDX-License-Identifier: GPL-3.0-or-later */
#ifndef PDVA_ORTHANC_PLUGIN_STATE_H
#define PDVA_ORTHANC_PLUGIN_STATE_H

#include <orthanc/OrthancCPlugin.h>
#include <pthread.h>
#include <stdbool.h>

#include "pdva/pdva.h"
#include "plugin/orthanc/plugin_config.h"
#include "plugin/orthanc/report_store.h"

#define PDVA_PLUGIN_NAME "pdva"
#define PDVA_JOB_TYPE "PdvaAnalysis"

struct analysis_job;

typedef struct plugin_state {
    /* read-only after OrthancPluginInitialize */
    OrthancPluginContext *context;
    plugin_config config;
    report_store store;
    unsigned threads_per_analysis; /* resolved ThreadsPerAnalysis */

    pthread_mutex_t lock;
    pthread_cond_t slot_freed;    /* signalled when an analysis slot is released */
    unsigned slots_free;          /* of config.worker_threads */
    bool stopping;                /* Orthanc is stopping: every analysis cancels */
    struct analysis_job *jobs;    /* live jobs (created, not finalized), linked by `next` */
    unsigned active;              /* jobs pending or running (for MaxQueuedJobs) */
    unsigned threads_alive;       /* analysis threads not yet finished */
    pthread_cond_t thread_exited; /* signalled when threads_alive decreases */
    unsigned long succeeded, failed, cancelled;
} plugin_state;

/* The plugin of this process; NULL before initialization or when disabled. */
extern plugin_state *pdva_plugin;

/* Log through Orthanc when `level` reaches Pdva.LogLevel. printf-style, one line. */
void plugin_log(const plugin_state *p, pdva_log_level level, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

/* The pdva_log_fn that forwards the library's messages to Orthanc's log; user_data is the
 * plugin_state. */
void plugin_log_from_library(void *user_data, pdva_log_level level, const char *message);

/* Take an analysis slot, waiting at most `wait_ms`. Returns true when taken (give it back with
 * plugin_slot_release), false on timeout or when Orthanc is stopping. */
bool plugin_slot_acquire(plugin_state *p, unsigned wait_ms);
void plugin_slot_release(plugin_state *p);

/* Is Orthanc stopping? */
bool plugin_is_stopping(plugin_state *p);

/* Publish the counters as Orthanc metrics (pdva_analyses_active, ...). Caller holds no lock. */
void plugin_update_metrics(plugin_state *p);

#endif /* PDVA_ORTHANC_PLUGIN_STATE_H */
