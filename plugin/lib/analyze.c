/* analyze.c — pdva_analyze(): find the series in the inputs, analyze every angiographic run with
 * the core, and assemble the report of the study (and its comparison with a baseline).
 * SPDX-License-Identifier: GPL-3.0-or-later */
#include <math.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>

#include "base/alloc.h"
#include "base/error.h"
#include "base/limits.h"
#include "base/log.h"
#include "core/series_analysis.h"
#include "core/venosome_atlas.h"
#include "plugin/lib/internal.h"

void pdva_analysis_options_init(pdva_analysis_options *o)
{
    if (!o)
        return;
    memset(o, 0, sizeof *o);
    o->struct_size = sizeof *o;
    o->log_level = PDVA_LOG_WARNING;
}

typedef struct progress_ctx {
    const pdva_analysis_options *opts;
    size_t index, count;
    bool cancelled;
} progress_ctx;

static bool series_progress(void *user, double fraction, const char *stage)
{
    progress_ctx *p = user;
    if (!p->opts->progress)
        return false;
    double overall = ((double)p->index + fraction) / (double)(p->count ? p->count : 1);
    if (p->opts->progress(p->opts->progress_user_data, overall, stage) != 0)
        p->cancelled = true;
    return p->cancelled;
}

static pdva_status read_frame(void *user, uint32_t index, uint16_t *dst, size_t len,
                              pdva_error **err)
{
    return pdva_series_read_frame(user, index, dst, len, err);
}

/* Whether two openings of a series read the same frames (the files did not change between). */
static bool same_frames(const pdva_series_info *a, const pdva_series_info *b)
{
    return a->rows == b->rows && a->columns == b->columns && a->frames == b->frames &&
           a->bits_allocated == b->bits_allocated && a->bits_stored == b->bits_stored &&
           a->kind == b->kind && strcmp(a->pixel_intensity_relationship,
                                        b->pixel_intensity_relationship) == 0;
}

static void free_study(study_analysis *sa)
{
    for (size_t i = 0; i < sa->n_series; i++) {
        pdva_series_result_free(&sa->series[i].result);
        pdva_free(sa->series[i].frame_times);
    }
    pdva_free(sa->series);
    json_decref(sa->baseline);
    memset(sa, 0, sizeof *sa);
}

static void take_identity(study_analysis *sa, const pdva_series_info *in)
{
    if (!sa->study_uid[0] && in->study_instance_uid[0])
        snprintf(sa->study_uid, sizeof sa->study_uid, "%s", in->study_instance_uid);
    if (!sa->patient_id[0] && in->patient_id[0])
        snprintf(sa->patient_id, sizeof sa->patient_id, "%s", in->patient_id);
    if (!sa->study_date[0] && in->study_date[0])
        snprintf(sa->study_date, sizeof sa->study_date, "%s", in->study_date);
    if (!sa->laterality && (in->laterality == 'L' || in->laterality == 'R'))
        sa->laterality = in->laterality;
}

/* Where the low-flow finding of a series points: the AV connection, else where the conduit
 * enters the field. */
static void flow_point(series_entry *e)
{
    const pdva_series_result *r = &e->result;
    if (r->has_av_connection) {
        e->flow_point = r->av_connection;
        e->flow_point_known = true;
        return;
    }
    for (size_t i = 0; i < r->n_vessels; i++)
        if (strcmp(r->vessels[i].role, "conduit") == 0 && r->vessels[i].n) {
            e->flow_point = r->vessels[i].points[0];
            e->flow_point_known = true;
            return;
        }
    e->flow_point = pdva_v2(0.5 * e->info.columns, 0.5 * e->info.rows);
}

