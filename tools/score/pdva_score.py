#!/usr/bin/python3
# pdva_score.py — score pdva reports against the ground truth of generated sample studies.
#
#   pdva_score.py --truth truth.json --report report.json [--json]
#   pdva_score.py --set DIR [--report-name report.json] [--floors floors.json ...] [--json out.json]
#
# One study: prints its figures (or, with --json, writes them to stdout as JSON). A set: scores
# every study folder below DIR that holds truth.json and the report, pools the figures over the
# studies (each with its count of cases), prints a table, writes it as JSON with --json FILE, and
# with --floors exits 1 when a figure is on the wrong side of its floor (listing which). --floors
# may be given more than once: a later file's floor for a figure replaces an earlier one's. A
# figure without a case is "n/a" and never fails.
#
# Report series are matched to truth series by series_instance_uid. Distances are in mm at the
# vessel plane, through the truth's physical_pixel_spacing_mm (the true spacing even when the file
# hides it). Findings are matched one-to-one, greedily by distance, within a tolerance per type.
# The figures and their definitions are in sample-studies/README.md.
# SPDX-License-Identifier: GPL-3.0-or-later
import argparse
import json
import math
import os
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
REPO = os.path.dirname(os.path.dirname(HERE))
DEFAULT_SCHEMA = os.path.join(REPO, "..", "shared", "spec", "report-v1.schema.json")

# Matching tolerances, mm at the vessel plane.
TOLERANCE_MM = {
    "residual_valve": 3.0,
    "donor_restenosis": 10.0,
    "conduit_stenosis": 10.0,
    "occlusion": 5.0,
    "collateral": 5.0,
}
# One per study, wherever they are put: matched by type alone.
STUDY_LEVEL_TYPES = ("low_flow", "calibre_mismatch")
AV_CONNECTION_TOLERANCE_MM = 5.0
SPACING_TOLERANCE = 0.005


# ---- small helpers ------------------------------------------------------------------------------

def is_num(x):
    return isinstance(x, (int, float)) and not isinstance(x, bool) and math.isfinite(x)


def median(xs):
    return percentile(xs, 50.0)


def percentile(xs, q):
    """Linear interpolation between closest ranks (numpy's default); None when empty."""
    xs = sorted(xs)
    if not xs:
        return None
    pos = (len(xs) - 1) * q / 100.0
    lo = int(math.floor(pos))
    hi = min(lo + 1, len(xs) - 1)
    return xs[lo] + (xs[hi] - xs[lo]) * (pos - lo)


def ratio(num, den):
    return None if den == 0 else num / den


def point_mm_dist(a, b, spacing_mm):
    if not (isinstance(a, list) and isinstance(b, list) and len(a) == 2 and len(b) == 2):
        return math.inf
    if not all(is_num(v) for v in a + b):
        return math.inf
    return math.hypot(a[0] - b[0], a[1] - b[1]) * spacing_mm


def load_json(path):
    with open(path, encoding="utf-8") as f:
        return json.load(f)


def frame_interval_s(series):
    t = series.get("frame_times_s") or []
    steps = [b - a for a, b in zip(t, t[1:]) if is_num(a) and is_num(b)]
    return median(steps)


class SchemaChecker:
    """Draft 2020-12 validation of whole reports against report-v1.schema.json."""

    def __init__(self, path):
        self.path = path
        self.validator = None
        self.error = None
        try:
            import jsonschema
            schema = load_json(path)
            jsonschema.Draft202012Validator.check_schema(schema)
            self.validator = jsonschema.Draft202012Validator(schema)
        except Exception as e:  # noqa: BLE001 - any failure leaves every report unvalidated
            self.error = "%s: %s" % (path, e)

    def errors(self, doc):
        """List of messages (empty when valid); None when the schema could not be loaded."""
        if self.validator is None:
            return None
        out = []
        for e in sorted(self.validator.iter_errors(doc), key=lambda e: list(e.absolute_path)):
            where = "/".join(str(p) for p in e.absolute_path)
            out.append("%s: %s" % (where or "(document)", e.message))
        return out


# ---- accumulators -------------------------------------------------------------------------------

