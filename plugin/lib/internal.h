/* internal.h — what the library's public face (pdva_analyze and the report) shares between its
 * files: the study being assembled from its series, before and after analysis.
 * SPDX-License-Identifier: GPL-3.0-or-later */
#ifndef PDVA_LIB_INTERNAL_H
#define PDVA_LIB_INTERNAL_H

#include <jansson.h>
#include <stdbool.h>

#include "base/log.h"
#include "core/result.h"
#include "dicom/pdva_dicom.h"
#include "pdva/pdva.h"
#include "plugin/lib/maps_png.h"

#define PDVA_LOW_FLOW_ML_MIN 300.0

typedef struct series_entry {
    char uid[PDVA_UID_MAX];      /* "" when unknown or invalid */
    bool have_info;
    pdva_series_info info;       /* copied; info.frame_times_s points at frame_times */
    double *frame_times;         /* owned */
    pdva_series_status status;
    char reason[512];
    bool analyzed;
    pdva_series_result result;   /* owned (core) */
    double flow_ml_min;          /* the series' arterialization flow, NAN */
    pdva_vec2 flow_point;        /* where low flow is pointed at */
    bool flow_point_known;
    pdva_map_file maps[PDVA_MAP_COUNT]; /* pictures written to the output folder */
} series_entry;

typedef struct study_analysis {
    series_entry *series;
    size_t n_series;
    char study_uid[PDVA_UID_MAX];
    char patient_id[PDVA_SHORT_MAX];
    char study_date[9];
    char laterality;
    bool study_uid_from_angio;   /* the identity above comes from an angiographic series */
    size_t other_studies;        /* angiographic series of other studies, left out */
    int wound[PDVA_VENOSOME_COUNT];
    size_t n_wound;
    const char *baseline_ref;    /* as given (path), or NULL */
    json_t *baseline;            /* parsed baseline report, or NULL */
    size_t ignored_files;        /* inputs that are not DICOM */
    pdva_logger logger;
} study_analysis;

/* Build the report document (new reference) from an analyzed study. */
json_t *pdva_report_build(const study_analysis *sa, pdva_error **err);

/* The comparison with a baseline report (new reference), or NULL without a baseline. */
json_t *pdva_compare_build(const study_analysis *sa, const json_t *report);

/* The human summary (caller-owned string, pdva_free). */
char *pdva_summary_build(const json_t *report);

/* Report a valid DICOM UID (digits and dots, <= 64 chars) or "" */
bool pdva_uid_is_valid(const char *uid);

/* Create the report object from its document (takes no reference). */
pdva_status pdva_report_create(const json_t *doc, pdva_report **out, pdva_error **err);

#endif /* PDVA_LIB_INTERNAL_H */
