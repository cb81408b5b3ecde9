# truth_checks.py — self-consistency checks of a generated study's truth.json (and context.json),
# used by test_phantom_truth.py. Each check returns a list of problems as readable strings.
#
# The transit check: along a vessel the truth lists the mean transit delay tau at points 1 mm
# apart. The generator integrates d(tau) = ds * pi r^2 / Q sample by sample (0.25 mm), so between
# two listed points tau must grow by  dtau = ds * mean(pi (d/2)^2) / Q  where Q is the flow left
# in the vessel there (its flow_ml_min minus what the children that branched off upstream take).
# The tolerance is 3 % + 2e-4 s: tau is rounded to 1e-4 s (so a difference is off by up to 1e-4 s)
# and points to 1e-3 px; the trapezoid mean of the lumen area over a 1 mm step differs from the
# generator's 4 sub-steps by well under 1 % outside lesion windows (the lumen varies by a few % over
# tens of mm), and the chord between points 1 mm apart on the spline is within 0.2 % of its arc for
# bend radii above 5 mm. (Measured over 400 generated studies: every step of 10 ms or more is
# within 1.6 % of the formula.) Steps within 6 mm of a finding are skipped (a valve adds its
# hold-up, a stenosis window is sharper than the 1 mm sampling), as is everything beyond an
# occlusion (the late filling through collaterals has its own delay and scaled flow); the step
# that holds a branch point is checked against both flows (the flow changes inside it), and the
# last step of a vessel allows for the generator's whole 0.25 mm count of its shorter last sample.
# SPDX-License-Identifier: GPL-3.0-or-later
import datetime
import json
import math
import os

import numpy as np

ML_MIN_TO_MM3_S = 1000.0 / 60.0
TRANSIT_REL_TOL = 0.03
TRANSIT_ABS_TOL_S = 2e-4
LESION_SKIP_MM = 6.0
VENOSOME_IDS = ("dorsalis_pedis", "medial_plantar", "lateral_plantar", "medial_calcaneal",
                "lateral_calcaneal", "anterior_perforating")
REQUIRED_FIELDS = {
    "residual_valve": ("vessel_id", "diameter_reduction_pct", "transit_delay_s"),
    "donor_restenosis": ("diameter_stenosis_pct", "minimal_lumen_diameter_mm",
                         "reference_diameter_mm", "lesion_length_mm"),
    "collateral": ("vessel_id", "drains_to", "flow_fraction", "embolize", "rationale"),
    "low_flow": ("flow_ml_min",),
    "calibre_mismatch": ("artery_diameter_mm", "vein_diameter_mm", "ratio"),
    "conduit_stenosis": ("vessel_id", "diameter_stenosis_pct", "minimal_lumen_diameter_mm",
                         "reference_diameter_mm", "lesion_length_mm", "site"),
    "occlusion": ("vessel_id", "distal_filling"),
}


def is_num(x):
    return isinstance(x, (int, float)) and not isinstance(x, bool) and math.isfinite(x)


def load(path):
    with open(path, encoding="utf-8") as f:
        return json.load(f)


def dist(a, b):
    return math.hypot(a[0] - b[0], a[1] - b[1])


def project_on_polyline(pts, p):
    """(distance to the polyline, segment index, fraction along it)."""
    best = (math.inf, 0, 0.0)
    for k in range(len(pts) - 1):
        ax, ay = pts[k]
        bx, by = pts[k + 1]
        dx, dy = bx - ax, by - ay
        L2 = dx * dx + dy * dy
        t = 0.0 if L2 == 0 else max(0.0, min(1.0, ((p[0] - ax) * dx + (p[1] - ay) * dy) / L2))
        d = math.hypot(ax + t * dx - p[0], ay + t * dy - p[1])
        if d < best[0]:
            best = (d, k, t)
    if len(pts) == 1:
        best = (dist(pts[0], p), 0, 0.0)
    return best


