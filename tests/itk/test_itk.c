/* test_itk.c — the ITK shim: Gaussian Hessians and multi-scale Frangi vesselness (itk/pdva_itk.h).
 *
 * Synthetic vessels have the projection of a contrast-filled cylinder of radius r, the chord
 * profile 2 sqrt(r^2 - d^2) at distance d from the axis, blurred by a Gaussian of 1 px (focal
 * spot and detector), as in the log-subtracted DSA frames the analysis sees.
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include <math.h>
#include <pthread.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "base/alloc.h"
#include "itk/pdva_itk.h"

#define PI 3.14159265358979323846

/* ---------------------------------------------------------------------------------------- */
/* Synthetic images                                                                         */
/* ---------------------------------------------------------------------------------------- */

/* The chord profile of radius r blurred by a Gaussian of sd blur, at distance d (numerical
 * convolution, 0.01 px steps). */
static double blurred_chord(double d, double r, double blur)
{
    const double step = 0.01;
    double sum = 0.0;
    for (double x = -r + step / 2; x < r; x += step) {
        const double u = d - x;
        sum += 2.0 * sqrt(r * r - x * x) * exp(-u * u / (2.0 * blur * blur));
    }
    return sum * step / (sqrt(2.0 * PI) * blur);
}

/* Profile lookup: value at distance d = table[(size_t)(d / 0.01)] (linear interpolation). */
typedef struct profile {
    double *table;
    size_t n;
} profile;

static profile make_profile(double r, double blur, double max_d)
{
    profile p;
    p.n = (size_t)(max_d / 0.01) + 2;
    p.table = malloc(p.n * sizeof *p.table);
    assert_non_null(p.table);
    for (size_t i = 0; i < p.n; i++) {
        const double d = (double)i * 0.01;
        p.table[i] = d > r + 8.0 * blur ? 0.0 : blurred_chord(d, r, blur);
    }
    return p;
}

static double profile_at(const profile *p, double d)
{
    d = fabs(d) / 0.01;
    size_t i = (size_t)d;
    if (i + 1 >= p->n)
        return 0.0;
    const double t = d - (double)i;
    return p->table[i] * (1.0 - t) + p->table[i + 1] * t;
}

/* Signed distance of pixel (x, y) from the line through (cx, cy) at angle_deg (x right, y down). */
static double line_distance(double x, double y, double cx, double cy, double angle_deg)
{
    const double a = angle_deg * PI / 180.0;
    return -(x - cx) * sin(a) + (y - cy) * cos(a);
}

/* Coordinate along the same line. */
static double line_position(double x, double y, double cx, double cy, double angle_deg)
{
    const double a = angle_deg * PI / 180.0;
    return (x - cx) * cos(a) + (y - cy) * sin(a);
}

static float *tube_image(uint32_t w, uint32_t h, double angle_deg, const profile *p,
                         double amplitude)
{
    float *img = malloc((size_t)w * h * sizeof *img);
    assert_non_null(img);
    for (uint32_t y = 0; y < h; y++)
        for (uint32_t x = 0; x < w; x++)
            img[(size_t)y * w + x] =
                (float)(amplitude *
                        profile_at(p, line_distance(x, y, w / 2.0, h / 2.0, angle_deg)));
    return img;
}

static float *disc_image(uint32_t w, uint32_t h, const profile *p, double amplitude)
{
    float *img = malloc((size_t)w * h * sizeof *img);
    assert_non_null(img);
    for (uint32_t y = 0; y < h; y++)
        for (uint32_t x = 0; x < w; x++)
            img[(size_t)y * w + x] =
                (float)(amplitude * profile_at(p, hypot(x - w / 2.0, y - h / 2.0)));
    return img;
}

/* A smooth random-looking field plus a deterministic pseudo-noise (LCG), for Hessian checks. */
static float *texture_image(uint32_t w, uint32_t h, unsigned seed)
{
    float *img = malloc((size_t)w * h * sizeof *img);
    assert_non_null(img);
    uint32_t s = seed * 2654435761u + 1u;
    for (uint32_t y = 0; y < h; y++)
        for (uint32_t x = 0; x < w; x++) {
            s = s * 1664525u + 1013904223u;
            const double noise = ((double)(s >> 8) / 16777216.0 - 0.5) * 0.2;
            img[(size_t)y * w + x] =
                (float)(sin(x * 0.21 + y * 0.05) * cos(y * 0.13) +
                        0.5 * exp(-((x - 20.0) * (x - 20.0) + (y - 30.0) * (y - 30.0)) / 40.0) +
                        noise);
        }
    return img;
}

