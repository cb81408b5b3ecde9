/* cli.c — parsing the command line of `pdva` and the texts of --help and --version.
 * SPDX-License-Identifier: GPL-3.0-or-later */
#include <errno.h>
#include <getopt.h>
#include <stdlib.h>
#include <string.h>

#include "pdva/pdva.h"
#include "plugin/runner/cli.h"

const char *const runner_venosome_ids[] = {"dorsalis_pedis",
                                           "medial_plantar",
                                           "lateral_plantar",
                                           "medial_calcaneal",
                                           "lateral_calcaneal",
                                           "anterior_perforating",
                                           NULL};

void runner_print_version(FILE *out)
{
    fprintf(out, "pdva %s (library %s)\n", PDVA_VERSION_STRING, pdva_version_string());
    fputs("Copyright (C) the pdva authors. License GPL-3.0-or-later: "
          "<https://www.gnu.org/licenses/gpl-3.0.html>\n"
          "This is research software, not a medical device: a clinician reads every image.\n",
          out);
}

void runner_print_help(FILE *out)
{
    fputs("Usage: pdva analyze [OPTIONS] PATH...\n"
          "       pdva --version | --help\n"
          "\n"
          "Analyze the X-ray angiography runs (DICOM XA/XRF cine) of a control study after\n"
          "percutaneous deep venous arterialization and write a JSON report (schema\n"
          "pdva-report/1). PATH may be DICOM files, folders (searched recursively) or DICOMDIR\n"
          "files; all of them make one study.\n"
          "\n"
          "Options of analyze:\n"
          "  -w, --wound VENOSOME   venosome of the wound (repeat or separate with commas):\n"
          "                         dorsalis_pedis, medial_plantar, lateral_plantar,\n"
          "                         medial_calcaneal, lateral_calcaneal, anterior_perforating\n"
          "  -b, --baseline REPORT  report.json of an earlier study: adds the comparison\n"
          "  -c, --context FILE     context.json of a study (wound venosomes, baseline report\n"
          "                         relative to that file), as written by pdva-phantom;\n"
          "                         --wound and --baseline take precedence\n"
          "  -o, --out DIR          write DIR/report.json (DIR is created when missing).\n"
          "                         Default: a new folder ./pdva-report-<Study Instance UID>\n"
          "                         (-2, -3... when taken); never inside an input folder\n"
          "                         unless DIR says so\n"
          "  -j, --json             print the report JSON on stdout (then messages go to\n"
          "                         stderr); without --out no file is written\n"
          "  -t, --threads N        threads for the analysis (default 0: all cores)\n"
          "  -q, --quiet            no progress and no summary; errors only\n"
          "  -v, --verbose          also print the analyzer's informational messages\n"
          "      --log-level LEVEL  debug, info, warning (default) or error\n"
          "\n"
          "Progress is a bar when stderr is a terminal, one line per stage otherwise.\n"
          "Ctrl-C cancels the analysis cleanly (a second Ctrl-C quits at once).\n"
          "\n"
          "Exit status:\n"
          "  0  the report was written (or printed with --json)\n"
          "  1  the analysis failed, or the report could not be written\n"
          "  2  bad command line, missing input path, unreadable --context or --baseline\n"
          "  3  nothing analyzable: no DICOM file in the inputs, or no angiographic series\n"
          "     could be analyzed (the report is still written when there were series:\n"
          "     it says why each one was refused)\n"
          "  4  cancelled by SIGINT or SIGTERM; no report was written\n"
          "\n"
          "Examples:\n"
          "  pdva analyze --wound medial_plantar /media/cdrom/DICOMDIR\n"
          "  pdva analyze -w dorsalis_pedis -o followup ./study-2024-05/\n"
          "  pdva analyze -w medial_plantar --baseline baseline/report.json ./control/\n"
          "  pdva analyze --context study/context.json --out study-report study/\n"
          "  pdva analyze --json --quiet ./study/ | jq '.alerts'\n"
          "\n"
          "Documentation: docs/runner.md. This is research software, not a medical device.\n",
          out);
}

static bool is_venosome(const char *id)
{
    for (size_t i = 0; runner_venosome_ids[i]; i++)
        if (strcmp(id, runner_venosome_ids[i]) == 0)
            return true;
    return false;
}

/* --wound accepts "a,b" as well as repeated options. */
static int add_wounds(runner_options *o, char *list, FILE *errors)
{
    char *save = NULL;
    for (char *id = strtok_r(list, ",", &save); id; id = strtok_r(NULL, ",", &save)) {
        if (!is_venosome(id)) {
            fprintf(errors,
                    "pdva: unknown venosome '%s' (expected dorsalis_pedis, medial_plantar, "
                    "lateral_plantar, medial_calcaneal, lateral_calcaneal or "
                    "anterior_perforating)\n",
                    id);
            return RUNNER_EXIT_USAGE;
        }
        bool dup = false;
        for (size_t k = 0; k < o->n_wounds; k++)
            dup |= strcmp(o->wounds[k], id) == 0;
        if (!dup && o->n_wounds < RUNNER_MAX_WOUNDS)
            o->wounds[o->n_wounds++] = id;
    }
    return 0;
}

