/* pdva_itk.h — multi-scale Hessian vesselness (Frangi) and Gaussian Hessians, computed with ITK.
 *
 * The only face of the ITK shim that the analysis (core/) sees: plain arrays in, plain arrays
 * out. No ITK or C++ type and no exception crosses this header. Images are row-major float32,
 * pixel (x, y) at index y * width + x; x grows along a row, y down the rows. Scales are Gaussian
 * standard deviations in pixels. Method, parameters and known limits: docs/methods-vesselness.md.
 *
 * Thread safety: every function may be called from several threads at once on different
 * buffers. Work is spread over ITK's process-wide thread pool with a per-call number of work
 * units; no global ITK setting is read-modified-written. Do not call these functions from inside
 * a task that itself runs on ITK's thread pool.
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#ifndef PDVA_ITK_H
#define PDVA_ITK_H

#include <stddef.h>
#include <stdint.h>

#include "pdva/pdva.h"

#ifdef __cplusplus
extern "C" {
#endif

/* Bounds checked on every call (PDVA_ERR_INVALID_ARGUMENT beyond them). */
#define PDVA_ITK_MAX_SIDE 16384u      /* width and height, pixels */
#define PDVA_ITK_MAX_SIGMAS 32u       /* scales in one vesselness call */
#define PDVA_ITK_MAX_SIGMA_PX 64.0    /* largest scale, pixels */
#define PDVA_ITK_MAX_ABS_VALUE 1.0e20 /* |pixel| above this is refused (float overflow ahead) */
#define PDVA_ITK_MAX_THREADS 64u      /* larger thread counts are clamped to this */

/* How the Gaussian second derivatives are computed. Both apply ITK's 4th-order recursive
 * (Deriche) Gaussian filters, with the image taken as constant beyond its borders, and agree to
 * float rounding (tests/itk checks it). */
typedef enum pdva_hessian_method {
    /* ITK's recursive-filter coefficients applied by pdva's cache-blocked separable passes,
     * fused with the vesselness measure: the default, several times faster. */
    PDVA_HESSIAN_FAST = 0,
    /* itk::HessianRecursiveGaussianImageFilter as it stands (its internal filters use ITK's
     * default number of work units, whatever `threads` says). For validation and benchmarks. */
    PDVA_HESSIAN_ITK_REFERENCE = 1,
    PDVA_HESSIAN_METHOD_FORCE_INT32 = 0x7fffffff
} pdva_hessian_method;

/* Parameters of pdva_itk_vesselness(). Fill with pdva_vesselness_params_init(), then change
 * what you need. */
typedef struct pdva_vesselness_params {
    size_t struct_size;      /* sizeof(pdva_vesselness_params) as the caller knew it */
    const double *sigmas_px; /* borrowed, n_sigmas scales in pixels, each in (0, 64]; any order */
    size_t n_sigmas;         /* 1 .. PDVA_ITK_MAX_SIGMAS */
    double alpha;            /* Frangi's plate-vs-line constant: unused in 2D, kept for parity
                              * with ITK/skimage; must be finite and > 0 (default 0.5) */
    double beta;             /* blob-vs-line constant, > 0 (default 0.5) */
    double gamma;            /* structureness constant c, in the image's units (the Hessian is
                              * scale-normalized); <= 0: automatic, half the largest Frobenius
                              * norm of the Hessian over the image and all scales (Frangi 1998),
                              * at least 1e-4 x the largest |pixel|; costs a second pass
                              * (default 0: automatic) */
    int bright_vessels;      /* 1: bright ridges on a darker background (DSA after log
                              * subtraction), 0: dark ridges (default 1) */
    unsigned threads;        /* work units (concurrent threads) per call; 0: ITK's default, the
                              * number of cores (default 0) */
    pdva_hessian_method hessian_method; /* default PDVA_HESSIAN_FAST */
} pdva_vesselness_params;

