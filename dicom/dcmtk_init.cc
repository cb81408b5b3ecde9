// dcmtk_init.cc — DCMTK's process-wide set-up, done once: data dictionary check, codec
// registration (decoders for the reader, encoders for the writer), a silent logger.
//
// Never undone: a host such as Orthanc may load the same DCMTK shared libraries and register
// its own codecs; DCMTK's registerCodecs() is a no-op when a codec is already registered, and
// we never call cleanup(), which would pull codecs from under the host.
// SPDX-License-Identifier: GPL-3.0-or-later

#include "dcmtk/config/osconfig.h" // must come first

#include <mutex>
#include <new>

#include "dcmtk/dcmdata/dcdict.h"
#include "dcmtk/dcmdata/dcrledrg.h"
#include "dcmtk/dcmdata/dcrleerg.h"
#include "dcmtk/dcmjpeg/djdecode.h"
#include "dcmtk/dcmjpeg/djencode.h"
#include "dcmtk/dcmjpls/djdecode.h"
#include "dcmtk/dcmjpls/djencode.h"
#include "dcmtk/oflog/oflog.h"

#include "dicom/pdva_dicom.h"

extern "C" {
#include "base/error.h"
}

namespace
{

std::once_flag init_once;
pdva_status init_status = PDVA_ERR_INTERNAL;
const char *init_message = "DCMTK set-up did not run";

void init_dcmtk() noexcept
{
    try {
        // The library prints nothing: silence DCMTK's loggers ("dcmtk.*"), unless a host has
        // already given the "dcmtk" logger a level of its own (then its choice stands).
        OFLogger dcmtk_logger = OFLog::getLogger("dcmtk");
        if (dcmtk_logger.getLogLevel() == dcmtk::log4cplus::NOT_SET_LOG_LEVEL)
            dcmtk_logger.setLogLevel(OFLogger::OFF_LOG_LEVEL);

        if (!dcmDataDict.isDictionaryLoaded()) {
            init_status = PDVA_ERR_INTERNAL;
            init_message = "the DCMTK data dictionary is not loaded (install DCMTK's dicom.dic "
                           "or set DCMDICTPATH); without it no DICOM file can be parsed";
            return;
        }
        DcmRLEDecoderRegistration::registerCodecs();
        DJDecoderRegistration::registerCodecs();
        DJLSDecoderRegistration::registerCodecs();
        DcmRLEEncoderRegistration::registerCodecs();
        DJEncoderRegistration::registerCodecs();
        DJLSEncoderRegistration::registerCodecs();
        init_status = PDVA_OK;
        init_message = "";
    } catch (const std::bad_alloc &) {
        init_status = PDVA_ERR_NO_MEMORY;
        init_message = "out of memory while setting up DCMTK";
    } catch (...) {
        init_status = PDVA_ERR_INTERNAL;
        init_message = "unexpected exception while setting up DCMTK";
    }
}

} // namespace

extern "C" pdva_status pdva_dicom_global_init(pdva_error **err)
{
    try {
        std::call_once(init_once, init_dcmtk);
    } catch (...) {
        return pdva_error_set(err, PDVA_ERR_INTERNAL, "cannot run the DCMTK set-up once");
    }
    if (init_status != PDVA_OK)
        return pdva_error_set(err, init_status, "%s", init_message);
    return PDVA_OK;
}
