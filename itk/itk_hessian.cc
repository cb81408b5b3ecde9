/* itk_hessian.cc — scale-normalized Gaussian Hessians: ITK's recursive Gaussian in fast passes.
 *
 * ITK's HessianRecursiveGaussianImageFilter filters each of the three components in two passes
 * through generic line iterators and double line buffers, then copies them into a tensor image:
 * with MultiScaleHessianBasedMeasureImageFilter, as slow as scikit-image's frangi or slower
 * (docs/methods-vesselness.md). The recursion itself is cheap (16 multiply-adds per pixel and
 * pass, whatever sigma), so
 * SeparableHessian keeps ITK's coefficients (computed by RecursiveGaussianImageFilter::SetUp, so
 * they are ITK's to the bit) and only changes the memory traffic: 16 lines are filtered at once
 * as contiguous lanes the compiler vectorizes (16 adjacent columns; for rows, 16 rows transposed
 * into a small buffer), and the three Hessian components of one column block are handed to the
 * caller while they are still in cache.
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include "itk/itk_hessian.hh"

#include <algorithm>
#include <atomic>
#include <new>
#include <stdexcept>

#include "itkHessianRecursiveGaussianImageFilter.h"
#include "itkImage.h"
#include "itkMultiThreaderBase.h"
#include "itkRecursiveGaussianImageFilter.h"
#include "itkSymmetricSecondRankTensor.h"

extern "C" {
#include "base/alloc.h"
}

namespace pdva_itk
{

namespace
{

using FloatImage = itk::Image<float, 2>;

/* The recursion of RecursiveSeparableImageFilter::FilterDataArray: causal numerator n (N0..N3),
 * anti-causal numerator m (M1..M4), shared denominator d (D1..D4), and the border terms bn, bm
 * that stand for an input constant beyond each end. */
struct Coefficients {
    double n[4];
    double m[4];
    double d[4];
    double bn[4];
    double bm[4];
};

/* A RecursiveGaussianImageFilter that is never run: SetUp() is where ITK derives Deriche's
 * coefficients for a sigma and an order, and they are protected members. */
class CoefficientProbe : public itk::RecursiveGaussianImageFilter<FloatImage, FloatImage>
{
  public:
    ITK_DISALLOW_COPY_AND_MOVE(CoefficientProbe);
    using Self = CoefficientProbe;
    using Superclass = itk::RecursiveGaussianImageFilter<FloatImage, FloatImage>;
    using Pointer = itk::SmartPointer<Self>;
    using ConstPointer = itk::SmartPointer<const Self>;
    itkNewMacro(Self);

    Coefficients compute(double sigma_px, itk::GaussianOrderEnum order)
    {
        this->SetSigma(sigma_px);
        this->SetOrder(order);
        this->SetNormalizeAcrossScale(true);
        this->SetUp(1.0); /* unit spacing: sigma in pixels */
        return Coefficients{{this->m_N0, this->m_N1, this->m_N2, this->m_N3},
                            {this->m_M1, this->m_M2, this->m_M3, this->m_M4},
                            {this->m_D1, this->m_D2, this->m_D3, this->m_D4},
                            {this->m_BN1, this->m_BN2, this->m_BN3, this->m_BN4},
                            {this->m_BM1, this->m_BM2, this->m_BM3, this->m_BM4}};
    }

  protected:
    CoefficientProbe() = default;
    ~CoefficientProbe() override = default;
};

constexpr unsigned kLanes = SeparableHessian::kBlockColumns;

/* Lane j of a column block: sample i at base[i * step + j]; lanes are adjacent floats. */
struct ColumnLanes {
    const float *base;
    size_t step;
    float at(size_t i, unsigned j) const
    {
        return base[i * step + j];
    }
};
struct ColumnLanesOut {
    float *base;
    size_t step;
    float &at(size_t i, unsigned j) const
    {
        return base[i * step + j];
    }
};

/* Filter kLanes independent lines of length ln >= 4 exactly as FilterDataArray does (same
 * boundary terms, double accumulation), writing causal + anti-causal to out. causal and anti are
 * ln * kLanes doubles of scratch, laid out sample-major so the lane loop is contiguous. */
