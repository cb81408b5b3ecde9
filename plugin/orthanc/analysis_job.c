/* analysis_job.c — the Orthanc job that analyzes a series.
 *
 * Threads: Orthanc calls step/stop/reset/progress/content of one job on that job's worker
 * thread, one at a time ("job thread"); finalize may come from another thread once the job
 * no longer runs. pdva_analyze() runs on a thread the job starts ("analysis thread"), because
 * Orthanc checks for cancellation only between two steps: the job thread polls the analysis
 * every 200 ms, and a cancel reaches the analysis through its progress callback.
 * Locks: plugin_state.lock before analysis_job.mu, never the reverse.
 * SPDX-License-Identifier: GPL-3.0-or-later */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "plugin/orthanc/analysis_job.h"
#include "plugin/common/fs_util.h"
#include "plugin/orthanc/orthanc_io.h"

typedef enum job_phase {
    PHASE_LIST = 0,  /* find the instances, make the work folder */
    PHASE_EXPORT,    /* write the instances into it, a few per step */
    PHASE_WAIT_SLOT, /* wait for one of Pdva.WorkerThreads */
    PHASE_ANALYZE,   /* the analysis thread runs; poll it */
    PHASE_STORE,     /* keep the report */
    PHASE_DONE
} job_phase;

/* Time one step may take before giving Orthanc a chance to cancel or pause. */
#define STEP_BUDGET_MS 200u
/* Share of the progress bar given to exporting the instances. */
#define EXPORT_SHARE 0.1f

typedef struct analysis_job {
    struct analysis_job *next; /* in plugin_state.jobs (plugin lock) */
    plugin_state *plugin;
    analysis_params params; /* immutable after submit (baseline_json owned) */

    /* plugin lock */
    char orthanc_id[64];
    bool active;
    unsigned generation; /* runs started by submit or reset, see refresh_active */

    /* job thread only */
    job_phase phase;
    char work_dir[PATH_MAX];
    bool work_dir_made;
    json_t *instances;
    size_t n_instances, next_instance;
    char study_id[ORTHANC_ID_LEN + 1];
    bool holds_slot;
    struct timespec started;
    char content[4096]; /* what getContent returned last */

    /* mu: shared with the analysis thread and with REST readers */
    pthread_mutex_t mu;
    pthread_cond_t finished_cv;
    pthread_t thread;
    bool thread_running; /* started and not joined */
    bool cancel;
    bool finished;
    pdva_status status;
    char error[512];
    pdva_report *report;
    float progress;
    char state[24];    /* "pending", "exporting", "waiting", "analyzing", ... */
    char stage[32];    /* the library's stage while analyzing */
    char failure[600]; /* why the job failed, for /jobs and the Explorer */
} analysis_job;

static double seconds_since(const struct timespec *t0)
{
    struct timespec now;
    clock_gettime(CLOCK_MONOTONIC, &now);
    return (double)(now.tv_sec - t0->tv_sec) + 1e-9 * (double)(now.tv_nsec - t0->tv_nsec);
}

static void set_state(analysis_job *j, const char *state, float progress)
{
    pthread_mutex_lock(&j->mu);
    snprintf(j->state, sizeof j->state, "%s", state);
    if (progress >= 0.0f)
        j->progress = progress;
    pthread_mutex_unlock(&j->mu);
}

static void job_id_copy(analysis_job *j, char *out, size_t cap)
{
    pthread_mutex_lock(&j->plugin->lock);
    snprintf(out, cap, "%s", j->orthanc_id[0] ? j->orthanc_id : "(not yet submitted)");
    pthread_mutex_unlock(&j->plugin->lock);
}

static void set_active(analysis_job *j, bool active)
{
    plugin_state *p = j->plugin;
    pthread_mutex_lock(&p->lock);
    if (j->active != active) {
        j->active = active;
        if (active)
            p->active++;
        else if (p->active > 0)
            p->active--;
    }
    pthread_mutex_unlock(&p->lock);
}

