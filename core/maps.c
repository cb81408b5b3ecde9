/* maps.c — parametric maps from the time cube (see maps.h).
 * SPDX-License-Identifier: GPL-3.0-or-later */
#include "core/maps.h"

#include <math.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <string.h>

#include "base/alloc.h"
#include "base/error.h"
#include "base/parallel.h"
#include "core/curve.h"

const char *pdva_map_name(pdva_map_kind kind)
{
    switch (kind) {
    case PDVA_MAP_ARRIVAL: return "arrival_time_s";
    case PDVA_MAP_TIME_TO_PEAK: return "time_to_peak_s";
    case PDVA_MAP_PEAK: return "peak_height";
    case PDVA_MAP_AUC: return "auc";
    case PDVA_MAP_MTT: return "mean_transit_time_s";
    case PDVA_MAP_COUNT: break;
    }
    return "unknown";
}

void pdva_maps_free(pdva_maps *maps)
{
    if (!maps)
        return;
    for (int i = 0; i < PDVA_MAP_COUNT; i++)
        pdva_image_destroy(&maps->map[i]);
}

/* What the rows of the maps share. */
typedef struct maps_job {
    const pdva_dsa_result *d;
    const double *t;
    uint32_t frames;
    double sigmas;
    pdva_maps *out;
    atomic_bool failed; /* a row's curve buffer could not be allocated */
} maps_job;

/* Rows [y0, y1): each pixel's curve from the cube, and its parameters. */
static void maps_rows(void *ctx, size_t y0, size_t y1)
{
    maps_job *job = ctx;
    const pdva_dsa_result *d = job->d;
    uint32_t w = d->cube_width, frames = job->frames;
    size_t plane = (size_t)w * d->cube_height;
    double *curve = pdva_alloc_array(frames, sizeof(double));
    if (!curve) {
        atomic_store(&job->failed, true);
        return;
    }
    pdva_image *map = job->out->map;
    for (size_t y = y0; y < y1; y++)
        for (uint32_t x = 0; x < w; x++) {
            size_t i = y * w + x;
            for (uint32_t f = 0; f < frames; f++)
                curve[f] = f < d->first_contrast_frame
                               ? 0.0
                               : d->cube[(size_t)f * plane + i] * d->cube_scale;
            /* half-resolution pixels average 4 of the subtraction's */
            double noise = pdva_dsa_noise_at(d, 2.0 * x + 1.0, 2.0 * (double)y + 1.0) / 2.0;
            pdva_curve_params cp;
            pdva_curve_compute(job->t, curve, frames, job->sigmas * noise, &cp);
            map[PDVA_MAP_ARRIVAL].data[i] = cp.valid ? (float)cp.arrival_time_s : NAN;
            map[PDVA_MAP_TIME_TO_PEAK].data[i] = cp.valid ? (float)cp.peak_time_s : NAN;
            map[PDVA_MAP_PEAK].data[i] = cp.valid ? (float)cp.peak_height : NAN;
            map[PDVA_MAP_AUC].data[i] = cp.valid ? (float)cp.auc : NAN;
            map[PDVA_MAP_MTT].data[i] = cp.valid ? (float)cp.mean_transit_time_s : NAN;
        }
    pdva_free(curve);
}

pdva_status pdva_maps_compute(const pdva_dsa_result *d, const double *t, uint32_t frames,
                              double sigmas, unsigned threads, pdva_maps *out, pdva_error **err)
{
    memset(out, 0, sizeof *out);
    uint32_t w = d->cube_width, h = d->cube_height;
    for (int i = 0; i < PDVA_MAP_COUNT; i++) {
        pdva_status st = pdva_image_create(&out->map[i], w, h, err);
        if (st != PDVA_OK) {
            pdva_maps_free(out);
            return st;
        }
    }
    maps_job job = {d, t, frames, sigmas, out, false};
    pdva_parallel_for(threads, h, 16, maps_rows, &job);
    if (atomic_load(&job.failed)) {
        pdva_maps_free(out);
        return pdva_error_set(err, PDVA_ERR_NO_MEMORY, "no memory for the parametric maps");
    }
    return PDVA_OK;
}
