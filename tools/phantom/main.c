/* main.c — pdva-phantom: generate a p-DVA control angiogram with its ground truth.
 *
 *   pdva-phantom --scenario NAME --seed N --out DIR [--encoding NAME] [--size N] [--frames N]
 *                [--spacing pixel|ermf|distances|none] [--runs leg|foot|both] [--no-preview]
 *                [--defect no-contrast|noise|saturated-frame|blank-frame]
 *
 * Writes DIR/series-<n>-<leg|foot>/ (the DICOM series), DIR/truth.json, DIR/context.json and
 * DIR/preview.png. The scenario "followup-pair" writes DIR/baseline/ and DIR/control/, the
 * control's truth carrying the comparison with the baseline. Deterministic per (scenario, seed).
 * A --defect that removes the contrast or the anatomy leaves truth.json and preview.png out: no
 * truth describes such frames.
 * SPDX-License-Identifier: GPL-3.0-or-later */
#include <errno.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "base/alloc.h"
#include "dicom/pdva_dicom_writer.h"
#include "pdva/pdva.h"
#include "tools/phantom/conc.h"
#include "tools/phantom/defect.h"
#include "tools/phantom/preview.h"
#include "tools/phantom/render.h"
#include "tools/phantom/study.h"
#include "tools/phantom/truth.h"

#define STREAM_NOISE 51

static void usage(FILE *out)
{
    fprintf(out,
            "usage: pdva-phantom --scenario NAME --seed N --out DIR [options]\n"
            "  --encoding NAME   xa-explicit-le, xa-implicit-le, xa-big-endian, xa-jpeg-lossless,\n"
            "                    xa-rle, xa-jpeg-ls, enhanced-xa, xrf, xa-frame-per-file\n"
            "                    (default: chosen from the seed)\n"
            "  --size N          rows = columns (default 1024)\n"
            "  --frames N        number of frames, 2-400 (default: 30-60, covering the transit)\n"
            "  --spacing S       pixel | ermf | distances | none (default: chosen from the seed)\n"
            "  --runs R          leg | foot | both (default: chosen by the scenario)\n"
            "  --no-preview      do not write preview.png\n"
            "  --defect NAME     no-contrast, noise, saturated-frame or blank-frame: an acquisition\n"
            "                    defect, for robustness tests (the first two write no truth.json)\n"
            "scenarios:");
    for (size_t i = 0; ph_scenarios[i]; i++)
        fprintf(out, " %s", ph_scenarios[i]);
    fprintf(out, "\n");
}

/* mkdir -p */
static int make_dir(const char *path)
{
    char buf[4096];
    if (snprintf(buf, sizeof buf, "%s", path) >= (int)sizeof buf) {
        fprintf(stderr, "pdva-phantom: path too long: %s\n", path);
        return -1;
    }
    for (char *p = buf + 1; *p; p++) {
        if (*p != '/')
            continue;
        *p = '\0';
        if (mkdir(buf, 0755) != 0 && errno != EEXIST) {
            fprintf(stderr, "pdva-phantom: cannot create %s: %s\n", buf, strerror(errno));
            return -1;
        }
        *p = '/';
    }
    if (mkdir(buf, 0755) == 0 || errno == EEXIST)
        return 0;
    fprintf(stderr, "pdva-phantom: cannot create %s: %s\n", path, strerror(errno));
    return -1;
}

