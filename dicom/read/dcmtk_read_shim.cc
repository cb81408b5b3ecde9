// dcmtk_read_shim.cc — DCMTK behind the reader's C interface (dcmtk_read_shim.h).
//
// Files reach DCMTK only after the bounded pre-scan (prescan.c) has walked them, so that its
// recursive parser never meets nesting deeper than the limits or lengths past the end of the
// file. Values are read with explicit bounds before DCMTK loads them (it allocates what an
// element's length claims), converted from the Specific Character Set to UTF-8 when needed and
// sanitized. Each extern "C" function is one try/catch barrier.
// SPDX-License-Identifier: GPL-3.0-or-later

#include "dcmtk/config/osconfig.h" // must come first

#include "dicom/read/dcmtk_read_shim.h"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <cstring>
#include <exception>
#include <new>
#include <utility>
#include <vector>

#include "dcmtk/dcmdata/dcdeftag.h"
#include "dcmtk/dcmdata/dcerror.h"
#include "dcmtk/dcmdata/dcfcache.h"
#include "dcmtk/dcmdata/dcfilefo.h"
#include "dcmtk/dcmdata/dcitem.h"
#include "dcmtk/dcmdata/dcpixel.h"
#include "dcmtk/dcmdata/dcpixseq.h"
#include "dcmtk/dcmdata/dcpxitem.h"
#include "dcmtk/dcmdata/dcsequen.h"
#include "dcmtk/dcmdata/dcspchrs.h"
#include "dcmtk/dcmdata/dcxfer.h"

extern "C" {
#include "base/alloc.h"
}

struct pdva_dcm_file {
    DcmFileFormat format;
    DcmDataset *dataset = nullptr;
    DcmPixelData *pixel_data = nullptr;
    DcmFileCache cache;
    char name[256] = {0};
    bool charset_ready = false;
    bool charset_usable = false;
    DcmSpecificCharacterSet charset;
};

namespace
{

// Longest value read for a field that should hold a few dozen characters.
const Uint32 kShortValueMax = 1024;

const char *cond_text(const OFCondition &c)
{
    const char *t = c.text();
    return t ? t : "unknown DCMTK error";
}

// DCMTK parse errors to our statuses.
pdva_status status_from_parse_condition(const OFCondition &c)
{
    if (c == EC_MemoryExhausted)
        return PDVA_ERR_NO_MEMORY;
    if (c == EC_StreamNotifyClient || c == EC_EndOfStream || c == EC_InvalidStream ||
        c == EC_SequDelimitationItemMissing)
        return PDVA_ERR_TRUNCATED;
    if (c == EC_InvalidFilename || c == EC_IllegalCall)
        return PDVA_ERR_IO;
    return PDVA_ERR_MALFORMED;
}

// The top-level elements of the dataset being read, sorted by tag: DCMTK's findAndGetElement()
// searches a list linearly, and some eighty look-ups per file cost more than parsing it.
struct TopIndex {
    DcmItem *dataset = nullptr;
    std::vector<std::pair<Uint32, DcmElement *>> elements;
};

// Set for the duration of one header extraction on this thread (see IndexScope).
thread_local const TopIndex *current_index = nullptr;

class IndexScope
{
  public:
    explicit IndexScope(DcmItem *dataset)
    {
        index_.dataset = dataset;
        DcmObject *obj = nullptr;
        while ((obj = dataset->nextInContainer(obj)) != nullptr) {
            const DcmTag &tag = obj->getTag();
            Uint32 key = (static_cast<Uint32>(tag.getGroup()) << 16) | tag.getElement();
            index_.elements.emplace_back(key, static_cast<DcmElement *>(obj));
        }
        std::stable_sort(index_.elements.begin(), index_.elements.end(),
                         [](const auto &a, const auto &b) { return a.first < b.first; });
        current_index = &index_;
    }
    ~IndexScope()
    {
        current_index = nullptr;
    }
    IndexScope(const IndexScope &) = delete;
    IndexScope &operator=(const IndexScope &) = delete;

