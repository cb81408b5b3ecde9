/* network.c — measuring the vessel network (see network.h).
 *
 * Diameters: the profile across each point is fitted with a blurred cylinder. Where the vessel is
 * too thin for its width to be resolved against the blur (radius under ~2.5 sigma), the
 * densitometric radius takes over: the area under the profile is amplitude x pi r^2 and the
 * amplitude (the iodine per unit of chord) is the same as in the well-resolved parts of the same
 * vessel nearby, so r = sqrt(area / (pi amplitude_reference)).
 * SPDX-License-Identifier: GPL-3.0-or-later */
#include "core/network.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/trace.h"
#include "base/alloc.h"
#include "base/parallel.h"
#include "base/error.h"
#include "core/curve.h"
#include "core/tdc.h"

#define MAX_PROFILE 257

void pdva_network_free(pdva_network *net)
{
    if (!net)
        return;
    for (size_t i = 0; i < net->n_seg; i++)
        pdva_free(net->seg[i].pt);
    pdva_free(net->seg);
    pdva_vessel_graph_free(&net->graph);
    memset(net, 0, sizeof *net);
}

static int compare_double(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

/* Median of the finite values of v (n items, scratch of n doubles). NAN if none. */
static double median_finite(const double *v, size_t n, double *scratch)
{
    size_t m = 0;
    for (size_t i = 0; i < n; i++)
        if (isfinite(v[i]))
            scratch[m++] = v[i];
    if (!m)
        return NAN;
    qsort(scratch, m, sizeof(double), compare_double);
    return m % 2 ? scratch[m / 2] : 0.5 * (scratch[m / 2 - 1] + scratch[m / 2]);
}

/* Smooth a pixel chain (moving average, ends kept) and resample it every `step`. */
static size_t resample_chain(const pdva_vec2 *in, size_t n, double step, pdva_vec2 **out)
{
    *out = NULL;
    if (n < 2)
        return 0;
    pdva_vec2 *sm = pdva_alloc_array(n, sizeof *sm);
    if (!sm)
        return 0;
    const int w = 3;
    for (size_t i = 0; i < n; i++) {
        if (i < (size_t)w || i + (size_t)w >= n) {
            sm[i] = in[i];
            continue;
        }
        pdva_vec2 acc = {0, 0};
        for (int k = -w; k <= w; k++)
            acc = pdva_v2_add(acc, in[(size_t)((long)i + k)]);
        sm[i] = pdva_v2_scale(acc, 1.0 / (2 * w + 1));
    }
    double len = pdva_polyline_length(sm, n);
    size_t m = (size_t)(len / step) + 1;
    if (m < 2)
        m = 2;
    pdva_vec2 *res = pdva_alloc_array(m, sizeof *res);
    if (!res) {
        pdva_free(sm);
        return 0;
    }
    double actual = len / (double)(m - 1);
    for (size_t k = 0; k < m; k++)
        res[k] = pdva_polyline_point_at(sm, n, (double)k * actual);
    pdva_free(sm);
    *out = res;
    return m;
}

static void fill_geometry(pdva_segment *s)
{
    double acc = 0.0;
    for (size_t i = 0; i < s->n; i++) {
        size_t a = i > 0 ? i - 1 : 0, b = i + 1 < s->n ? i + 1 : s->n - 1;
        s->pt[i].tangent = pdva_v2_unit(pdva_v2_sub(s->pt[b].p, s->pt[a].p));
        if (i > 0)
            acc += pdva_v2_dist(s->pt[i].p, s->pt[i - 1].p);
        s->pt[i].s_px = acc;
    }
    s->length_px = acc;
}

double pdva_segment_radius(const pdva_network *net, int seg)
{
    double r = net->seg[seg].median_r_px;
    return isfinite(r) ? r : 0.0;
}

void pdva_segment_reverse(pdva_segment *s)
{
    for (size_t i = 0, j = s->n ? s->n - 1 : 0; i < j; i++, j--) {
        pdva_seg_point t = s->pt[i];
        s->pt[i] = s->pt[j];
        s->pt[j] = t;
    }
    int t = s->a;
    s->a = s->b;
    s->b = t;
    double ta = s->arrival_a;
    s->arrival_a = s->arrival_b;
    s->arrival_b = ta;
    fill_geometry(s);
}

/* The clean profiles the PSF is estimated from: clearly visible, mid-sized vessels away from
 * branch points, spread over the whole network. */
enum { PSF_CANDIDATES = 10, PSF_MAX_POINTS = 120 };
static const double psf_candidates[PSF_CANDIDATES] = {0.45, 0.6, 0.75, 0.9, 1.05,
                                                      1.25, 1.5, 1.8, 2.2, 2.7};

typedef struct psf_job {
    const pdva_seg_point *pt[PSF_MAX_POINTS];
    size_t n_points;
    const pdva_image *auc;
    double noise;
    double rss[PSF_CANDIDATES];
    bool failed[PSF_CANDIDATES];
} psf_job;

/* Candidates [begin, end): each builds its model and fits every clean profile with it. */
static void psf_fit_candidates(void *ctx, size_t begin, size_t end)
{
    psf_job *job = ctx;
    float prof[MAX_PROFILE];
    for (size_t c = begin; c < end; c++) {
        pdva_profile_model model;
        if (pdva_profile_model_create(&model, psf_candidates[c], 24.0, 1, NULL) != PDVA_OK) {
            job->failed[c] = true;
            continue;
        }
        double rss = 0.0;
        for (size_t k = 0; k < job->n_points; k++) {
            const pdva_seg_point *p = job->pt[k];
            double half = 2.5 * p->r_fit_px + 5.0;
            size_t n = (size_t)(2.0 * half / 0.5) + 1;
            if (n > MAX_PROFILE)
                n = MAX_PROFILE;
            pdva_vec2 normal = pdva_v2_perp(p->tangent);
            pdva_profile_sample(job->auc, p->p, normal, 0.5, n, prof);
            /* residuals relative to the profile's own range, so that big vessels don't
             * dominate (a model-free scale: the fitted amplitude would favour wide blurs) */
            float lo = prof[0], hi = prof[0];
            for (size_t j = 1; j < n; j++) {
                lo = prof[j] < lo ? prof[j] : lo;
                hi = prof[j] > hi ? prof[j] : hi;
            }
            double norm = hi > lo ? hi - lo : 1.0;
            pdva_profile_fit fit;
            pdva_profile_fit_cylinder(&model, prof, n, 0.5, p->r_fit_px, job->noise, &fit);
            rss += fit.ok ? (fit.rms / norm) * (fit.rms / norm) : 1.0;
        }
        job->rss[c] = rss;
        pdva_profile_model_destroy(&model);
    }
}

/* PSF sigma: the blur that best explains the profiles of clearly visible, mid-sized vessels. */
static double estimate_psf(const pdva_network *net, const pdva_image *auc, double noise,
                           unsigned threads)
{
    psf_job job;
    memset(&job, 0, sizeof job);
    job.auc = auc;
    job.noise = noise;
    size_t total = 0;
    for (size_t si = 0; si < net->n_seg; si++)
        total += net->seg[si].n;
    size_t stride = total / (4 * PSF_MAX_POINTS) + 1, k = 0;
    for (size_t si = 0; si < net->n_seg && job.n_points < PSF_MAX_POINTS; si++) {
        const pdva_segment *s = &net->seg[si];
        for (size_t i = 0; i < s->n && job.n_points < PSF_MAX_POINTS; i++, k++) {
            const pdva_seg_point *p = &s->pt[i];
            if (k % stride || p->near_junction || !(p->r_fit_px > 2.5 && p->r_fit_px < 9.0) ||
                p->cnr < 12.0)
                continue;
            job.pt[job.n_points++] = p;
        }
    }
    int best = 2;
    if (job.n_points < 8)
        return psf_candidates[best];
    pdva_parallel_for(threads, PSF_CANDIDATES, 1, psf_fit_candidates, &job);
    for (int c = 0; c < PSF_CANDIDATES; c++)
        if (job.failed[c])
            return psf_candidates[best]; /* out of memory: the usual blur */
    for (int c = 0; c < PSF_CANDIDATES; c++)
        if (job.rss[c] < job.rss[best])
            best = c;
    return psf_candidates[best];
}

typedef struct fit_job {
    pdva_network *net;
    const pdva_image *auc;
    const pdva_profile_model *model;
    double noise;
    const size_t *first; /* n_seg + 1: the flat index of each segment's first point */
} fit_job;

/* Fit the profile across one point and recentre it on the fitted vessel axis. */
static void fit_point(const fit_job *job, pdva_seg_point *p, float *prof)
{
    const pdva_profile_model *model = job->model;
    double guess = isfinite(p->r_fit_px) && p->r_fit_px > 0.5 ? p->r_fit_px : 3.0;
    double half = 2.5 * guess + 4.0 * model->sigma_px + 3.0;
    size_t n = (size_t)(2.0 * half / 0.5) + 1;
    if (n > MAX_PROFILE)
        n = MAX_PROFILE;
    pdva_vec2 normal = pdva_v2_perp(p->tangent);
    pdva_profile_sample(job->auc, p->p, normal, 0.5, n, prof);
    pdva_profile_fit fit;
    pdva_profile_fit_cylinder(model, prof, n, 0.5, guess, job->noise, &fit);
    {
        const char *probe = PDVA_TRACE_GETENV("PDVA_PROBE");
        double px, py;
        if (probe && sscanf(probe, "%lf,%lf", &px, &py) == 2 &&
            hypot(p->p.x - px, p->p.y - py) < 3.0) {
            PDVA_TRACEF("probe (%.1f,%.1f) sigma %.2f guess %.2f -> r %.2f off %.2f amp %.4g "
                        "rms %.4g\n  ",
                        p->p.x, p->p.y, model->sigma_px, guess, fit.radius_px, fit.offset_px,
                        fit.amplitude, fit.rms);
            for (size_t k = 0; k < n; k++)
                PDVA_TRACEF("%.3g ", prof[k]);
            PDVA_TRACEF("\n");
        }
    }
    p->r_fit_px = fit.ok ? fit.radius_px : NAN;
    p->amplitude = fit.ok ? fit.amplitude : NAN;
    p->area = fit.ok ? fit.area : NAN;
    p->cnr = fit.contrast_to_noise;
    if (fit.ok && fabs(fit.offset_px) < 0.5 * guess + 1.0)
        p->p = pdva_v2_add(p->p, pdva_v2_scale(normal, fit.offset_px));
}

/* Points [begin, end) of the network, counted across its segments in order. */
static void fit_points_range(void *ctx, size_t begin, size_t end)
{
    const fit_job *job = ctx;
    float prof[MAX_PROFILE];
    /* the segment holding `begin`: the last whose first point is at or before it */
    size_t lo = 0, hi = job->net->n_seg;
    while (hi - lo > 1) {
        size_t mid = lo + (hi - lo) / 2;
        if (job->first[mid] <= begin)
            lo = mid;
        else
            hi = mid;
    }
    for (size_t si = lo, k = begin; k < end && si < job->net->n_seg; si++) {
        pdva_segment *s = &job->net->seg[si];
        for (size_t i = k - job->first[si]; i < s->n && k < end; i++, k++)
            fit_point(job, &s->pt[i], prof);
    }
}

/* Every point's fit is independent of the others': the points are shared out between threads
 * a few at a time (segments differ in length by a hundred times). */
static pdva_status fit_points(pdva_network *net, const pdva_image *auc,
                              const pdva_profile_model *model, double noise, unsigned threads,
                              pdva_error **err)
{
    size_t *first = pdva_alloc_array(net->n_seg + 1, sizeof(size_t));
    if (!first)
        return pdva_error_set(err, PDVA_ERR_NO_MEMORY, "no memory for the profile fits");
    first[0] = 0;
    for (size_t si = 0; si < net->n_seg; si++)
        first[si + 1] = first[si] + net->seg[si].n;
    fit_job job = {net, auc, model, noise, first};
    pdva_parallel_for(threads, first[net->n_seg], 16, fit_points_range, &job);
    pdva_free(first);
    return PDVA_OK;
}

/* Direction in which segment s leaves node v, from the node to a point `reach` pixels along. */
static pdva_vec2 leaving_direction(const pdva_segment *s, int v, double reach)
{
    size_t n = s->n;
    if (n < 2)
        return pdva_v2(0.0, 0.0);
    bool from_a = s->a == v;
    pdva_vec2 p0 = from_a ? s->pt[0].p : s->pt[n - 1].p;
    pdva_vec2 p1 = p0;
    for (size_t k = 1; k < n; k++) {
        p1 = from_a ? s->pt[k].p : s->pt[n - 1 - k].p;
        if (pdva_v2_dist(p1, p0) >= reach)
            break;
    }
    return pdva_v2_unit(pdva_v2_sub(p1, p0));
}

/* A segment the fits barely see (most of its points under a contrast-to-noise of 3): the
 * skeleton of faint blush or noise next to a vessel, not a lumen that merges with it. */
static bool segment_is_faint(const pdva_segment *s)
{
    size_t seen = 0;
    for (size_t i = 0; i < s->n; i++)
        seen += s->pt[i].cnr >= 3.0;
    return seen * 10 < s->n * 3;
}

/* Two segments between the same two nodes, both shorter than `len_px`: a small loop where the
 * skeleton goes round a hole in one blob of contrast (a collateral crossing the conduit), not two
 * vessels parting. */
static bool small_loop(const pdva_segment *s, const pdva_segment *t, double len_px)
{
    bool same = (s->a == t->a && s->b == t->b) || (s->a == t->b && s->b == t->a);
    return same && s->length_px < len_px && t->length_px < len_px;
}

/* Flag the points whose profiles and curves mix the vessels of a branch point: around the node,
 * and back along the segment two branches come from while their lumens are still merged (two
 * vessels of radii r1 and r2 diverging at an angle theta overlap up to (r1 + r2) / sin(theta)
 * from where they part, far longer than a radius when a branch leaves at an acute angle; not
 * for the two sides of a small loop). */
static void mark_junction_points(pdva_network *net, bool measured)
{
    size_t nn = net->graph.n_nodes;
    for (size_t si = 0; si < net->n_seg; si++)
        for (size_t i = 0; i < net->seg[si].n; i++)
            net->seg[si].pt[i].near_junction = false;
    enum { MAX_MEET = 16 };
    for (size_t v = 0; v < nn; v++) {
        const pdva_graph_node *nd = &net->graph.nodes[v];
        if (nd->removed || nd->degree < 3)
            continue;
        size_t meet[MAX_MEET];
        double r[MAX_MEET];
        size_t m = 0;
        double r_node = 0.0;
        for (size_t si = 0; si < net->n_seg && m < MAX_MEET; si++) {
            const pdva_segment *s = &net->seg[si];
            if (s->a != (int)v && s->b != (int)v)
                continue;
            if (measured && segment_is_faint(s))
                continue;
            double rr = measured ? s->median_r_px : NAN;
            if (!isfinite(rr)) {
                size_t k = s->a == (int)v ? 0 : s->n - 1;
                rr = isfinite(s->pt[k].r_fit_px) ? s->pt[k].r_fit_px : 3.0;
            }
            meet[m] = si;
            r[m++] = rr;
            r_node = fmax(r_node, rr);
        }
        if (m < 3)
            continue; /* with faint skeleton set aside, the vessel just goes through */
        pdva_vec2 dir[MAX_MEET];
        for (size_t a = 0; a < m; a++)
            dir[a] = leaving_direction(&net->seg[meet[a]], (int)v, 2.0 * r_node + 6.0);
        /* The skeleton puts the node where two branches have separated; back from there, along
         * the segment they both come from, their lumens are still one blob, for about
         * (r1 + r2) / sin(angle between them). */
        double reach[MAX_MEET];
        for (size_t a = 0; a < m; a++)
            reach[a] = 1.5 * r_node + 2.0;
        for (size_t b = 0; b < m; b++)
            for (size_t c = b + 1; c < m; c++) {
                double cb = pdva_v2_dot(dir[b], dir[c]);
                if (cb <= 0.0 ||
                    small_loop(&net->seg[meet[b]], &net->seg[meet[c]], 6.0 * r_node + 4.0))
                    continue;
                double sin_t = sqrt(fmax(0.0, 1.0 - cb * cb));
                double merged = (r[b] + r[c]) / fmax(sin_t, 0.25) + 2.0;
                for (size_t a = 0; a < m; a++)
                    if (a != b && a != c && pdva_v2_dot(dir[a], dir[b]) < 0.0 &&
                        pdva_v2_dot(dir[a], dir[c]) < 0.0)
                        reach[a] = fmax(reach[a], merged);
            }
        for (size_t a = 0; a < m; a++) {
            double ra = fmin(reach[a], 6.0 * r_node + 4.0);
            pdva_segment *s = &net->seg[meet[a]];
            if (measured && PDVA_TRACE_ON("PDVA_DEBUG_JUNCTION"))
                PDVA_TRACEF("junction node %zu (%.0f,%.0f) seg %zu r %.2f reach %.1f\n", v,
                            nd->p.x, nd->p.y, meet[a], r[a], ra);
            for (size_t i = 0; i < s->n; i++)
                if (pdva_v2_dist(s->pt[i].p, nd->p) < ra)
                    s->pt[i].near_junction = true;
        }
    }
}

/* Densitometric correction of thin or narrowed points (see the file comment). */
static void finish_radii(pdva_network *net, double sigma, double *scratch)
{
    for (size_t si = 0; si < net->n_seg; si++) {
        pdva_segment *s = &net->seg[si];
        for (size_t i = 0; i < s->n; i++) {
            pdva_seg_point *p = &s->pt[i];
            p->r_px = p->r_fit_px;
            if (!isfinite(p->r_fit_px) || p->cnr < 3.0) {
                p->r_px = NAN;
                continue;
            }
            /* amplitude reference: well-resolved points within +-12 samples */
            size_t lo = i > 12 ? i - 12 : 0, hi = i + 13 < s->n ? i + 13 : s->n;
            size_t m = 0;
            for (size_t k = lo; k < hi; k++) {
                const pdva_seg_point *q = &s->pt[k];
                if (isfinite(q->r_fit_px) && q->r_fit_px > 2.5 * sigma && !q->near_junction &&
                    q->cnr > 6.0)
                    scratch[m++] = q->amplitude;
            }
            if (m < 3)
                continue;
            qsort(scratch, m, sizeof(double), compare_double);
            double amp_ref = scratch[m / 2];
            if (!(amp_ref > 0.0) || !(p->area > 0.0))
                continue;
            double r_dens = sqrt(p->area / (M_PI * amp_ref));
            double w; /* weight of the densitometric radius */
            if (p->r_fit_px < 1.8 * sigma)
                w = 1.0;
            else if (p->r_fit_px < 3.0 * sigma)
                w = (3.0 * sigma - p->r_fit_px) / (1.2 * sigma);
            else
                w = 0.0;
            p->r_px = w * r_dens + (1.0 - w) * p->r_fit_px;
        }
        double *r = scratch;
        for (size_t i = 0; i < s->n; i++)
            r[i] = s->pt[i].near_junction ? NAN : s->pt[i].r_px;
        s->median_r_px = median_finite(r, s->n, r + s->n);
        if (!isfinite(s->median_r_px)) {
            /* a short segment between two branch points: its junction points are all it has */
            for (size_t i = 0; i < s->n; i++)
                r[i] = s->pt[i].r_px;
            s->median_r_px = median_finite(r, s->n, r + s->n);
        }
    }
}

/* The time of the bolus passage at a point: the centre of the curve's width at half its peak
 * (rise and fall interpolated between frames). Dispersion widens a curve on both sides about
 * equally, so this centre follows the mean transit delay where the arrival time (the foot of
 * the rise) runs ahead of it; the gamma-variate mean serves when the fall is cut by the run's
 * end. */
static double transit_time(const double *t, const double *c, uint32_t n,
                           const pdva_curve_params *cp)
{
    double half = 0.5 * cp->peak_height;
    size_t ip = cp->peak_index;
    double rise = NAN, fall = NAN;
    for (size_t i = ip; i > 0; i--)
        if (c[i - 1] < half) {
            double f = (half - c[i - 1]) / (c[i] - c[i - 1]);
            rise = t[i - 1] + f * (t[i] - t[i - 1]);
            break;
        }
    for (size_t i = ip; i + 1 < n; i++)
        if (c[i + 1] < half) {
            double f = (c[i] - half) / (c[i] - c[i + 1]);
            fall = t[i] + f * (t[i + 1] - t[i]);
            break;
        }
    if (isfinite(rise) && isfinite(fall))
        return 0.5 * (rise + fall);
    pdva_gamma_fit g;
    pdva_gamma_variate_fit(t, c, n, &g);
    return g.ok && g.mean_s > t[0] - 5.0 && g.mean_s < t[n - 1] + 20.0 ? g.mean_s : NAN;
}

static void measure_curves(pdva_network *net, const pdva_dsa_result *dsa,
                           const pdva_network_params *prm, double *curve, double *tmp)
{
    uint32_t nf = prm->frames;
    const double *t = prm->frame_times_s;
    for (size_t si = 0; si < net->n_seg; si++) {
        pdva_segment *s = &net->seg[si];
        for (size_t i = 0; i < s->n; i++) {
            /* the curve at this point, averaged with its neighbours along the vessel */
            for (uint32_t f = 0; f < nf; f++)
                curve[f] = 0.0;
            int used = 0;
            for (long k = (long)i - 1; k <= (long)i + 1; k++) {
                if (k < 0 || k >= (long)s->n)
                    continue;
                pdva_vec2 q = s->pt[k].p;
                for (uint32_t f = 0; f < nf; f++)
                    curve[f] += pdva_dsa_cube_sample(dsa, q.x, q.y, f);
                used++;
            }
            for (uint32_t f = 0; f < nf; f++) {
                curve[f] /= used;
                if (f < prm->first_contrast_frame)
                    curve[f] = 0.0;
            }
            pdva_curve_params cp;
            pdva_curve_compute(t, curve, nf, 5.0 * net->point_noise, &cp);
            pdva_seg_point *p = &s->pt[i];
            if (!cp.valid) {
                p->arrival_s = p->peak_s = p->mean_s = p->peak = NAN;
                continue;
            }
            p->arrival_s = cp.arrival_time_s;
            p->peak_s = cp.peak_time_s;
            p->peak = cp.peak_height;
            p->mean_s = transit_time(t, curve, nf, &cp);
        }
        /* arrival near each end: median of the first / last few points */
        size_t k = s->n < 5 ? s->n : 5;
        for (size_t i = 0; i < k; i++)
            tmp[i] = s->pt[i].arrival_s;
        s->arrival_a = median_finite(tmp, k, tmp + k);
        for (size_t i = 0; i < k; i++)
            tmp[i] = s->pt[s->n - 1 - i].arrival_s;
        s->arrival_b = median_finite(tmp, k, tmp + k);
    }
}

pdva_status pdva_network_measure(pdva_network *net, pdva_vessel_graph *graph,
                                 const pdva_image *auc, const float *scale_px,
                                 const pdva_dsa_result *dsa, const pdva_network_params *prm,
                                 pdva_error **err)
{
    memset(net, 0, sizeof *net);
    net->graph = *graph;
    memset(graph, 0, sizeof *graph);
    net->step_px = prm->step_px;
    size_t live = 0;
    for (size_t e = 0; e < net->graph.n_edges; e++)
        live += !net->graph.edges[e].removed;
    net->seg = pdva_calloc_array(live ? live : 1, sizeof(pdva_segment));
    if (!net->seg)
        return pdva_error_set(err, PDVA_ERR_NO_MEMORY, "no memory for vessel segments");
    size_t max_n = 16;
    for (size_t e = 0; e < net->graph.n_edges; e++) {
        const pdva_graph_edge *ed = &net->graph.edges[e];
        if (ed->removed)
            continue;
        pdva_vec2 *pts;
        size_t n = resample_chain(ed->pts, ed->n, prm->step_px, &pts);
        if (n < 2) {
            pdva_free(pts);
            continue;
        }
        pdva_segment *s = &net->seg[net->n_seg++];
        s->a = ed->a;
        s->b = ed->b;
        s->n = n;
        s->parent = -1;
        s->result_index = -1;
        s->pt = pdva_calloc_array(n, sizeof(pdva_seg_point));
        if (!s->pt) {
            pdva_free(pts);
            return pdva_error_set(err, PDVA_ERR_NO_MEMORY, "no memory for vessel points");
        }
        for (size_t i = 0; i < n; i++) {
            s->pt[i].p = pts[i];
            uint32_t x = (uint32_t)fmin(fmax(pts[i].x, 0.0), auc->width - 1.0);
            uint32_t y = (uint32_t)fmin(fmax(pts[i].y, 0.0), auc->height - 1.0);
            double sc = scale_px ? scale_px[(size_t)y * auc->width + x] : 0.0;
            s->pt[i].r_fit_px = sc > 0.0 ? sc / 0.84 : 3.0;
        }
        pdva_free(pts);
        fill_geometry(s);
        if (n > max_n)
            max_n = n;
    }
    mark_junction_points(net, false);
    /* first pass with a provisional blur, to find clean points for the PSF estimate */
    pdva_profile_model model;
    pdva_status st = pdva_profile_model_create(&model, 0.8, 30.0, prm->threads, err);
    if (st != PDVA_OK)
        return st;
    st = fit_points(net, auc, &model, prm->auc_noise, prm->threads, err);
    pdva_profile_model_destroy(&model);
    if (st != PDVA_OK)
        return st;
    net->psf_sigma_px = prm->psf_sigma_px > 0.0 ? prm->psf_sigma_px
                                                : estimate_psf(net, auc, prm->auc_noise, prm->threads);
    st = pdva_profile_model_create(&model, net->psf_sigma_px, 30.0, prm->threads, err);
    if (st != PDVA_OK)
        return st;
    st = fit_points(net, auc, &model, prm->auc_noise, prm->threads, err);
    pdva_profile_model_destroy(&model);
    if (st != PDVA_OK)
        return st;
    size_t scratch_n = 2 * max_n + 64 + 2 * (size_t)prm->frames;
    double *scratch = pdva_alloc_array(scratch_n, sizeof(double));
    double *curve = pdva_alloc_array(prm->frames + 1, sizeof(double));
    if (!scratch || !curve) {
        pdva_free(scratch);
        pdva_free(curve);
        return pdva_error_set(err, PDVA_ERR_NO_MEMORY, "no memory for measurements");
    }
    finish_radii(net, net->psf_sigma_px, scratch);
    /* with the lumens measured, mark again: what is near a branch point is within the widest
     * vessel meeting there (the scale map's guesses overshoot at the blobs of branch points) */
    mark_junction_points(net, true);
    finish_radii(net, net->psf_sigma_px, scratch);
    if (PDVA_TRACE_ON("PDVA_DEBUG_QCA")) {
        PDVA_TRACEF( "psf sigma %.2f\n", net->psf_sigma_px);
        /* PDVA_DEBUG_QCA="x0,y0,x1,y1": every point in that box, else every 8th point */
        double bx0 = 0, by0 = 0, bx1 = 0, by1 = 0;
        const char *box = PDVA_TRACE_GETENV("PDVA_DEBUG_QCA");
        bool boxed = box && sscanf(box, "%lf,%lf,%lf,%lf", &bx0, &by0, &bx1, &by1) == 4;
        for (size_t si = 0; si < net->n_seg; si++)
            for (size_t i = 0; i < net->seg[si].n; i += boxed ? 1 : 8) {
                const pdva_seg_point *q = &net->seg[si].pt[i];
                if (boxed && (q->p.x < bx0 || q->p.x > bx1 || q->p.y < by0 || q->p.y > by1))
                    continue;
                PDVA_TRACEF( "seg %zu pt %zu (%.1f,%.1f) rfit %.2f r %.2f amp %.4g area %.4g cnr %.1f nj %d\n",
                        si, i, q->p.x, q->p.y, q->r_fit_px, q->r_px, q->amplitude, q->area, q->cnr,
                        q->near_junction);
            }
    }
    /* one point's curve: cube noise (half the subtraction noise after 2x2 averaging), averaged
     * over three points */
    net->point_noise = dsa->noise_sigma / 2.0 / sqrt(3.0);
    measure_curves(net, dsa, prm, curve, scratch);
    pdva_free(scratch);
    pdva_free(curve);
    return PDVA_OK;
}

void pdva_network_orient(pdva_network *net)
{
    for (size_t si = 0; si < net->n_seg; si++) {
        pdva_segment *s = &net->seg[si];
        if (s->removed || s->n < 2)
            continue;
        /* slope of arrival over the length: robust to a few missing points */
        double sw = 0, sx = 0, sy = 0, sxx = 0, sxy = 0;
        for (size_t i = 0; i < s->n; i++) {
            if (!isfinite(s->pt[i].arrival_s))
                continue;
            double x = s->pt[i].s_px, y = s->pt[i].arrival_s;
            sw++;
            sx += x;
            sy += y;
            sxx += x * x;
            sxy += x * y;
        }
        double den = sw * sxx - sx * sx;
        double slope = sw >= 3 && fabs(den) > 1e-12 ? (sw * sxy - sx * sy) / den : 0.0;
        if (slope < 0.0)
            pdva_segment_reverse(s);
    }
}

size_t pdva_network_segments_at(const pdva_network *net, int v, int *out, size_t cap)
{
    size_t k = 0;
    for (size_t si = 0; si < net->n_seg && k < cap; si++) {
        const pdva_segment *s = &net->seg[si];
        if (s->removed)
            continue;
        if (s->a == v || s->b == v)
            out[k++] = (int)si;
    }
    return k;
}
