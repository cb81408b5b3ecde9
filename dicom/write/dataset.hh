// dataset.hh — building the DICOM data set of one written instance: a small attribute helper
// that keeps the first DCMTK failure, and the module builders of each IOD. Private to
// dicom/write/ (C++ only; nothing here crosses into C).
// SPDX-License-Identifier: GPL-3.0-or-later
#ifndef PDVA_DICOM_WRITE_DATASET_HH
#define PDVA_DICOM_WRITE_DATASET_HH

#include <cstddef>

#include <dcmtk/config/osconfig.h>
#include <dcmtk/dcmdata/dcdeftag.h>
#include <dcmtk/dcmdata/dcitem.h>

#include "dicom/write/write_internal.h"

namespace pdva_write
{

// Puts attributes into one item; after the first failure every call is a no-op and
// `status()` tells what failed (with the tag, for the error message).
class Attrs
{
  public:
    Attrs(DcmItem *item, OFCondition &status, DcmTagKey &failed_tag)
        : item_(item), status_(status), failed_tag_(failed_tag)
    {
    }

    // A string value (NULL writes an empty value); several values joined with '\\'.
    Attrs &str(const DcmTagKey &tag, const char *value);
    // An empty (Type 2) element of any VR, sequences included.
    Attrs &empty(const DcmTagKey &tag);
    // Numbers, converted to the dictionary VR of `tag` (DS, IS, FD, FL, US, SS, UL, SL).
    Attrs &num(const DcmTagKey &tag, double value)
    {
        return nums(tag, &value, 1);
    }
    Attrs &nums(const DcmTagKey &tag, const double *values, size_t count);
    // An AT value (Frame Increment Pointer).
    Attrs &tag_value(const DcmTagKey &tag, const DcmTagKey &value);
    // An explicit-VR element holding 16-bit words (LUT Data as OW).
    Attrs &words(const DcmTag &tag, const Uint16 *values, size_t count);
    // Append a new item to sequence `seq` and return a helper for it (a helper on a null item,
    // whose calls do nothing, once a failure happened).
    Attrs item(const DcmTagKey &seq);
    // A coded concept (Code Sequence macro) as the single item of `seq`.
    Attrs &code(const DcmTagKey &seq, const char *value, const char *scheme, const char *meaning);

    bool ok() const
    {
        return status_.good() && item_ != nullptr;
    }
    DcmItem *raw() const
    {
        return item_;
    }

  private:
    bool fail(const DcmTagKey &tag, OFCondition cond);

    DcmItem *item_;
    OFCondition &status_;
    DcmTagKey &failed_tag_;
};

// Values shared by the module builders of one instance.
struct Context {
    const pdva_write_plan *plan;
    const pdva_write_instance *inst;
    const pdva_xa_series_desc *desc;
    char start_da[9], start_tm[14], start_dt[22];       // acquisition start of the run
    char content_da[9], content_tm[14], content_dt[22]; // of this instance's first frame
};

void context_init(Context &ctx, const pdva_write_instance *inst);

// Patient, General Study, General Series, General Equipment, SOP Common, Image Pixel (without
// the Pixel Data element), for every IOD.
void put_common_modules(Attrs &ds, const Context &ctx);
// The X-Ray Angiographic / Radiofluoroscopic image IODs (multi-frame or single-frame).
void put_classic_modules(Attrs &ds, const Context &ctx);
// Mask: one AVG_SUB item over the mask frames (with Subtraction Item ID for Enhanced XA).
void put_mask_module(Attrs &ds, const Context &ctx);
// The Enhanced XA image IOD with its functional groups.
void put_enhanced_modules(Attrs &ds, const Context &ctx);

// A SNOMED CT code for the Body Part Examined (NULL: lower limb).
struct AnatomyCode {
    const char *value, *meaning;
};
AnatomyCode anatomy_code(const char *body_part);

} // namespace pdva_write

#endif // PDVA_DICOM_WRITE_DATASET_HH
