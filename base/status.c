/* status.c — names of status codes (the ABI keeps their numbers fixed).
 * SPDX-License-Identifier: GPL-3.0-or-later */
#include "pdva/pdva.h"

const char *pdva_status_str(pdva_status status)
{
    switch (status) {
    case PDVA_OK: return "PDVA_OK";
    case PDVA_ERR_INVALID_ARGUMENT: return "PDVA_ERR_INVALID_ARGUMENT";
    case PDVA_ERR_NO_MEMORY: return "PDVA_ERR_NO_MEMORY";
    case PDVA_ERR_IO: return "PDVA_ERR_IO";
    case PDVA_ERR_NOT_DICOM: return "PDVA_ERR_NOT_DICOM";
    case PDVA_ERR_MALFORMED: return "PDVA_ERR_MALFORMED";
    case PDVA_ERR_TRUNCATED: return "PDVA_ERR_TRUNCATED";
    case PDVA_ERR_UNSUPPORTED: return "PDVA_ERR_UNSUPPORTED";
    case PDVA_ERR_LIMIT_EXCEEDED: return "PDVA_ERR_LIMIT_EXCEEDED";
    case PDVA_ERR_NOT_ANGIOGRAPHIC: return "PDVA_ERR_NOT_ANGIOGRAPHIC";
    case PDVA_ERR_INCONSISTENT: return "PDVA_ERR_INCONSISTENT";
    case PDVA_ERR_CANCELLED: return "PDVA_ERR_CANCELLED";
    case PDVA_ERR_DECODE: return "PDVA_ERR_DECODE";
    case PDVA_ERR_INTERNAL: return "PDVA_ERR_INTERNAL";
    case PDVA_ERR_VERSION_MISMATCH: return "PDVA_ERR_VERSION_MISMATCH";
    case PDVA_ERR_NOT_FOUND: return "PDVA_ERR_NOT_FOUND";
    case PDVA_STATUS_FORCE_INT32: break;
    }
    return "PDVA_UNKNOWN_STATUS";
}
