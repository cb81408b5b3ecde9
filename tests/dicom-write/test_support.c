/* test_support.c — see test_support.h.
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include "tests/dicom-write/test_support.h"

#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>

char *run_capture(const char *command, int *exit_status)
{
    FILE *pipe = popen(command, "r");
    if (!pipe)
        return NULL;
    size_t cap = 4096, len = 0;
    char *out = malloc(cap);
    if (!out) {
        pclose(pipe);
        return NULL;
    }
    size_t n;
    while ((n = fread(out + len, 1, cap - len - 1, pipe)) > 0) {
        len += n;
        if (cap - len < 1024) {
            char *bigger = realloc(out, cap * 2);
            if (!bigger)
                break;
            out = bigger;
            cap *= 2;
        }
    }
    out[len] = '\0';
    int status = pclose(pipe);
    if (exit_status)
        *exit_status = WIFEXITED(status) ? WEXITSTATUS(status) : -1;
    return out;
}

char *dciodvfy_report(const char *path, int *errors)
{
    char cmd[4096];
    snprintf(cmd, sizeof cmd, "/usr/bin/dciodvfy '%s' 2>&1", path);
    int status = 0;
    char *report = run_capture(cmd, &status);
    *errors = report ? 0 : 1;
    for (const char *line = report; line && *line;) {
        if (strncmp(line, "Error", 5) == 0)
            (*errors)++;
        const char *end = strchr(line, '\n');
        line = end ? end + 1 : NULL;
    }
    return report;
}

/* "(0018,1063) DS [133.333333333333]   #  16, 1 FrameTime" -> "133.333333333333";
 * "(0028,0010) US 96   # ..." -> "96"; "(0020,0020) CS (no value available)" -> "". */
static void parse_dump_line(const char *line, char out[TEST_VALUE_MAX])
{
    out[0] = '\0';
    const char *p = line;
    while (*p == ' ')
        p++;
    if (*p != '(' || strlen(p) < 15)
        return;
    p += 15; /* "(gggg,eeee) VR " */
    const char *hash = strstr(p, "  #");
    size_t len = hash ? (size_t)(hash - p) : strlen(p);
    while (len > 0 && p[len - 1] == ' ')
        len--;
    if (len >= 1 && p[0] == '[') {
        const char *close = p + len - 1;
        while (close > p && *close != ']')
            close--;
        len = (size_t)(close - p - 1);
        p++;
    } else if (strncmp(p, "(no value available)", 20) == 0) {
        len = 0;
    }
    if (len >= TEST_VALUE_MAX)
        len = TEST_VALUE_MAX - 1;
    memcpy(out, p, len);
    out[len] = '\0';
}

int dump_values(const char *path, const char *tag, char values[][TEST_VALUE_MAX], int max)
{
    char cmd[4096];
    snprintf(cmd, sizeof cmd, "dcmdump -q -Un +L +P %s '%s' 2>/dev/null", tag, path);
    char *out = run_capture(cmd, NULL);
    int count = 0;
    for (char *line = out; line && *line;) {
        char *end = strchr(line, '\n');
        if (end)
            *end = '\0';
        const char *p = line;
        while (*p == ' ')
            p++;
        if (*p == '(') {
            if (count < max)
                parse_dump_line(p, values[count]);
            count++;
        }
        line = end ? end + 1 : NULL;
    }
    free(out);
    return count;
}

int dump_value(const char *path, const char *tag, int index, char out[TEST_VALUE_MAX])
{
    static char values[64][TEST_VALUE_MAX];
    int n = dump_values(path, tag, values, 64);
    out[0] = '\0';
    if (index < n && index < 64)
        memcpy(out, values[index], TEST_VALUE_MAX);
    return n;
}

int dump_numbers(const char *path, const char *tag, double *out, int max)
{
    static char value[TEST_VALUE_MAX];
    if (dump_value(path, tag, 0, value) < 1 || !value[0])
        return 0;
    int n = 0;
    for (char *p = value; p && *p && n < max;) {
        char *end;
        out[n++] = strtod(p, &end);
        p = strchr(end, '\\');
        if (p)
            p++;
    }
    return n;
}