  private:
    TopIndex index_;
};

DcmElement *find_element(DcmItem *item, const DcmTagKey &key)
{
    if (!item)
        return nullptr;
    if (current_index && current_index->dataset == item) {
        Uint32 k = (static_cast<Uint32>(key.getGroup()) << 16) | key.getElement();
        const auto &v = current_index->elements;
        auto it = std::lower_bound(v.begin(), v.end(), k,
                                   [](const auto &a, Uint32 b) { return a.first < b; });
        return it != v.end() && it->first == k ? it->second : nullptr;
    }
    DcmElement *el = nullptr;
    if (item->findAndGetElement(key, el, OFFalse).bad())
        return nullptr;
    return el;
}

// The raw text of an element (all values, backslash-separated), unless longer than max_len.
bool get_raw(DcmItem *item, const DcmTagKey &key, OFString &out, Uint32 max_len,
             bool *too_long = nullptr)
{
    out.clear();
    DcmElement *el = find_element(item, key);
    if (!el || el->ident() == EVR_SQ || el->ident() == EVR_pixelSQ)
        return false;
    if (el->getLengthField() > max_len) {
        if (too_long)
            *too_long = true;
        return false;
    }
    if (el->getLengthField() == 0)
        return false;
    return el->getOFStringArray(out, OFTrue).good();
}

void copy_out(char *dst, size_t cap, const OFString &s)
{
    pdva_read_copy_trimmed(dst, cap, s.c_str(), s.length());
}

// A plain (ASCII) value: UIDs, code strings, numbers as text.
void get_plain(DcmItem *item, const DcmTagKey &key, char *dst, size_t cap)
{
    OFString raw;
    dst[0] = '\0';
    if (get_raw(item, key, raw, kShortValueMax))
        copy_out(dst, cap, raw);
}

bool needs_conversion(const OFString &s)
{
    for (size_t i = 0; i < s.length(); i++) {
        unsigned char c = static_cast<unsigned char>(s[i]);
        if (c >= 0x80 || c == 0x1B)
            return true;
    }
    return false;
}

// A text value in the Specific Character Set: converted to UTF-8, else sanitized as is.
void get_text(pdva_dcm_file *f, DcmItem *item, const DcmTagKey &key, const char *delimiters,
              char *dst, size_t cap, bool *failed)
{
    OFString raw;
    dst[0] = '\0';
    if (!get_raw(item, key, raw, kShortValueMax))
        return;
    if (needs_conversion(raw)) {
        if (!f->charset_ready) {
            f->charset_ready = true;
            f->charset_usable = DcmSpecificCharacterSet::isConversionAvailable() &&
                                f->charset.selectCharacterSet(*f->dataset).good();
        }
        OFString converted;
        if (f->charset_usable &&
            f->charset.convertString(raw, converted, delimiters ? delimiters : "").good() &&
            pdva_read_is_valid_utf8(converted.c_str(), converted.length())) {
            copy_out(dst, cap, converted);
            return;
        }
        *failed = true;
    }
    copy_out(dst, cap, raw);
}

bool get_u16(DcmItem *item, const DcmTagKey &key, uint16_t *out)
{
    Uint16 v = 0;
    DcmElement *el = find_element(item, key);
    if (!el || el->getLengthField() < 2 || el->getLengthField() > kShortValueMax)
        return false;
    if (el->getUint16(v, 0).good()) {
        *out = v;
        return true;
    }
    Sint16 s = 0;
    if (el->getSint16(s, 0).good()) {
        *out = static_cast<uint16_t>(s);
        return true;
    }
    return false;
}

DcmSequenceOfItems *find_sequence(DcmItem *item, const DcmTagKey &key)
{
    DcmElement *el = find_element(item, key);
    if (!el || el->ident() != EVR_SQ)
        return nullptr;
    return static_cast<DcmSequenceOfItems *>(el);
}

DcmItem *sequence_item(DcmItem *item, const DcmTagKey &key, unsigned long index)
{
    DcmSequenceOfItems *sq = find_sequence(item, key);
    if (!sq || index >= sq->card())
        return nullptr;
    return sq->getItem(index);
}

DcmItem *group_item(DcmItem *ds, const DcmTagKey &groups, unsigned long index)
{
    return sequence_item(ds, groups, index);
}

DcmItem *macro_item(DcmItem *group, const DcmTagKey &macro)
{
    return group ? sequence_item(group, macro, 0) : nullptr;
}

// An attribute of any functional group macro: the first item of each sequence in the shared
// group, then in the first per-frame group.
bool find_in_groups(DcmItem *ds, const DcmTagKey &key, OFString &out)
{
    const DcmTagKey groups[2] = {DCM_SharedFunctionalGroupsSequence,
                                 DCM_PerFrameFunctionalGroupsSequence};
    for (const DcmTagKey &g : groups) {
        DcmItem *gi = group_item(ds, g, 0);
        if (!gi)
            continue;
        for (unsigned long i = 0; i < gi->card(); i++) {
            DcmElement *el = gi->getElement(i);
            if (!el || el->ident() != EVR_SQ)
                continue;
            DcmSequenceOfItems *sq = static_cast<DcmSequenceOfItems *>(el);
            if (sq->card() == 0)
                continue;
            if (get_raw(sq->getItem(0), key, out, kShortValueMax))
                return true;
        }
    }
    return false;
}

// Top level first, then the functional groups.
void get_plain_anywhere(DcmItem *ds, const DcmTagKey &key, char *dst, size_t cap)
{
    get_plain(ds, key, dst, cap);
    if (dst[0])
        return;
    OFString raw;
    if (find_in_groups(ds, key, raw))
        copy_out(dst, cap, raw);
}

// A per-group-macro value: shared group first, then the first per-frame group.
bool get_macro_value(DcmItem *ds, const DcmTagKey &macro, const DcmTagKey &key, OFString &out)
{
    if (get_raw(macro_item(group_item(ds, DCM_SharedFunctionalGroupsSequence, 0), macro), key, out,
                kShortValueMax))
        return true;
    return get_raw(macro_item(group_item(ds, DCM_PerFrameFunctionalGroupsSequence, 0), macro), key,
                   out, kShortValueMax);
}

int64_t dt_us(DcmItem *item, const DcmTagKey &key)
{
    OFString raw;
    int64_t us = PDVA_READ_NO_TIME;
    if (get_raw(item, key, raw, kShortValueMax) && !pdva_read_parse_dt(raw.c_str(), &us))
        us = PDVA_READ_NO_TIME;
    return us;
}

pdva_status extract_modality_lut(DcmItem *ds, pdva_read_header *h, pdva_error **err)
{
    DcmItem *lut = sequence_item(ds, DCM_ModalityLUTSequence, 0);
    if (!lut)
        return PDVA_OK;
    h->has_modality_lut = true;
    DcmElement *desc = find_element(lut, DCM_LUTDescriptor);
    DcmElement *data = find_element(lut, DCM_LUTData);
    Uint16 d[3] = {0, 0, 0};
    bool ok = desc && desc->getVM() == 3 && desc->getLengthField() == 6;
    for (unsigned long i = 0; ok && i < 3; i++) {
        Sint16 s = 0;
        if (desc->getUint16(d[i], i).bad()) {
            if (desc->getSint16(s, i).bad())
                ok = false;
            d[i] = static_cast<Uint16>(s);
        }
    }
    uint32_t entries = d[0] == 0 ? 65536u : d[0];
    if (ok && (d[2] < 8 || d[2] > 16))
        ok = false;
    if (ok && (!data || data->getLengthField() != 2 * entries))
        ok = false;
    Uint16 *values = nullptr;
    if (ok && (data->getUint16Array(values).bad() || !values))
        ok = false;
    if (!ok) {
        h->modality_lut_unusable = true;
        pdva_read_note(h->warnings, sizeof h->warnings,
                       "Modality LUT Sequence is malformed (descriptor or data): ignored");
        return PDVA_OK;
    }
    h->lut_data = static_cast<uint16_t *>(pdva_alloc_array(entries, sizeof(uint16_t)));
    if (!h->lut_data)
        return pdva_error_set(err, PDVA_ERR_NO_MEMORY, "out of memory for a Modality LUT");
    std::memcpy(h->lut_data, values, entries * sizeof(uint16_t));
    h->lut_entries = entries;
    h->lut_first_mapped = d[1]; // reinterpreted as signed by the caller when pixels are signed
    h->lut_bits = d[2];
    data->compact();
    return PDVA_OK;
}

pdva_status extract_per_frame(pdva_dcm_file *f, const pdva_limits *limits, pdva_read_header *h,
                              pdva_error **err)
{
    DcmItem *ds = f->dataset;
    h->has_shared_groups = group_item(ds, DCM_SharedFunctionalGroupsSequence, 0) != nullptr;
    DcmSequenceOfItems *pf = find_sequence(ds, DCM_PerFrameFunctionalGroupsSequence);
    if (!pf)
        return PDVA_OK;
    h->has_per_frame_groups = true;
    unsigned long n = pf->card();
    h->n_per_frame_items = n > UINT32_MAX ? UINT32_MAX : static_cast<uint32_t>(n);
    if (n == 0 || n > limits->max_frames)
        return PDVA_OK;
    h->frame_acq_dt_us = static_cast<int64_t *>(pdva_alloc_array(n, sizeof(int64_t)));
    h->frame_ref_dt_us = static_cast<int64_t *>(pdva_alloc_array(n, sizeof(int64_t)));
    h->frame_duration_ms = static_cast<double *>(pdva_alloc_array(n, sizeof(double)));
    if (!h->frame_acq_dt_us || !h->frame_ref_dt_us || !h->frame_duration_ms)
        return pdva_error_set(err, PDVA_ERR_NO_MEMORY, "out of memory for per-frame times");
    h->n_frame_values = static_cast<uint32_t>(n);
    OFString first_spacing, first_slope, first_intercept;
    // Walk the items in list order: getItem(i) would seek from the start each time.
    DcmObject *obj = nullptr;
    for (unsigned long i = 0; i < n; i++) {
        obj = pf->nextInContainer(obj);
        DcmItem *item = obj ? static_cast<DcmItem *>(obj) : nullptr;
        h->frame_acq_dt_us[i] = PDVA_READ_NO_TIME;
        h->frame_ref_dt_us[i] = PDVA_READ_NO_TIME;
        h->frame_duration_ms[i] = NAN;
        if (!item)
            continue;
        DcmItem *fc = macro_item(item, DCM_FrameContentSequence);
        if (fc) {
            h->frame_acq_dt_us[i] = dt_us(fc, DCM_FrameAcquisitionDateTime);
            h->frame_ref_dt_us[i] = dt_us(fc, DCM_FrameReferenceDateTime);
            Float64 d = 0;
            DcmElement *el = find_element(fc, DCM_FrameAcquisitionDuration);
            if (el && el->getLengthField() == 8 && el->getFloat64(d, 0).good() && std::isfinite(d))
                h->frame_duration_ms[i] = d;
        }
        OFString v;
        if (get_raw(macro_item(item, DCM_PixelMeasuresSequence), DCM_PixelSpacing, v,
                    kShortValueMax)) {
            if (i == 0 || first_spacing.empty())
                first_spacing = v;
            else if (v != first_spacing)
                h->pixel_spacing_varies = true;
        }
        DcmItem *pvt = macro_item(item, DCM_PixelValueTransformationSequence);
        if (pvt) {
            OFString s, b;
            get_raw(pvt, DCM_RescaleSlope, s, kShortValueMax);
            get_raw(pvt, DCM_RescaleIntercept, b, kShortValueMax);
            if (i == 0) {
                first_slope = s;
                first_intercept = b;
            } else if (s != first_slope || b != first_intercept) {
                h->rescale_varies = true;
            }
        }
    }
    return PDVA_OK;
}

pdva_status extract_header(pdva_dcm_file *f, const pdva_limits *limits, pdva_read_header *h,
                           pdva_error **err)
{
    DcmItem *ds = f->dataset;
    bool failed = false;
    get_plain(ds, DCM_SOPClassUID, h->sop_class_uid, sizeof h->sop_class_uid);
    get_plain(ds, DCM_SOPInstanceUID, h->sop_instance_uid, sizeof h->sop_instance_uid);
    get_plain(ds, DCM_StudyInstanceUID, h->study_instance_uid, sizeof h->study_instance_uid);
    get_plain(ds, DCM_SeriesInstanceUID, h->series_instance_uid, sizeof h->series_instance_uid);
    get_plain(ds, DCM_Modality, h->modality, sizeof h->modality);
    get_text(f, ds, DCM_PatientID, "\\", h->patient_id, sizeof h->patient_id, &failed);
    get_text(f, ds, DCM_PatientName, "\\^=", h->patient_name, sizeof h->patient_name, &failed);
    get_plain(ds, DCM_StudyDate, h->study_date, sizeof h->study_date);
    get_plain(ds, DCM_StudyTime, h->study_time, sizeof h->study_time);
    get_text(f, ds, DCM_SeriesDescription, "\\", h->series_description,
             sizeof h->series_description, &failed);
    get_text(f, ds, DCM_BodyPartExamined, "\\", h->body_part_examined, sizeof h->body_part_examined,
             &failed);
    get_plain(ds, DCM_SeriesNumber, h->series_number, sizeof h->series_number);
    get_plain(ds, DCM_InstanceNumber, h->instance_number, sizeof h->instance_number);
    get_plain(ds, DCM_ImageLaterality, h->image_laterality, sizeof h->image_laterality);
    get_plain(ds, DCM_Laterality, h->laterality, sizeof h->laterality);
    OFString v;
    if (find_in_groups(ds, DCM_FrameLaterality, v))
        copy_out(h->frame_laterality, sizeof h->frame_laterality, v);
    h->charset_conversion_failed = failed;

    h->has_rows = get_u16(ds, DCM_Rows, &h->rows);
    h->has_columns = get_u16(ds, DCM_Columns, &h->columns);
    h->has_bits_allocated = get_u16(ds, DCM_BitsAllocated, &h->bits_allocated);
    h->has_bits_stored = get_u16(ds, DCM_BitsStored, &h->bits_stored);
    h->has_high_bit = get_u16(ds, DCM_HighBit, &h->high_bit);
    h->has_pixel_representation = get_u16(ds, DCM_PixelRepresentation, &h->pixel_representation);
    h->has_samples_per_pixel = get_u16(ds, DCM_SamplesPerPixel, &h->samples_per_pixel);
    get_plain(ds, DCM_PhotometricInterpretation, h->photometric, sizeof h->photometric);
    h->has_number_of_frames = find_element(ds, DCM_NumberOfFrames) != nullptr;
    get_plain(ds, DCM_NumberOfFrames, h->number_of_frames, sizeof h->number_of_frames);

    get_plain(ds, DCM_RescaleSlope, h->rescale_slope, sizeof h->rescale_slope);
    get_plain(ds, DCM_RescaleIntercept, h->rescale_intercept, sizeof h->rescale_intercept);
    if (!h->rescale_slope[0] && !h->rescale_intercept[0]) {
        if (get_macro_value(ds, DCM_PixelValueTransformationSequence, DCM_RescaleSlope, v))
            copy_out(h->rescale_slope, sizeof h->rescale_slope, v);
        if (get_macro_value(ds, DCM_PixelValueTransformationSequence, DCM_RescaleIntercept, v))
            copy_out(h->rescale_intercept, sizeof h->rescale_intercept, v);
    }
    get_plain(ds, DCM_PixelIntensityRelationship, h->pixel_intensity_relationship,
              sizeof h->pixel_intensity_relationship);
    DcmElement *sign = find_element(ds, DCM_PixelIntensityRelationshipSign);
    Sint16 sv = 0;
    if (sign && sign->getLengthField() == 2 && sign->getSint16(sv, 0).good()) {
        h->has_pixel_intensity_sign = true;
        h->pixel_intensity_sign = sv;
    }
    get_plain(ds, DCM_LossyImageCompression, h->lossy_image_compression,
              sizeof h->lossy_image_compression);
    get_plain(ds, DCM_RETIRED_LossyImageCompressionRetired, h->lossy_image_compression_retired,
              sizeof h->lossy_image_compression_retired);
    pdva_status st = extract_modality_lut(ds, h, err);
    if (st != PDVA_OK)
        return st;

    // timing
    get_plain(ds, DCM_FrameTime, h->frame_time, sizeof h->frame_time);
    uint64_t ftv_max = static_cast<uint64_t>(limits->max_frames) * 17u + 64u;
    if (ftv_max > 0xFFFFFFF0u)
        ftv_max = 0xFFFFFFF0u;
    bool too_long = false;
    if (get_raw(ds, DCM_FrameTimeVector, v, static_cast<Uint32>(ftv_max), &too_long)) {
        h->frame_time_vector = static_cast<char *>(pdva_malloc(v.length() + 1));
        if (!h->frame_time_vector)
            return pdva_error_set(err, PDVA_ERR_NO_MEMORY, "out of memory for Frame Time Vector");
        std::memcpy(h->frame_time_vector, v.c_str(), v.length() + 1);
        h->frame_time_vector_len = v.length();
        DcmElement *el = find_element(ds, DCM_FrameTimeVector);
        if (el)
            el->compact();
    }
    h->frame_time_vector_too_long = too_long;
    DcmElement *fip = find_element(ds, DCM_FrameIncrementPointer);
    if (fip && fip->getLengthField() <= 4 * PDVA_READ_MAX_FIP) {
        unsigned long vm = fip->getVM();
        for (unsigned long i = 0; i < vm && h->n_fip < PDVA_READ_MAX_FIP; i++) {
            DcmTagKey key;
            if (fip->getTagVal(key, i).good())
                h->fip[h->n_fip++] =
                    (static_cast<uint32_t>(key.getGroup()) << 16) | key.getElement();
        }
    }
    get_plain(ds, DCM_CineRate, h->cine_rate, sizeof h->cine_rate);
    get_plain(ds, DCM_RecommendedDisplayFrameRate, h->display_frame_rate,
              sizeof h->display_frame_rate);
    get_plain(ds, DCM_AcquisitionDateTime, h->acquisition_datetime, sizeof h->acquisition_datetime);
    get_plain(ds, DCM_AcquisitionDate, h->acquisition_date, sizeof h->acquisition_date);
    get_plain(ds, DCM_AcquisitionTime, h->acquisition_time, sizeof h->acquisition_time);
    get_plain(ds, DCM_ContentDate, h->content_date, sizeof h->content_date);
    get_plain(ds, DCM_ContentTime, h->content_time, sizeof h->content_time);
    get_plain(ds, DCM_FrameAcquisitionDateTime, h->frame_acquisition_datetime,
              sizeof h->frame_acquisition_datetime);
    if (!h->frame_acquisition_datetime[0]) {
        if (get_macro_value(ds, DCM_FrameContentSequence, DCM_FrameAcquisitionDateTime, v))
            copy_out(h->frame_acquisition_datetime, sizeof h->frame_acquisition_datetime, v);
    }
    st = extract_per_frame(f, limits, h, err);
    if (st != PDVA_OK)
        return st;

    // geometry
    get_plain(ds, DCM_PixelSpacing, h->pixel_spacing, sizeof h->pixel_spacing);
    if (!h->pixel_spacing[0] &&
        get_macro_value(ds, DCM_PixelMeasuresSequence, DCM_PixelSpacing, v)) {
        copy_out(h->pixel_spacing, sizeof h->pixel_spacing, v);
        h->pixel_spacing_from_groups = true;
    }
    get_plain_anywhere(ds, DCM_ImagerPixelSpacing, h->imager_pixel_spacing,
                       sizeof h->imager_pixel_spacing);
    get_plain_anywhere(ds, DCM_EstimatedRadiographicMagnificationFactor, h->ermf, sizeof h->ermf);
    get_plain_anywhere(ds, DCM_DistanceSourceToDetector, h->dsd, sizeof h->dsd);
    get_plain_anywhere(ds, DCM_DistanceSourceToPatient, h->dsp, sizeof h->dsp);
    get_plain_anywhere(ds, DCM_DistanceSourceToIsocenter, h->dsi, sizeof h->dsi);
    get_plain_anywhere(ds, DCM_PositionerPrimaryAngle, h->positioner_primary,
                       sizeof h->positioner_primary);
    get_plain_anywhere(ds, DCM_PositionerSecondaryAngle, h->positioner_secondary,
                       sizeof h->positioner_secondary);

    // mask subtraction
    DcmItem *mask = sequence_item(ds, DCM_MaskSubtractionSequence, 0);
    if (mask) {
        h->has_mask_subtraction = true;
        get_plain(mask, DCM_MaskOperation, h->mask_operation, sizeof h->mask_operation);
        DcmElement *frames = find_element(mask, DCM_MaskFrameNumbers);
        if (frames && frames->getLengthField() <= 2 * 65536u) {
            unsigned long vm = frames->getVM();
            h->n_mask_frames_total = vm > UINT32_MAX ? UINT32_MAX : static_cast<uint32_t>(vm);
            for (unsigned long i = 0; i < vm && h->n_mask_frames < PDVA_MAX_MASK_FRAMES; i++) {
                Uint16 fn = 0;
                if (frames->getUint16(fn, i).good())
                    h->mask_frames_1based[h->n_mask_frames++] = fn;
            }
        }
    }
    get_plain(ds, DCM_RecommendedViewingMode, h->recommended_viewing_mode,
              sizeof h->recommended_viewing_mode);
    return PDVA_OK;
}

} // namespace

