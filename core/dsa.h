/* dsa.h — digital subtraction as frames stream in: the mask (the last contrast-free frames),
 * sub-pixel motion correction of every later frame against it, log subtraction, and what the
 * rest of the analysis needs from the whole series without keeping its frames: the area under
 * every pixel's time-density curve (a high-SNR image of the filled vessels), the temporal maximum,
 * and a half-resolution time cube of the subtracted frames for the time-density curves.
 *
 * Memory does not grow with the frame count except for the time cube (1/4 of the pixels, 2 bytes
 * each per frame).
 * SPDX-License-Identifier: GPL-3.0-or-later */
#ifndef PDVA_CORE_DSA_H
#define PDVA_CORE_DSA_H

#include <stdbool.h>
#include <stdint.h>

#include "core/image.h"
#include "pdva/pdva.h"

typedef struct pdva_dsa_params {
    uint32_t rows, columns, frames;
    const double *frame_times_s;  /* borrowed for the life of the pdva_dsa */
    bool log_stored;              /* values grow with ln(intensity) (LOG): subtract them as they are */
    uint32_t max_value;           /* largest stored value */
    bool correct_motion;
    unsigned threads;             /* per frame; 0: one per core */
} pdva_dsa_params;

typedef struct pdva_dsa pdva_dsa;

/* Create the processor. On success *out is caller-owned (pdva_dsa_destroy). */
pdva_status pdva_dsa_create(const pdva_dsa_params *params, pdva_dsa **out, pdva_error **err);
void pdva_dsa_destroy(pdva_dsa *dsa);

/* Feed frame `index` (frames must come in order 0, 1, 2, ...). `pixels` is borrowed. */
pdva_status pdva_dsa_push_frame(pdva_dsa *dsa, uint32_t index, const uint16_t *pixels,
                                pdva_error **err);

/* Threads for the frames pushed from now on and for pdva_dsa_finish (0: one per core); the
 * result does not depend on it. While other threads decode the frames, the cores they leave. */
void pdva_dsa_set_threads(pdva_dsa *dsa, unsigned threads);

/* After the last frame (once; no frame may follow). */
pdva_status pdva_dsa_finish(pdva_dsa *dsa, pdva_error **err);

/* The results, borrowed until pdva_dsa_destroy(). */
typedef struct pdva_dsa_result {
    bool contrast_found;       /* false: no frame differs from the first by more than noise */
    bool mask_contrast_free;   /* false: contrast was already there in the first frame */
    uint32_t mask_frame;       /* last frame averaged into the mask */
    uint32_t first_contrast_frame;
    double noise_sigma;        /* per-pixel noise of a subtracted frame (subtraction units) */
    double units_per_ln;       /* subtraction units per natural-log unit of intensity (1 for LIN) */
    const pdva_image *mask_log;/* the mask, ln(intensity) in subtraction units (bigger = brighter) */
    const pdva_image *auc;     /* sum over frames of the subtracted value x frame interval */
    const pdva_image *opacified; /* mean of each pixel's PDVA_DSA_TOP_K largest subtracted values:
                                * the vessels at their fullest, with the mask's noise counted once
                                * (the AUC multiplies it by the run's length) */
    uint32_t mask_frames;      /* frames averaged into the mask */
    const pdva_image *peak;    /* temporal maximum of the subtracted frames (lightly smoothed) */
    const double *shift_x_px, *shift_y_px; /* motion of each frame against the mask */
    double max_motion_px;
    /* time cube at half resolution: frame f, half-res pixel (x, y) at
     * cube[(f * cube_height + y) * cube_width + x] * cube_scale */
    uint32_t cube_width, cube_height;
    const int16_t *cube;
    double cube_scale;
    uint32_t saturated_frames; /* frames with more than 5 % of the pixels at the extremes */
    /* per-pixel noise of one frame, varying over the image (quantum noise follows the body):
     * block estimates NOISE_BLOCK pixels apart, see pdva_dsa_noise_at() */
    const pdva_image *noise_map;
} pdva_dsa_result;

/* Frames averaged per pixel in the `opacified` image. */
#define PDVA_DSA_TOP_K 4

/* Side of the blocks of the noise map, in pixels. */
#define PDVA_DSA_NOISE_BLOCK 32

/* Noise of one subtracted frame at image point (x, y). */
double pdva_dsa_noise_at(const pdva_dsa_result *r, double x, double y);

void pdva_dsa_get_result(const pdva_dsa *dsa, pdva_dsa_result *out);

/* The subtracted value of the cube at full-resolution point (x, y), frame f (bilinear). */
double pdva_dsa_cube_sample(const pdva_dsa_result *r, double x, double y, uint32_t f);

/* The mean of the cube at frame f over n half-resolution pixels, given by their indices in the
 * plane (a region listed once, read at every frame). */
double pdva_dsa_cube_mean(const pdva_dsa_result *r, const uint32_t *pixels, size_t n, uint32_t f);

#endif /* PDVA_CORE_DSA_H */
