/* main.c — `pdva`, the command-line runner: analyze a study through libpdva.so (the public
 * header only), show progress, print the summary, write the report, and exit with a status a
 * script can act on (see cli.h and `pdva --help`).
 * SPDX-License-Identifier: GPL-3.0-or-later */
#include <errno.h>
#include <jansson.h>
#include <limits.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "pdva/pdva.h"
#include "plugin/common/fs_util.h"
#include "plugin/runner/cli.h"
#include "plugin/runner/context_file.h"
#include "plugin/runner/output_dir.h"
#include "plugin/runner/progress_bar.h"

/* Set by the signal handler, read by the progress callback: the only way a signal can stop an
 * analysis cleanly is to have the library's own cancellation see it. */
static volatile sig_atomic_t interrupted = 0;

static void on_signal(int sig)
{
    if (interrupted) {
        /* second signal: the user insists, leave now */
        signal(sig, SIG_DFL);
        raise(sig);
        return;
    }
    interrupted = 1;
}

static void install_signal_handlers(void)
{
    struct sigaction sa;
    memset(&sa, 0, sizeof sa);
    sa.sa_handler = on_signal;
    sigemptyset(&sa.sa_mask);
    sigaction(SIGINT, &sa, NULL);
    sigaction(SIGTERM, &sa, NULL);
}

/* What the callbacks of one analysis share. */
typedef struct run_state {
    pthread_mutex_t lock; /* the log callback may come from another thread than progress */
    progress_bar bar;
    FILE *messages; /* stderr */
    int announced;  /* the interruption was acknowledged on screen */
} run_state;

static int on_progress(void *user, double fraction, const char *stage)
{
    run_state *s = user;
    int stop = interrupted; /* read once: the signal may land at any moment */
    pthread_mutex_lock(&s->lock);
    if (stop && !s->announced) {
        progress_bar_clear(&s->bar);
        fputs("pdva: interrupted, stopping the analysis (Ctrl-C again to quit at once)\n",
              s->messages);
        s->announced = 1;
    }
    if (!stop)
        progress_bar_update(&s->bar, fraction, stage);
    pthread_mutex_unlock(&s->lock);
    return stop ? 1 : 0;
}

static void on_log(void *user, pdva_log_level level, const char *message)
{
    static const char *const names[] = {"debug", "info", "warning", "error"};
    run_state *s = user;
    pthread_mutex_lock(&s->lock);
    progress_bar_clear(&s->bar);
    fprintf(s->messages, "pdva: %s: %s\n", (unsigned)level < 4 ? names[(unsigned)level] : "message",
            message);
    pthread_mutex_unlock(&s->lock);
}

static int inputs_exist(const runner_options *o)
{
    for (size_t i = 0; i < o->n_paths; i++) {
        struct stat st;
        if (stat(o->paths[i], &st) != 0) {
            fprintf(stderr, "pdva: %s: %s\n", o->paths[i], strerror(errno));
            return 0;
        }
    }
    return 1;
}

static int exit_code_for(pdva_status st)
{
    switch (st) {
    case PDVA_OK:
        return RUNNER_EXIT_OK;
    case PDVA_ERR_INVALID_ARGUMENT:
        return RUNNER_EXIT_USAGE;
    case PDVA_ERR_IO:
    case PDVA_ERR_NOT_DICOM:
        return RUNNER_EXIT_NOTHING; /* "nothing readable" (pdva.h) */
    case PDVA_ERR_CANCELLED:
        return RUNNER_EXIT_CANCELLED;
    default:
        return RUNNER_EXIT_FAILED;
    }
}

/* The Study Instance UID of the report, for the name of the default folder ("" if none). */
static void study_uid_of(const pdva_report *report, char *out, size_t cap)
{
    out[0] = '\0';
    json_t *doc = json_loads(pdva_report_json(report), 0, NULL);
    const char *uid =
        json_string_value(json_object_get(json_object_get(doc, "study"), "study_instance_uid"));
    if (uid)
        snprintf(out, cap, "%s", uid);
    json_decref(doc);
}

/* The library writes report.json and its other outputs (maps/...) into a staging folder beside
 * the destination; once the analysis succeeded they are moved into place, so that a failed or
 * cancelled run leaves nothing behind and never half-replaces an earlier report. */
