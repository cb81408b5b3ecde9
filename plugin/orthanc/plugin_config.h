/* plugin_config.h — the "Pdva" section of Orthanc's configuration, read and checked before the
 * plugin registers anything: a wrong value disables the plugin with a clear message instead of
 * analyzing with settings nobody asked for.
 * SPDX-License-Identifier: GPL-3.0-or-later */
#ifndef PDVA_ORTHANC_PLUGIN_CONFIG_H
#define PDVA_ORTHANC_PLUGIN_CONFIG_H

#include <limits.h>
#include <stdbool.h>
#include <stddef.h>

#define PLUGIN_MAX_WOUNDS 6
#define PLUGIN_VENOSOME_ID_MAX 32

/* The six venosome identifiers of the report (docs/orthanc.md lists them for administrators). */
extern const char *const plugin_venosome_ids[PLUGIN_MAX_WOUNDS];

/* Is `id` one of plugin_venosome_ids? */
bool plugin_venosome_is_known(const char *id);

typedef struct plugin_config {
    bool enabled;            /* "Enable", default true */
    unsigned worker_threads; /* "WorkerThreads": analyses computed at once, 1..64, default 1 */
    unsigned threads_per_analysis; /* "ThreadsPerAnalysis": 0 = cores / WorkerThreads */
    bool auto_analyze; /* "AutoAnalyze": on StableSeries of XA/RF series, default false */
    char wounds[PLUGIN_MAX_WOUNDS][PLUGIN_VENOSOME_ID_MAX]; /* "WoundVenosomesDefault" */
    size_t n_wounds;
    char work_dir[PATH_MAX];   /* "WorkDirectory", default <StorageDirectory>/pdva-work */
    char report_dir[PATH_MAX]; /* "ReportDirectory", default <StorageDirectory>/pdva-reports */
    unsigned max_queued_jobs;  /* "MaxQueuedJobs": analyses pending or running, default 100 */
    unsigned max_instances;    /* "MaxInstancesPerSeries": default 5000 */
    int job_priority;          /* "JobPriority": of the Orthanc jobs, default 0 */
    int log_level;             /* "LogLevel": a pdva_log_level, default PDVA_LOG_INFO */
    unsigned orthanc_concurrent_jobs; /* Orthanc's "ConcurrentJobs" (default 2), for a warning */
} plugin_config;

/* Read the configuration of Orthanc (`orthanc_json`: the whole JSON document Orthanc gives its
 * plugins) into *out. `config_path` is where Orthanc read it from (a file or a folder, "" when
 * unknown): relative folders are taken from there, as Orthanc does for StorageDirectory.
 * Returns 0, or -1 with a sentence for the administrator in error[error_cap]. Remarks that do
 * not disable the plugin (an unknown key, likely a typo) go to warnings[warnings_cap], one per
 * line ("" when none). */
int plugin_config_parse(const char *orthanc_json, const char *config_path, plugin_config *out,
                        char *error, size_t error_cap, char *warnings, size_t warnings_cap);

#endif /* PDVA_ORTHANC_PLUGIN_CONFIG_H */