class Tally:
    """Counters and lists of errors of one or more studies; pooled by adding tallies."""

    def __init__(self):
        self.counts = {}
        self.lists = {}

    def add(self, key, n=1):
        self.counts[key] = self.counts.get(key, 0) + n

    def push(self, key, value):
        self.lists.setdefault(key, []).append(value)

    def c(self, key):
        return self.counts.get(key, 0)

    def l(self, key):
        return self.lists.get(key, [])

    def merge(self, other):
        for k, v in other.counts.items():
            self.add(k, v)
        for k, v in other.lists.items():
            self.lists.setdefault(k, []).extend(v)


# ---- matching -----------------------------------------------------------------------------------

def greedy_match(truth_items, report_items, dist, tol):
    """One-to-one pairs (i, j, d) with d <= tol, nearest first; unmatched indices of both."""
    cand = []
    for i, t in enumerate(truth_items):
        for j, r in enumerate(report_items):
            d = dist(t, r)
            if d <= tol:
                cand.append((d, i, j))
    cand.sort()
    used_t, used_r, pairs = set(), set(), []
    for d, i, j in cand:
        if i in used_t or j in used_r:
            continue
        used_t.add(i)
        used_r.add(j)
        pairs.append((i, j, d))
    un_t = [i for i in range(len(truth_items)) if i not in used_t]
    un_r = [j for j in range(len(report_items)) if j not in used_r]
    return pairs, un_t, un_r


def findings_of(series, ftype):
    return [f for f in (series.get("findings") or [])
            if isinstance(f, dict) and f.get("type") == ftype]


class StudyMatch:
    """Series and finding correspondence between a truth and a report of one study."""

    def __init__(self, truth, report):
        self.truth = truth
        self.report = report
        t_series = truth.get("series") or []
        r_series = [s for s in (report.get("series") or []) if isinstance(s, dict)]
        by_uid = {}
        for s in r_series:
            by_uid.setdefault(s.get("series_instance_uid"), s)
        self.series_pairs = []      # (truth series, report series or None)
        matched_uids = set()
        for ts in t_series:
            uid = ts.get("series_instance_uid")
            rs = by_uid.get(uid)
            if rs is not None:
                matched_uids.add(uid)
            self.series_pairs.append((ts, rs))
        self.extra_report_series = [s for s in r_series
                                    if s.get("series_instance_uid") not in matched_uids]
        # finding pairs per type: list of (truth finding, report finding, distance mm, truth series)
        self.pairs = {}
        self.missed = {}            # truth findings without a report finding
        self.false = {}             # report findings without a truth finding
        self.report_to_truth = {}   # report finding id -> truth finding id
        for ftype, tol in TOLERANCE_MM.items():
            self.pairs[ftype], self.missed[ftype], self.false[ftype] = [], [], []
            for ts, rs in self.series_pairs:
                tf = findings_of(ts, ftype)
                rf = findings_of(rs, ftype) if rs else []
                sp = ts.get("physical_pixel_spacing_mm") or 1.0
                pairs, un_t, un_r = greedy_match(
                    tf, rf, lambda a, b: point_mm_dist(a.get("point"), b.get("point"), sp), tol)
                for i, j, d in pairs:
                    self.pairs[ftype].append((tf[i], rf[j], d, ts))
                self.missed[ftype] += [tf[i] for i in un_t]
                self.false[ftype] += [rf[j] for j in un_r]
            for rs in self.extra_report_series:
                self.false[ftype] += findings_of(rs, ftype)
        for ftype in STUDY_LEVEL_TYPES:
            tf = [f for ts in t_series for f in findings_of(ts, ftype)]
            rf = [f for rs in r_series for f in findings_of(rs, ftype)]
            pairs, un_t, un_r = greedy_match(tf, rf, lambda a, b: 0.0, 0.0)
            self.pairs[ftype] = [(tf[i], rf[j], d, None) for i, j, d in pairs]
            self.missed[ftype] = [tf[i] for i in un_t]
            self.false[ftype] = [rf[j] for j in un_r]
        for ftype, pairs in self.pairs.items():
            for tfd, rfd, _, _ in pairs:
                self.report_to_truth[rfd.get("id")] = tfd.get("id")


