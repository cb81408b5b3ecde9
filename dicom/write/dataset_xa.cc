// dataset_xa.cc — the modules of the X-Ray Angiographic and X-Ray Radiofluoroscopic image IODs
// (PS3.3 A.14, A.15): General Image, Cine, Multi-frame, Mask, X-Ray Image, X-Ray Acquisition,
// XA / XRF Positioner, Contrast/Bolus, Modality LUT (LOG data) and VOI LUT.
// SPDX-License-Identifier: GPL-3.0-or-later
#include "dicom/write/dataset.hh"

#include <cmath>
#include <cstdio>
#include <vector>

namespace pdva_write
{

static void put_general_image(Attrs &ds, const Context &ctx)
{
    const bool multi = !ctx.plan->frame_per_file;
    ds.num(DCM_InstanceNumber, ctx.inst->instance_number)
        .empty(DCM_PatientOrientation)
        .str(DCM_ContentDate, ctx.content_da)
        .str(DCM_ContentTime, ctx.content_tm)
        .num(DCM_AcquisitionNumber, 1)
        // a single-frame file carries its own frame's time, to the microsecond, so that the
        // order and timing of the run can be recovered from the instances
        .str(DCM_AcquisitionDate, multi ? ctx.start_da : ctx.content_da)
        .str(DCM_AcquisitionTime, multi ? ctx.start_tm : ctx.content_tm)
        .str(DCM_AcquisitionDateTime, multi ? ctx.start_dt : ctx.content_dt)
        .str(DCM_ImageType, "ORIGINAL\\PRIMARY\\SINGLE PLANE")
        .str(DCM_BurnedInAnnotation, "NO")
        .str(DCM_LossyImageCompression, "00");
}

// Cine and Multi-frame: Frame Time for a constant rate, else Frame Time Vector (first value 0,
// then the interval before each frame, in ms); Frame Increment Pointer names the one written.
static void put_cine(Attrs &ds, const Context &ctx)
{
    const pdva_xa_series_desc *d = ctx.desc;
    const uint32_t n = d->frames;
    ds.num(DCM_NumberOfFrames, n);
    if (d->variable_frame_times && n > 1) {
        std::vector<double> increments_ms(n);
        increments_ms[0] = 0.0;
        for (uint32_t i = 1; i < n; i++)
            increments_ms[i] = (d->frame_times_s[i] - d->frame_times_s[i - 1]) * 1000.0;
        ds.tag_value(DCM_FrameIncrementPointer, DCM_FrameTimeVector)
            .nums(DCM_FrameTimeVector, increments_ms.data(), n);
    } else {
        ds.tag_value(DCM_FrameIncrementPointer, DCM_FrameTime)
            .num(DCM_FrameTime, ctx.plan->frame_interval_ms);
    }
    if (ctx.plan->frame_interval_ms > 0) {
        // frames per second, halves rounded up (7.5 fps -> 8) despite binary fractions
        const double rate = std::floor(1000.0 / ctx.plan->frame_interval_ms + 0.5 + 1e-9);
        ds.num(DCM_CineRate, rate < 1 ? 1 : rate)
            .num(DCM_RecommendedDisplayFrameRate, rate < 1 ? 1 : rate);
    }
    ds.num(DCM_StartTrim, 1).num(DCM_StopTrim, n);
}

// Mask: one AVG_SUB item averaging the mask frames (1-based in DICOM), applied to the run.
void put_mask_module(Attrs &ds, const Context &ctx)
{
    const pdva_xa_series_desc *d = ctx.desc;
    std::vector<double> numbers(d->n_mask_frames);
    for (uint32_t i = 0; i < d->n_mask_frames; i++)
        numbers[i] = d->mask_frames[i] + 1.0;
    const double range[2] = {1.0, static_cast<double>(d->frames)};
    Attrs mask = ds.item(DCM_MaskSubtractionSequence);
    mask.str(DCM_MaskOperation, "AVG_SUB")
        .nums(DCM_MaskFrameNumbers, numbers.data(), numbers.size());
    mask.nums(DCM_ApplicableFrameRange, range, 2);
    if (ctx.plan->enhanced)
        mask.num(DCM_SubtractionItemID, 1);
    ds.str(DCM_RecommendedViewingMode, "SUB");
}

static void put_xray_image(Attrs &ds, const Context &ctx)
{
    ds.str(DCM_PixelIntensityRelationship, ctx.plan->pixel_intensity_relationship);
}

// X-Ray Acquisition: technique (Type 2: empty when unknown), Imager Pixel Spacing always, and
// Pixel Spacing with its calibration only when asked.
static void put_xray_acquisition(Attrs &ds, const Context &ctx)
{
    const pdva_xa_series_desc *d = ctx.desc;
    if (d->kvp > 0)
        ds.num(DCM_KVP, d->kvp);
    else
        ds.empty(DCM_KVP);
    ds.str(DCM_RadiationSetting, "GR");
    if (d->tube_current_ma > 0)
        ds.num(DCM_XRayTubeCurrent, d->tube_current_ma)
            .num(DCM_XRayTubeCurrentInuA, d->tube_current_ma * 1000.0);
    else
        ds.empty(DCM_XRayTubeCurrent);
    if (d->exposure_time_ms > 0)
        ds.num(DCM_ExposureTime, d->exposure_time_ms)
            .num(DCM_ExposureTimeInuS, d->exposure_time_ms * 1000.0);
    else
        ds.empty(DCM_ExposureTime);
    ds.nums(DCM_ImagerPixelSpacing, d->imager_pixel_spacing_mm, 2);
    if (d->write_pixel_spacing) {
        char description[128];
        std::snprintf(description, sizeof description,
                      "Calibrated at the vessel plane, magnification %.4f",
                      d->imager_pixel_spacing_mm[0] / d->pixel_spacing_mm[0]);
        ds.nums(DCM_PixelSpacing, d->pixel_spacing_mm, 2)
            .str(DCM_PixelSpacingCalibrationType, "GEOMETRY")
            .str(DCM_PixelSpacingCalibrationDescription, description);
    }
}

static void put_positioner(Attrs &ds, const Context &ctx)
{
    const pdva_xa_series_desc *d = ctx.desc;
    if (d->distance_source_to_detector_mm > 0) // both 0: unknown (validate.c)
        ds.num(DCM_DistanceSourceToDetector, d->distance_source_to_detector_mm)
            .num(DCM_DistanceSourceToPatient, d->distance_source_to_patient_mm);
    if (d->write_estimated_magnification)
        ds.num(DCM_EstimatedRadiographicMagnificationFactor, d->estimated_magnification);
    if (ctx.plan->xrf)
        return; // the XRF Positioner module has no C-arm angles
    if (!ctx.plan->frame_per_file)
        ds.str(DCM_PositionerMotion, "STATIC");
    ds.num(DCM_PositionerPrimaryAngle, d->positioner_primary_angle_deg)
        .num(DCM_PositionerSecondaryAngle, d->positioner_secondary_angle_deg);
}

// LOG data needs a Modality LUT (PS3.3 C.8.7.1.1.x); the writer does not know the inverse of the
// log amplifier, so it states an identity rescale that leaves the stored values unchanged.
static void put_lut_modules(Attrs &ds, const Context &ctx)
{
    const double full = std::ldexp(1.0, ctx.desc->bits_stored);
    if (ctx.plan->pixel_intensity_relationship[1] == 'O') // "LOG"
        ds.num(DCM_RescaleIntercept, 0).num(DCM_RescaleSlope, 1).str(DCM_RescaleType, "US");
    ds.num(DCM_WindowCenter, full / 2).num(DCM_WindowWidth, full);
}

void put_classic_modules(Attrs &ds, const Context &ctx)
{
    const pdva_xa_series_desc *d = ctx.desc;
    put_general_image(ds, ctx);
    // Laterality is Type 2C for a paired body part: empty states "unknown" (dciodvfy then
    // warns that empty is only for an unknown side, which is the case).
    if (ctx.desc->laterality)
        ds.str(DCM_Laterality, ctx.desc->laterality == 'L' ? "L" : "R");
    else
        ds.empty(DCM_Laterality);
    ds.str(DCM_ContrastBolusAgent, "Iodinated contrast");
    if (!ctx.plan->frame_per_file) {
        put_cine(ds, ctx);
        if (d->n_mask_frames > 0)
            put_mask_module(ds, ctx);
    }
    put_xray_image(ds, ctx);
    put_xray_acquisition(ds, ctx);
    put_positioner(ds, ctx);
    put_lut_modules(ds, ctx);
}

} // namespace pdva_write