static OrthancPluginJobStepStatus job_fail(analysis_job *j, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

static OrthancPluginJobStepStatus job_fail(analysis_job *j, const char *fmt, ...)
{
    char message[sizeof j->failure];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(message, sizeof message, fmt, ap);
    va_end(ap);
    pthread_mutex_lock(&j->mu);
    snprintf(j->failure, sizeof j->failure, "%s", message);
    snprintf(j->state, sizeof j->state, "failed");
    pthread_mutex_unlock(&j->mu);
    char id[64];
    job_id_copy(j, id, sizeof id);
    plugin_log(j->plugin, PDVA_LOG_WARNING, "analysis job %s of series %s failed: %s", id,
               j->params.series_id, message);
    return OrthancPluginJobStepStatus_Failure;
}

/* ---- the analysis thread ----------------------------------------------------------------- */

static int on_progress(void *user, double fraction, const char *stage)
{
    analysis_job *j = user;
    pthread_mutex_lock(&j->mu);
    j->progress = EXPORT_SHARE + (1.0f - EXPORT_SHARE) * (float)(fraction * 0.98);
    snprintf(j->stage, sizeof j->stage, "%s", stage ? stage : "");
    bool cancel = j->cancel;
    pthread_mutex_unlock(&j->mu);
    return cancel || plugin_is_stopping(j->plugin);
}

static void *analysis_thread(void *user)
{
    analysis_job *j = user;
    plugin_state *p = j->plugin;
    char dicom_dir[PATH_MAX + 8], out_dir[PATH_MAX + 8];
    snprintf(dicom_dir, sizeof dicom_dir, "%s/dicom", j->work_dir);
    snprintf(out_dir, sizeof out_dir, "%s/out", j->work_dir);
    const char *paths[1] = {dicom_dir};
    const char *wounds[PLUGIN_MAX_WOUNDS];
    for (size_t i = 0; i < j->params.n_wounds; i++)
        wounds[i] = j->params.wounds[i];

    pdva_analysis_options o;
    pdva_analysis_options_init(&o);
    o.wound_venosomes = wounds;
    o.n_wound_venosomes = j->params.n_wounds;
    o.baseline_report_json = j->params.baseline_json;
    o.output_dir = out_dir;
    o.threads = p->threads_per_analysis;
    o.progress = on_progress;
    o.progress_user_data = j;
    o.log = plugin_log_from_library;
    o.log_user_data = p;
    o.log_level = (pdva_log_level)p->config.log_level;

    pdva_report *report = NULL;
    pdva_error *err = NULL;
    pdva_status st = pdva_analyze(paths, 1, &o, &report, &err);

    pthread_mutex_lock(&j->mu);
    j->status = st;
    j->report = report;
    snprintf(j->error, sizeof j->error, "%s", st == PDVA_OK ? "" : pdva_error_message(err));
    j->finished = true;
    pthread_cond_broadcast(&j->finished_cv);
    pthread_mutex_unlock(&j->mu);
    pdva_error_destroy(err);

    pthread_mutex_lock(&p->lock);
    p->threads_alive--;
    pthread_cond_broadcast(&p->thread_exited);
    pthread_mutex_unlock(&p->lock);
    return NULL;
}

/* Cancel the analysis thread if any and wait for it; give back its slot. */
static void stop_analysis(analysis_job *j)
{
    pthread_mutex_lock(&j->mu);
    bool running = j->thread_running;
    j->cancel = true;
    j->thread_running = false;
    pthread_mutex_unlock(&j->mu);
    if (running)
        pthread_join(j->thread, NULL);
    if (j->holds_slot) {
        plugin_slot_release(j->plugin);
        j->holds_slot = false;
    }
    pthread_mutex_lock(&j->mu);
    pdva_report_destroy(j->report);
    j->report = NULL;
    pthread_mutex_unlock(&j->mu);
}

/* Everything a run holds, released; the job can start again from the beginning. */
static void release_run(analysis_job *j)
{
    stop_analysis(j);
    if (j->work_dir_made) {
        if (fs_remove_tree(j->work_dir) != 0)
            plugin_log(j->plugin, PDVA_LOG_WARNING, "cannot remove the work folder %s: %s",
                       j->work_dir, strerror(errno));
        j->work_dir_made = false;
    }
    json_decref(j->instances);
    j->instances = NULL;
    j->n_instances = j->next_instance = 0;
}

/* ---- the steps --------------------------------------------------------------------------- */

static OrthancPluginJobStepStatus step_list(analysis_job *j)
{
    plugin_state *p = j->plugin;
    clock_gettime(CLOCK_MONOTONIC, &j->started);
    char uri[96];
    snprintf(uri, sizeof uri, "/series/%s", j->params.series_id);
    OrthancPluginErrorCode code;
    json_t *series = orthanc_get_json(p, uri, &code);
    if (!series)
        return job_fail(j, code == OrthancPluginErrorCode_UnknownResource
                               ? "the series no longer exists in Orthanc"
                               : "cannot read the series from Orthanc");
    json_t *instances = json_object_get(series, "Instances");
    const char *study = json_string_value(json_object_get(series, "ParentStudy"));
    snprintf(j->study_id, sizeof j->study_id, "%s",
             study && orthanc_id_is_valid(study) ? study : "");
    size_t n = json_is_array(instances) ? json_array_size(instances) : 0;
    if (n == 0) {
        json_decref(series);
        return job_fail(j, "the series has no instances");
    }
    if (n > p->config.max_instances) {
        json_decref(series);
        return job_fail(j,
                        "the series has %zu instances, more than Pdva.MaxInstancesPerSeries "
                        "(%u)",
                        n, p->config.max_instances);
    }
    j->instances = json_incref(instances);
    j->n_instances = n;
    j->next_instance = 0;
    json_decref(series);

    char *uuid = OrthancPluginGenerateUuid(p->context);
    int len = snprintf(j->work_dir, sizeof j->work_dir, "%s/job-%s", p->config.work_dir,
                       uuid ? uuid : "x");
    if (uuid)
        OrthancPluginFreeString(p->context, uuid);
    if (len < 0 || (size_t)len + 8 >= sizeof j->work_dir)
        return job_fail(j, "the path of the work folder is too long");
    char sub[PATH_MAX + 8];
    if (mkdir(j->work_dir, 0700) != 0)
        return job_fail(j, "cannot create the work folder %s: %s", j->work_dir, strerror(errno));
    j->work_dir_made = true;
    snprintf(sub, sizeof sub, "%s/dicom", j->work_dir);
    int rc = mkdir(sub, 0700);
    snprintf(sub, sizeof sub, "%s/out", j->work_dir);
    if (rc != 0 || mkdir(sub, 0700) != 0)
        return job_fail(j, "cannot create the work folder %s: %s", sub, strerror(errno));
    j->phase = PHASE_EXPORT;
    set_state(j, "exporting", 0.0f);
    return OrthancPluginJobStepStatus_Continue;
}

static int write_all(int fd, const void *data, size_t len)
{
    const char *p = data;
    while (len > 0) {
        ssize_t n = write(fd, p, len);
        if (n < 0 && errno == EINTR)
            continue;
        if (n <= 0)
            return -1;
        p += n;
        len -= (size_t)n;
    }
    return 0;
}

static OrthancPluginJobStepStatus step_export(analysis_job *j)
{
    plugin_state *p = j->plugin;
    struct timespec t0;
    clock_gettime(CLOCK_MONOTONIC, &t0);
    while (j->next_instance < j->n_instances && seconds_since(&t0) * 1000.0 < STEP_BUDGET_MS) {
        const char *id = json_string_value(json_array_get(j->instances, j->next_instance));
        if (!id || !orthanc_id_is_valid(id))
            return job_fail(j, "Orthanc listed an invalid instance ID");
        OrthancPluginMemoryBuffer dicom;
        memset(&dicom, 0, sizeof dicom);
        if (OrthancPluginGetDicomForInstance(p->context, &dicom, id) !=
            OrthancPluginErrorCode_Success)
            return job_fail(j,
                            "instance %s of the series could not be read (deleted during the "
                            "analysis?)",
                            id);
        char path[PATH_MAX + 32];
        snprintf(path, sizeof path, "%s/dicom/%06zu.dcm", j->work_dir, j->next_instance);
        int fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC | O_NOFOLLOW, 0600);
        int rc = fd < 0 ? -1 : write_all(fd, dicom.data, dicom.size);
        int e = errno;
        if (fd >= 0 && close(fd) != 0 && rc == 0) {
            rc = -1;
            e = errno;
        }
        OrthancPluginFreeMemoryBuffer(p->context, &dicom);
        if (rc != 0)
            return job_fail(j, "cannot write into the work folder: %s", strerror(e));
        j->next_instance++;
    }
    set_state(j, "exporting", EXPORT_SHARE * (float)j->next_instance / (float)j->n_instances);
    if (j->next_instance == j->n_instances) {
        json_decref(j->instances); /* the list is no longer needed */
        j->instances = NULL;
        j->phase = PHASE_WAIT_SLOT;
        set_state(j, "waiting for a worker", EXPORT_SHARE);
    }
    return OrthancPluginJobStepStatus_Continue;
}