# ---- scoring of one study -----------------------------------------------------------------------

def score_findings(m, t):
    # residual valves
    t.add("valves.truth", len(m.pairs["residual_valve"]) + len(m.missed["residual_valve"]))
    t.add("valves.report", len(m.pairs["residual_valve"]) + len(m.false["residual_valve"]))
    t.add("valves.matched", len(m.pairs["residual_valve"]))
    for tf, rf, _, _ in m.pairs["residual_valve"]:
        for field, key in (("diameter_reduction_pct", "valves.diameter_reduction_err_pct"),
                           ("transit_delay_s", "valves.transit_delay_err_s")):
            if is_num(tf.get(field)) and is_num(rf.get(field)):
                t.push(key, abs(rf[field] - tf[field]))

    # donor restenosis and conduit stenosis
    for ftype, p in (("donor_restenosis", "donor"), ("conduit_stenosis", "conduit")):
        t.add(p + ".truth", len(m.pairs[ftype]) + len(m.missed[ftype]))
        t.add(p + ".detected", len(m.pairs[ftype]))
        t.add(p + ".false_positives", len(m.false[ftype]))
        for tf, rf, _, _ in m.pairs[ftype]:
            for field, key in (("diameter_stenosis_pct", ".pct_err"),
                               ("minimal_lumen_diameter_mm", ".mld_err_mm"),
                               ("reference_diameter_mm", ".reference_err_mm"),
                               ("lesion_length_mm", ".length_err_mm")):
                if is_num(tf.get(field)) and is_num(rf.get(field)):
                    t.push(p + key, abs(rf[field] - tf[field]))
            if ftype == "conduit_stenosis":
                t.add("conduit.site_pairs")
                t.add("conduit.site_agree", int(rf.get("site") == tf.get("site")))

    # occlusion
    t.add("occlusion.truth", len(m.pairs["occlusion"]) + len(m.missed["occlusion"]))
    t.add("occlusion.detected", len(m.pairs["occlusion"]))
    t.add("occlusion.false_positives", len(m.false["occlusion"]))
    for tf, rf, _, _ in m.pairs["occlusion"]:
        t.add("occlusion.filling_pairs")
        t.add("occlusion.filling_agree", int(rf.get("distal_filling") == tf.get("distal_filling")))

    # collaterals
    t.add("collaterals.truth", len(m.pairs["collateral"]) + len(m.missed["collateral"]))
    t.add("collaterals.report", len(m.pairs["collateral"]) + len(m.false["collateral"]))
    t.add("collaterals.matched", len(m.pairs["collateral"]))
    for tf, rf, _, _ in m.pairs["collateral"]:
        t.add("collaterals.embolize_agree", int(rf.get("embolize") is tf.get("embolize")))
        t.add("collaterals.drains_to_agree", int(rf.get("drains_to") == tf.get("drains_to")))

    # study-level findings: one per study, wherever it is put
    for ftype, p in (("low_flow", "low_flow"), ("calibre_mismatch", "calibre_mismatch")):
        has_t = bool(m.pairs[ftype] or m.missed[ftype])
        has_r = bool(m.pairs[ftype] or m.false[ftype])
        t.add(p + ".studies")
        t.add(p + ".agree", int(has_t == has_r))


