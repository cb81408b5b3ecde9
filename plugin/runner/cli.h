/* cli.h — the command line of the `pdva` runner: what `pdva analyze` was asked to do, parsed
 * from argv without touching the file system, and the help and version texts.
 * SPDX-License-Identifier: GPL-3.0-or-later */
#ifndef PDVA_RUNNER_CLI_H
#define PDVA_RUNNER_CLI_H

#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>

/* Exit codes of `pdva`; documented in `pdva --help` and docs/runner.md. Never renumbered. */
enum {
    RUNNER_EXIT_OK = 0,       /* the report was written (and/or printed) */
    RUNNER_EXIT_FAILED = 1,   /* the analysis or writing the report failed */
    RUNNER_EXIT_USAGE = 2,    /* bad command line, missing input, unreadable --context */
    RUNNER_EXIT_NOTHING = 3,  /* no input could be read, or no series could be analyzed */
    RUNNER_EXIT_CANCELLED = 4 /* interrupted (SIGINT/SIGTERM): nothing was written */
};

/* The venosomes `--wound` accepts (the report's identifiers), NULL-terminated. */
extern const char *const runner_venosome_ids[];

typedef enum runner_command {
    RUNNER_CMD_NONE = 0,
    RUNNER_CMD_HELP,
    RUNNER_CMD_VERSION,
    RUNNER_CMD_ANALYZE
} runner_command;

#define RUNNER_MAX_WOUNDS 6

/* What `pdva analyze` was asked. Strings are borrowed from argv. */
typedef struct runner_options {
    runner_command command;
    const char *wounds[RUNNER_MAX_WOUNDS]; /* from --wound, validated, without duplicates */
    size_t n_wounds;
    const char *baseline_path; /* --baseline REPORT, or NULL */
    const char *context_path;  /* --context FILE, or NULL */
    const char *out_dir;       /* --out DIR, or NULL: a new folder in the current one */
    bool json;                 /* --json: the report on stdout */
    bool quiet;                /* --quiet: errors only */
    int log_level;             /* --log-level / --verbose: a pdva_log_level, or -1 */
    unsigned threads;          /* --threads N, 0: all cores */
    const char *const *paths;  /* the inputs (files, folders, DICOMDIR) */
    size_t n_paths;
} runner_options;

/* Parse argv into *opts. Returns 0, or RUNNER_EXIT_USAGE after printing why to `errors`. */
int runner_parse_args(int argc, char **argv, runner_options *opts, FILE *errors);

/* Print the full help (usage, options, exit codes, examples). */
void runner_print_help(FILE *out);

/* Print "pdva X.Y.Z" with the library version actually loaded. */
void runner_print_version(FILE *out);

#endif /* PDVA_RUNNER_CLI_H */