/* Analyze one series of the scan (index si) into entry e. */
static pdva_status analyze_one(study_analysis *sa, const pdva_study *study, size_t si,
                               series_entry *e, const pdva_analysis_options *o,
                               progress_ctx *pc, pdva_error **err)
{
    snprintf(e->uid, sizeof e->uid, "%s", pdva_study_series_uid(study, si));
    e->flow_ml_min = NAN;
    pdva_series *series = NULL;
    pdva_error *open_err = NULL;
    pdva_status st = pdva_study_open_series(study, si, &series, &open_err);
    if (st != PDVA_OK) {
        if (st == PDVA_ERR_NO_MEMORY) {
            pdva_error_move(err, &open_err);
            return st;
        }
        e->status = PDVA_SERIES_ERROR;
        snprintf(e->reason, sizeof e->reason, "%s", pdva_error_message(open_err));
        pdva_log(&sa->logger, PDVA_LOG_WARNING, "series %zu refused: %s", si + 1, e->reason);
        pdva_error_destroy(open_err);
        return PDVA_OK;
    }
    const pdva_series_info *in = pdva_series_get_info(series);
    e->info = *in;
    e->have_info = true;
    if (in->frame_times_s && in->frames) {
        e->frame_times = pdva_alloc_array(in->frames, sizeof(double));
        if (!e->frame_times) {
            pdva_series_destroy(series);
            return pdva_error_set(err, PDVA_ERR_NO_MEMORY, "no memory for frame times");
        }
        memcpy(e->frame_times, in->frame_times_s, in->frames * sizeof(double));
    }
    e->info.frame_times_s = e->frame_times;
    if (in->series_instance_uid[0])
        snprintf(e->uid, sizeof e->uid, "%s", in->series_instance_uid);
    /* a folder or a CD may hold more than one study: the report is about one, the study of the
     * first angiographic series; the others are listed, not merged into its findings */
    if (in->kind != PDVA_IMAGE_NOT_ANGIOGRAPHIC && sa->study_uid_from_angio &&
        in->study_instance_uid[0] && strcmp(in->study_instance_uid, sa->study_uid) != 0) {
        e->status = PDVA_SERIES_NOT_APPLICABLE;
        snprintf(e->reason, sizeof e->reason,
                 "belongs to another study (Study Instance UID %.64s); analyze it on its own",
                 in->study_instance_uid);
        sa->other_studies++;
        pdva_series_destroy(series);
        return PDVA_OK;
    }
    if (in->kind != PDVA_IMAGE_NOT_ANGIOGRAPHIC && !sa->study_uid_from_angio) {
        /* identity from the first angiographic series, not from a stray report or scout */
        if (in->study_instance_uid[0]) {
            sa->study_uid[0] = sa->patient_id[0] = sa->study_date[0] = '\0';
            sa->laterality = 0;
            sa->study_uid_from_angio = true;
        }
    }
    take_identity(sa, in);
    if (in->kind == PDVA_IMAGE_NOT_ANGIOGRAPHIC) {
        e->status = PDVA_SERIES_NOT_APPLICABLE;
        snprintf(e->reason, sizeof e->reason, "%s",
                 in->reason[0] ? in->reason : "not an angiographic image");
        pdva_series_destroy(series);
        return PDVA_OK;
    }
    bool spacing = in->spacing_source != PDVA_SPACING_UNKNOWN && in->pixel_spacing_mm[0] > 0.0;
    pdva_series_input si_in;
    memset(&si_in, 0, sizeof si_in);
    si_in.rows = in->rows;
    si_in.columns = in->columns;
    si_in.frames = in->frames;
    si_in.frame_times_s = e->frame_times;
    si_in.spacing_mm = spacing ? 0.5 * (in->pixel_spacing_mm[0] + in->pixel_spacing_mm[1]) : 0.0;
    si_in.spacing_known = spacing;
    si_in.log_stored = strcmp(in->pixel_intensity_relationship, "LOG") == 0;
    si_in.max_value = in->max_value;
    si_in.body_part = in->body_part_examined;
    si_in.read_frame = read_frame;
    si_in.read_user = series;
    si_in.progress = series_progress;
    si_in.progress_user = pc;
    si_in.wound_venosomes = sa->wound;
    si_in.n_wound = sa->n_wound;
    si_in.threads = o->threads;
    /* a second, independent reader of the same files lets two threads decode at once */
    pdva_series *series_2 = NULL;
    if (pdva_series_decoders(o->threads, in->frames) == 2 &&
        pdva_study_open_series(study, si, &series_2, NULL) == PDVA_OK &&
        !same_frames(pdva_series_get_info(series_2), in)) {
        pdva_series_destroy(series_2);
        series_2 = NULL;
    }
    si_in.read_user_2 = series_2;
    pdva_error *aerr = NULL;
    st = pdva_analyze_series(&si_in, &e->result, &aerr);
    pdva_series_destroy(series_2);
    pdva_series_destroy(series);
    if (st == PDVA_ERR_CANCELLED || st == PDVA_ERR_NO_MEMORY) {
        pdva_error_move(err, &aerr);
        return st;
    }
    e->status = e->result.status;
    if (st != PDVA_OK) {
        e->status = PDVA_SERIES_ERROR;
        snprintf(e->reason, sizeof e->reason, "%s", pdva_error_message(aerr));
    } else if (e->status != PDVA_SERIES_ANALYZED) {
        snprintf(e->reason, sizeof e->reason, "%s", e->result.reason);
    }
    pdva_error_destroy(aerr);
    e->analyzed = e->status == PDVA_SERIES_ANALYZED;
    if (e->analyzed) {
        e->flow_ml_min = spacing ? e->result.flow_ml_min : NAN;
        flow_point(e);
        if (o->output_dir && e->result.has_maps) {
            pdva_error *merr = NULL;
            if (pdva_maps_write_png(&e->result.maps, o->output_dir, (unsigned)(si + 1), e->maps,
                                    &merr) != PDVA_OK) {
                /* the report still goes out without its pictures */
                pdva_log(&sa->logger, PDVA_LOG_WARNING, "parametric maps not written: %s",
                         pdva_error_message(merr));
                pdva_series_result_note(&e->result, "parametric maps could not be written");
            }
            pdva_error_destroy(merr);
        }
    }
    pdva_log(&sa->logger, PDVA_LOG_INFO, "series %zu: %s%s%s", si + 1,
             e->analyzed ? "analyzed" : "not analyzed", e->reason[0] ? ": " : "", e->reason);
    return PDVA_OK;
}

