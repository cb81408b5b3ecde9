/* itk_vesselness.cc — the extern "C" face of pdva_itk.h: checks, multi-scale Frangi measure.
 *
 * Every extern "C" function is one exception barrier (run_guarded) that maps std::bad_alloc,
 * itk::ExceptionObject and anything else to a pdva_status with a message; nothing C++ leaves.
 * The Frangi measure is evaluated in the callback of SeparableHessian, on each column block of
 * the Hessian while it is in cache, and the best response, its scale and the eigenvector are
 * written straight into the caller's buffers.
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include "itk/pdva_itk.h"

#include <algorithm>
#include <cinttypes>
#include <cmath>
#include <cstring>
#include <exception>
#include <new>

#include "itkMacro.h" /* itk::ExceptionObject, itk::MemoryAllocationError */
#include "itk/itk_hessian.hh"

extern "C" {
#include "base/alloc.h"
#include "base/error.h"
}

namespace
{

using pdva_itk::funnel_alloc;
using pdva_itk::FunnelBuffer;
using pdva_itk::HessianBlock;

/* Geometric steps of sqrt(2) from 1 to 11 px: vessels 2.5 to 26 px wide (best scale ~0.84 r). */
const double kDefaultSigmasPx[] = {1.0, 1.4, 2.0, 2.8, 4.0, 5.6, 8.0, 11.0};

/* Smallest automatic c, relative to the largest |pixel| (see vesselness()). */
constexpr double kFlatFloor = 1e-4;

/* The recursive filters need 4 samples per line; smaller images are extended to this. */
constexpr uint32_t kMinSide = 4;

template <typename Body> pdva_status run_guarded(pdva_error **err, const char *what, Body &&body)
{
    try {
        return body();
    } catch (const std::bad_alloc &) {
        return pdva_error_set(err, PDVA_ERR_NO_MEMORY, "%s: out of memory", what);
    } catch (const itk::MemoryAllocationError &e) {
        return pdva_error_set(err, PDVA_ERR_NO_MEMORY, "%s: out of memory in ITK: %s", what,
                              e.GetDescription());
    } catch (const itk::ExceptionObject &e) {
        return pdva_error_set(err, PDVA_ERR_INTERNAL, "%s: ITK exception: %s", what,
                              e.GetDescription());
    } catch (const std::exception &e) {
        return pdva_error_set(err, PDVA_ERR_INTERNAL, "%s: C++ exception: %s", what, e.what());
    } catch (...) {
        return pdva_error_set(err, PDVA_ERR_INTERNAL, "%s: unknown C++ exception", what);
    }
}

/* Also gives the largest |pixel| (may be NULL). */
pdva_status check_image(const float *image, uint32_t width, uint32_t height, const char *what,
                        double *max_abs, pdva_error **err)
{
    if (!image)
        return pdva_error_set(err, PDVA_ERR_INVALID_ARGUMENT, "%s: image is NULL", what);
    if (width == 0 || height == 0 || width > PDVA_ITK_MAX_SIDE || height > PDVA_ITK_MAX_SIDE)
        return pdva_error_set(err, PDVA_ERR_INVALID_ARGUMENT,
                              "%s: image size %" PRIu32 "x%" PRIu32 " is outside 1..%u", what,
                              width, height, PDVA_ITK_MAX_SIDE);
    int overflow = 0;
    /* 2 * pixels: the direction output is the largest buffer we index */
    pdva_mul_size(pdva_mul_size(width, height, &overflow), 2 * sizeof(float), &overflow);
    if (overflow)
        return pdva_error_set(err, PDVA_ERR_INVALID_ARGUMENT, "%s: image size overflows", what);
    const size_t n = static_cast<size_t>(width) * height;
    float largest = 0.0f;
    for (size_t i = 0; i < n; i++) {
        const float v = image[i];
        largest = std::max(largest, std::fabs(v));
        if (!std::isfinite(v) || std::fabs(v) > PDVA_ITK_MAX_ABS_VALUE)
            return pdva_error_set(err, PDVA_ERR_INVALID_ARGUMENT,
                                  "%s: pixel (%zu, %zu) is %g: values must be finite and within "
                                  "+-%g",
                                  what, i % width, i / width, static_cast<double>(v),
                                  PDVA_ITK_MAX_ABS_VALUE);
    }
    if (max_abs)
        *max_abs = largest;
    return PDVA_OK;
}

pdva_status check_sigma(double sigma_px, const char *what, pdva_error **err)
{
    if (!(sigma_px > 0.0) || !(sigma_px <= PDVA_ITK_MAX_SIGMA_PX))
        return pdva_error_set(err, PDVA_ERR_INVALID_ARGUMENT, "%s: scale %g px is outside (0, %g]",
                              what, sigma_px, PDVA_ITK_MAX_SIGMA_PX);
    return PDVA_OK;
}

/* An image of at least kMinSide x kMinSide: the caller's pixels, or a copy extended by
 * repeating the last column and row (what the recursive filters assume beyond a border). */
struct WorkImage {
    const float *pixels;
    uint32_t width, height;
    FunnelBuffer<float> storage;
};

WorkImage make_work_image(const float *image, uint32_t width, uint32_t height)
{
    WorkImage w{image, width, height, nullptr};
    if (width >= kMinSide && height >= kMinSide)
        return w;
    w.width = std::max(width, kMinSide);
    w.height = std::max(height, kMinSide);
    w.storage = funnel_alloc<float>(static_cast<size_t>(w.width) * w.height);
    for (uint32_t y = 0; y < w.height; y++)
        for (uint32_t x = 0; x < w.width; x++)
            w.storage[static_cast<size_t>(y) * w.width + x] =
                image[static_cast<size_t>(std::min(y, height - 1)) * width +
                      std::min(x, width - 1)];
    w.pixels = w.storage.get();
    return w;
}

/* Copy the top-left width x height corner of a plane of `components` floats per pixel. */
void crop_plane(const float *from, uint32_t from_width, float *to, uint32_t width, uint32_t height,
                unsigned components)
{
    for (uint32_t y = 0; y < height; y++)
        std::memcpy(to + static_cast<size_t>(y) * width * components,
                    from + static_cast<size_t>(y) * from_width * components,
                    sizeof(float) * width * components);
}

struct FrangiConstants {
    double inv_two_beta_sq;
    double inv_two_c_sq;
    bool bright;
};

/* Frangi's 2D response from the scale-normalized Hessian, when it exceeds `floor` (else 0 or
 * anything <= floor: the caller only keeps larger ones); *l1 receives the eigenvalue of smaller
 * magnitude (along the vessel) when the response is returned. Float exponentials: the response
 * is stored as a float. */
inline double frangi_response(double xx, double xy, double yy, const FrangiConstants &k,
                              double floor, double *l1)
{
    /* The eigenvalue of larger magnitude has the sign of the trace. */
    const double trace = xx + yy;
    if (k.bright ? !(trace < 0.0) : !(trace > 0.0))
        return 0.0;
    /* The structureness term bounds the response: skip the rest when it cannot win. */
    const double norm_sq = xx * xx + 2.0 * xy * xy + yy * yy; /* l1^2 + l2^2 */
    const double structure = -std::expm1(static_cast<float>(-norm_sq * k.inv_two_c_sq));
    if (!(structure > floor))
        return 0.0;
    const double diff = xx - yy;
    const double root = std::sqrt(diff * diff + 4.0 * xy * xy);
    const double signed_root = trace < 0.0 ? -root : root;
    const double large = 0.5 * (trace + signed_root);
    const double small = 0.5 * (trace - signed_root);
    const double ratio_sq = (small * small) / (large * large);
    *l1 = small;
    return std::exp(static_cast<float>(-ratio_sq * k.inv_two_beta_sq)) * structure;
}

/* Unit eigenvector of the Hessian for eigenvalue l1, with x > 0 or (x == 0 and y > 0); (0, 0)
 * when the Hessian is isotropic and no direction is preferred. */
inline void vessel_direction(double xx, double xy, double yy, double l1, float *out)
{
    /* Rows of (H - l1 I) v = 0 give two candidates; the longer one is the better conditioned. */
    double vx = xy, vy = l1 - xx;
    const double ux = l1 - yy, uy = xy;
    double len_sq = vx * vx + vy * vy;
    const double other_sq = ux * ux + uy * uy;
    if (other_sq > len_sq) {
        vx = ux;
        vy = uy;
        len_sq = other_sq;
    }
    if (!(len_sq > 0.0)) {
        out[0] = out[1] = 0.0f;
        return;
    }
    const double inv = 1.0 / std::sqrt(len_sq);
    if (vx < 0.0 || (vx == 0.0 && vy < 0.0))
        vx = -vx, vy = -vy;
    out[0] = static_cast<float>(vx * inv);
    out[1] = static_cast<float>(vy * inv);
}

/* Where the running maxima of one call live (full-size planes of the work image). */
struct Accumulator {
    uint32_t width;
    float *vesselness;
    float *best_scale;
    float *direction;
};

void update_maxima(const HessianBlock &b, float sigma, const FrangiConstants &k,
                   const Accumulator &acc)
{
    for (uint32_t r = 0; r < b.rows; r++) {
        const float *xx = b.xx + r * b.stride, *xy = b.xy + r * b.stride, *yy = b.yy + r * b.stride;
        const size_t row = static_cast<size_t>(r) * acc.width + b.x0;
        for (uint32_t c = 0; c < b.cols; c++) {
            const size_t p = row + c;
            const double best = acc.vesselness[p];
            double l1 = 0.0;
            const double v = frangi_response(xx[c], xy[c], yy[c], k, best, &l1);
            if (!(v > best))
                continue;
            acc.vesselness[p] = static_cast<float>(v);
            if (acc.best_scale)
                acc.best_scale[p] = sigma;
            if (acc.direction)
                vessel_direction(xx[c], xy[c], yy[c], l1, acc.direction + 2 * p);
        }
    }
}

double block_max_norm_sq(const HessianBlock &b)
{
    double best = 0.0;
    for (uint32_t r = 0; r < b.rows; r++) {
        const float *xx = b.xx + r * b.stride, *xy = b.xy + r * b.stride, *yy = b.yy + r * b.stride;
        for (uint32_t c = 0; c < b.cols; c++) {
            const double a = xx[c], h = xy[c], d = yy[c];
            best = std::max(best, a * a + 2.0 * h * h + d * d);
        }
    }
    return best;
}

/* Call fn(unit, block) for the whole Hessian at every scale, by the requested method. */
class ScaleRunner
{
  public:
    ScaleRunner(const WorkImage &img, pdva_hessian_method method, unsigned units)
        : img_(img), method_(method), units_(units)
    {
        if (method_ == PDVA_HESSIAN_FAST) {
            fast_.reset(new pdva_itk::SeparableHessian(img.pixels, img.width, img.height, units));
        } else {
            const size_t n = static_cast<size_t>(img.width) * img.height;
            planes_ = funnel_alloc<float>(3 * n);
        }
    }
    void run(double sigma, const pdva_itk::HessianBlockFn &fn)
    {
        if (fast_) {
            fast_->run(sigma, fn);
            return;
        }
        const size_t n = static_cast<size_t>(img_.width) * img_.height;
        float *xx = planes_.get(), *xy = xx + n, *yy = xy + n;
        pdva_itk::reference_hessian(img_.pixels, img_.width, img_.height, sigma, units_, xx, xy,
                                    yy);
        fn(0, HessianBlock{0, img_.width, img_.height, img_.width, xx, xy, yy});
    }