static int make_staging(const runner_options *o, char *staging, size_t cap)
{
    const char *parent = o->out_dir ? o->out_dir : ".";
    if (o->out_dir && output_dir_make(o->out_dir, stderr) != 0)
        return RUNNER_EXIT_FAILED;
    if (snprintf(staging, cap, "%s/.pdva-partial-%ld", parent, (long)getpid()) >= (int)cap) {
        fputs("pdva: output path too long\n", stderr);
        return RUNNER_EXIT_FAILED;
    }
    fs_remove_tree(staging);
    if (mkdir(staging, 0777) != 0) {
        fprintf(stderr, "pdva: cannot create %s: %s\n", staging, strerror(errno));
        return RUNNER_EXIT_FAILED;
    }
    return RUNNER_EXIT_OK;
}

/* Move the outputs from the staging folder to --out or to the default folder named after the
 * study; put the report's path in path[cap]. */
static int place_outputs(const runner_options *o, const pdva_report *report, const char *staging,
                         char *path, size_t cap)
{
    char dir[PATH_MAX];
    if (o->out_dir) {
        snprintf(dir, sizeof dir, "%s", o->out_dir);
    } else {
        char uid[80];
        study_uid_of(report, uid, sizeof uid);
        if (output_dir_make_default(uid, dir, sizeof dir, stderr) != 0)
            return RUNNER_EXIT_FAILED;
    }
    size_t len = strlen(dir);
    while (len > 1 && dir[len - 1] == '/')
        dir[--len] = '\0';
    if (snprintf(path, cap, "%s/report.json", dir) >= (int)cap) {
        fputs("pdva: output path too long\n", stderr);
        return RUNNER_EXIT_FAILED;
    }
    if (fs_move_entries(staging, dir, NULL) != 0) {
        fprintf(stderr, "pdva: cannot move the report into %s: %s\n", dir, strerror(errno));
        return RUNNER_EXIT_FAILED;
    }
    return RUNNER_EXIT_OK;
}

static void print_summary(const runner_options *o, const pdva_report *report,
                          const char *report_path, double seconds)
{
    FILE *out = o->json ? stderr : stdout;
    const char *summary = pdva_report_summary(report);
    fputs(summary, out);
    if (summary[0] && summary[strlen(summary) - 1] != '\n')
        fputc('\n', out);
    /* counts at or above each level: the summary above lists critical alerts and warnings,
     * the informational ones are in the report */
    size_t alerts = pdva_report_alert_count(report, PDVA_ALERT_INFO);
    size_t warnings = pdva_report_alert_count(report, PDVA_ALERT_WARNING);
    size_t critical = pdva_report_alert_count(report, PDVA_ALERT_CRITICAL);
    fprintf(out, "\n%zu series, %zu analyzed, %zu critical, %zu warning%s, %zu note%s, %.1f s\n",
            pdva_report_series_count(report), pdva_report_analyzed_count(report), critical,
            warnings - critical, warnings - critical == 1 ? "" : "s", alerts - warnings,
            alerts - warnings == 1 ? "" : "s", seconds);
    if (report_path[0])
        fprintf(out, "Report: %s\n", report_path);
}

/* Resolve --context into the options not given on the command line. */
static int apply_context(runner_options *o, study_context *ctx, const char **wounds,
                         size_t *n_wounds)
{
    for (size_t i = 0; i < o->n_wounds; i++)
        wounds[i] = o->wounds[i];
    *n_wounds = o->n_wounds;
    if (!o->context_path)
        return 0;
    if (context_file_read(o->context_path, ctx, stderr) != 0)
        return RUNNER_EXIT_USAGE;
    if (*n_wounds == 0)
        for (size_t i = 0; i < ctx->n_wounds; i++)
            wounds[(*n_wounds)++] = ctx->wounds[i];
    if (!o->baseline_path && ctx->baseline_path[0]) {
        if (access(ctx->baseline_path, R_OK) != 0) {
            fprintf(stderr,
                    "pdva: the baseline report named by %s, %s, is not there: analyze the "
                    "baseline study first (with --out into that folder) or give --baseline\n",
                    o->context_path, ctx->baseline_path);
            return RUNNER_EXIT_USAGE;
        }
        o->baseline_path = ctx->baseline_path;
    }
    return 0;
}

