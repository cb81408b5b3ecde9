/* datetime.c — DICOM DA/TM/DT values for the writer: parsing the caller's study date and time,
 * and formatting the acquisition time of every frame (which may cross midnight).
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include <math.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "dicom/write/write_internal.h"

#define US_PER_S INT64_C(1000000)
#define US_PER_DAY (INT64_C(86400) * US_PER_S)

/* Days since 1970-01-01 of a proleptic Gregorian date (H. Hinnant's days_from_civil). */
static int64_t days_from_civil(int64_t y, unsigned m, unsigned d)
{
    y -= m <= 2;
    const int64_t era = (y >= 0 ? y : y - 399) / 400;
    const int64_t yoe = y - era * 400;
    const int64_t doy = (153 * (int64_t)(m > 2 ? m - 3 : m + 9) + 2) / 5 + (int64_t)d - 1;
    const int64_t doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    return era * 146097 + doe - 719468;
}

static void civil_from_days(int64_t z, int *year, int *month, int *day)
{
    z += 719468;
    const int64_t era = (z >= 0 ? z : z - 146096) / 146097;
    const int64_t doe = z - era * 146097;
    const int64_t yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
    const int64_t y = yoe + era * 400;
    const int64_t doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    const int64_t mp = (5 * doy + 2) / 153;
    const int64_t d = doy - (153 * mp + 2) / 5 + 1;
    const int64_t m = mp < 10 ? mp + 3 : mp - 9;
    *year = (int)(y + (m <= 2));
    *month = (int)m;
    *day = (int)d;
}

static bool is_digits(const char *s, size_t n)
{
    for (size_t i = 0; i < n; i++)
        if (s[i] < '0' || s[i] > '9')
            return false;
    return true;
}

static int number(const char *s, size_t n)
{
    int v = 0;
    for (size_t i = 0; i < n; i++)
        v = v * 10 + (s[i] - '0');
    return v;
}

static bool parse_da(const char *da, int64_t *days)
{
    if (!da || strlen(da) != 8 || !is_digits(da, 8))
        return false;
    int y = number(da, 4), m = number(da + 4, 2), d = number(da + 6, 2);
    if (y < 1 || m < 1 || m > 12 || d < 1)
        return false;
    static const int mdays[12] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
    bool leap = (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
    int max = mdays[m - 1] + (m == 2 && leap ? 1 : 0);
    if (d > max)
        return false;
    *days = days_from_civil(y, (unsigned)m, (unsigned)d);
    return true;
}

static bool parse_tm(const char *tm, int64_t *us)
{
    size_t len = strlen(tm);
    size_t whole = len;
    const char *dot = strchr(tm, '.');
    if (dot)
        whole = (size_t)(dot - tm);
    if (!(whole == 2 || whole == 4 || whole == 6) || !is_digits(tm, whole))
        return false;
    if (dot && whole != 6)
        return false;
    int h = number(tm, 2);
    int mi = whole >= 4 ? number(tm + 2, 2) : 0;
    int s = whole >= 6 ? number(tm + 4, 2) : 0;
    if (h > 23 || mi > 59 || s > 59) /* leap second 60 refused: it cannot be added to a clock */
        return false;
    int64_t frac_us = 0;
    if (dot) {
        size_t nf = len - whole - 1;
        if (nf < 1 || nf > 6 || !is_digits(dot + 1, nf))
            return false;
        frac_us = number(dot + 1, nf);
        for (size_t i = nf; i < 6; i++)
            frac_us *= 10;
    }
    *us = ((int64_t)h * 3600 + mi * 60 + s) * US_PER_S + frac_us;
    return true;
}

bool pdva_write_da_is_valid(const char *da)
{
    int64_t days;
    return parse_da(da, &days);
}

bool pdva_write_tm_is_valid(const char *tm)
{
    int64_t us;
    return tm && parse_tm(tm, &us);
}

bool pdva_write_dt_parse(const char *da, const char *tm, int64_t *out_us)
{
    int64_t days, tod = 0;
    if (!parse_da(da, &days))
        return false;
    if (tm && !parse_tm(tm, &tod))
        return false;
    *out_us = days * US_PER_DAY + tod;
    return true;
}

int64_t pdva_write_dt_now(void)
{
    time_t now = time(NULL);
    struct tm local;
    if (now == (time_t)-1 || !localtime_r(&now, &local))
        return 0;
    int64_t days = days_from_civil((int64_t)local.tm_year + 1900, (unsigned)local.tm_mon + 1,
                                   (unsigned)local.tm_mday);
    return days * US_PER_DAY +
           ((int64_t)local.tm_hour * 3600 + local.tm_min * 60 + (local.tm_sec % 60)) * US_PER_S;
}

/* Split into days and microseconds of the day, flooring for times before 1970. */
static void split(int64_t us, int64_t *days, int64_t *tod)
{
    *days = us / US_PER_DAY;
    *tod = us % US_PER_DAY;
    if (*tod < 0) {
        *tod += US_PER_DAY;
        (*days)--;
    }
}

void pdva_write_dt_format_da(int64_t us, char out[9])
{
    int64_t days, tod;
    split(us, &days, &tod);
    int y, m, d;
    civil_from_days(days, &y, &m, &d);
    char buf[48]; /* wide enough for any int, so the compiler sees no truncation */
    snprintf(buf, sizeof buf, "%04d%02d%02d", y % 10000, m, d);
    memcpy(out, buf, 8);
    out[8] = '\0';
}

void pdva_write_dt_format_tm(int64_t us, char out[14])
{
    int64_t days, tod;
    split(us, &days, &tod);
    int64_t s = tod / US_PER_S;
    char buf[64];
    snprintf(buf, sizeof buf, "%02d%02d%02d.%06d", (int)(s / 3600), (int)(s / 60 % 60),
             (int)(s % 60), (int)(tod % US_PER_S));
    memcpy(out, buf, 13);
    out[13] = '\0';
}

void pdva_write_dt_format_dt(int64_t us, char out[22])
{
    char da[9], tm[14];
    pdva_write_dt_format_da(us, da);
    pdva_write_dt_format_tm(us, tm);
    memcpy(out, da, 8);
    memcpy(out + 8, tm, 14);
}

int64_t pdva_write_frame_offset_us(const pdva_write_plan *plan, uint32_t index)
{
    const pdva_xa_series_desc *d = plan->desc;
    if (!d->frame_times_s || index == 0)
        return 0;
    return (int64_t)llround(d->frame_times_s[index] * 1e6);
}

void pdva_write_format_ds(double value, char out[PDVA_WRITE_DS_MAX])
{
    if (!isfinite(value)) {
        snprintf(out, PDVA_WRITE_DS_MAX, "0");
        return;
    }
    if (value == 0.0)
        value = 0.0; /* no "-0" */
    for (int precision = 15; precision >= 1; precision--) {
        char buf[64];
        int n = snprintf(buf, sizeof buf, "%.*g", precision, value);
        if (n > 0 && n < PDVA_WRITE_DS_MAX) {
            memcpy(out, buf, (size_t)n + 1);
            return;
        }
    }
    snprintf(out, PDVA_WRITE_DS_MAX, "0");
}
