/* names.c — names of the reader's enums, for reports and messages.
 * SPDX-License-Identifier: GPL-3.0-or-later */
#include "dicom/pdva_dicom.h"

const char *pdva_spacing_source_report_name(pdva_spacing_source source)
{
    switch (source) {
    case PDVA_SPACING_PIXEL_SPACING: return "pixel_spacing";
    case PDVA_SPACING_MAGNIFICATION_ERMF:
    case PDVA_SPACING_MAGNIFICATION_DISTANCES: return "magnification_corrected";
    case PDVA_SPACING_UNKNOWN: break;
    }
    return "unknown";
}

const char *pdva_spacing_source_description(pdva_spacing_source source)
{
    switch (source) {
    case PDVA_SPACING_PIXEL_SPACING: return "Pixel Spacing (0028,0030)";
    case PDVA_SPACING_MAGNIFICATION_ERMF:
        return "Imager Pixel Spacing (0018,1164) / Estimated Radiographic Magnification Factor "
               "(0018,1114)";
    case PDVA_SPACING_MAGNIFICATION_DISTANCES:
        return "Imager Pixel Spacing (0018,1164) x Distance Source to Patient (0018,1111) / "
               "Distance Source to Detector (0018,1110)";
    case PDVA_SPACING_UNKNOWN: break;
    }
    return "unknown: no Pixel Spacing, and no magnification to correct Imager Pixel Spacing";
}

const char *pdva_timing_source_name(pdva_timing_source source)
{
    switch (source) {
    case PDVA_TIMING_NONE: return "none";
    case PDVA_TIMING_SINGLE_FRAME: return "single frame";
    case PDVA_TIMING_FRAME_TIME: return "Frame Time (0018,1063)";
    case PDVA_TIMING_FRAME_TIME_VECTOR: return "Frame Time Vector (0018,1065)";
    case PDVA_TIMING_FUNCTIONAL_GROUPS: return "per-frame functional groups (Frame Content)";
    case PDVA_TIMING_INSTANCE_TIMES: return "acquisition/content times of single-frame instances";
    case PDVA_TIMING_CINE_RATE: return "Cine Rate (0018,0040)";
    case PDVA_TIMING_DISPLAY_RATE: return "Recommended Display Frame Rate (0008,2144)";
    }
    return "unknown";
}

const char *pdva_image_kind_name(pdva_image_kind kind)
{
    switch (kind) {
    case PDVA_IMAGE_XA: return "X-Ray Angiographic";
    case PDVA_IMAGE_XRF: return "X-Ray Radiofluoroscopic";
    case PDVA_IMAGE_ENHANCED_XA: return "Enhanced XA";
    case PDVA_IMAGE_ENHANCED_XRF: return "Enhanced XRF";
    case PDVA_IMAGE_OTHER_XA_RF: return "other SOP class with Modality XA/RF";
    case PDVA_IMAGE_NOT_ANGIOGRAPHIC: break;
    }
    return "not angiographic";
}
