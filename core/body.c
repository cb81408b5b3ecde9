/* body.c — silhouette, outline, run kind and foot frame (see body.h).
 * SPDX-License-Identifier: GPL-3.0-or-later */
#include "core/body.h"

#include <ctype.h>
#include <math.h>
#include <string.h>

#include "base/alloc.h"
#include "base/error.h"

void pdva_body_free(pdva_body *b)
{
    if (!b)
        return;
    pdva_free(b->mask);
    pdva_free(b->outline);
    memset(b, 0, sizeof *b);
}

/* Otsu's threshold over a 256-bin histogram between lo and hi. */
static double otsu(const float *v, size_t n, double lo, double hi)
{
    double hist[256] = {0};
    double scale = 255.0 / (hi - lo);
    for (size_t i = 0; i < n; i++) {
        double x = (v[i] - lo) * scale;
        int b = x < 0 ? 0 : (x > 255 ? 255 : (int)x);
        hist[b] += 1.0;
    }
    double total = (double)n, sum = 0.0;
    for (int b = 0; b < 256; b++)
        sum += b * hist[b];
    double w0 = 0.0, s0 = 0.0, best = -1.0;
    int bt = 128;
    for (int b = 0; b < 256; b++) {
        w0 += hist[b];
        if (w0 == 0.0 || w0 == total)
            continue;
        s0 += b * hist[b];
        double m0 = s0 / w0, m1 = (sum - s0) / (total - w0);
        double between = w0 * (total - w0) * (m0 - m1) * (m0 - m1);
        if (between > best) {
            best = between;
            bt = b;
        }
    }
    return lo + (bt + 0.5) / scale;
}

/* Keep the largest 4-connected component of mask and fill its holes. */
static int largest_component(uint8_t *mask, uint32_t rows, uint32_t cols)
{
    size_t npix = (size_t)rows * cols;
    int32_t *label = pdva_alloc_array(npix, sizeof(int32_t));
    uint32_t *stack = pdva_alloc_array(npix, sizeof(uint32_t));
    if (!label || !stack) {
        pdva_free(label);
        pdva_free(stack);
        return -1;
    }
    for (size_t i = 0; i < npix; i++)
        label[i] = -1;
    int best = -1;
    size_t best_size = 0;
    int next = 0;
    for (size_t i = 0; i < npix; i++) {
        if (!mask[i] || label[i] >= 0)
            continue;
        size_t top = 0, size = 0;
        stack[top++] = (uint32_t)i;
        label[i] = next;
        while (top) {
            uint32_t q = stack[--top];
            size++;
            uint32_t y = q / cols, x = q % cols;
            const long ny[4] = {(long)y - 1, (long)y + 1, (long)y, (long)y};
            const long nx[4] = {(long)x, (long)x, (long)x - 1, (long)x + 1};
            for (int k = 0; k < 4; k++) {
                if (ny[k] < 0 || nx[k] < 0 || ny[k] >= (long)rows || nx[k] >= (long)cols)
                    continue;
                size_t j = (size_t)ny[k] * cols + (size_t)nx[k];
                if (mask[j] && label[j] < 0) {
                    label[j] = next;
                    stack[top++] = (uint32_t)j;
                }
            }
        }
        if (size > best_size) {
            best_size = size;
            best = next;
        }
        next++;
    }
    for (size_t i = 0; i < npix; i++)
        mask[i] = (uint8_t)(label[i] == best && best >= 0);
    /* holes: background not reachable from the image border */
    for (size_t i = 0; i < npix; i++)
        label[i] = 0;
    size_t top = 0;
    for (uint32_t x = 0; x < cols; x++) {
        size_t a = x, b = (size_t)(rows - 1) * cols + x;
        if (!mask[a] && !label[a]) {
            label[a] = 1;
            stack[top++] = (uint32_t)a;
        }
        if (!mask[b] && !label[b]) {
            label[b] = 1;
            stack[top++] = (uint32_t)b;
        }
    }
    for (uint32_t y = 0; y < rows; y++) {
        size_t a = (size_t)y * cols, b = a + cols - 1;
        if (!mask[a] && !label[a]) {
            label[a] = 1;
            stack[top++] = (uint32_t)a;
        }
        if (!mask[b] && !label[b]) {
            label[b] = 1;
            stack[top++] = (uint32_t)b;
        }
    }
    while (top) {
        uint32_t q = stack[--top];
        uint32_t y = q / cols, x = q % cols;
        const long ny[4] = {(long)y - 1, (long)y + 1, (long)y, (long)y};
        const long nx[4] = {(long)x, (long)x, (long)x - 1, (long)x + 1};
        for (int k = 0; k < 4; k++) {
            if (ny[k] < 0 || nx[k] < 0 || ny[k] >= (long)rows || nx[k] >= (long)cols)
                continue;
            size_t j = (size_t)ny[k] * cols + (size_t)nx[k];
            if (!mask[j] && !label[j]) {
                label[j] = 1;
                stack[top++] = (uint32_t)j;
            }
        }
    }
    for (size_t i = 0; i < npix; i++)
        if (!mask[i] && !label[i])
            mask[i] = 1;
    pdva_free(label);
    pdva_free(stack);
    return 0;
}