static OrthancPluginJobStepStatus step_wait_slot(analysis_job *j)
{
    plugin_state *p = j->plugin;
    if (!plugin_slot_acquire(p, STEP_BUDGET_MS))
        return OrthancPluginJobStepStatus_Continue;
    j->holds_slot = true;
    pthread_mutex_lock(&j->mu);
    j->finished = false;
    j->cancel = false;
    j->report = NULL;
    snprintf(j->state, sizeof j->state, "analyzing");
    pthread_mutex_unlock(&j->mu);
    pthread_mutex_lock(&p->lock);
    p->threads_alive++;
    pthread_mutex_unlock(&p->lock);
    int rc = pthread_create(&j->thread, NULL, analysis_thread, j);
    if (rc != 0) {
        pthread_mutex_lock(&p->lock);
        p->threads_alive--;
        pthread_mutex_unlock(&p->lock);
        return job_fail(j, "cannot start the analysis thread: %s", strerror(rc));
    }
    pthread_mutex_lock(&j->mu);
    j->thread_running = true;
    pthread_mutex_unlock(&j->mu);
    j->phase = PHASE_ANALYZE;
    return OrthancPluginJobStepStatus_Continue;
}

static OrthancPluginJobStepStatus step_analyze(analysis_job *j)
{
    struct timespec deadline;
    clock_gettime(CLOCK_REALTIME, &deadline);
    deadline.tv_nsec += (long)STEP_BUDGET_MS * 1000000L;
    if (deadline.tv_nsec >= 1000000000L) {
        deadline.tv_sec++;
        deadline.tv_nsec -= 1000000000L;
    }
    pthread_mutex_lock(&j->mu);
    while (!j->finished)
        if (pthread_cond_timedwait(&j->finished_cv, &j->mu, &deadline) == ETIMEDOUT)
            break;
    bool finished = j->finished;
    pthread_mutex_unlock(&j->mu);
    if (!finished)
        return OrthancPluginJobStepStatus_Continue;

    pthread_mutex_lock(&j->mu);
    bool join = j->thread_running;
    j->thread_running = false;
    pdva_status st = j->status;
    char error[sizeof j->error];
    snprintf(error, sizeof error, "%s", j->error);
    pthread_mutex_unlock(&j->mu);
    if (join)
        pthread_join(j->thread, NULL);
    plugin_slot_release(j->plugin);
    j->holds_slot = false;
    if (st == PDVA_ERR_CANCELLED)
        return job_fail(j, plugin_is_stopping(j->plugin) ? "Orthanc is stopping"
                                                         : "the analysis was cancelled");
    if (st != PDVA_OK)
        return job_fail(j, "%s (%s)", error, pdva_status_str(st));
    j->phase = PHASE_STORE;
    set_state(j, "storing", 0.99f);
    return OrthancPluginJobStepStatus_Continue;
}

