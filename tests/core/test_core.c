/* test_core.c — building blocks of the analysis checked against slow, obvious versions of
 * themselves: the quantile by selection against a sorted copy, the morphological opening
 * against a brute-force window, the work shared between threads against one thread, the
 * cylinder profile fit against profiles drawn with known radii, and frames decoded by two
 * readers on two threads against one reader in line.
 * SPDX-License-Identifier: GPL-3.0-or-later */
#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "base/alloc.h"
#include "base/error.h"
#include "base/parallel.h"
#include "core/image.h"
#include "core/series_analysis.h"
#include "core/qca.h"
#include "core/vessel_graph.h"

static uint32_t next_random(uint32_t *state)
{
    *state = *state * 1664525u + 1013904223u;
    return *state >> 8;
}

static int compare_float(const void *a, const void *b)
{
    float x = *(const float *)a, y = *(const float *)b;
    return (x > y) - (x < y);
}

static void test_quantile_matches_sorting(void **state)
{
    (void)state;
    uint32_t seed = 7;
    float data[2000], sorted[2000];
    for (int trial = 0; trial < 400; trial++) {
        size_t n = 1 + next_random(&seed) % 2000;
        uint32_t levels = trial % 3 == 0 ? 4 : 100000; /* many ties, or few */
        for (size_t i = 0; i < n; i++)
            sorted[i] = data[i] = (float)(next_random(&seed) % levels) * 0.25f - 3.0f;
        qsort(sorted, n, sizeof(float), compare_float);
        double fraction = (double)(next_random(&seed) % 1001) / 1000.0;
        double pos = fraction * (double)(n - 1);
        size_t k = (size_t)pos;
        float want = k >= n - 1 ? sorted[n - 1]
                                : (float)(sorted[k] + (pos - (double)k) * (sorted[k + 1] - sorted[k]));
        float got = pdva_image_quantile(data, n, fraction);
        if (got != want)
            fail_msg("n %zu fraction %.3f: %g, sorting says %g", n, fraction, got, want);
    }
    float with_nan[5] = {NAN, 2.0f, INFINITY, 1.0f, 3.0f};
    assert_true(pdva_image_quantile(with_nan, 5, 0.5) == 2.0f);
    assert_true(pdva_image_quantile(with_nan, 0, 0.5) == 0.0f);
}

/* Opening = dilation of the erosion, square window of 2 r + 1, edges clamped. */
static float clamped(const pdva_image *img, long x, long y)
{
    x = x < 0 ? 0 : (x >= (long)img->width ? (long)img->width - 1 : x);
    y = y < 0 ? 0 : (y >= (long)img->height ? (long)img->height - 1 : y);
    return img->data[(size_t)y * img->width + (size_t)x];
}

static void window_extreme(const pdva_image *src, pdva_image *dst, long r, int maximum)
{
    for (long y = 0; y < (long)src->height; y++)
        for (long x = 0; x < (long)src->width; x++) {
            float e = clamped(src, x, y);
            for (long dy = -r; dy <= r; dy++)
                for (long dx = -r; dx <= r; dx++) {
                    float v = clamped(src, x + dx, y + dy);
                    e = maximum ? (v > e ? v : e) : (v < e ? v : e);
                }
            dst->data[(size_t)y * src->width + (size_t)x] = e;
        }
}

static void test_opening_matches_brute_force(void **state)
{
    (void)state;
    const uint32_t sizes[][2] = {{1, 1}, {5, 3}, {70, 9}, {13, 130}, {129, 67}};
    uint32_t seed = 11;
    for (size_t s = 0; s < sizeof sizes / sizeof sizes[0]; s++)
        for (uint32_t r = 0; r <= 6; r += 3) {
            uint32_t w = sizes[s][0], h = sizes[s][1];
            pdva_image src, got, eroded, want;
            assert_int_equal(pdva_image_create(&src, w, h, NULL), PDVA_OK);
            assert_int_equal(pdva_image_create(&got, w, h, NULL), PDVA_OK);
            assert_int_equal(pdva_image_create(&eroded, w, h, NULL), PDVA_OK);
            assert_int_equal(pdva_image_create(&want, w, h, NULL), PDVA_OK);
            for (size_t i = 0; i < (size_t)w * h; i++)
                src.data[i] = (float)(next_random(&seed) % 1000) / 10.0f;
            assert_int_equal(pdva_image_opening(&src, &got, r, (unsigned)(s % 3), NULL), PDVA_OK);
            window_extreme(&src, &eroded, r, 0);
            window_extreme(&eroded, &want, r, 1);
            for (size_t i = 0; i < (size_t)w * h; i++)
                if (got.data[i] != want.data[i])
                    fail_msg("%ux%u r %u pixel %zu: %g, expected %g", w, h, r, i, got.data[i],
                             want.data[i]);
            pdva_image_destroy(&src);
            pdva_image_destroy(&got);
            pdva_image_destroy(&eroded);
            pdva_image_destroy(&want);
        }
}

