/* series_analysis.c — one run from frames to findings (see series_analysis.h).
 *
 * Frames are decoded on one or two other threads while the subtraction runs on this one, through
 * a small ring of buffers, so that decoding and analysis overlap and memory stays flat.
 * SPDX-License-Identifier: GPL-3.0-or-later */
#include "core/series_analysis.h"

#include <math.h>
#include <pthread.h>
#include <stdio.h>
#include <string.h>
#include <stdlib.h>
#include <time.h>
#include <unistd.h>

#include "core/trace.h"
#include "base/alloc.h"
#include "base/error.h"
#include "base/parallel.h"
#include "core/body.h"
#include "core/dsa.h"
#include "core/interpret.h"
#include "core/network.h"
#include "core/raster.h"
#include "core/vessel_graph.h"
#include "itk/pdva_itk.h"

/* Frames decoded ahead: RING buffers, so that each decoder can work on a frame while the
 * subtraction takes the one before. */
#define RING 4
#define MAX_DECODERS 2

unsigned pdva_series_decoders(unsigned threads, uint32_t frames)
{
    /* one thread: decode in line; two: one decoder beside this thread; more, or all cores of a
     * machine with two or more: two decoders, whose CPU the subtraction shares (decoding is
     * ~12 ms a frame, subtracting ~8 ms); a run of a few frames is not worth a second reader */
    unsigned usable = pdva_parallel_threads(threads);
    if (usable <= 1)
        return 0;
    return (threads == 0 || usable > 2) && frames >= 4 ? 2 : 1;
}

/* ---- decoding ahead on other threads ------------------------------------------------------ */

/* Decoding a compressed frame costs more than subtracting it, so with a second reader two
 * threads decode (frames f and f+1 at once) while this one subtracts, in frame order. */
typedef struct frame_ring {
    const pdva_series_input *in;
    uint16_t *buf[RING];
    uint32_t held[RING];  /* frame index + 1 decoded into the buffer, 0 while it is free */
    size_t frame_len;
    unsigned decoders;
    uint32_t consumed;    /* frames subtracted */
    bool stop;
    pdva_status status;   /* the first decoder's failure */
    pdva_error *error;
    pthread_mutex_t lock;
    pthread_cond_t changed;
} frame_ring;

typedef struct decoder {
    frame_ring *ring;
    void *reader;
    uint32_t first;       /* decodes frames first, first + decoders, ... */
} decoder;

static void *decode_ahead(void *arg)
{
    decoder *dec = arg;
    frame_ring *r = dec->ring;
    for (uint32_t f = dec->first; f < r->in->frames; f += r->decoders) {
        pthread_mutex_lock(&r->lock);
        /* buffer f % RING last held frame f - RING: free once that one is subtracted */
        while (!r->stop && f >= r->consumed + RING)
            pthread_cond_wait(&r->changed, &r->lock);
        bool stop = r->stop;
        pthread_mutex_unlock(&r->lock);
        if (stop)
            break;
        pdva_error *e = NULL;
        pdva_status st = r->in->read_frame(dec->reader, f, r->buf[f % RING], r->frame_len, &e);
        pthread_mutex_lock(&r->lock);
        if (st != PDVA_OK) {
            if (r->status == PDVA_OK) {
                r->status = st;
                r->error = e;
                e = NULL;
            }
            r->stop = true;
        } else {
            r->held[f % RING] = f + 1;
        }
        pthread_cond_broadcast(&r->changed);
        pthread_mutex_unlock(&r->lock);
        pdva_error_destroy(e);
        if (st != PDVA_OK)
            break;
    }
    return NULL;
}