  private:
    const WorkImage &img_;
    pdva_hessian_method method_;
    unsigned units_;
    std::unique_ptr<pdva_itk::SeparableHessian> fast_;
    FunnelBuffer<float> planes_;
};

pdva_status resolve_params(const pdva_vesselness_params *given, pdva_vesselness_params *out,
                           pdva_error **err)
{
    const char *what = "pdva_itk_vesselness";
    pdva_vesselness_params_init(out);
    if (given) {
        /* Version 1 is the smallest struct that exists; read the fields we know of a larger one. */
        if (given->struct_size == 0)
            return pdva_error_set(err, PDVA_ERR_INVALID_ARGUMENT,
                                  "%s: params->struct_size is 0: call "
                                  "pdva_vesselness_params_init() first",
                                  what);
        if (given->struct_size < sizeof(pdva_vesselness_params))
            return pdva_error_set(err, PDVA_ERR_VERSION_MISMATCH,
                                  "%s: params->struct_size %zu is smaller than any known version",
                                  what, given->struct_size);
        *out = *given;
        out->struct_size = sizeof(pdva_vesselness_params);
    }
    if (!out->sigmas_px || out->n_sigmas == 0 || out->n_sigmas > PDVA_ITK_MAX_SIGMAS)
        return pdva_error_set(err, PDVA_ERR_INVALID_ARGUMENT,
                              "%s: %zu scales given (sigmas_px %s): 1..%u are needed", what,
                              out->n_sigmas, out->sigmas_px ? "set" : "NULL", PDVA_ITK_MAX_SIGMAS);
    for (size_t i = 0; i < out->n_sigmas; i++)
        if (check_sigma(out->sigmas_px[i], what, err) != PDVA_OK)
            return PDVA_ERR_INVALID_ARGUMENT;
    if (!std::isfinite(out->alpha) || !(out->alpha > 0.0) || !std::isfinite(out->beta) ||
        !(out->beta > 0.0) || !std::isfinite(out->gamma))
        return pdva_error_set(err, PDVA_ERR_INVALID_ARGUMENT,
                              "%s: alpha %g and beta %g must be finite and > 0, gamma %g finite",
                              what, out->alpha, out->beta, out->gamma);
    if (out->bright_vessels != 0 && out->bright_vessels != 1)
        return pdva_error_set(err, PDVA_ERR_INVALID_ARGUMENT, "%s: bright_vessels is %d: 0 or 1",
                              what, out->bright_vessels);
    if (out->hessian_method != PDVA_HESSIAN_FAST &&
        out->hessian_method != PDVA_HESSIAN_ITK_REFERENCE)
        return pdva_error_set(err, PDVA_ERR_INVALID_ARGUMENT, "%s: unknown hessian_method %d", what,
                              static_cast<int>(out->hessian_method));
    return PDVA_OK;
}

pdva_status vesselness(const float *image, uint32_t width, uint32_t height,
                       const pdva_vesselness_params *given, float *vesselness_out,
                       float *best_scale_out, float *direction_out, double *gamma_used_out,
                       pdva_error **err)
{
    const char *what = "pdva_itk_vesselness";
    pdva_vesselness_params p;
    pdva_status st = resolve_params(given, &p, err);
    if (st != PDVA_OK)
        return st;
    double max_abs = 0.0;
    if ((st = check_image(image, width, height, what, &max_abs, err)) != PDVA_OK)
        return st;
    if (!vesselness_out)
        return pdva_error_set(err, PDVA_ERR_INVALID_ARGUMENT, "%s: vesselness_out is NULL", what);

    const WorkImage img = make_work_image(image, width, height);
    const bool padded = img.pixels != image;
    const size_t n = static_cast<size_t>(img.width) * img.height;
    /* Small images are computed in padded planes, then cropped into the caller's buffers. */
    FunnelBuffer<float> padded_planes;
    Accumulator acc{img.width, vesselness_out, best_scale_out, direction_out};
    if (padded) {
        padded_planes = funnel_alloc<float>(4 * n);
        acc.vesselness = padded_planes.get();
        acc.best_scale = best_scale_out ? acc.vesselness + n : nullptr;
        acc.direction = direction_out ? acc.vesselness + 2 * n : nullptr;
    }
    std::fill(acc.vesselness, acc.vesselness + n, 0.0f);
    if (acc.best_scale)
        std::fill(acc.best_scale, acc.best_scale + n, 0.0f);
    if (acc.direction)
        std::fill(acc.direction, acc.direction + 2 * n, 0.0f);

    const unsigned units = pdva_itk::resolve_work_units(p.threads, PDVA_ITK_MAX_THREADS);
    ScaleRunner runner(img, p.hessian_method, units);

    double c = p.gamma;
    if (!(c > 0.0)) {
        /* Frangi's c: half the largest Frobenius norm of the Hessian, over all scales. */
        double unit_max[PDVA_ITK_MAX_THREADS] = {0.0};
        for (size_t s = 0; s < p.n_sigmas; s++)
            runner.run(p.sigmas_px[s], [&unit_max](unsigned u, const HessianBlock &b) {
                unit_max[u] = std::max(unit_max[u], block_max_norm_sq(b));
            });
        const double max_norm = std::sqrt(*std::max_element(unit_max, unit_max + units));
        /* The Hessian of a flat image is float rounding, ~1e-7 of its values: a floor on c keeps
         * such noise from being scaled up to full responses. 1 when the image is all zeros. */
        c = std::max(0.5 * max_norm, kFlatFloor * max_abs);
        if (!(c > 0.0))
            c = 1.0;
    }
    const FrangiConstants k{1.0 / (2.0 * p.beta * p.beta), 1.0 / (2.0 * c * c),
                            p.bright_vessels == 1};
    for (size_t s = 0; s < p.n_sigmas; s++) {
        const float sigma = static_cast<float>(p.sigmas_px[s]);
        runner.run(p.sigmas_px[s],
                   [&](unsigned, const HessianBlock &b) { update_maxima(b, sigma, k, acc); });
    }

    if (padded) {
        crop_plane(acc.vesselness, img.width, vesselness_out, width, height, 1);
        if (best_scale_out)
            crop_plane(acc.best_scale, img.width, best_scale_out, width, height, 1);
        if (direction_out)
            crop_plane(acc.direction, img.width, direction_out, width, height, 2);
    }
    if (gamma_used_out)
        *gamma_used_out = c;
    return PDVA_OK;
}

pdva_status hessian(const float *image, uint32_t width, uint32_t height, double sigma_px,
                    pdva_hessian_method method, unsigned threads, float *hxx_out, float *hxy_out,
                    float *hyy_out, pdva_error **err)
{
    const char *what = "pdva_itk_hessian";
    pdva_status st = check_image(image, width, height, what, nullptr, err);
    if (st != PDVA_OK)
        return st;
    if ((st = check_sigma(sigma_px, what, err)) != PDVA_OK)
        return st;
    if (method != PDVA_HESSIAN_FAST && method != PDVA_HESSIAN_ITK_REFERENCE)
        return pdva_error_set(err, PDVA_ERR_INVALID_ARGUMENT, "%s: unknown method %d", what,
                              static_cast<int>(method));
    if (!hxx_out || !hxy_out || !hyy_out)
        return pdva_error_set(err, PDVA_ERR_INVALID_ARGUMENT, "%s: an output plane is NULL", what);

    const WorkImage img = make_work_image(image, width, height);
    const unsigned units = pdva_itk::resolve_work_units(threads, PDVA_ITK_MAX_THREADS);
    ScaleRunner runner(img, method, units);
    float *const out[3] = {hxx_out, hxy_out, hyy_out};
    runner.run(sigma_px, [&](unsigned, const HessianBlock &b) {
        for (uint32_t y = 0; y < std::min(b.rows, height); y++) {
            if (b.x0 >= width)
                break;
            const uint32_t cols = std::min(b.cols, width - b.x0);
            const float *from[3] = {b.xx, b.xy, b.yy};
            for (unsigned i = 0; i < 3; i++)
                std::memcpy(out[i] + static_cast<size_t>(y) * width + b.x0,
                            from[i] + static_cast<size_t>(y) * b.stride, sizeof(float) * cols);
        }
    });
    return PDVA_OK;
}

} // namespace

