/* values.c — strict parsing of DICOM text values (IS, DS) and the reader's note buffers.
 *
 * DICOM numbers arrive as text written by many systems; we accept exactly what PS3.5 allows
 * (plus surrounding spaces) so that "1A" never becomes 1 and "1e999" never becomes infinity.
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include "dicom/read/read_internal.h"

#include <errno.h>
#include <limits.h>
#include <math.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

#include "base/alloc.h"

const char *pdva_read_basename(const char *path)
{
    if (!path)
        return "";
    const char *slash = strrchr(path, '/');
    return slash ? slash + 1 : path;
}

void pdva_read_note(char *buf, size_t cap, const char *fmt, ...)
{
    if (!buf || cap == 0)
        return;
    size_t used = strnlen(buf, cap);
    if (used + 1 >= cap)
        return;
    char raw[PDVA_NOTE_MAX];
    va_list ap;
    va_start(ap, fmt);
    int n = vsnprintf(raw, sizeof raw, fmt, ap);
    va_end(ap);
    if (n <= 0)
        return;
    /* Never repeat a note already present (several files may say the same thing). */
    if (strstr(buf, raw))
        return;
    if (used > 0) {
        if (used + 3 >= cap)
            return;
        memcpy(buf + used, "; ", 2);
        used += 2;
        buf[used] = '\0';
    }
    pdva_sanitize_utf8(buf + used, cap - used, raw, strlen(raw));
}

static bool is_pad(char c)
{
    return c == ' ' || c == '\0';
}

void pdva_read_copy_trimmed(char *dst, size_t cap, const char *src, size_t src_len)
{
    if (!dst || cap == 0)
        return;
    if (!src) {
        dst[0] = '\0';
        return;
    }
    size_t len = strnlen(src, src_len);
    size_t start = 0;
    while (start < len && is_pad(src[start]))
        start++;
    while (len > start && is_pad(src[len - 1]))
        len--;
    pdva_sanitize_utf8(dst, cap, src + start, len - start);
}

static const char *skip_spaces(const char *s, const char *end)
{
    while (s < end && *s == ' ')
        s++;
    return s;
}

static const char *trim_end(const char *s, const char *end)
{
    while (end > s && (end[-1] == ' ' || end[-1] == '\0'))
        end--;
    return end;
}

bool pdva_read_parse_is(const char *s, int32_t *out)
{
    if (!s || !out)
        return false;
    const char *end = s + strlen(s);
    s = skip_spaces(s, end);
    end = trim_end(s, end);
    if (s == end)
        return false;
    bool negative = false;
    if (*s == '+' || *s == '-') {
        negative = *s == '-';
        s++;
    }
    if (s == end || end - s > 10)
        return false;
    int64_t value = 0;
    for (; s < end; s++) {
        if (*s < '0' || *s > '9')
            return false;
        value = value * 10 + (*s - '0');
    }
    if (negative)
        value = -value;
    if (value < INT32_MIN || value > INT32_MAX)
        return false;
    *out = (int32_t)value;
    return true;
}

/* One DS value between s and end: [+-] digits [. digits] [eE [+-] digits], or [+-] . digits. */
static bool parse_ds_value(const char *s, const char *end, double *out)
{
    s = skip_spaces(s, end);
    end = trim_end(s, end);
    size_t len = (size_t)(end - s);
    if (len == 0 || len > 64)
        return false;
    char tmp[65];
    memcpy(tmp, s, len);
    tmp[len] = '\0';
    size_t i = 0;
    if (tmp[i] == '+' || tmp[i] == '-')
        i++;
    size_t digits = 0;
    while (tmp[i] >= '0' && tmp[i] <= '9') {
        i++;
        digits++;
    }
    if (tmp[i] == '.') {
        i++;
        while (tmp[i] >= '0' && tmp[i] <= '9') {
            i++;
            digits++;
        }
    }
    if (digits == 0)
        return false;
    if (tmp[i] == 'e' || tmp[i] == 'E') {
        i++;
        if (tmp[i] == '+' || tmp[i] == '-')
            i++;
        size_t exp_digits = 0;
        while (tmp[i] >= '0' && tmp[i] <= '9') {
            i++;
            exp_digits++;
        }
        if (exp_digits == 0)
            return false;
    }
    if (tmp[i] != '\0')
        return false;
    errno = 0;
    char *stop = NULL;
    double v = strtod(tmp, &stop);
    if (!stop || *stop != '\0' || !isfinite(v))
        return false;
    *out = v;
    return true;
}

int pdva_read_parse_ds_list(const char *s, double *values, int max_values)
{
    if (!s)
        return -1;
    const char *end = s + strlen(s);
    if (skip_spaces(s, end) == end)
        return 0;
    int count = 0;
    const char *p = s;
    for (;;) {
        const char *sep = memchr(p, '\\', (size_t)(end - p));
        const char *value_end = sep ? sep : end;
        double v = 0;
        if (!parse_ds_value(p, value_end, &v))
            return -1;
        if (count < max_values && values)
            values[count] = v;
        if (count == INT_MAX)
            return -1;
        count++;
        if (!sep)
            break;
        p = sep + 1;
    }
    return count;
}

long pdva_read_parse_ds_array(const char *s, size_t len, size_t max_count, double **out)
{
    *out = NULL;
    if (!s)
        return -1;
    len = strnlen(s, len);
    size_t count = 1;
    for (size_t i = 0; i < len; i++)
        if (s[i] == '\\')
            count++;
    if (count > max_count)
        return -1;
    double *values = pdva_alloc_array(count, sizeof *values);
    if (!values)
        return -2;
    const char *p = s;
    const char *end = s + len;
    size_t n = 0;
    for (;;) {
        const char *sep = memchr(p, '\\', (size_t)(end - p));
        const char *value_end = sep ? sep : end;
        if (n >= count || !parse_ds_value(p, value_end, &values[n])) {
            pdva_free(values);
            return -1;
        }
        n++;
        if (!sep)
            break;
        p = sep + 1;
    }
    *out = values;
    return (long)n;
}

void pdva_read_header_clear(pdva_read_header *hdr)
{
    if (!hdr)
        return;
    pdva_free(hdr->lut_data);
    pdva_free(hdr->frame_time_vector);
    pdva_free(hdr->frame_acq_dt_us);
    pdva_free(hdr->frame_ref_dt_us);
    pdva_free(hdr->frame_duration_ms);
    hdr->lut_data = NULL;
    hdr->frame_time_vector = NULL;
    hdr->frame_acq_dt_us = hdr->frame_ref_dt_us = NULL;
    hdr->frame_duration_ms = NULL;
    hdr->n_frame_values = 0;
}

bool pdva_read_is_valid_utf8(const char *s, size_t len)
{
    const unsigned char *p = (const unsigned char *)s;
    size_t i = 0;
    while (i < len && p[i]) {
        unsigned char c = p[i];
        size_t need;
        if (c < 0x80)
            need = 1;
        else if (c >= 0xC2 && c <= 0xDF)
            need = 2;
        else if (c >= 0xE0 && c <= 0xEF)
            need = 3;
        else if (c >= 0xF0 && c <= 0xF4)
            need = 4;
        else
            return false;
        if (need > len - i)
            return false;
        for (size_t k = 1; k < need; k++)
            if ((p[i + k] & 0xC0) != 0x80)
                return false;
        if ((c == 0xE0 && p[i + 1] < 0xA0) || (c == 0xED && p[i + 1] >= 0xA0) ||
            (c == 0xF0 && p[i + 1] < 0x90) || (c == 0xF4 && p[i + 1] >= 0x90))
            return false;
        i += need;
    }
    return true;
}
