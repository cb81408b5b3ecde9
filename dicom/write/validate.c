/* validate.c — checking a pdva_xa_series_desc before anything is written, so that DCMTK only
 * ever sees values that make a valid file, and the caller learns which field was wrong.
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include <math.h>
#include <stdio.h>
#include <string.h>

#include "base/error.h"
#include "dicom/write/write_internal.h"

#define MAX_ELEMENT_BYTES UINT64_C(0xFFFFFFFE) /* largest even 32-bit value length */
#define MAX_FRAME_PER_FILE 9999u               /* "<stem>-NNNN.dcm" */
#define MAX_DURATION_S 86400.0                 /* a run longer than a day is a mistake */

/* ---- strings --------------------------------------------------------------------------------- */

/* Number of UTF-8 characters, or -1 when `s` is not valid UTF-8 without control characters. */
static long utf8_chars(const char *s)
{
    const unsigned char *p = (const unsigned char *)s;
    long chars = 0;
    while (*p) {
        unsigned char c = *p;
        size_t need;
        if (c < 0x80) {
            if (c < 0x20 || c == 0x7F)
                return -1;
            need = 1;
        } else if (c >= 0xC2 && c <= 0xDF) {
            need = 2;
        } else if (c >= 0xE0 && c <= 0xEF) {
            need = 3;
        } else if (c >= 0xF0 && c <= 0xF4) {
            need = 4;
        } else {
            return -1;
        }
        for (size_t i = 1; i < need; i++)
            if ((p[i] & 0xC0) != 0x80)
                return -1;
        if ((need == 3 && c == 0xE0 && p[1] < 0xA0) || (need == 3 && c == 0xED && p[1] >= 0xA0) ||
            (need == 4 && c == 0xF0 && p[1] < 0x90) || (need == 4 && c == 0xF4 && p[1] >= 0x90))
            return -1;
        p += need;
        chars++;
    }
    return chars;
}

/* A single-valued text attribute: valid UTF-8, no controls, no '\\' (the value separator), at most
 * `max_chars` characters. NULL is allowed (the attribute is written empty or left out). */
static pdva_status check_text(const char *value, const char *field, long max_chars,
                              pdva_error **err)
{
    if (!value)
        return PDVA_OK;
    long n = utf8_chars(value);
    if (n < 0)
        return pdva_error_set(err, PDVA_ERR_INVALID_ARGUMENT,
                              "%s is not valid UTF-8 text without control characters", field);
    if (strchr(value, '\\'))
        return pdva_error_set(err, PDVA_ERR_INVALID_ARGUMENT,
                              "%s contains a backslash, the DICOM value separator", field);
    if (n > max_chars)
        return pdva_error_set(err, PDVA_ERR_INVALID_ARGUMENT,
                              "%s has %ld characters; at most %ld fit its DICOM VR", field, n,
                              max_chars);
    return PDVA_OK;
}

/* PN: up to three component groups separated by '=', each at most 64 characters. */
static pdva_status check_person_name(const char *value, const char *field, pdva_error **err)
{
    if (!value)
        return PDVA_OK;
    pdva_status st = check_text(value, field, 3 * 64 + 2, err);
    if (st != PDVA_OK)
        return st;
    const char *group = value;
    int groups = 0;
    for (;;) {
        const char *end = strchr(group, '=');
        size_t len = end ? (size_t)(end - group) : strlen(group);
        char buf[3 * 64 * 4 + 8];
        if (len >= sizeof buf)
            return pdva_error_set(err, PDVA_ERR_INVALID_ARGUMENT, "%s is too long", field);
        memcpy(buf, group, len);
        buf[len] = '\0';
        if (utf8_chars(buf) > 64)
            return pdva_error_set(err, PDVA_ERR_INVALID_ARGUMENT,
                                  "%s has a component group longer than 64 characters", field);
        if (++groups > 3)
            return pdva_error_set(err, PDVA_ERR_INVALID_ARGUMENT,
                                  "%s has more than three component groups", field);
        if (!end)
            break;
        group = end + 1;
    }
    return PDVA_OK;
}