typedef struct count_job {
    unsigned char *seen;
} count_job;

static void count_indices(void *ctx, size_t begin, size_t end)
{
    count_job *job = ctx;
    for (size_t i = begin; i < end; i++)
        job->seen[i]++; /* each index belongs to one chunk: no two threads write the same byte */
}

static void test_parallel_for_visits_each_index_once(void **state)
{
    (void)state;
    const size_t counts[] = {0, 1, 2, 63, 1000, 4097};
    const size_t grains[] = {0, 1, 7, 1000, 100000};
    const unsigned threads[] = {0, 1, 2, 3, 8, 64};
    for (size_t a = 0; a < sizeof counts / sizeof counts[0]; a++)
        for (size_t b = 0; b < sizeof grains / sizeof grains[0]; b++)
            for (size_t c = 0; c < sizeof threads / sizeof threads[0]; c++) {
                unsigned char seen[4097] = {0};
                count_job job = {seen};
                pdva_parallel_for(threads[c], counts[a], grains[b], count_indices, &job);
                for (size_t i = 0; i < counts[a]; i++)
                    if (seen[i] != 1)
                        fail_msg("n %zu grain %zu threads %u: index %zu seen %u times", counts[a],
                                 grains[b], threads[c], i, seen[i]);
            }
    assert_true(pdva_parallel_threads(0) >= 1);
    assert_int_equal(pdva_parallel_threads(3), 3);
    assert_true(pdva_parallel_threads(1000) <= 16);
}

/* The blurred chord of a cylinder, integrated finely over the angle (t = r sin a, where the
 * chord's square-root edge is smooth): what the model's table must hold. */
static double blurred_chord(double u, double r, double sigma)
{
    enum { N = 4000 };
    double acc = 0.0, da = M_PI / N;
    for (int i = 0; i < N; i++) {
        double a = -0.5 * M_PI + (i + 0.5) * da, t = r * sin(a), c = r * cos(a);
        acc += 2.0 * c * c * da * exp(-0.5 * (u - t) * (u - t) / (sigma * sigma));
    }
    return acc / (sigma * sqrt(2.0 * M_PI));
}

/* The table is the blurred chord within 0.3 % of its peak, across blurs from 0.45 to 2.7 px and
 * radii from half a pixel to 20 (sampling the chord at points rather than integrating it over
 * each step was off by 1 % at half a pixel). */
static void test_profile_model_matches_integral(void **state)
{
    (void)state;
    const double sigmas[] = {0.45, 0.8, 1.25, 2.7};
    const double radii[] = {0.5, 1.0, 2.0, 4.0, 8.0, 20.0};
    for (size_t i = 0; i < sizeof sigmas / sizeof sigmas[0]; i++) {
        pdva_profile_model m;
        assert_int_equal(pdva_profile_model_create(&m, sigmas[i], 30.0, 0, NULL), PDVA_OK);
        for (size_t j = 0; j < sizeof radii / sizeof radii[0]; j++) {
            double r = radii[j], peak = blurred_chord(0.0, r, sigmas[i]);
            for (double u = 0.0; u < r + 5.0 * sigmas[i]; u += 0.037) {
                double want = blurred_chord(u, r, sigmas[i]);
                double got = pdva_profile_model_eval(&m, u, r);
                if (fabs(got - want) > 0.003 * peak)
                    fail_msg("sigma %.2f r %.2f u %.3f: table %.5f, integral %.5f", sigmas[i], r, u,
                             got, want);
            }
        }
        pdva_profile_model_destroy(&m);
    }
}

