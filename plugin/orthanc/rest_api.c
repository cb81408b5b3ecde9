/* rest_api.c — the routes under /pdva. Every answer that is not 200 carries a JSON body
 * {"error": "...", "status": N}. IDs from URLs are checked for the form of an Orthanc ID before
 * use (they name files of the report store).
 * SPDX-License-Identifier: GPL-3.0-or-later */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "plugin/orthanc/analysis_job.h"
#include "plugin/orthanc/orthanc_io.h"
#include "plugin/orthanc/request_body.h"
#include "plugin/orthanc/rest_api.h"

/* Largest baseline report read into memory for a comparison. */
#define BASELINE_MAX_BYTES (64u << 20)

static const char *group(const OrthancPluginHttpRequest *request, uint32_t i)
{
    return request->groupsCount > i ? request->groups[i] : "";
}

/* Does `series_id` name a series Orthanc has? Answers 404 when not (returns false). */
static bool series_exists(plugin_state *p, OrthancPluginRestOutput *output, const char *id,
                          json_t **series_out)
{
    if (orthanc_id_is_valid(id)) {
        char uri[96];
        snprintf(uri, sizeof uri, "/series/%s", id);
        json_t *series = orthanc_get_json(p, uri, NULL);
        if (series) {
            if (series_out)
                *series_out = series;
            else
                json_decref(series);
            return true;
        }
    }
    answer_error(p, output, 404, "unknown series (give the Orthanc ID of a series)");
    return false;
}

/* ---- POST /pdva/series/{id}/analyze --------------------------------------------------------- */

static OrthancPluginErrorCode analyze_route(OrthancPluginRestOutput *output, const char *url,
                                            const OrthancPluginHttpRequest *request)
{
    (void)url;
    plugin_state *p = pdva_plugin;
    if (request->method != OrthancPluginHttpMethod_Post) {
        OrthancPluginSendMethodNotAllowed(p->context, output, "POST");
        return OrthancPluginErrorCode_Success;
    }
    const char *series_id = group(request, 0);
    if (!series_exists(p, output, series_id, NULL))
        return OrthancPluginErrorCode_Success;

    analysis_request req;
    char error[512];
    switch (analysis_request_parse(request->body, request->bodySize, &req, error, sizeof error)) {
    case REQUEST_OK:
        break;
    case REQUEST_TOO_LARGE:
        answer_error(p, output, 413, "the request body is larger than %u bytes",
                     REQUEST_BODY_MAX_BYTES);
        return OrthancPluginErrorCode_Success;
    default:
        answer_error(p, output, 400, "%s", error);
        return OrthancPluginErrorCode_Success;
    }

    analysis_params params;
    memset(&params, 0, sizeof params);
    snprintf(params.series_id, sizeof params.series_id, "%s", series_id);
    if (req.wounds_given) {
        params.n_wounds = req.n_wounds;
        memcpy(params.wounds, req.wounds, sizeof params.wounds);
    } else {
        params.n_wounds = p->config.n_wounds;
        memcpy(params.wounds, p->config.wounds, sizeof params.wounds);
    }
    if (req.baseline[0]) {
        if (strcmp(req.baseline, series_id) == 0) {
            answer_error(p, output, 400, "a series cannot be its own baseline");
            return OrthancPluginErrorCode_Success;
        }
        size_t len = 0;
        params.baseline_json = report_store_read(&p->store, req.baseline, REPORT_FILE_JSON, &len);
        if (!params.baseline_json) {
            answer_error(p, output, 400,
                         "the baseline series %s has no pdva report: analyze it first",
                         req.baseline);
            return OrthancPluginErrorCode_Success;
        }
        snprintf(params.baseline_series, sizeof params.baseline_series, "%s", req.baseline);
    }

    char job_id[64] = "";
    switch (analysis_job_submit(p, &params, job_id, sizeof job_id)) {
    case SUBMIT_OK:
        break;
    case SUBMIT_QUEUE_FULL:
        answer_error(p, output, 503,
                     "%u analyses are already queued or running (Pdva.MaxQueuedJobs); try "
                     "again later",
                     p->config.max_queued_jobs);
        return OrthancPluginErrorCode_Success;
    default:
        answer_error(p, output, 500, "Orthanc did not accept the analysis job");
        return OrthancPluginErrorCode_Success;
    }
    plugin_log(p, PDVA_LOG_INFO, "analysis of series %s submitted as job %s", series_id, job_id);
    char path[96], report[128];
    snprintf(path, sizeof path, "/jobs/%s", job_id);
    snprintf(report, sizeof report, "/pdva/series/%s/report", series_id);
    json_t *doc = json_pack("{s:s, s:s, s:s, s:s}", "job", job_id, "path", path, "series",
                            series_id, "report", report);
    answer_json(p, output, 200, doc);
    json_decref(doc);
    return OrthancPluginErrorCode_Success;
}

