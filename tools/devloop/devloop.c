/* devloop.c — development loop for the analyzer: generate a phantom study in memory, analyze
 * each run straight from the rendered frames (no DICOM in between), print what was found next to
 * the truth, and write intermediate images as PNG. Not installed; the tests go through DICOM.
 *
 *   pdva-devloop SCENARIO SEED [SIZE] [OUTDIR]
 * SPDX-License-Identifier: GPL-3.0-or-later */
#include <math.h>
#include <png.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "base/alloc.h"
#include "core/series_analysis.h"
#include "tools/phantom/conc.h"
#include "tools/phantom/render.h"
#include "tools/phantom/study.h"
#include "tools/phantom/truth.h"

typedef struct frames_src {
    const uint16_t *pixels;
    size_t npix;
} frames_src;

static pdva_status read_frame(void *user, uint32_t index, uint16_t *dst, size_t len,
                              pdva_error **err)
{
    (void)err;
    const frames_src *s = user;
    memcpy(dst, s->pixels + (size_t)index * s->npix, len * sizeof(uint16_t));
    return PDVA_OK;
}

static const char *outdir = "/tmp/devloop";
static int run_index = 0;
static float *last_opacified = NULL;
static uint32_t last_w, last_h;

/* An RGB overlay: the opacified image with the result vessels, result findings (yellow) and
 * truth findings (red circles). */
static void put_px(uint8_t *rgb, uint32_t w, uint32_t h, long x, long y, int r, int g, int b)
{
    if (x < 0 || y < 0 || x >= (long)w || y >= (long)h)
        return;
    uint8_t *p = rgb + 3 * ((size_t)y * w + (size_t)x);
    p[0] = (uint8_t)r;
    p[1] = (uint8_t)g;
    p[2] = (uint8_t)b;
}

static void draw_circle(uint8_t *rgb, uint32_t w, uint32_t h, double cx, double cy, double rad,
                        int r, int g, int b)
{
    for (int k = 0; k < 64; k++) {
        double a = 2 * M_PI * k / 64;
        put_px(rgb, w, h, lround(cx + rad * cos(a)), lround(cy + rad * sin(a)), r, g, b);
    }
}

static void write_overlay(const pdva_series_result *res, json_t *ts)
{
    if (!last_opacified)
        return;
    uint32_t w = last_w, h = last_h;
    uint8_t *rgb = malloc((size_t)w * h * 3);
    double hi = 0;
    for (size_t i = 0; i < (size_t)w * h; i++)
        hi = fmax(hi, last_opacified[i]);
    for (size_t i = 0; i < (size_t)w * h; i++) {
        double v = 255.0 - 255.0 * fmin(1.0, fmax(0.0, last_opacified[i] / (0.6 * hi)));
        rgb[3 * i] = rgb[3 * i + 1] = rgb[3 * i + 2] = (uint8_t)v;
    }
    for (size_t i = 0; i < res->n_vessels; i++) {
        const pdva_vessel_result *v = &res->vessels[i];
        int r = 0, g = 0, b = 0;
        switch (v->kind) {
        case PDVA_VESSEL_DONOR_ARTERY: r = 230; break;
        case PDVA_VESSEL_ARTERY: r = 250; g = 140; break;
        case PDVA_VESSEL_ARTERIALIZED_VEIN: b = 250; g = 120; break;
        case PDVA_VESSEL_COLLATERAL: r = 220; b = 220; break;
        default: g = 200; break;
        }
        for (size_t k = 0; k < v->n; k++)
            put_px(rgb, w, h, lround(v->points[k].x), lround(v->points[k].y), r, g, b);
    }
    for (size_t i = 0; i < res->n_findings; i++)
        draw_circle(rgb, w, h, res->findings[i].point.x, res->findings[i].point.y, 9, 240, 200, 0);
    size_t fi;
    json_t *f;
    json_array_foreach(json_object_get(ts, "findings"), fi, f) {
        json_t *p = json_object_get(f, "point");
        draw_circle(rgb, w, h, json_number_value(json_array_get(p, 0)),
                    json_number_value(json_array_get(p, 1)), 14, 255, 0, 0);
    }
    char path[512];
    snprintf(path, sizeof path, "%s/run%d-overlay.png", outdir, run_index);
    FILE *fp = fopen(path, "wb");
    png_structp png = png_create_write_struct(PNG_LIBPNG_VER_STRING, NULL, NULL, NULL);
    png_infop info = png_create_info_struct(png);
    png_init_io(png, fp);
    png_set_IHDR(png, info, w, h, 8, PNG_COLOR_TYPE_RGB, PNG_INTERLACE_NONE,
                 PNG_COMPRESSION_TYPE_DEFAULT, PNG_FILTER_TYPE_DEFAULT);
    png_write_info(png, info);
    for (uint32_t y = 0; y < h; y++)
        png_write_row(png, rgb + (size_t)y * w * 3);
    png_write_end(png, NULL);
    png_destroy_write_struct(&png, &info);
    fclose(fp);
    free(rgb);
}
static void write_png(const char *name, const float *data, uint32_t w, uint32_t h)
{
    char path[512];
    snprintf(path, sizeof path, "%s/run%d-%s.png", outdir, run_index, name);
    double lo = INFINITY, hi = -INFINITY;
    for (size_t i = 0; i < (size_t)w * h; i++) {
        if (data[i] < lo)
            lo = data[i];
        if (data[i] > hi)
            hi = data[i];
    }
    FILE *fp = fopen(path, "wb");
    if (!fp)
        return;
    png_structp png = png_create_write_struct(PNG_LIBPNG_VER_STRING, NULL, NULL, NULL);
    png_infop info = png_create_info_struct(png);
    png_init_io(png, fp);
    png_set_IHDR(png, info, w, h, 8, PNG_COLOR_TYPE_GRAY, PNG_INTERLACE_NONE,
                 PNG_COMPRESSION_TYPE_DEFAULT, PNG_FILTER_TYPE_DEFAULT);
    png_write_info(png, info);
    uint8_t *row = malloc(w);
    for (uint32_t y = 0; y < h; y++) {
        for (uint32_t x = 0; x < w; x++) {
            double v = (data[(size_t)y * w + x] - lo) / (hi - lo + 1e-12);
            row[x] = (uint8_t)(255.0 * sqrt(fmax(0.0, fmin(1.0, v))));
        }
        png_write_row(png, row);
    }
    free(row);
    png_write_end(png, NULL);
    png_destroy_write_struct(&png, &info);
    fclose(fp);
}