/** Fill *params with the defaults above; sigmas_px points at a static table of 8 scales,
 * 1.0 1.4 2.0 2.8 4.0 5.6 8.0 11.0 px, which covers cylinders of radius ~1.2 to ~13 px (best
 * scale ~0.84 x radius, see docs/methods-vesselness.md). NULL is a no-op. Thread-safe. */
void pdva_vesselness_params_init(pdva_vesselness_params *params);

/** Multi-scale Frangi vesselness of a 2D image.
 *
 * For each scale s the scale-normalized Hessian s^2 * H is computed; with its eigenvalues
 * |l1| <= |l2|, the response is 0 when l2 >= 0 for bright vessels (l2 <= 0 for dark ones), else
 *   exp(-(l1/l2)^2 / (2 beta^2)) * (1 - exp(-(l1^2 + l2^2) / (2 c^2))),
 * and every pixel keeps its largest response over the scales.
 *
 * @param image            borrowed, width * height finite values, |v| <= PDVA_ITK_MAX_ABS_VALUE.
 * @param width, height    1 .. PDVA_ITK_MAX_SIDE each. Sides shorter than 4 pixels are
 *                         extended by repeating their last column/row (the recursive filters
 *                         take the image as constant beyond its borders anyway).
 * @param params           borrowed; NULL means the defaults of pdva_vesselness_params_init().
 * @param vesselness_out   caller-owned, width * height floats in [0, 1]: the response. Required.
 * @param best_scale_px_out caller-owned, width * height floats, or NULL: the scale (an element of
 *                         sigmas_px) of the largest response; 0 where the response is 0 at
 *                         every scale.
 * @param direction_out    caller-owned, 2 * width * height floats, or NULL: interleaved (x, y)
 *                         unit vectors along the vessel (the Hessian eigenvector of l1) at the
 *                         best scale, sign chosen so that x > 0, or x == 0 and y > 0; (0, 0)
 *                         where the response is 0 at every scale or the Hessian is isotropic.
 * @param gamma_used_out   or NULL: the structureness constant c actually used (the automatic
 *                         one when params->gamma <= 0), to reuse it on other frames of a series
 *                         so that their responses compare.
 * @param err              optional; receives a caller-owned error on failure.
 * @return PDVA_OK; PDVA_ERR_INVALID_ARGUMENT (NULL required pointer, sizes, scales, parameters,
 *         non-finite pixels); PDVA_ERR_VERSION_MISMATCH (params->struct_size);
 *         PDVA_ERR_NO_MEMORY; PDVA_ERR_INTERNAL (an ITK exception; the message carries ITK's).
 *         On failure the output buffers hold unspecified values.
 * Output buffers must not overlap the image or each other.
 */
pdva_status pdva_itk_vesselness(const float *image, uint32_t width, uint32_t height,
                                const pdva_vesselness_params *params, float *vesselness_out,
                                float *best_scale_px_out, float *direction_out,
                                double *gamma_used_out, pdva_error **err);

/** The scale-normalized Hessian sigma^2 * (Ixx, Ixy, Iyy) of an image at one scale, by Gaussian
 * derivative filtering (ITK's recursive Gaussian; the image is constant beyond its borders).
 *
 * @param image          borrowed, width * height finite values (same bounds as above).
 * @param sigma_px       scale in pixels, (0, PDVA_ITK_MAX_SIGMA_PX].
 * @param method         PDVA_HESSIAN_FAST or PDVA_HESSIAN_ITK_REFERENCE.
 * @param threads        work units; 0: ITK's default.
 * @param hxx_out, hxy_out, hyy_out caller-owned, width * height floats each, all required:
 *                       second derivatives along x x, x y and y y.
 * @return PDVA_OK or an error as for pdva_itk_vesselness(). Outputs must not overlap the image.
 */
pdva_status pdva_itk_hessian(const float *image, uint32_t width, uint32_t height, double sigma_px,
                             pdva_hessian_method method, unsigned threads, float *hxx_out,
                             float *hxy_out, float *hyy_out, pdva_error **err);

#ifdef __cplusplus
}
#endif

#endif /* PDVA_ITK_H */
