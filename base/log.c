/* log.c — formatting and sanitizing log lines for the host.
 * SPDX-License-Identifier: GPL-3.0-or-later */
#include "base/log.h"

#include <stdarg.h>
#include <stdio.h>

void pdva_log(const pdva_logger *logger, pdva_log_level level, const char *fmt, ...)
{
    if (!logger || !logger->fn || level < logger->min_level)
        return;
    char raw[1024];
    char clean[1024];
    va_list ap;
    va_start(ap, fmt);
    int n = vsnprintf(raw, sizeof raw, fmt, ap);
    va_end(ap);
    if (n < 0)
        return;
    pdva_sanitize_utf8(clean, sizeof clean, raw, sizeof raw);
    logger->fn(logger->user_data, level, clean);
}