static int cmpf(const void *a, const void *b)
{
    float x = *(const float *)a, y = *(const float *)b;
    return (x > y) - (x < y);
}

static void debug_image(void *user, const char *name, const float *data, uint32_t w, uint32_t h)
{
    (void)user;
    write_png(name, data, w, h);
    if (strcmp(name, "opacified") == 0) {
        free(last_opacified);
        last_opacified = malloc((size_t)w * h * sizeof(float));
        memcpy(last_opacified, data, (size_t)w * h * sizeof(float));
        last_w = w;
        last_h = h;
    }
    size_t n = (size_t)w * h;
    float *c = malloc(n * sizeof(float));
    memcpy(c, data, n * sizeof(float));
    qsort(c, n, sizeof(float), cmpf);
    printf("   image %s: p1 %.4g p50 %.4g p90 %.4g p99 %.4g p99.9 %.4g max %.4g\n", name,
           c[n / 100], c[n / 2], c[n * 9 / 10], c[n * 99 / 100], c[n * 999 / 1000], c[n - 1]);
    free(c);
}

int main(int argc, char **argv)
{
    if (argc < 3) {
        fprintf(stderr, "usage: %s SCENARIO SEED [SIZE] [OUTDIR] [ROLE]\n", argv[0]);
        return 2;
    }
    ph_options o;
    ph_options_init(&o);
    o.size = argc > 3 ? (uint32_t)atoi(argv[3]) : 1024;
    if (argc > 4)
        outdir = argv[4];
    mkdir(outdir, 0755);
    ph_study st;
    char err[256];
    int role = argc > 5 ? atoi(argv[5]) : 0;
    if (ph_study_build(&st, argv[1], strtoull(argv[2], NULL, 10), role, &o, err, sizeof err)) {
        fprintf(stderr, "%s\n", err);
        return 1;
    }
    ph_conc conc[2];
    ph_run_truth rt[2];
    uint16_t *pixels[2] = {0};
    for (size_t r = 0; r < st.n_runs; r++) {
        ph_run *run = &st.runs[r];
        ph_render ren;
        ph_conc_build(run, &conc[r]);
        ph_render_init(&ren, run);
        ph_run_truth_init(&rt[r], run->frames);
        size_t npix = (size_t)run->rows * run->columns;
        pixels[r] = malloc(npix * run->frames * sizeof(uint16_t));
        float *iod = malloc(npix * sizeof(float));
        phantom_rng noise;
        phantom_rng_seed(&noise, st.seed * 4u, 51 + r);
        for (uint32_t f = 0; f < run->frames; f++) {
            ph_render_iodine(&ren, run, &conc[r], f, iod);
            ph_run_truth_add_frame(&rt[r], run, ren.venosome_label, iod, f);
            ph_render_frame(&ren, run, &conc[r], f, &noise, iod, pixels[r] + f * npix);
        }
        free(iod);
        ph_render_free(&ren);
    }
    json_t *truth = ph_truth_build(&st, conc, rt, NULL, "dev");
    char tpath[512];
    snprintf(tpath, sizeof tpath, "%s/truth.json", outdir);
    json_dump_file(truth, tpath, JSON_INDENT(1));
    for (size_t r = 0; r < st.n_runs; r++) {
        ph_run *run = &st.runs[r];
        run_index = (int)r;
        frames_src src = {pixels[r], (size_t)run->rows * run->columns};
        pdva_series_debug dbg = {debug_image, NULL};
        pdva_series_input in;
        memset(&in, 0, sizeof in);
        in.rows = run->rows;
        in.columns = run->columns;
        in.frames = run->frames;
        in.frame_times_s = run->frame_times_s;
        in.spacing_mm = run->spacing_mm;
        in.spacing_known = true;
        in.log_stored = run->log_storage;
        in.max_value = 4095;
        in.body_part = run->kind == PH_RUN_LEG ? "LEG" : "FOOT";
        in.read_frame = read_frame;
        in.read_user = &src;
        in.wound_venosomes = st.wound;
        in.n_wound = (size_t)st.n_wound;
        in.debug = &dbg;
        pdva_series_result res;
        pdva_error *e = NULL;
        pdva_status s = pdva_analyze_series(&in, &res, &e);
        json_t *ts = json_array_get(json_object_get(truth, "series"), r);
        printf("== run %zu (%s) status %d %s mask %u (truth %lld) run-kind %d  %s\n", r,
               run->kind == PH_RUN_LEG ? "leg" : "foot", (int)s, pdva_error_message(e),
               res.mask_frame, json_integer_value(json_object_get(ts, "mask_frame")), res.run,
               res.reason);
        printf("   flow %.1f (truth %.1f) velocity %.1f mm/s\n", res.flow_ml_min,
               json_number_value(json_object_get(ts, "arterialization_flow_ml_min")),
               res.conduit_velocity_mm_s);
        if (res.has_av_connection) {
            json_t *av = json_object_get(json_object_get(ts, "av_connection"), "point");
            printf("   AV (%.1f, %.1f) truth (%.1f, %.1f) conf %.2f\n", res.av_connection.x,
                   res.av_connection.y, json_number_value(json_array_get(av, 0)),
                   json_number_value(json_array_get(av, 1)), res.av_confidence);
        }
        if (res.foot_frame_found)
            printf("   foot frame heel (%.1f,%.1f) u (%.3f,%.3f) L %.1f px\n",
                   res.foot_frame.heel.x, res.foot_frame.heel.y, res.foot_frame.axis_u.x,
                   res.foot_frame.axis_u.y, res.foot_frame.length);
        printf("   vessels %zu\n", res.n_vessels);
        for (size_t i = 0; i < res.n_vessels; i++) {
            const pdva_vessel_result *v = &res.vessels[i];
            double med = NAN;
            if (v->n) med = v->diameter_mm[v->n / 2];
            printf("     %2zu %-18s %-16s n=%3zu (%.0f,%.0f)->(%.0f,%.0f) d~%.2f arr %.2f parent %d\n",
                   i, pdva_vessel_kind_name(v->kind), v->role, v->n, v->points[0].x,
                   v->points[0].y, v->points[v->n - 1].x, v->points[v->n - 1].y, med,
                   v->arrival_time_s, v->parent);
        }
        /* diameters against the truth, per truth vessel */
        {
            size_t vi;
            json_t *tv;
            json_array_foreach(json_object_get(ts, "vessels"), vi, tv) {
                json_t *cl = json_object_get(tv, "centerline"), *dm = json_object_get(tv, "diameter_mm");
                double err_sum = 0.0, bias = 0.0, tsum = 0.0;
                int n = 0, total = (int)json_array_size(cl);
                for (size_t k = 0; k < json_array_size(cl); k++) {
                    double tx = json_number_value(json_array_get(json_array_get(cl, k), 0));
                    double ty = json_number_value(json_array_get(json_array_get(cl, k), 1));
                    double td = json_number_value(json_array_get(dm, k));
                    double best = 2.5, bd = NAN;
                    for (size_t r2 = 0; r2 < res.n_vessels; r2++)
                        for (size_t q = 0; q < res.vessels[r2].n; q++) {
                            double dd = hypot(res.vessels[r2].points[q].x - tx, res.vessels[r2].points[q].y - ty);
                            if (dd < best) { best = dd; bd = res.vessels[r2].diameter_mm[q]; }
                        }
                    if (isfinite(bd)) { err_sum += fabs(bd - td); bias += bd - td; tsum += td; n++; }
                }
                printf("   tv %-5s %-28s covered %3d/%3d  d_true %.2f  mean|err| %.2f bias %+.2f\n",
                       json_string_value(json_object_get(tv, "id")),
                       json_string_value(json_object_get(tv, "name")), n, total,
                       n ? tsum / n : NAN, n ? err_sum / n : NAN, n ? bias / n : NAN);
            }
        }
        {
            double tflow = json_number_value(json_object_get(ts, "arterialization_flow_ml_min"));
            double avd = NAN;
            json_t *av = json_object_get(json_object_get(ts, "av_connection"), "point");
            if (av && res.has_av_connection)
                avd = hypot(res.av_connection.x - json_number_value(json_array_get(av, 0)),
                            res.av_connection.y - json_number_value(json_array_get(av, 1))) *
                      run->spacing_mm;
            double verr = 0.0;
            int vn = 0;
            for (size_t i = 0; i < res.n_venosomes; i++) {
                json_t *tv = json_array_get(json_object_get(ts, "venosomes"), i);
                double ta = json_number_value(json_object_get(tv, "arrival_time_s"));
                if (res.venosomes[i].curve.valid && json_is_number(json_object_get(tv, "arrival_time_s"))) {
                    verr += fabs(res.venosomes[i].curve.arrival_time_s - ta);
                    vn++;
                }
            }
            printf("SUMMARY %s seed %s run %s flow_rel_err %+.3f av_mm %.2f venosome_arr_err %.3f\n",
                   argv[1], argv[2], run->kind == PH_RUN_LEG ? "leg" : "foot",
                   (res.flow_ml_min - tflow) / tflow, avd, vn ? verr / vn : NAN);
        }
        for (size_t i = 0; i < res.n_findings; i++) {
            const pdva_finding_result *f = &res.findings[i];
            printf("   F %-17s (%.1f,%.1f) pct %.1f mld %.2f ref %.2f len %.1f delay %.2f drains %d emb %d frac %.2f\n",
                   pdva_finding_type_name(f->type), f->point.x, f->point.y, f->stenosis_pct,
                   f->minimal_lumen_mm, f->reference_mm, f->lesion_length_mm, f->transit_delay_s,
                   f->drains_to, f->embolize, f->flow_fraction);
        }
        size_t fi;
        json_t *f;
        json_array_foreach(json_object_get(ts, "findings"), fi, f) {
            json_t *p = json_object_get(f, "point");
            printf("   T %-17s (%.1f,%.1f) pct %.1f mld %.2f ref %.2f len %.1f\n",
                   json_string_value(json_object_get(f, "type")),
                   json_number_value(json_array_get(p, 0)), json_number_value(json_array_get(p, 1)),
                   json_number_value(json_object_get(f, json_object_get(f, "diameter_stenosis_pct") ? "diameter_stenosis_pct" : "diameter_reduction_pct")),
                   json_number_value(json_object_get(f, "minimal_lumen_diameter_mm")),
                   json_number_value(json_object_get(f, "reference_diameter_mm")),
                   json_number_value(json_object_get(f, "lesion_length_mm")));
        }
        for (size_t i = 0; i < res.n_venosomes; i++) {
            const pdva_venosome_result *v = &res.venosomes[i];
            json_t *tv = json_array_get(json_object_get(ts, "venosomes"), i);
            printf("   V %-20s arr %.2f (truth %.2f) ttp %.2f\n", pdva_venosome_id(v->id),
                   v->curve.valid ? v->curve.arrival_time_s : NAN,
                   json_number_value(json_object_get(tv, "arrival_time_s")),
                   v->curve.valid ? v->curve.peak_time_s : NAN);
        }
        for (size_t i = 0; i < res.n_notes; i++)
            printf("   note: %s\n", res.notes[i]);
        write_overlay(&res, ts);
        pdva_error_destroy(e);
        pdva_series_result_free(&res);
    }
    json_decref(truth);
    for (size_t r = 0; r < st.n_runs; r++) {
        ph_conc_free(&conc[r]);
        ph_run_truth_free(&rt[r]);
        free(pixels[r]);
    }
    ph_study_free(&st);
    return 0;
}