static char *build_meta(analysis_job *j, const pdva_report *report)
{
    char when[32], id[64];
    time_t now = time(NULL);
    struct tm tm;
    gmtime_r(&now, &tm);
    strftime(when, sizeof when, "%Y-%m-%dT%H:%M:%SZ", &tm);
    job_id_copy(j, id, sizeof id);
    json_t *wounds = json_array();
    for (size_t i = 0; wounds && i < j->params.n_wounds; i++)
        json_array_append_new(wounds, json_string(j->params.wounds[i]));
    json_t *meta = json_pack(
        "{s:s, s:s?, s:s, s:s, s:o, s:s?, s:b, s:s, s:I, s:I, s:I, s:I, s:f}", "series",
        j->params.series_id, "study", j->study_id[0] ? j->study_id : NULL, "job", id, "analyzed_at",
        when, "wound_venosomes", wounds ? wounds : json_array(), "baseline_series",
        j->params.baseline_series[0] ? j->params.baseline_series : NULL, "automatic",
        j->params.automatic, "pdva_version", pdva_version_string(), "series_count",
        (json_int_t)pdva_report_series_count(report), "analyzed_count",
        (json_int_t)pdva_report_analyzed_count(report), "alerts",
        (json_int_t)pdva_report_alert_count(report, PDVA_ALERT_INFO), "critical_alerts",
        (json_int_t)pdva_report_alert_count(report, PDVA_ALERT_CRITICAL), "duration_s",
        seconds_since(&j->started));
    char *text = meta ? json_dumps(meta, JSON_INDENT(1) | JSON_PRESERVE_ORDER) : NULL;
    json_decref(meta);
    return text;
}