/* ---- GET|DELETE /pdva/series/{id}/report, GET /pdva/series/{id}/summary ------------------ */

/* No stored report: 202 while an analysis is pending or running, else 404. */
static void answer_missing(plugin_state *p, OrthancPluginRestOutput *output, const char *id)
{
    char job_id[64];
    float progress = 0.0f;
    if (analysis_job_find_active(p, id, job_id, sizeof job_id, &progress)) {
        char path[96];
        snprintf(path, sizeof path, "/jobs/%s", job_id);
        json_t *doc = json_pack("{s:s, s:s, s:s, s:f}", "status", "running", "job", job_id, "path",
                                path, "progress", (double)progress);
        answer_json(p, output, 202, doc);
        json_decref(doc);
        return;
    }
    if (!series_exists(p, output, id, NULL))
        return;
    answer_error(p, output, 404,
                 "no pdva report for this series: POST /pdva/series/%s/analyze to make one", id);
}

static OrthancPluginErrorCode report_route(OrthancPluginRestOutput *output, const char *url,
                                           const OrthancPluginHttpRequest *request)
{
    (void)url;
    plugin_state *p = pdva_plugin;
    const char *id = group(request, 0);
    if (request->method == OrthancPluginHttpMethod_Delete) {
        if (!orthanc_id_is_valid(id) || !report_store_has(&p->store, id)) {
            answer_error(p, output, 404, "no pdva report for this series");
        } else if (report_store_remove(&p->store, id) != 0) {
            answer_error(p, output, 500, "cannot remove the report: %s", strerror(errno));
        } else {
            json_t *doc = json_object();
            answer_json(p, output, 200, doc);
            json_decref(doc);
        }
        return OrthancPluginErrorCode_Success;
    }
    if (request->method != OrthancPluginHttpMethod_Get) {
        OrthancPluginSendMethodNotAllowed(p->context, output, "GET,DELETE");
        return OrthancPluginErrorCode_Success;
    }
    if (!orthanc_id_is_valid(id)) {
        answer_error(p, output, 404, "unknown series (give the Orthanc ID of a series)");
        return OrthancPluginErrorCode_Success;
    }
    size_t len = 0;
    char *json = report_store_read(&p->store, id, REPORT_FILE_JSON, &len);
    if (!json) {
        answer_missing(p, output, id);
        return OrthancPluginErrorCode_Success;
    }
    answer_bytes(p, output, json, len, "application/json");
    free(json);
    return OrthancPluginErrorCode_Success;
}

static OrthancPluginErrorCode summary_route(OrthancPluginRestOutput *output, const char *url,
                                            const OrthancPluginHttpRequest *request)
{
    (void)url;
    plugin_state *p = pdva_plugin;
    if (request->method != OrthancPluginHttpMethod_Get) {
        OrthancPluginSendMethodNotAllowed(p->context, output, "GET");
        return OrthancPluginErrorCode_Success;
    }
    const char *id = group(request, 0);
    if (!orthanc_id_is_valid(id)) {
        answer_error(p, output, 404, "unknown series (give the Orthanc ID of a series)");
        return OrthancPluginErrorCode_Success;
    }
    size_t len = 0;
    char *text = report_store_read(&p->store, id, REPORT_FILE_SUMMARY, &len);
    if (!text) {
        answer_missing(p, output, id);
        return OrthancPluginErrorCode_Success;
    }
    answer_bytes(p, output, text, len, "text/plain; charset=utf-8");
    free(text);
    return OrthancPluginErrorCode_Success;
}

/* ---- GET /pdva/series/{id}/files/{path} --------------------------------------------------- */