def score_series(m, t):
    for ts, rs in m.series_pairs:
        sp = ts.get("physical_pixel_spacing_mm") or 1.0
        t.add("series.truth")
        t.add("series.matched", int(rs is not None))
        rs = rs or {}
        t.add("status.agree", int(rs.get("status") == ts.get("status")))
        t.add("mask_frame.agree", int(rs.get("mask_frame", "absent") == ts.get("mask_frame")))

        # spacing: source and value (null <=> null, else within 0.5 % on both axes)
        ok = rs.get("spacing_source") == ts.get("spacing_source")
        tv, rv = ts.get("pixel_spacing_mm"), rs.get("pixel_spacing_mm", "absent")
        if tv is None or rv is None:
            ok = ok and tv is None and rv is None
        elif isinstance(rv, list) and len(rv) == 2 and all(is_num(x) for x in rv):
            ok = ok and all(abs(r - v) <= SPACING_TOLERANCE * v for r, v in zip(rv, tv))
        else:
            ok = False
        t.add("spacing.right", int(ok))

        # AV connection (every truth series that shows one: the leg runs)
        tav = ts.get("av_connection")
        if isinstance(tav, dict):
            rav = rs.get("av_connection")
            d = point_mm_dist(tav.get("point"), rav.get("point"), sp) if isinstance(rav, dict) \
                else math.inf
            t.add("av.series")
            t.add("av.within", int(d <= AV_CONNECTION_TOLERANCE_MM))
            if math.isfinite(d):
                t.push("av.distance_mm", d)

        # arterialization flow
        tq, rq = ts.get("arterialization_flow_ml_min"), rs.get("arterialization_flow_ml_min")
        if is_num(tq) and tq > 0:
            if is_num(rq):
                t.push("flow.rel_err", abs(rq - tq) / tq)
            else:
                t.add("flow.missing")

        # venosome arrival times
        fi = frame_interval_s(ts)
        rv_by_id = {v.get("id"): v for v in (rs.get("venosomes") or []) if isinstance(v, dict)}
        for tv_ in ts.get("venosomes") or []:
            ta = tv_.get("arrival_time_s")
            ra = (rv_by_id.get(tv_.get("id")) or {}).get("arrival_time_s")
            if is_num(ta) and is_num(ra):
                t.push("venosome.err_s", abs(ra - ta))
                if fi:
                    t.push("venosome.err_frames", abs(ra - ta) / fi)
            elif is_num(ta):
                t.add("venosome.truth_number_report_null")
            elif is_num(ra):
                t.add("venosome.truth_null_report_number")


def describe(doc):
    return {"scenario": (doc.get("truth") or {}).get("scenario"),
            "seed": (doc.get("truth") or {}).get("seed")}


def baseline_paths(truth_path, report_path, report):
    """Where the baseline's truth and report of a follow-up control are (None when absent)."""
    bt = os.path.join(os.path.dirname(os.path.abspath(truth_path)), "..", "baseline", "truth.json")
    rdir = os.path.dirname(os.path.abspath(report_path))
    br = None
    ref = (report.get("context") or {}).get("baseline_report") if isinstance(report, dict) else None
    if isinstance(ref, str) and os.path.isfile(os.path.join(rdir, ref)):
        br = os.path.join(rdir, ref)
    else:
        cand = os.path.join(rdir, "..", "baseline", os.path.basename(report_path))
        if os.path.isfile(cand):
            br = cand
    return (bt if os.path.isfile(bt) else None), br


def score_followup(m, t, truth_path, report_path):
    tc = m.truth.get("comparison")
    if not isinstance(tc, dict):
        return
    rc = m.report.get("comparison")
    t.add("followup.controls")
    t.add("followup.present", int(isinstance(rc, dict)))
    if not isinstance(rc, dict):
        rc = {}
    for field, key, rel in (("donor_stenosis_pct", "followup.donor_stenosis_err_pct", False),
                            ("arterialization_flow_ml_min", "followup.flow_rel_err", True)):
        tv, rv = tc.get(field) or {}, rc.get(field) or {}
        for when in ("baseline", "followup"):
            a, b = tv.get(when), rv.get(when) if isinstance(rv, dict) else None
            if is_num(a) and is_num(b):
                if rel:
                    if a > 0:
                        t.push(key, abs(b - a) / a)
                else:
                    t.push(key, abs(b - a))
            elif is_num(a):
                t.add(key + ".missing")
    # the sets, compared through the findings matched to the truth's
    bt_path, br_path = baseline_paths(truth_path, report_path, m.report)
    base_map = {}
    if bt_path and br_path:
        try:
            base_map = StudyMatch(load_json(bt_path), load_json(br_path)).report_to_truth
        except (OSError, ValueError):
            base_map = {}

    def to_truth(ref):
        if not isinstance(ref, str):
            return None
        if ref.startswith("baseline:"):
            hit = base_map.get(ref[len("baseline:"):])
            return "baseline:" + hit if hit else None
        return m.report_to_truth.get(ref)

    for name in ("findings_new", "findings_resolved", "findings_persisting"):
        truth_set = set(x for x in (tc.get(name) or []) if isinstance(x, str))
        mapped = [to_truth(x) for x in (rc.get(name) or [])]
        report_set = set(x for x in mapped if x)
        unmapped = sum(1 for x in mapped if not x)
        tp = len(truth_set & report_set)
        t.add("followup.sets_tp", tp)
        t.add("followup.sets_fn", len(truth_set - report_set))
        t.add("followup.sets_fp", len(report_set - truth_set) + unmapped)


