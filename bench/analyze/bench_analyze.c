/* bench_analyze.c — speed and memory of the whole analysis on a 1024 x 1024, 12-bit, JPEG
 * lossless run (a generated foot run), against DCMTK decoding the same file by itself in the
 * same run:
 *  - wall time of the analysis (decode included, through libpdva as a host calls it) over the
 *    bare decode time: the target is at most 2x;
 *  - peak RSS of the analysis for 60 and 240 frames, against the size of the decoded series:
 *    the target is under 1.5x, growing sub-linearly with the frames;
 *  - the vesselness step on the same subtracted image with the analyzer's scales, ours (ITK
 *    shim) against scikit-image's frangi: ours at least as fast.
 * Every measurement runs in a child process so that its peak RSS is its own.
 *
 *   bench_analyze [--work DIR] [--repeat N]
 * SPDX-License-Identifier: GPL-3.0-or-later */
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "bench/reader/bare_dcmtk.h"
#include "core/dsa.h"
#include "core/image.h"
#include "core/series_analysis.h"
#include "dicom/pdva_dicom.h"
#include "itk/pdva_itk.h"
#include "pdva/pdva.h"

static double now_s(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}

/* Run fn(arg) in a child; returns its wall time in seconds and peak RSS in MiB (or -1). */
typedef int (*child_fn)(const void *arg);
static int in_child(child_fn fn, const void *arg, double *wall_s, double *rss_mib)
{
    fflush(stdout);
    double t0 = now_s();
    pid_t pid = fork();
    if (pid < 0)
        return -1;
    if (pid == 0)
        _exit(fn(arg));
    int status;
    struct rusage ru;
    if (wait4(pid, &status, 0, &ru) != pid)
        return -1;
    *wall_s = now_s() - t0;
    *rss_mib = (double)ru.ru_maxrss / 1024.0;
    return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
}

static int generate(const char *dir, int frames)
{
    char cmd[8192];
    struct stat st;
    char probe[4200];
    snprintf(probe, sizeof probe, "%s/truth.json", dir);
    if (stat(probe, &st) == 0)
        return 0;
    /* a foot run alone: residual valves live in the foot (a donor restenosis, as in the
     * combined scenario, would add a leg run whatever --runs says) */
    snprintf(cmd, sizeof cmd,
             "'%s' --scenario residual-valves --seed 4242 --runs foot --encoding xa-jpeg-lossless "
             "--size 1024 --frames %d --spacing pixel --no-preview --out '%s' >/dev/null",
             PDVA_PHANTOM, frames, dir);
    return system(cmd) == 0 ? 0 : -1;
}

/* The series file of a generated foot run. */
static int series_file(const char *dir, char *out, size_t cap)
{
    snprintf(out, cap, "%s/series-1-foot/run.dcm", dir);
    struct stat st;
    return stat(out, &st) == 0 ? 0 : -1;
}

static int decode_child(const void *arg)
{
    const char *path = arg;
    uint64_t sum = 0;
    char err[512];
    long n = bare_dcmtk_decode_all(&path, 1, &sum, err, sizeof err);
    return n > 0 ? 0 : 1;
}

static int analyze_child(const void *arg)
{
    const char *dir = arg;
    pdva_analysis_options o;
    pdva_analysis_options_init(&o);
    pdva_report *r = NULL;
    pdva_status st = pdva_analyze(&dir, 1, &o, &r, NULL);
    int ok = st == PDVA_OK && pdva_report_analyzed_count(r) == 1;
    pdva_report_destroy(r);
    return ok ? 0 : 1;
}