/* |a - b| <= tolerance, with the values in the message. */
#define assert_near(a, b, tolerance) assert_near_at((a), (b), (tolerance), #a, __LINE__)
static void assert_near_at(double a, double b, double tolerance, const char *what, int line)
{
    if (!(fabs(a - b) <= tolerance))
        fail_msg("line %d: %s = %.9g, expected %.9g +- %.3g", line, what, a, b, tolerance);
}

typedef struct maps {
    float *v, *scale, *dir;
    double gamma;
} maps;

static maps run_vesselness(const float *img, uint32_t w, uint32_t h,
                           const pdva_vesselness_params *p)
{
    maps m;
    m.v = malloc((size_t)w * h * sizeof(float));
    m.scale = malloc((size_t)w * h * sizeof(float));
    m.dir = malloc(2 * (size_t)w * h * sizeof(float));
    assert_non_null(m.v);
    assert_non_null(m.scale);
    assert_non_null(m.dir);
    pdva_error *err = NULL;
    pdva_status st = pdva_itk_vesselness(img, w, h, p, m.v, m.scale, m.dir, &m.gamma, &err);
    if (st != PDVA_OK)
        fail_msg("pdva_itk_vesselness: %s %s", pdva_status_str(st), pdva_error_message(err));
    assert_null(err);
    return m;
}

static void free_maps(maps *m)
{
    free(m->v);
    free(m->scale);
    free(m->dir);
}

/* sigma^2 |d2/dx2 (chord * G_sqrt(sigma^2 + blur^2))(0)|: the continuous on-axis response. */
static double axis_response(double sigma, double r, double blur)
{
    const double s = sqrt(sigma * sigma + blur * blur);
    const double step = 0.001;
    double sum = 0.0;
    for (double x = -r + step / 2; x < r; x += step) {
        const double g2 = (x * x / (s * s * s * s) - 1.0 / (s * s)) * exp(-x * x / (2 * s * s)) /
                          (sqrt(2.0 * PI) * s);
        sum += 2.0 * sqrt(r * r - x * x) * g2;
    }
    return sigma * sigma * fabs(sum * step);
}

/* ---------------------------------------------------------------------------------------- */
/* Hessian                                                                                  */
/* ---------------------------------------------------------------------------------------- */

/* The fast path applies ITK's own recursive coefficients: it must agree with
 * itk::HessianRecursiveGaussianImageFilter to float rounding, at every scale, for widths that
 * are and are not multiples of the 16-column blocks, and whatever the number of threads. */
static void test_hessian_fast_matches_itk_filter(void **state)
{
    (void)state;
    const uint32_t sizes[][2] = {{67, 53}, {64, 48}, {4, 9}, {130, 17}};
    const double sigmas[] = {1.0, 2.5, 7.0, 30.0};
    for (size_t si = 0; si < sizeof sizes / sizeof sizes[0]; si++) {
        const uint32_t w = sizes[si][0], h = sizes[si][1];
        const size_t n = (size_t)w * h;
        float *img = texture_image(w, h, (unsigned)si);
        float *fast = malloc(3 * n * sizeof(float)), *ref = malloc(3 * n * sizeof(float));
        assert_non_null(fast);
        assert_non_null(ref);
        for (size_t k = 0; k < sizeof sigmas / sizeof sigmas[0]; k++) {
            pdva_error *err = NULL;
            assert_int_equal(pdva_itk_hessian(img, w, h, sigmas[k], PDVA_HESSIAN_FAST,
                                              (unsigned)(1 + k % 2), fast, fast + n, fast + 2 * n,
                                              &err),
                             PDVA_OK);
            assert_int_equal(pdva_itk_hessian(img, w, h, sigmas[k], PDVA_HESSIAN_ITK_REFERENCE, 0,
                                              ref, ref + n, ref + 2 * n, &err),
                             PDVA_OK);
            double max_ref = 0.0, max_diff = 0.0;
            for (size_t i = 0; i < 3 * n; i++) {
                max_ref = fmax(max_ref, fabs(ref[i]));
                max_diff = fmax(max_diff, fabs((double)fast[i] - ref[i]));
            }
            assert_true(max_ref > 1e-3); /* the comparison means something */
            if (max_diff > 1e-5 * max_ref)
                fail_msg("%ux%u sigma %g: fast and ITK Hessians differ by %g (max %g)", w, h,
                         sigmas[k], max_diff, max_ref);
        }
        free(fast);
        free(ref);
        free(img);
    }
}