static const char *mime_of(const char *path)
{
    const char *dot = strrchr(path, '.');
    if (!dot)
        return "application/octet-stream";
    if (strcmp(dot, ".png") == 0)
        return "image/png";
    if (strcmp(dot, ".json") == 0)
        return "application/json";
    if (strcmp(dot, ".dcm") == 0)
        return "application/dicom";
    if (strcmp(dot, ".txt") == 0)
        return "text/plain; charset=utf-8";
    return "application/octet-stream";
}

static OrthancPluginErrorCode files_route(OrthancPluginRestOutput *output, const char *url,
                                          const OrthancPluginHttpRequest *request)
{
    (void)url;
    plugin_state *p = pdva_plugin;
    if (request->method != OrthancPluginHttpMethod_Get) {
        OrthancPluginSendMethodNotAllowed(p->context, output, "GET");
        return OrthancPluginErrorCode_Success;
    }
    const char *id = group(request, 0), *relative = group(request, 1);
    if (!orthanc_id_is_valid(id) || !report_store_relative_path_ok(relative)) {
        answer_error(p, output, 404, "no such output file");
        return OrthancPluginErrorCode_Success;
    }
    size_t len = 0;
    char *data = report_store_read_output(&p->store, id, relative, &len);
    if (!data) {
        answer_error(p, output, 404, "no such output file");
        return OrthancPluginErrorCode_Success;
    }
    answer_bytes(p, output, data, len, mime_of(relative));
    free(data);
    return OrthancPluginErrorCode_Success;
}

/* ---- GET /pdva/studies/{id}/reports -----------------------------------------------------------
 */

static json_t *report_entry(plugin_state *p, const char *series_id)
{
    size_t len = 0;
    char *meta_text = report_store_read(&p->store, series_id, REPORT_FILE_META, &len);
    json_t *meta = meta_text ? json_loadb(meta_text, len, 0, NULL) : NULL;
    free(meta_text);
    if (!json_is_object(meta)) {
        json_decref(meta);
        meta = json_object();
    }
    char report[128], summary[128];
    snprintf(report, sizeof report, "/pdva/series/%s/report", series_id);
    snprintf(summary, sizeof summary, "/pdva/series/%s/summary", series_id);
    json_object_set_new(meta, "series", json_string(series_id));
    json_object_set_new(meta, "report", json_string(report));
    json_object_set_new(meta, "summary", json_string(summary));
    return meta;
}

static OrthancPluginErrorCode study_reports_route(OrthancPluginRestOutput *output, const char *url,
                                                  const OrthancPluginHttpRequest *request)
{
    (void)url;
    plugin_state *p = pdva_plugin;
    if (request->method != OrthancPluginHttpMethod_Get) {
        OrthancPluginSendMethodNotAllowed(p->context, output, "GET");
        return OrthancPluginErrorCode_Success;
    }
    const char *id = group(request, 0);
    json_t *study = NULL;
    if (orthanc_id_is_valid(id)) {
        char uri[96];
        snprintf(uri, sizeof uri, "/studies/%s", id);
        study = orthanc_get_json(p, uri, NULL);
    }
    if (!study) {
        answer_error(p, output, 404, "unknown study (give the Orthanc ID of a study)");
        return OrthancPluginErrorCode_Success;
    }
    json_t *reports = json_array(), *running = json_array();
    size_t i;
    json_t *v;
    json_array_foreach(json_object_get(study, "Series"), i, v)
    {
        const char *series_id = json_string_value(v);
        if (!orthanc_id_is_valid(series_id))
            continue;
        if (report_store_has(&p->store, series_id))
            json_array_append_new(reports, report_entry(p, series_id));
        char job_id[64];
        float progress = 0.0f;
        if (analysis_job_find_active(p, series_id, job_id, sizeof job_id, &progress))
            json_array_append_new(running, json_pack("{s:s, s:s, s:f}", "series", series_id, "job",
                                                     job_id, "progress", (double)progress));
    }
    json_t *doc = json_pack("{s:s, s:o, s:o}", "study", id, "reports", reports, "running", running);
    answer_json(p, output, 200, doc);
    json_decref(doc);
    json_decref(study);
    return OrthancPluginErrorCode_Success;
}

/* ---- GET /pdva/status ------------------------------------------------------------------------ */