def score_study(truth_path, report_path, schema):
    truth = load_json(truth_path)
    t = Tally()
    try:
        report = load_json(report_path)
    except (OSError, ValueError) as e:
        report = {}
        t.add("schema.reports")
        t.push("schema.errors", "%s: %s" % (report_path, e))
        report_ok = False
    else:
        report_ok = True
    if report_ok:
        t.add("schema.reports")
        errs = schema.errors(report)
        if errs is None:
            t.push("schema.errors", "schema not loaded: %s" % schema.error)
        elif errs:
            t.push("schema.errors", "%s: %s" % (report_path, errs[0]))
        else:
            t.add("schema.valid")
        if not isinstance(report, dict):
            report = {}
    m = StudyMatch(truth, report)
    score_series(m, t)
    score_findings(m, t)
    score_followup(m, t, truth_path, report_path)
    return t, describe(truth)


# ---- figures ------------------------------------------------------------------------------------

def figures(t):
    """Ordered list of (name, value or None, n, unit/definition)."""
    F = []

    def fig(name, value, n, what):
        F.append((name, value, n, what))

    vt, vr, vm = t.c("valves.truth"), t.c("valves.report"), t.c("valves.matched")
    fig("valves.sensitivity", ratio(vm, vt), vt, "truth valves found within 3 mm")
    fig("valves.precision", ratio(vm, vr), vr, "report valves that are true within 3 mm")
    e = t.l("valves.diameter_reduction_err_pct")
    fig("valves.diameter_reduction_err_median_pct", median(e), len(e), "|error|, matched valves")
    e = t.l("valves.transit_delay_err_s")
    fig("valves.transit_delay_err_median_s", median(e), len(e), "|error|, matched valves")

    for p, label in (("donor", "donor restenoses"), ("conduit", "conduit stenoses")):
        n = t.c(p + ".truth")
        fig(p + ".detection", ratio(t.c(p + ".detected"), n), n, label + " found within 10 mm")
        e = t.l(p + ".pct_err")
        fig(p + ".pct_err_median", median(e), len(e), "|% diameter stenosis error|")
        if p == "donor":
            fig(p + ".pct_err_p90", percentile(e, 90.0), len(e), "|% diameter stenosis error|")
            e = t.l(p + ".mld_err_mm")
            fig(p + ".mld_err_median_mm", median(e), len(e), "|minimal lumen diameter error|")
            e = t.l(p + ".reference_err_mm")
            fig(p + ".reference_err_median_mm", median(e), len(e), "|reference diameter error|")
            e = t.l(p + ".length_err_mm")
            fig(p + ".length_err_median_mm", median(e), len(e), "|lesion length error|")
        else:
            n2 = t.c("conduit.site_pairs")
            fig("conduit.site_agreement", ratio(t.c("conduit.site_agree"), n2), n2,
                "matched stenoses with the right site")
        fig(p + ".false_positives", t.c(p + ".false_positives"), t.c(p + ".false_positives"),
            "report findings without a truth one (count)")

    n = t.c("occlusion.truth")
    fig("occlusion.detection", ratio(t.c("occlusion.detected"), n), n,
        "occlusions found with their point within 5 mm")
    n2 = t.c("occlusion.filling_pairs")
    fig("occlusion.distal_filling_agreement", ratio(t.c("occlusion.filling_agree"), n2), n2,
        "matched occlusions with the right distal_filling")
    fig("occlusion.false_positives", t.c("occlusion.false_positives"),
        t.c("occlusion.false_positives"), "count")

    n = t.c("av.series")
    fig("av_connection.within_5mm", ratio(t.c("av.within"), n), n,
        "leg series with the AV connection within 5 mm")
    e = t.l("av.distance_mm")
    fig("av_connection.distance_median_mm", median(e), len(e), "where the report has a point")

    e = t.l("flow.rel_err")
    fig("flow.rel_err_median", median(e), len(e), "|report - truth| / truth per series")
    fig("flow.rel_err_p90", percentile(e, 90.0), len(e), "|report - truth| / truth per series")
    fig("flow.missing", t.c("flow.missing"), t.c("flow.missing"),
        "series where the truth has a flow and the report none (count)")
    n = t.c("low_flow.studies")
    fig("low_flow.agreement", ratio(t.c("low_flow.agree"), n), n,
        "studies: report has low_flow <=> truth has")
    n = t.c("calibre_mismatch.studies")
    fig("calibre_mismatch.agreement", ratio(t.c("calibre_mismatch.agree"), n), n,
        "studies: report has calibre_mismatch <=> truth has")

    ct, cr, cm = t.c("collaterals.truth"), t.c("collaterals.report"), t.c("collaterals.matched")
    fig("collaterals.sensitivity", ratio(cm, ct), ct, "truth collaterals found within 5 mm")
    fig("collaterals.precision", ratio(cm, cr), cr, "report collaterals true within 5 mm")
    fig("collaterals.embolize_agreement", ratio(t.c("collaterals.embolize_agree"), cm), cm,
        "matched collaterals with the right embolize")
    fig("collaterals.drains_to_agreement", ratio(t.c("collaterals.drains_to_agree"), cm), cm,
        "matched collaterals with the right drains_to")

    e = t.l("venosome.err_s")
    fig("venosome_arrival.err_median_s", median(e), len(e), "|arrival error| per venosome")
    e = t.l("venosome.err_frames")
    fig("venosome_arrival.err_median_frames", median(e), len(e),
        "|arrival error| in frame intervals of its series")
    x = t.c("venosome.truth_number_report_null")
    fig("venosome_arrival.truth_number_report_null", x, x, "count")
    x = t.c("venosome.truth_null_report_number")
    fig("venosome_arrival.truth_null_report_number", x, x, "count")

    n = t.c("series.truth")
    fig("series.matched", ratio(t.c("series.matched"), n), n,
        "truth series the report has (by series_instance_uid)")
    fig("spacing.right", ratio(t.c("spacing.right"), n), n,
        "series with the right spacing_source and value (0.5 %)")
    fig("mask_frame.agreement", ratio(t.c("mask_frame.agree"), n), n, "series")
    fig("status.agreement", ratio(t.c("status.agree"), n), n, "series")
    n = t.c("schema.reports")
    fig("schema.valid", ratio(t.c("schema.valid"), n), n, "reports valid against the schema")

    n = t.c("followup.controls")
    fig("followup.comparison_present", ratio(t.c("followup.present"), n), n, "control studies")
    e = t.l("followup.donor_stenosis_err_pct")
    fig("followup.donor_stenosis_err_median_pct", median(e), len(e),
        "|comparison.donor_stenosis_pct error| (baseline and follow-up)")
    e = t.l("followup.flow_rel_err")
    fig("followup.flow_rel_err_median", median(e), len(e),
        "comparison flows, |report - truth| / truth")
    tp, fn, fp = t.c("followup.sets_tp"), t.c("followup.sets_fn"), t.c("followup.sets_fp")
    fig("followup.sets_agreement", ratio(tp, tp + fn + fp), tp + fn + fp,
        "new/resolved/persisting: agreeing entries / all entries")
    return F


