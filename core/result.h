/* result.h — what the analysis of one series finds, as plain structs (the report writer turns
 * them into the report's JSON). Coordinates are image points (pixel centres at +0.5); lengths in
 * mm are NAN when the spacing is unknown; every NAN is written as null.
 * SPDX-License-Identifier: GPL-3.0-or-later */
#ifndef PDVA_CORE_RESULT_H
#define PDVA_CORE_RESULT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "core/curve.h"
#include "core/geom.h"
#include "core/maps.h"
#include "core/venosome_atlas.h"

typedef enum pdva_series_status {
    PDVA_SERIES_ANALYZED = 0,
    PDVA_SERIES_NOT_APPLICABLE = 1,
    PDVA_SERIES_ERROR = 2
} pdva_series_status;

typedef enum pdva_run_kind {
    PDVA_RUN_UNKNOWN = 0,
    PDVA_RUN_LEG = 1,  /* donor artery, AV connection, proximal conduit */
    PDVA_RUN_FOOT = 2  /* conduit across the ankle, plantar veins, venosomes */
} pdva_run_kind;

typedef enum pdva_vessel_kind {
    PDVA_VESSEL_UNKNOWN = 0,
    PDVA_VESSEL_DONOR_ARTERY = 1,
    PDVA_VESSEL_ARTERY = 2,
    PDVA_VESSEL_ARTERIALIZED_VEIN = 3,
    PDVA_VESSEL_COLLATERAL = 4
} pdva_vessel_kind;

const char *pdva_vessel_kind_name(pdva_vessel_kind kind);

typedef struct pdva_vessel_result {
    pdva_vessel_kind kind;
    char role[40];          /* "conduit", "donor artery", "plantar vein", "branch", ... */
    size_t n;
    pdva_vec2 *points;      /* centerline, owned */
    double *diameter_mm;    /* n values, NAN where not measured; owned */
    double arrival_time_s;  /* at the first point, NAN when nothing arrives */
    int parent;             /* index of the vessel it leaves, -1 */
} pdva_vessel_result;

typedef enum pdva_finding_type {
    PDVA_FINDING_RESIDUAL_VALVE = 0,
    PDVA_FINDING_DONOR_RESTENOSIS = 1,
    PDVA_FINDING_COLLATERAL = 2,
    PDVA_FINDING_LOW_FLOW = 3,
    PDVA_FINDING_CALIBRE_MISMATCH = 4,
    PDVA_FINDING_CONDUIT_STENOSIS = 5,
    PDVA_FINDING_OCCLUSION = 6
} pdva_finding_type;

const char *pdva_finding_type_name(pdva_finding_type type);

#define PDVA_DRAINS_UNKNOWN (-1)
#define PDVA_DRAINS_SYSTEMIC (-2)

typedef enum pdva_conduit_site {
    PDVA_SITE_OTHER = 0,
    PDVA_SITE_FLEXOR_RETINACULUM = 1,
    PDVA_SITE_STENT = 2
} pdva_conduit_site;

typedef struct pdva_finding_result {
    pdva_finding_type type;
    pdva_vec2 point;
    double confidence;
    int vessel;                  /* index in the series' vessels, -1 */
    /* stenoses and valves */
    double stenosis_pct;         /* diameter stenosis / diameter reduction */
    double minimal_lumen_mm, reference_mm, lesion_length_mm;
    bool at_av_connection;
    pdva_conduit_site site;
    double transit_delay_s;      /* valves, NAN when not measurable */
    /* flow */
    double flow_ml_min;
    double artery_mm, vein_mm, ratio;
    /* collaterals */
    int drains_to;               /* venosome, PDVA_DRAINS_SYSTEMIC or PDVA_DRAINS_UNKNOWN */
    double flow_fraction;        /* NAN when not measurable */
    bool embolize;
    char rationale[320];
    /* occlusion */
    bool distal_via_collaterals;
    double rank_score;           /* collaterals: ordering key, larger first */
} pdva_finding_result;

typedef struct pdva_venosome_result {
    pdva_venosome id;
    size_t n;
    pdva_vec2 *polygon;          /* owned */
    pdva_curve_params curve;
} pdva_venosome_result;

#define PDVA_MAX_NOTES 12

typedef struct pdva_series_result {
    pdva_series_status status;
    char reason[512];
    pdva_run_kind run;
    bool mask_known;
    uint32_t mask_frame;
    bool has_inflow;
    pdva_curve_params inflow;
    bool has_av_connection;
    pdva_vec2 av_connection;
    double av_confidence;
    double flow_ml_min;          /* NAN when not measurable */
    double conduit_velocity_mm_s;
    pdva_vessel_result *vessels;
    size_t n_vessels;
    pdva_venosome_result *venosomes;
    size_t n_venosomes;
    pdva_finding_result *findings;
    size_t n_findings;
    double max_motion_px;
    bool foot_frame_found;
    pdva_foot_frame foot_frame;  /* image coordinates */
    bool has_maps;
    pdva_maps maps;              /* parametric maps, half resolution (owned) */
    /* what limits the analysis, for warnings */
    char notes[PDVA_MAX_NOTES][200];
    size_t n_notes;
} pdva_series_result;

void pdva_series_result_free(pdva_series_result *r);

/* Add a note for a person (dropped silently beyond PDVA_MAX_NOTES). */
void pdva_series_result_note(pdva_series_result *r, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

#endif /* PDVA_CORE_RESULT_H */
