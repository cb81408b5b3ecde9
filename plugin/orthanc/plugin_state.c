/* plugin_state.c — logging into Orthanc, analysis slots, metrics.
 * SPDX-License-Identifier: GPL-3.0-or-later */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <time.h>

#include "plugin/orthanc/plugin_state.h"

plugin_state *pdva_plugin = NULL;

static void log_line(const plugin_state *p, pdva_log_level level, const char *line)
{
    /* Orthanc shows "info" only with --verbose; the library's debug messages (which may carry
     * patient identifiers) are passed only when Pdva.LogLevel is "debug". */
    if (!p || !p->context || (int)level < p->config.log_level)
        return;
    if (level >= PDVA_LOG_ERROR)
        OrthancPluginLogError(p->context, line);
    else if (level == PDVA_LOG_WARNING)
        OrthancPluginLogWarning(p->context, line);
    else
        OrthancPluginLogInfo(p->context, line);
}

void plugin_log(const plugin_state *p, pdva_log_level level, const char *fmt, ...)
{
    char line[1024];
    int n = snprintf(line, sizeof line, "pdva: ");
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(line + n, sizeof line - (size_t)n, fmt, ap);
    va_end(ap);
    log_line(p, level, line);
}

void plugin_log_from_library(void *user_data, pdva_log_level level, const char *message)
{
    plugin_log(user_data, level, "%s", message);
}

static void deadline_after_ms(struct timespec *ts, unsigned ms)
{
    clock_gettime(CLOCK_REALTIME, ts);
    ts->tv_sec += (time_t)(ms / 1000u);
    ts->tv_nsec += (long)(ms % 1000u) * 1000000L;
    if (ts->tv_nsec >= 1000000000L) {
        ts->tv_sec++;
        ts->tv_nsec -= 1000000000L;
    }
}

bool plugin_slot_acquire(plugin_state *p, unsigned wait_ms)
{
    struct timespec deadline;
    deadline_after_ms(&deadline, wait_ms);
    pthread_mutex_lock(&p->lock);
    while (p->slots_free == 0 && !p->stopping)
        if (pthread_cond_timedwait(&p->slot_freed, &p->lock, &deadline) == ETIMEDOUT)
            break;
    bool taken = p->slots_free > 0 && !p->stopping;
    if (taken)
        p->slots_free--;
    pthread_mutex_unlock(&p->lock);
    return taken;
}

void plugin_slot_release(plugin_state *p)
{
    pthread_mutex_lock(&p->lock);
    p->slots_free++;
    pthread_cond_signal(&p->slot_freed);
    pthread_mutex_unlock(&p->lock);
}

bool plugin_is_stopping(plugin_state *p)
{
    pthread_mutex_lock(&p->lock);
    bool stopping = p->stopping;
    pthread_mutex_unlock(&p->lock);
    return stopping;
}

void plugin_update_metrics(plugin_state *p)
{
    pthread_mutex_lock(&p->lock);
    float active = (float)p->active;
    float busy = (float)(p->config.worker_threads - p->slots_free);
    float ok = (float)p->succeeded, failed = (float)p->failed, cancelled = (float)p->cancelled;
    pthread_mutex_unlock(&p->lock);
    OrthancPluginSetMetricsValue(p->context, "pdva_analyses_queued_or_running", active,
                                 OrthancPluginMetricsType_Default);
    OrthancPluginSetMetricsValue(p->context, "pdva_analyses_computing", busy,
                                 OrthancPluginMetricsType_Default);
    OrthancPluginSetMetricsValue(p->context, "pdva_analyses_succeeded", ok,
                                 OrthancPluginMetricsType_Default);
    OrthancPluginSetMetricsValue(p->context, "pdva_analyses_failed", failed,
                                 OrthancPluginMetricsType_Default);
    OrthancPluginSetMetricsValue(p->context, "pdva_analyses_cancelled", cancelled,
                                 OrthancPluginMetricsType_Default);
}