def points_inside(pts, w, h):
    return [p for p in pts if not (0.0 <= p[0] <= w and 0.0 <= p[1] <= h)]


def polygon_mask(poly, w, h):
    """Pixel centres inside a polygon (even-odd rule), as a boolean image."""
    ys, xs = np.mgrid[0:h, 0:w]
    px, py = xs + 0.5, ys + 0.5
    inside = np.zeros((h, w), dtype=bool)
    n = len(poly)
    for i in range(n):
        x1, y1 = poly[i]
        x2, y2 = poly[(i + 1) % n]
        if y1 == y2:
            continue
        cond = (py >= min(y1, y2)) & (py < max(y1, y2))
        xint = x1 + (py - y1) * (x2 - x1) / (y2 - y1)
        inside ^= cond & (px < xint)
    return inside


# ---- checks --------------------------------------------------------------------------------------

def check_schema(doc, validator):
    return ["schema: %s: %s" % ("/".join(str(p) for p in e.absolute_path), e.message)
            for e in validator.iter_errors(doc)]


def check_document(doc):
    out = []
    ids = [f.get("id") for s in doc["series"] for f in s["findings"]]
    if len(ids) != len(set(ids)):
        out.append("finding ids not unique: %s" % ids)
    for a in doc.get("alerts", []):
        if a.get("finding_ref") is not None and a["finding_ref"] not in ids:
            out.append("alert refers to unknown finding %s" % a["finding_ref"])
    return out


def check_geometry(s):
    """Every point inside [0, columns] x [0, rows]; lists consistent; findings on their vessels."""
    out = []
    w, h = s["columns"], s["rows"]
    tag = "series %s (%s)" % (s["series_instance_uid"][-6:], s.get("run"))
    vessels = {v["id"]: v for v in s["vessels"]}
    for v in s["vessels"]:
        bad = points_inside(v["centerline"], w, h)
        if bad:
            out.append("%s: vessel %s has %d centerline points outside the image, e.g. %s"
                       % (tag, v["id"], len(bad), bad[0]))
        n = len(v["centerline"])
        if len(v["diameter_mm"]) != n or len(v.get("transit_delay_s", [])) != n:
            out.append("%s: vessel %s: %d points, %d diameters, %d delays"
                       % (tag, v["id"], n, len(v["diameter_mm"]),
                          len(v.get("transit_delay_s", []))))
        if v.get("parent_id") is not None and v["parent_id"] not in vessels:
            out.append("%s: vessel %s: unknown parent %s" % (tag, v["id"], v["parent_id"]))
    for vs in s["venosomes"]:
        bad = points_inside(vs["polygon"], w, h)
        if bad:
            out.append("%s: venosome %s polygon point outside the image: %s"
                       % (tag, vs["id"], bad[0]))
    if s.get("av_connection"):
        bad = points_inside([s["av_connection"]["point"]], w, h)
        if bad:
            out.append("%s: AV connection outside the image: %s" % (tag, bad[0]))
    sp = s["physical_pixel_spacing_mm"]
    for f in s["findings"]:
        p = f["point"]
        if points_inside([p], w, h):
            out.append("%s: finding %s (%s) outside the image: %s" % (tag, f["id"], f["type"], p))
        elif f["type"] not in ("low_flow", "calibre_mismatch") and (
                p[0] in (0.0, w) or p[1] in (0.0, h)):
            out.append("%s: finding %s (%s) on the image border %s (clamped from outside?)"
                       % (tag, f["id"], f["type"], p))
        missing = [k for k in REQUIRED_FIELDS.get(f["type"], ()) if k not in f]
        if missing:
            out.append("%s: finding %s (%s) lacks %s" % (tag, f["id"], f["type"], missing))
        vid = f.get("vessel_id")
        if f["type"] in ("residual_valve", "collateral", "conduit_stenosis", "occlusion",
                         "donor_restenosis"):
            if vid not in vessels:
                out.append("%s: finding %s (%s) refers to unknown vessel %r"
                           % (tag, f["id"], f["type"], vid))
                continue
            cl = vessels[vid]["centerline"]
            d_px, _, _ = project_on_polyline(cl, p)
            # an occlusion's last opacified point may lie in the last partial mm of its piece,
            # which the 1 mm centerline does not list
            if d_px * sp > (1.0 if f["type"] == "occlusion" else 0.5):
                out.append("%s: finding %s (%s) lies %.2f mm off its vessel %s"
                           % (tag, f["id"], f["type"], d_px * sp, vid))
            if f["type"] == "collateral" and dist(cl[0], p) * sp > 0.05:
                out.append("%s: collateral %s point is not the first point of %s"
                           % (tag, f["id"], vid))
            if f["type"] == "occlusion" and dist(cl[-1], p) * sp > 1.5:
                out.append("%s: occlusion %s point is %.2f mm from the end of %s (last opacified)"
                           % (tag, f["id"], dist(cl[-1], p) * sp, vid))
    return out


