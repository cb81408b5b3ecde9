/* image.h — float images for the analysis: allocation through the funnel, sampling with the
 * report's pixel convention (the centre of pixel (col, row) is at (col + 0.5, row + 0.5)),
 * downsampling and separable Gaussian smoothing.
 * SPDX-License-Identifier: GPL-3.0-or-later */
#ifndef PDVA_CORE_IMAGE_H
#define PDVA_CORE_IMAGE_H

#include <stdint.h>

#include "pdva/pdva.h"

typedef struct pdva_image {
    uint32_t width, height;
    float *data; /* width * height, row after row; owned */
} pdva_image;

/* Allocate a zeroed image. PDVA_ERR_NO_MEMORY on failure (*img left empty). */
pdva_status pdva_image_create(pdva_image *img, uint32_t width, uint32_t height, pdva_error **err);
/* The same, the pixels left unset: for an image wholly written before it is read (zeroing a
 * large image touches all of its pages at once, where the writer would touch them anyway). */
pdva_status pdva_image_create_unset(pdva_image *img, uint32_t width, uint32_t height,
                                    pdva_error **err);
/* Free the pixels; the struct may be reused. NULL or an empty image is fine. */
void pdva_image_destroy(pdva_image *img);

/* Bilinear value at image point (x, y); edges clamped. */
float pdva_image_sample(const pdva_image *img, double x, double y);

/* Mean of 2x2 blocks (dst gets ceil(w/2) x ceil(h/2), allocated here). */
pdva_status pdva_image_downsample2(const pdva_image *src, pdva_image *dst, pdva_error **err);

/* Separable Gaussian blur in place; `tmp` holds width * height floats. */
void pdva_image_blur(pdva_image *img, double sigma_px, float *tmp);

/* Same for a bare buffer. */
void pdva_blur_buffer(float *data, uint32_t width, uint32_t height, double sigma_px, float *tmp);

/* Same, rows shared out between up to `threads` threads (0: one per core); the result does
 * not depend on the threads. */
void pdva_blur_buffer_threads(float *data, uint32_t width, uint32_t height, double sigma_px,
                              float *tmp, unsigned threads);

/* Grayscale opening (erosion then dilation) with a square of side 2 radius + 1: what remains
 * is the background under anything narrower than the square (van Herk / Gil-Werman, constant
 * time per pixel). dst and src are distinct images of the same size. Rows, then strips of
 * columns, are shared out between up to `threads` threads (0: one per core), with the same
 * result. */
pdva_status pdva_image_opening(const pdva_image *src, pdva_image *dst, uint32_t radius,
                               unsigned threads, pdva_error **err);

/* Value below which `fraction` of the finite pixels lie (0..1), from a sorted sample of at most
 * 65536 pixels (deterministic stride). */
float pdva_image_quantile(const float *data, size_t n, double fraction);

#endif /* PDVA_CORE_IMAGE_H */
