/* describe.c — what an image is (SOP Class and Modality) and its study context (identity,
 * laterality, mask subtraction hints, intensity relationship, lossy compression).
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include <string.h>

#include "dicom/read/read_internal.h"

typedef struct sop_name {
    const char *uid;
    const char *name;
} sop_name;

static const sop_name sop_names[] = {
    {"1.2.840.10008.5.1.4.1.1.12.1", "X-Ray Angiographic Image Storage"},
    {"1.2.840.10008.5.1.4.1.1.12.2", "X-Ray Radiofluoroscopic Image Storage"},
    {"1.2.840.10008.5.1.4.1.1.12.1.1", "Enhanced XA Image Storage"},
    {"1.2.840.10008.5.1.4.1.1.12.2.1", "Enhanced XRF Image Storage"},
    {"1.2.840.10008.5.1.4.1.1.12.3", "X-Ray Angiographic Bi-Plane Image Storage (Retired)"},
    {"1.2.840.10008.5.1.4.1.1.13.1.1", "X-Ray 3D Angiographic Image Storage"},
    {"1.2.840.10008.5.1.4.1.1.13.1.2", "X-Ray 3D Craniofacial Image Storage"},
    {"1.2.840.10008.5.1.4.1.1.13.1.3", "Breast Tomosynthesis Image Storage"},
    {"1.2.840.10008.5.1.4.1.1.1", "Computed Radiography Image Storage"},
    {"1.2.840.10008.5.1.4.1.1.1.1", "Digital X-Ray Image Storage - For Presentation"},
    {"1.2.840.10008.5.1.4.1.1.1.1.1", "Digital X-Ray Image Storage - For Processing"},
    {"1.2.840.10008.5.1.4.1.1.1.2", "Digital Mammography X-Ray Image Storage - For Presentation"},
    {"1.2.840.10008.5.1.4.1.1.2", "CT Image Storage"},
    {"1.2.840.10008.5.1.4.1.1.2.1", "Enhanced CT Image Storage"},
    {"1.2.840.10008.5.1.4.1.1.3.1", "Ultrasound Multi-frame Image Storage"},
    {"1.2.840.10008.5.1.4.1.1.4", "MR Image Storage"},
    {"1.2.840.10008.5.1.4.1.1.4.1", "Enhanced MR Image Storage"},
    {"1.2.840.10008.5.1.4.1.1.6.1", "Ultrasound Image Storage"},
    {"1.2.840.10008.5.1.4.1.1.7", "Secondary Capture Image Storage"},
    {"1.2.840.10008.5.1.4.1.1.7.1", "Multi-frame Single Bit Secondary Capture Image Storage"},
    {"1.2.840.10008.5.1.4.1.1.7.2", "Multi-frame Grayscale Byte Secondary Capture Image Storage"},
    {"1.2.840.10008.5.1.4.1.1.7.3", "Multi-frame Grayscale Word Secondary Capture Image Storage"},
    {"1.2.840.10008.5.1.4.1.1.7.4", "Multi-frame True Color Secondary Capture Image Storage"},
    {"1.2.840.10008.5.1.4.1.1.20", "Nuclear Medicine Image Storage"},
    {"1.2.840.10008.5.1.4.1.1.128", "Positron Emission Tomography Image Storage"},
    {"1.2.840.10008.5.1.4.1.1.481.1", "RT Image Storage"},
    {"1.2.840.10008.5.1.4.1.1.481.2", "RT Dose Storage"},
    {"1.2.840.10008.5.1.4.1.1.481.3", "RT Structure Set Storage"},
    {"1.2.840.10008.5.1.4.1.1.481.5", "RT Plan Storage"},
    {"1.2.840.10008.5.1.4.1.1.66", "Raw Data Storage"},
    {"1.2.840.10008.5.1.4.1.1.104.1", "Encapsulated PDF Storage"},
    {"1.2.840.10008.5.1.4.1.1.88.11", "Basic Text SR Storage"},
    {"1.2.840.10008.5.1.4.1.1.88.22", "Enhanced SR Storage"},
    {"1.2.840.10008.5.1.4.1.1.88.33", "Comprehensive SR Storage"},
    {"1.2.840.10008.5.1.4.1.1.11.1", "Grayscale Softcopy Presentation State Storage"},
    {"1.2.840.10008.1.3.10", "Media Storage Directory Storage (DICOMDIR)"},
};

static const char *sop_class_name(const char *uid)
{
    for (size_t i = 0; i < sizeof sop_names / sizeof sop_names[0]; i++)
        if (strcmp(sop_names[i].uid, uid) == 0)
            return sop_names[i].name;
    return NULL;
}

pdva_image_kind pdva_read_classify(const char *sop_class_uid, const char *modality, char *reason,
                                   size_t reason_cap)
{
    if (reason && reason_cap)
        reason[0] = '\0';
    if (strcmp(sop_class_uid, "1.2.840.10008.5.1.4.1.1.12.1") == 0)
        return PDVA_IMAGE_XA;
    if (strcmp(sop_class_uid, "1.2.840.10008.5.1.4.1.1.12.2") == 0)
        return PDVA_IMAGE_XRF;
    if (strcmp(sop_class_uid, "1.2.840.10008.5.1.4.1.1.12.1.1") == 0)
        return PDVA_IMAGE_ENHANCED_XA;
    if (strcmp(sop_class_uid, "1.2.840.10008.5.1.4.1.1.12.2.1") == 0)
        return PDVA_IMAGE_ENHANCED_XRF;
    const char *name = sop_class_name(sop_class_uid);
    char sop[160];
    if (name)
        PDVA_READ_COPY(sop, name);
    else if (sop_class_uid[0])
        PDVA_READ_COPY(sop, sop_class_uid);
    else
        snprintf(sop, sizeof sop, "(none)");
    bool xa_rf = strcmp(modality, "XA") == 0 || strcmp(modality, "RF") == 0;
    bool volume = strncmp(sop_class_uid, "1.2.840.10008.5.1.4.1.1.13.1.", 29) == 0;
    if (xa_rf && !volume)
        return PDVA_IMAGE_OTHER_XA_RF;
    if (reason && reason_cap) {
        if (volume)
            snprintf(reason, reason_cap,
                     "Modality %s, SOP Class %s: a reconstructed volume, not an angiographic "
                     "projection image",
                     modality[0] ? modality : "(none)", sop);
        else
            snprintf(reason, reason_cap, "Modality %s, SOP Class %s: not an angiographic image",
                     modality[0] ? modality : "(none)", sop);
    }
    return PDVA_IMAGE_NOT_ANGIOGRAPHIC;
}

/* 'L', 'R', 0 for B/U/unknown; *decided when the value settles laterality (even as 0). */
static char laterality_of(const char *value, bool *decided)
{
    *decided = value[0] != '\0';
    if (strcmp(value, "L") == 0)
        return 'L';
    if (strcmp(value, "R") == 0)
        return 'R';
    return 0;
}