unsigned char *native_pixel_bytes(const char *path, pdva_encoding encoding, size_t *bytes)
{
    char scratch[4096], native[4200], cmd[9000];
    snprintf(scratch, sizeof scratch, "%s/scratch-pixels", PDVA_TEST_TMP_DIR);
    fresh_dir(scratch);
    snprintf(native, sizeof native, "%s/native.dcm", scratch);
    const char *decoder = NULL;
    switch (encoding) {
    case PDVA_ENCODING_XA_JPEG_LOSSLESS:
    case PDVA_ENCODING_XA_JPEG_BASELINE:
        decoder = "dcmdjpeg";
        break;
    case PDVA_ENCODING_XA_RLE:
        decoder = "dcmdrle";
        break;
    case PDVA_ENCODING_XA_JPEG_LS:
        decoder = "dcmdjpls";
        break;
    default:
        break;
    }
    int status = 0;
    if (decoder)
        snprintf(cmd, sizeof cmd, "%s '%s' '%s' 2>&1", decoder, path, native);
    else
        snprintf(cmd, sizeof cmd, "cp '%s' '%s' 2>&1", path, native);
    free(run_capture(cmd, &status));
    if (status != 0)
        return NULL;
    snprintf(cmd, sizeof cmd, "dcmdump -q +W '%s' '%s' >/dev/null 2>&1", scratch, native);
    free(run_capture(cmd, &status));
    if (status != 0)
        return NULL;
    char raw[4300];
    snprintf(raw, sizeof raw, "%s/native.dcm.0.raw", scratch);
    FILE *f = fopen(raw, "rb");
    if (!f)
        return NULL;
    fseek(f, 0, SEEK_END);
    long size = ftell(f);
    fseek(f, 0, SEEK_SET);
    unsigned char *data = size > 0 ? malloc((size_t)size) : NULL;
    if (data && fread(data, 1, (size_t)size, f) != (size_t)size) {
        free(data);
        data = NULL;
    }
    fclose(f);
    *bytes = data ? (size_t)size : 0;
    return data;
}

char *pydicom_summary(const char *dir)
{
    char cmd[4096];
    snprintf(cmd, sizeof cmd,
             "PYTHONIOENCODING=utf-8 /usr/bin/python3 -c '"
             "import glob, os, sys, pydicom\n"
             "for path in sorted(glob.glob(os.path.join(sys.argv[1], \"*.dcm\"))):\n"
             "    ds = pydicom.dcmread(path)\n"
             "    a = ds.pixel_array\n"
             "    n = int(getattr(ds, \"NumberOfFrames\", 1) or 1)\n"
             "    print(os.path.basename(path), n, ds.Rows, ds.Columns,\n"
             "          int(a.astype(\"uint64\").sum()), str(ds.PatientName))\n"
             "' '%s' 2>&1",
             dir);
    int status = 0;
    char *out = run_capture(cmd, &status);
    if (out && status != 0) {
        fprintf(stderr, "pydicom failed: %s\n", out);
        free(out);
        return NULL;
    }
    return out;
}

void fresh_dir(const char *dir)
{
    char cmd[4200];
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", dir);
    free(run_capture(cmd, NULL));
    mkdir(dir, 0755);
}

static int compare_names(const void *a, const void *b)
{
    return strcmp((const char *)a, (const char *)b);
}

int list_dir(const char *dir, char names[][TEST_NAME_MAX], int max)
{
    DIR *d = opendir(dir);
    if (!d)
        return -1;
    int n = 0;
    struct dirent *e;
    while ((e = readdir(d)) != NULL) {
        if (strcmp(e->d_name, ".") == 0 || strcmp(e->d_name, "..") == 0)
            continue;
        if (n < max)
            snprintf(names[n], TEST_NAME_MAX, "%s", e->d_name);
        n++;
    }
    closedir(d);
    qsort(names, (size_t)(n < max ? n : max), TEST_NAME_MAX, compare_names);
    return n;
}

int copy_file(const char *from, const char *to)
{
    char cmd[8400];
    snprintf(cmd, sizeof cmd, "cp '%s' '%s'", from, to);
    int status = -1;
    free(run_capture(cmd, &status));
    return status;
}

int dcmodify_erase(const char *path, const char *tag)
{
    char cmd[4200];
    snprintf(cmd, sizeof cmd, "dcmodify -nb -e '%s' '%s' 2>&1", tag, path);
    int status = -1;
    free(run_capture(cmd, &status));
    return status;
}