def check_transit(s):
    """Transit delays along and between vessels (see the module comment)."""
    out = []
    tag = "series %s (%s)" % (s["series_instance_uid"][-6:], s.get("run"))
    sp = s["physical_pixel_spacing_mm"]
    vessels = {v["id"]: v for v in s["vessels"]}
    children = {}
    for v in s["vessels"]:
        if v.get("parent_id"):
            children.setdefault(v["parent_id"], []).append(v)
    lesion_pts = {}
    occluded = {}
    for f in s["findings"]:
        if f.get("vessel_id") in vessels and f["type"] in (
                "residual_valve", "donor_restenosis", "conduit_stenosis", "occlusion"):
            lesion_pts.setdefault(f["vessel_id"], []).append(f["point"])
        if f["type"] == "occlusion":
            occluded[f.get("vessel_id")] = f["point"]
    # vessels after an occlusion: continuation pieces ("V7.2") and everything below them
    skip = set()
    for v in s["vessels"]:
        if "." in v["id"]:
            skip.add(v["id"])
    changed = True
    while changed:
        changed = False
        for v in s["vessels"]:
            if v["id"] not in skip and v.get("parent_id") in skip:
                skip.add(v["id"])
                changed = True

    def arc_mm(cl):
        a = [0.0]
        for k in range(1, len(cl)):
            a.append(a[-1] + dist(cl[k - 1], cl[k]) * sp)
        return a

    for v in s["vessels"]:
        vid, cl, tau, dm = v["id"], v["centerline"], v["transit_delay_s"], v["diameter_mm"]
        if vid in skip:
            continue
        arc = arc_mm(cl)
        occl_at = None
        if vid in occluded:
            _, k, t = project_on_polyline(cl, occluded[vid])
            occl_at = arc[k] + t * (arc[min(k + 1, len(arc) - 1)] - arc[k])
        # monotonic everywhere before an occlusion
        for k in range(1, len(tau)):
            if tau[k] < tau[k - 1]:
                out.append("%s: vessel %s (%s): transit delay decreases at point %d: %.4f -> %.4f"
                           % (tag, vid, v.get("name"), k, tau[k - 1], tau[k]))
                break
        # branch points of the children, as arclength on this vessel
        kids = []
        for c in children.get(vid, []):
            d_px, k, t = project_on_polyline(cl, c["centerline"][0])
            s_b = arc[k] + t * (arc[min(k + 1, len(arc) - 1)] - arc[k])
            # a child starts with its parent's delay at the branch point
            tb = tau[k] + t * (tau[min(k + 1, len(tau) - 1)] - tau[k])
            beyond = 0.0
            if k == len(cl) - 2 and t >= 1.0 and len(cl) >= 2:
                # the listed centerline stops at the last whole mm: a child at the parent's real
                # end starts up to 0.75 mm beyond it; extrapolate the parent's last step
                beyond = d_px * sp
                slope = (tau[-1] - tau[-2]) / max(arc[-1] - arc[-2], 1e-9)
                tb = tau[-1] + slope * beyond
                s_b = arc[-1] + beyond
                d_px = 0.0
            kids.append((s_b, c))
            if d_px * sp > 0.5 or beyond > 1.0:
                out.append("%s: vessel %s starts %.2f mm off its parent %s"
                           % (tag, c["id"], d_px * sp, vid))
            else:
                # linear interpolation between points 1 mm apart: a quarter of the parent's own
                # step there (plus the rounding) bounds its error
                step = abs(tau[min(k + 1, len(tau) - 1)] - tau[k])
                if abs(c["transit_delay_s"][0] - tb) > 0.25 * step + 2e-4:
                    out.append("%s: vessel %s starts with delay %.4f s, its parent %s has %.4f s "
                               "at the branch point"
                               % (tag, c["id"], c["transit_delay_s"][0], vid, tb))
            ra, pa = c.get("arrival_time_s"), v.get("arrival_time_s")
            if is_num(ra) and is_num(pa) and ra < pa - 1e-3:
                out.append("%s: vessel %s arrives at %.4f s before its parent %s (%.4f s)"
                           % (tag, c["id"], ra, vid, pa))
        kids.sort(key=lambda x: x[0])
        q0 = v.get("flow_ml_min")
        if not is_num(q0) or any(not is_num(d) for d in dm):
            continue  # spacing unknown: no flow nor diameters to check against
        if any(not is_num(c.get("flow_ml_min")) for _, c in kids):
            continue
        lesions = [project_on_polyline(cl, p) for p in lesion_pts.get(vid, [])]
        lesion_s = [arc[k] + t * (arc[min(k + 1, len(arc) - 1)] - arc[k]) for _, k, t in lesions]
        for k in range(1, len(cl)):
            s0, s1 = arc[k - 1], arc[k]
            if any(min(abs(s0 - ls), abs(s1 - ls)) < LESION_SKIP_MM or s0 <= ls <= s1
                   for ls in lesion_s):
                continue
            if occl_at is not None and s1 >= occl_at - LESION_SKIP_MM:
                break
            ds = s1 - s0
            # the generator counts a whole 0.25 mm sample step for the last, shorter sample of a
            # vessel (its end control point): the last listed step may be up to 1 mm "long"
            ds_max = max(ds, 1.0) if k == len(cl) - 1 else ds
            area = 0.5 * math.pi * ((dm[k - 1] / 2) ** 2 + (dm[k] / 2) ** 2)
            # flow after the branches strictly upstream of s0, and after those inside the step
            q_before = q0 - sum(c["flow_ml_min"] for sb, c in kids if sb < s0 - 1e-6)
            q_after = q0 - sum(c["flow_ml_min"] for sb, c in kids if sb <= s1 + 1e-6)
            lo = ds * area / (max(q_before, 1e-9) * ML_MIN_TO_MM3_S)
            hi = ds_max * area / (max(q_after, 1e-9) * ML_MIN_TO_MM3_S)
            got = tau[k] - tau[k - 1]
            tol_lo = lo * (1 - TRANSIT_REL_TOL) - TRANSIT_ABS_TOL_S
            tol_hi = hi * (1 + TRANSIT_REL_TOL) + TRANSIT_ABS_TOL_S
            if q_after * ML_MIN_TO_MM3_S < 1.0:
                continue  # the generator floors the flow at 1 mm^3/s (a near-dead end)
            if not tol_lo <= got <= tol_hi:
                out.append("%s: vessel %s (%s): transit step %d (%.1f-%.1f mm) is %.5f s, "
                           "expected %.5f s (d %.3f-%.3f mm, Q %.2f ml/min)"
                           % (tag, vid, v.get("name"), k, s0, s1, got, lo, dm[k - 1], dm[k],
                              q_before))
                break
    return out


