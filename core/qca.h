/* qca.h — quantitative vascular analysis: the lumen diameter from a profile across the vessel,
 * fitted with the projection of a cylinder (chord 2 sqrt(r^2 - u^2)) blurred by the imaging
 * system, plus a linear background; and the stenosis measures along a diameter profile
 * (interpolated reference diameter, minimal lumen diameter, % diameter stenosis, lesion length),
 * after DICOM PS3.17 Annex T's quantitative arterial analysis.
 * SPDX-License-Identifier: GPL-3.0-or-later */
#ifndef PDVA_CORE_QCA_H
#define PDVA_CORE_QCA_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "core/geom.h"
#include "core/image.h"
#include "pdva/pdva.h"

/* The blurred cylinder profile P(u; r), tabulated for one point-spread sigma. */
typedef struct pdva_profile_model {
    double sigma_px;
    double r_step, u_step;
    size_t n_r, n_u;
    float *table; /* n_r x n_u, |u| from 0 */
    uint32_t *support; /* n_r: row ir is exactly zero from index support[ir] on */
} pdva_profile_model;

/* Tabulate the model for radii up to r_max_px, on up to `threads` threads (0: one per core). */
pdva_status pdva_profile_model_create(pdva_profile_model *m, double sigma_px, double r_max_px,
                                      unsigned threads, pdva_error **err);
void pdva_profile_model_destroy(pdva_profile_model *m);
double pdva_profile_model_eval(const pdva_profile_model *m, double u, double r);

typedef struct pdva_profile_fit {
    bool ok;
    double offset_px;   /* centre of the vessel along the profile, from the profile's middle */
    double radius_px;
    double amplitude;   /* image units per pixel of chord */
    double area;        /* integral across the vessel above the background (amplitude pi r^2) */
    double rms;         /* residual */
    double contrast_to_noise;
} pdva_profile_fit;

/* Fit a profile of n samples `step_px` apart centred on the guessed centre, with a radius guess.
 * `noise` is the per-sample noise (for contrast_to_noise). */
void pdva_profile_fit_cylinder(const pdva_profile_model *m, const float *profile, size_t n,
                               double step_px, double r_guess_px, double noise,
                               pdva_profile_fit *out);

/* Sample the profile across point p (image coordinates) along unit normal `normal`. */
void pdva_profile_sample(const pdva_image *img, pdva_vec2 p, pdva_vec2 normal,
                         double step_px, size_t n, float *out);

/* Stenosis analysis of a diameter profile d[i] (mm or px) at arclengths s[i]; NaN = unmeasured. */
typedef struct pdva_stenosis {
    bool found;
    size_t index;             /* minimal lumen */
    double minimal_lumen_diameter;
    double reference_diameter;/* the interpolated reference at the minimal lumen */
    double diameter_stenosis_pct;
    double lesion_length;     /* where the reduction is at least half of its maximum */
    double s_start, s_end;
} pdva_stenosis;

/* Interpolated reference: a straight line fitted to the profile, iteratively leaving out the
 * points well below it (the lesion). Writes ref[i]. */
void pdva_reference_diameter(const double *s, const double *d, size_t n, double *ref);

/* The worst narrowing between indices [from, to) whose reduction is at least min_pct. */
void pdva_find_stenosis(const double *s, const double *d, const double *ref, size_t n,
                        size_t from, size_t to, double min_pct, pdva_stenosis *out);

#endif /* PDVA_CORE_QCA_H */