template <typename In, typename Out>
void filter_lanes(const In &in, const Out &out, size_t ln, const Coefficients &k, double *causal,
                  double *anti)
{
    const double n0 = k.n[0], n1 = k.n[1], n2 = k.n[2], n3 = k.n[3];
    const double m1 = k.m[0], m2 = k.m[1], m3 = k.m[2], m4 = k.m[3];
    const double d1 = k.d[0], d2 = k.d[1], d3 = k.d[2], d4 = k.d[3];

    /* Causal pass. The first four samples see the constant first value beyond the border. */
    for (size_t i = 0; i < 4; i++) {
        double *y = causal + i * kLanes;
        for (unsigned j = 0; j < kLanes; j++) {
            const double edge = in.at(0, j);
            double a = 0.0;
            for (size_t t = 0; t < 4; t++)
                a += k.n[t] * (i >= t ? static_cast<double>(in.at(i - t, j)) : edge);
            double b = 0.0;
            for (size_t t = 1; t <= 4; t++)
                b += i >= t ? k.d[t - 1] * causal[(i - t) * kLanes + j] : k.bn[t - 1] * edge;
            y[j] = a - b;
        }
    }
    for (size_t i = 4; i < ln; i++) {
        double *y = causal + i * kLanes;
        const double *y1 = y - kLanes, *y2 = y1 - kLanes, *y3 = y2 - kLanes, *y4 = y3 - kLanes;
        for (unsigned j = 0; j < kLanes; j++) {
            const double a = in.at(i, j) * n0 + in.at(i - 1, j) * n1 + in.at(i - 2, j) * n2 +
                             in.at(i - 3, j) * n3;
            y[j] = a - (y1[j] * d1 + y2[j] * d2 + y3[j] * d3 + y4[j] * d4);
        }
    }

    /* Anti-causal pass, summed into the output as it goes. */
    const size_t last = ln - 1;
    for (size_t r = 0; r < 4; r++) {
        const size_t i = last - r;
        double *y = anti + i * kLanes;
        for (unsigned j = 0; j < kLanes; j++) {
            const double edge = in.at(last, j);
            double a = 0.0;
            for (size_t t = 1; t <= 4; t++)
                a += k.m[t - 1] * (i + t <= last ? static_cast<double>(in.at(i + t, j)) : edge);
            double b = 0.0;
            for (size_t t = 1; t <= 4; t++)
                b += i + t <= last ? k.d[t - 1] * anti[(i + t) * kLanes + j] : k.bm[t - 1] * edge;
            y[j] = a - b;
            out.at(i, j) = static_cast<float>(causal[i * kLanes + j] + y[j]);
        }
    }
    for (size_t i = ln - 4; i-- > 0;) {
        double *y = anti + i * kLanes;
        const double *y1 = y + kLanes, *y2 = y1 + kLanes, *y3 = y2 + kLanes, *y4 = y3 + kLanes;
        const double *c = causal + i * kLanes;
        for (unsigned j = 0; j < kLanes; j++) {
            const double a = in.at(i + 1, j) * m1 + in.at(i + 2, j) * m2 + in.at(i + 3, j) * m3 +
                             in.at(i + 4, j) * m4;
            y[j] = a - (y1[j] * d1 + y2[j] * d2 + y3[j] * d3 + y4[j] * d4);
        }
        /* A loop of its own: a float store next to float loads would need alias checks, and
         * the compiler would not vectorize the recursion above. */
        for (unsigned j = 0; j < kLanes; j++)
            out.at(i, j) = static_cast<float>(c[j] + y[j]);
    }
}

size_t round_up(size_t v, size_t to)
{
    return (v + to - 1) / to * to;
}

} // namespace

void FunnelFree::operator()(void *p) const noexcept
{
    pdva_free(p);
}

template <typename T> FunnelBuffer<T> funnel_alloc(size_t n)
{
    T *p = static_cast<T *>(pdva_alloc_array(n, sizeof(T)));
    if (!p)
        throw std::bad_alloc();
    return FunnelBuffer<T>(p);
}
template FunnelBuffer<float> funnel_alloc<float>(size_t);
template FunnelBuffer<double> funnel_alloc<double>(size_t);