extern "C" pdva_status pdva_dcm_file_open(const char *path, const pdva_read_prescan *scan,
                                          bool header_only, pdva_dcm_file **out, pdva_error **err)
{
    *out = nullptr;
    const char *name = pdva_read_basename(path);
    pdva_dcm_file *f = nullptr;
    try {
        f = new (std::nothrow) pdva_dcm_file();
        if (!f)
            return pdva_error_set(err, PDVA_ERR_NO_MEMORY, "%s: out of memory", name);
        std::snprintf(f->name, sizeof f->name, "%s", name);
        OFCondition c = header_only ? f->format.loadFileUntilTag(path, EXS_Unknown, EGL_noChange,
                                                                 PDVA_DCM_MAX_READ_LENGTH,
                                                                 ERM_fileOnly, DCM_PixelData)
                                    : f->format.loadFile(path, EXS_Unknown, EGL_noChange,
                                                         PDVA_DCM_MAX_READ_LENGTH, ERM_fileOnly);
        // The pre-scan accepted a pixel sequence that only lacks its final delimiter; DCMTK
        // reports that but keeps every fragment.
        bool tolerated = scan && scan->pixel_sequence_unterminated &&
                         (c == EC_SequDelimitationItemMissing || c == EC_StreamNotifyClient ||
                          c == EC_EndOfStream);
        if (c.bad() && !tolerated) {
            pdva_status st = status_from_parse_condition(c);
            delete f;
            return pdva_error_set(err, st, "%s: DCMTK cannot parse the file: %s", name,
                                  cond_text(c));
        }
        f->dataset = f->format.getDataset();
        if (!f->dataset) {
            delete f;
            return pdva_error_set(err, PDVA_ERR_MALFORMED, "%s: no dataset", name);
        }
        DcmElement *el = find_element(f->dataset, DCM_PixelData);
        if (el && el->ident() == EVR_PixelData)
            f->pixel_data = static_cast<DcmPixelData *>(el);
        *out = f;
        return PDVA_OK;
    } catch (const std::bad_alloc &) {
        delete f;
        return pdva_error_set(err, PDVA_ERR_NO_MEMORY, "%s: out of memory in DCMTK", name);
    } catch (const std::exception &e) {
        // DCMTK threw on this file's content (e.g. 3.6.7's DcmByteString::verify): a malformed
        // file, whatever DCMTK may have left behind
        delete f;
        return pdva_error_set(err, PDVA_ERR_MALFORMED, "%s: DCMTK failed on the file (%s)", name,
                              e.what());
    } catch (...) {
        delete f;
        return pdva_error_set(err, PDVA_ERR_MALFORMED, "%s: DCMTK failed on the file", name);
    }
}