static void fill_desc(pdva_xa_series_desc *d, const ph_study *st, const ph_run *run,
                      const uint16_t *pixels, uint32_t *mask_frames)
{
    pdva_xa_series_desc_init(d);
    d->encoding = st->encoding;
    d->rows = run->rows;
    d->columns = run->columns;
    d->frames = run->frames;
    d->bits_stored = 12;
    d->pixels = pixels;
    d->pixel_intensity_relationship = run->log_storage ? "LOG" : "LIN";
    d->frame_times_s = run->frame_times_s;
    d->variable_frame_times = run->variable_frame_times;
    d->imager_pixel_spacing_mm[0] = d->imager_pixel_spacing_mm[1] = run->imager_spacing_mm;
    if (run->spacing_variant != 3) {
        d->distance_source_to_detector_mm = run->dsd_mm;
        d->distance_source_to_patient_mm = run->dsp_mm;
    }
    d->write_pixel_spacing = run->spacing_variant == 0;
    d->pixel_spacing_mm[0] = d->pixel_spacing_mm[1] = run->spacing_mm;
    d->write_estimated_magnification = run->spacing_variant == 1;
    d->estimated_magnification = run->dsd_mm / run->dsp_mm;
    d->positioner_primary_angle_deg = run->primary_angle_deg;
    d->positioner_secondary_angle_deg = run->secondary_angle_deg;
    d->patient_id = st->patient_id;
    d->patient_name = st->patient_name;
    d->patient_birth_date = st->birth_date;
    d->patient_sex = st->sex;
    d->study_instance_uid = st->study_uid;
    d->series_instance_uid = run->series_uid;
    d->study_date = st->study_date;
    d->study_time = st->study_time;
    d->series_description = run->description;
    d->body_part_examined = run->kind == PH_RUN_LEG ? "LEG" : "FOOT";
    d->accession_number = st->accession;
    d->study_id = st->study_id;
    d->referring_physician = "Vascular^Team";
    d->series_number = run->series_number;
    d->laterality = st->laterality;
    d->kvp = run->kind == PH_RUN_LEG ? 75.0 : 65.0;
    d->tube_current_ma = 200.0;
    d->exposure_time_ms = 50.0;
    for (uint32_t i = 0; i < run->n_mask_frames; i++)
        mask_frames[i] = i;
    d->mask_frames = mask_frames;
    d->n_mask_frames = run->n_mask_frames;
}

/* Render every frame of a run, collect its truth curves, write its series. */
static int generate_run(const ph_study *st, size_t index, int role, ph_defect defect,
                        const char *study_dir, ph_conc *conc, ph_run_truth *rt,
                        uint16_t **pixels_out)
{
    const ph_run *run = &st->runs[index];
    ph_render r;
    if (ph_conc_build(run, conc) != 0 || ph_render_init(&r, run) != 0 ||
        ph_run_truth_init(rt, run->frames) != 0) {
        fprintf(stderr, "pdva-phantom: out of memory preparing run %zu\n", index + 1);
        return -1;
    }
    size_t npix = (size_t)run->rows * run->columns;
    uint16_t *pixels = pdva_alloc_array(npix * run->frames, sizeof(uint16_t));
    float *iodine = pdva_alloc_array(npix, sizeof(float));
    if (!pixels || !iodine) {
        pdva_free(pixels);
        pdva_free(iodine);
        ph_render_free(&r);
        fprintf(stderr, "pdva-phantom: out of memory for the frames of run %zu\n", index + 1);
        return -1;
    }
    r.no_contrast = defect == PH_DEFECT_NO_CONTRAST;
    phantom_rng noise;
    phantom_rng_seed(&noise, st->seed * 4u + (uint64_t)role, STREAM_NOISE + index);
    for (uint32_t f = 0; f < run->frames; f++) {
        ph_render_iodine(&r, run, conc, f, iodine);
        ph_run_truth_add_frame(rt, run, r.venosome_label, iodine, f);
        ph_render_frame(&r, run, conc, f, &noise, iodine, pixels + (size_t)f * npix);
    }
    pdva_free(iodine);
    ph_render_free(&r);
    ph_defect_apply(defect, pixels, run->rows, run->columns, run->frames, 12,
                    st->seed * 4u + (uint64_t)role + index);

    char dir[4096];
    snprintf(dir, sizeof dir, "%s/series-%d-%s", study_dir, run->series_number,
             run->kind == PH_RUN_LEG ? "leg" : "foot");
    if (make_dir(dir) != 0) {
        pdva_free(pixels);
        return -1;
    }
    pdva_xa_series_desc desc;
    uint32_t mask_frames[4];
    fill_desc(&desc, st, run, pixels, mask_frames);
    /* lossy JPEG baseline carries 8 bits: what such archives keep of a 12-bit run */
    uint16_t *eight = NULL;
    if (st->encoding == PDVA_ENCODING_XA_JPEG_BASELINE) {
        eight = pdva_alloc_array(npix * run->frames, sizeof(uint16_t));
        if (!eight) {
            pdva_free(pixels);
            fprintf(stderr, "pdva-phantom: out of memory for the 8-bit copy\n");
            return -1;
        }
        for (size_t i = 0; i < npix * run->frames; i++)
            eight[i] = (uint16_t)(pixels[i] >> 4);
        desc.pixels = eight;
        desc.bits_stored = 8;
    }
    pdva_error *err = NULL;
    pdva_status wst = pdva_dicom_write_xa_series(&desc, dir, "run", &err);
    pdva_free(eight);
    if (wst != PDVA_OK) {
        fprintf(stderr, "pdva-phantom: writing %s failed: %s\n", dir, pdva_error_message(err));
        pdva_error_destroy(err);
        pdva_free(pixels);
        return -1;
    }
    *pixels_out = pixels;
    return 0;
}

