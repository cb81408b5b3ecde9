/* render.h — X-ray image formation of a run: attenuation of the body and bones, the iodine of the
 * vessels (concentration x chord through each tube) and of the venosome blushes, patient motion,
 * detector blur and veiling glare, quantum noise, and 12-bit storage (LIN or LOG).
 * SPDX-License-Identifier: GPL-3.0-or-later */
#ifndef PDVA_PHANTOM_RENDER_H
#define PDVA_PHANTOM_RENDER_H

#include <stdbool.h>
#include <stdint.h>

#include "tools/phantom/conc.h"
#include "tools/phantom/scene.h"

typedef struct ph_render {
    uint32_t rows, cols;
    float *mu_background;        /* attenuation line integral of tissue and bone (ln units) */
    float *thickness_mm;         /* body thickness along the ray */
    /* vessel pixels: one entry per (pixel, vessel) */
    size_t n_entries;
    uint32_t *entry_pixel;
    float *entry_chord_mm;       /* mean chord through the tube over the pixel */
    uint16_t *entry_vessel;
    float *entry_sample;         /* fractional centerline sample nearest to the pixel */
    float *blush_weight_mm[PDVA_VENOSOME_COUNT]; /* tissue path that fills, smoothed */
    uint8_t *venosome_label;     /* venosome polygon of each pixel, 255 outside all */
    bool no_contrast;            /* render the anatomy only (the no-contrast defect) */
    /* scratch */
    float *work_a, *work_b;
} ph_render;

/* Precompute everything that does not change from frame to frame. Returns 0 or -1 (memory). */
int ph_render_init(ph_render *r, const ph_run *run);
void ph_render_free(ph_render *r);

/* Noise-free iodine attenuation (ln units) of frame f in the mask's geometry (no motion). */
void ph_render_iodine(const ph_render *r, const ph_run *run, const ph_conc *conc, uint32_t f,
                      float *iodine);

/* A stored 12-bit frame: iodine + background, motion, blur, glare, noise, storage curve.
 * `iodine` is scratch of rows*cols floats. */
void ph_render_frame(ph_render *r, const ph_run *run, const ph_conc *conc, uint32_t f,
                     phantom_rng *rng, float *iodine, uint16_t *out);

/* Separable Gaussian blur in place (sigma in pixels; `tmp` holds rows*cols floats). */
void ph_gaussian_blur(float *img, uint32_t rows, uint32_t cols, double sigma_px, float *tmp);

#endif /* PDVA_PHANTOM_RENDER_H */
