/* bench_reader — how fast pdva's reader decodes a cine series, against DCMTK alone, and how its
 * memory behaves as the series grows.
 *
 *   bench_reader [--frames N] [--rss-frames M] [--repeat R] [--dir DIR] [--keep] [--no-rss]
 *                [--only TEXT]
 *
 * For a 1024 x 1024, N-frame (default 60), 12-bit series in each encoding the writer offers
 * (8-bit for JPEG baseline), written with pdva_dicom_write_xa_series(), it prints the frames per
 * second of pdva (open + read every frame) and of bare DCMTK (load + getUncompressedFrame of
 * every frame, bare_dcmtk.cc) in the same run, best of R (default 5) samples of at least 0.5 s
 * of CPU time each (a fast series is read several times per sample), and their ratio (target
 * >= 0.9): the median over the R pairs of adjacent pdva and DCMTK samples. Then, for each
 * encoding, the peak RSS of a fresh process that reads N frames and of one that reads M frames
 * (default 240): it must not grow with the frame count beyond a few MB.
 *
 *   bench_reader --child-read PATH...   (read every frame of one series with pdva, exit)
 *   bench_reader --child-bare PATH...   (the same with bare DCMTK; both for profiling, repeated
 *                                        PDVA_BENCH_LOOPS times)
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
#define SAMPLE_S 0.5  /* CPU seconds per timed sample, at least */
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

static int child_bare(int argc, char **argv)
{
    uint64_t checksum = 0;
    char err_text[512] = "";
    if (pdva_dicom_global_init(NULL) != PDVA_OK)
        return 1;
    long n = 0;
    for (int k = loops(); k > 0 && n >= 0; k--)
        n = bare_dcmtk_decode_all((const char *const *)argv, (size_t)argc, &checksum, err_text,
                                  sizeof err_text);
    if (n <= 0)
        fprintf(stderr, "bare DCMTK: %ld frames: %s\n", n, err_text);
    return n > 0 ? 0 : 1;
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
    long n = 0;
    for (int k = loops(); k > 0 && n >= 0; k--)
        n = pdva_read_all((const char *const *)argv, (size_t)argc, &checksum);
    printf("VmHWM %ld\n", own_peak_rss_kib());
    return n > 0 ? 0 : 1;
}

/* Peak RSS (KiB) of a fresh process reading the series (it reports its own VmHWM). */
static long child_rss_kib(const char *self, char **paths, size_t n)
{
    char **argv = calloc(n + 3, sizeof *argv);
    int fds[2];
    if (!argv || pipe(fds) != 0) {
        free(argv);
        return -1;
    }
    argv[0] = (char *)"bench_reader";
    argv[1] = (char *)"--child-read";
    for (size_t i = 0; i < n; i++)
        argv[i + 2] = paths[i];
    pid_t pid = fork();
    if (pid == 0) {
        close(fds[0]);
        dup2(fds[1], STDOUT_FILENO);
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
    long kib = -1;
    const char *at = strstr(out, "VmHWM ");
    if (!at || sscanf(at, "VmHWM %ld", &kib) != 1)
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
        double pair_ratio[MAX_REPEAT], t_side[2] = {0, 0};
        uint64_t sum_pdva = 0, sum_bare = 0;
        char err_text[512] = "";
        bool ok = true;
        /* A read of an uncompressed series takes a few ms: one such interval measures the
         * machine's other tenants as much as the reader. Each sample reads the series `passes`
         * times, enough for about SAMPLE_S of CPU time, found from one warm-up pass. */
        int passes = 1;
        for (int r = -1; r < repeat && ok; r++) {
            /* alternate the order so neither side always gets the warmer cache */
            for (int side = 0; side < 2 && ok; side++) {
                bool pdva_side = (side + r) % 2 == 0;
                int count = r < 0 ? 1 : passes;
                double t0 = now_s();
                for (int pass = 0; pass < count && ok; pass++) {
                    long got =
                        pdva_side ? pdva_read_all((const char *const *)paths, n, &sum_pdva)
                                  : bare_dcmtk_decode_all((const char *const *)paths, n, &sum_bare,
                                                          err_text, sizeof err_text);
                    if (got != (long)frames) {
                        fprintf(stderr, "%s: %s read %ld frames %s\n", e->label,
                                pdva_side ? "pdva" : "DCMTK", got, err_text);
                        ok = false;
                    }
                }
                if (!ok)
                    break;
                double t = (now_s() - t0) / count;
                if (r < 0) {
                    int want = t > 0 ? (int)ceil(SAMPLE_S / t) : MAX_PASSES;
                    if (want > passes)
                        passes = want < MAX_PASSES ? want : MAX_PASSES;
                    continue;
                }
                if (pdva_side && t < best_pdva)
                    best_pdva = t;
                if (!pdva_side && t < best_bare)
                    best_bare = t;
                t_side[pdva_side] = t;
                if (side == 1)
                    pair_ratio[r] = t_side[0] / t_side[1];
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
        /* the ratio is the median of the ratios of adjacent samples: a slow spell of the
         * machine slows both sides of a pair and cancels out */
        double ratio = median_of(pair_ratio, (size_t)repeat);
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
           "CPU time (user + system)\nof this process, best of R samples of >= %.2f s each (the "
           "series read as many times as that takes);\nratio = median over the R adjacent pairs "
           "of samples; RSS = peak resident set of a fresh process reading the\nwhole series.\n",
           frames, rss_frames, SAMPLE_S);
    return failures ? 1 : 0;
}