/* Douglas-Peucker simplification in place; returns the new count. */
static size_t simplify(pdva_vec2 *p, size_t n, double tol, uint8_t *keep)
{
    if (n < 3)
        return n;
    memset(keep, 0, n);
    keep[0] = keep[n - 1] = 1;
    size_t stack_a[2048], stack_b[2048];
    size_t top = 0;
    stack_a[top] = 0;
    stack_b[top++] = n - 1;
    while (top) {
        top--;
        size_t a = stack_a[top], b = stack_b[top];
        double worst = 0.0;
        size_t wi = a;
        for (size_t i = a + 1; i < b; i++) {
            double d = pdva_segment_distance(p[i], p[a], p[b], NULL);
            if (d > worst) {
                worst = d;
                wi = i;
            }
        }
        if (worst > tol && top + 2 < 2048) {
            keep[wi] = 1;
            stack_a[top] = a;
            stack_b[top++] = wi;
            stack_a[top] = wi;
            stack_b[top++] = b;
        }
    }
    size_t m = 0;
    for (size_t i = 0; i < n; i++)
        if (keep[i])
            p[m++] = p[i];
    return m;
}

/* Moore-neighbour tracing of the outer boundary of the body. */
static pdva_status trace_outline(pdva_body *b, pdva_error **err)
{
    uint32_t rows = b->rows, cols = b->cols;
    size_t start = SIZE_MAX;
    for (size_t i = 0; i < (size_t)rows * cols; i++)
        if (b->mask[i]) {
            start = i;
            break;
        }
    if (start == SIZE_MAX)
        return PDVA_OK;
    size_t cap = 4 * ((size_t)rows + cols) + 16;
    pdva_vec2 *pts = pdva_alloc_array(cap, sizeof *pts);
    uint8_t *keep = pdva_alloc_array(cap, 1);
    if (!pts || !keep) {
        pdva_free(pts);
        pdva_free(keep);
        return pdva_error_set(err, PDVA_ERR_NO_MEMORY, "no memory for the body outline");
    }
    static const int dy[8] = {0, -1, -1, -1, 0, 1, 1, 1};
    static const int dx[8] = {-1, -1, 0, 1, 1, 1, 0, -1}; /* W, NW, N, NE, E, SE, S, SW */
    long cy = (long)(start / cols), cx = (long)(start % cols);
    int dir = 0; /* we came from the west (the pixel left of start is outside) */
    size_t n = 0;
    long sy = cy, sx = cx;
    size_t guard = 0, limit = 8 * (size_t)rows * cols;
    do {
        if (n < cap)
            pts[n++] = pdva_v2((double)cx + 0.5, (double)cy + 0.5);
        int found = 0;
        for (int k = 0; k < 8; k++) {
            int d = (dir + k) % 8;
            long yy = cy + dy[d], xx = cx + dx[d];
            if (yy < 0 || xx < 0 || yy >= (long)rows || xx >= (long)cols)
                continue;
            if (b->mask[(size_t)yy * cols + (size_t)xx]) {
                cy = yy;
                cx = xx;
                dir = (d + 6) % 8; /* back-track direction for the next search */
                found = 1;
                break;
            }
        }
        if (!found)
            break;
    } while ((cy != sy || cx != sx) && ++guard < limit);
    double tol = 1.0;
    size_t m = simplify(pts, n, tol, keep);
    while (m > 500 && tol < 64.0) {
        tol *= 1.5;
        m = simplify(pts, m, tol, keep);
    }
    pdva_free(keep);
    b->outline = pts;
    b->n_outline = m;
    return PDVA_OK;
}