/* An isotropic Gaussian blob of sd s0 smoothed at sigma is a Gaussian of variance
 * s0^2 + sigma^2 and amplitude s0^2 / (s0^2 + sigma^2): its scale-normalized Ixx at the centre is
 * -sigma^2 s0^2 / (s0^2 + sigma^2)^2, and Ixy is 0. ITK's recursive Gaussian approximates the
 * kernel within about 1% for sigma >= 1 px. */
static void test_hessian_of_gaussian_blob(void **state)
{
    (void)state;
    const uint32_t w = 129, h = 129;
    const size_t n = (size_t)w * h;
    const double s0 = 4.0;
    float *img = malloc(n * sizeof *img), *hes = malloc(3 * n * sizeof *hes);
    assert_non_null(img);
    assert_non_null(hes);
    for (uint32_t y = 0; y < h; y++)
        for (uint32_t x = 0; x < w; x++) {
            const double dx = x - 64.0, dy = y - 64.0;
            img[(size_t)y * w + x] = (float)exp(-(dx * dx + dy * dy) / (2 * s0 * s0));
        }
    const double sigmas[] = {1.0, 2.0, 4.0, 8.0};
    for (size_t k = 0; k < 4; k++) {
        const double sg = sigmas[k];
        assert_int_equal(
            pdva_itk_hessian(img, w, h, sg, PDVA_HESSIAN_FAST, 0, hes, hes + n, hes + 2 * n, NULL),
            PDVA_OK);
        const size_t c = (size_t)64 * w + 64;
        const double expect = -sg * sg * s0 * s0 / ((s0 * s0 + sg * sg) * (s0 * s0 + sg * sg));
        assert_near(hes[c], expect, 0.015 * fabs(expect));
        assert_near(hes[2 * n + c], expect, 0.015 * fabs(expect));
        assert_near(hes[n + c], 0.0, 1e-4 * fabs(expect));
    }
    free(img);
    free(hes);
}

/* ---------------------------------------------------------------------------------------- */
/* Vesselness of a straight tube                                                            */
/* ---------------------------------------------------------------------------------------- */

#define TUBE_SIDE 160u
#define TUBE_R 4.0
#define TUBE_BLUR 1.0

static double g_grid[29]; /* 1.0 .. 8.0 px in 0.25 steps */

static void grid_params(pdva_vesselness_params *p)
{
    for (size_t i = 0; i < 29; i++)
        g_grid[i] = 1.0 + 0.25 * (double)i;
    pdva_vesselness_params_init(p);
    p->sigmas_px = g_grid;
    p->n_sigmas = 29;
}

/* The scale of the largest continuous on-axis response over g_grid. */
static double predicted_best_scale(double r, double blur)
{
    double best = 0.0, best_sigma = 0.0;
    for (size_t i = 0; i < 29; i++) {
        const double v = axis_response(g_grid[i], r, blur);
        if (v > best) {
            best = v;
            best_sigma = g_grid[i];
        }
    }
    return best_sigma;
}

/* On the axis: strong response, scale as the normalization predicts, direction along the axis;
 * 40 px away: nothing. Checked at 0, 30, 90 and 135 degrees, by both Hessian methods. */