def check_timing(s):
    out = []
    tag = "series %s (%s)" % (s["series_instance_uid"][-6:], s.get("run"))
    t = s["frame_times_s"]
    if len(t) != s["frames"]:
        out.append("%s: %d frame times for %d frames" % (tag, len(t), s["frames"]))
    if not t or t[0] != 0.0:
        out.append("%s: frame times do not start at 0" % tag)
    if any(b <= a for a, b in zip(t, t[1:])):
        out.append("%s: frame times do not increase" % tag)
    inflow = s.get("inflow") or {}
    arr = inflow.get("arrival_time_s")
    if is_num(arr):
        first = next((i for i, x in enumerate(t) if x >= arr), len(t))
        if not s["mask_frame"] < first:
            out.append("%s: mask_frame %d is not before the first frame with the inflow "
                       "(arrival %.3f s, frame %d)" % (tag, s["mask_frame"], arr, first))
    else:
        out.append("%s: no inflow arrival time" % tag)
    for v in s["vessels"]:
        a = v.get("arrival_time_s")
        if is_num(a) and is_num(arr) and a < arr - 1e-3 and v.get("parent_id") is not None:
            out.append("%s: vessel %s arrives (%.3f s) before the inflow (%.3f s)"
                       % (tag, v["id"], a, arr))
    return out


