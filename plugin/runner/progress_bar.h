/* progress_bar.h — what `pdva analyze` shows while it works: a bar redrawn in place on a
 * terminal, one line per stage in a log, nothing when quiet.
 * SPDX-License-Identifier: GPL-3.0-or-later */
#ifndef PDVA_RUNNER_PROGRESS_BAR_H
#define PDVA_RUNNER_PROGRESS_BAR_H

#include <stdbool.h>
#include <stdio.h>

typedef enum progress_style {
    PROGRESS_NONE = 0,
    PROGRESS_LINES, /* "pdva: 40% vessels" on each change of stage */
    PROGRESS_BAR    /* a bar redrawn with '\r', at most 10 times a second */
} progress_style;

typedef struct progress_bar {
    FILE *out; /* borrowed */
    progress_style style;
    unsigned width; /* columns of the terminal */
    double start_s; /* monotonic clock at creation */
    double last_draw_s;
    char stage[32]; /* last stage shown */
    bool drawn;     /* a bar is on screen and must be cleared */
} progress_bar;

/* Set up *bar for `out` (stderr); the style follows isatty() unless `quiet`. */
void progress_bar_init(progress_bar *bar, FILE *out, bool quiet);

/* Show `fraction` (0..1) of the work, in `stage` (borrowed). */
void progress_bar_update(progress_bar *bar, double fraction, const char *stage);

/* Remove the bar from the screen (before other output). */
void progress_bar_clear(progress_bar *bar);

/* Seconds since progress_bar_init. */
double progress_bar_elapsed_s(const progress_bar *bar);

#endif /* PDVA_RUNNER_PROGRESS_BAR_H */
