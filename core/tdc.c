/* tdc.c — gamma-variate fitting by Nelder-Mead over (t0, tmax, alpha) with the height solved in
 * closed form for each trial.
 * SPDX-License-Identifier: GPL-3.0-or-later */
#include "core/tdc.h"

#include <math.h>
#include <string.h>

typedef struct fit_data {
    const double *t, *y;
    size_t from, to;
} fit_data;

static double shape(double t, double t0, double tmax, double alpha)
{
    if (t <= t0 || tmax <= t0)
        return 0.0;
    double x = (t - t0) / (tmax - t0);
    return exp(alpha * (log(x) + 1.0 - x));
}

/* Residual with the best height for (t0, tmax, alpha); writes the height. */
static double residual(const fit_data *fd, const double *p, double *ymax)
{
    double t0 = p[0], tmax = p[1], alpha = p[2];
    if (!(tmax > t0 + 0.05) || !(alpha > 0.5) || alpha > 30.0)
        return INFINITY;
    double sxy = 0.0, sxx = 0.0;
    for (size_t i = fd->from; i < fd->to; i++) {
        double g = shape(fd->t[i], t0, tmax, alpha);
        sxy += g * fd->y[i];
        sxx += g * g;
    }
    if (!(sxx > 0.0))
        return INFINITY;
    double h = sxy / sxx;
    if (h <= 0.0)
        return INFINITY;
    double rss = 0.0;
    for (size_t i = fd->from; i < fd->to; i++) {
        double e = fd->y[i] - h * shape(fd->t[i], t0, tmax, alpha);
        rss += e * e;
    }
    *ymax = h;
    return rss;
}

void pdva_gamma_variate_fit(const double *t, const double *y, size_t n, pdva_gamma_fit *out)
{
    memset(out, 0, sizeof *out);
    if (n < 4)
        return;
    size_t ip = 0;
    for (size_t i = 1; i < n; i++)
        if (y[i] > y[ip])
            ip = i;
    double peak = y[ip];
    if (!(peak > 0.0))
        return;
    size_t from = ip, to = ip + 1;
    while (from > 0 && y[from - 1] > 0.1 * peak)
        from--;
    if (from > 0)
        from--; /* one sample at the foot helps locate t0 */
    while (to < n && y[to] > 0.35 * peak)
        to++;
    if (to < n)
        to++;
    if (to - from < 4) {
        from = from > 1 ? from - 2 : 0;
        to = to + 2 < n ? to + 2 : n;
    }
    if (to - from < 4)
        return;
    fit_data fd = {t, y, from, to};
    /* start: t0 a little before the rise, tmax at the peak */
    double p[4][3];
    double tp = t[ip], tr = t[from];
    double t0 = tr - 0.3 * (tp - tr) - 0.1;
    double base[3] = {t0, tp, 3.0};
    double steps[3] = {0.4 * (tp - t0) + 0.1, 0.3 * (tp - t0) + 0.1, 1.5};
    double f[4], h;
    for (int k = 0; k < 4; k++) {
        for (int j = 0; j < 3; j++)
            p[k][j] = base[j] + (k == j + 1 ? steps[j] : 0.0);
        f[k] = residual(&fd, p[k], &h);
    }
    for (int iter = 0; iter < 400; iter++) {
        /* order */
        for (int a = 0; a < 4; a++)
            for (int b = a + 1; b < 4; b++)
                if (f[b] < f[a]) {
                    double tf = f[a];
                    f[a] = f[b];
                    f[b] = tf;
                    for (int j = 0; j < 3; j++) {
                        double tv = p[a][j];
                        p[a][j] = p[b][j];
                        p[b][j] = tv;
                    }
                }
        if (isfinite(f[3]) && fabs(f[3] - f[0]) <= 1e-10 * (fabs(f[0]) + 1e-20))
            break;
        double c[3] = {0, 0, 0};
        for (int a = 0; a < 3; a++)
            for (int j = 0; j < 3; j++)
                c[j] += p[a][j] / 3.0;
        double xr[3], xe[3], xc[3];
        for (int j = 0; j < 3; j++)
            xr[j] = c[j] + (c[j] - p[3][j]);
        double fr = residual(&fd, xr, &h);
        if (fr < f[0]) {
            for (int j = 0; j < 3; j++)
                xe[j] = c[j] + 2.0 * (c[j] - p[3][j]);
            double fe = residual(&fd, xe, &h);
            if (fe < fr) {
                memcpy(p[3], xe, sizeof xe);
                f[3] = fe;
            } else {
                memcpy(p[3], xr, sizeof xr);
                f[3] = fr;
            }
        } else if (fr < f[2]) {
            memcpy(p[3], xr, sizeof xr);
            f[3] = fr;
        } else {
            for (int j = 0; j < 3; j++)
                xc[j] = c[j] + 0.5 * (p[3][j] - c[j]);
            double fc = residual(&fd, xc, &h);
            if (fc < f[3]) {
                memcpy(p[3], xc, sizeof xc);
                f[3] = fc;
            } else {
                for (int a = 1; a < 4; a++) {
                    for (int j = 0; j < 3; j++)
                        p[a][j] = p[0][j] + 0.5 * (p[a][j] - p[0][j]);
                    f[a] = residual(&fd, p[a], &h);
                }
            }
        }
    }
    int best = 0;
    for (int a = 1; a < 4; a++)
        if (f[a] < f[best])
            best = a;
    if (!isfinite(f[best]))
        return;
    double ymax;
    residual(&fd, p[best], &ymax);
    out->ok = true;
    out->t0_s = p[best][0];
    out->tmax_s = p[best][1];
    out->alpha = p[best][2];
    out->ymax = ymax;
    double beta = (out->tmax_s - out->t0_s) / out->alpha;
    out->mean_s = out->t0_s + (out->alpha + 1.0) * beta;
    out->rms = sqrt(f[best] / (double)(to - from));
}

double pdva_gamma_variate_eval(const pdva_gamma_fit *g, double t)
{
    return g->ok ? g->ymax * shape(t, g->t0_s, g->tmax_s, g->alpha) : 0.0;
}
