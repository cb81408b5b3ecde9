/* progress_bar.c — drawing the progress of an analysis on stderr.
 * SPDX-License-Identifier: GPL-3.0-or-later */
#include <string.h>
#include <sys/ioctl.h>
#include <time.h>
#include <unistd.h>

#include "plugin/runner/progress_bar.h"

static double now_s(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + 1e-9 * (double)ts.tv_nsec;
}

void progress_bar_init(progress_bar *bar, FILE *out, bool quiet)
{
    memset(bar, 0, sizeof *bar);
    bar->out = out;
    bar->start_s = now_s();
    bar->last_draw_s = -1.0;
    bar->width = 80;
    if (quiet) {
        bar->style = PROGRESS_NONE;
        return;
    }
    int fd = fileno(out);
    bar->style = fd >= 0 && isatty(fd) ? PROGRESS_BAR : PROGRESS_LINES;
    struct winsize ws;
    if (bar->style == PROGRESS_BAR && ioctl(fd, TIOCGWINSZ, &ws) == 0 && ws.ws_col >= 40)
        bar->width = ws.ws_col;
}

double progress_bar_elapsed_s(const progress_bar *bar)
{
    return now_s() - bar->start_s;
}

static void draw_bar(progress_bar *bar, double fraction, const char *stage)
{
    /* "[#####.....]  42%  vessels  12s": the bar takes what the text leaves */
    char tail[64];
    int tail_len = snprintf(tail, sizeof tail, " %3d%%  %-14.14s %4.0fs",
                            (int)(fraction * 100.0 + 0.5), stage, progress_bar_elapsed_s(bar));
    if (tail_len < 0)
        return;
    unsigned cells = bar->width > (unsigned)tail_len + 4 ? bar->width - (unsigned)tail_len - 4 : 10;
    if (cells > 50)
        cells = 50;
    unsigned full = (unsigned)(fraction * (double)cells + 0.5);
    if (full > cells)
        full = cells;
    char line[128];
    size_t n = 0;
    line[n++] = '[';
    for (unsigned i = 0; i < cells && n < sizeof line - 2; i++)
        line[n++] = i < full ? '#' : '.';
    line[n++] = ']';
    line[n] = '\0';
    fprintf(bar->out, "\r%s%s\033[K", line, tail);
    fflush(bar->out);
    bar->drawn = true;
}

void progress_bar_update(progress_bar *bar, double fraction, const char *stage)
{
    if (bar->style == PROGRESS_NONE)
        return;
    if (!(fraction >= 0.0))
        fraction = 0.0;
    if (fraction > 1.0)
        fraction = 1.0;
    if (!stage)
        stage = "";
    bool new_stage = strncmp(stage, bar->stage, sizeof bar->stage - 1) != 0;
    double t = now_s();
    if (bar->style == PROGRESS_LINES) {
        if (new_stage)
            fprintf(bar->out, "pdva: %3d%% %s\n", (int)(fraction * 100.0 + 0.5), stage);
    } else if (new_stage || t - bar->last_draw_s >= 0.1) {
        draw_bar(bar, fraction, stage);
        bar->last_draw_s = t;
    }
    if (new_stage)
        snprintf(bar->stage, sizeof bar->stage, "%s", stage);
}

void progress_bar_clear(progress_bar *bar)
{
    if (bar->style == PROGRESS_BAR && bar->drawn) {
        fputs("\r\033[K", bar->out);
        fflush(bar->out);
        bar->drawn = false;
    }
}
