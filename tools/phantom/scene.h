/* scene.h — what a generated angiographic run contains: the anatomy in millimetres at the vessel
 * plane (outline, bones, vessels as tubes with flow), the pathology placed on it, the timing and
 * the projection geometry. Anatomy builders fill it, transit.c computes contrast arrival along it,
 * render.c turns it into frames and truth.c into truth.json.
 *
 * Coordinates: millimetres at the vessel plane, origin at the top-left corner of the image, x to
 * the right, y down; pixel (row i, column j) covers [j*s, (j+1)*s) x [i*s, (i+1)*s).
 * SPDX-License-Identifier: GPL-3.0-or-later */
#ifndef PDVA_PHANTOM_SCENE_H
#define PDVA_PHANTOM_SCENE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "core/geom.h"
#include "core/venosome_atlas.h"
#include "tools/phantom/rng.h"

/* Centerline sampling step, mm. */
#define PH_DS_MM 0.25

typedef enum ph_vessel_kind {
    PH_DONOR_ARTERY = 0,
    PH_ARTERY = 1,
    PH_ARTERIALIZED_VEIN = 2,
    PH_COLLATERAL = 3
} ph_vessel_kind;

const char *ph_vessel_kind_name(ph_vessel_kind kind);

/* Where a vessel's remaining flow goes at its end. */
#define PH_DRAIN_NONE (-1)     /* continues beyond the field or fades (arteries) */
#define PH_DRAIN_SYSTEMIC (-2) /* back toward the heart, out of the field */

typedef enum ph_lesion_type {
    PH_LESION_STENOSIS = 1, /* donor restenosis or conduit stenosis: focal narrowing */
    PH_LESION_VALVE = 2,    /* competent valve: narrowing, bulge upstream, hold-up downstream */
    PH_LESION_OCCLUSION = 3 /* the lumen stops opacifying */
} ph_lesion_type;

typedef enum ph_conduit_site {
    PH_SITE_NONE = 0,
    PH_SITE_FLEXOR_RETINACULUM = 1,
    PH_SITE_STENT = 2,
    PH_SITE_OTHER = 3
} ph_conduit_site;

typedef struct ph_lesion {
    ph_lesion_type type;
    int vessel;              /* index in the run's vessels */
    double s_mm;             /* centre (stenosis, valve) or start (occlusion) along the vessel */
    double length_mm;        /* lesion length (stenosis, valve) or unopacified gap (occlusion) */
    double severity;         /* diameter reduction 0..1 (stenosis, valve) */
    double delay_s;          /* valve hold-up */
    bool donor;              /* a donor_restenosis (donor artery or AV connection) */
    ph_conduit_site site;    /* for conduit stenoses */
    bool distal_via_collaterals; /* occlusion: territory beyond fills late */
    double late_delay_s;     /* occlusion via collaterals: extra delay */
    double late_gain;        /* occlusion via collaterals: concentration factor */
} ph_lesion;

typedef struct ph_vessel {
    char name[48];
    ph_vessel_kind kind;
    int parent;              /* -1 for a root, whose first sample is the inflow reference */
    size_t parent_sample;    /* sample of the parent where this vessel starts */
    size_t n;                /* samples, PH_DS_MM apart */
    pdva_vec2 *p;            /* centerline, mm */
    double *r_ref;           /* radius without lesions, mm */
    double *r;               /* radius with lesions, mm */
    double *q_ml_min;        /* flow at each sample */
    double *tau_s;           /* mean transit delay from the run's inflow reference */
    double *var_s2;          /* variance of the transit delay */
    double *gain;            /* concentration factor: 1, 0 beyond an occlusion, <1 when late */
    double flow_fraction;    /* share of the parent's flow taken at the branch (roots: 1) */
    int drains_to;           /* venosome index, PH_DRAIN_SYSTEMIC or PH_DRAIN_NONE */
    bool on_arterialized_path; /* donor, AV connection, conduit, plantar veins, first toe vein */
    bool is_conduit;         /* the stented venous conduit */
    bool is_first_toe_vein;
    bool stented;
    bool visible;            /* false: built for flow bookkeeping only */
    int truth_index;         /* V<n> number in the truth, 0 when not listed */
} ph_vessel;

typedef struct ph_bone {
    pdva_vec2 a, b;          /* capsule axis ends, mm */
    double radius_mm;        /* half width across the axis */
    double cortex_mm;        /* cortical shell thickness */
} ph_bone;

