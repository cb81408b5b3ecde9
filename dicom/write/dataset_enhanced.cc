// dataset_enhanced.cc — the Enhanced XA image IOD (PS3.3 A.52): Enhanced General Equipment,
// Enhanced XA/XRF Image, XA/XRF Acquisition, X-Ray Detector, Acquisition Context, Mask, and the
// Multi-frame Functional Groups (shared: anatomy, VOI, pixel data properties, detector, positioner,
// collimator, geometry, irradiation event; per frame: Frame Content with the frame's times).
// SPDX-License-Identifier: GPL-3.0-or-later
#include "dicom/write/dataset.hh"

#include <cmath>
#include <vector>

namespace pdva_write
{

// The Enhanced XA/XRF Acquisition module makes the technique Type 1: when the description does
// not give it, these nominal values of a peripheral DSA run are written (docs: conformance).
static const double kNominalKvp = 70.0;
static const double kNominalTubeCurrentMa = 10.0;
static const double kNominalExposureTimeMs = 10.0;

// Image Type and Frame Type: value 3 ANGIO (a contrast run), value 4 NONE (Enhanced XA/XRF
// Image module).
static const char kImageType[] = "ORIGINAL\\PRIMARY\\ANGIO\\NONE";

static double or_nominal(double value, double nominal)
{
    return value > 0 ? value : nominal;
}

static void put_enhanced_image(Attrs &ds, const Context &ctx)
{
    const pdva_xa_series_desc *d = ctx.desc;
    double duration_s = 0.0;
    if (d->frames > 1)
        duration_s = d->frame_times_s[d->frames - 1] + ctx.plan->frame_interval_ms / 1000.0;
    else
        duration_s = or_nominal(d->exposure_time_ms, kNominalExposureTimeMs) / 1000.0;
    ds.str(DCM_ImageType, kImageType)
        .str(DCM_PlanesInAcquisition, "SINGLE PLANE")
        .str(DCM_PlaneIdentification, "MONOPLANE")
        .num(DCM_AcquisitionNumber, 1)
        .str(DCM_AcquisitionDateTime, ctx.start_dt)
        .num(DCM_AcquisitionDuration, duration_s)
        .str(DCM_ContentQualification, "RESEARCH")
        .str(DCM_BurnedInAnnotation, "NO")
        .str(DCM_RecognizableVisualFeatures, "NO")
        .str(DCM_LossyImageCompression, "00")
        .str(DCM_PresentationLUTShape, "IDENTITY");
    // Multi-frame Functional Groups (the common part) and Acquisition Context
    ds.num(DCM_InstanceNumber, ctx.inst->instance_number)
        .str(DCM_ContentDate, ctx.start_da)
        .str(DCM_ContentTime, ctx.start_tm)
        .num(DCM_NumberOfFrames, d->frames)
        .empty(DCM_AcquisitionContextSequence);
}

static void put_acquisition(Attrs &ds, const Context &ctx)
{
    const pdva_xa_series_desc *d = ctx.desc;
    const double exposure_ms = or_nominal(d->exposure_time_ms, kNominalExposureTimeMs);
    // along a row (columns x column spacing), then along a column (rows x row spacing)
    const double detector_size_mm[2] = {d->imager_pixel_spacing_mm[1] * d->columns,
                                        d->imager_pixel_spacing_mm[0] * d->rows};
    ds.num(DCM_KVP, or_nominal(d->kvp, kNominalKvp))
        .str(DCM_RadiationSetting, "GR")
        .num(DCM_XRayTubeCurrentInmA, or_nominal(d->tube_current_ma, kNominalTubeCurrentMa))
        .num(DCM_ExposureTimeInms, exposure_ms)
        .num(DCM_AveragePulseWidth, exposure_ms)
        .str(DCM_RadiationMode, "PULSED")
        .str(DCM_XRayReceptorType, "DIGITAL_DETECTOR")
        .empty(DCM_DistanceReceptorPlaneToDetectorHousing)
        .str(DCM_PositionerType, "CARM")
        // NO: the table is not related to the C-arm, so no Frame of Reference, table position
        // or isocenter system is claimed for synthetic data
        .str(DCM_CArmPositionerTabletopRelationship, "NO")
        .empty(DCM_AcquiredImageAreaDoseProduct);
    // X-Ray Detector
    ds.str(DCM_DetectorType, "SCINTILLATOR")
        .nums(DCM_DetectorElementSpacing, d->imager_pixel_spacing_mm, 2)
        .nums(DCM_PhysicalDetectorSize, detector_size_mm, 2);
}

static void put_shared_groups(Attrs &shared, const Context &ctx)
{
    const pdva_xa_series_desc *d = ctx.desc;
    const pdva_write_plan *plan = ctx.plan;
    const double full = std::ldexp(1.0, d->bits_stored);

    const AnatomyCode anatomy = anatomy_code(plan->body_part);
    const char *laterality = plan->laterality == 'L' ? "L" : plan->laterality == 'R' ? "R" : "U";
    shared.item(DCM_FrameAnatomySequence)
        .str(DCM_FrameLaterality, laterality)
        .code(DCM_AnatomicRegionSequence, anatomy.value, "SCT", anatomy.meaning);

    shared.item(DCM_FrameVOILUTSequence).num(DCM_WindowCenter, full / 2).num(DCM_WindowWidth, full);

    if (plan->pixel_intensity_relationship[1] == 'O') { // "LOG": identity LUT, see dataset_xa.cc
        const size_t entries = static_cast<size_t>(full);
        std::vector<Uint16> lut(entries);
        for (size_t i = 0; i < entries; i++)
            lut[i] = static_cast<Uint16>(i);
        const double descriptor[3] = {entries >= 65536 ? 0.0 : static_cast<double>(entries), 0, 16};
        Attrs item = shared.item(DCM_PixelIntensityRelationshipLUTSequence);
        item.nums(DCM_LUTDescriptor, descriptor, 3)
            .words(DcmTag(DCM_LUTData, EVR_OW), lut.data(), lut.size())
            .str(DCM_LUTFunction, "TO_LINEAR");
    }

    if (d->n_mask_frames > 0) {
        const double no_shift[2] = {0.0, 0.0};
        shared.item(DCM_FramePixelShiftSequence)
            .num(DCM_SubtractionItemID, 1)
            .nums(DCM_MaskSubPixelShift, no_shift, 2);
    }

    shared.item(DCM_IrradiationEventIdentificationSequence)
        .str(DCM_IrradiationEventUID, ctx.inst->irradiation_event_uid);

    shared.item(DCM_FramePixelDataPropertiesSequence)
        .str(DCM_FrameType, kImageType)
        .str(DCM_PixelIntensityRelationship, plan->pixel_intensity_relationship)
        .num(DCM_PixelIntensityRelationshipSign, 1)
        .nums(DCM_ImagerPixelSpacing, d->imager_pixel_spacing_mm, 2)
        .str(DCM_GeometricalProperties, "UNIFORM")
        .str(DCM_ImageProcessingApplied, "NONE");

    shared.item(DCM_FrameDetectorParametersSequence)
        .num(DCM_DetectorActiveTime, or_nominal(d->exposure_time_ms, kNominalExposureTimeMs))
        .num(DCM_DetectorActivationOffsetFromExposure, 0);

    shared.item(DCM_PositionerPositionSequence)
        .num(DCM_PositionerPrimaryAngle, d->positioner_primary_angle_deg)
        .num(DCM_PositionerSecondaryAngle, d->positioner_secondary_angle_deg);

    shared.item(DCM_CollimatorShapeSequence)
        .str(DCM_CollimatorShape, "RECTANGULAR")
        .num(DCM_CollimatorLeftVerticalEdge, 1)
        .num(DCM_CollimatorRightVerticalEdge, d->columns)
        .num(DCM_CollimatorUpperHorizontalEdge, 1)
        .num(DCM_CollimatorLowerHorizontalEdge, d->rows);

    // dciodvfy requires the table position for every ORIGINAL image, whatever the tabletop
    // relationship; the synthetic table sits at its origin, level.
    shared.item(DCM_TablePositionSequence)
        .num(DCM_TableTopVerticalPosition, 0)
        .num(DCM_TableTopLongitudinalPosition, 0)
        .num(DCM_TableTopLateralPosition, 0)
        .num(DCM_TableHorizontalRotationAngle, 0)
        .num(DCM_TableHeadTiltAngle, 0)
        .num(DCM_TableCradleTiltAngle, 0);

    if (d->distance_source_to_detector_mm > 0) // both 0: unknown (validate.c)
        shared.item(DCM_XRayGeometrySequence)
            .num(DCM_DistanceSourceToIsocenter, d->distance_source_to_patient_mm)
            .num(DCM_DistanceSourceToDetector, d->distance_source_to_detector_mm);

    if (d->write_pixel_spacing)
        shared.item(DCM_PixelMeasuresSequence).nums(DCM_PixelSpacing, d->pixel_spacing_mm, 2);
}

// Frame Content of every frame: when it was acquired (to the microsecond) and for how long.
static void put_per_frame_groups(Attrs &ds, const Context &ctx)
{
    const pdva_xa_series_desc *d = ctx.desc;
    const double interval_ms = ctx.plan->frame_interval_ms;
    for (uint32_t f = 0; f < d->frames && ds.ok(); f++) {
        char dt[22];
        pdva_write_dt_format_dt(ctx.plan->start_us + pdva_write_frame_offset_us(ctx.plan, f), dt);
        double duration_ms = interval_ms;
        if (d->frames > 1) {
            const uint32_t next = f + 1 < d->frames ? f + 1 : f;
            const uint32_t prev = f + 1 < d->frames ? f : f - 1;
            duration_ms = (d->frame_times_s[next] - d->frame_times_s[prev]) * 1000.0;
        } else {
            duration_ms = or_nominal(d->exposure_time_ms, kNominalExposureTimeMs);
        }
        ds.item(DCM_PerFrameFunctionalGroupsSequence)
            .item(DCM_FrameContentSequence)
            .num(DCM_FrameAcquisitionNumber, 1)
            .str(DCM_FrameReferenceDateTime, dt)
            .str(DCM_FrameAcquisitionDateTime, dt)
            .num(DCM_FrameAcquisitionDuration, duration_ms);
    }
}

void put_enhanced_modules(Attrs &ds, const Context &ctx)
{
    put_enhanced_image(ds, ctx);
    put_acquisition(ds, ctx);
    if (ctx.desc->n_mask_frames > 0)
        put_mask_module(ds, ctx);
    Attrs shared = ds.item(DCM_SharedFunctionalGroupsSequence);
    put_shared_groups(shared, ctx);
    put_per_frame_groups(ds, ctx);
}

} // namespace pdva_write