extern "C" pdva_status pdva_dcm_file_header(pdva_dcm_file *file, const pdva_limits *limits,
                                            pdva_read_header *hdr, pdva_error **err)
{
    std::memset(hdr, 0, sizeof *hdr);
    try {
        IndexScope scope(file->dataset);
        pdva_status st = extract_header(file, limits, hdr, err);
        if (st != PDVA_OK)
            pdva_error_prefix(err, "%s", file->name);
        return st;
    } catch (const std::bad_alloc &) {
        return pdva_error_set(err, PDVA_ERR_NO_MEMORY, "%s: out of memory in DCMTK", file->name);
    } catch (...) {
        return pdva_error_set(err, PDVA_ERR_INTERNAL, "%s: unexpected exception in DCMTK",
                              file->name);
    }
}

extern "C" pdva_status pdva_dcm_file_ids(pdva_dcm_file *file, char series_uid[PDVA_UID_MAX],
                                         char number_of_frames[PDVA_READ_STR], pdva_error **err)
{
    try {
        get_plain(file->dataset, DCM_SeriesInstanceUID, series_uid, PDVA_UID_MAX);
        get_plain(file->dataset, DCM_NumberOfFrames, number_of_frames, PDVA_READ_STR);
        return PDVA_OK;
    } catch (const std::bad_alloc &) {
        return pdva_error_set(err, PDVA_ERR_NO_MEMORY, "%s: out of memory in DCMTK", file->name);
    } catch (...) {
        return pdva_error_set(err, PDVA_ERR_INTERNAL, "%s: unexpected exception in DCMTK",
                              file->name);
    }
}

