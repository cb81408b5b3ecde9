/* analysis_job.h — one analysis of one series as an Orthanc job: visible in /jobs, cancellable,
 * with its progress. Its steps: list the instances, export them into a private work folder,
 * wait for an analysis slot (Pdva.WorkerThreads), run pdva_analyze() on a thread of its own
 * while the job polls it (so that Orthanc can cancel between polls), store the report, remove
 * the work folder. Every way out (success, failure, cancel, pause, Orthanc stopping) removes
 * the work folder.
 * SPDX-License-Identifier: GPL-3.0-or-later */
#ifndef PDVA_ORTHANC_ANALYSIS_JOB_H
#define PDVA_ORTHANC_ANALYSIS_JOB_H

#include <stdbool.h>
#include <stddef.h>

#include "plugin/orthanc/plugin_state.h"

/* What to analyze. */
typedef struct analysis_params {
    char series_id[ORTHANC_ID_LEN + 1];
    char wounds[PLUGIN_MAX_WOUNDS][PLUGIN_VENOSOME_ID_MAX];
    size_t n_wounds;
    char baseline_series[ORTHANC_ID_LEN + 1]; /* "" when none */
    char *baseline_json;                      /* its report, malloc'ed, or NULL */
    bool automatic;                           /* submitted by AutoAnalyze */
} analysis_params;

typedef enum submit_status {
    SUBMIT_OK = 0,
    SUBMIT_QUEUE_FULL = 1, /* Pdva.MaxQueuedJobs analyses already pending or running */
    SUBMIT_FAILED = 2      /* Orthanc refused the job, or no memory */
} submit_status;

/* Submit an analysis. `params->baseline_json` is taken in every case (freed here on failure).
 * On SUBMIT_OK the Orthanc job ID is in job_id[cap]. */
submit_status analysis_job_submit(plugin_state *p, analysis_params *params, char *job_id,
                                  size_t cap);

/* Is an analysis of `series_id` pending or running? Then its job ID is in job_id[cap] and its
 * progress (0..1) in *progress. */
bool analysis_job_find_active(plugin_state *p, const char *series_id, char *job_id, size_t cap,
                              float *progress);

/* Forget analyses Orthanc has completed without telling them (cancelled while pending). */
void analysis_jobs_refresh(plugin_state *p);

/* Orthanc is stopping: make every analysis cancel at its next progress report. */
void analysis_jobs_request_stop(plugin_state *p);

/* At plugin finalization: cancel and wait (at most `wait_s`) for analysis threads still
 * running, so that none outlives the plugin. */
void analysis_jobs_wait_threads(plugin_state *p, unsigned wait_s);

/* Remove every "job-*" folder in the work directory (left by a crash or a kill). */
void analysis_jobs_clean_work_dir(plugin_state *p);

#endif /* PDVA_ORTHANC_ANALYSIS_JOB_H */