static OrthancPluginJobStepStatus step_store(analysis_job *j)
{
    plugin_state *p = j->plugin;
    /* a series deleted meanwhile gets no report (it would never be cleaned up) */
    char uri[96];
    snprintf(uri, sizeof uri, "/series/%s", j->params.series_id);
    OrthancPluginErrorCode code;
    json_t *series = orthanc_get_json(p, uri, &code);
    if (!series)
        return job_fail(j, "the series was deleted during the analysis");
    json_decref(series);

    pthread_mutex_lock(&j->mu);
    pdva_report *report = j->report;
    j->report = NULL;
    pthread_mutex_unlock(&j->mu);
    char *meta = build_meta(j, report);
    char error[2 * PATH_MAX + 200] = "";
    char outputs[PATH_MAX + 8];
    snprintf(outputs, sizeof outputs, "%s/out", j->work_dir);
    int rc = meta ? report_store_put(&p->store, j->params.series_id, report, meta, outputs, error,
                                     sizeof error)
                  : -1;
    size_t analyzed = pdva_report_analyzed_count(report);
    size_t alerts = pdva_report_alert_count(report, PDVA_ALERT_WARNING);
    free(meta);
    pdva_report_destroy(report);
    if (rc != 0)
        return job_fail(j, "%s", error[0] ? error : "no memory for the report's metadata");
    if (j->work_dir_made) {
        if (fs_remove_tree(j->work_dir) != 0)
            plugin_log(p, PDVA_LOG_WARNING, "cannot remove the work folder %s: %s", j->work_dir,
                       strerror(errno));
        j->work_dir_made = false;
    }
    char id[64];
    job_id_copy(j, id, sizeof id);
    plugin_log(p, PDVA_LOG_INFO,
               "analysis job %s of series %s done in %.1f s: %zu series analyzed, %zu "
               "warning/critical alerts",
               id, j->params.series_id, seconds_since(&j->started), analyzed, alerts);
    j->phase = PHASE_DONE;
    set_state(j, "done", 1.0f);
    return OrthancPluginJobStepStatus_Success;
}

/* ---- Orthanc's job callbacks -------------------------------------------------------------- */

static OrthancPluginJobStepStatus job_step(void *job)
{
    analysis_job *j = job;
    set_active(j, true); /* a resumed job comes back here without a reset */
    if (plugin_is_stopping(j->plugin))
        return job_fail(j, "Orthanc is stopping");
    switch (j->phase) {
    case PHASE_LIST:
        return step_list(j);
    case PHASE_EXPORT:
        return step_export(j);
    case PHASE_WAIT_SLOT:
        return step_wait_slot(j);
    case PHASE_ANALYZE:
        return step_analyze(j);
    case PHASE_STORE:
        return step_store(j);
    case PHASE_DONE:
        return OrthancPluginJobStepStatus_Success;
    }
    return job_fail(j, "internal error: unknown phase");
}