extern "C" pdva_status pdva_dcm_file_decode(pdva_dcm_file *file, uint32_t frame,
                                            uint32_t first_item, uint32_t last_item, void *buf,
                                            size_t buf_size, pdva_error **err)
{
    try {
        if (!file->pixel_data)
            return pdva_error_set(err, PDVA_ERR_DECODE, "%s: no Pixel Data", file->name);
        if (buf_size > 0xFFFFFFFEu)
            return pdva_error_set(err, PDVA_ERR_LIMIT_EXCEEDED, "%s: frame too large", file->name);
        Uint32 start = first_item;
        OFString color;
        OFCondition c = file->pixel_data->getUncompressedFrame(
            file->dataset, frame, start, buf, static_cast<Uint32>(buf_size), color, &file->cache);
        // Release the fragments the codec loaded (the JPEG-LS codec keeps them otherwise).
        if (first_item > 0) {
            E_TransferSyntax rep = EXS_Unknown;
            const DcmRepresentationParameter *param = nullptr;
            file->pixel_data->getCurrentRepresentationKey(rep, param);
            DcmPixelSequence *seq = nullptr;
            if (file->pixel_data->getEncapsulatedRepresentation(rep, param, seq).good() && seq) {
                unsigned long card = seq->card();
                unsigned long end = last_item + 1UL < card ? last_item + 1UL : card;
                for (unsigned long i = first_item; i < end; i++) {
                    DcmPixelItem *item = nullptr;
                    if (seq->getItem(item, i).good() && item)
                        item->compact();
                }
            }
        }
        if (c.bad()) {
            pdva_status st = PDVA_ERR_DECODE;
            if (c == EC_MemoryExhausted)
                st = PDVA_ERR_NO_MEMORY;
            else if (c == EC_InvalidStream || c == EC_EndOfStream || c == EC_StreamNotifyClient)
                st = PDVA_ERR_TRUNCATED;
            return pdva_error_set(err, st, "%s: frame %u cannot be decoded: %s", file->name, frame,
                                  cond_text(c));
        }
        if (color.compare(0, 10, "MONOCHROME") != 0)
            return pdva_error_set(err, PDVA_ERR_UNSUPPORTED,
                                  "%s: frame %u decodes to colour model %s, not monochrome",
                                  file->name, frame, color.c_str());
        return PDVA_OK;
    } catch (const std::bad_alloc &) {
        return pdva_error_set(err, PDVA_ERR_NO_MEMORY, "%s: out of memory decoding frame %u",
                              file->name, frame);
    } catch (...) {
        return pdva_error_set(err, PDVA_ERR_INTERNAL, "%s: unexpected exception decoding frame %u",
                              file->name, frame);
    }
}