static void test_tube_axis_scale_and_direction(void **state)
{
    (void)state;
    const uint32_t w = TUBE_SIDE, h = TUBE_SIDE;
    profile prof = make_profile(TUBE_R, TUBE_BLUR, 200.0);
    pdva_vesselness_params p;
    grid_params(&p);
    const double predicted = predicted_best_scale(TUBE_R, TUBE_BLUR);
    /* R(sigma) is within 1% of its peak over +-10% of the best scale (docs/methods-vesselness.md)
     * and the recursive Gaussian's amplitude error is of that order: +-15% and half a grid step. */
    const double tolerance = 0.15 * predicted + 0.125;
    assert_true(predicted > 3.0 && predicted < 4.0); /* 3.5 for r = 4, blur 1 */
    const double angles[] = {0.0, 30.0, 90.0, 135.0};
    for (size_t a = 0; a < 4; a++) {
        float *img = tube_image(w, h, angles[a], &prof, 1.0);
        for (int method = 0; method < 2; method++) {
            p.hessian_method = method ? PDVA_HESSIAN_ITK_REFERENCE : PDVA_HESSIAN_FAST;
            maps m = run_vesselness(img, w, h, &p);
            const double ax = cos(angles[a] * PI / 180.0), ay = sin(angles[a] * PI / 180.0);
            size_t on_axis = 0, far = 0;
            double v_axis_min = 1.0, v_far_max = 0.0;
            for (uint32_t y = 0; y < h; y++)
                for (uint32_t x = 0; x < w; x++) {
                    const size_t i = (size_t)y * w + x;
                    const double d = line_distance(x, y, w / 2.0, h / 2.0, angles[a]);
                    const double along = line_position(x, y, w / 2.0, h / 2.0, angles[a]);
                    assert_true(m.v[i] >= 0.0f && m.v[i] < 1.0f);
                    if (fabs(d) >= 40.0) {
                        far++;
                        v_far_max = fmax(v_far_max, m.v[i]);
                    }
                    if (fabs(d) > 0.5 || fabs(along) > 30.0)
                        continue;
                    on_axis++;
                    v_axis_min = fmin(v_axis_min, m.v[i]);
                    if (fabs(m.scale[i] - predicted) > tolerance)
                        fail_msg("angle %g method %d: best scale %g at (%u, %u), predicted %g",
                                 angles[a], method, m.scale[i], x, y, predicted);
                    const double cosine = m.dir[2 * i] * ax + m.dir[2 * i + 1] * ay;
                    if (fabs(cosine) < 0.98)
                        fail_msg("angle %g: direction (%g, %g) at (%u, %u)", angles[a],
                                 m.dir[2 * i], m.dir[2 * i + 1], x, y);
                    assert_true(m.dir[2 * i] > 0.0f ||
                                (m.dir[2 * i] == 0.0f && m.dir[2 * i + 1] > 0.0f));
                }
            assert_true(on_axis >= 40);
            assert_true(far > 1000);
            /* c is half the largest norm, which sits on the axis: 1 - exp(-2) = 0.86 there. */
            if (v_axis_min < 0.75)
                fail_msg("angle %g method %d: on-axis vesselness down to %g", angles[a], method,
                         v_axis_min);
            if (v_far_max > 1e-3)
                fail_msg("angle %g method %d: vesselness %g 40 px from the axis", angles[a], method,
                         v_far_max);
            free_maps(&m);
        }
        free(img);
    }
    free(prof.table);
}

/* The fast path and the ITK filter give the same vesselness map. */
static void test_vesselness_methods_agree(void **state)
{
    (void)state;
    const uint32_t w = 150, h = 110;
    profile prof = make_profile(3.0, TUBE_BLUR, 200.0);
    float *img = tube_image(w, h, 30.0, &prof, 2.0);
    pdva_vesselness_params p;
    pdva_vesselness_params_init(&p);
    maps fast = run_vesselness(img, w, h, &p);
    p.hessian_method = PDVA_HESSIAN_ITK_REFERENCE;
    maps ref = run_vesselness(img, w, h, &p);
    assert_near(fast.gamma, ref.gamma, 1e-5 * ref.gamma);
    double max_diff = 0.0, max_v = 0.0;
    for (size_t i = 0; i < (size_t)w * h; i++) {
        max_diff = fmax(max_diff, fabs((double)fast.v[i] - ref.v[i]));
        max_v = fmax(max_v, ref.v[i]);
    }
    assert_true(max_v > 0.8);
    if (max_diff > 1e-4)
        fail_msg("vesselness differs by %g between the methods", max_diff);
    free_maps(&fast);
    free_maps(&ref);
    free(img);
    free(prof.table);
}

/* ---------------------------------------------------------------------------------------- */
/* What must not respond                                                                    */
/* ---------------------------------------------------------------------------------------- */

/* A dark tube gives nothing on its axis when bright vessels are asked for, and exactly what
 * the bright tube gives when dark vessels are asked for (the Hessian only changes sign). */
static void test_dark_vessels_ignored(void **state)
{
    (void)state;
    const uint32_t w = TUBE_SIDE, h = TUBE_SIDE;
    const size_t n = (size_t)w * h;
    profile prof = make_profile(TUBE_R, TUBE_BLUR, 200.0);
    float *bright = tube_image(w, h, 30.0, &prof, 1.0);
    float *dark = malloc(n * sizeof *dark);
    assert_non_null(dark);
    for (size_t i = 0; i < n; i++)
        dark[i] = -bright[i];
    pdva_vesselness_params p;
    pdva_vesselness_params_init(&p);
    maps ref = run_vesselness(bright, w, h, &p);
    p.gamma = ref.gamma; /* same c for both: responses compare */
    maps ignored = run_vesselness(dark, w, h, &p);
    double bright_max = 0.0, dark_max = 0.0;
    for (uint32_t y = 0; y < h; y++)
        for (uint32_t x = 0; x < w; x++) {
            const size_t i = (size_t)y * w + x;
            bright_max = fmax(bright_max, ref.v[i]);
            dark_max = fmax(dark_max, ignored.v[i]);
            /* the core; near the edge the blurred profile's inflection moves with the scale */
            if (fabs(line_distance(x, y, w / 2.0, h / 2.0, 30.0)) <= TUBE_R / 2) {
                assert_true(ignored.v[i] == 0.0f);
                assert_true(ignored.scale[i] == 0.0f);
                assert_true(ignored.dir[2 * i] == 0.0f && ignored.dir[2 * i + 1] == 0.0f);
            }
        }
    /* Only the concave flanks of the dark tube respond: the side lobes of a Gaussian second
     * derivative are 2 exp(-3/2) = 0.45 of its central lobe, so |l2| there is < 0.45 of the
     * bright tube's and the structureness term, with c half the bright tube's norm, stays near
     * 1 - exp(-2 * 0.45^2) = 0.33 against 1 - exp(-2) = 0.86. */
    if (dark_max > 0.45 * bright_max)
        fail_msg("dark tube responds %g against %g for the bright one", dark_max, bright_max);

    p.bright_vessels = 0;
    maps mirrored = run_vesselness(dark, w, h, &p);
    assert_memory_equal(mirrored.v, ref.v, n * sizeof(float));
    assert_memory_equal(mirrored.scale, ref.scale, n * sizeof(float));
    assert_memory_equal(mirrored.dir, ref.dir, 2 * n * sizeof(float));
    free_maps(&ref);
    free_maps(&ignored);
    free_maps(&mirrored);
    free(bright);
    free(dark);
    free(prof.table);
}

