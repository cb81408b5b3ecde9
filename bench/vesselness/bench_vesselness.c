/* bench_vesselness.c — pdva_itk_vesselness() against scikit-image's frangi on a synthetic DSA
 * frame.
 *
 * Draws a 1024 x 1024 log-subtracted DSA-like frame: a branching tree of curved vessels (cubic
 * Bezier centrelines, radius 12.5 down to 1.5 px, i.e. 25 to 3 px wide) with the projection
 * profile of a contrast-filled cylinder, k * 2 sqrt(r^2 - d^2), on a slowly varying residual
 * background, plus Gaussian noise. Times our vesselness and skimage.filters.frangi (Debian's
 * /usr/bin/python3, run as a subprocess on the same raw float32 image, same scales, same gamma,
 * black_ridges=False; only the frangi call is timed), then compares the two maps: Pearson
 * correlation, and for each the fraction of centreline / vessel pixels above a threshold and of
 * far background pixels above it.
 *
 * Usage: bench_vesselness [--size N] [--repeats K] [--python PATH] [--script PATH]
 *                         [--save-image FILE.raw]   (the frame, row-major float32, to reuse)
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include <errno.h>
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "itk/pdva_itk.h"

#ifndef PDVA_BENCH_SKIMAGE_SCRIPT
#define PDVA_BENCH_SKIMAGE_SCRIPT "skimage_frangi.py"
#endif

#define MARGIN_PX 32        /* border left out of the comparisons (skimage reflects, ITK repeats) */
#define THRESHOLD 0.15f     /* "detected" for both maps: same formula, same gamma */
#define LOW_THRESHOLD 0.02f /* also reported: small vessels respond weakly with Frangi's c */
#define ATTENUATION 0.035   /* log units per pixel of contrast-filled chord */
#define NOISE_SD 0.015
#define MAX_VESSELS 16

/* A vessel: cubic Bezier centreline from a point of its parent (or from p[0] for a root) through
 * p[1], p[2] to p[3]; the radius tapers linearly from r0 to r1. Coordinates for a 1024 frame. */
typedef struct vessel {
    int parent;      /* index of the parent vessel, -1 for a root */
    double t_parent; /* where on the parent it branches off */
    double p[4][2];
    double r0, r1;
} vessel;

static const vessel kTree[] = {
    {-1, 0.0, {{430, -10}, {300, 350}, {700, 650}, {540, 1040}}, 12.5, 9.0},
    {0, 0.22, {{0, 0}, {250, 330}, {150, 480}, {90, 760}}, 5.5, 4.0},
    {0, 0.55, {{0, 0}, {720, 560}, {880, 620}, {1000, 900}}, 4.5, 3.0},
    {1, 0.50, {{0, 0}, {260, 620}, {330, 820}, {280, 1040}}, 2.5, 2.0},
    {2, 0.40, {{0, 0}, {860, 420}, {930, 300}, {1010, 120}}, 2.0, 1.5},
    {0, 0.80, {{0, 0}, {430, 880}, {300, 930}, {160, 1010}}, 3.0, 2.2},
    {-1, 0.0, {{620, 40}, {760, 120}, {840, 200}, {1000, 260}}, 1.6, 1.5},
    {3, 0.60, {{0, 0}, {400, 900}, {470, 960}, {520, 1030}}, 1.5, 1.5},
};
#define N_VESSELS (sizeof kTree / sizeof kTree[0])

typedef struct frame {
    uint32_t side;
    float *image;
    float *gap_px;     /* distance outside the nearest vessel wall (negative inside) */
    float *rel_dist;   /* distance to the nearest centreline / its radius */
    unsigned char *id; /* that vessel */
} frame;

static double clock_s(clockid_t id)
{
    struct timespec ts;
    clock_gettime(id, &ts);
    return (double)ts.tv_sec + 1e-9 * (double)ts.tv_nsec;
}