extern "C" pdva_status pdva_dcm_file_read_native(pdva_dcm_file *file, uint64_t offset, void *buf,
                                                 size_t len, pdva_error **err)
{
    try {
        if (!file->pixel_data)
            return pdva_error_set(err, PDVA_ERR_DECODE, "%s: no Pixel Data", file->name);
        if (offset > 0xFFFFFFFEu || len > 0xFFFFFFFEu - offset)
            return pdva_error_set(err, PDVA_ERR_DECODE, "%s: pixel data offset out of range",
                                  file->name);
        OFCondition c = file->pixel_data->getPartialValue(buf, static_cast<Uint32>(offset),
                                                          static_cast<Uint32>(len), &file->cache,
                                                          gLocalByteOrder);
        if (c.bad()) {
            pdva_status st =
                c == EC_InvalidStream || c == EC_TooManyBytesRequested || c == EC_InvalidOffset
                    ? PDVA_ERR_TRUNCATED
                    : PDVA_ERR_IO;
            return pdva_error_set(err, st, "%s: cannot read pixel data at byte %llu: %s",
                                  file->name, static_cast<unsigned long long>(offset),
                                  cond_text(c));
        }
        return PDVA_OK;
    } catch (const std::bad_alloc &) {
        return pdva_error_set(err, PDVA_ERR_NO_MEMORY, "%s: out of memory reading pixel data",
                              file->name);
    } catch (...) {
        return pdva_error_set(err, PDVA_ERR_INTERNAL, "%s: unexpected exception reading pixel data",
                              file->name);
    }
}