/* A cylinder of radius r drawn through the model of the same blur, on a sloping background
 * with a little deterministic noise: the fit finds r and the centre, whatever the threads that
 * built the model. */
static void test_profile_fit_recovers_radius(void **state)
{
    (void)state;
    pdva_profile_model one, all;
    assert_int_equal(pdva_profile_model_create(&one, 1.1, 30.0, 1, NULL), PDVA_OK);
    assert_int_equal(pdva_profile_model_create(&all, 1.1, 30.0, 0, NULL), PDVA_OK);
    assert_int_equal(one.n_r, all.n_r);
    assert_int_equal(one.n_u, all.n_u);
    assert_memory_equal(one.table, all.table, one.n_r * one.n_u * sizeof(float));
    uint32_t seed = 3;
    const double radii[] = {1.5, 3.0, 4.5, 8.0, 14.0};
    for (size_t i = 0; i < sizeof radii / sizeof radii[0]; i++) {
        double r = radii[i], centre = 0.7, step = 0.5;
        size_t n = (size_t)(2.0 * (2.5 * r + 4.0 * 1.1 + 3.0) / step) + 1;
        float y[256];
        assert_true(n <= 256);
        double mid = 0.5 * (double)(n - 1);
        for (size_t k = 0; k < n; k++) {
            double u = ((double)k - mid) * step;
            double noise = ((double)(next_random(&seed) % 1000) / 1000.0 - 0.5) * 0.004;
            y[k] = (float)(0.3 + 0.002 * u + 0.05 * pdva_profile_model_eval(&one, u - centre, r) +
                           noise);
        }
        pdva_profile_fit fit;
        pdva_profile_fit_cylinder(&all, y, n, step, r * 1.3, 0.001, &fit);
        assert_true(fit.ok);
        if (fabs(fit.radius_px - r) > 0.05 * r || fabs(fit.offset_px - centre) > 0.1)
            fail_msg("radius %.2f centre %.2f: fitted %.3f at %.3f", r, centre, fit.radius_px,
                     fit.offset_px);
        assert_true(fabs(fit.amplitude - 0.05) < 0.005);
    }
    pdva_profile_model_destroy(&one);
    pdva_profile_model_destroy(&all);
}

/* Profiles longer than the fit keeps on its stack (320 samples) take their working arrays from
 * the heap: the same answer, and no fit (not a crash) when that memory is refused. */
static void test_long_profile_fit(void **state)
{
    (void)state;
    pdva_profile_model model;
    assert_int_equal(pdva_profile_model_create(&model, 1.1, 30.0, 0, NULL), PDVA_OK);
    enum { N = 401 };
    float *y = malloc(N * sizeof(float));
    assert_non_null(y);
    double r = 4.5, centre = -0.4, step = 0.5, mid = 0.5 * (N - 1);
    uint32_t seed = 11;
    for (size_t k = 0; k < N; k++) {
        double u = ((double)k - mid) * step;
        double noise = ((double)(next_random(&seed) % 1000) / 1000.0 - 0.5) * 0.004;
        y[k] = (float)(0.3 + 0.05 * pdva_profile_model_eval(&model, u - centre, r) + noise);
    }
    pdva_profile_fit fit;
    pdva_profile_fit_cylinder(&model, y, N, step, 5.0, 0.001, &fit);
    assert_true(fit.ok);
    if (fabs(fit.radius_px - r) > 0.05 * r || fabs(fit.offset_px - centre) > 0.1)
        fail_msg("fitted %.3f at %.3f", fit.radius_px, fit.offset_px);
#ifdef PDVA_ALLOC_FAULT_INJECTION
    pdva_alloc_fail_after(0);
    pdva_profile_fit_cylinder(&model, y, N, step, 5.0, 0.001, &fit);
    pdva_alloc_fail_after(-1);
    assert_false(fit.ok);
#endif
    free(y);
    pdva_profile_model_destroy(&model);
}

static double spur_limit_30(void *user, pdva_vec2 p)
{
    (void)user;
    (void)p;
    return 30.0;
}

/* A vessel's skeleton: a vertical line from the top border down to row 200, with short noise
 * spurs along its last 60 pixels, a real side branch of 78 pixels, and a fork at its blunt end.
 * Pruning removes the spurs and keeps the vessel to its end (within the fork's arm) and the
 * branch; it does not eat the end away a spur's length at a time. */