def check_venosomes(s, max_overlap=0.02):
    out = []
    tag = "series %s (%s)" % (s["series_instance_uid"][-6:], s.get("run"))
    if s.get("run") != "foot":
        if s["venosomes"]:
            out.append("%s: a leg series with venosomes" % tag)
        return out
    ids = [v["id"] for v in s["venosomes"]]
    if sorted(ids) != sorted(VENOSOME_IDS):
        out.append("%s: venosomes %s, expected the six" % (tag, ids))
    w, h = s["columns"], s["rows"]
    masks = {}
    for v in s["venosomes"]:
        if len(v["polygon"]) < 3:
            out.append("%s: venosome %s has %d polygon points" % (tag, v["id"], len(v["polygon"])))
            continue
        masks[v["id"]] = polygon_mask(v["polygon"], w, h)
        if masks[v["id"]].sum() == 0:
            out.append("%s: venosome %s covers no pixel" % (tag, v["id"]))
    names = sorted(masks)
    for i in range(len(names)):
        for j in range(i + 1, len(names)):
            a, b = masks[names[i]], masks[names[j]]
            inter = int((a & b).sum())
            smaller = max(1, min(int(a.sum()), int(b.sum())))
            if inter > max_overlap * smaller:
                out.append("%s: venosomes %s and %s overlap over %d px (%.1f %% of the smaller)"
                           % (tag, names[i], names[j], inter, 100.0 * inter / smaller))
    return out


def check_flow_findings(doc, context):
    out = []
    meta = doc["truth"]
    wound = context.get("wound_venosomes")
    flows = [f for s in doc["series"] for f in s["findings"] if f["type"] == "low_flow"]
    known = any(s["pixel_spacing_mm"] is not None for s in doc["series"])
    want_low = known and meta["arterialization_flow_ml_min"] < meta["low_flow_threshold_ml_min"]
    if bool(flows) != want_low:
        out.append("low_flow findings %d, but flow %.1f ml/min (threshold %.0f, spacing known %s)"
                   % (len(flows), meta["arterialization_flow_ml_min"],
                      meta["low_flow_threshold_ml_min"], known))
    for s in doc["series"]:
        for f in s["findings"]:
            if f["type"] == "collateral":
                want = f["drains_to"] == "systemic" or f["drains_to"] not in wound
                if f["embolize"] != want:
                    out.append("collateral %s drains to %s, wound %s, but embolize is %s"
                               % (f["id"], f["drains_to"], wound, f["embolize"]))
            if f["type"] == "calibre_mismatch" and is_num(f.get("artery_diameter_mm")):
                r = f["artery_diameter_mm"] / f["vein_diameter_mm"]
                if abs(r - f["ratio"]) > 1e-3 or f["ratio"] >= meta["calibre_mismatch_ratio"]:
                    out.append("calibre_mismatch %s: ratio %.4f vs %.4f (threshold %.2f)"
                               % (f["id"], f["ratio"], r, meta["calibre_mismatch_ratio"]))
        if s.get("run") == "leg" and is_num(s["arterialization_flow_ml_min"]):
            if abs(s["arterialization_flow_ml_min"] - meta["arterialization_flow_ml_min"]) > 0.01:
                out.append("leg series flow %.3f != the study's arterialization flow %.3f"
                           % (s["arterialization_flow_ml_min"],
                              meta["arterialization_flow_ml_min"]))
    return out


