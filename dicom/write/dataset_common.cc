// dataset_common.cc — the attribute helper and the modules every written IOD shares (Patient,
// General Study, General Series, General Equipment, SOP Common, Image Pixel).
// SPDX-License-Identifier: GPL-3.0-or-later
#include "dicom/write/dataset.hh"

#include <cmath>
#include <cstdio>
#include <cstring>
#include <string>

#include <dcmtk/dcmdata/dcuid.h>
#include <dcmtk/dcmdata/dcvrobow.h>

#include "pdva/pdva.h"

namespace pdva_write
{

bool Attrs::fail(const DcmTagKey &tag, OFCondition cond)
{
    if (cond.good())
        return true;
    if (status_.good()) {
        status_ = cond;
        failed_tag_ = tag;
    }
    return false;
}

Attrs &Attrs::str(const DcmTagKey &tag, const char *value)
{
    if (ok())
        fail(tag, item_->putAndInsertString(tag, value ? value : ""));
    return *this;
}

Attrs &Attrs::empty(const DcmTagKey &tag)
{
    if (ok())
        fail(tag, item_->insertEmptyElement(tag));
    return *this;
}

Attrs &Attrs::nums(const DcmTagKey &tag, const double *values, size_t count)
{
    if (!ok())
        return *this;
    // Ambiguous dictionary VRs (US or SS: LUT Descriptor) are written unsigned.
    DcmTag dcm_tag(tag);
    if (dcm_tag.getEVR() == EVR_xs)
        dcm_tag.setVR(EVR_US);
    DcmElement *elem = nullptr;
    if (!fail(tag, DcmItem::newDicomElementWithVR(elem, dcm_tag)) || !elem)
        return *this;
    OFCondition cond = EC_Normal;
    const DcmEVR vr = elem->getTag().getEVR();
    if (vr == EVR_DS || vr == EVR_IS) {
        std::string joined;
        for (size_t i = 0; i < count; i++) {
            char buf[PDVA_WRITE_DS_MAX];
            if (vr == EVR_DS)
                pdva_write_format_ds(values[i], buf);
            else
                std::snprintf(buf, sizeof buf, "%lld",
                              static_cast<long long>(std::llround(values[i])));
            if (i)
                joined += '\\';
            joined += buf;
        }
        cond = elem->putString(joined.c_str());
    } else {
        for (size_t i = 0; i < count && cond.good(); i++) {
            const unsigned long pos = static_cast<unsigned long>(i);
            switch (vr) {
            case EVR_FD:
                cond = elem->putFloat64(values[i], pos);
                break;
            case EVR_FL:
                cond = elem->putFloat32(static_cast<Float32>(values[i]), pos);
                break;
            case EVR_US:
                cond = elem->putUint16(static_cast<Uint16>(std::lround(values[i])), pos);
                break;
            case EVR_SS:
                cond = elem->putSint16(static_cast<Sint16>(std::lround(values[i])), pos);
                break;
            case EVR_UL:
                cond = elem->putUint32(static_cast<Uint32>(std::llround(values[i])), pos);
                break;
            case EVR_SL:
                cond = elem->putSint32(static_cast<Sint32>(std::lround(values[i])), pos);
                break;
            default:
                cond = EC_IllegalCall;
                break;
            }
        }
    }
    if (cond.good())
        cond = item_->insert(elem, OFTrue);
    if (cond.bad())
        delete elem;
    fail(tag, cond);
    return *this;
}

Attrs &Attrs::tag_value(const DcmTagKey &tag, const DcmTagKey &value)
{
    if (ok())
        fail(tag, item_->putAndInsertTagKey(tag, value));
    return *this;
}

Attrs &Attrs::words(const DcmTag &tag, const Uint16 *values, size_t count)
{
    if (!ok())
        return *this;
    DcmOtherByteOtherWord *elem = new DcmOtherByteOtherWord(tag);
    OFCondition cond = elem->putUint16Array(values, static_cast<unsigned long>(count));
    if (cond.good())
        cond = item_->insert(elem, OFTrue);
    if (cond.bad())
        delete elem;
    fail(tag, cond);
    return *this;
}

Attrs Attrs::item(const DcmTagKey &seq)
{
    DcmItem *child = nullptr;
    if (ok() && fail(seq, item_->findOrCreateSequenceItem(seq, child, -2)) && !child)
        fail(seq, EC_MemoryExhausted);
    return Attrs(status_.good() ? child : nullptr, status_, failed_tag_);
}

Attrs &Attrs::code(const DcmTagKey &seq, const char *value, const char *scheme, const char *meaning)
{
    item(seq)
        .str(DCM_CodeValue, value)
        .str(DCM_CodingSchemeDesignator, scheme)
        .str(DCM_CodeMeaning, meaning);
    return *this;
}

AnatomyCode anatomy_code(const char *body_part)
{
    // SNOMED CT codes of PS3.16 CID 4031 for the body parts a p-DVA control images.
    static const struct {
        const char *body_part;
        AnatomyCode code;
    } table[] = {
        {"FOOT", {"56459004", "Foot"}},      {"ANKLE", {"344001", "Ankle"}},
        {"LEG", {"30021000", "Lower leg"}},  {"CALF", {"53840002", "Calf of leg"}},
        {"KNEE", {"72696002", "Knee"}},      {"THIGH", {"68367000", "Thigh"}},
        {"TOE", {"29707007", "Toe"}},        {"HEEL", {"76853006", "Heel"}},
        {"EXTREMITY", {"66019005", "Limb"}}, {"LOWER LIMB", {"61685007", "Lower limb"}},
    };
    if (body_part)
        for (const auto &entry : table)
            if (std::strcmp(entry.body_part, body_part) == 0)
                return entry.code;
    return {"61685007", "Lower limb"};
}

void context_init(Context &ctx, const pdva_write_instance *inst)
{
    ctx.inst = inst;
    ctx.plan = inst->plan;
    ctx.desc = inst->plan->desc;
    const int64_t start = ctx.plan->start_us;
    pdva_write_dt_format_da(start, ctx.start_da);
    pdva_write_dt_format_tm(start, ctx.start_tm);
    pdva_write_dt_format_dt(start, ctx.start_dt);
    const int64_t content = start + pdva_write_frame_offset_us(ctx.plan, inst->first_frame);
    pdva_write_dt_format_da(content, ctx.content_da);
    pdva_write_dt_format_tm(content, ctx.content_tm);
    pdva_write_dt_format_dt(content, ctx.content_dt);
}

static const char *sop_class_uid(const pdva_write_plan *plan)
{
    if (plan->enhanced)
        return UID_EnhancedXAImageStorage;
    if (plan->xrf)
        return UID_XRayRadiofluoroscopicImageStorage;
    return UID_XRayAngiographicImageStorage;
}

void put_common_modules(Attrs &ds, const Context &ctx)
{
    const pdva_xa_series_desc *d = ctx.desc;
    const pdva_write_plan *plan = ctx.plan;

    // SOP Common
    ds.str(DCM_SpecificCharacterSet, "ISO_IR 192")
        .str(DCM_SOPClassUID, sop_class_uid(plan))
        .str(DCM_SOPInstanceUID, ctx.inst->sop_instance_uid);

    // Patient
    ds.str(DCM_PatientName, d->patient_name)
        .str(DCM_PatientID, d->patient_id)
        .str(DCM_PatientBirthDate, d->patient_birth_date)
        .str(DCM_PatientSex, d->patient_sex);

    // General Study. Without a study date the run is dated "now" (validate.c), and the study
    // carries that date so that study, series and content agree.
    const bool dated = d->study_date && *d->study_date;
    ds.str(DCM_StudyInstanceUID, d->study_instance_uid)
        .str(DCM_StudyDate, dated ? d->study_date : ctx.start_da)
        .str(DCM_StudyTime, dated ? d->study_time : ctx.start_tm)
        .str(DCM_ReferringPhysicianName, d->referring_physician)
        .str(DCM_StudyID, d->study_id)
        .str(DCM_AccessionNumber, d->accession_number);

    // General Series
    ds.str(DCM_Modality, plan->xrf ? "RF" : "XA")
        .str(DCM_SeriesInstanceUID, d->series_instance_uid)
        .num(DCM_SeriesNumber, d->series_number)
        .str(DCM_SeriesDate, ctx.start_da)
        .str(DCM_SeriesTime, ctx.start_tm);
    if (d->series_description && *d->series_description)
        ds.str(DCM_SeriesDescription, d->series_description);
    if (plan->body_part)
        ds.str(DCM_BodyPartExamined, plan->body_part);

    // General Equipment (Enhanced General Equipment makes the last three Type 1)
    ds.str(DCM_Manufacturer, "pdva")
        .str(DCM_ManufacturerModelName, "pdva synthetic angiography writer")
        .str(DCM_DeviceSerialNumber, "SYNTHETIC")
        .str(DCM_SoftwareVersions, pdva_version_string());

    // Image Pixel (the Pixel Data element is added by the shim)
    const double bits_stored = d->bits_stored;
    ds.num(DCM_SamplesPerPixel, 1)
        .str(DCM_PhotometricInterpretation, "MONOCHROME2")
        .num(DCM_Rows, d->rows)
        .num(DCM_Columns, d->columns)
        .num(DCM_BitsAllocated, plan->bits_allocated)
        .num(DCM_BitsStored, bits_stored)
        .num(DCM_HighBit, bits_stored - 1)
        .num(DCM_PixelRepresentation, 0);
}

} // namespace pdva_write
