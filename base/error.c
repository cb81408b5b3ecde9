/* error.c — error objects: a status and a sanitized message for a person.
 * SPDX-License-Identifier: GPL-3.0-or-later */
#include "base/error.h"

#include <stdio.h>
#include <string.h>

#include "base/alloc.h"

struct pdva_error {
    pdva_status status;
    int is_static; /* the shared out-of-memory error: never freed */
    char message[PDVA_ERROR_MESSAGE_MAX];
};

static pdva_error out_of_memory_error = {PDVA_ERR_NO_MEMORY, 1,
                                         "out of memory while reporting an error"};

/* Length of the valid UTF-8 sequence starting at s (at most `left` bytes), or 0 if invalid. */
static size_t utf8_sequence_length(const unsigned char *s, size_t left)
{
    unsigned char c = s[0];
    size_t need;
    if (c < 0x80)
        return 1;
    if (c >= 0xC2 && c <= 0xDF)
        need = 2;
    else if (c >= 0xE0 && c <= 0xEF)
        need = 3;
    else if (c >= 0xF0 && c <= 0xF4)
        need = 4;
    else
        return 0;
    if (need > left)
        return 0;
    for (size_t i = 1; i < need; i++)
        if ((s[i] & 0xC0) != 0x80)
            return 0;
    /* reject overlong forms, surrogates and code points above U+10FFFF */
    if (need == 3 && c == 0xE0 && s[1] < 0xA0)
        return 0;
    if (need == 3 && c == 0xED && s[1] >= 0xA0)
        return 0;
    if (need == 4 && c == 0xF0 && s[1] < 0x90)
        return 0;
    if (need == 4 && c == 0xF4 && s[1] >= 0x90)
        return 0;
    return need;
}

char *pdva_sanitize_utf8(char *dst, size_t dst_size, const char *src, size_t src_len)
{
    if (!dst || dst_size == 0)
        return dst;
    size_t out = 0;
    const unsigned char *s = (const unsigned char *)(src ? src : "");
    size_t i = 0;
    while (i < src_len && s[i] != '\0') {
        size_t n = utf8_sequence_length(s + i, src_len - i);
        if (n == 0 || (n == 1 && (s[i] < 0x20 || s[i] == 0x7F))) {
            if (out + 1 >= dst_size)
                break;
            dst[out++] = (n == 1 && (s[i] == '\t' || s[i] == '\n' || s[i] == '\r')) ? ' ' : '?';
            i++;
            continue;
        }
        if (out + n >= dst_size)
            break;
        memcpy(dst + out, s + i, n);
        out += n;
        i += n;
    }
    dst[out] = '\0';
    return dst;
}

pdva_status pdva_error_setv(pdva_error **err, pdva_status status, const char *fmt, va_list ap)
{
    if (!err || *err)
        return status;
    pdva_error *e = pdva_malloc(sizeof *e);
    if (!e) {
        *err = &out_of_memory_error;
        return status;
    }
    char raw[PDVA_ERROR_MESSAGE_MAX];
    raw[0] = '\0';
    if (fmt && vsnprintf(raw, sizeof raw, fmt, ap) < 0)
        raw[0] = '\0';
    e->status = status;
    e->is_static = 0;
    pdva_sanitize_utf8(e->message, sizeof e->message, raw, sizeof raw);
    *err = e;
    return status;
}

pdva_status pdva_error_set(pdva_error **err, pdva_status status, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    pdva_error_setv(err, status, fmt, ap);
    va_end(ap);
    return status;
}

void pdva_error_prefix(pdva_error **err, const char *fmt, ...)
{
    if (!err || !*err || (*err)->is_static)
        return;
    char prefix[PDVA_ERROR_MESSAGE_MAX];
    va_list ap;
    va_start(ap, fmt);
    int n = vsnprintf(prefix, sizeof prefix, fmt, ap);
    va_end(ap);
    if (n < 0)
        return;
    char joined[2 * PDVA_ERROR_MESSAGE_MAX + 8];
    snprintf(joined, sizeof joined, "%s: %s", prefix, (*err)->message);
    pdva_sanitize_utf8((*err)->message, sizeof (*err)->message, joined, sizeof joined);
}

void pdva_error_move(pdva_error **to, pdva_error **from)
{
    if (!from || !*from)
        return;
    if (to && !*to)
        *to = *from;
    else
        pdva_error_destroy(*from);
    *from = NULL;
}

pdva_status pdva_error_status(const pdva_error *error)
{
    return error ? error->status : PDVA_OK;
}

const char *pdva_error_message(const pdva_error *error)
{
    return error ? error->message : "";
}

void pdva_error_destroy(pdva_error *error)
{
    if (!error || error->is_static)
        return;
    pdva_free(error);
}
