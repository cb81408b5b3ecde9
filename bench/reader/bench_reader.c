/* bench_reader — how fast pdva's reader decodes a cine series, against DCMTK alone, and how its
 * memory behaves as the series grows.
 *
 *   bench_reader [--frames N] [--rss-frames M] [--repeat R] [--dir DIR] [--keep] [--no-rss]
 *                [--only TEXT]
 *
 * For a 1024 x 1024, N-frame (default 60), 12-bit series in each encoding the writer offers
 * (8-bit for JPEG baseline), written with pdva_dicom_write_xa_series(), it prints the frames per
 * second of pdva (open + read every frame) and of bare DCMTK (load + getUncompressedFrame of
 * every frame, bare_dcmtk.cc) in the same run, best of 2R samples (R default 5) of at least
 * 0.25 s of CPU time each (a fast series is read several times per sample; each sample is a
 * fresh process, after one untimed pass), and their ratio (target >= 0.9): the median over the
 * R repeats of pdva, DCMTK, DCMTK, pdva (reversed every other repeat) of the two sides' CPU
 * time. Then, for each encoding, the peak RSS of a fresh process that reads N frames and of one that reads M frames
 * (default 240): it must not grow with the frame count beyond a few MB.
 *
 *   bench_reader --child-read PATH...   (read every frame of one series with pdva
 *                                        PDVA_BENCH_LOOPS times, print CPU time and peak RSS)
 *   bench_reader --child-bare PATH...   (the same with bare DCMTK; both are the timed samples
 *                                        and serve for profiling; PDVA_BENCH_WARMUP=1 adds an
 *                                        untimed pass first)
 *   bench_reader --child-open PATH...   (pdva_series_open only, PDVA_BENCH_LOOPS times)
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include <errno.h>
#include <math.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "bare_dcmtk.h"
#include "dicom/pdva_dicom.h"
#include "dicom/pdva_dicom_writer.h"

#define ROWS 1024u
#define COLUMNS 1024u
#define MAX_FILES 10000
#define SAMPLE_S 0.25 /* CPU seconds per timed sample, at least */
#define MAX_PASSES 200
#define MAX_REPEAT 99

typedef struct encoding_case {
    pdva_encoding encoding;
    const char *label;
    uint16_t bits;
} encoding_case;

static const encoding_case cases[] = {
    {PDVA_ENCODING_XA_EXPLICIT_LE, "explicit VR LE", 12},
    {PDVA_ENCODING_XA_IMPLICIT_LE, "implicit VR LE", 12},
    {PDVA_ENCODING_XA_BIG_ENDIAN, "explicit VR BE", 12},
    {PDVA_ENCODING_XA_RLE, "RLE lossless", 12},
    {PDVA_ENCODING_XA_JPEG_LOSSLESS, "JPEG lossless SV1", 12},
    {PDVA_ENCODING_XA_JPEG_LS, "JPEG-LS lossless", 12},
    {PDVA_ENCODING_XA_JPEG_BASELINE, "JPEG baseline 8-bit", 8},
    {PDVA_ENCODING_ENHANCED_XA, "Enhanced XA", 12},
    {PDVA_ENCODING_XA_FRAME_PER_FILE, "one frame per file", 12},
};
#define N_CASES (sizeof cases / sizeof cases[0])

/* CPU time of this process (user + system, page cache copies included): other programs
 * sharing the machine do not distort it as they distort wall-clock time. */