/* A disc as wide as the tube is a blob: at its centre l1 = l2 and the beta term cuts the
 * response to exp(-2) of the structureness. Off-centre, its rim is a curved ridge and keeps
 * ~0.4 of a line's response (Frangi's known weakness, docs/methods-vesselness.md). */
static void test_blob_much_weaker_than_line(void **state)
{
    (void)state;
    const uint32_t w = 128, h = 128;
    profile prof = make_profile(TUBE_R, TUBE_BLUR, 200.0);
    float *tube = tube_image(w, h, 0.0, &prof, 1.0);
    float *disc = disc_image(w, h, &prof, 1.0);
    pdva_vesselness_params p;
    pdva_vesselness_params_init(&p);
    maps line = run_vesselness(tube, w, h, &p);
    p.gamma = line.gamma;
    maps blob = run_vesselness(disc, w, h, &p);
    double line_max = 0.0, blob_max = 0.0, blob_centre = blob.v[(size_t)64 * w + 64];
    for (size_t i = 0; i < (size_t)w * h; i++) {
        line_max = fmax(line_max, line.v[i]);
        blob_max = fmax(blob_max, blob.v[i]);
    }
    const double line_axis = line.v[(size_t)64 * w + 64];
    assert_true(blob_centre <= 0.136);
    if (blob_centre > 0.2 * line_axis)
        fail_msg("disc centre responds %g, tube axis %g", blob_centre, line_axis);
    if (blob_max > 0.45 * line_max)
        fail_msg("disc responds %g, tube %g", blob_max, line_max);
    free_maps(&line);
    free_maps(&blob);
    free(tube);
    free(disc);
    free(prof.table);
}

/* ---------------------------------------------------------------------------------------- */
/* Arguments, small images, memory                                                          */
/* ---------------------------------------------------------------------------------------- */

/* The status, and the error object the call filled (read after the call: argument evaluation
 * order is unspecified). */
#define expect_invalid(call, errp, expected) expect_status_at((call), (errp), (expected), __LINE__)
static void expect_status_at(pdva_status st, pdva_error **err, pdva_status expected, int line)
{
    if (st != expected)
        fail_msg("line %d: %s instead of %s", line, pdva_status_str(st), pdva_status_str(expected));
    assert_int_equal(pdva_error_status(*err), expected);
    assert_true(strlen(pdva_error_message(*err)) > 10);
    pdva_error_destroy(*err);
    *err = NULL;
}

