/* error.h — creating pdva_error objects inside the library (the public half is in pdva.h).
 * SPDX-License-Identifier: GPL-3.0-or-later */
#ifndef PDVA_BASE_ERROR_H
#define PDVA_BASE_ERROR_H

#include <stdarg.h>

#include "pdva/pdva.h"

#ifdef __cplusplus
extern "C" {
#endif

/* Longest message kept, in bytes, terminator included; longer ones are cut at a UTF-8 boundary. */
#define PDVA_ERROR_MESSAGE_MAX 1024

#if defined(__GNUC__)
#define PDVA_PRINTF(fmt_index, first_arg) __attribute__((format(printf, fmt_index, first_arg)))
#else
#define PDVA_PRINTF(fmt_index, first_arg)
#endif

/* Set *err to a new error with `status` and a printf-style message, unless err is NULL or *err is
 * already set (the first cause wins). Returns `status`, so that `return pdva_error_set(...)` reads
 * naturally. When the error object itself cannot be allocated, *err receives a shared static
 * "out of memory" error that pdva_error_destroy() ignores. */
pdva_status pdva_error_set(pdva_error **err, pdva_status status, const char *fmt, ...)
    PDVA_PRINTF(3, 4);

pdva_status pdva_error_setv(pdva_error **err, pdva_status status, const char *fmt, va_list ap)
    PDVA_PRINTF(3, 0);

/* Prefix the message of an existing error with "context: ". No-op when err or *err is NULL. */
void pdva_error_prefix(pdva_error **err, const char *fmt, ...) PDVA_PRINTF(2, 3);

/* Move *from into *to when *to is empty, else destroy *from; *from becomes NULL. */
void pdva_error_move(pdva_error **to, pdva_error **from);

/* Copy `src` into dst (capacity dst_size >= 1) as valid UTF-8 without control characters:
 * invalid bytes and controls become '?', the result is cut at a character boundary. Returns dst.
 * Used for every string that comes from a file before it reaches a message, a log or JSON. */
char *pdva_sanitize_utf8(char *dst, size_t dst_size, const char *src, size_t src_len);

#ifdef __cplusplus
}
#endif

#endif /* PDVA_BASE_ERROR_H */