unsigned resolve_work_units(unsigned threads, unsigned max_threads)
{
    unsigned units = threads;
    if (units == 0)
        units = itk::MultiThreaderBase::GetGlobalDefaultNumberOfThreads();
    units = std::min({units, max_threads, static_cast<unsigned>(ITK_MAX_THREADS)});
    return std::max(units, 1u);
}

void parallel_for(unsigned units, unsigned n, const std::function<void(unsigned, unsigned)> &fn)
{
    units = std::min(units, n);
    if (units <= 1) {
        for (unsigned i = 0; i < n; i++)
            fn(0, i);
        return;
    }
    /* `units` tasks take items from one counter: when a pool thread starts late (a busy machine,
     * other analyses on the pool), the caller's task simply takes more items instead of waiting
     * for a fixed share. A multithreader of our own: its work-unit count is ours to set, the
     * pool stays shared. */
    std::atomic<unsigned> next{0};
    itk::MultiThreaderBase::Pointer threader = itk::MultiThreaderBase::New();
    threader->SetNumberOfWorkUnits(units);
    threader->ParallelizeArray(
        0, units,
        [&](itk::SizeValueType unit) {
            for (unsigned i = next++; i < n; i = next++)
                fn(static_cast<unsigned>(unit), i);
        },
        nullptr);
}

struct SeparableHessian::Impl {
    const float *image;
    uint32_t width, height;
    size_t padded_width; /* row stride of the x-filtered planes: whole 16-column blocks */
    unsigned units;
    CoefficientProbe::Pointer probe;
    /* All scratch in one allocation: repeated calls then reuse the same heap block instead of
     * faulting in fresh pages for each of several large ones (glibc trims a freed top chunk
     * larger than twice the largest recent allocation). Doubles first, for alignment. */
    FunnelBuffer<double> memory;
    /* Per work unit: two recursion buffers, */
    double *causal, *anti;
    /* the input filtered along x with derivative order 0, 1, 2 (then along y with 2, 1, 0), */
    float *along_x[3];
    /* and per work unit: three block planes, a row group transposed in, one filtered row group
     * to transpose out. */
    float *block, *group_in, *group_out;
    size_t scratch_doubles, block_floats, group_floats;
};

SeparableHessian::SeparableHessian(const float *image, uint32_t width, uint32_t height,
                                   unsigned units)
    : impl_(new Impl())
{
    if (width < 4 || height < 4) /* the recursion reads 4 samples from each end */
        throw std::invalid_argument("SeparableHessian: image smaller than 4 x 4");
    Impl &s = *impl_;
    s.image = image;
    s.width = width;
    s.height = height;
    s.padded_width = round_up(width, kLanes);
    s.units = std::max(units, 1u);
    s.probe = CoefficientProbe::New();
    /* Sizes are bounded by the callers' checks (16384^2 pixels, 64 units): no overflow. */
    const size_t plane = s.padded_width * height;
    s.scratch_doubles = std::max<size_t>(s.padded_width, height) * kLanes;
    s.block_floats = static_cast<size_t>(height) * kLanes;
    s.group_floats = s.padded_width * kLanes;
    const size_t doubles = 2 * s.scratch_doubles * s.units;
    const size_t floats = 3 * plane + (3 * s.block_floats + 2 * s.group_floats) * s.units;
    s.memory = funnel_alloc<double>(doubles + (floats + 1) / 2);
    s.causal = s.memory.get();
    s.anti = s.causal + s.scratch_doubles * s.units;
    float *f = reinterpret_cast<float *>(s.memory.get() + doubles);
    for (auto &p : s.along_x) {
        p = f;
        f += plane;
    }
    s.block = f;
    s.group_in = s.block + 3 * s.block_floats * s.units;
    s.group_out = s.group_in + s.group_floats * s.units;
    /* The padding columns are read by the last column block and never written: zero them (only
     * them: clearing whole planes would cost as much as a filter pass). */
    for (float *p : s.along_x)
        for (size_t y = 0; y < height; y++)
            std::fill(p + y * s.padded_width + width, p + (y + 1) * s.padded_width, 0.0f);
}

SeparableHessian::~SeparableHessian() = default;