static void test_invalid_arguments(void **state)
{
    (void)state;
    float img[64] = {0}, out[64], dir[128], h1[64], h2[64], h3[64];
    pdva_vesselness_params p;
    pdva_error *err = NULL;
    const double bad_sigmas[] = {0.0, -1.0, 64.5, NAN, INFINITY};

    pdva_vesselness_params_init(&p);
    expect_invalid(pdva_itk_vesselness(NULL, 8, 8, &p, out, NULL, NULL, NULL, &err), &err,
                   PDVA_ERR_INVALID_ARGUMENT);
    expect_invalid(pdva_itk_vesselness(img, 8, 8, &p, NULL, out, dir, NULL, &err), &err,
                   PDVA_ERR_INVALID_ARGUMENT);
    expect_invalid(pdva_itk_vesselness(img, 0, 8, &p, out, NULL, NULL, NULL, &err), &err,
                   PDVA_ERR_INVALID_ARGUMENT);
    expect_invalid(pdva_itk_vesselness(img, 8, 0, &p, out, NULL, NULL, NULL, &err), &err,
                   PDVA_ERR_INVALID_ARGUMENT);
    /* sizes are refused before the image is read: no buffer of that size exists here */
    expect_invalid(pdva_itk_vesselness(img, 16385, 1, &p, out, NULL, NULL, NULL, &err), &err,
                   PDVA_ERR_INVALID_ARGUMENT);
    expect_invalid(pdva_itk_vesselness(img, 1, UINT32_MAX, &p, out, NULL, NULL, NULL, &err), &err,
                   PDVA_ERR_INVALID_ARGUMENT);
    for (size_t i = 0; i < sizeof bad_sigmas / sizeof bad_sigmas[0]; i++) {
        pdva_vesselness_params q = p;
        q.sigmas_px = &bad_sigmas[i];
        q.n_sigmas = 1;
        expect_invalid(pdva_itk_vesselness(img, 8, 8, &q, out, NULL, NULL, NULL, &err), &err,
                       PDVA_ERR_INVALID_ARGUMENT);
        expect_invalid(
            pdva_itk_hessian(img, 8, 8, bad_sigmas[i], PDVA_HESSIAN_FAST, 0, h1, h2, h3, &err),
            &err, PDVA_ERR_INVALID_ARGUMENT);
    }
    {
        pdva_vesselness_params q = p;
        q.n_sigmas = 0;
        expect_invalid(pdva_itk_vesselness(img, 8, 8, &q, out, NULL, NULL, NULL, &err), &err,
                       PDVA_ERR_INVALID_ARGUMENT);
        q.n_sigmas = 33;
        expect_invalid(pdva_itk_vesselness(img, 8, 8, &q, out, NULL, NULL, NULL, &err), &err,
                       PDVA_ERR_INVALID_ARGUMENT);
        q.n_sigmas = 1;
        q.sigmas_px = NULL;
        expect_invalid(pdva_itk_vesselness(img, 8, 8, &q, out, NULL, NULL, NULL, &err), &err,
                       PDVA_ERR_INVALID_ARGUMENT);
    }
    {
        pdva_vesselness_params q = p;
        q.beta = 0.0;
        expect_invalid(pdva_itk_vesselness(img, 8, 8, &q, out, NULL, NULL, NULL, &err), &err,
                       PDVA_ERR_INVALID_ARGUMENT);
        q = p;
        q.gamma = NAN;
        expect_invalid(pdva_itk_vesselness(img, 8, 8, &q, out, NULL, NULL, NULL, &err), &err,
                       PDVA_ERR_INVALID_ARGUMENT);
        q = p;
        q.alpha = -1.0;
        expect_invalid(pdva_itk_vesselness(img, 8, 8, &q, out, NULL, NULL, NULL, &err), &err,
                       PDVA_ERR_INVALID_ARGUMENT);
        q = p;
        q.bright_vessels = 2;
        expect_invalid(pdva_itk_vesselness(img, 8, 8, &q, out, NULL, NULL, NULL, &err), &err,
                       PDVA_ERR_INVALID_ARGUMENT);
        q = p;
        q.hessian_method = (pdva_hessian_method)7;
        expect_invalid(pdva_itk_vesselness(img, 8, 8, &q, out, NULL, NULL, NULL, &err), &err,
                       PDVA_ERR_INVALID_ARGUMENT);
        q = p;
        q.struct_size = 0;
        expect_invalid(pdva_itk_vesselness(img, 8, 8, &q, out, NULL, NULL, NULL, &err), &err,
                       PDVA_ERR_INVALID_ARGUMENT);
        q.struct_size = sizeof q - 1;
        expect_invalid(pdva_itk_vesselness(img, 8, 8, &q, out, NULL, NULL, NULL, &err), &err,
                       PDVA_ERR_VERSION_MISMATCH);
    }
    /* non-finite or absurd pixels */
    const float bad_pixels[] = {NAN, INFINITY, -INFINITY, 1e30f};
    for (size_t i = 0; i < 4; i++) {
        img[37] = bad_pixels[i];
        expect_invalid(pdva_itk_vesselness(img, 8, 8, &p, out, NULL, NULL, NULL, &err), &err,
                       PDVA_ERR_INVALID_ARGUMENT);
        expect_invalid(pdva_itk_hessian(img, 8, 8, 1.0, PDVA_HESSIAN_FAST, 0, h1, h2, h3, &err),
                       &err, PDVA_ERR_INVALID_ARGUMENT);
    }
    img[37] = 0.0f;
    expect_invalid(pdva_itk_hessian(img, 8, 8, 1.0, PDVA_HESSIAN_FAST, 0, h1, NULL, h3, &err), &err,
                   PDVA_ERR_INVALID_ARGUMENT);
    expect_invalid(pdva_itk_hessian(img, 8, 8, 1.0, (pdva_hessian_method)2, 0, h1, h2, h3, &err),
                   &err, PDVA_ERR_INVALID_ARGUMENT);
    /* a NULL err is allowed, and NULL params mean the defaults */
    assert_int_equal(pdva_itk_vesselness(NULL, 8, 8, NULL, out, NULL, NULL, NULL, NULL),
                     PDVA_ERR_INVALID_ARGUMENT);
    assert_int_equal(pdva_itk_vesselness(img, 8, 8, NULL, out, NULL, NULL, NULL, NULL), PDVA_OK);
    pdva_vesselness_params_init(NULL);
}

