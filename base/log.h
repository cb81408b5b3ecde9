/* log.h — forwarding messages to the host's log sink (silent when it set none).
 * SPDX-License-Identifier: GPL-3.0-or-later */
#ifndef PDVA_BASE_LOG_H
#define PDVA_BASE_LOG_H

#include "base/error.h"
#include "pdva/pdva.h"

#ifdef __cplusplus
extern "C" {
#endif

typedef struct pdva_logger {
    pdva_log_fn fn;           /* NULL: silent */
    void *user_data;
    pdva_log_level min_level; /* messages below are dropped */
} pdva_logger;

/* Format, sanitize to one UTF-8 line, and pass to logger->fn. logger may be NULL. */
void pdva_log(const pdva_logger *logger, pdva_log_level level, const char *fmt, ...)
    PDVA_PRINTF(3, 4);

#ifdef __cplusplus
}
#endif

#endif /* PDVA_BASE_LOG_H */