static void bezier(const double p[4][2], double t, double *x, double *y)
{
    const double u = 1.0 - t;
    const double a = u * u * u, b = 3 * u * u * t, c = 3 * u * t * t, d = t * t * t;
    *x = a * p[0][0] + b * p[1][0] + c * p[2][0] + d * p[3][0];
    *y = a * p[0][1] + b * p[1][1] + c * p[2][1] + d * p[3][1];
}

/* xorshift64* and Box-Muller: reproducible noise without libc's rand(). */
static double gaussian(uint64_t *s)
{
    double u[2];
    for (int i = 0; i < 2; i++) {
        *s ^= *s >> 12;
        *s ^= *s << 25;
        *s ^= *s >> 27;
        u[i] = ((double)((*s * 2685821657736338717ull) >> 11) + 0.5) / 9007199254740992.0;
    }
    return sqrt(-2.0 * log(u[0])) * cos(2.0 * M_PI * u[1]);
}

static int make_frame(frame *f, uint32_t side)
{
    const size_t n = (size_t)side * side;
    const double scale = side / 1024.0;
    f->side = side;
    f->image = calloc(n, sizeof(float));
    f->gap_px = malloc(n * sizeof(float));
    f->rel_dist = malloc(n * sizeof(float));
    f->id = calloc(n, 1);
    float *dist = malloc(n * sizeof(float)), *rad = malloc(n * sizeof(float));
    if (!f->image || !f->gap_px || !f->rel_dist || !f->id || !dist || !rad) {
        free(dist);
        free(rad);
        return -1;
    }
    for (size_t i = 0; i < n; i++) {
        f->gap_px[i] = INFINITY;
        f->rel_dist[i] = INFINITY;
    }
    double p[N_VESSELS][4][2];
    for (size_t v = 0; v < N_VESSELS; v++) {
        memcpy(p[v], kTree[v].p, sizeof p[v]);
        for (int k = 0; k < 4; k++)
            for (int c = 0; c < 2; c++)
                p[v][k][c] *= scale;
        if (kTree[v].parent >= 0)
            bezier(p[kTree[v].parent], kTree[v].t_parent, &p[v][0][0], &p[v][0][1]);
        for (size_t i = 0; i < n; i++)
            dist[i] = INFINITY;
        /* Centreline samples every <= 0.4 px: the nearest sample is within 0.03 px of the
         * nearest curve point for d >= 1 px. */
        double len = 0.0;
        for (int k = 0; k < 3; k++)
            len += hypot(p[v][k + 1][0] - p[v][k][0], p[v][k + 1][1] - p[v][k][1]);
        const size_t steps = (size_t)(len / 0.4) + 2;
        long x_lo = (long)side, x_hi = -1, y_lo = (long)side, y_hi = -1;
        for (size_t s = 0; s <= steps; s++) {
            const double t = (double)s / (double)steps;
            double cx, cy;
            bezier(p[v], t, &cx, &cy);
            const double r = (kTree[v].r0 + (kTree[v].r1 - kTree[v].r0) * t) * scale;
            const long reach = (long)ceil(r + 12.0);
            for (long y = (long)floor(cy) - reach; y <= (long)ceil(cy) + reach; y++) {
                if (y < 0 || y >= (long)side)
                    continue;
                for (long x = (long)floor(cx) - reach; x <= (long)ceil(cx) + reach; x++) {
                    if (x < 0 || x >= (long)side)
                        continue;
                    const size_t i = (size_t)y * side + (size_t)x;
                    const float d = (float)hypot((double)x - cx, (double)y - cy);
                    if (d < dist[i]) {
                        dist[i] = d;
                        rad[i] = (float)r;
                    }
                    x_lo = x < x_lo ? x : x_lo;
                    x_hi = x > x_hi ? x : x_hi;
                    y_lo = y < y_lo ? y : y_lo;
                    y_hi = y > y_hi ? y : y_hi;
                }
            }
        }
        for (long y = y_lo; y <= y_hi; y++)
            for (long x = x_lo; x <= x_hi; x++) {
                const size_t i = (size_t)y * side + (size_t)x;
                if (!isfinite(dist[i]))
                    continue;
                const double d = dist[i], r = rad[i];
                if (d < r) /* X-ray attenuation adds where vessels overlap */
                    f->image[i] += (float)(ATTENUATION * 2.0 * sqrt(r * r - d * d));
                if ((float)(d - r) < f->gap_px[i])
                    f->gap_px[i] = (float)(d - r);
                if ((float)(d / r) < f->rel_dist[i]) {
                    f->rel_dist[i] = (float)(d / r);
                    f->id[i] = (unsigned char)v;
                }
            }
    }
    uint64_t seed = 0x9E3779B97F4A7C15ull;
    for (uint32_t y = 0; y < side; y++)
        for (uint32_t x = 0; x < side; x++) {
            /* residual soft tissue after subtraction: slow, a few hundredths */
            const double residual = 0.03 * sin(x / (300.0 * scale)) * cos(y / (250.0 * scale));
            f->image[(size_t)y * side + x] += (float)(residual + NOISE_SD * gaussian(&seed));
        }
    free(dist);
    free(rad);
    return 0;
}