def check_floors(figs, floors):
    """Names (with values) of figures on the wrong side of their floor; n/a never fails."""
    by_name = {f[0]: f for f in figs}
    bad = []
    for name, rule in floors.items():
        if name.startswith("_"):
            continue
        if name not in by_name:
            bad.append("%s: unknown figure" % name)
            continue
        value = by_name[name][1]
        if value is None:
            continue
        if "min" in rule and value < rule["min"]:
            bad.append("%s = %s < %s" % (name, fmt(value), rule["min"]))
        if "max" in rule and value > rule["max"]:
            bad.append("%s = %s > %s" % (name, fmt(value), rule["max"]))
    return bad


def fmt(v):
    if v is None:
        return "n/a"
    if isinstance(v, int):
        return str(v)
    return "%.4g" % v


def floor_text(rule):
    if not rule:
        return ""
    parts = []
    if "min" in rule:
        parts.append(">= %s" % rule["min"])
    if "max" in rule:
        parts.append("<= %s" % rule["max"])
    return " ".join(parts)


def print_table(figs, floors, out):
    out.write("%-46s %10s %6s  %-10s %s\n" % ("figure", "value", "n", "floor", ""))
    for name, value, n, what in figs:
        rule = floors.get(name) if floors else None
        status = ""
        if rule and value is not None:
            status = "FAIL" if check_floors([(name, value, n, what)], {name: rule}) else "ok"
        out.write("%-46s %10s %6d  %-10s %s\n" % (name, fmt(value), n, floor_text(rule), status))