static int parse_threads(const char *text, unsigned *out, FILE *errors)
{
    char *end = NULL;
    errno = 0;
    unsigned long v = strtoul(text, &end, 10);
    if (errno || !end || *end || end == text || text[0] == '-' || v > 1024) {
        fprintf(errors, "pdva: --threads wants a number from 0 to 1024, not '%s'\n", text);
        return RUNNER_EXIT_USAGE;
    }
    *out = (unsigned)v;
    return 0;
}

static int parse_level(const char *text, int *out, FILE *errors)
{
    static const char *const names[] = {"debug", "info", "warning", "error"};
    for (int i = 0; i < 4; i++)
        if (strcmp(text, names[i]) == 0) {
            *out = i; /* the values of pdva_log_level */
            return 0;
        }
    fprintf(errors, "pdva: --log-level wants debug, info, warning or error, not '%s'\n", text);
    return RUNNER_EXIT_USAGE;
}

static int usage_hint(FILE *errors)
{
    fputs("Try 'pdva --help'.\n", errors);
    return RUNNER_EXIT_USAGE;
}

static int parse_analyze(int argc, char **argv, runner_options *o, FILE *errors)
{
    enum { OPT_LOG_LEVEL = 1000 };
    static const struct option longs[] = {{"wound", required_argument, NULL, 'w'},
                                          {"baseline", required_argument, NULL, 'b'},
                                          {"context", required_argument, NULL, 'c'},
                                          {"out", required_argument, NULL, 'o'},
                                          {"json", no_argument, NULL, 'j'},
                                          {"threads", required_argument, NULL, 't'},
                                          {"quiet", no_argument, NULL, 'q'},
                                          {"verbose", no_argument, NULL, 'v'},
                                          {"log-level", required_argument, NULL, OPT_LOG_LEVEL},
                                          {"help", no_argument, NULL, 'h'},
                                          {NULL, 0, NULL, 0}};
    optind = 1;
    opterr = 0;
    int c, rc;
    while ((c = getopt_long(argc, argv, ":w:b:c:o:jt:qvh", longs, NULL)) != -1) {
        switch (c) {
        case 'w':
            if ((rc = add_wounds(o, optarg, errors)) != 0)
                return rc;
            break;
        case 'b':
            o->baseline_path = optarg;
            break;
        case 'c':
            o->context_path = optarg;
            break;
        case 'o':
            o->out_dir = optarg;
            break;
        case 'j':
            o->json = true;
            break;
        case 't':
            if ((rc = parse_threads(optarg, &o->threads, errors)) != 0)
                return rc;
            break;
        case 'q':
            o->quiet = true;
            break;
        case 'v':
            o->log_level = 1;
            break;
        case OPT_LOG_LEVEL:
            if ((rc = parse_level(optarg, &o->log_level, errors)) != 0)
                return rc;
            break;
        case 'h':
            o->command = RUNNER_CMD_HELP;
            return 0;
        case ':':
            fprintf(errors, "pdva: option '%s' needs a value\n", argv[optind - 1]);
            return usage_hint(errors);
        default:
            fprintf(errors, "pdva: unknown option '%s'\n", argv[optind - 1]);
            return usage_hint(errors);
        }
    }
    if (optind >= argc) {
        fputs("pdva analyze: no input given (files, folders or DICOMDIR)\n", errors);
        return usage_hint(errors);
    }
    for (int i = optind; i < argc; i++)
        if (!argv[i][0]) {
            fputs("pdva analyze: an input path is empty\n", errors);
            return RUNNER_EXIT_USAGE;
        }
    if (o->out_dir && !o->out_dir[0]) {
        fputs("pdva analyze: --out is empty\n", errors);
        return RUNNER_EXIT_USAGE;
    }
    o->paths = (const char *const *)(argv + optind);
    o->n_paths = (size_t)(argc - optind);
    return 0;
}

int runner_parse_args(int argc, char **argv, runner_options *o, FILE *errors)
{
    memset(o, 0, sizeof *o);
    o->log_level = -1;
    if (argc < 2) {
        fputs("Usage: pdva analyze [OPTIONS] PATH...\n", errors);
        return usage_hint(errors);
    }
    const char *cmd = argv[1];
    if (strcmp(cmd, "--help") == 0 || strcmp(cmd, "-h") == 0 || strcmp(cmd, "help") == 0) {
        o->command = RUNNER_CMD_HELP;
        return 0;
    }
    if (strcmp(cmd, "--version") == 0 || strcmp(cmd, "-V") == 0 || strcmp(cmd, "version") == 0) {
        o->command = RUNNER_CMD_VERSION;
        return 0;
    }
    if (strcmp(cmd, "analyze") == 0) {
        o->command = RUNNER_CMD_ANALYZE;
        return parse_analyze(argc - 1, argv + 1, o, errors);
    }
    fprintf(errors, "pdva: unknown command '%s' (the command is 'analyze')\n", cmd);
    return usage_hint(errors);
}