static OrthancPluginErrorCode job_stop(void *job, OrthancPluginJobStopReason reason)
{
    analysis_job *j = job;
    plugin_state *p = j->plugin;
    release_run(j);
    if (reason != OrthancPluginJobStopReason_Success)
        j->phase = PHASE_LIST;
    const char *state = reason == OrthancPluginJobStopReason_Success    ? "done"
                        : reason == OrthancPluginJobStopReason_Paused   ? "paused"
                        : reason == OrthancPluginJobStopReason_Canceled ? "cancelled"
                                                                        : "failed";
    set_state(j, state, reason == OrthancPluginJobStopReason_Success ? 1.0f : -1.0f);
    pthread_mutex_lock(&p->lock);
    if (reason == OrthancPluginJobStopReason_Success)
        p->succeeded++;
    else if (reason == OrthancPluginJobStopReason_Canceled)
        p->cancelled++;
    else if (reason == OrthancPluginJobStopReason_Failure)
        p->failed++;
    pthread_mutex_unlock(&p->lock);
    set_active(j, false);
    if (reason == OrthancPluginJobStopReason_Canceled) {
        char id[64];
        job_id_copy(j, id, sizeof id);
        plugin_log(p, PDVA_LOG_INFO, "analysis job %s of series %s cancelled", id,
                   j->params.series_id);
    }
    plugin_update_metrics(p);
    return OrthancPluginErrorCode_Success;
}

static OrthancPluginErrorCode job_reset(void *job)
{
    analysis_job *j = job;
    release_run(j);
    j->phase = PHASE_LIST;
    pthread_mutex_lock(&j->mu);
    j->failure[0] = '\0';
    j->stage[0] = '\0';
    j->cancel = false;
    j->finished = false;
    pthread_mutex_unlock(&j->mu);
    set_state(j, "pending", 0.0f);
    pthread_mutex_lock(&j->plugin->lock);
    j->generation++;
    pthread_mutex_unlock(&j->plugin->lock);
    set_active(j, true);
    return OrthancPluginErrorCode_Success;
}

static float job_progress(void *job)
{
    analysis_job *j = job;
    pthread_mutex_lock(&j->mu);
    float progress = j->progress;
    pthread_mutex_unlock(&j->mu);
    return progress;
}

static const char *job_content(void *job)
{
    analysis_job *j = job;
    json_t *wounds = json_array();
    for (size_t i = 0; wounds && i < j->params.n_wounds; i++)
        json_array_append_new(wounds, json_string(j->params.wounds[i]));
    char report[128];
    snprintf(report, sizeof report, "/pdva/series/%s/report", j->params.series_id);
    pthread_mutex_lock(&j->mu);
    json_t *doc = json_pack(
        "{s:s, s:s?, s:s, s:s?, s:I, s:I, s:o, s:b, s:s?, s:s?}", "Series", j->params.series_id,
        "Study", j->study_id[0] ? j->study_id : NULL, "State", j->state, "Stage",
        j->stage[0] ? j->stage : NULL, "Instances", (json_int_t)j->n_instances, "Exported",
        (json_int_t)j->next_instance, "WoundVenosomes", wounds ? wounds : json_array(), "Automatic",
        j->params.automatic, "Report", strcmp(j->state, "done") == 0 ? report : NULL, "Error",
        j->failure[0] ? j->failure : NULL);
    pthread_mutex_unlock(&j->mu);
    char *text = doc ? json_dumps(doc, JSON_COMPACT | JSON_PRESERVE_ORDER) : NULL;
    json_decref(doc);
    if (text && strlen(text) < sizeof j->content)
        snprintf(j->content, sizeof j->content, "%s", text);
    else
        snprintf(j->content, sizeof j->content, "{}");
    free(text);
    return j->content;
}

static const char *job_serialized(void *job)
{
    (void)job;
    /* not serializable: an analysis is not resumed after a restart (its work folder is
     * removed when the plugin starts); resubmit it instead */
    return NULL;
}

