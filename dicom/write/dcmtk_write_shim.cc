// dcmtk_write_shim.cc — the C++ side of the writer: builds one instance's data set with DCMTK,
// adds the pixel data, encodes it with DCMTK's encoders (own instances, own parameters) and saves
// the file.
// pdva_dcmtk_write_instance() is the only entry point and catches every exception.
// SPDX-License-Identifier: GPL-3.0-or-later
#include <cstring>
#include <exception>
#include <memory>
#include <new>

#include <dcmtk/config/osconfig.h>
#include <dcmtk/dcmdata/dcfilefo.h>
#include <dcmtk/dcmdata/dcpixel.h>
#include <dcmtk/dcmdata/dcpixseq.h>
#include <dcmtk/dcmdata/dcrlecce.h>
#include <dcmtk/dcmdata/dcrlecp.h>
#include <dcmtk/dcmdata/dcrlerp.h>
#include <dcmtk/dcmdata/dcstack.h>
#include <dcmtk/dcmdata/dcxfer.h>
#include <dcmtk/dcmjpeg/djcparam.h>
#include <dcmtk/dcmjpeg/djencbas.h>
#include <dcmtk/dcmjpeg/djencsv1.h>
#include <dcmtk/dcmjpeg/djrploss.h>
#include <dcmtk/dcmjpeg/djrplol.h>
#include <dcmtk/dcmjpls/djcodece.h>
#include <dcmtk/dcmjpls/djcparam.h>
#include <dcmtk/dcmjpls/djrparam.h>

// (base/error.h has its own extern "C" guard; the block keeps C linkage explicit here.)
extern "C" {
#include "base/error.h"
}
#include "dicom/pdva_dicom.h"
#include "dicom/write/dataset.hh"
#include "dicom/write/write_internal.h"