/* The subtracted, opacified image of the run (what the vesselness sees), written as float32. */
static int opacified_image(const char *dir, const char *raw_path, uint32_t *w, uint32_t *h,
                           double *mmpp, double *noise)
{
    const char *path = dir;
    pdva_study *study = NULL;
    pdva_series *s = NULL;
    if (pdva_study_scan(&path, 1, NULL, &study, NULL) != PDVA_OK ||
        pdva_study_open_series(study, 0, &s, NULL) != PDVA_OK) {
        pdva_study_destroy(study);
        return -1;
    }
    const pdva_series_info *in = pdva_series_get_info(s);
    pdva_dsa_params p = {in->rows, in->columns, in->frames, in->frame_times_s,
                         strcmp(in->pixel_intensity_relationship, "LOG") == 0, in->max_value,
                         true, 0};
    pdva_dsa *d = NULL;
    uint16_t *frame = malloc((size_t)in->rows * in->columns * sizeof(uint16_t));
    int rc = -1;
    if (frame && pdva_dsa_create(&p, &d, NULL) == PDVA_OK) {
        for (uint32_t f = 0; f < in->frames; f++)
            if (pdva_series_read_frame(s, f, frame, (size_t)in->rows * in->columns, NULL) != PDVA_OK ||
                pdva_dsa_push_frame(d, f, frame, NULL) != PDVA_OK)
                goto out;
        if (pdva_dsa_finish(d, NULL) != PDVA_OK)
            goto out;
        pdva_dsa_result r;
        pdva_dsa_get_result(d, &r);
        FILE *fp = fopen(raw_path, "wb");
        if (!fp)
            goto out;
        fwrite(r.opacified->data, sizeof(float), (size_t)in->rows * in->columns, fp);
        fclose(fp);
        *w = in->columns;
        *h = in->rows;
        *mmpp = in->pixel_spacing_mm[0];
        *noise = r.noise_sigma;
        rc = 0;
    }
out:
    free(frame);
    pdva_dsa_destroy(d);
    pdva_series_destroy(s);
    pdva_study_destroy(study);
    return rc;
}