/* CS: at most 16 of A-Z, 0-9, space and underscore. */
static bool is_code_string(const char *value)
{
    size_t n = strlen(value);
    if (n == 0 || n > 16)
        return false;
    for (size_t i = 0; i < n; i++) {
        char c = value[i];
        if (!((c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == ' ' || c == '_'))
            return false;
    }
    return true;
}

bool pdva_write_uid_is_valid(const char *uid)
{
    if (!uid)
        return false;
    size_t n = strlen(uid);
    if (n == 0 || n > 64)
        return false;
    size_t component_start = 0;
    for (size_t i = 0; i <= n; i++) {
        char c = uid[i];
        if (c == '.' || c == '\0') {
            size_t len = i - component_start;
            if (len == 0)
                return false;
            if (len > 1 && uid[component_start] == '0')
                return false;
            component_start = i + 1;
        } else if (c < '0' || c > '9') {
            return false;
        }
    }
    return true;
}

/* ---- hashed UIDs ----------------------------------------------------------------------------- */

static uint64_t fnv1a64(uint64_t h, const char *s)
{
    for (const unsigned char *p = (const unsigned char *)s; *p; p++) {
        h ^= *p;
        h *= UINT64_C(0x100000001b3);
    }
    h ^= 0xFF; /* separator, so that ("ab","c") and ("a","bc") differ */
    h *= UINT64_C(0x100000001b3);
    return h;
}

static uint64_t mix64(uint64_t x)
{
    x ^= x >> 30;
    x *= UINT64_C(0xbf58476d1ce4e5b9);
    x ^= x >> 27;
    x *= UINT64_C(0x94d049bb133111eb);
    x ^= x >> 31;
    return x;
}

void pdva_write_hash_uid(const char *a, const char *b, char out[PDVA_WRITE_UID_MAX])
{
    uint64_t hi = mix64(fnv1a64(fnv1a64(UINT64_C(0xcbf29ce484222325), a), b));
    uint64_t lo = mix64(fnv1a64(fnv1a64(UINT64_C(0x84222325cbf29ce4), b), a) ^ hi);
    /* 128-bit value as four 32-bit limbs, most significant first; repeated division by 10. */
    uint32_t limb[4] = {(uint32_t)(hi >> 32), (uint32_t)hi, (uint32_t)(lo >> 32), (uint32_t)lo};
    char digits[48];
    size_t nd = 0;
    for (;;) {
        bool zero = true;
        uint64_t rem = 0;
        for (int i = 0; i < 4; i++) {
            uint64_t cur = (rem << 32) | limb[i];
            limb[i] = (uint32_t)(cur / 10);
            rem = cur % 10;
            if (limb[i])
                zero = false;
        }
        digits[nd++] = (char)('0' + rem);
        if (zero)
            break;
    }
    size_t o = 0;
    memcpy(out, "2.25.", 5);
    o = 5;
    while (nd > 0)
        out[o++] = digits[--nd];
    out[o] = '\0';
}

/* ---- file stem ------------------------------------------------------------------------------- */

pdva_status pdva_write_check_stem(const char *file_stem, pdva_error **err)
{
    if (!file_stem || !*file_stem)
        return pdva_error_set(err, PDVA_ERR_INVALID_ARGUMENT, "file_stem is NULL or empty");
    size_t n = strlen(file_stem);
    if (n > PDVA_WRITE_STEM_MAX)
        return pdva_error_set(err, PDVA_ERR_INVALID_ARGUMENT, "file_stem is longer than %d bytes",
                              PDVA_WRITE_STEM_MAX);
    if (file_stem[0] == '.' || file_stem[0] == '-')
        return pdva_error_set(err, PDVA_ERR_INVALID_ARGUMENT,
                              "file_stem must not start with '.' or '-'");
    if (strstr(file_stem, ".."))
        return pdva_error_set(err, PDVA_ERR_INVALID_ARGUMENT, "file_stem must not contain \"..\"");
    if (utf8_chars(file_stem) < 0)
        return pdva_error_set(err, PDVA_ERR_INVALID_ARGUMENT,
                              "file_stem is not UTF-8 without control characters");
    for (size_t i = 0; i < n; i++) {
        char c = file_stem[i];
        if (c == '/' || c == '\\' || c == ':' || c == '*' || c == '?' || c == '"' || c == '<' ||
            c == '>' || c == '|')
            return pdva_error_set(err, PDVA_ERR_INVALID_ARGUMENT,
                                  "file_stem contains the character '%c'", c);
    }
    return PDVA_OK;
}

/* ---- the description ------------------------------------------------------------------------- */

static bool positive_finite(double v)
{
    return isfinite(v) && v > 0.0;
}

static pdva_status check_frame_times(const pdva_xa_series_desc *d, pdva_write_plan *plan,
                                     pdva_error **err)
{
    plan->frame_interval_ms = 0.0;
    if (!d->frame_times_s) {
        if (d->frames == 1)
            return PDVA_OK;
        return pdva_error_set(err, PDVA_ERR_INVALID_ARGUMENT, "frame_times_s is NULL for %u frames",
                              d->frames);
    }
    const double *t = d->frame_times_s;
    if (!isfinite(t[0]) || fabs(t[0]) > 1e-9)
        return pdva_error_set(err, PDVA_ERR_INVALID_ARGUMENT,
                              "frame_times_s[0] is %g; the first frame is at time 0", t[0]);
    for (uint32_t i = 1; i < d->frames; i++) {
        if (!isfinite(t[i]) || t[i] <= t[i - 1] || t[i] > MAX_DURATION_S)
            return pdva_error_set(err, PDVA_ERR_INVALID_ARGUMENT,
                                  "frame_times_s[%u] = %g does not follow %g (times must increase "
                                  "strictly, at most %g s)",
                                  i, t[i], t[i - 1], MAX_DURATION_S);
    }
    if (d->frames < 2)
        return PDVA_OK;
    double mean = t[d->frames - 1] / (double)(d->frames - 1);
    plan->frame_interval_ms = mean * 1000.0;
    if (!d->variable_frame_times) {
        /* Frame Time holds one interval: refuse to flatten times that actually vary. */
        for (uint32_t i = 1; i < d->frames; i++) {
            double dt = t[i] - t[i - 1];
            if (fabs(dt - mean) > 0.01 * mean)
                return pdva_error_set(
                    err, PDVA_ERR_INVALID_ARGUMENT,
                    "frame interval %u (%g s) differs from the mean %g s by more than 1%%; set "
                    "variable_frame_times to write a Frame Time Vector",
                    i, dt, mean);
        }
    }
    return PDVA_OK;
}

static pdva_status check_geometry(const pdva_xa_series_desc *d, pdva_error **err)
{
    for (int i = 0; i < 2; i++)
        if (!positive_finite(d->imager_pixel_spacing_mm[i]) || d->imager_pixel_spacing_mm[i] > 100)
            return pdva_error_set(err, PDVA_ERR_INVALID_ARGUMENT,
                                  "imager_pixel_spacing_mm[%d] = %g is not in (0, 100] mm", i,
                                  d->imager_pixel_spacing_mm[i]);
    /* Both distances 0: unknown, not written (a run whose spacing at the patient cannot be
     * derived, as some archives hold). Otherwise both, with the patient between. */
    const bool no_distances =
        d->distance_source_to_detector_mm == 0.0 && d->distance_source_to_patient_mm == 0.0;
    if (!no_distances && (!positive_finite(d->distance_source_to_detector_mm) ||
                          !positive_finite(d->distance_source_to_patient_mm) ||
                          d->distance_source_to_patient_mm > d->distance_source_to_detector_mm ||
                          d->distance_source_to_detector_mm > 1e5))
        return pdva_error_set(err, PDVA_ERR_INVALID_ARGUMENT,
                              "distances source-to-patient %g mm and source-to-detector %g mm must "
                              "be positive, with the patient between source and detector (or "
                              "both 0: unknown)",
                              d->distance_source_to_patient_mm, d->distance_source_to_detector_mm);
    if (d->write_pixel_spacing)
        for (int i = 0; i < 2; i++)
            if (!positive_finite(d->pixel_spacing_mm[i]) || d->pixel_spacing_mm[i] > 100)
                return pdva_error_set(err, PDVA_ERR_INVALID_ARGUMENT,
                                      "pixel_spacing_mm[%d] = %g is not in (0, 100] mm", i,
                                      d->pixel_spacing_mm[i]);
    if (d->write_estimated_magnification &&
        (!positive_finite(d->estimated_magnification) || d->estimated_magnification > 100))
        return pdva_error_set(err, PDVA_ERR_INVALID_ARGUMENT,
                              "estimated_magnification = %g is not in (0, 100]",
                              d->estimated_magnification);
    if (!isfinite(d->positioner_primary_angle_deg) ||
        fabs(d->positioner_primary_angle_deg) > 180.0 ||
        !isfinite(d->positioner_secondary_angle_deg) ||
        fabs(d->positioner_secondary_angle_deg) > 90.0)
        return pdva_error_set(err, PDVA_ERR_INVALID_ARGUMENT,
                              "positioner angles %g, %g deg are outside [-180, 180] x [-90, 90]",
                              d->positioner_primary_angle_deg, d->positioner_secondary_angle_deg);
    double technique[3] = {d->kvp, d->tube_current_ma, d->exposure_time_ms};
    static const char *const technique_names[3] = {"kvp", "tube_current_ma", "exposure_time_ms"};
    for (int i = 0; i < 3; i++)
        if (!isfinite(technique[i]) || technique[i] < 0.0 || technique[i] > 1e6)
            return pdva_error_set(err, PDVA_ERR_INVALID_ARGUMENT, "%s = %g is invalid",
                                  technique_names[i], technique[i]);
    return PDVA_OK;
}

static pdva_status check_identity(const pdva_xa_series_desc *d, pdva_write_plan *plan,
                                  pdva_error **err)
{
    pdva_status st;
    if ((st = check_text(d->patient_id, "patient_id", 64, err)) != PDVA_OK ||
        (st = check_person_name(d->patient_name, "patient_name", err)) != PDVA_OK ||
        (st = check_person_name(d->referring_physician, "referring_physician", err)) != PDVA_OK ||
        (st = check_text(d->series_description, "series_description", 64, err)) != PDVA_OK ||
        (st = check_text(d->accession_number, "accession_number", 16, err)) != PDVA_OK ||
        (st = check_text(d->study_id, "study_id", 16, err)) != PDVA_OK)
        return st;
    if (d->patient_birth_date && *d->patient_birth_date &&
        !pdva_write_da_is_valid(d->patient_birth_date))
        return pdva_error_set(err, PDVA_ERR_INVALID_ARGUMENT,
                              "patient_birth_date is not a valid date YYYYMMDD");
    if (d->patient_sex && *d->patient_sex && strcmp(d->patient_sex, "M") != 0 &&
        strcmp(d->patient_sex, "F") != 0 && strcmp(d->patient_sex, "O") != 0)
        return pdva_error_set(err, PDVA_ERR_INVALID_ARGUMENT,
                              "patient_sex must be \"M\", \"F\", \"O\" or empty");
    if (!pdva_write_uid_is_valid(d->study_instance_uid))
        return pdva_error_set(err, PDVA_ERR_INVALID_ARGUMENT,
                              "study_instance_uid is missing or not a valid UID");
    if (!pdva_write_uid_is_valid(d->series_instance_uid))
        return pdva_error_set(err, PDVA_ERR_INVALID_ARGUMENT,
                              "series_instance_uid is missing or not a valid UID");
    if (strcmp(d->study_instance_uid, d->series_instance_uid) == 0)
        return pdva_error_set(err, PDVA_ERR_INVALID_ARGUMENT,
                              "study_instance_uid and series_instance_uid are equal");

    /* Instance UIDs: root + "." + n, n up to the number of files. */
    uint32_t n_instances = plan->frame_per_file ? d->frames : 1;
    char last[16];
    int digits = snprintf(last, sizeof last, "%u", n_instances);
    if (d->sop_instance_uid_root) {
        if (!pdva_write_uid_is_valid(d->sop_instance_uid_root) ||
            strlen(d->sop_instance_uid_root) + 1 + (size_t)digits > 64)
            return pdva_error_set(err, PDVA_ERR_INVALID_ARGUMENT,
                                  "sop_instance_uid_root is not a valid UID, or root + \".%s\" "
                                  "exceeds 64 characters",
                                  last);
        snprintf(plan->sop_uid_root, sizeof plan->sop_uid_root, "%s", d->sop_instance_uid_root);
    } else if (strlen(d->series_instance_uid) + 1 + (size_t)digits <= 64) {
        snprintf(plan->sop_uid_root, sizeof plan->sop_uid_root, "%s", d->series_instance_uid);
    } else {
        plan->sop_uid_root[0] = '\0'; /* too long to extend: hash per instance */
    }

    if (d->study_date && *d->study_date) {
        if (!pdva_write_da_is_valid(d->study_date))
            return pdva_error_set(err, PDVA_ERR_INVALID_ARGUMENT,
                                  "study_date is not a valid date YYYYMMDD");
        if (d->study_time && *d->study_time && !pdva_write_tm_is_valid(d->study_time))
            return pdva_error_set(err, PDVA_ERR_INVALID_ARGUMENT,
                                  "study_time is not a valid time HHMMSS[.ffffff]");
        if (!pdva_write_dt_parse(d->study_date,
                                 d->study_time && *d->study_time ? d->study_time : NULL,
                                 &plan->start_us))
            return pdva_error_set(err, PDVA_ERR_INVALID_ARGUMENT, "study date or time invalid");
    } else {
        if (d->study_time && *d->study_time)
            return pdva_error_set(err, PDVA_ERR_INVALID_ARGUMENT,
                                  "study_time is given without study_date");
        plan->start_us = pdva_write_dt_now();
    }

    plan->body_part = NULL;
    if (d->body_part_examined && *d->body_part_examined) {
        if (!is_code_string(d->body_part_examined))
            return pdva_error_set(err, PDVA_ERR_INVALID_ARGUMENT,
                                  "body_part_examined must be 1-16 of A-Z, 0-9, space, '_' "
                                  "(e.g. \"FOOT\", \"LEG\", \"ANKLE\")");
        plan->body_part = d->body_part_examined;
    }
    if (d->laterality != 0 && d->laterality != 'L' && d->laterality != 'R')
        return pdva_error_set(err, PDVA_ERR_INVALID_ARGUMENT, "laterality must be 'L', 'R' or 0");
    plan->laterality = d->laterality;
    return PDVA_OK;
}

static pdva_status check_mask(const pdva_xa_series_desc *d, pdva_error **err)
{
    if (d->n_mask_frames == 0)
        return PDVA_OK;
    if (!d->mask_frames)
        return pdva_error_set(err, PDVA_ERR_INVALID_ARGUMENT,
                              "mask_frames is NULL with n_mask_frames = %u", d->n_mask_frames);
    if (d->n_mask_frames >= d->frames)
        return pdva_error_set(err, PDVA_ERR_INVALID_ARGUMENT,
                              "%u mask frames leave no contrast frame out of %u", d->n_mask_frames,
                              d->frames);
    for (uint32_t i = 0; i < d->n_mask_frames; i++) {
        if (d->mask_frames[i] >= d->frames)
            return pdva_error_set(err, PDVA_ERR_INVALID_ARGUMENT,
                                  "mask_frames[%u] = %u is not a frame (0..%u)", i,
                                  d->mask_frames[i], d->frames - 1);
        if (i > 0 && d->mask_frames[i] <= d->mask_frames[i - 1])
            return pdva_error_set(err, PDVA_ERR_INVALID_ARGUMENT,
                                  "mask_frames must be increasing and distinct");
    }
    return PDVA_OK;
}

static pdva_status check_pixels(const pdva_xa_series_desc *d, pdva_error **err)
{
    const uint32_t max = (1u << d->bits_stored) - 1u;
    const size_t per_frame = (size_t)d->rows * d->columns;
    for (uint32_t f = 0; f < d->frames; f++) {
        const uint16_t *frame = d->pixels + (size_t)f * per_frame;
        for (size_t i = 0; i < per_frame; i++) {
            if (frame[i] > max)
                return pdva_error_set(err, PDVA_ERR_INVALID_ARGUMENT,
                                      "pixel value %u at frame %u, row %zu, column %zu exceeds "
                                      "%u, the largest %u-bit value",
                                      frame[i], f, i / d->columns, i % d->columns, max,
                                      d->bits_stored);
        }
    }
    return PDVA_OK;
}

pdva_status pdva_write_plan_build(const pdva_xa_series_desc *desc, pdva_write_plan *plan,
                                  pdva_error **err)
{
    if (!desc || !plan)
        return pdva_error_set(err, PDVA_ERR_INVALID_ARGUMENT, "desc is NULL");
    if (desc->struct_size < sizeof *desc)
        return pdva_error_set(err, PDVA_ERR_VERSION_MISMATCH,
                              "desc->struct_size %zu is smaller than this library's %zu (call "
                              "pdva_xa_series_desc_init)",
                              desc->struct_size, sizeof *desc);
    memset(plan, 0, sizeof *plan);
    plan->desc = desc;
    const pdva_xa_series_desc *d = desc;
    if (!pdva_encoding_name(d->encoding))
        return pdva_error_set(err, PDVA_ERR_INVALID_ARGUMENT, "unknown encoding %d",
                              (int)d->encoding);
    plan->enhanced = d->encoding == PDVA_ENCODING_ENHANCED_XA;
    plan->xrf = d->encoding == PDVA_ENCODING_XRF;
    plan->frame_per_file = d->encoding == PDVA_ENCODING_XA_FRAME_PER_FILE;

    if (d->rows == 0 || d->columns == 0 || d->rows > 65535 || d->columns > 65535)
        return pdva_error_set(err, PDVA_ERR_INVALID_ARGUMENT,
                              "rows %u x columns %u: each must be 1..65535", d->rows, d->columns);
    if (d->frames == 0)
        return pdva_error_set(err, PDVA_ERR_INVALID_ARGUMENT, "frames is 0");
    if (plan->frame_per_file && d->frames > MAX_FRAME_PER_FILE)
        return pdva_error_set(err, PDVA_ERR_INVALID_ARGUMENT,
                              "%u frames: one file per frame allows at most %u", d->frames,
                              MAX_FRAME_PER_FILE);
    if (d->bits_stored < 8 || d->bits_stored > 16)
        return pdva_error_set(err, PDVA_ERR_INVALID_ARGUMENT, "bits_stored %u is not in 8..16",
                              d->bits_stored);
    if (!plan->enhanced && d->bits_stored != 8 && d->bits_stored != 10 && d->bits_stored != 12 &&
        d->bits_stored != 16)
        return pdva_error_set(err, PDVA_ERR_INVALID_ARGUMENT,
                              "bits_stored %u: the X-Ray Image module allows 8, 10, 12 or 16 "
                              "(the Enhanced XA encoding allows 8..16)",
                              d->bits_stored);
    if (d->encoding == PDVA_ENCODING_XA_JPEG_BASELINE && d->bits_stored != 8)
        return pdva_error_set(err, PDVA_ERR_INVALID_ARGUMENT,
                              "the JPEG baseline encoding takes 8-bit pixels, not %u-bit",
                              d->bits_stored);
    plan->bits_allocated = d->bits_stored == 8 ? 8 : 16;
    uint64_t frames_per_file = plan->frame_per_file ? 1 : d->frames;
    uint64_t bytes = (uint64_t)d->rows * d->columns * frames_per_file * (plan->bits_allocated / 8);
    if (bytes > MAX_ELEMENT_BYTES)
        return pdva_error_set(err, PDVA_ERR_INVALID_ARGUMENT,
                              "%llu bytes of pixel data do not fit one DICOM element",
                              (unsigned long long)bytes);
    if (!d->pixels)
        return pdva_error_set(err, PDVA_ERR_INVALID_ARGUMENT, "pixels is NULL");

    if (!d->pixel_intensity_relationship || strcmp(d->pixel_intensity_relationship, "LIN") == 0)
        plan->pixel_intensity_relationship = "LIN";
    else if (strcmp(d->pixel_intensity_relationship, "LOG") == 0)
        plan->pixel_intensity_relationship = "LOG";
    else
        return pdva_error_set(err, PDVA_ERR_INVALID_ARGUMENT,
                              "pixel_intensity_relationship must be \"LIN\" or \"LOG\"");

    pdva_status st;
    if ((st = check_frame_times(d, plan, err)) != PDVA_OK ||
        (st = check_geometry(d, err)) != PDVA_OK ||
        (st = check_identity(d, plan, err)) != PDVA_OK || (st = check_mask(d, err)) != PDVA_OK ||
        (st = check_pixels(d, err)) != PDVA_OK)
        return st;
    return PDVA_OK;
}