extern "C" void pdva_vesselness_params_init(pdva_vesselness_params *params)
{
    if (!params)
        return;
    std::memset(params, 0, sizeof *params);
    params->struct_size = sizeof *params;
    params->sigmas_px = kDefaultSigmasPx;
    params->n_sigmas = sizeof kDefaultSigmasPx / sizeof kDefaultSigmasPx[0];
    params->alpha = 0.5;
    params->beta = 0.5;
    params->gamma = 0.0;
    params->bright_vessels = 1;
    params->threads = 0;
    params->hessian_method = PDVA_HESSIAN_FAST;
}

extern "C" pdva_status pdva_itk_vesselness(const float *image, uint32_t width, uint32_t height,
                                           const pdva_vesselness_params *params,
                                           float *vesselness_out, float *best_scale_px_out,
                                           float *direction_out, double *gamma_used_out,
                                           pdva_error **err)
{
    return run_guarded(err, "pdva_itk_vesselness", [&] {
        return vesselness(image, width, height, params, vesselness_out, best_scale_px_out,
                          direction_out, gamma_used_out, err);
    });
}

extern "C" pdva_status pdva_itk_hessian(const float *image, uint32_t width, uint32_t height,
                                        double sigma_px, pdva_hessian_method method,
                                        unsigned threads, float *hxx_out, float *hxy_out,
                                        float *hyy_out, pdva_error **err)
{
    return run_guarded(err, "pdva_itk_hessian", [&] {
        return hessian(image, width, height, sigma_px, method, threads, hxx_out, hxy_out, hyy_out,
                       err);
    });
}