typedef enum ph_run_kind { PH_RUN_LEG = 0, PH_RUN_FOOT = 1 } ph_run_kind;

#define PH_MAX_VESSELS 48
#define PH_MAX_BONES 40
#define PH_MAX_LESIONS 12
#define PH_MAX_OUTLINE 512
#define PH_MAX_POLY 512

typedef struct ph_venosome_region {
    pdva_vec2 polygon[PH_MAX_POLY];
    size_t n;
    double mtt_s;             /* tissue mean transit time of its blush */
    double blood_volume;      /* fraction of tissue that fills */
} ph_venosome_region;

/* One angiographic run: a field of view with its own injection, timing and geometry. */
typedef struct ph_run {
    ph_run_kind kind;
    char series_uid[65];
    char description[64];
    int series_number;

    /* projection and detector */
    uint32_t rows, columns;
    double spacing_mm;                 /* at the vessel plane */
    double dsd_mm, dsp_mm;             /* source-detector, source-patient (vessel plane) */
    double imager_spacing_mm;          /* spacing_mm * dsd / dsp */
    int spacing_variant;               /* 0: Pixel Spacing, 1: ERMF, 2: distances, 3: none */
    double primary_angle_deg, secondary_angle_deg;

    /* timing */
    uint32_t frames;
    double *frame_times_s;
    bool variable_frame_times;
    uint32_t n_mask_frames;            /* contrast-free frames at the start */
    double inflow_t0_s;                /* bolus reaches the inflow reference */
    double inflow_pre_delay_s;         /* transit from the injection to the inflow reference */
    double inflow_var_s2;              /* dispersion already accumulated before the field */

    /* body */
    pdva_vec2 outline[PH_MAX_OUTLINE]; /* body silhouette in the field (mm), closed */
    size_t n_outline;
    double body_thickness_mm;          /* thickness of the body through its widest part */
    ph_bone bones[PH_MAX_BONES];
    size_t n_bones;

    /* vessels and pathology */
    ph_vessel vessels[PH_MAX_VESSELS];
    size_t n_vessels;
    ph_lesion lesions[PH_MAX_LESIONS];
    size_t n_lesions;
    double flow_in_ml_min;             /* flow of the arterialized path entering the field */
    double arterialization_flow_ml_min;/* flow through the AV connection (the study's) */
    int conduit;                       /* index of the conduit vessel, -1 if none */
    int donor;                         /* index of the donor artery, -1 if none */
    bool has_av_connection;
    pdva_vec2 av_connection_mm;

    /* foot runs: the atlas frame and the venosomes */
    bool has_foot;
    pdva_foot_frame foot;              /* in mm */
    ph_venosome_region venosomes[PDVA_VENOSOME_COUNT];

    /* motion of the whole scene per frame (mm), zero up to the mask */
    double *shift_x_mm, *shift_y_mm;

    /* image formation */
    double photons_per_pixel;          /* unattenuated, at the detector */
    double blur_sigma_px, glare_fraction, glare_sigma_mm;
    double iodine_mu_per_mg_ml_mm;     /* attenuation per mm per mg I / ml */
    double peak_iodine_mg_ml;          /* of the inflow bolus */
    double bolus_alpha, bolus_tpeak_s; /* gamma-variate shape */
    bool log_storage;                  /* Pixel Intensity Relationship LOG (else LIN) */
    double dispersion_k;               /* dispersivity in vessel radii */
} ph_run;

/* Free the arrays owned by a run (vessel samples, times, motion). */
void ph_run_free(ph_run *run);

/* Add a vessel whose centerline is the spline through `ctrl`, with a radius that goes linearly
 * from r_start to r_end (mm). Returns its index, or -1 when full or out of memory. */
int ph_run_add_vessel(ph_run *run, const char *name, ph_vessel_kind kind, int parent,
                      size_t parent_sample, const pdva_vec2 *ctrl, size_t n_ctrl, double r_start,
                      double r_end);

/* Index of the vessel called `name`, or -1. */
int ph_run_find_vessel(const ph_run *run, const char *name);

/* Sample index of a vessel nearest to arclength s (mm). */
size_t ph_vessel_sample_at(const ph_vessel *v, double s_mm);

/* The point of a scene (mm) in the pixel grid of the report: [x, y] with pixel centres at +0.5. */
pdva_vec2 ph_mm_to_px(const ph_run *run, pdva_vec2 mm);

#endif /* PDVA_PHANTOM_SCENE_H */