static void test_prune_keeps_vessel_ends(void **state)
{
    (void)state;
    enum { W = 120, H = 240 };
    static uint8_t skel[W * H];
    memset(skel, 0, sizeof skel);
    for (int y = 0; y <= 200; y++)
        skel[y * W + 60] = 1;
    for (int k = 1; k <= 8; k++) { /* spurs at rows 150, 165, 180 (left, right, left) */
        skel[150 * W + 60 - k] = 1;
        skel[165 * W + 60 + k] = 1;
        skel[180 * W + 60 - k] = 1;
    }
    for (int k = 1; k <= 55; k++) /* side branch at row 60, diagonally down to the right */
        skel[(60 + k) * W + 60 + k] = 1;
    for (int k = 1; k <= 6; k++) { /* fork at the end */
        skel[(200 + k) * W + 60 - k] = 1;
        skel[(200 + k) * W + 60 + k] = 1;
    }
    pdva_vessel_graph g;
    assert_int_equal(pdva_vessel_graph_build(skel, H, W, &g, NULL), PDVA_OK);
    assert_int_equal(pdva_vessel_graph_prune(&g, spur_limit_30, NULL, NULL), PDVA_OK);
    double deepest = 0.0;
    size_t live = 0;
    for (size_t e = 0; e < g.n_edges; e++) {
        if (g.edges[e].removed)
            continue;
        live++;
        for (size_t i = 0; i < g.edges[e].n; i++) {
            pdva_vec2 p = g.edges[e].pts[i];
            if (fabs(p.x - 60.5) < 1.0 && p.y > deepest)
                deepest = p.y;
            /* no spur survives */
            if (p.y > 140.0 && p.y < 199.0)
                assert_true(fabs(p.x - 60.5) < 1.0);
        }
    }
    if (deepest < 199.0)
        fail_msg("the vessel ends at row %.1f, its skeleton at 200", deepest);
    if (live != 3) { /* top to the branch point, on to the end, the branch */
        for (size_t e = 0; e < g.n_edges; e++)
            if (!g.edges[e].removed)
                print_message("edge (%.1f,%.1f)->(%.1f,%.1f) n %zu\n", g.edges[e].pts[0].x,
                              g.edges[e].pts[0].y, g.edges[e].pts[g.edges[e].n - 1].x,
                              g.edges[e].pts[g.edges[e].n - 1].y, g.edges[e].n);
        fail_msg("%zu segments, expected 3", live);
    }
    pdva_vessel_graph_free(&g);
}


/* ---- frames from two readers ------------------------------------------------------------- */

enum { RUN_SIZE = 96, RUN_FRAMES = 14 };

/* A small run: noise on a flat background, a vessel darkening from frame 5 on. Each reader
 * counts the frames it was asked for and may fail at one. */
typedef struct test_reader {
    uint32_t reads, asked[RUN_FRAMES];
    uint32_t fail_at; /* a frame index, or UINT32_MAX */
} test_reader;

static pdva_status read_test_frame(void *user, uint32_t index, uint16_t *dst, size_t len,
                                   pdva_error **err)
{
    test_reader *r = user;
    if (index == r->fail_at)
        return pdva_error_set(err, PDVA_ERR_TRUNCATED, "frame %u cut short", index);
    r->asked[index]++;
    r->reads++;
    uint32_t seed = 977u * (index + 1);
    for (size_t i = 0; i < len; i++) {
        uint32_t x = (uint32_t)(i % RUN_SIZE);
        double v = 3000.0 + (double)(next_random(&seed) % 41) - 20.0;
        if (index >= 5 && x >= 44 && x < 52)
            v *= 0.8;
        dst[i] = (uint16_t)v;
    }
    return PDVA_OK;
}

static pdva_status analyze_test_run(unsigned threads, test_reader *a, test_reader *b,
                                    pdva_series_result *res, pdva_error **err)
{
    static double times[RUN_FRAMES];
    for (int f = 0; f < RUN_FRAMES; f++)
        times[f] = 0.25 * f;
    pdva_series_input in;
    memset(&in, 0, sizeof in);
    in.rows = in.columns = RUN_SIZE;
    in.frames = RUN_FRAMES;
    in.frame_times_s = times;
    in.spacing_mm = 0.3;
    in.spacing_known = true;
    in.max_value = 4095;
    in.read_frame = read_test_frame;
    in.read_user = a;
    in.read_user_2 = b;
    in.threads = threads;
    return pdva_analyze_series(&in, res, err);
}

