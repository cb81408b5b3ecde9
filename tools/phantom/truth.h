/* truth.h — the ground truth of a generated study, in the shape of the report
 * (shared/spec/report-v1.md, "Ground truth of sample studies"): what a perfect, honest analysis of
 * the study would write.
 * SPDX-License-Identifier: GPL-3.0-or-later */
#ifndef PDVA_PHANTOM_TRUTH_H
#define PDVA_PHANTOM_TRUTH_H

#include <jansson.h>

#include "tools/phantom/conc.h"
#include "tools/phantom/study.h"

/* Where a follow-up control's context says the baseline's report is. */
#define PH_BASELINE_REPORT_PATH "../baseline/report.json"

/* What only the rendering knows: the noise-free curves over the venosome polygons and the last
 * frame without contrast. */
typedef struct ph_run_truth {
    uint32_t mask_frame;
    double *venosome_curve[PDVA_VENOSOME_COUNT]; /* frames values, iodine attenuation (ln) */
    double *max_iodine;                          /* frames values */
} ph_run_truth;

int ph_run_truth_init(ph_run_truth *t, uint32_t frames);
void ph_run_truth_free(ph_run_truth *t);

/* Accumulate frame f's noise-free iodine map into the curves. */
void ph_run_truth_add_frame(ph_run_truth *t, const ph_run *run, const uint8_t *venosome_label,
                            const float *iodine, uint32_t f);

/* The truth document. `conc` and `rt` hold one entry per run. `baseline` (may be NULL) is the
 * baseline's truth for a follow-up control, from which the comparison is derived. Returns a new
 * reference, or NULL on memory failure. */
json_t *ph_truth_build(const ph_study *st, const ph_conc *conc, const ph_run_truth *rt,
                       const json_t *baseline, const char *version);

/* The clinician's context: wound venosomes, laterality, baseline. New reference or NULL. */
json_t *ph_context_build(const ph_study *st, const char *baseline_report);

#endif /* PDVA_PHANTOM_TRUTH_H */