pdva_status pdva_body_segment(const pdva_image *img, pdva_body *b, pdva_error **err)
{
    memset(b, 0, sizeof *b);
    b->rows = img->height;
    b->cols = img->width;
    size_t npix = (size_t)img->width * img->height;
    b->mask = pdva_alloc_array(npix, 1);
    if (!b->mask)
        return pdva_error_set(err, PDVA_ERR_NO_MEMORY, "no memory for the body mask");
    double lo = pdva_image_quantile(img->data, npix, 0.002);
    double hi = pdva_image_quantile(img->data, npix, 0.998);
    if (!(hi > lo)) {
        memset(b->mask, 1, npix);
        b->fraction = 1.0;
        return trace_outline(b, err);
    }
    double t = otsu(img->data, npix, lo, hi);
    /* levels of air and body on either side, then a threshold near the air so the thin edges of
     * the body count */
    double air_sum = 0.0, body_sum = 0.0;
    size_t air_n = 0, body_n = 0;
    for (size_t i = 0; i < npix; i += 3) {
        if (img->data[i] > t) {
            air_sum += img->data[i];
            air_n++;
        } else {
            body_sum += img->data[i];
            body_n++;
        }
    }
    double air = air_n ? air_sum / (double)air_n : hi, body = body_n ? body_sum / (double)body_n : lo;
    double thr = air - 0.25 * (air - body);
    size_t inside = 0;
    for (size_t i = 0; i < npix; i++) {
        b->mask[i] = img->data[i] < thr;
        inside += b->mask[i];
    }
    if (largest_component(b->mask, b->rows, b->cols) != 0)
        return pdva_error_set(err, PDVA_ERR_NO_MEMORY, "no memory for the body components");
    inside = 0;
    for (size_t i = 0; i < npix; i++)
        inside += b->mask[i];
    b->fraction = (double)inside / (double)npix;
    return trace_outline(b, err);
}

static bool part_says(const char *body_part, const char *const *words)
{
    if (!body_part)
        return false;
    char up[80];
    size_t i = 0;
    for (; body_part[i] && i + 1 < sizeof up; i++)
        up[i] = (char)toupper((unsigned char)body_part[i]);
    up[i] = '\0';
    for (size_t k = 0; words[k]; k++)
        if (strstr(up, words[k]))
            return true;
    return false;
}

/* Horizontal extent of the body in row y: first and last body columns; false if none. */
static bool row_extent(const pdva_body *b, uint32_t y, uint32_t *x0, uint32_t *x1)
{
    const uint8_t *r = b->mask + (size_t)y * b->cols;
    uint32_t a = b->cols, z = 0;
    for (uint32_t x = 0; x < b->cols; x++)
        if (r[x]) {
            if (a == b->cols)
                a = x;
            z = x;
        }
    if (a == b->cols)
        return false;
    *x0 = a;
    *x1 = z;
    return true;
}

pdva_run_kind pdva_body_classify(const pdva_body *b, const char *body_part)
{
    static const char *const foot_words[] = {"FOOT", "ANKLE", "TOE", "HEEL", "PEDIS", NULL};
    static const char *const leg_words[] = {"LEG", "KNEE", "CALF", "TIBIA", "LOWER LIMB",
                                            "LOWERLIMB", "POPLITEAL", NULL};
    if (!b->mask || b->fraction < 0.02)
        return PDVA_RUN_UNKNOWN;
    uint32_t top_rows = b->rows / 6, x0, x1;
    double top_w = 0.0;
    int top_n = 0;
    for (uint32_t y = 0; y < top_rows; y++)
        if (row_extent(b, y, &x0, &x1)) {
            top_w += x1 - x0 + 1;
            top_n++;
        }
    top_w = top_n ? top_w / top_n : 0.0;
    double bottom_w = 0.0;
    for (uint32_t y = b->rows / 2; y < b->rows; y++)
        if (row_extent(b, y, &x0, &x1) && x1 - x0 + 1 > bottom_w)
            bottom_w = x1 - x0 + 1;
    bool shape_foot = top_n > 0 && bottom_w > 1.7 * top_w && bottom_w > 0.4 * b->cols;
    bool shape_leg = top_n > 0 && bottom_w < 1.35 * top_w;
    if (shape_foot)
        return PDVA_RUN_FOOT;
    if (shape_leg)
        return part_says(body_part, foot_words) ? PDVA_RUN_FOOT : PDVA_RUN_LEG;
    if (part_says(body_part, foot_words))
        return PDVA_RUN_FOOT;
    if (part_says(body_part, leg_words))
        return PDVA_RUN_LEG;
    return bottom_w > 1.5 * top_w ? PDVA_RUN_FOOT : PDVA_RUN_LEG;
}

