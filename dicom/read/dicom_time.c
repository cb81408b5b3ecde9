/* dicom_time.c — DA, TM and DT values to seconds, strictly (PS3.5 6.2), for frame timing.
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include <string.h>

#include "dicom/read/read_internal.h"

/* Days since 1970-01-01 of a proleptic Gregorian date (H. Hinnant's days_from_civil). */
static int64_t days_from_civil(int64_t y, int64_t m, int64_t d)
{
    y -= m <= 2;
    int64_t era = (y >= 0 ? y : y - 399) / 400;
    int64_t yoe = y - era * 400;
    int64_t doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
    int64_t doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    return era * 146097 + doe - 719468;
}

static bool digits(const char *s, size_t n, int64_t *out)
{
    int64_t v = 0;
    for (size_t i = 0; i < n; i++) {
        if (s[i] < '0' || s[i] > '9')
            return false;
        v = v * 10 + (s[i] - '0');
    }
    *out = v;
    return true;
}

/* Length without trailing spaces/NULs, leading spaces skipped. */
static const char *trimmed(const char *s, size_t *len)
{
    while (*s == ' ')
        s++;
    size_t n = strlen(s);
    while (n > 0 && (s[n - 1] == ' ' || s[n - 1] == '\0'))
        n--;
    *len = n;
    return s;
}

static bool days_in(int64_t y, int64_t m, int64_t d)
{
    static const int mdays[12] = {31, 29, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
    if (m < 1 || m > 12 || d < 1 || d > mdays[m - 1])
        return false;
    if (m == 2 && d == 29) {
        bool leap = (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
        if (!leap)
            return false;
    }
    return true;
}

static bool parse_date8(const char *s, int64_t *days)
{
    int64_t y, m, d;
    if (!digits(s, 4, &y) || !digits(s + 4, 2, &m) || !digits(s + 6, 2, &d))
        return false;
    if (!days_in(y, m, d))
        return false;
    *days = days_from_civil(y, m, d);
    return true;
}

bool pdva_read_parse_da(const char *s, int64_t *days)
{
    if (!s || !days)
        return false;
    size_t n = 0;
    s = trimmed(s, &n);
    if (n != 8)
        return false;
    return parse_date8(s, days);
}

/* HH[MM[SS[.FFFFFF]]] of exactly n characters, to microseconds of the day. */
static bool parse_time(const char *s, size_t n, bool need_seconds, int64_t *us)
{
    int64_t hh = 0, mm = 0, ss = 0;
    if (n < 2 || !digits(s, 2, &hh) || hh > 23)
        return false;
    size_t i = 2;
    if (n >= 4) {
        if (!digits(s + 2, 2, &mm) || mm > 59)
            return false;
        i = 4;
    }
    if (n >= 6) {
        /* 60 is a leap second */
        if (!digits(s + 4, 2, &ss) || ss > 60)
            return false;
        i = 6;
    }
    if (need_seconds && i < 6)
        return false;
    if (n == 3 || n == 5)
        return false;
    int64_t fraction_us = 0;
    if (i < n) {
        if (i != 6 || s[i] != '.')
            return false;
        size_t fdigits = n - i - 1;
        if (fdigits < 1 || fdigits > 6)
            return false;
        int64_t f = 0;
        if (!digits(s + i + 1, fdigits, &f))
            return false;
        for (size_t k = fdigits; k < 6; k++)
            f *= 10;
        fraction_us = f;
    }
    *us = (hh * 3600 + mm * 60 + ss) * 1000000 + fraction_us;
    return true;
}

bool pdva_read_parse_tm(const char *s, bool need_seconds, int64_t *us)
{
    if (!s || !us)
        return false;
    size_t n = 0;
    s = trimmed(s, &n);
    /* ACR-NEMA "HH:MM:SS" is retired and refused */
    return parse_time(s, n, need_seconds, us);
}

bool pdva_read_parse_dt(const char *s, int64_t *us)
{
    if (!s || !us)
        return false;
    size_t n = 0;
    s = trimmed(s, &n);
    /* optional UTC offset &ZZXX */
    int64_t offset_s = 0;
    if (n >= 5 && (s[n - 5] == '+' || s[n - 5] == '-')) {
        int64_t hh, mm;
        if (!digits(s + n - 4, 2, &hh) || !digits(s + n - 2, 2, &mm) || hh > 14 || mm > 59)
            return false;
        offset_s = (hh * 3600 + mm * 60) * (s[n - 5] == '-' ? -1 : 1);
        n -= 5;
    }
    if (n < 14)
        return false;
    int64_t days = 0;
    if (!parse_date8(s, &days))
        return false;
    int64_t tod = 0;
    if (!parse_time(s + 8, n - 8, true, &tod))
        return false;
    *us = (days * 86400 - offset_s) * 1000000 + tod;
    return true;
}