static void job_finalize(void *job)
{
    analysis_job *j = job;
    plugin_state *p = j->plugin;
    release_run(j);
    set_active(j, false);
    pthread_mutex_lock(&p->lock);
    for (analysis_job **it = &p->jobs; *it; it = &(*it)->next)
        if (*it == j) {
            *it = j->next;
            break;
        }
    pthread_mutex_unlock(&p->lock);
    free(j->params.baseline_json);
    pthread_cond_destroy(&j->finished_cv);
    pthread_mutex_destroy(&j->mu);
    free(j);
}

/* ---- what the REST API and the plugin call ------------------------------------------------ */

/* Orthanc cancels (or pauses) a job that has not started without telling the job: such jobs
 * would stay "active" here. Ask Orthanc about every job believed active (of `series_id`, or all
 * when NULL) and forget those it has completed. No lock is held while asking. */
static void refresh_active(plugin_state *p, const char *series_id)
{
    typedef struct ref {
        char id[64];
        unsigned generation;
    } ref;
    pthread_mutex_lock(&p->lock);
    size_t n = 0;
    for (analysis_job *j = p->jobs; j; j = j->next)
        n += j->active && j->orthanc_id[0];
    ref *refs = n ? calloc(n, sizeof *refs) : NULL;
    size_t k = 0;
    for (analysis_job *j = p->jobs; refs && j && k < n; j = j->next)
        if (j->active && j->orthanc_id[0] &&
            (!series_id || strcmp(series_id, j->params.series_id) == 0)) {
            snprintf(refs[k].id, sizeof refs[k].id, "%s", j->orthanc_id);
            refs[k++].generation = j->generation;
        }
    pthread_mutex_unlock(&p->lock);
    for (size_t i = 0; i < k; i++) {
        char uri[96];
        snprintf(uri, sizeof uri, "/jobs/%s", refs[i].id);
        OrthancPluginErrorCode code;
        json_t *info = orthanc_get_json(p, uri, &code);
        const char *state = json_string_value(json_object_get(info, "State"));
        bool over = info ? state && (strcmp(state, "Success") == 0 || strcmp(state, "Failure") == 0)
                         : code == OrthancPluginErrorCode_UnknownResource;
        json_decref(info);
        if (!over)
            continue;
        pthread_mutex_lock(&p->lock);
        for (analysis_job *j = p->jobs; j; j = j->next)
            if (j->active && j->generation == refs[i].generation &&
                strcmp(j->orthanc_id, refs[i].id) == 0) {
                j->active = false;
                if (p->active > 0)
                    p->active--;
            }
        pthread_mutex_unlock(&p->lock);
    }
    free(refs);
}

void analysis_jobs_refresh(plugin_state *p)
{
    refresh_active(p, NULL);
}

submit_status analysis_job_submit(plugin_state *p, analysis_params *params, char *job_id,
                                  size_t cap)
{
    analysis_job *j = calloc(1, sizeof *j);
    if (!j) {
        free(params->baseline_json);
        params->baseline_json = NULL;
        return SUBMIT_FAILED;
    }
    j->plugin = p;
    j->params = *params;
    params->baseline_json = NULL; /* taken */
    pthread_mutex_init(&j->mu, NULL);
    pthread_cond_init(&j->finished_cv, NULL);
    snprintf(j->state, sizeof j->state, "pending");

    /* reserve a place in the queue before Orthanc may run the job */
    pthread_mutex_lock(&p->lock);
    bool full = p->active >= p->config.max_queued_jobs;
    pthread_mutex_unlock(&p->lock);
    if (full)
        refresh_active(p, NULL);
    pthread_mutex_lock(&p->lock);
    if (p->active >= p->config.max_queued_jobs || p->stopping) {
        pthread_mutex_unlock(&p->lock);
        free(j->params.baseline_json);
        pthread_cond_destroy(&j->finished_cv);
        pthread_mutex_destroy(&j->mu);
        free(j);
        return SUBMIT_QUEUE_FULL;
    }
    j->active = true;
    p->active++;
    j->next = p->jobs;
    p->jobs = j;
    pthread_mutex_unlock(&p->lock);

    OrthancPluginJob *job =
        OrthancPluginCreateJob(p->context, j, job_finalize, PDVA_JOB_TYPE, job_progress,
                               job_content, job_serialized, job_step, job_stop, job_reset);
    if (!job) {
        job_finalize(j);
        return SUBMIT_FAILED;
    }
    char *id = OrthancPluginSubmitJob(p->context, job, p->config.job_priority);
    if (!id) {
        /* Orthanc owns the job now or has freed it; only forget our reservation */
        pthread_mutex_lock(&p->lock);
        if (j->active && p->active > 0)
            p->active--;
        j->active = false;
        pthread_mutex_unlock(&p->lock);
        return SUBMIT_FAILED;
    }
    pthread_mutex_lock(&p->lock);
    snprintf(job_id, cap, "%s", id);
    /* the job may already be finalized (a very short failure): find it before writing */
    for (analysis_job *it = p->jobs; it; it = it->next)
        if (it == j)
            snprintf(j->orthanc_id, sizeof j->orthanc_id, "%s", id);
    pthread_mutex_unlock(&p->lock);
    OrthancPluginFreeString(p->context, id);
    plugin_update_metrics(p);
    return SUBMIT_OK;
}