bool pdva_body_foot_frame(const pdva_body *b, pdva_foot_frame *frame)
{
    uint32_t rows = b->rows, cols = b->cols;
    /* the leg column: body along the top rows */
    double leg_x = 0.0;
    size_t leg_n = 0;
    for (uint32_t y = 0; y < rows / 20 + 1; y++)
        for (uint32_t x = 0; x < cols; x++)
            if (b->mask[(size_t)y * cols + x]) {
                leg_x += x + 0.5;
                leg_n++;
            }
    if (!leg_n)
        return false;
    leg_x /= (double)leg_n;
    /* lowest body pixel of every column, and the horizontal extent of the foot */
    double *low = pdva_alloc_array(cols, sizeof(double));
    if (!low)
        return false;
    uint32_t xmin = cols, xmax = 0;
    for (uint32_t x = 0; x < cols; x++) {
        low[x] = NAN;
        for (uint32_t y = rows; y-- > rows / 3;)
            if (b->mask[(size_t)y * cols + x]) {
                low[x] = y + 0.5;
                break;
            }
        if (!isnan(low[x])) {
            if (x < xmin)
                xmin = x;
            xmax = x;
        }
    }
    if (xmax <= xmin + 20) {
        pdva_free(low);
        return false;
    }
    double dir = (xmax + 0.5 - leg_x) > (leg_x - xmin - 0.5) ? 1.0 : -1.0;
    double span = xmax - xmin + 1.0;
    double heel_x = dir > 0 ? xmin : xmax + 1.0;
    /* the sole: a line through the lowest points of the middle of the foot, refitted on the
     * lowest ones (the arch lifts the middle a little) */
    double a = 0.0, slope = 0.0;
    bool have = false;
    double cut = INFINITY;
    for (int iter = 0; iter < 4; iter++) {
        double sw = 0, sx = 0, sy = 0, sxx = 0, sxy = 0;
        for (uint32_t x = xmin; x <= xmax; x++) {
            double u = (x + 0.5 - heel_x) * dir / span;
            if (u < 0.12 || u > 0.68 || isnan(low[x]))
                continue;
            if (have && low[x] < a + slope * (x + 0.5) - cut)
                continue; /* well above the line: the arch */
            sw += 1;
            sx += x + 0.5;
            sy += low[x];
            sxx += (x + 0.5) * (x + 0.5);
            sxy += (x + 0.5) * low[x];
        }
        if (sw < 10)
            break;
        double den = sw * sxx - sx * sx;
        slope = fabs(den) > 1e-9 ? (sw * sxy - sx * sy) / den : 0.0;
        a = (sy - slope * sx) / sw;
        have = true;
        cut = 2.0;
    }
    pdva_free(low);
    if (!have || fabs(slope) > 0.4)
        return false;
    pdva_vec2 au = pdva_v2_unit(pdva_v2(dir, dir * slope));
    pdva_vec2 av = pdva_v2_perp(au);
    if (av.y > 0)
        av = pdva_v2_scale(av, -1.0);
    pdva_vec2 p0 = pdva_v2(heel_x, a + slope * heel_x);
    /* heel and toe: extremes along the sole of the body near the sole */
    double umin = INFINITY, umax = -INFINITY;
    double near = 0.25 * span;
    for (uint32_t y = 0; y < rows; y++)
        for (uint32_t x = 0; x < cols; x++) {
            if (!b->mask[(size_t)y * cols + x])
                continue;
            pdva_vec2 d = pdva_v2_sub(pdva_v2(x + 0.5, y + 0.5), p0);
            double v = pdva_v2_dot(d, av);
            if (v > near)
                continue;
            double u = pdva_v2_dot(d, au);
            if (u < umin)
                umin = u;
            if (u > umax)
                umax = u;
        }
    if (!(umax > umin + 20.0))
        return false;
    frame->heel = pdva_v2_add(p0, pdva_v2_scale(au, umin));
    frame->axis_u = au;
    frame->axis_v = av;
    frame->length = umax - umin;
    return true;
}
