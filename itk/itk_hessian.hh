/* itk_hessian.hh — scale-normalized Gaussian Hessians of 2D float images (private to itk/).
 *
 * Two ways to the same numbers: SeparableHessian applies the coefficients that ITK's
 * RecursiveGaussianImageFilter computes (Deriche's 4th-order recursive Gaussian, constant image
 * beyond the borders) in cache-blocked passes and hands the Hessian to a callback one column
 * block at a time, so that a measure can be fused without storing full Hessian planes;
 * reference_hessian() runs itk::HessianRecursiveGaussianImageFilter itself. C++ only: these
 * functions throw (std::bad_alloc, itk::ExceptionObject); the extern "C" barrier catches.
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#ifndef PDVA_ITK_HESSIAN_HH
#define PDVA_ITK_HESSIAN_HH

#include <cstddef>
#include <cstdint>
#include <functional>
#include <memory>

namespace pdva_itk
{

/* Columns [x0, x0 + cols) of every row of the Hessian at one scale. Element (row r, column
 * x0 + c) of each plane is at [r * stride + c]. Valid during the callback only. */
struct HessianBlock {
    uint32_t x0;
    uint32_t cols;
    uint32_t rows;
    size_t stride;
    const float *xx;
    const float *xy;
    const float *yy;
};

/* Called once per block, possibly from several threads at once, each block exactly once per
 * run; `unit` (< the work units given) identifies the calling work unit, for per-unit reductions.
 * Must not throw. */
using HessianBlockFn = std::function<void(unsigned unit, const HessianBlock &block)>;

/* Number of work units for a request of `threads` (0: ITK's default), clamped to 1..max_threads. */
unsigned resolve_work_units(unsigned threads, unsigned max_threads);

/* Run fn(unit, item) for every item in 0 .. n-1, each exactly once, on up to `units` threads of
 * ITK's pool (the caller's thread takes part); `unit` < units names the thread's scratch. Items
 * are handed out dynamically: which unit runs an item varies, so fn's result must not depend on
 * it. fn must not throw. */
void parallel_for(unsigned units, unsigned n, const std::function<void(unsigned, unsigned)> &fn);

/* Deleter for buffers from the pdva allocation funnel. */
struct FunnelFree {
    void operator()(void *p) const noexcept;
};
template <typename T> using FunnelBuffer = std::unique_ptr<T[], FunnelFree>;

/* n uninitialized elements of T from pdva_alloc_array(); throws std::bad_alloc on failure or
 * overflow. */
template <typename T> FunnelBuffer<T> funnel_alloc(size_t n);

/* Hessians of one image at several scales, fast path. Holds the scratch memory (from the pdva
 * allocation funnel) so that successive scales reuse it. The image is borrowed and must outlive
 * the object; width and height must be >= 4. */
class SeparableHessian
{
  public:
    SeparableHessian(const float *image, uint32_t width, uint32_t height, unsigned units);
    ~SeparableHessian();
    SeparableHessian(const SeparableHessian &) = delete;
    SeparableHessian &operator=(const SeparableHessian &) = delete;

    /* Compute sigma^2 * (Ixx, Ixy, Iyy) at sigma_px and pass it to fn block by block. */
    void run(double sigma_px, const HessianBlockFn &fn);

    static constexpr uint32_t kBlockColumns = 16;

  private:
    struct Impl;
    std::unique_ptr<Impl> impl_;
};

/* sigma^2 * (Ixx, Ixy, Iyy) by itk::HessianRecursiveGaussianImageFilter with
 * NormalizeAcrossScale, written into three caller planes of width * height floats. The image is
 * borrowed (never written); width and height must be >= 4. */
void reference_hessian(const float *image, uint32_t width, uint32_t height, double sigma_px,
                       unsigned units, float *xx, float *xy, float *yy);

} // namespace pdva_itk

#endif /* PDVA_ITK_HESSIAN_HH */
