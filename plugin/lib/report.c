/* report.c — the finished report handed to the host: JSON text, summary, counts, writing.
 * SPDX-License-Identifier: GPL-3.0-or-later */
#define _GNU_SOURCE /* mkostemp: the temporary file close-on-exec from its creation */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <unistd.h>

#include "base/alloc.h"
#include "base/error.h"
#include "plugin/lib/internal.h"

struct pdva_report {
    char *json;
    char *summary;
    size_t alerts[3];
    size_t n_series, n_analyzed;
};

pdva_status pdva_report_create(const json_t *doc, pdva_report **out, pdva_error **err)
{
    *out = NULL;
    pdva_report *r = pdva_calloc_array(1, sizeof *r);
    if (!r)
        return pdva_error_set(err, PDVA_ERR_NO_MEMORY, "no memory for the report");
    r->json = json_dumps(doc, JSON_INDENT(1) | JSON_PRESERVE_ORDER | JSON_REAL_PRECISION(12));
    r->summary = pdva_summary_build(doc);
    if (!r->json || !r->summary) {
        pdva_report_destroy(r);
        return pdva_error_set(err, PDVA_ERR_NO_MEMORY, "no memory for the report text");
    }
    size_t i;
    json_t *v;
    json_array_foreach(json_object_get(doc, "alerts"), i, v) {
        const char *sev = json_string_value(json_object_get(v, "severity"));
        if (!sev)
            continue;
        r->alerts[strcmp(sev, "critical") == 0 ? 2 : strcmp(sev, "warning") == 0 ? 1 : 0]++;
    }
    json_array_foreach(json_object_get(doc, "series"), i, v) {
        r->n_series++;
        const char *st = json_string_value(json_object_get(v, "status"));
        r->n_analyzed += st && strcmp(st, "analyzed") == 0;
    }
    *out = r;
    return PDVA_OK;
}

const char *pdva_report_json(const pdva_report *report)
{
    return report ? report->json : "";
}

const char *pdva_report_summary(const pdva_report *report)
{
    return report ? report->summary : "";
}

size_t pdva_report_alert_count(const pdva_report *report, pdva_alert_severity min_severity)
{
    if (!report)
        return 0;
    size_t n = 0;
    for (int s = 2; s >= 0 && s >= (int)min_severity; s--)
        n += report->alerts[s];
    return n;
}

size_t pdva_report_series_count(const pdva_report *report)
{
    return report ? report->n_series : 0;
}

size_t pdva_report_analyzed_count(const pdva_report *report)
{
    return report ? report->n_analyzed : 0;
}

pdva_status pdva_report_write(const pdva_report *report, const char *path, pdva_error **err)
{
    if (!report || !path || !path[0])
        return pdva_error_set(err, PDVA_ERR_INVALID_ARGUMENT, "no report or no path");
    /* a temporary name of its own for each write: a host may write one report path from two
     * threads at once, and a name shared by the process let one rename the other's away */
    char tmp[4096];
    if (snprintf(tmp, sizeof tmp, "%s.tmp-%ld-XXXXXX", path, (long)getpid()) >= (int)sizeof tmp)
        return pdva_error_set(err, PDVA_ERR_INVALID_ARGUMENT, "report path too long");
    int fd = mkostemp(tmp, O_CLOEXEC);
    if (fd < 0)
        return pdva_error_set(err, PDVA_ERR_IO, "cannot write %s: %s", path, strerror(errno));
    if (fchmod(fd, 0644) != 0) {
        int e = errno;
        close(fd);
        unlink(tmp);
        return pdva_error_set(err, PDVA_ERR_IO, "cannot write %s: %s", path, strerror(e));
    }
    size_t len = strlen(report->json), done = 0;
    while (done < len) {
        ssize_t n = write(fd, report->json + done, len - done);
        if (n < 0 && errno == EINTR)
            continue;
        if (n <= 0) {
            int e = errno;
            close(fd);
            unlink(tmp);
            return pdva_error_set(err, PDVA_ERR_IO, "writing %s failed: %s", path, strerror(e));
        }
        done += (size_t)n;
    }
    if (write(fd, "\n", 1) != 1 || fsync(fd) != 0) {
        int e = errno;
        close(fd);
        unlink(tmp);
        return pdva_error_set(err, PDVA_ERR_IO, "writing %s failed: %s", path, strerror(e));
    }
    if (close(fd) != 0 || rename(tmp, path) != 0) {
        int e = errno;
        unlink(tmp);
        return pdva_error_set(err, PDVA_ERR_IO, "cannot put %s in place: %s", path, strerror(e));
    }
    return PDVA_OK;
}

void pdva_report_destroy(pdva_report *report)
{
    if (!report)
        return;
    free(report->json); /* json_dumps allocates with jansson's allocator (malloc) */
    pdva_free(report->summary);
    pdva_free(report);
}