static OrthancPluginErrorCode status_route(OrthancPluginRestOutput *output, const char *url,
                                           const OrthancPluginHttpRequest *request)
{
    (void)url;
    plugin_state *p = pdva_plugin;
    if (request->method != OrthancPluginHttpMethod_Get) {
        OrthancPluginSendMethodNotAllowed(p->context, output, "GET");
        return OrthancPluginErrorCode_Success;
    }
    json_t *wounds = json_array(), *venosomes = json_array();
    for (size_t i = 0; i < p->config.n_wounds; i++)
        json_array_append_new(wounds, json_string(p->config.wounds[i]));
    for (size_t i = 0; i < PLUGIN_MAX_WOUNDS; i++)
        json_array_append_new(venosomes, json_string(plugin_venosome_ids[i]));
    analysis_jobs_refresh(p);
    pthread_mutex_lock(&p->lock);
    json_t *queue =
        json_pack("{s:I, s:I, s:I, s:I, s:I}", "queued_or_running", (json_int_t)p->active,
                  "computing", (json_int_t)(p->config.worker_threads - p->slots_free), "succeeded",
                  (json_int_t)p->succeeded, "failed", (json_int_t)p->failed, "cancelled",
                  (json_int_t)p->cancelled);
    pthread_mutex_unlock(&p->lock);
    json_t *doc = json_pack(
        "{s:s, s:s, s:s, s:b, s:{s:I, s:I, s:b, s:o, s:I, s:I, s:I}, s:o, s:o}", "name",
        PDVA_PLUGIN_NAME, "version", PDVA_VERSION_STRING, "library_version", pdva_version_string(),
        "enabled", 1, "settings", "WorkerThreads", (json_int_t)p->config.worker_threads,
        "ThreadsPerAnalysis", (json_int_t)p->threads_per_analysis, "AutoAnalyze",
        p->config.auto_analyze, "WoundVenosomesDefault", wounds, "MaxQueuedJobs",
        (json_int_t)p->config.max_queued_jobs, "MaxInstancesPerSeries",
        (json_int_t)p->config.max_instances, "JobPriority", (json_int_t)p->config.job_priority,
        "queue", queue ? queue : json_object(), "venosomes", venosomes);
    answer_json(p, output, 200, doc);
    json_decref(doc);
    return OrthancPluginErrorCode_Success;
}

/* ---- registration -----------------------------------------------------------------------------
 */

void rest_api_register(plugin_state *p)
{
    OrthancPluginRegisterRestCallbackNoLock(p->context, "/pdva/series/([^/]+)/analyze",
                                            analyze_route);
    OrthancPluginRegisterRestCallbackNoLock(p->context, "/pdva/series/([^/]+)/report",
                                            report_route);
    OrthancPluginRegisterRestCallbackNoLock(p->context, "/pdva/series/([^/]+)/summary",
                                            summary_route);
    OrthancPluginRegisterRestCallbackNoLock(p->context, "/pdva/series/([^/]+)/files/(.+)",
                                            files_route);
    OrthancPluginRegisterRestCallbackNoLock(p->context, "/pdva/studies/([^/]+)/reports",
                                            study_reports_route);
    OrthancPluginRegisterRestCallbackNoLock(p->context, "/pdva/status", status_route);
}

/* The disabled plugin has no plugin_state: what its one route needs. */
static OrthancPluginContext *disabled_context = NULL;
static char *disabled_reason = NULL;

static OrthancPluginErrorCode disabled_route(OrthancPluginRestOutput *output, const char *url,
                                             const OrthancPluginHttpRequest *request)
{
    (void)url;
    (void)request;
    plugin_state fake;
    memset(&fake, 0, sizeof fake);
    fake.context = disabled_context;
    answer_error(&fake, output, 503, "the pdva plugin is disabled: %s",
                 disabled_reason ? disabled_reason : "see Orthanc's log");
    return OrthancPluginErrorCode_Success;
}

void rest_api_register_disabled(OrthancPluginContext *context, const char *reason)
{
    disabled_context = context;
    free(disabled_reason);
    disabled_reason = strdup(reason);
    OrthancPluginRegisterRestCallbackNoLock(context, "/pdva/(.*)", disabled_route);
}

void rest_api_unregister_disabled(void)
{
    free(disabled_reason);
    disabled_reason = NULL;
    disabled_context = NULL;
}
