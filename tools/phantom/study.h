/* study.h — a generated study: the patient, one or two runs built from a scenario and a seed,
 * and (for a follow-up) what changed since the baseline.
 * SPDX-License-Identifier: GPL-3.0-or-later */
#ifndef PDVA_PHANTOM_STUDY_H
#define PDVA_PHANTOM_STUDY_H

#include <stdbool.h>
#include <stdint.h>

#include "dicom/pdva_dicom_writer.h"
#include "tools/phantom/scene.h"

#define PH_MAX_RUNS 2

typedef struct ph_options {
    uint32_t size;            /* rows = columns; 0: 1024 */
    uint32_t frames;          /* 0: chosen so the run covers the transit (30-60) */
    pdva_encoding encoding;   /* 0: chosen from the seed */
    int spacing_variant;      /* -1: chosen; 0 Pixel Spacing, 1 ERMF, 2 distances, 3 none */
    int runs;                 /* 0: chosen by the scenario; 1 leg only, 2 foot only, 3 both */
} ph_options;

void ph_options_init(ph_options *o);

/* A previous study of the same patient, for follow-up scenarios. */
typedef struct ph_followup {
    bool is_control;                  /* this study is the control of a pair */
    char baseline_study_uid[65];
    int interval_days;
    double baseline_flow_ml_min;
    double baseline_donor_stenosis_pct;
    int treated_valve;                /* index (in the baseline's valve order) treated since */
} ph_followup;

typedef struct ph_study {
    char scenario[32];
    uint64_t seed;
    pdva_encoding encoding;
    char patient_id[32], patient_name[64], birth_date[9], sex[2];
    char study_uid[65], study_date[9], study_time[7], accession[17], study_id[17];
    char laterality;                  /* 'L' or 'R' */
    int wound[2];
    int n_wound;
    double arterialization_flow_ml_min;
    ph_run runs[PH_MAX_RUNS];
    size_t n_runs;
    ph_followup followup;
} ph_study;

/* The scenarios this generator knows, NULL-terminated. */
extern const char *const ph_scenarios[];
bool ph_scenario_known(const char *name);

/* Build a study: anatomy, pathology, flows, transit, timing, geometry. For "followup-pair" pass
 * role 0 (baseline) or 1 (control): both share the anatomy of the seed. Returns 0, or -1 with a
 * message in err_out (capacity err_len). */
int ph_study_build(ph_study *st, const char *scenario, uint64_t seed, int role,
                   const ph_options *opts, char *err_out, size_t err_len);

void ph_study_free(ph_study *st);

#endif /* PDVA_PHANTOM_STUDY_H */