static int write_json(const json_t *doc, const char *dir, const char *name)
{
    char path[4096];
    snprintf(path, sizeof path, "%s/%s", dir, name);
    if (json_dump_file(doc, path, JSON_INDENT(1) | JSON_REAL_PRECISION(10)) != 0) {
        fprintf(stderr, "pdva-phantom: cannot write %s\n", path);
        return -1;
    }
    return 0;
}

/* Generate one study into study_dir; returns its truth (new reference) or NULL. */
static json_t *generate_study(const char *scenario, uint64_t seed, int role, const ph_options *o,
                              ph_defect defect, const char *study_dir, const json_t *baseline,
                              bool preview)
{
    ph_study st;
    char err[256] = "";
    if (ph_study_build(&st, scenario, seed, role, o, err, sizeof err) != 0) {
        fprintf(stderr, "pdva-phantom: %s\n", err);
        ph_study_free(&st);
        return NULL;
    }
    if (make_dir(study_dir) != 0) {
        ph_study_free(&st);
        return NULL;
    }
    ph_conc conc[PH_MAX_RUNS];
    ph_run_truth rt[PH_MAX_RUNS];
    uint16_t *pixels[PH_MAX_RUNS] = {NULL, NULL};
    memset(conc, 0, sizeof conc);
    memset(rt, 0, sizeof rt);
    json_t *truth = NULL;
    size_t done = 0;
    for (; done < st.n_runs; done++)
        if (generate_run(&st, done, role, defect, study_dir, &conc[done], &rt[done], &pixels[done]) != 0)
            break;
    if (done == st.n_runs) {
        truth = ph_truth_build(&st, conc, rt, baseline, PDVA_VERSION_STRING);
        const char *base_report = st.followup.is_control ? PH_BASELINE_REPORT_PATH : NULL;
        json_t *ctx = ph_context_build(&st, base_report);
        bool keep = ph_defect_keeps_truth(defect);
        if (!keep)
            preview = false;
        if (!truth || !ctx || (keep && write_json(truth, study_dir, "truth.json") != 0) ||
            write_json(ctx, study_dir, "context.json") != 0) {
            json_decref(truth);
            truth = NULL;
        }
        json_decref(ctx);
        ph_preview pv;
        if (truth && preview && ph_preview_init(&pv, st.n_runs, 512) == 0) {
            for (size_t i = 0; i < st.n_runs; i++)
                ph_preview_draw_run(&pv, i, &st.runs[i], pixels[i],
                                    json_array_get(json_object_get(truth, "series"), i));
            char path[4096];
            snprintf(path, sizeof path, "%s/preview.png", study_dir);
            if (ph_preview_write_png(&pv, path) != 0)
                fprintf(stderr, "pdva-phantom: cannot write %s\n", path);
            ph_preview_free(&pv);
        }
    }
    for (size_t i = 0; i < PH_MAX_RUNS; i++) {
        ph_conc_free(&conc[i]);
        ph_run_truth_free(&rt[i]);
        pdva_free(pixels[i]);
    }
    ph_study_free(&st);
    return truth;
}