int main(int argc, char **argv)
{
    const char *work = "bench-analyze-work";
    int repeat = 3;
    for (int i = 1; i < argc; i++) {
        if (strcmp(argv[i], "--work") == 0 && i + 1 < argc)
            work = argv[++i];
        else if (strcmp(argv[i], "--repeat") == 0 && i + 1 < argc)
            repeat = atoi(argv[++i]);
        else {
            fprintf(stderr, "usage: %s [--work DIR] [--repeat N]\n", argv[0]);
            return 2;
        }
    }
    if (repeat < 1)
        repeat = 1;
    /* DCMTK's decoders for the bare decode (libpdva registers its own on first use; the
     * measuring children inherit both) */
    if (pdva_dicom_global_init(NULL) != PDVA_OK) {
        fprintf(stderr, "bench_analyze: DCMTK set-up failed\n");
        return 1;
    }
    mkdir(work, 0755);
    char d60[4096], d240[4096], f60[4200], f240[4200];
    snprintf(d60, sizeof d60, "%s/foot-60", work);
    snprintf(d240, sizeof d240, "%s/foot-240", work);
    printf("pdva bench_analyze: generating the runs (1024 x 1024, 12-bit, JPEG lossless)...\n");
    if (generate(d60, 60) != 0 || generate(d240, 240) != 0 || series_file(d60, f60, sizeof f60) ||
        series_file(d240, f240, sizeof f240)) {
        fprintf(stderr, "bench_analyze: could not generate the runs\n");
        return 1;
    }
    long cores = sysconf(_SC_NPROCESSORS_ONLN);
    printf("machine: %ld cores\n\n", cores);
    const char *dirs[2] = {d60, d240};
    const char *files[2] = {f60, f240};
    const int frames[2] = {60, 240};
    double analysis_rss[2] = {0, 0}, decoded_mib[2];
    printf("%-8s %12s %12s %8s %12s %12s %8s\n", "frames", "decode s", "analysis s", "ratio",
           "decoded MiB", "peak RSS MiB", "RSS/dec");
    for (int k = 0; k < 2; k++) {
        double best_dec = INFINITY, best_an = INFINITY, rss = 0, t, m;
        for (int r = 0; r < repeat; r++) {
            if (in_child(decode_child, files[k], &t, &m) != 0) {
                fprintf(stderr, "bench_analyze: bare decode failed\n");
                return 1;
            }
            best_dec = fmin(best_dec, t);
            if (in_child(analyze_child, dirs[k], &t, &m) != 0) {
                fprintf(stderr, "bench_analyze: analysis failed\n");
                return 1;
            }
            best_an = fmin(best_an, t);
            rss = fmax(rss, m);
        }
        decoded_mib[k] = 1024.0 * 1024.0 * 2.0 * frames[k] / (1024.0 * 1024.0);
        analysis_rss[k] = rss;
        printf("%-8d %12.2f %12.2f %7.2fx %12.0f %12.0f %7.2fx\n", frames[k], best_dec, best_an,
               best_an / best_dec, decoded_mib[k], rss, rss / decoded_mib[k]);
    }
    printf("\ntargets: analysis <= 2x bare decode; peak RSS < 1.5x the decoded series;\n"
           "RSS growth 60 -> 240 frames: %.2fx for 4x the frames (sub-linear: < 4x)\n\n",
           analysis_rss[1] / analysis_rss[0]);

    /* vesselness on the run's subtracted image, ours against skimage's frangi */
    char raw[4300], out[4300];
    snprintf(raw, sizeof raw, "%s/opacified.f32", work);
    snprintf(out, sizeof out, "%s/frangi.f32", work);
    uint32_t w, h;
    double mmpp, noise;
    if (opacified_image(d60, raw, &w, &h, &mmpp, &noise) != 0) {
        fprintf(stderr, "bench_analyze: could not make the subtracted image\n");
        return 1;
    }
    float *img = malloc((size_t)w * h * sizeof(float)), *v = malloc((size_t)w * h * sizeof(float));
    FILE *fp = fopen(raw, "rb");
    if (!img || !v || !fp || fread(img, sizeof(float), (size_t)w * h, fp) != (size_t)w * h) {
        fprintf(stderr, "bench_analyze: could not read the subtracted image back\n");
        return 1;
    }
    fclose(fp);
    double sig[PDVA_VESSEL_SCALES];
    pdva_vessel_scales(mmpp, sig);
    pdva_vesselness_params vp;
    pdva_vesselness_params_init(&vp);
    vp.sigmas_px = sig;
    vp.n_sigmas = PDVA_VESSEL_SCALES;
    vp.gamma = 6.0 * 0.25 * noise / sig[0];
    double best = INFINITY;
    for (int r = 0; r < repeat + 2; r++) {
        double t0 = now_s();
        if (pdva_itk_vesselness(img, w, h, &vp, v, NULL, NULL, NULL, NULL) != PDVA_OK) {
            fprintf(stderr, "bench_analyze: vesselness failed\n");
            return 1;
        }
        best = fmin(best, now_s() - t0);
    }
    char scales[512] = "";
    for (int i = 0; i < PDVA_VESSEL_SCALES; i++)
        snprintf(scales + strlen(scales), sizeof scales - strlen(scales), "%s%.3f", i ? "," : "",
                 sig[i]);
    char cmd[9000];
    int n_cmd = snprintf(cmd, sizeof cmd, "/usr/bin/python3 '%s' '%s' '%s' %u %u %.9g %s %d",
                         PDVA_FRANGI_PY, raw, out, w, h, vp.gamma, scales, repeat + 2);
    if (n_cmd < 0 || (size_t)n_cmd >= sizeof cmd) {
        fprintf(stderr, "bench_analyze: the skimage command line does not fit\n");
        return 1;
    }
    FILE *pp = popen(cmd, "r");
    double sk = NAN, sk_cpu = NAN;
    if (pp) {
        if (fscanf(pp, "%lf %lf", &sk, &sk_cpu) != 2)
            sk = NAN;
        pclose(pp);
    }
    printf("vesselness, %u x %u, %d scales %.2f..%.2f px: ours %.3f s, skimage frangi %.3f s "
           "(ratio %.2fx; target ours <= skimage)\n",
           w, h, PDVA_VESSEL_SCALES, sig[0], sig[PDVA_VESSEL_SCALES - 1], best, sk, best / sk);
    free(img);
    free(v);
    return 0;
}