static pdva_status load_baseline(study_analysis *sa, const pdva_analysis_options *o,
                                 pdva_error **err)
{
    json_error_t je;
    if (o->baseline_report_json)
        sa->baseline = json_loads(o->baseline_report_json, JSON_REJECT_DUPLICATES, &je);
    else if (o->baseline_report_path)
        sa->baseline = json_load_file(o->baseline_report_path, JSON_REJECT_DUPLICATES, &je);
    else
        return PDVA_OK;
    if (!sa->baseline)
        return pdva_error_set(err, PDVA_ERR_MALFORMED,
                              "the baseline report could not be read: %s (line %d)", je.text,
                              je.line);
    const char *schema = json_string_value(json_object_get(sa->baseline, "schema"));
    if (!json_is_object(sa->baseline) || !schema || strcmp(schema, "pdva-report/1") != 0 ||
        !json_is_array(json_object_get(sa->baseline, "series")))
        return pdva_error_set(err, PDVA_ERR_MALFORMED,
                              "the baseline is not a pdva report (schema pdva-report/1)");
    sa->baseline_ref = o->baseline_report_path ? o->baseline_report_path : "(given as text)";
    return PDVA_OK;
}

pdva_status pdva_analyze(const char *const *paths, size_t n_paths,
                         const pdva_analysis_options *options, pdva_report **report,
                         pdva_error **err)
{
    if (report)
        *report = NULL;
    if (!paths || n_paths == 0 || !report)
        return pdva_error_set(err, PDVA_ERR_INVALID_ARGUMENT, "no input paths or no report");
    for (size_t i = 0; i < n_paths; i++)
        if (!paths[i] || !paths[i][0])
            return pdva_error_set(err, PDVA_ERR_INVALID_ARGUMENT, "input path %zu is empty", i + 1);
    pdva_analysis_options o;
    pdva_analysis_options_init(&o);
    if (options) {
        if (options->struct_size < offsetof(pdva_analysis_options, log_level) + sizeof(int))
            return pdva_error_set(err, PDVA_ERR_VERSION_MISMATCH,
                                  "pdva_analysis_options.struct_size %zu is not a known version",
                                  options->struct_size);
        /* a host built against an older header passed a smaller struct: read no further than
         * it (fields it does not know keep their defaults) */
        memcpy(&o, options, options->struct_size < sizeof o ? options->struct_size : sizeof o);
        o.struct_size = sizeof o;
    }
    study_analysis sa;
    memset(&sa, 0, sizeof sa);
    sa.logger.fn = o.log;
    sa.logger.user_data = o.log_user_data;
    sa.logger.min_level = o.log_level;
    for (size_t i = 0; i < o.n_wound_venosomes; i++) {
        pdva_venosome v;
        if (pdva_venosome_from_id(o.wound_venosomes ? o.wound_venosomes[i] : NULL, &v) != 0) {
            char shown[80];
            pdva_sanitize_utf8(shown, sizeof shown,
                               o.wound_venosomes && o.wound_venosomes[i] ? o.wound_venosomes[i] : "",
                               sizeof shown);
            return pdva_error_set(err, PDVA_ERR_INVALID_ARGUMENT,
                                  "unknown venosome '%s' (expected dorsalis_pedis, medial_plantar, "
                                  "lateral_plantar, medial_calcaneal, lateral_calcaneal or "
                                  "anterior_perforating)",
                                  shown);
        }
        bool dup = false;
        for (size_t k = 0; k < sa.n_wound; k++)
            dup |= sa.wound[k] == (int)v;
        if (!dup && sa.n_wound < PDVA_VENOSOME_COUNT)
            sa.wound[sa.n_wound++] = (int)v;
    }
    if (o.output_dir) {
        struct stat stt;
        if (stat(o.output_dir, &stt) != 0 || !S_ISDIR(stt.st_mode))
            return pdva_error_set(err, PDVA_ERR_IO, "output folder %s does not exist", o.output_dir);
    }
    pdva_status st = load_baseline(&sa, &o, err);
    pdva_study *study = NULL;
    if (st == PDVA_OK) {
        pdva_log(&sa.logger, PDVA_LOG_INFO, "scanning %zu input path(s)", n_paths);
        st = pdva_study_scan(paths, n_paths, o.limits, &study, err);
    }
    if (st != PDVA_OK) {
        free_study(&sa);
        return st;
    }
    size_t n_series = pdva_study_series_count(study);
    /* files that parsed as DICOM but could not be opened become error entries; files that are
     * not DICOM at all are only counted */
    size_t n_rejected = pdva_study_rejected_count(study), n_broken = 0;
    for (size_t i = 0; i < n_rejected; i++) {
        if (pdva_study_rejected_status(study, i) == PDVA_ERR_NOT_DICOM)
            sa.ignored_files++;
        else
            n_broken++;
    }
    if (n_series == 0 && n_broken == 0) {
        pdva_study_destroy(study);
        free_study(&sa);
        return pdva_error_set(err, n_rejected ? PDVA_ERR_NOT_DICOM : PDVA_ERR_IO,
                              n_rejected ? "none of the inputs is a DICOM file"
                                         : "no file found in the inputs");
    }
    sa.series = pdva_calloc_array(n_series + n_broken, sizeof(series_entry));
    if (!sa.series) {
        pdva_study_destroy(study);
        free_study(&sa);
        return pdva_error_set(err, PDVA_ERR_NO_MEMORY, "no memory for the series");
    }
    progress_ctx pc = {&o, 0, n_series, false};
    for (size_t i = 0; i < n_series && st == PDVA_OK; i++) {
        pc.index = i;
        series_entry *e = &sa.series[sa.n_series++];
        st = analyze_one(&sa, study, i, e, &o, &pc, err);
    }
    for (size_t i = 0; i < n_rejected && st == PDVA_OK; i++) {
        if (pdva_study_rejected_status(study, i) == PDVA_ERR_NOT_DICOM)
            continue;
        series_entry *e = &sa.series[sa.n_series++];
        e->status = PDVA_SERIES_ERROR;
        e->flow_ml_min = NAN;
        const char *path = pdva_study_rejected_path(study, i);
        const char *base = strrchr(path, '/');
        snprintf(e->reason, sizeof e->reason, "%s: %s", base ? base + 1 : path,
                 pdva_study_rejected_reason(study, i));
    }
    pdva_study_destroy(study);
    if (st == PDVA_OK && o.progress && o.progress(o.progress_user_data, 1.0, "report") != 0)
        st = pdva_error_set(err, PDVA_ERR_CANCELLED, "analysis cancelled");
    json_t *doc = NULL;
    if (st == PDVA_OK) {
        doc = pdva_report_build(&sa, err);
        if (!doc)
            st = PDVA_ERR_NO_MEMORY;
    }
    if (st == PDVA_OK)
        st = pdva_report_create(doc, report, err);
    if (st == PDVA_OK && o.output_dir) {
        char path[4096];
        if (snprintf(path, sizeof path, "%s/report.json", o.output_dir) >= (int)sizeof path)
            st = pdva_error_set(err, PDVA_ERR_INVALID_ARGUMENT, "output folder path too long");
        else
            st = pdva_report_write(*report, path, err);
        if (st != PDVA_OK) {
            pdva_report_destroy(*report);
            *report = NULL;
        }
    }
    json_decref(doc);
    free_study(&sa);
    return st;
}