void SeparableHessian::run(double sigma_px, const HessianBlockFn &fn)
{
    Impl &s = *impl_;
    const Coefficients k[3] = {s.probe->compute(sigma_px, itk::GaussianOrderEnum::ZeroOrder),
                               s.probe->compute(sigma_px, itk::GaussianOrderEnum::FirstOrder),
                               s.probe->compute(sigma_px, itk::GaussianOrderEnum::SecondOrder)};

    /* Along x: groups of 16 rows, transposed so that the 16 rows are adjacent lanes; lanes past
     * the last row repeat it and are not written back. */
    const unsigned groups = static_cast<unsigned>((s.height + kLanes - 1) / kLanes);
    parallel_for(s.units, groups, [&](unsigned u, unsigned g) {
        double *causal = s.causal + u * s.scratch_doubles;
        double *anti = s.anti + u * s.scratch_doubles;
        float *in = s.group_in + u * s.group_floats;
        float *out = s.group_out + u * s.group_floats;
        const size_t row0 = size_t{g} * kLanes;
        const unsigned rows = static_cast<unsigned>(std::min<size_t>(kLanes, s.height - row0));
        for (unsigned j = 0; j < kLanes; j++) {
            const float *src = s.image + (row0 + std::min(j, rows - 1)) * s.width;
            for (size_t i = 0; i < s.width; i++)
                in[i * kLanes + j] = src[i];
        }
        for (unsigned order = 0; order < 3; order++) {
            filter_lanes(ColumnLanes{in, kLanes}, ColumnLanesOut{out, kLanes}, s.width, k[order],
                         causal, anti);
            for (unsigned j = 0; j < rows; j++) {
                float *dst = s.along_x[order] + (row0 + j) * s.padded_width;
                for (size_t i = 0; i < s.width; i++)
                    dst[i] = out[i * kLanes + j];
            }
        }
    });

    /* Along y: blocks of 16 columns, then the caller's measure on the block. */
    const unsigned blocks = static_cast<unsigned>(s.padded_width / kLanes);
    parallel_for(s.units, blocks, [&](unsigned u, unsigned b) {
        double *causal = s.causal + u * s.scratch_doubles;
        double *anti = s.anti + u * s.scratch_doubles;
        float *yy = s.block + 3 * u * s.block_floats;
        float *xy = yy + s.block_floats;
        float *xx = xy + s.block_floats;
        const size_t x0 = size_t{b} * kLanes;
        float *const dst[3] = {yy, xy, xx};
        for (unsigned order = 0; order < 3; order++)
            filter_lanes(ColumnLanes{s.along_x[order] + x0, s.padded_width},
                         ColumnLanesOut{dst[order], kLanes}, s.height, k[2 - order], causal, anti);
        HessianBlock blk;
        blk.x0 = static_cast<uint32_t>(x0);
        blk.cols = static_cast<uint32_t>(std::min<size_t>(kLanes, s.width - x0));
        blk.rows = s.height;
        blk.stride = kLanes;
        blk.xx = xx;
        blk.xy = xy;
        blk.yy = yy;
        fn(u, blk);
    });
}

void reference_hessian(const float *image, uint32_t width, uint32_t height, double sigma_px,
                       unsigned units, float *xx, float *xy, float *yy)
{
    using Tensor = itk::SymmetricSecondRankTensor<float, 2>;
    using TensorImage = itk::Image<Tensor, 2>;
    using Filter = itk::HessianRecursiveGaussianImageFilter<FloatImage, TensorImage>;

    /* Borrow the caller's pixels: ITK wants a non-const buffer but never writes an input. */
    FloatImage::Pointer input = FloatImage::New();
    FloatImage::RegionType region;
    region.SetSize(0, width);
    region.SetSize(1, height);
    input->SetRegions(region);
    const size_t n = static_cast<size_t>(width) * height;
    input->GetPixelContainer()->SetImportPointer(const_cast<float *>(image), n, false);

    Filter::Pointer filter = Filter::New();
    filter->SetInput(input);
    filter->SetSigma(sigma_px);
    filter->SetNormalizeAcrossScale(true);
    filter->SetNumberOfWorkUnits(units);
    filter->Update();

    const Tensor *h = filter->GetOutput()->GetBufferPointer();
    for (size_t i = 0; i < n; i++) {
        xx[i] = h[i](0, 0);
        xy[i] = h[i](0, 1);
        yy[i] = h[i](1, 1);
    }
}

} // namespace pdva_itk