void pdva_read_fill_context(const pdva_read_header *hdr, const pdva_read_xfer *xfer,
                            pdva_series_info *info)
{
    PDVA_READ_COPY(info->sop_class_uid, hdr->sop_class_uid);
    PDVA_READ_COPY(info->modality, hdr->modality);
    PDVA_READ_COPY(info->patient_id, hdr->patient_id);
    PDVA_READ_COPY(info->patient_name, hdr->patient_name);
    PDVA_READ_COPY(info->study_instance_uid, hdr->study_instance_uid);
    PDVA_READ_COPY(info->series_instance_uid, hdr->series_instance_uid);
    int64_t days = 0;
    if (pdva_read_parse_da(hdr->study_date, &days))
        pdva_read_copy_trimmed(info->study_date, sizeof info->study_date, hdr->study_date, 8);
    else if (hdr->study_date[0])
        pdva_read_note(info->warnings, sizeof info->warnings, "Study Date '%s' is not a date",
                       hdr->study_date);
    int64_t tod = 0;
    if (pdva_read_parse_tm(hdr->study_time, false, &tod))
        PDVA_READ_COPY(info->study_time, hdr->study_time);
    PDVA_READ_COPY(info->series_description, hdr->series_description);
    PDVA_READ_COPY(info->body_part_examined, hdr->body_part_examined);
    int32_t number = 0;
    info->series_number = pdva_read_parse_is(hdr->series_number, &number) ? number : 0;
    if (hdr->charset_conversion_failed)
        pdva_read_note(info->warnings, sizeof info->warnings,
                       "some text could not be converted from its Specific Character Set "
                       "(unreadable characters replaced by '?')");

    bool decided = false;
    info->laterality = laterality_of(hdr->image_laterality, &decided);
    if (!decided)
        info->laterality = laterality_of(hdr->laterality, &decided);
    if (!decided)
        info->laterality = laterality_of(hdr->frame_laterality, &decided);

    /* Mask Operation NONE: the sequence is present but says there is no subtraction. */
    bool none = strcmp(hdr->mask_operation, "NONE") == 0;
    info->has_mask_subtraction = hdr->has_mask_subtraction && !none;
    PDVA_READ_COPY(info->mask_operation, hdr->mask_operation);
    info->n_mask_frame_numbers = 0;
    for (uint32_t i = 0; i < hdr->n_mask_frames && !none; i++) {
        uint32_t f = hdr->mask_frames_1based[i];
        if (f == 0 || (info->frames > 0 && f > info->frames)) {
            pdva_read_note(info->warnings, sizeof info->warnings,
                           "Mask Frame Number %u is outside 1..%u: ignored", f, info->frames);
            continue;
        }
        info->mask_frame_numbers[info->n_mask_frame_numbers++] = f - 1;
    }
    if (!none && hdr->n_mask_frames_total > PDVA_MAX_MASK_FRAMES)
        pdva_read_note(info->warnings, sizeof info->warnings,
                       "%u mask frames listed: only the first %u kept", hdr->n_mask_frames_total,
                       PDVA_MAX_MASK_FRAMES);
    info->recommended_subtraction = strcmp(hdr->recommended_viewing_mode, "SUB") == 0;

    const char *pir = hdr->pixel_intensity_relationship;
    if (strcmp(pir, "LIN") == 0 || strcmp(pir, "LOG") == 0 || strcmp(pir, "DISP") == 0)
        PDVA_READ_COPY(info->pixel_intensity_relationship, pir);
    else if (pir[0])
        pdva_read_note(info->warnings, sizeof info->warnings,
                       "Pixel Intensity Relationship '%s' is not LIN, LOG or DISP: ignored", pir);
    info->pixel_intensity_sign = 0;
    if (hdr->has_pixel_intensity_sign) {
        if (hdr->pixel_intensity_sign == 1 || hdr->pixel_intensity_sign == -1)
            info->pixel_intensity_sign = hdr->pixel_intensity_sign;
        else
            pdva_read_note(info->warnings, sizeof info->warnings,
                           "Pixel Intensity Relationship Sign %d is not +1 or -1: ignored",
                           hdr->pixel_intensity_sign);
    }
    info->lossy_compression = (xfer && xfer->lossy) ||
                              strcmp(hdr->lossy_image_compression, "01") == 0 ||
                              strcmp(hdr->lossy_image_compression_retired, "01") == 0;
}