bool analysis_job_find_active(plugin_state *p, const char *series_id, char *job_id, size_t cap,
                              float *progress)
{
    refresh_active(p, series_id);
    bool found = false;
    pthread_mutex_lock(&p->lock);
    for (analysis_job *j = p->jobs; j && !found; j = j->next) {
        if (!j->active || strcmp(j->params.series_id, series_id) != 0)
            continue;
        found = true;
        snprintf(job_id, cap, "%s", j->orthanc_id);
        pthread_mutex_lock(&j->mu);
        *progress = j->progress;
        pthread_mutex_unlock(&j->mu);
    }
    pthread_mutex_unlock(&p->lock);
    return found;
}

void analysis_jobs_request_stop(plugin_state *p)
{
    pthread_mutex_lock(&p->lock);
    p->stopping = true;
    pthread_cond_broadcast(&p->slot_freed);
    for (analysis_job *j = p->jobs; j; j = j->next) {
        pthread_mutex_lock(&j->mu);
        j->cancel = true;
        pthread_mutex_unlock(&j->mu);
    }
    pthread_mutex_unlock(&p->lock);
}

void analysis_jobs_wait_threads(plugin_state *p, unsigned wait_s)
{
    analysis_jobs_request_stop(p);
    struct timespec deadline;
    clock_gettime(CLOCK_REALTIME, &deadline);
    deadline.tv_sec += (time_t)wait_s;
    pthread_mutex_lock(&p->lock);
    while (p->threads_alive > 0)
        if (pthread_cond_timedwait(&p->thread_exited, &p->lock, &deadline) == ETIMEDOUT)
            break;
    unsigned left = p->threads_alive;
    pthread_mutex_unlock(&p->lock);
    if (left)
        plugin_log(p, PDVA_LOG_ERROR, "%u analysis thread(s) did not stop in %u s", left, wait_s);
}

void analysis_jobs_clean_work_dir(plugin_state *p)
{
    DIR *d = opendir(p->config.work_dir);
    if (!d)
        return;
    unsigned removed = 0;
    struct dirent *de;
    while ((de = readdir(d)) != NULL) {
        /* only what this plugin creates: "job-<uuid>" */
        if (strncmp(de->d_name, "job-", 4) != 0)
            continue;
        char path[PATH_MAX];
        if (snprintf(path, sizeof path, "%s/%s", p->config.work_dir, de->d_name) >=
            (int)sizeof path)
            continue;
        if (fs_remove_tree(path) == 0)
            removed++;
        else
            plugin_log(p, PDVA_LOG_WARNING, "cannot remove the old work folder %s: %s", path,
                       strerror(errno));
    }
    closedir(d);
    if (removed)
        plugin_log(p, PDVA_LOG_WARNING,
                   "removed %u work folder(s) left by analyses interrupted earlier", removed);
}