int main(int argc, char **argv)
{
    const char *scenario = NULL, *out = NULL;
    uint64_t seed = 0;
    bool have_seed = false, preview = true;
    ph_defect defect = PH_DEFECT_NONE;
    ph_options o;
    ph_options_init(&o);
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i];
        const char *v = i + 1 < argc ? argv[i + 1] : NULL;
        if (strcmp(a, "--help") == 0 || strcmp(a, "-h") == 0) {
            usage(stdout);
            return 0;
        } else if (strcmp(a, "--no-preview") == 0) {
            preview = false;
            continue;
        }
        if (!v) {
            fprintf(stderr, "pdva-phantom: %s needs a value\n", a);
            usage(stderr);
            return 2;
        }
        i++;
        char *end = NULL;
        if (strcmp(a, "--scenario") == 0) {
            scenario = v;
        } else if (strcmp(a, "--seed") == 0) {
            errno = 0;
            seed = strtoull(v, &end, 10);
            if (errno || !end || *end || v[0] == '-') {
                fprintf(stderr, "pdva-phantom: --seed wants a non-negative integer\n");
                return 2;
            }
            have_seed = true;
        } else if (strcmp(a, "--out") == 0) {
            out = v;
        } else if (strcmp(a, "--encoding") == 0) {
            o.encoding = pdva_encoding_from_name(v);
            if (!o.encoding) {
                fprintf(stderr, "pdva-phantom: unknown encoding '%s'\n", v);
                return 2;
            }
        } else if (strcmp(a, "--size") == 0 || strcmp(a, "--frames") == 0) {
            long n = strtol(v, &end, 10);
            bool size = strcmp(a, "--size") == 0;
            if (!end || *end || n < (size ? 128 : 2) || n > (size ? 2048 : 400)) {
                fprintf(stderr, "pdva-phantom: %s out of range\n", a);
                return 2;
            }
            if (size)
                o.size = (uint32_t)n;
            else
                o.frames = (uint32_t)n;
        } else if (strcmp(a, "--spacing") == 0) {
            static const char *const names[] = {"pixel", "ermf", "distances", "none"};
            o.spacing_variant = -2;
            for (int k = 0; k < 4; k++)
                if (strcmp(v, names[k]) == 0)
                    o.spacing_variant = k;
            if (o.spacing_variant == -2) {
                fprintf(stderr, "pdva-phantom: --spacing is pixel, ermf, distances or none\n");
                return 2;
            }
        } else if (strcmp(a, "--defect") == 0) {
            if (!ph_defect_from_name(v, &defect)) {
                fprintf(stderr, "pdva-phantom: --defect is no-contrast, noise, saturated-frame or "
                                "blank-frame\n");
                return 2;
            }
        } else if (strcmp(a, "--runs") == 0) {
            o.runs = strcmp(v, "leg") == 0 ? 1 : strcmp(v, "foot") == 0 ? 2
                                             : strcmp(v, "both") == 0   ? 3
                                                                        : -1;
            if (o.runs < 0) {
                fprintf(stderr, "pdva-phantom: --runs is leg, foot or both\n");
                return 2;
            }
        } else {
            fprintf(stderr, "pdva-phantom: unknown option %s\n", a);
            usage(stderr);
            return 2;
        }
    }
    if (!scenario || !have_seed || !out) {
        usage(stderr);
        return 2;
    }
    if (!ph_scenario_known(scenario)) {
        fprintf(stderr, "pdva-phantom: unknown scenario '%s'\n", scenario);
        usage(stderr);
        return 2;
    }
    if (make_dir(out) != 0)
        return 1;
    if (strcmp(scenario, "followup-pair") == 0) {
        char base_dir[4096], ctrl_dir[4096];
        snprintf(base_dir, sizeof base_dir, "%s/baseline", out);
        snprintf(ctrl_dir, sizeof ctrl_dir, "%s/control", out);
        json_t *base = generate_study(scenario, seed, 0, &o, defect, base_dir, NULL, preview);
        if (!base)
            return 1;
        json_t *ctrl = generate_study(scenario, seed, 1, &o, defect, ctrl_dir, base, preview);
        json_decref(base);
        if (!ctrl)
            return 1;
        json_decref(ctrl);
    } else {
        json_t *t = generate_study(scenario, seed, 0, &o, defect, out, NULL, preview);
        if (!t)
            return 1;
        json_decref(t);
    }
    return 0;
}