static void free_frame(frame *f)
{
    free(f->image);
    free(f->gap_px);
    free(f->rel_dist);
    free(f->id);
}

static int write_raw(const char *path, const float *data, size_t n)
{
    FILE *fp = fopen(path, "wb");
    if (!fp)
        return -1;
    const size_t written = fwrite(data, sizeof(float), n, fp);
    return (fclose(fp) == 0 && written == n) ? 0 : -1;
}

static int read_raw(const char *path, float *data, size_t n)
{
    FILE *fp = fopen(path, "rb");
    if (!fp)
        return -1;
    const size_t got = fread(data, sizeof(float), n, fp);
    fclose(fp);
    return got == n ? 0 : -1;
}

static int compare_floats(const void *a, const void *b)
{
    const double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

/* Wall times of `repeats` runs (after one warm-up): min and median; and the process CPU time of
 * the fastest run (all threads), in seconds. The machine may be shared: the minimum is the
 * least disturbed run, CPU time tells the work done whatever the load. */
typedef struct timing {
    double min_s, median_s, cpu_s;
} timing;

static int time_ours(const frame *f, const pdva_vesselness_params *p, int repeats, float *v,
                     float *scale, double *gamma_used, timing *out)
{
    double t[64], cpu[64];
    if (repeats > 64)
        repeats = 64;
    for (int r = -1; r < repeats; r++) {
        pdva_error *err = NULL;
        const double t0 = clock_s(CLOCK_MONOTONIC), c0 = clock_s(CLOCK_PROCESS_CPUTIME_ID);
        const pdva_status st =
            pdva_itk_vesselness(f->image, f->side, f->side, p, v, scale, NULL, gamma_used, &err);
        const double dt = clock_s(CLOCK_MONOTONIC) - t0;
        const double dc = clock_s(CLOCK_PROCESS_CPUTIME_ID) - c0;
        if (st != PDVA_OK) {
            fprintf(stderr, "pdva_itk_vesselness: %s: %s\n", pdva_status_str(st),
                    pdva_error_message(err));
            pdva_error_destroy(err);
            return -1;
        }
        if (r >= 0) {
            t[r] = dt;
            cpu[r] = dc;
        }
    }
    int fastest = 0;
    for (int r = 1; r < repeats; r++)
        if (t[r] < t[fastest])
            fastest = r;
    out->cpu_s = cpu[fastest];
    qsort(t, (size_t)repeats, sizeof t[0], compare_floats);
    out->min_s = t[0];
    out->median_s = t[repeats / 2];
    return 0;
}

typedef struct detection {
    double centreline, vessel, background; /* fractions above THRESHOLD */
} detection;

static detection detect(const frame *f, const float *map, float threshold)
{
    size_t n_c = 0, n_v = 0, n_b = 0, d_c = 0, d_v = 0, d_b = 0;
    for (uint32_t y = MARGIN_PX; y + MARGIN_PX < f->side; y++)
        for (uint32_t x = MARGIN_PX; x + MARGIN_PX < f->side; x++) {
            const size_t i = (size_t)y * f->side + x;
            const int hit = map[i] > threshold;
            if (f->rel_dist[i] < 0.25f) {
                n_c++;
                d_c += (size_t)hit;
            }
            if (f->rel_dist[i] < 1.0f) {
                n_v++;
                d_v += (size_t)hit;
            }
            if (f->gap_px[i] > 10.0f) {
                n_b++;
                d_b += (size_t)hit;
            }
        }
    detection d = {(double)d_c / (double)(n_c ? n_c : 1), (double)d_v / (double)(n_v ? n_v : 1),
                   (double)d_b / (double)(n_b ? n_b : 1)};
    return d;
}

static double correlation(const frame *f, const float *a, const float *b)
{
    double sa = 0, sb = 0, saa = 0, sbb = 0, sab = 0;
    size_t n = 0;
    for (uint32_t y = MARGIN_PX; y + MARGIN_PX < f->side; y++)
        for (uint32_t x = MARGIN_PX; x + MARGIN_PX < f->side; x++) {
            const size_t i = (size_t)y * f->side + x;
            sa += a[i];
            sb += b[i];
            saa += (double)a[i] * a[i];
            sbb += (double)b[i] * b[i];
            sab += (double)a[i] * b[i];
            n++;
        }
    const double cov = sab - sa * sb / (double)n;
    const double va = saa - sa * sa / (double)n, vb = sbb - sb * sb / (double)n;
    return cov / sqrt(va * vb);
}

/* Per vessel: centreline detection by both maps and our radius estimate from the best scale. */
static void per_vessel_report(const frame *f, const float *ours, const float *theirs,
                              const float *best_scale)
{
    printf("\nper vessel (centreline pixels: d < r/4, interior only; detected: > %.2f)\n",
           (double)LOW_THRESHOLD);
    printf("  vessel  radius_px  pixels  detected_ours  detected_skimage  median(best_scale/r)\n");
    double *ratios = malloc((size_t)f->side * f->side * sizeof(double));
    if (!ratios)
        return;
    const double scale = f->side / 1024.0;
    for (size_t v = 0; v < N_VESSELS; v++) {
        size_t n = 0, d_o = 0, d_t = 0;
        for (uint32_t y = MARGIN_PX; y + MARGIN_PX < f->side; y++)
            for (uint32_t x = MARGIN_PX; x + MARGIN_PX < f->side; x++) {
                const size_t i = (size_t)y * f->side + x;
                if (f->id[i] != v || !(f->rel_dist[i] < 0.25f))
                    continue;
                d_o += ours[i] > LOW_THRESHOLD;
                d_t += theirs[i] > LOW_THRESHOLD;
                /* the local radius: gap = d - r and rel = d / r give r = -gap / (1 - rel) */
                const double r = -f->gap_px[i] / (1.0 - f->rel_dist[i]);
                ratios[n++] = best_scale[i] / r;
            }
        qsort(ratios, n, sizeof ratios[0], compare_floats);
        printf("  %6zu  %4.1f-%-4.1f  %6zu  %13.3f  %16.3f  %19.2f\n", v, kTree[v].r0 * scale,
               kTree[v].r1 * scale, n, n ? (double)d_o / (double)n : 0.0,
               n ? (double)d_t / (double)n : 0.0, n ? ratios[n / 2] : 0.0);
    }
    free(ratios);
}

int main(int argc, char **argv)
{
    uint32_t side = 1024;
    int repeats = 5, py_repeats = 3;
    const char *python = "/usr/bin/python3";
    const char *script = PDVA_BENCH_SKIMAGE_SCRIPT;
    const char *save_image = NULL;
    for (int i = 1; i < argc; i++) {
        if (!strcmp(argv[i], "--size") && i + 1 < argc)
            side = (uint32_t)strtoul(argv[++i], NULL, 10);
        else if (!strcmp(argv[i], "--repeats") && i + 1 < argc)
            repeats = atoi(argv[++i]);
        else if (!strcmp(argv[i], "--python") && i + 1 < argc)
            python = argv[++i];
        else if (!strcmp(argv[i], "--script") && i + 1 < argc)
            script = argv[++i];
        else if (!strcmp(argv[i], "--save-image") && i + 1 < argc)
            save_image = argv[++i];
        else {
            fprintf(stderr,
                    "usage: %s [--size N] [--repeats K] [--python PATH] [--script PATH] "
                    "[--save-image FILE.raw]\n",
                    argv[0]);
            return 2;
        }
    }
    if (side < 2 * MARGIN_PX + 16 || side > 8192 || repeats < 1) {
        fprintf(stderr, "size must be in %d..8192, repeats >= 1\n", 2 * MARGIN_PX + 16);
        return 2;
    }

    frame f;
    if (make_frame(&f, side) != 0) {
        fprintf(stderr, "out of memory\n");
        return 1;
    }
    const size_t n = (size_t)side * side;
    if (save_image && write_raw(save_image, f.image, n) != 0) {
        fprintf(stderr, "cannot write %s\n", save_image);
        return 1;
    }
    float *ours = malloc(n * sizeof(float)), *scale = malloc(n * sizeof(float));
    float *theirs = malloc(n * sizeof(float)), *scratch = malloc(n * sizeof(float));
    if (!ours || !scale || !theirs || !scratch) {
        fprintf(stderr, "out of memory\n");
        return 1;
    }

    pdva_vesselness_params p;
    pdva_vesselness_params_init(&p);
    char sigma_list[256] = "";
    for (size_t i = 0; i < p.n_sigmas; i++) {
        const size_t used = strlen(sigma_list);
        snprintf(sigma_list + used, sizeof sigma_list - used, "%s%g", i ? "," : "", p.sigmas_px[i]);
    }
    printf("synthetic DSA frame %ux%u: %zu vessels, radius 12.5..1.5 px, noise sd %g\n", side, side,
           N_VESSELS, NOISE_SD);
    printf("scales (px): %s; beta %g; bright vessels\n", sigma_list, p.beta);
    /* Timings on a shared machine mean little without its load. */
    FILE *load = fopen("/proc/loadavg", "r");
    double load1 = -1.0;
    if (load) {
        if (fscanf(load, "%lf", &load1) != 1)
            load1 = -1.0;
        fclose(load);
    }
    printf("cores online %ld, load average (1 min) %.2f\n", sysconf(_SC_NPROCESSORS_ONLN), load1);

    /* Ours, automatic gamma: gives the c that both timed runs then use. */
    double gamma = 0.0;
    timing t_auto, t_all, t_one, t_ref;
    if (time_ours(&f, &p, repeats, ours, scale, &gamma, &t_auto) != 0)
        return 1;
    p.gamma = gamma;
    p.threads = 1;
    if (time_ours(&f, &p, repeats, scratch, NULL, NULL, &t_one) != 0)
        return 1;
    p.threads = 0;
    p.hessian_method = PDVA_HESSIAN_ITK_REFERENCE;
    if (time_ours(&f, &p, repeats < 3 ? repeats : 3, scratch, NULL, NULL, &t_ref) != 0)
        return 1;
    p.hessian_method = PDVA_HESSIAN_FAST;
    if (time_ours(&f, &p, repeats, ours, scale, NULL, &t_all) != 0)
        return 1;
    printf("gamma (automatic, then fixed for every run below): %.6g\n", gamma);

    /* skimage, same image, scales and gamma */
    char dir[] = "/tmp/pdva-bench-vesselness-XXXXXX";
    if (!mkdtemp(dir)) {
        fprintf(stderr, "mkdtemp: %s\n", strerror(errno));
        return 1;
    }
    char in_path[128], out_path[128], cmd[1024];
    snprintf(in_path, sizeof in_path, "%s/image.raw", dir);
    snprintf(out_path, sizeof out_path, "%s/frangi.raw", dir);
    if (write_raw(in_path, f.image, n) != 0) {
        fprintf(stderr, "cannot write %s\n", in_path);
        return 1;
    }
    snprintf(cmd, sizeof cmd, "'%s' '%s' '%s' '%s' %u %u %.17g %s %d", python, script, in_path,
             out_path, side, side, gamma, sigma_list, py_repeats);
    FILE *pipe = popen(cmd, "r");
    double t_sk = -1.0, cpu_sk = -1.0;
    if (!pipe || fscanf(pipe, "%lf %lf", &t_sk, &cpu_sk) != 2)
        t_sk = -1.0;
    const int py_status = pipe ? pclose(pipe) : -1;
    const int have_sk = py_status == 0 && t_sk > 0.0 && read_raw(out_path, theirs, n) == 0;
    unlink(in_path);
    unlink(out_path);
    rmdir(dir);
    if (!have_sk) {
        fprintf(stderr, "skimage run failed (%s)\n", cmd);
        return 1;
    }

    printf("\ntimes (s)                                    wall min  wall median  cpu (fastest)\n");
    const struct {
        const char *name;
        const timing *t;
    } rows[] = {{"pdva fast, gamma fixed, all cores", &t_all},
                {"pdva fast, gamma fixed, 1 thread", &t_one},
                {"pdva fast, gamma automatic (2 passes)", &t_auto},
                {"pdva, itk::HessianRecursiveGaussian path", &t_ref}};
    for (size_t i = 0; i < sizeof rows / sizeof rows[0]; i++)
        printf("  %-41s %8.3f  %11.3f  %13.3f\n", rows[i].name, rows[i].t->min_s,
               rows[i].t->median_s, rows[i].t->cpu_s);
    printf("  %-41s %8.3f  %11s  %13.3f\n", "skimage frangi (best of 3)", t_sk, "", cpu_sk);
    printf("skimage / pdva (wall min): all cores %.1fx, 1 thread %.1fx, ITK filter path %.1fx, "
           "automatic gamma %.1fx\n",
           t_sk / t_all.min_s, t_sk / t_one.min_s, t_sk / t_ref.min_s, t_sk / t_auto.min_s);

    printf("\nagreement (interior, %d px margin)\n", MARGIN_PX);
    printf("  Pearson correlation of the two maps: %.4f\n", correlation(&f, ours, theirs));
    printf("  fraction above threshold   centreline  vessel  background (>10 px from walls)\n");
    const float thresholds[] = {THRESHOLD, LOW_THRESHOLD};
    for (size_t k = 0; k < 2; k++) {
        const detection d_o = detect(&f, ours, thresholds[k]);
        const detection d_t = detect(&f, theirs, thresholds[k]);
        printf("  > %.2f pdva               %10.3f  %6.3f  %10.5f\n", (double)thresholds[k],
               d_o.centreline, d_o.vessel, d_o.background);
        printf("  > %.2f skimage            %10.3f  %6.3f  %10.5f\n", (double)thresholds[k],
               d_t.centreline, d_t.vessel, d_t.background);
    }
    per_vessel_report(&f, ours, theirs, scale);

    free(ours);
    free(scale);
    free(theirs);
    free(scratch);
    free_frame(&f);
    return 0;
}