static bool report(const pdva_series_input *in, double fraction, const char *stage)
{
    /* the subtraction's first and last frames only */
    double first = in->frames ? 0.6 / in->frames : 0.6;
    bool first_or_last = fraction >= 0.6 || fraction <= first + 1e-9;
    if (PDVA_TRACE_ON("PDVA_DEBUG_TIME") && (strcmp(stage, "subtraction") != 0 || first_or_last)) {
        struct timespec ts;
        clock_gettime(CLOCK_MONOTONIC, &ts);
        PDVA_TRACEF("time %.3f stage %s (%.2f)\n", (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9,
                    stage, fraction);
    }
    return in->progress ? in->progress(in->progress_user, fraction, stage) : false;
}

static pdva_status stream_frames(const pdva_series_input *in, pdva_dsa *dsa, pdva_error **err)
{
    frame_ring r;
    memset(&r, 0, sizeof r);
    r.in = in;
    r.frame_len = (size_t)in->rows * in->columns;
    /* one block for the ring: large enough to be backed by huge pages (base/alloc.c) */
    uint16_t *block = pdva_alloc_array(r.frame_len, RING * sizeof(uint16_t));
    if (!block)
        return pdva_error_set(err, PDVA_ERR_NO_MEMORY, "no memory for frame buffers");
    for (int i = 0; i < RING; i++)
        r.buf[i] = block + (size_t)i * r.frame_len;
    pthread_mutex_init(&r.lock, NULL);
    pthread_cond_init(&r.changed, NULL);
    unsigned wanted = pdva_series_decoders(in->threads, in->frames);
    if (wanted == 2 && !in->read_user_2)
        wanted = 1;
    decoder dec[MAX_DECODERS];
    pthread_t tid[MAX_DECODERS];
    void *readers[MAX_DECODERS] = {in->read_user, in->read_user_2};
    r.decoders = wanted ? wanted : 1;
    unsigned started = 0;
    for (unsigned k = 0; k < wanted; k++) {
        dec[k] = (decoder){&r, readers[k], k};
        if (pthread_create(&tid[k], NULL, decode_ahead, &dec[k]) != 0)
            break;
        started++;
    }
    bool threaded = started > 0;
    /* While the decoders have frames to decode, a frame is subtracted on the cores they leave
     * (one on two cores): a second subtracting thread would only take turns with them, at the
     * cost of a thread started and joined four times a frame. Near the end, when they are done,
     * on all the threads again. */
    unsigned usable = pdva_parallel_threads(in->threads);
    unsigned spare = usable > started ? usable - started : 1;
    pdva_status st = PDVA_OK;
    for (uint32_t f = 0; f < in->frames && st == PDVA_OK; f++) {
        pdva_dsa_set_threads(dsa, threaded && f + RING < in->frames ? spare : in->threads);
        /* a frame whose decoder thread could not start is decoded here */
        if (f % r.decoders < started) {
            pthread_mutex_lock(&r.lock);
            while (r.held[f % RING] != f + 1 && !r.stop)
                pthread_cond_wait(&r.changed, &r.lock);
            bool failed = r.held[f % RING] != f + 1;
            pthread_mutex_unlock(&r.lock);
            if (failed) {
                st = r.status != PDVA_OK ? r.status : PDVA_ERR_INTERNAL;
                break;
            }
        } else {
            st = in->read_frame(readers[f % r.decoders], f, r.buf[f % RING], r.frame_len, err);
            if (st != PDVA_OK)
                break;
        }
        st = pdva_dsa_push_frame(dsa, f, r.buf[f % RING], err);
        if (threaded) {
            pthread_mutex_lock(&r.lock);
            r.held[f % RING] = 0;
            r.consumed = f + 1;
            pthread_cond_broadcast(&r.changed);
            pthread_mutex_unlock(&r.lock);
        }
        if (st == PDVA_OK && report(in, 0.6 * (f + 1) / in->frames, "subtraction"))
            st = pdva_error_set(err, PDVA_ERR_CANCELLED, "analysis cancelled");
    }
    pdva_dsa_set_threads(dsa, in->threads);
    if (threaded) {
        pthread_mutex_lock(&r.lock);
        r.stop = true;
        pthread_cond_broadcast(&r.changed);
        pthread_mutex_unlock(&r.lock);
        for (unsigned k = 0; k < started; k++)
            pthread_join(tid[k], NULL);
        if (r.error)
            pdva_error_move(err, &r.error);
    }
    pthread_mutex_destroy(&r.lock);
    pthread_cond_destroy(&r.changed);
    pdva_free(block);
    return st;
}

void pdva_vessel_scales(double mmpp, double sigmas[PDVA_VESSEL_SCALES])
{
    /* the best scale of a cylinder of radius r is about 0.84 r (docs/methods-vesselness.md) */
    double lo = fmax(1.0, 0.84 * 0.6 / mmpp), hi = fmin(20.0, 0.84 * 4.2 / mmpp);
    if (hi < lo * 1.5)
        hi = lo * 1.5;
    for (int i = 0; i < PDVA_VESSEL_SCALES; i++)
        sigmas[i] = lo * pow(hi / lo, i / (double)(PDVA_VESSEL_SCALES - 1));
}

/* ---- debugging views ---- */

static void show(const pdva_series_input *in, const char *name, const float *data, uint32_t w,
                 uint32_t h)
{
    if (in->debug && in->debug->image)
        in->debug->image(in->debug->user, name, data, w, h);
}

/* ---- segmentation ------------------------------------------------------------------------- */

typedef struct seg_ctx {
    const float *scale;
    uint32_t cols, rows;
    double mmpp;
} seg_ctx;

static double spur_length(void *user, pdva_vec2 p)
{
    const seg_ctx *c = user;
    uint32_t x = (uint32_t)fmin(fmax(p.x, 0.0), c->cols - 1.0);
    uint32_t y = (uint32_t)fmin(fmax(p.y, 0.0), c->rows - 1.0);
    double r = c->scale[(size_t)y * c->cols + x] / 0.84;
    /* a side branch must stick out of its parent by more than the parent's own width */
    return fmax(3.0 * r + 3.0, 4.0 / c->mmpp);
}

/* A vessel that leaves the field has its skeleton's end about a radius inside the edge (the
 * thinning eats a cut end from the border side too): an end within its vessel's radius (plus
 * the graph's 4 pixels) of the edge is at the border. The radius is the scale map's largest
 * along the edge's points 8-30 pixels in (at the end itself the Hessian sees the image edge).
 * Without this, a wide inflow artery, whose end sits 8-10 pixels in, lost the inflow to a
 * narrower vein reaching the same edge. */
static void mark_border_ends(pdva_vessel_graph *g, const seg_ctx *c)
{
    for (size_t e = 0; e < g->n_edges; e++) {
        const pdva_graph_edge *ed = &g->edges[e];
        if (ed->removed || ed->n < 2)
            continue;
        for (int end = 0; end < 2; end++) {
            pdva_graph_node *nd = &g->nodes[end ? ed->b : ed->a];
            if (nd->removed || nd->at_border)
                continue;
            double scale = 0.0;
            for (size_t k = 8; k <= 30 && k < ed->n; k++) {
                pdva_vec2 p = ed->pts[end ? ed->n - 1 - k : k];
                uint32_t x = (uint32_t)fmin(fmax(p.x, 0.0), c->cols - 1.0);
                uint32_t y = (uint32_t)fmin(fmax(p.y, 0.0), c->rows - 1.0);
                scale = fmax(scale, c->scale[(size_t)y * c->cols + x]);
            }
            double r = scale / 0.84;
            double edge = fmin(fmin(nd->p.x, nd->p.y), fmin(c->cols - nd->p.x, c->rows - nd->p.y));
            if (edge < r + 4.0)
                nd->at_border = true;
            if (PDVA_TRACE_ON("PDVA_DEBUG_INFLOW") && edge < 30.0)
                PDVA_TRACEF("end (%.1f,%.1f) r %.2f edge %.1f -> border %d\n", nd->p.x, nd->p.y,
                            r, edge, (int)nd->at_border);
        }
    }
}

/* Noise of the opacified image relative to the noise of one subtracted frame: the mask's noise
 * counted once, the frames' averaged over the top values. */
static double opacified_noise_factor(const pdva_dsa_result *d)
{
    double m = d->mask_frames ? (double)d->mask_frames : 1.0;
    return sqrt((1.0 / m + 1.0 / PDVA_DSA_TOP_K) / 2.0);
}

/* What the row passes of the vessels' signal-to-noise image share. */
typedef struct snr_job {
    const pdva_dsa_result *d;
    float *snr;
    uint32_t w;
    double noise_factor; /* the smoothed image's noise over the subtraction's */
    uint32_t h;
    pdva_image *level; /* the local median level, one value per block */
    uint32_t level_block;
    float *tmp; /* w x h: a row of blocks works in its own rows of it */
} snr_job;

/* Rows [y0, y1): the smoothed image in units of its local noise. */
static void snr_rows(void *ctx, size_t y0, size_t y1)
{
    const snr_job *job = ctx;
    for (size_t y = y0; y < y1; y++)
        for (uint32_t x = 0; x < job->w; x++) {
            size_t i = y * job->w + x;
            double n = pdva_dsa_noise_at(job->d, x + 0.5, (double)y + 0.5) * job->noise_factor;
            job->snr[i] = n > 0.0 ? (float)(job->snr[i] / n) : 0.0f;
        }
}

/* Rows of blocks [by0, by1): each block's median. */
static void level_block_rows(void *ctx, size_t by0, size_t by1)
{
    const snr_job *job = ctx;
    const uint32_t B = job->level_block, w = job->w, h = job->h, bw = job->level->width;
    for (size_t by = by0; by < by1; by++) {
        float *tmp = job->tmp + by * B * w;
        for (uint32_t bx = 0; bx < bw; bx++) {
            size_t n = 0;
            for (size_t y = by * B; y < (by + 1) * B && y < h; y++)
                for (uint32_t x = bx * B; x < (bx + 1) * B && x < w; x++)
                    tmp[n++] = job->snr[y * w + x];
            job->level->data[by * bw + bx] = pdva_image_quantile(tmp, n, 0.5);
        }
    }
}

/* Rows [y0, y1): the local median level taken off. */
static void level_rows(void *ctx, size_t y0, size_t y1)
{
    const snr_job *job = ctx;
    double b = job->level_block;
    for (size_t y = y0; y < y1; y++)
        for (uint32_t x = 0; x < job->w; x++)
            job->snr[y * job->w + x] -=
                pdva_image_sample(job->level, (x + 0.5) / b, ((double)y + 0.5) / b);
}

static pdva_status segment_vessels(const pdva_series_input *in, const pdva_dsa_result *d,
                                   const pdva_image *img, double mmpp, float *vesselness,
                                   float *scale, uint8_t *mask, pdva_error **err)
{
    uint32_t w = img->width, h = img->height;
    double img_noise = d->noise_sigma * opacified_noise_factor(d);
    double sig[PDVA_VESSEL_SCALES];
    pdva_vessel_scales(mmpp, sig);
    double s_lo = sig[0];
    pdva_vesselness_params vp;
    pdva_vesselness_params_init(&vp);
    vp.sigmas_px = sig;
    vp.n_sigmas = PDVA_VESSEL_SCALES;
    vp.bright_vessels = 1;
    vp.threads = in->threads;
    /* structureness set from the noise, not from the brightest vessel, so that thin veins count
     * as much as the conduit: the normalized Hessian of white noise at scale s has a spread of
     * about 0.25 noise / s */
    vp.gamma = 6.0 * 0.25 * img_noise / s_lo;
    pdva_status st = pdva_itk_vesselness(img->data, w, h, &vp, vesselness, scale, NULL, NULL,
                                         err);
    if (st != PDVA_OK)
        return st;
    /* keep what is both tubular and clearly above the local noise of the AUC image, by
     * hysteresis */
    size_t npix = (size_t)w * h;
    float *snr = pdva_alloc_array(npix, sizeof(float));
    float *tmp = pdva_alloc_array(npix, sizeof(float));
    uint32_t *stack = pdva_alloc_array(npix, sizeof(uint32_t));
    if (!snr || !tmp || !stack) {
        pdva_free(snr);
        pdva_free(tmp);
        pdva_free(stack);
        return pdva_error_set(err, PDVA_ERR_NO_MEMORY, "no memory for segmentation");
    }
    memcpy(snr, img->data, npix * sizeof(float));
    /* a Gaussian of sigma 1 px leaves 1 / (2 sqrt(pi)) of white noise */
    pdva_blur_buffer_threads(snr, w, h, 1.0, tmp, in->threads);
    snr_job job = {d, snr, w, opacified_noise_factor(d) / (2.0 * sqrt(M_PI)), h, NULL, 0, NULL};
    pdva_parallel_for(in->threads, h, 32, snr_rows, &job);
    /* the top-hat of noise is biased upward (the opening follows the noise's lows): take the
     * local median level, which vessels (a small part of any block) leave alone, as zero */
    {
        const uint32_t B = 32;
        uint32_t bw = (w + B - 1) / B, bh = (h + B - 1) / B;
        pdva_image level;
        if (pdva_image_create(&level, bw, bh, err) != PDVA_OK) {
            pdva_free(snr);
            pdva_free(tmp);
            pdva_free(stack);
            return PDVA_ERR_NO_MEMORY;
        }
        job.level = &level;
        job.level_block = B;
        job.tmp = tmp;
        pdva_parallel_for(in->threads, bh, 1, level_block_rows, &job);
        pdva_parallel_for(in->threads, h, 32, level_rows, &job);
        pdva_image_destroy(&level);
    }
    show(in, "snr", snr, w, h);
    size_t top = 0;
    for (size_t i = 0; i < npix; i++) {
        mask[i] = 0;
        if (vesselness[i] > 0.4 && snr[i] > 8.0) {
            mask[i] = 1;
            stack[top++] = (uint32_t)i;
        }
    }
    while (top) {
        uint32_t q = stack[--top];
        uint32_t y = q / w, x = q % w;
        for (int dy = -1; dy <= 1; dy++)
            for (int dx = -1; dx <= 1; dx++) {
                long yy = (long)y + dy, xx = (long)x + dx;
                if (yy < 0 || xx < 0 || yy >= (long)h || xx >= (long)w)
                    continue;
                size_t j = (size_t)yy * w + (size_t)xx;
                if (!mask[j] && vesselness[j] > 0.1 && snr[j] > 4.0) {
                    mask[j] = 1;
                    stack[top++] = (uint32_t)j;
                }
            }
    }
    pdva_free(snr);
    pdva_free(tmp);
    pdva_free(stack);
    return PDVA_OK;
}

/* ---- venosomes ---------------------------------------------------------------------------- */

static pdva_status measure_venosomes(const pdva_series_input *in, const pdva_dsa_result *d,
                                     const pdva_body *body, const pdva_foot_frame *frame,
                                     pdva_series_result *res, pdva_error **err)
{
    res->venosomes = pdva_calloc_array(PDVA_VENOSOME_COUNT, sizeof(pdva_venosome_result));
    size_t plane = (size_t)d->cube_width * d->cube_height;
    uint8_t *half = pdva_alloc_array(plane, 1);
    uint32_t *pixels = pdva_alloc_array(plane, sizeof(uint32_t));
    double *curve = pdva_alloc_array(in->frames, sizeof(double));
    pdva_vec2 *poly = pdva_alloc_array(1024, sizeof(pdva_vec2));
    pdva_vec2 *tmp = pdva_alloc_array(1024, sizeof(pdva_vec2));
    pdva_status st = PDVA_OK;
    if (!res->venosomes || !half || !pixels || !curve || !poly || !tmp) {
        st = pdva_error_set(err, PDVA_ERR_NO_MEMORY, "no memory for the venosomes");
        goto done;
    }
    double w = in->columns, h = in->rows;
    pdva_vec2 rect[4] = {{0, 0}, {w, 0}, {w, h}, {0, h}};
    for (int v = 0; v < PDVA_VENOSOME_COUNT; v++) {
        size_t n = pdva_venosome_polygon(frame, (pdva_venosome)v, body->outline,
                                         body->n_outline, tmp, 1024);
        n = n >= 3 ? pdva_polygon_clip_convex(tmp, n, rect, 4, poly, 1024) : 0;
        pdva_venosome_result *vr = &res->venosomes[res->n_venosomes++];
        vr->id = (pdva_venosome)v;
        if (n < 3)
            continue;
        vr->polygon = pdva_alloc_array(n, sizeof(pdva_vec2));
        if (!vr->polygon) {
            st = pdva_error_set(err, PDVA_ERR_NO_MEMORY, "no memory for a venosome");
            goto done;
        }
        memcpy(vr->polygon, poly, n * sizeof(pdva_vec2));
        vr->n = n;
        /* the mean over the polygon, from the half-resolution cube */
        for (size_t i = 0; i < n; i++)
            tmp[i] = pdva_v2_scale(poly[i], 0.5);
        memset(half, 0, plane);
        pdva_raster_polygon(tmp, n, d->cube_height, d->cube_width, half, 1);
        size_t count = 0;
        for (size_t i = 0; i < plane; i++)
            if (half[i])
                pixels[count++] = (uint32_t)i;
        if (count < 16)
            continue;
        for (uint32_t f = 0; f < in->frames; f++)
            curve[f] = f < d->first_contrast_frame ? 0.0 : pdva_dsa_cube_mean(d, pixels, count, f);
        double noise = d->noise_sigma / 2.0 / sqrt((double)count);
        pdva_curve_compute(in->frame_times_s, curve, in->frames, fmax(6.0 * noise, 1e-9),
                           &vr->curve);
    }
done:
    pdva_free(half);
    pdva_free(pixels);
    pdva_free(curve);
    pdva_free(poly);
    pdva_free(tmp);
    return st;
}

/* ---- the analysis ------------------------------------------------------------------------- */

static void not_applicable(pdva_series_result *res, const char *why)
{
    res->status = PDVA_SERIES_NOT_APPLICABLE;
    snprintf(res->reason, sizeof res->reason, "%s", why);
}

pdva_status pdva_analyze_series(const pdva_series_input *in, pdva_series_result *res,
                                pdva_error **err)
{
    memset(res, 0, sizeof *res);
    res->flow_ml_min = NAN;
    res->conduit_velocity_mm_s = NAN;
    if (!in || !in->read_frame || in->rows == 0 || in->columns == 0)
        return pdva_error_set(err, PDVA_ERR_INVALID_ARGUMENT, "no series to analyze");
    if (in->frames < 2) {
        not_applicable(res, "a single frame holds no contrast transit");
        return PDVA_OK;
    }
    if (in->frames < 4) {
        not_applicable(res, "too few frames to follow the contrast (fewer than 4)");
        return PDVA_OK;
    }
    if (!in->frame_times_s) {
        not_applicable(res, "the frame times are unknown, so transit cannot be measured");
        return PDVA_OK;
    }
    if (in->rows < 64 || in->columns < 64) {
        not_applicable(res, "frames smaller than 64x64 pixels");
        return PDVA_OK;
    }
    double mmpp = in->spacing_known && in->spacing_mm > 0.0 ? in->spacing_mm : 0.3;
    pdva_dsa_params dp = {in->rows, in->columns, in->frames, in->frame_times_s, in->log_stored,
                          in->max_value, true, in->threads};
    pdva_dsa *dsa = NULL;
    pdva_body body;
    memset(&body, 0, sizeof body);
    pdva_network net;
    memset(&net, 0, sizeof net);
    pdva_vessel_graph graph;
    memset(&graph, 0, sizeof graph);
    float *vesselness = NULL, *scale = NULL;
    uint8_t *mask = NULL, *work = NULL;
    pdva_image background = {0, 0, NULL}, vessel_img = {0, 0, NULL};
    pdva_status st = pdva_dsa_create(&dp, &dsa, err);
    if (st != PDVA_OK)
        goto done;
    st = stream_frames(in, dsa, err);
    if (st == PDVA_OK)
        st = pdva_dsa_finish(dsa, err);
    if (st != PDVA_OK) {
        if (st != PDVA_ERR_CANCELLED) {
            res->status = PDVA_SERIES_ERROR;
            snprintf(res->reason, sizeof res->reason, "%s", pdva_error_message(err ? *err : NULL));
        }
        goto done;
    }
    pdva_dsa_result d;
    pdva_dsa_get_result(dsa, &d);
    res->max_motion_px = d.max_motion_px;
    if (d.saturated_frames)
        pdva_series_result_note(res, "%u saturated or blank frame(s) left out",
                                d.saturated_frames);
    if (!d.contrast_found) {
        not_applicable(res, "no contrast arrives during the run");
        goto done;
    }
    res->mask_known = true;
    res->mask_frame = d.mask_frame;
    if (!d.mask_contrast_free)
        pdva_series_result_note(res, "contrast is already present in the first frame: no clean "
                                     "mask, subtraction underestimates early filling");
    if (d.max_motion_px > 0.5)
        pdva_series_result_note(res, "patient motion up to %.1f pixels corrected",
                                d.max_motion_px);
    show(in, "auc", d.auc->data, d.auc->width, d.auc->height);
    show(in, "opacified", d.opacified->data, d.opacified->width, d.opacified->height);
    if (report(in, 0.62, "body")) {
        st = pdva_error_set(err, PDVA_ERR_CANCELLED, "analysis cancelled");
        goto done;
    }
    st = pdva_body_segment(d.mask_log, &body, err);
    if (st != PDVA_OK)
        goto done;
    res->run = pdva_body_classify(&body, in->body_part);
    pdva_foot_frame frame;
    memset(&frame, 0, sizeof frame);
    bool have_frame = res->run == PDVA_RUN_FOOT && pdva_body_foot_frame(&body, &frame);
    if (have_frame) {
        res->foot_frame_found = true;
        res->foot_frame = frame;
    } else if (res->run == PDVA_RUN_FOOT) {
        pdva_series_result_note(res, "the foot's outline could not be fitted: no venosomes");
    }
    /* the noise of the AUC image: the subtraction noise summed over the contrast frames */
    double w2 = 0.0;
    for (uint32_t f = d.first_contrast_frame; f < in->frames; f++) {
        double left = f > 0 ? in->frame_times_s[f] - in->frame_times_s[f - 1] : 0.0;
        double right = f + 1 < in->frames ? in->frame_times_s[f + 1] - in->frame_times_s[f] : 0.0;
        double wt = 0.5 * (left + right);
        w2 += wt * wt;
    }
    double auc_noise = d.noise_sigma * sqrt(w2);
    if (PDVA_TRACE_ON("PDVA_DEBUG"))
        PDVA_TRACEF( "debug: noise %.5f auc_noise %.5f first_contrast %u mask %u cube_scale %g\n",
                d.noise_sigma, auc_noise, d.first_contrast_frame, d.mask_frame, d.cube_scale);
    size_t npix = (size_t)in->rows * in->columns;
    vesselness = pdva_alloc_array(npix, sizeof(float));
    scale = pdva_alloc_array(npix, sizeof(float));
    mask = pdva_alloc_array(npix, 1);
    work = pdva_alloc_array(npix, 1);
    if (!vesselness || !scale || !mask || !work) {
        st = pdva_error_set(err, PDVA_ERR_NO_MEMORY, "no memory for vessel segmentation");
        goto done;
    }
    if (report(in, 0.66, "vessels")) {
        st = pdva_error_set(err, PDVA_ERR_CANCELLED, "analysis cancelled");
        goto done;
    }
    /* the vessels without the slowly varying tissue blush and skin edge under them: a white
     * top-hat, opening with a square wider than the widest conduit, of a lightly smoothed copy
     * (so that the opening does not follow the noise's lows) */
    /* both written whole before they are read: the blur's scratch, then the opening's output */
    st = pdva_image_create_unset(&background, in->columns, in->rows, err);
    if (st == PDVA_OK)
        st = pdva_image_create_unset(&vessel_img, in->columns, in->rows, err);
    if (st != PDVA_OK)
        goto done;
    memcpy(vessel_img.data, d.opacified->data, npix * sizeof(float));
    pdva_blur_buffer_threads(vessel_img.data, vessel_img.width, vessel_img.height, 1.5,
                             background.data, in->threads);
    st = pdva_image_opening(&vessel_img, &background, (uint32_t)ceil(5.5 / mmpp), in->threads,
                            err);
    if (st != PDVA_OK)
        goto done;
    for (size_t i = 0; i < npix; i++)
        vessel_img.data[i] = d.opacified->data[i] - background.data[i];
    show(in, "vessels", vessel_img.data, in->columns, in->rows);
    st = segment_vessels(in, &d, &vessel_img, mmpp, vesselness, scale, mask, err);
    if (st != PDVA_OK)
        goto done;
    show(in, "vesselness", vesselness, in->columns, in->rows);
    /* a hole in a vessel's mask (noise, a valve's sinus) would thin into a loop */
    if (pdva_fill_small_holes(mask, in->rows, in->columns,
                              (size_t)(4.0 / (mmpp * mmpp)) + 16) != 0) {
        st = pdva_error_set(err, PDVA_ERR_NO_MEMORY, "no memory for the vessel mask");
        goto done;
    }
    pdva_skeletonize(mask, in->rows, in->columns, work, in->threads);
    st = pdva_vessel_graph_build(mask, in->rows, in->columns, &graph, err);
    if (st != PDVA_OK)
        goto done;
    if (PDVA_TRACE_ON("PDVA_DEBUG_GRAPH"))
        for (size_t e = 0; e < graph.n_edges; e++)
            if (!graph.edges[e].removed && graph.edges[e].n > 20)
                PDVA_TRACEF("graph edge %zu (%.0f,%.0f)->(%.0f,%.0f) n %zu nodes %d %d\n", e,
                            graph.edges[e].pts[0].x, graph.edges[e].pts[0].y,
                            graph.edges[e].pts[graph.edges[e].n - 1].x,
                            graph.edges[e].pts[graph.edges[e].n - 1].y, graph.edges[e].n,
                            graph.edges[e].a, graph.edges[e].b);
    seg_ctx sc = {scale, in->columns, in->rows, mmpp};
    mark_border_ends(&graph, &sc);
    /* valves and tight stenoses can break a vein in two: join ends that face each other across
     * a few millimetres (occlusions leave longer gaps, kept open) */
    pdva_vessel_graph_bridge(&graph, 8.0 / mmpp, 35.0, err);
    if (err && *err) {
        st = pdva_error_status(*err);
        goto done;
    }
    st = pdva_vessel_graph_prune(&graph, spur_length, &sc, err);
    if (st != PDVA_OK)
        goto done;
    /* branches whose first millimetres by the vessel they leave did not segment */
    if (pdva_vessel_graph_bridge_to_side(&graph, 8.0 / mmpp, 30.0, 12.0 / mmpp, err) > 0) {
        st = pdva_vessel_graph_prune(&graph, spur_length, &sc, err);
        if (st != PDVA_OK)
            goto done;
    }
    if (err && *err) {
        st = pdva_error_status(*err);
        goto done;
    }
    if (report(in, 0.75, "measurements")) {
        st = pdva_error_set(err, PDVA_ERR_CANCELLED, "analysis cancelled");
        goto done;
    }
    pdva_network_params np = {0.6 / mmpp, 0.0, d.noise_sigma * opacified_noise_factor(&d),
                              in->frame_times_s, in->frames, d.first_contrast_frame,
                              in->threads};
    st = pdva_network_measure(&net, &graph, &vessel_img, scale, &d, &np, err);
    if (st != PDVA_OK)
        goto done;
    pdva_network_orient(&net);
    if (report(in, 0.9, "interpretation")) {
        st = pdva_error_set(err, PDVA_ERR_CANCELLED, "analysis cancelled");
        goto done;
    }
    pdva_interpret_input ii = {&net,         &d,           &vessel_img,  &body,
                               res->run,     have_frame,   frame,        mmpp,
                               in->spacing_known, in->frame_times_s, in->frames,
                               in->wound_venosomes, in->n_wound};
    st = pdva_interpret(&ii, res, err);
    if (st != PDVA_OK)
        goto done;
    if (have_frame) {
        st = measure_venosomes(in, &d, &body, &frame, res, err);
        if (st != PDVA_OK)
            goto done;
    }
    st = pdva_maps_compute(&d, in->frame_times_s, in->frames, 5.0, in->threads, &res->maps, err);
    if (st != PDVA_OK)
        goto done;
    res->has_maps = true;
    res->status = PDVA_SERIES_ANALYZED;
    report(in, 1.0, "done");
done:
    pdva_dsa_destroy(dsa);
    pdva_body_free(&body);
    pdva_network_free(&net);
    pdva_vessel_graph_free(&graph);
    pdva_free(vesselness);
    pdva_free(scale);
    pdva_free(mask);
    pdva_free(work);
    pdva_image_destroy(&background);
    pdva_image_destroy(&vessel_img);
    return st;
}