def figures_json(figs, tally, studies):
    return {
        "figures": {name: {"value": value, "n": n, "what": what} for name, value, n, what in figs},
        "studies": studies,
        "schema_errors": tally.l("schema.errors"),
    }


# ---- set scoring --------------------------------------------------------------------------------

def find_studies(root, report_name):
    found, skipped = [], []
    for dirpath, dirnames, filenames in os.walk(root):
        dirnames.sort()
        if "truth.json" in filenames:
            if report_name in filenames:
                found.append(dirpath)
            else:
                skipped.append(dirpath)
    return found, skipped


def main(argv=None):
    ap = argparse.ArgumentParser(description="Score pdva reports against sample-study truth.")
    ap.add_argument("--truth")
    ap.add_argument("--report")
    ap.add_argument("--set", dest="set_dir")
    ap.add_argument("--report-name", default="report.json")
    ap.add_argument("--floors", action="append")
    ap.add_argument("--schema", default=DEFAULT_SCHEMA)
    ap.add_argument("--json", nargs="?", const="-", default=None,
                    help="write the figures as JSON (to FILE, or stdout without one)")
    a = ap.parse_args(argv)
    schema = SchemaChecker(a.schema)
    if schema.error:
        sys.stderr.write("pdva_score: cannot load the schema: %s\n" % schema.error)
        return 2
    floors = None
    for path in a.floors or []:
        layer = load_json(path)
        floors = dict(floors or {}, **layer.get("floors", layer))

    total = Tally()
    studies = []
    if a.set_dir:
        dirs, skipped = find_studies(a.set_dir, a.report_name)
        for d in dirs:
            tally, info = score_study(os.path.join(d, "truth.json"),
                                      os.path.join(d, a.report_name), schema)
            info["path"] = os.path.relpath(d, a.set_dir)
            info["figures"] = {n: v for n, v, _, _ in figures(tally) if v is not None}
            studies.append(info)
            total.merge(tally)
        if not dirs:
            sys.stderr.write("pdva_score: no study with truth.json and %s below %s\n"
                             % (a.report_name, a.set_dir))
            return 2
        if skipped:
            sys.stderr.write("pdva_score: %d folder(s) with truth.json but no %s skipped\n"
                             % (len(skipped), a.report_name))
    elif a.truth and a.report:
        tally, info = score_study(a.truth, a.report, schema)
        info["path"] = a.report
        studies.append(info)
        total.merge(tally)
    else:
        ap.error("give --truth and --report, or --set")

    figs = figures(total)
    if a.json == "-":
        json.dump(figures_json(figs, total, studies), sys.stdout, indent=1)
        sys.stdout.write("\n")
    else:
        sys.stdout.write("pdva_score: %d stud%s\n"
                         % (len(studies), "y" if len(studies) == 1 else "ies"))
        print_table(figs, floors, sys.stdout)
        for e in total.l("schema.errors")[:10]:
            sys.stdout.write("schema: %s\n" % e)
        if a.json:
            with open(a.json, "w", encoding="utf-8") as f:
                json.dump(figures_json(figs, total, studies), f, indent=1)
                f.write("\n")
    if floors is not None:
        bad = check_floors(figs, floors)
        if bad:
            sys.stderr.write("pdva_score: below the floors:\n")
            for b in bad:
                sys.stderr.write("  %s\n" % b)
            return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