/* Images smaller than the filters' 4 samples are computed as if their last column and row
 * repeated: exactly the result of running the extended image ourselves. */
static void test_tiny_images(void **state)
{
    (void)state;
    const uint32_t sizes[][2] = {{1, 1}, {3, 3}, {1, 7}, {5, 2}, {4, 4}};
    for (size_t s = 0; s < sizeof sizes / sizeof sizes[0]; s++) {
        const uint32_t w = sizes[s][0], h = sizes[s][1];
        const uint32_t pw = w < 4 ? 4 : w, ph = h < 4 ? 4 : h;
        float img[64], padded[64], v[64], scale[64], dir[128], pv[64], pscale[64], pdir[128];
        for (uint32_t i = 0; i < w * h; i++)
            img[i] = (i == (w * h) / 2) ? 3.0f : 0.25f * (float)(i % 3);
        for (uint32_t y = 0; y < ph; y++)
            for (uint32_t x = 0; x < pw; x++)
                padded[y * pw + x] = img[(y < h ? y : h - 1) * w + (x < w ? x : w - 1)];
        pdva_vesselness_params p;
        pdva_vesselness_params_init(&p);
        p.gamma = 0.5; /* fixed: the padded copy has a different automatic c otherwise */
        double gamma = 0.0;
        pdva_error *err = NULL;
        assert_int_equal(pdva_itk_vesselness(img, w, h, &p, v, scale, dir, &gamma, &err), PDVA_OK);
        assert_near(gamma, 0.5, 0.0);
        assert_int_equal(pdva_itk_vesselness(padded, pw, ph, &p, pv, pscale, pdir, NULL, &err),
                         PDVA_OK);
        for (uint32_t y = 0; y < h; y++)
            for (uint32_t x = 0; x < w; x++) {
                const uint32_t i = y * w + x, j = y * pw + x;
                assert_true(isfinite(v[i]) && v[i] >= 0.0f && v[i] <= 1.0f);
                assert_true(v[i] == pv[j] && scale[i] == pscale[j]);
                assert_true(dir[2 * i] == pdir[2 * j] && dir[2 * i + 1] == pdir[2 * j + 1]);
            }
        float hxx[64], hxy[64], hyy[64];
        for (int method = 0; method < 2; method++)
            assert_int_equal(pdva_itk_hessian(img, w, h, 1.5, (pdva_hessian_method)method, 0, hxx,
                                              hxy, hyy, &err),
                             PDVA_OK);
        assert_null(err);
    }
    /* A 1x1 image is flat: its Hessian is float rounding, which the floor on the automatic c
     * (1e-4 of the largest |pixel|) keeps from responding; an all-zero image gives c = 1. */
    float one = 5.0f, v = 1.0f, sc = 1.0f, dir[2] = {1.0f, 1.0f};
    double gamma = 0.0;
    assert_int_equal(pdva_itk_vesselness(&one, 1, 1, NULL, &v, &sc, dir, &gamma, NULL), PDVA_OK);
    assert_true(v < 1e-6f);
    assert_near(gamma, 5e-4, 1e-12);
    one = 0.0f;
    assert_int_equal(pdva_itk_vesselness(&one, 1, 1, NULL, &v, &sc, dir, &gamma, NULL), PDVA_OK);
    assert_true(v == 0.0f && sc == 0.0f && dir[0] == 0.0f && dir[1] == 0.0f);
    assert_near(gamma, 1.0, 0.0);
}

/* Every allocation of the shim goes through the funnel: each failure gives NO_MEMORY, leaks
 * nothing (ASan), and the call succeeds once allocations are allowed again. */