static void test_two_readers_same_frames_as_one(void **state)
{
    (void)state;
    test_reader one = {0, {0}, UINT32_MAX}, a = {0, {0}, UINT32_MAX}, b = {0, {0}, UINT32_MAX};
    pdva_series_result inline_res, two_res;
    assert_int_equal(analyze_test_run(1, &one, NULL, &inline_res, NULL), PDVA_OK);
    /* three threads: two decoders beside this one */
    assert_int_equal(analyze_test_run(3, &a, &b, &two_res, NULL), PDVA_OK);
    for (int f = 0; f < RUN_FRAMES; f++) {
        assert_int_equal(one.asked[f], 1);
        assert_int_equal(a.asked[f] + b.asked[f], 1); /* each frame once, by one reader */
    }
    assert_true(a.reads > 0 && b.reads > 0);
    assert_int_equal(inline_res.status, two_res.status);
    assert_string_equal(inline_res.reason, two_res.reason);
    assert_int_equal(inline_res.mask_frame, two_res.mask_frame);
    assert_true(inline_res.max_motion_px == two_res.max_motion_px);
    pdva_series_result_free(&inline_res);
    pdva_series_result_free(&two_res);
}

static void test_second_reader_failure_is_reported(void **state)
{
    (void)state;
    for (uint32_t fail = 0; fail < 8; fail++) {
        /* the failing frame on either reader, early (ring filling) or later */
        test_reader a = {0, {0}, UINT32_MAX}, b = {0, {0}, UINT32_MAX};
        if (fail % 2)
            b.fail_at = fail;
        else
            a.fail_at = fail;
        pdva_series_result res;
        pdva_error *err = NULL;
        assert_int_equal(analyze_test_run(3, &a, &b, &res, &err), PDVA_ERR_TRUNCATED);
        assert_non_null(err);
        char want[64];
        snprintf(want, sizeof want, "frame %u cut short", fail);
        assert_non_null(strstr(pdva_error_message(err), want));
        assert_int_equal(res.status, PDVA_SERIES_ERROR);
        pdva_error_destroy(err);
        pdva_series_result_free(&res);
    }
}

static void test_decoder_count_is_one_decision(void **state)
{
    (void)state;
    assert_int_equal(pdva_series_decoders(1, 60), 0);   /* decoded in line */
    assert_int_equal(pdva_series_decoders(2, 60), 1);   /* one decoder beside the caller */
    assert_int_equal(pdva_series_decoders(3, 60), 2);
    assert_int_equal(pdva_series_decoders(8, 60), 2);
    assert_int_equal(pdva_series_decoders(8, 3), 1);    /* too few frames for a second reader */
    unsigned all = pdva_series_decoders(0, 60);
    assert_int_equal(all, pdva_parallel_threads(0) > 1 ? 2u : 0u);
    /* what it says is what the analysis starts: with two threads a second reader offered by
     * the host is never read */
    test_reader a = {0, {0}, UINT32_MAX}, b = {0, {0}, UINT32_MAX};
    pdva_series_result res;
    assert_int_equal(analyze_test_run(2, &a, &b, &res, NULL), PDVA_OK);
    assert_int_equal(b.reads, 0);
    assert_int_equal(a.reads, RUN_FRAMES);
    pdva_series_result_free(&res);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_quantile_matches_sorting),
        cmocka_unit_test(test_opening_matches_brute_force),
        cmocka_unit_test(test_parallel_for_visits_each_index_once),
        cmocka_unit_test(test_profile_model_matches_integral),
        cmocka_unit_test(test_profile_fit_recovers_radius),
        cmocka_unit_test(test_long_profile_fit),
        cmocka_unit_test(test_prune_keeps_vessel_ends),
        cmocka_unit_test(test_two_readers_same_frames_as_one),
        cmocka_unit_test(test_second_reader_failure_is_reported),
        cmocka_unit_test(test_decoder_count_is_one_decision),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