def check_followup(control, baseline):
    out = []
    c = control.get("comparison")
    if not isinstance(c, dict):
        return ["control without a comparison"]
    if baseline.get("comparison") is not None:
        out.append("baseline has a comparison")
    ids = {f["id"] for s in control["series"] for f in s["findings"]}
    bids = {f["id"] for s in baseline["series"] for f in s["findings"]}
    for x in c["findings_new"] + c["findings_persisting"]:
        if x not in ids:
            out.append("comparison refers to unknown control finding %s" % x)
    for x in c["findings_resolved"]:
        if not x.startswith("baseline:") or x[len("baseline:"):] not in bids:
            out.append("comparison refers to unknown baseline finding %s" % x)
    if sorted(c["findings_new"] + c["findings_persisting"]) != sorted(ids):
        out.append("control findings %s are not exactly new + persisting %s"
                   % (sorted(ids), sorted(c["findings_new"] + c["findings_persisting"])))
    if c["baseline_study_instance_uid"] != baseline["study"]["study_instance_uid"]:
        out.append("comparison baseline UID %s != baseline study UID %s"
                   % (c["baseline_study_instance_uid"], baseline["study"]["study_instance_uid"]))
    d0 = datetime.datetime.strptime(baseline["study"]["study_date"], "%Y%m%d")
    d1 = datetime.datetime.strptime(control["study"]["study_date"], "%Y%m%d")
    if (d1 - d0).days != c["interval_days"]:
        out.append("interval_days %d but the dates are %d days apart"
                   % (c["interval_days"], (d1 - d0).days))
    bflow = baseline["truth"]["arterialization_flow_ml_min"]
    if abs(c["arterialization_flow_ml_min"]["baseline"] - bflow) > 1e-3:
        out.append("comparison baseline flow %s != baseline truth %s"
                   % (c["arterialization_flow_ml_min"]["baseline"], bflow))
    donor = [f["diameter_stenosis_pct"] for s in control["series"] for f in s["findings"]
             if f["type"] == "donor_restenosis"]
    if donor and abs(c["donor_stenosis_pct"]["followup"] - max(donor)) > 1e-3:
        out.append("comparison donor stenosis %s != worst control finding %s"
                   % (c["donor_stenosis_pct"]["followup"], max(donor)))
    return out


def check_context_echo(doc, context):
    """The truth is the report a perfect analyzer writes: its context echoes context.json."""
    out = []
    for key in ("wound_venosomes", "baseline_report"):
        if doc["context"].get(key) != context.get(key):
            out.append("truth context %s %r != context.json's %r"
                       % (key, doc["context"].get(key), context.get(key)))
    return out


def check_study(study_dir, validator):
    """All checks of one study folder (truth.json + context.json)."""
    doc = load(os.path.join(study_dir, "truth.json"))
    context = load(os.path.join(study_dir, "context.json"))
    out = check_schema(doc, validator) + check_document(doc) + check_flow_findings(doc, context)
    for s in doc["series"]:
        out += check_geometry(s) + check_transit(s) + check_timing(s) + check_venosomes(s)
    return out