static void test_allocation_failures(void **state)
{
    (void)state;
    const uint32_t w = 40, h = 3; /* small: also the padding buffers */
    float *img = texture_image(w, h, 7);
    float v[120], sc[120], dir[240];
    int succeeded = 0;
    for (long fail_at = 0; fail_at < 50 && !succeeded; fail_at++) {
        pdva_error *err = NULL;
        pdva_alloc_fail_after(fail_at);
        pdva_status st = pdva_itk_vesselness(img, w, h, NULL, v, sc, dir, NULL, &err);
        pdva_alloc_fail_after(-1);
        if (st == PDVA_OK) {
            succeeded = 1;
            assert_true(fail_at >= 3);
        } else {
            assert_int_equal(st, PDVA_ERR_NO_MEMORY);
            assert_int_equal(pdva_error_status(err), PDVA_ERR_NO_MEMORY);
        }
        pdva_error_destroy(err);
    }
    assert_true(succeeded);
    free(img);
}

/* ---------------------------------------------------------------------------------------- */
/* Threads                                                                                  */
/* ---------------------------------------------------------------------------------------- */

typedef struct job {
    const float *img;
    uint32_t w, h;
    pdva_vesselness_params params;
    maps out;
    pdva_status status;
} job;

static void *run_job(void *arg)
{
    job *j = arg;
    const size_t n = (size_t)j->w * j->h;
    j->out.v = malloc(n * sizeof(float));
    j->out.scale = malloc(n * sizeof(float));
    j->out.dir = malloc(2 * n * sizeof(float));
    j->status = PDVA_ERR_NO_MEMORY;
    if (j->out.v && j->out.scale && j->out.dir)
        j->status = pdva_itk_vesselness(j->img, j->w, j->h, &j->params, j->out.v, j->out.scale,
                                        j->out.dir, &j->out.gamma, NULL);
    return NULL;
}

/* Two analyses at once in one process give, bit for bit, what they give one after the other;
 * and the number of threads never changes a result. */
static void test_concurrent_calls_match_sequential(void **state)
{
    (void)state;
    const uint32_t w = 256, h = 200;
    const size_t n = (size_t)w * h;
    profile prof = make_profile(5.0, TUBE_BLUR, 400.0);
    float *a = tube_image(w, h, 30.0, &prof, 1.0);
    float *b = tube_image(w, h, 135.0, &prof, 0.5);
    for (size_t i = 0; i < n; i++)
        b[i] += 0.3f * (float)sin(0.05 * (double)i);
    job seq[2] = {{a, w, h, {0}, {0}, PDVA_OK}, {b, w, h, {0}, {0}, PDVA_OK}};
    pdva_vesselness_params_init(&seq[0].params);
    pdva_vesselness_params_init(&seq[1].params);
    seq[0].params.threads = 1;
    seq[1].params.threads = 1;
    run_job(&seq[0]);
    run_job(&seq[1]);
    assert_int_equal(seq[0].status, PDVA_OK);
    assert_int_equal(seq[1].status, PDVA_OK);

    for (int round = 0; round < 3; round++) {
        job par[2] = {seq[0], seq[1]};
        par[0].params.threads = 2;
        par[1].params.threads = (unsigned)round; /* 0: ITK's default */
        pthread_t t[2];
        for (int k = 0; k < 2; k++)
            assert_int_equal(pthread_create(&t[k], NULL, run_job, &par[k]), 0);
        for (int k = 0; k < 2; k++)
            assert_int_equal(pthread_join(t[k], NULL), 0);
        for (int k = 0; k < 2; k++) {
            assert_int_equal(par[k].status, PDVA_OK);
            assert_memory_equal(par[k].out.v, seq[k].out.v, n * sizeof(float));
            assert_memory_equal(par[k].out.scale, seq[k].out.scale, n * sizeof(float));
            assert_memory_equal(par[k].out.dir, seq[k].out.dir, 2 * n * sizeof(float));
            assert_true(par[k].out.gamma == seq[k].out.gamma);
            free_maps(&par[k].out);
        }
    }
    free_maps(&seq[0].out);
    free_maps(&seq[1].out);
    free(a);
    free(b);
    free(prof.table);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_hessian_fast_matches_itk_filter),
        cmocka_unit_test(test_hessian_of_gaussian_blob),
        cmocka_unit_test(test_tube_axis_scale_and_direction),
        cmocka_unit_test(test_vesselness_methods_agree),
        cmocka_unit_test(test_dark_vessels_ignored),
        cmocka_unit_test(test_blob_much_weaker_than_line),
        cmocka_unit_test(test_invalid_arguments),
        cmocka_unit_test(test_tiny_images),
        cmocka_unit_test(test_allocation_failures),
        cmocka_unit_test(test_concurrent_calls_match_sequential),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