namespace
{

// How an encoding is stored: its transfer syntax and, when encapsulated, the DCMTK encoder with
// the parameters the writer chose.
struct Target {
    E_TransferSyntax xfer = EXS_LittleEndianExplicit;
    std::unique_ptr<DcmCodec> encoder; // null for native transfer syntaxes
    std::unique_ptr<DcmCodecParameter> params;
    std::unique_ptr<DcmRepresentationParameter> representation;
};

// JPEG codec parameters: no new SOP Instance UID (the writer decides every UID), true lossless
// mode, and pUsePixelValues off so that the lossy encoder maps the full 8-bit range onto itself
// instead of shifting the values by their minimum.
DJCodecParameter *jpeg_params()
{
    return new DJCodecParameter(
        ECC_lossyYCbCr, EDC_photometricInterpretation, EUC_never, EPC_default, OFFalse, OFFalse,
        OFFalse, OFFalse, 0, 0, 0, OFTrue, ESS_444, OFFalse, OFFalse, 0, 0, 0.0, 0.0, 0, 0, 0, 0,
        OFFalse /* pUsePixelValues */, OFFalse, OFFalse, OFFalse, OFTrue /* pTrueLosslessMode */);
}

void target_for(pdva_encoding encoding, Target &t)
{
    switch (encoding) {
    case PDVA_ENCODING_XA_IMPLICIT_LE:
        t.xfer = EXS_LittleEndianImplicit;
        break;
    case PDVA_ENCODING_XA_BIG_ENDIAN:
        t.xfer = EXS_BigEndianExplicit;
        break;
    case PDVA_ENCODING_XA_JPEG_LOSSLESS:
        t.xfer = EXS_JPEGProcess14SV1;
        t.encoder.reset(new DJEncoderP14SV1());
        t.params.reset(jpeg_params());
        t.representation.reset(new DJ_RPLossless(1, 0)); // first-order prediction, no transform
        break;
    case PDVA_ENCODING_XA_RLE:
        t.xfer = EXS_RLELossless;
        t.encoder.reset(new DcmRLECodecEncoder());
        t.params.reset(new DcmRLECodecParameter(OFFalse /* no new UID */));
        t.representation.reset(new DcmRLERepresentationParameter());
        break;
    case PDVA_ENCODING_XA_JPEG_LS:
        t.xfer = EXS_JPEGLSLossless;
        t.encoder.reset(new DJLSLosslessEncoder());
        // raw mode (dcmcjpls' default): frame by frame from the stored words; the "cooked" mode
        // renders the whole run through a DicomImage first, one more copy of every frame
        t.params.reset(new DJLSCodecParameter(OFFalse /* preferCookedEncoding */, 0, 0, 0, 0, 0,
                                              OFTrue, EJLSUC_never));
        t.representation.reset(new DJLSRepresentationParameter(0, OFTrue));
        break;
    case PDVA_ENCODING_XA_JPEG_BASELINE:
        t.xfer = EXS_JPEGProcess1;
        t.encoder.reset(new DJEncoderBaseline());
        t.params.reset(jpeg_params());
        t.representation.reset(new DJ_RPLossy(90));
        break;
    default:
        break;
    }
}

// Copy the instance's frames into a new Pixel Data element (OB for 8-bit, OW otherwise).
pdva_status put_pixel_data(DcmDataset *ds, const pdva_write_instance *inst, pdva_error **err)
{
    const pdva_write_plan *plan = inst->plan;
    const pdva_xa_series_desc *d = plan->desc;
    const size_t per_frame = static_cast<size_t>(d->rows) * d->columns;
    const size_t count = per_frame * inst->n_frames;
    const uint16_t *src = d->pixels + per_frame * inst->first_frame;
    std::unique_ptr<DcmPixelData> px(
        new DcmPixelData(DcmTag(DCM_PixelData, plan->bits_allocated == 8 ? EVR_OB : EVR_OW)));
    OFCondition cond;
    if (plan->bits_allocated == 8) {
        Uint8 *dst = nullptr;
        cond = px->createUint8Array(static_cast<Uint32>(count), dst);
        if (cond.good() && dst)
            for (size_t i = 0; i < count; i++)
                dst[i] = static_cast<Uint8>(src[i]);
    } else {
        Uint16 *dst = nullptr;
        cond = px->createUint16Array(static_cast<Uint32>(count), dst);
        if (cond.good() && dst)
            std::memcpy(dst, src, count * sizeof *dst);
    }
    if (cond == EC_MemoryExhausted)
        return pdva_error_set(err, PDVA_ERR_NO_MEMORY, "no memory for %zu pixel values", count);
    if (cond.bad())
        return pdva_error_set(err, PDVA_ERR_INTERNAL, "DCMTK refused the pixel data: %s",
                              cond.text());
    cond = ds->insert(px.get(), OFTrue);
    if (cond.bad())
        return pdva_error_set(err, PDVA_ERR_INTERNAL, "DCMTK refused the pixel data: %s",
                              cond.text());
    px.release();
    return PDVA_OK;
}

// Encode the native Pixel Data with the writer's own encoder instance, as DCMTK's
// chooseRepresentation() would with a registered one, and keep only the encoded representation.
// Not the registered encoders: their parameters are whatever pdva_dicom_global_init() or a host
// (Orthanc) chose, and DCMTK's defaults would mint new UIDs or, for JPEG baseline, shift the
// values. At most the native and the encoded copies exist at once, only during the encoding.
OFCondition encode_pixel_data(DcmDataset *ds, const Target &t)
{
    DcmElement *elem = nullptr;
    OFCondition cond = ds->findAndGetElement(DCM_PixelData, elem);
    if (cond.bad() || !elem)
        return cond.bad() ? cond : EC_IllegalCall;
    DcmPixelData *px = static_cast<DcmPixelData *>(elem);
    Uint16 *words = nullptr;
    cond = px->DcmPolymorphOBOW::getUint16Array(words);
    if (cond.bad() || !words)
        return cond.bad() ? cond : EC_IllegalCall;
    const Uint32 length = px->DcmPolymorphOBOW::getLength();
    DcmStack stack; // what DCMTK hands an encoder: the data set, then its Pixel Data
    stack.push(ds);
    stack.push(px);
    DcmPixelSequence *sequence = nullptr;
    OFBool remove_old = OFFalse;
    cond = t.encoder->encode(words, length, t.representation.get(), sequence, t.params.get(), stack,
                             remove_old);
    if (cond.bad() || !sequence) {
        delete sequence;
        return cond.bad() ? cond : EC_IllegalCall;
    }
    // replaces the native data (freed) by the sequence, which it takes
    px->putOriginalRepresentation(t.xfer, t.representation.get(), sequence);
    return EC_Normal;
}

// DCMTK's lossy encoder treats XA as display data: it sets Pixel Intensity Relationship to DISP
// and drops the Modality LUT. It did not transform the values (pUsePixelValues off), so their
// meaning is unchanged: restore both.
OFCondition restore_after_lossy(DcmDataset *ds, const pdva_write_instance *inst)
{
    const char *relationship = inst->plan->pixel_intensity_relationship;
    OFCondition cond = ds->putAndInsertString(DCM_PixelIntensityRelationship, relationship);
    if (cond.good() && relationship[1] == 'O') { // "LOG"
        cond = ds->putAndInsertString(DCM_RescaleIntercept, "0");
        if (cond.good())
            cond = ds->putAndInsertString(DCM_RescaleSlope, "1");
        if (cond.good())
            cond = ds->putAndInsertString(DCM_RescaleType, "US");
    }
    return cond;
}

pdva_status compress(DcmDataset *ds, const Target &t, const pdva_write_instance *inst,
                     pdva_error **err)
{
    if (!t.encoder)
        return PDVA_OK;
    OFCondition cond = encode_pixel_data(ds, t);
    if (cond.good() && t.xfer == EXS_JPEGProcess1)
        cond = restore_after_lossy(ds, inst);
    if (cond == EC_MemoryExhausted)
        return pdva_error_set(err, PDVA_ERR_NO_MEMORY, "no memory to encode %s",
                              DcmXfer(t.xfer).getXferName());
    if (cond.bad() || !ds->canWriteXfer(t.xfer))
        return pdva_error_set(err, PDVA_ERR_INTERNAL, "DCMTK could not encode to %s: %s",
                              DcmXfer(t.xfer).getXferName(),
                              cond.bad() ? cond.text() : "the encoded data cannot be written");
    return PDVA_OK;
}

pdva_status write_instance(const pdva_write_instance *inst, pdva_error **err)
{
    // dictionary check, silent logger, codec registration: once per process
    pdva_status st = pdva_dicom_global_init(err);
    if (st != PDVA_OK)
        return st;

    DcmFileFormat file;
    DcmDataset *ds = file.getDataset();
    pdva_write::Context ctx;
    pdva_write::context_init(ctx, inst);

    OFCondition status = EC_Normal;
    DcmTagKey failed_tag;
    pdva_write::Attrs attrs(ds, status, failed_tag);
    pdva_write::put_common_modules(attrs, ctx);
    if (inst->plan->enhanced)
        pdva_write::put_enhanced_modules(attrs, ctx);
    else
        pdva_write::put_classic_modules(attrs, ctx);
    if (status == EC_MemoryExhausted)
        return pdva_error_set(err, PDVA_ERR_NO_MEMORY, "no memory for the data set");
    if (status.bad())
        return pdva_error_set(err, PDVA_ERR_INTERNAL, "DCMTK refused %s: %s",
                              failed_tag.toString().c_str(), status.text());

    st = put_pixel_data(ds, inst, err);
    if (st != PDVA_OK)
        return st;
    Target target;
    target_for(inst->plan->desc->encoding, target);
    if ((st = compress(ds, target, inst, err)) != PDVA_OK)
        return st;

    OFCondition cond = file.saveFile(inst->path, target.xfer, EET_ExplicitLength, EGL_recalcGL,
                                     EPD_noChange, 0, 0, EWM_createNewMeta);
    if (cond.bad())
        return pdva_error_set(err, PDVA_ERR_IO, "DCMTK could not save the file: %s", cond.text());
    return PDVA_OK;
}

} // namespace

extern "C" pdva_status pdva_dcmtk_write_instance(const pdva_write_instance *instance,
                                                 pdva_error **err)
{
    try {
        if (!instance || !instance->plan || !instance->path)
            return pdva_error_set(err, PDVA_ERR_INTERNAL, "incomplete instance description");
        return write_instance(instance, err);
    } catch (const std::bad_alloc &) {
        return pdva_error_set(err, PDVA_ERR_NO_MEMORY, "out of memory in DCMTK");
    } catch (const std::exception &e) {
        return pdva_error_set(err, PDVA_ERR_INTERNAL, "DCMTK raised: %s", e.what());
    } catch (...) {
        return pdva_error_set(err, PDVA_ERR_INTERNAL, "DCMTK raised an unknown exception");
    }
}
