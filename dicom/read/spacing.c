/* spacing.c — the pixel spacing at the vessel plane, and the geometry that supports it.
 *
 * In order: Pixel Spacing (0028,0030) (Enhanced: Pixel Measures Sequence), then Imager Pixel
 * Spacing (0018,1164) / Estimated Radiographic Magnification Factor (0018,1114), then Imager
 * Pixel Spacing x Distance Source to Patient (0018,1111) (Enhanced: Distance Source to
 * Isocenter (0018,9402) when that is all there is) / Distance Source to Detector (0018,1110);
 * else unknown. Imager Pixel Spacing alone is the spacing at the detector and is
 * never reported as the spacing at the patient. Absurd values are refused with a warning and
 * the next source is tried.
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include <math.h>
#include <string.h>

#include "dicom/read/read_internal.h"

#define MAX_SPACING_MM 10.0
#define MIN_MAGNIFICATION 1.0
#define MAX_MAGNIFICATION 5.0
#define MAX_DISTANCE_MM 10000.0

/* A pair of spacings in (0, 10] mm; false with a warning when present but absurd. */
static bool spacing_pair(const char *raw, const char *what, double out[2], char *warnings,
                         size_t cap)
{
    out[0] = out[1] = 0;
    if (!raw[0])
        return false;
    double v[2] = {0, 0};
    int n = pdva_read_parse_ds_list(raw, v, 2);
    if (n != 2) {
        pdva_read_note(warnings, cap, "%s '%s' is not two numbers: ignored", what, raw);
        return false;
    }
    for (int i = 0; i < 2; i++)
        if (!(v[i] > 0) || v[i] > MAX_SPACING_MM || !isfinite(v[i])) {
            pdva_read_note(warnings, cap, "%s %g\\%g mm is absurd: ignored", what, v[0], v[1]);
            return false;
        }
    out[0] = v[0];
    out[1] = v[1];
    return true;
}

/* One positive finite number within [lo, hi]; false with a warning when present but absurd. */
static bool number_in(const char *raw, const char *what, double lo, double hi, double *out,
                      char *warnings, size_t cap)
{
    *out = 0;
    if (!raw[0])
        return false;
    double v = 0;
    if (pdva_read_parse_ds_list(raw, &v, 1) != 1) {
        pdva_read_note(warnings, cap, "%s '%s' is not one number: ignored", what, raw);
        return false;
    }
    if (!(v >= lo && v <= hi)) {
        pdva_read_note(warnings, cap, "%s %g is outside [%g, %g]: ignored", what, v, lo, hi);
        return false;
    }
    *out = v;
    return true;
}

void pdva_read_compute_spacing(const pdva_read_header *hdr, pdva_series_info *info)
{
    char *w = info->warnings;
    size_t cap = sizeof info->warnings;
    info->pixel_spacing_mm[0] = info->pixel_spacing_mm[1] = 0;
    info->spacing_source = PDVA_SPACING_UNKNOWN;

    bool has_ips = spacing_pair(hdr->imager_pixel_spacing, "Imager Pixel Spacing",
                                info->imager_pixel_spacing_mm, w, cap);
    bool has_ermf =
        number_in(hdr->ermf, "Estimated Radiographic Magnification Factor", MIN_MAGNIFICATION,
                  MAX_MAGNIFICATION, &info->estimated_magnification, w, cap);
    bool has_dsd = number_in(hdr->dsd, "Distance Source to Detector", 1e-3, MAX_DISTANCE_MM,
                             &info->distance_source_to_detector_mm, w, cap);
    bool has_dsp = number_in(hdr->dsp, "Distance Source to Patient", 1e-3, MAX_DISTANCE_MM,
                             &info->distance_source_to_patient_mm, w, cap);
    /* Enhanced XA/XRF give the isocenter (X-Ray Geometry Sequence), where the table brings the
     * vessels, instead of the patient. */
    if (!has_dsp && hdr->dsi[0] &&
        number_in(hdr->dsi, "Distance Source to Isocenter", 1e-3, MAX_DISTANCE_MM,
                  &info->distance_source_to_patient_mm, w, cap)) {
        has_dsp = true;
        pdva_read_note(w, cap,
                       "Distance Source to Isocenter (0018,9402) taken as the distance "
                       "to the vessel plane");
    }
    double primary = 0, secondary = 0;
    bool has_primary =
        number_in(hdr->positioner_primary, "Positioner Primary Angle", -360, 360, &primary, w, cap);
    bool has_secondary = number_in(hdr->positioner_secondary, "Positioner Secondary Angle", -360,
                                   360, &secondary, w, cap);
    info->has_positioner_angles = has_primary && has_secondary;
    info->positioner_primary_angle_deg = info->has_positioner_angles ? primary : 0;
    info->positioner_secondary_angle_deg = info->has_positioner_angles ? secondary : 0;

    double ps[2];
    const char *ps_name = hdr->pixel_spacing_from_groups ? "Pixel Spacing (Pixel Measures Sequence)"
                                                         : "Pixel Spacing";
    if (spacing_pair(hdr->pixel_spacing, ps_name, ps, w, cap)) {
        info->pixel_spacing_mm[0] = ps[0];
        info->pixel_spacing_mm[1] = ps[1];
        info->spacing_source = PDVA_SPACING_PIXEL_SPACING;
        if (hdr->pixel_spacing_varies)
            pdva_read_note(w, cap,
                           "Pixel Spacing differs between frames: the first frame's "
                           "is used");
        if (has_ips && fabs(ps[0] - info->imager_pixel_spacing_mm[0]) < 1e-9 &&
            fabs(ps[1] - info->imager_pixel_spacing_mm[1]) < 1e-9 &&
            (has_ermf || (has_dsd && has_dsp)))
            pdva_read_note(w, cap,
                           "Pixel Spacing equals Imager Pixel Spacing although a "
                           "magnification is given: it may be the detector's spacing");
        return;
    }
    if (has_ips && has_ermf) {
        info->pixel_spacing_mm[0] =
            info->imager_pixel_spacing_mm[0] / info->estimated_magnification;
        info->pixel_spacing_mm[1] =
            info->imager_pixel_spacing_mm[1] / info->estimated_magnification;
        info->spacing_source = PDVA_SPACING_MAGNIFICATION_ERMF;
        return;
    }
    if (has_ips && has_dsd && has_dsp) {
        double magnification =
            info->distance_source_to_detector_mm / info->distance_source_to_patient_mm;
        if (info->distance_source_to_patient_mm >= info->distance_source_to_detector_mm) {
            pdva_read_note(w, cap,
                           "Distance Source to Patient %g mm is not shorter than Distance "
                           "Source to Detector %g mm: no magnification correction",
                           info->distance_source_to_patient_mm,
                           info->distance_source_to_detector_mm);
        } else if (magnification > MAX_MAGNIFICATION) {
            pdva_read_note(w, cap,
                           "the distances give a magnification of %g, above %g: no "
                           "magnification correction",
                           magnification, MAX_MAGNIFICATION);
        } else {
            info->pixel_spacing_mm[0] = info->imager_pixel_spacing_mm[0] / magnification;
            info->pixel_spacing_mm[1] = info->imager_pixel_spacing_mm[1] / magnification;
            info->spacing_source = PDVA_SPACING_MAGNIFICATION_DISTANCES;
            return;
        }
    }
    if (has_ips)
        pdva_read_note(w, cap,
                       "only Imager Pixel Spacing (at the detector) is known: without a "
                       "magnification it is not the spacing at the patient; spacing unknown");
}