static int analyze(runner_options *o)
{
    if (!inputs_exist(o))
        return RUNNER_EXIT_USAGE;
    study_context ctx;
    const char
        *wounds[CONTEXT_MAX_WOUNDS > RUNNER_MAX_WOUNDS ? CONTEXT_MAX_WOUNDS : RUNNER_MAX_WOUNDS];
    size_t n_wounds = 0;
    int rc = apply_context(o, &ctx, wounds, &n_wounds);
    if (rc != 0)
        return rc;
    if (o->baseline_path && access(o->baseline_path, R_OK) != 0) {
        fprintf(stderr, "pdva: cannot read the baseline report %s: %s\n", o->baseline_path,
                strerror(errno));
        return RUNNER_EXIT_USAGE;
    }
    bool write_file = o->out_dir || !o->json;
    if (write_file && !o->out_dir && output_dir_cwd_inside_inputs(o->paths, o->n_paths)) {
        fputs("pdva: the current folder is inside an input folder; the report would land in "
              "the study. Give --out DIR (or --json).\n",
              stderr);
        return RUNNER_EXIT_USAGE;
    }
    char staging[PATH_MAX] = "";
    if (write_file && (rc = make_staging(o, staging, sizeof staging)) != 0)
        return rc;

    run_state state;
    memset(&state, 0, sizeof state);
    pthread_mutex_init(&state.lock, NULL);
    state.messages = stderr;
    progress_bar_init(&state.bar, stderr, o->quiet);

    pdva_analysis_options options;
    pdva_analysis_options_init(&options);
    options.wound_venosomes = wounds;
    options.n_wound_venosomes = n_wounds;
    options.baseline_report_path = o->baseline_path;
    options.threads = o->threads;
    options.output_dir = staging[0] ? staging : NULL;
    options.progress = on_progress;
    options.progress_user_data = &state;
    options.log = on_log;
    options.log_user_data = &state;
    options.log_level = o->log_level >= 0 ? (pdva_log_level)o->log_level
                        : o->quiet        ? PDVA_LOG_ERROR
                                          : PDVA_LOG_WARNING;

    install_signal_handlers();
    pdva_report *report = NULL;
    pdva_error *err = NULL;
    pdva_status st = pdva_analyze(o->paths, o->n_paths, &options, &report, &err);
    double seconds = progress_bar_elapsed_s(&state.bar);
    progress_bar_clear(&state.bar);
    pthread_mutex_destroy(&state.lock);

    if (st != PDVA_OK && staging[0])
        fs_remove_tree(staging);
    if (st != PDVA_OK) {
        if (st == PDVA_ERR_CANCELLED)
            fputs("pdva: cancelled; no report written\n", stderr);
        else
            fprintf(stderr, "pdva: %s (%s)\n", pdva_error_message(err), pdva_status_str(st));
        pdva_error_destroy(err);
        return exit_code_for(st);
    }
    char report_path[PATH_MAX + 16] = "";
    rc = RUNNER_EXIT_OK;
    if (write_file) {
        rc = place_outputs(o, report, staging, report_path, sizeof report_path);
        if (rmdir(staging) != 0 && rc == RUNNER_EXIT_OK)
            fs_remove_tree(staging);
    }
    if (rc == RUNNER_EXIT_OK && o->json) {
        const char *json = pdva_report_json(report);
        fputs(json, stdout);
        fputc('\n', stdout);
        if (fflush(stdout) != 0) {
            fprintf(stderr, "pdva: cannot write the report on stdout: %s\n", strerror(errno));
            rc = RUNNER_EXIT_FAILED;
        }
    }
    if (rc == RUNNER_EXIT_OK && !o->quiet)
        print_summary(o, report, report_path, seconds);
    if (rc == RUNNER_EXIT_OK && pdva_report_analyzed_count(report) == 0) {
        fputs("pdva: no series could be analyzed (see the reasons in the report)\n", stderr);
        rc = RUNNER_EXIT_NOTHING;
    }
    pdva_report_destroy(report);
    return rc;
}

int main(int argc, char **argv)
{
    runner_options o;
    int rc = runner_parse_args(argc, argv, &o, stderr);
    if (rc != 0)
        return rc;
    switch (o.command) {
    case RUNNER_CMD_HELP:
        runner_print_help(stdout);
        return RUNNER_EXIT_OK;
    case RUNNER_CMD_VERSION:
        runner_print_version(stdout);
        return RUNNER_EXIT_OK;
    case RUNNER_CMD_ANALYZE:
        break;
    default:
        return RUNNER_EXIT_USAGE;
    }
    if (pdva_version_number() / 10000 != PDVA_VERSION_MAJOR) {
        fprintf(stderr, "pdva: the loaded libpdva is version %s, this program needs %d.x\n",
                pdva_version_string(), PDVA_VERSION_MAJOR);
        return RUNNER_EXIT_FAILED;
    }
    rc = analyze(&o);
    if (fflush(stdout) != 0 && rc == RUNNER_EXIT_OK)
        rc = RUNNER_EXIT_FAILED;
    return rc;
}
