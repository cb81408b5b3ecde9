/* limits.h — validating the caller's pdva_limits into a complete copy.
 * SPDX-License-Identifier: GPL-3.0-or-later */
#ifndef PDVA_BASE_LIMITS_H
#define PDVA_BASE_LIMITS_H

#include "pdva/pdva.h"

#ifdef __cplusplus
extern "C" {
#endif

/* No DICOM we accept nests sequences deeper than this, whatever the caller asks. */
#define PDVA_MAX_SEQUENCE_DEPTH_CEILING 256u

/* Copy `given` (may be NULL: defaults) into *out, checking struct_size and that no bound is 0;
 * the sequence depth is capped at PDVA_MAX_SEQUENCE_DEPTH_CEILING. */
pdva_status pdva_limits_resolve(const pdva_limits *given, pdva_limits *out, pdva_error **err);

#ifdef __cplusplus
}
#endif

#endif /* PDVA_BASE_LIMITS_H */