static double now_s(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* An angiogram-like 12-bit series: smooth background, a few vessels filling with contrast,
 * quantum noise. */
static uint16_t *make_pixels(uint32_t frames, uint16_t bits)
{
    size_t n = (size_t)ROWS * COLUMNS;
    uint16_t *px = malloc(n * frames * sizeof *px);
    if (!px)
        return NULL;
    uint32_t seed = 1;
    double scale = bits == 8 ? 255.0 / 4095.0 : 1.0;
    for (uint32_t f = 0; f < frames; f++) {
        double fill = f < frames / 3 ? (double)f / (frames / 3.0) : 1.0;
        for (uint32_t r = 0; r < ROWS; r++)
            for (uint32_t c = 0; c < COLUMNS; c++) {
                double v = 2400 + 700 * sin(r / 97.0) * cos(c / 131.0) - 0.4 * r;
                for (int k = 0; k < 4; k++) {
                    double center = 200 + 180 * k + 40 * sin(r / (60.0 + 7 * k));
                    double d = fabs((double)c - center);
                    if (d < 6 + k)
                        v -= fill * 900 * (1 - d / (6 + k));
                }
                seed = seed * 1103515245u + 12345u;
                v += (double)((seed >> 16) % 61) - 30;
                v *= scale;
                double top = bits == 8 ? 255 : 4095;
                px[(size_t)f * n + (size_t)r * COLUMNS + c] = (uint16_t)(v < 0     ? 0
                                                                         : v > top ? top
                                                                                   : v);
            }
    }
    return px;
}

/* Write `frames` frames in encoding e under dir/stem; fill paths (caller frees each). */
static int write_series(const encoding_case *e, uint32_t frames, const char *dir, const char *stem,
                        char **paths, size_t *n_paths)
{
    uint16_t *px = make_pixels(frames, e->bits);
    double *times = malloc(frames * sizeof *times);
    if (!px || !times) {
        free(px);
        free(times);
        return -1;
    }
    for (uint32_t i = 0; i < frames; i++)
        times[i] = i / 15.0;
    pdva_xa_series_desc d;
    pdva_xa_series_desc_init(&d);
    d.encoding = e->encoding;
    d.rows = ROWS;
    d.columns = COLUMNS;
    d.frames = frames;
    d.bits_stored = e->bits;
    d.pixels = px;
    d.frame_times_s = times;
    d.imager_pixel_spacing_mm[0] = d.imager_pixel_spacing_mm[1] = 0.2;
    d.distance_source_to_detector_mm = 1100;
    d.distance_source_to_patient_mm = 800;
    d.patient_id = "BENCH-1";
    d.patient_name = "Bench^Reader";
    d.study_instance_uid = "1.2.826.0.1.3680043.9.7433.90.1";
    d.series_instance_uid =
        frames > 100 ? "1.2.826.0.1.3680043.9.7433.90.1.2" : "1.2.826.0.1.3680043.9.7433.90.1.1";
    d.study_date = "20240102";
    d.study_time = "101112";
    d.series_description = "bench";
    d.body_part_examined = "FOOT";
    d.series_number = 1;
    d.laterality = 'L';
    pdva_error *err = NULL;
    pdva_status st = pdva_dicom_write_xa_series(&d, dir, stem, &err);
    free(px);
    free(times);
    if (st != PDVA_OK) {
        fprintf(stderr, "writing %s: %s\n", e->label, pdva_error_message(err));
        pdva_error_destroy(err);
        return -1;
    }
    *n_paths = 0;
    size_t files = e->encoding == PDVA_ENCODING_XA_FRAME_PER_FILE ? frames : 1;
    for (size_t i = 0; i < files; i++) {
        char path[1024];
        if (files == 1)
            snprintf(path, sizeof path, "%s/%s.dcm", dir, stem);
        else
            snprintf(path, sizeof path, "%s/%s-%04zu.dcm", dir, stem, i + 1);
        struct stat sb;
        if (stat(path, &sb) != 0) {
            fprintf(stderr, "%s: not written\n", path);
            return -1;
        }
        paths[(*n_paths)++] = strdup(path);
    }
    return 0;
}

/* pdva: open and read every frame. Returns frames read, -1 on failure. */
static long pdva_read_all(const char *const *paths, size_t n, uint64_t *checksum)
{
    pdva_series *s = NULL;
    pdva_error *err = NULL;
    if (pdva_series_open(paths, n, NULL, &s, &err) != PDVA_OK) {
        fprintf(stderr, "pdva: %s\n", pdva_error_message(err));
        pdva_error_destroy(err);
        return -1;
    }
    const pdva_series_info *info = pdva_series_get_info(s);
    size_t px = (size_t)info->rows * info->columns;
    uint16_t *frame = malloc(px * sizeof *frame);
    long done = 0;
    for (uint32_t f = 0; frame && f < info->frames; f++) {
        if (pdva_series_read_frame(s, f, frame, px, &err) != PDVA_OK) {
            fprintf(stderr, "pdva frame %u: %s\n", f, pdva_error_message(err));
            pdva_error_destroy(err);
            done = -1;
            break;
        }
        uint64_t sum = 0;
        for (size_t i = 0; i < px; i += 32)
            sum += frame[i];
        *checksum += sum;
        done++;
    }
    free(frame);
    pdva_series_destroy(s);
    return done;
}

static int compare_double(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

static double median_of(double *v, size_t n)
{
    qsort(v, n, sizeof *v, compare_double);
    return n % 2 ? v[n / 2] : 0.5 * (v[n / 2 - 1] + v[n / 2]);
}

static int loops(void)
{
    const char *env = getenv("PDVA_BENCH_LOOPS");
    int n = env ? atoi(env) : 1;
    return n > 0 ? n : 1;
}

static long own_peak_rss_kib(void);

/* Report of a child: frames per pass, CPU seconds of the timed passes, its own peak RSS. With
 * PDVA_BENCH_WARMUP set, one untimed pass first (shared libraries, DCMTK's dictionary, the
 * allocator's first growth: what a host that has been running for a while has behind it). */
static int child_report(long n, double cpu_s)
{
    printf("frames %ld cpu %.9f VmHWM %ld\n", n, cpu_s, own_peak_rss_kib());
    return n > 0 ? 0 : 1;
}

static int child_bare(int argc, char **argv)
{
    uint64_t checksum = 0;
    char err_text[512] = "";
    if (pdva_dicom_global_init(NULL) != PDVA_OK)
        return 1;
    long n = 0;
    if (getenv("PDVA_BENCH_WARMUP"))
        n = bare_dcmtk_decode_all((const char *const *)argv, (size_t)argc, &checksum, err_text,
                                  sizeof err_text);
    double t0 = now_s();
    for (int k = loops(); k > 0 && n >= 0; k--)
        n = bare_dcmtk_decode_all((const char *const *)argv, (size_t)argc, &checksum, err_text,
                                  sizeof err_text);
    double t = now_s() - t0;
    if (n <= 0)
        fprintf(stderr, "bare DCMTK: %ld frames: %s\n", n, err_text);
    return child_report(n, t);
}

/* Peak resident set of this process's own memory (VmHWM of /proc/self/status), in KiB. Unlike
 * ru_maxrss it does not include the pages of the parent it was forked from. */
static long own_peak_rss_kib(void)
{
    FILE *f = fopen("/proc/self/status", "r");
    if (!f)
        return -1;
    char line[256];
    long kib = -1;
    while (fgets(line, sizeof line, f))
        if (sscanf(line, "VmHWM: %ld kB", &kib) == 1)
            break;
    fclose(f);
    return kib;
}

static int child_read(int argc, char **argv)
{
    uint64_t checksum = 0;
    if (pdva_dicom_global_init(NULL) != PDVA_OK)
        return 1;
    long n = 0;
    if (getenv("PDVA_BENCH_WARMUP"))
        n = pdva_read_all((const char *const *)argv, (size_t)argc, &checksum);
    double t0 = now_s();
    for (int k = loops(); k > 0 && n >= 0; k--)
        n = pdva_read_all((const char *const *)argv, (size_t)argc, &checksum);
    return child_report(n, now_s() - t0);
}

/* Run this program as a child in `mode` over the series (`passes` timed passes, after a
 * warm-up pass when `warmup`) and parse its report. Returns 0 when it read every frame. */
static int run_child(const char *self, const char *mode, int passes, bool warmup, char **paths,
                     size_t n, long *frames, double *cpu_s, long *peak_kib)
{
    char **argv = calloc(n + 3, sizeof *argv);
    int fds[2];
    if (!argv || pipe(fds) != 0) {
        free(argv);
        return -1;
    }
    char loops_text[32], mode_arg[32];
    snprintf(loops_text, sizeof loops_text, "%d", passes);
    snprintf(mode_arg, sizeof mode_arg, "%s", mode);
    argv[0] = (char *)"bench_reader";
    argv[1] = mode_arg;
    for (size_t i = 0; i < n; i++)
        argv[i + 2] = paths[i];
    pid_t pid = fork();
    if (pid == 0) {
        close(fds[0]);
        dup2(fds[1], STDOUT_FILENO);
        setenv("PDVA_BENCH_LOOPS", loops_text, 1);
        if (warmup)
            setenv("PDVA_BENCH_WARMUP", "1", 1);
        else
            unsetenv("PDVA_BENCH_WARMUP");
        execv(self, argv);
        _exit(127);
    }
    free(argv);
    close(fds[1]);
    char out[256] = "";
    size_t got = 0;
    ssize_t k;
    while (got + 1 < sizeof out && (k = read(fds[0], out + got, sizeof out - 1 - got)) > 0)
        got += (size_t)k;
    out[got] = '\0';
    close(fds[0]);
    if (pid < 0)
        return -1;
    int status = 0;
    if (waitpid(pid, &status, 0) != pid || !WIFEXITED(status) || WEXITSTATUS(status) != 0)
        return -1;
    const char *at = strstr(out, "frames ");
    if (!at || sscanf(at, "frames %ld cpu %lf VmHWM %ld", frames, cpu_s, peak_kib) != 3)
        return -1;
    return 0;
}

/* Peak RSS (KiB) of a fresh process reading the series once (it reports its own VmHWM). */
static long child_rss_kib(const char *self, char **paths, size_t n)
{
    long frames = 0, kib = -1;
    double cpu = 0;
    if (run_child(self, "--child-read", 1, false, paths, n, &frames, &cpu, &kib) != 0)
        return -1;
    return kib;
}

static void free_paths(char **paths, size_t n)
{
    for (size_t i = 0; i < n; i++)
        free(paths[i]);
}

int main(int argc, char **argv)
{
    if (argc >= 2 && strcmp(argv[1], "--child-read") == 0)
        return child_read(argc - 2, argv + 2);
    if (argc >= 2 && strcmp(argv[1], "--child-bare") == 0)
        return child_bare(argc - 2, argv + 2);
    if (argc >= 2 && strcmp(argv[1], "--child-open") == 0) {
        for (int k = loops(); k > 0; k--) {
            pdva_series *s = NULL;
            if (pdva_series_open((const char *const *)(argv + 2), (size_t)(argc - 2), NULL, &s,
                                 NULL) != PDVA_OK)
                return 1;
            pdva_series_destroy(s);
        }
        return 0;
    }
    uint32_t frames = 60, rss_frames = 240;
    int repeat = 5;
    bool keep = false, rss = true;
    const char *dir_arg = NULL, *only = NULL;
    for (int i = 1; i < argc; i++) {
        if (strcmp(argv[i], "--frames") == 0 && i + 1 < argc)
            frames = (uint32_t)atoi(argv[++i]);
        else if (strcmp(argv[i], "--rss-frames") == 0 && i + 1 < argc)
            rss_frames = (uint32_t)atoi(argv[++i]);
        else if (strcmp(argv[i], "--repeat") == 0 && i + 1 < argc)
            repeat = atoi(argv[++i]);
        else if (strcmp(argv[i], "--dir") == 0 && i + 1 < argc)
            dir_arg = argv[++i];
        else if (strcmp(argv[i], "--keep") == 0)
            keep = true;
        else if (strcmp(argv[i], "--no-rss") == 0)
            rss = false;
        else if (strcmp(argv[i], "--only") == 0 && i + 1 < argc)
            only = argv[++i];
        else {
            fprintf(stderr, "usage: bench_reader [--frames N] [--rss-frames M] [--repeat R] "
                            "[--dir DIR] [--keep] [--no-rss] [--only TEXT]\n");
            return 2;
        }
    }
    if (frames == 0 || rss_frames == 0 || repeat <= 0 || repeat > MAX_REPEAT)
        return 2;
    char dir[512];
    if (dir_arg) {
        snprintf(dir, sizeof dir, "%s", dir_arg);
        mkdir(dir, 0755);
    } else {
        snprintf(dir, sizeof dir, "/tmp/pdva-bench-reader-XXXXXX");
        if (!mkdtemp(dir)) {
            perror("mkdtemp");
            return 1;
        }
    }
    char self[1024];
    ssize_t len = readlink("/proc/self/exe", self, sizeof self - 1);
    if (len <= 0)
        return 1;
    self[len] = '\0';
    if (pdva_dicom_global_init(NULL) != PDVA_OK)
        return 1;

    printf("pdva reader vs bare DCMTK: %ux%u, %u frames, best of %d (files in %s)\n\n", COLUMNS,
           ROWS, frames, repeat, dir);
    printf("%-22s %12s %12s %8s %14s %14s %10s\n", "encoding", "pdva fr/s", "DCMTK fr/s", "ratio",
           "RSS N fr (MB)", "RSS M fr (MB)", "growth MB");
    int failures = 0;
    static char *paths[MAX_FILES], *big[MAX_FILES];
    for (size_t k = 0; k < N_CASES; k++) {
        const encoding_case *e = &cases[k];
        if (only && !strstr(e->label, only))
            continue;
        size_t n = 0, n_big = 0;
        char stem[64], stem_big[64];
        snprintf(stem, sizeof stem, "case%zu", k);
        snprintf(stem_big, sizeof stem_big, "case%zu-big", k);
        if (write_series(e, frames, dir, stem, paths, &n) != 0) {
            failures++;
            continue;
        }
        double best_pdva = 1e30, best_bare = 1e30;
        double quad_ratio[MAX_REPEAT];
        bool ok = true;
        /* Each sample is a fresh process that reads the series `passes` times, enough for about
         * SAMPLE_S of CPU time (found from one warm-up sample), after one untimed pass. Read in
         * one process, the two sides share a heap and caches that a host running pdva alone
         * does not share with a second reader, and that measured the pair, not the reader.
         * Each repeat is four samples in the order pdva, DCMTK, DCMTK, pdva (the reverse in
         * odd repeats): a sample run second measured ~5 % slower than one run first here, and
         * this order cancels that and any steady drift of the machine. */
        int passes = 1;
        for (int r = -1; r < repeat && ok; r++) {
            double t_side[2] = {0, 0};
            for (int slot = 0; slot < (r < 0 ? 1 : 4) && ok; slot++) {
                bool pdva_side = r < 0 || ((slot == 0 || slot == 3) == (r % 2 == 0));
                long got = 0, kib = 0;
                double cpu = 0;
                int count = r < 0 ? 1 : passes;
                if (run_child(self, pdva_side ? "--child-read" : "--child-bare", count, true, paths,
                              n, &got, &cpu, &kib) != 0 ||
                    got != (long)frames) {
                    fprintf(stderr, "%s: %s did not read the %u frames (%ld)\n", e->label,
                            pdva_side ? "pdva" : "DCMTK", frames, got);
                    ok = false;
                    break;
                }
                double t = cpu / count;
                if (r < 0) {
                    int want = t > 0 ? (int)ceil(SAMPLE_S / t) : MAX_PASSES;
                    passes = want < 1 ? 1 : want < MAX_PASSES ? want : MAX_PASSES;
                    continue;
                }
                if (pdva_side && t < best_pdva)
                    best_pdva = t;
                if (!pdva_side && t < best_bare)
                    best_bare = t;
                t_side[pdva_side] += t;
            }
            if (r >= 0 && ok) {
                quad_ratio[r] = t_side[0] / t_side[1];
                if (getenv("PDVA_BENCH_VERBOSE"))
                    fprintf(stderr, "  %s repeat %d: pdva %.4f s DCMTK %.4f s per pass, %.3f\n",
                            e->label, r, t_side[1] / 2, t_side[0] / 2, quad_ratio[r]);
            }
        }
        if (!ok) {
            failures++;
            free_paths(paths, n);
            continue;
        }
        long rss_n = rss ? child_rss_kib(self, paths, n) : 0;
        long rss_m = rss ? -1 : 0;
        if (rss && write_series(e, rss_frames, dir, stem_big, big, &n_big) == 0) {
            rss_m = child_rss_kib(self, big, n_big);
            if (!keep)
                for (size_t i = 0; i < n_big; i++)
                    unlink(big[i]);
            free_paths(big, n_big);
        }
        double fps_pdva = frames / best_pdva, fps_bare = frames / best_bare;
        /* the ratio is the median over the repeats: a slow spell of the machine slows both
         * sides of a repeat and cancels out */
        double ratio = median_of(quad_ratio, (size_t)repeat);
        double growth = rss_n > 0 && rss_m > 0 ? (double)(rss_m - rss_n) / 1024.0 : NAN;
        printf("%-22s %12.1f %12.1f %8.2f %14.1f %14.1f %10.1f%s\n", e->label, fps_pdva, fps_bare,
               ratio, (double)rss_n / 1024.0, (double)rss_m / 1024.0, growth,
               ratio < 0.9 ? "  (ratio below 0.9)" : "");
        fflush(stdout);
        if (rss_n < 0 || rss_m < 0)
            failures++;
        if (!keep)
            for (size_t i = 0; i < n; i++)
                unlink(paths[i]);
        free_paths(paths, n);
    }
    if (!keep && !dir_arg)
        rmdir(dir);
    printf("\nN = %u frames, M = %u frames; fr/s = frames per second including open/load, from "
           "CPU time (user + system)\nof a fresh process per sample, best of 2R samples of >= %.2f "
           "s each (the series read as many times\nas that takes, after one untimed pass); ratio = "
           "median over R repeats of pdva, DCMTK, DCMTK, pdva\n(reversed every other repeat) of "
           "DCMTK's CPU time over pdva's; RSS = peak resident set of a fresh\nprocess reading the "
           "whole series.\n",
           frames, rss_frames, SAMPLE_S);
    return failures ? 1 : 0;
}