extern "C" void pdva_dcm_file_destroy(pdva_dcm_file *file)
{
    try {
        delete file;
    } catch (...) {
        // nothing sensible to do; DCMTK destructors do not throw in practice
    }
}

extern "C" pdva_status pdva_dcm_dicomdir_files(pdva_dcm_file *file, pdva_dcm_file_id_fn fn,
                                               void *ctx, pdva_error **err)
{
    try {
        DcmSequenceOfItems *records = nullptr;
        if (file->dataset->findAndGetSequence(DCM_DirectoryRecordSequence, records, OFFalse)
                .bad() ||
            !records)
            return pdva_error_set(err, PDVA_ERR_MALFORMED,
                                  "%s: DICOMDIR without Directory Record Sequence", file->name);
        DcmObject *obj = nullptr;
        while ((obj = records->nextInContainer(obj)) != nullptr) {
            OFString id;
            if (!get_raw(static_cast<DcmItem *>(obj), DCM_ReferencedFileID, id, kShortValueMax))
                continue;
            pdva_status st = fn(ctx, id.c_str(), err);
            if (st != PDVA_OK)
                return st;
        }
        return PDVA_OK;
    } catch (const std::bad_alloc &) {
        return pdva_error_set(err, PDVA_ERR_NO_MEMORY, "%s: out of memory in DCMTK", file->name);
    } catch (...) {
        return pdva_error_set(err, PDVA_ERR_INTERNAL, "%s: unexpected exception in DCMTK",
                              file->name);
    }
}
