#!/usr/bin/env python3
"""Reference values for crates/fieldline-stats, from statsmodels, scipy and samplics.

    python3 generate.py > fixtures.json

reproduces the committed fixtures.json byte for byte (seeded data; written with Python 3,
statsmodels 0.15, scipy 1.17, numpy 2.4, samplics 0.6). tests/reference.rs reads the JSON, so the
Rust tests need no Python.

Where the reference software has no value (or a meaningless one) and issue 6 fixes a rule, the
case carries "rule" naming it and the value is the rule's:
  - n = 0: counts 0 and every estimate null; a difference is null when either side has n = 0
    (statsmodels divides by zero);
  - pooled proportion 0 or 1: z-test p-value 1 (statsmodels returns NaN);
  - a single cluster: se, CI and deff null (samplics returns se = 0; R's survey refuses a lone PSU);
  - McNemar with b + c = 0: statistic 0, p-value 1 (statsmodels returns inf and 0).

Survey designs: p and se come from samplics' TaylorEstimator (PopParam.mean of the 0/1 variable,
PSUs with replacement, one stratum), each cross-checked here against the formula of issue 6 computed
with numpy. samplics' own confidence interval uses a t quantile (and, for PopParam.prop, a logit
transform), so the 95% CI is the one R's confint(svymean(...)) reports: p +/- z_0.975 * se,
unclipped. deff = var / (p (1 - p) / n) with the unweighted n, null when p is 0 or 1.
"""

import contextlib
import io
import json
import math
import sys
import warnings

import numpy as np
from scipy import stats
from statsmodels.stats.contingency_tables import mcnemar
from statsmodels.stats.proportion import (
    confint_proportions_2indep,
    proportion_confint,
    proportions_ztest,
)

warnings.simplefilter("ignore")
with contextlib.redirect_stdout(io.StringIO()):
    from samplics.estimation import TaylorEstimator
    from samplics.utils.types import PopParam

# Issue 6's critical value (scipy's norm.ppf(0.975)); statsmodels' Wilson interval uses
# norm.isf(0.025) = 1.9599639845400545, one ulp above, which moves no value by more than 1e-15.
Z = 1.959963984540054
assert Z == float(stats.norm.ppf(0.975)) and abs(float(stats.norm.isf(0.025)) - Z) < 1e-15


def f(x):
    """A float for JSON (None stays null; NaN is not allowed)."""
    if x is None:
        return None
    x = float(x)
    assert math.isfinite(x), x
    return x


# ---------------------------------------------------------------------------------------------
# Simple random samples: Wilson


def wilson_cases():
    pairs = set()
    for n in [1, 2, 3, 4, 5, 7, 10, 13, 20, 30, 50, 99, 100, 250, 1000, 12345, 10**6, 10**9]:
        for s in {0, 1, n // 3, n // 2, n - 1, n}:
            if 0 <= s <= n:
                pairs.add((s, n))
    rng = np.random.default_rng(20240601)
    for _ in range(40):
        n = int(rng.integers(1, 5000))
        pairs.add((int(rng.integers(0, n + 1)), n))
    out = [{"s": 0, "n": 0, "low": None, "high": None, "rule": "n = 0"}]
    for s, n in sorted(pairs, key=lambda t: (t[1], t[0])):
        low, high = proportion_confint(s, n, alpha=0.05, method="wilson")
        out.append({"s": s, "n": n, "low": f(low), "high": f(high)})
    return out


# ---------------------------------------------------------------------------------------------
# Simple random samples: difference (endline - baseline), Newcombe CI and pooled z-test


def difference_case(sb, nb, se, ne):
    case = {"sb": sb, "nb": nb, "se": se, "ne": ne}
    if nb == 0 or ne == 0:
        case.update(estimate=None, ci_low=None, ci_high=None, p_value=None, rule="n = 0")
        return case
    low, high = confint_proportions_2indep(
        se, ne, sb, nb, method="newcomb", compare="diff", alpha=0.05
    )
    pooled = (sb + se) / (nb + ne)
    if pooled in (0.0, 1.0):
        p_value = 1.0
        case["rule"] = "pooled proportion 0 or 1"
    else:
        _, p_value = proportions_ztest([se, sb], [ne, nb], value=0, alternative="two-sided")
    case.update(estimate=f(se / ne - sb / nb), ci_low=f(low), ci_high=f(high), p_value=f(p_value))
    return case


def difference_cases():
    fixed = [
        (0, 0, 0, 0), (0, 0, 3, 10), (4, 10, 0, 0),
        (0, 5, 0, 8), (5, 5, 8, 8), (0, 1, 1, 1), (1, 1, 0, 1), (0, 10, 10, 10), (10, 10, 0, 10),
        (1, 2, 1, 2), (3, 10, 7, 10), (14, 100, 92, 100), (50, 100, 50, 100), (0, 20, 1, 20),
        (1, 3, 2, 3), (120, 400, 150, 380), (2, 1000, 0, 1000), (999, 1000, 1000, 1000),
        (312_456, 1_000_000, 312_999, 1_000_000), (140_000, 1_000_000, 920_000, 1_000_000),
        (5, 7, 400, 1200), (1234, 5000, 17, 40),
    ]
    rng = np.random.default_rng(20240602)
    for _ in range(40):
        nb = int(rng.integers(1, 3000))
        ne = int(rng.integers(1, 3000))
        fixed.append((int(rng.integers(0, nb + 1)), nb, int(rng.integers(0, ne + 1)), ne))
    return [difference_case(*c) for c in fixed]


# ---------------------------------------------------------------------------------------------
# Survey designs


def formula_survey(y, w, psu):
    """Issue 6's formula, with numpy: Hajek p and the with-replacement Taylor variance."""
    W = w.sum()
    p = (w * y).sum() / W
    r = w * (y - p) / W
    if psu is None:
        z = r
    else:
        _, inv = np.unique(psu, return_inverse=True)
        z = np.bincount(inv, weights=r)
    C = len(z)
    if C < 2:
        return p, None
    var = C / (C - 1) * ((z - z.mean()) ** 2).sum()
    return p, math.sqrt(var)


def samplics_survey(y, w, psu):
    """None when samplics fails (it divides by p for its coefficient of variation, so p = 0)."""
    est = TaylorEstimator(PopParam.mean)
    try:
        with contextlib.redirect_stdout(io.StringIO()):
            est.estimate(y=y, samp_weight=w, psu=psu, remove_nan=True)
    except ZeroDivisionError:
        return None
    return float(est.point_est), float(est.stderror)


def survey_case(name, y, w, psu, weighted, clustered):
    n = len(y)
    case = {
        "name": name,
        "success": "".join("1" if v else "0" for v in y),
        "weight": [float(x) for x in w] if weighted else None,
        "cluster": [int(c) for c in psu] if clustered else None,
        "n": n,
        "successes": int(y.sum()),
    }
    yf = y.astype(float)
    wf = np.asarray(w, dtype=float)
    p_formula, se_formula = formula_survey(yf, wf, psu if clustered else None)
    from_samplics = samplics_survey(yf, wf, psu if clustered else None)
    if from_samplics is None:
        # p = 0: nothing for samplics to divide by; the formula's values (p = 0, se = 0) stand.
        from_samplics = (p_formula, se_formula)
        case["source"] = "numpy formula (samplics divides by p = 0)"
    p_s, se_s = from_samplics
    assert abs(p_s - p_formula) < 1e-12, (name, p_s, p_formula)
    p = p_s
    if se_formula is None:
        se = None
        case["rule"] = "single cluster"
    else:
        assert abs(se_s - se_formula) < 1e-12, (name, se_s, se_formula)
        se = se_s
    case["p"] = f(p)
    case["se"] = f(se)
    case["ci_low"] = f(p - Z * se) if se is not None else None
    case["ci_high"] = f(p + Z * se) if se is not None else None
    if se is None or p in (0.0, 1.0):
        case["deff"] = None
    else:
        case["deff"] = f(se**2 / (p * (1 - p) / n))
    return case


def clustered_sample(rng, clusters, mean_size, p_range, weight_sigma, sizes="poisson"):
    """Clusters of unequal sizes with their own success rate, observations shuffled so clusters
    interleave; weights lognormal (rounded to 4 decimals so JSON round-trips them exactly)."""
    ys, cs, ws = [], [], []
    for c in range(clusters):
        if sizes == "poisson":
            size = 1 + int(rng.poisson(mean_size - 1))
        else:
            size = 1 + int(rng.geometric(1 / mean_size)) - 1
            size = max(size, 1)
        pc = rng.uniform(*p_range)
        base_w = rng.lognormal(0, weight_sigma)
        for _ in range(size):
            ys.append(rng.random() < pc)
            cs.append(c)
            ws.append(base_w * rng.lognormal(0, weight_sigma / 2))
    order = rng.permutation(len(ys))
    y = np.array(ys, dtype=np.int64)[order]
    psu = np.array(cs, dtype=np.int64)[order]
    w = np.maximum(np.round(np.array(ws)[order], 4), 0.0001)
    return y, w, psu


def survey_cases():
    rng = np.random.default_rng(20240603)
    cases = []

    def add(name, y, w, psu, weighted=True, clustered=True):
        cases.append(survey_case(name, y, w, psu, weighted, clustered))

    y, w, psu = clustered_sample(rng, 30, 20, (0.1, 0.6), 0.5)
    add("30 clusters, unequal sizes, weighted", y, w, psu)
    y2, w2, psu2 = clustered_sample(rng, 30, 22, (0.4, 0.95), 0.5)
    add("30 clusters, endline of the above", y2, w2, psu2)
    y, w, psu = clustered_sample(rng, 8, 40, (0.0, 1.0), 0.3, sizes="geometric")
    add("8 clusters, geometric sizes", y, w, psu)
    y, w, psu = clustered_sample(rng, 12, 15, (0.2, 0.5), 1.5)
    add("12 clusters, weights varying widely", y, w, psu)
    y, w, psu = clustered_sample(rng, 2, 10, (0.2, 0.8), 0.5)
    add("2 clusters", y, w, psu)
    y, w, psu = clustered_sample(rng, 1, 25, (0.3, 0.7), 0.8)
    add("a single cluster, weighted", y, w, psu)
    y, w, psu = clustered_sample(rng, 1, 9, (0.3, 0.7), 0.0)
    add("a single cluster, unweighted", y, w, psu, weighted=False)
    y, w, psu = clustered_sample(rng, 50, 30, (0.05, 0.9), 0.0)
    add("50 clusters, unweighted", y, np.ones(len(y)), psu, weighted=False)
    y, w, psu = clustered_sample(rng, 150, 20, (0.2, 0.7), 0.7)
    add("150 clusters, 3000 observations", y, w, psu)
    n = 400
    y = (rng.random(n) < 0.35).astype(np.int64)
    w = np.maximum(np.round(rng.lognormal(0, 1.2, n), 4), 0.0001)
    add("weights only, each observation its own cluster", y, w, np.arange(n), clustered=False)
    n = 25
    y = (rng.random(n) < 0.6).astype(np.int64)
    w = np.round(rng.uniform(0.5, 3.0, n), 4)
    add("weights only, small", y, w, np.arange(n), clustered=False)
    n = 60
    y = (rng.random(n) < 0.5).astype(np.int64)
    w = np.round(rng.choice([0.01, 1.0, 250.0], n), 4)
    add("weights spanning 4 orders of magnitude", y, w, np.arange(n), clustered=False)
    y, w, psu = clustered_sample(rng, 10, 12, (0.0, 0.0), 0.5)
    add("p = 0, clustered", y, w, psu)
    y, w, psu = clustered_sample(rng, 10, 12, (1.0, 1.0), 0.5)
    add("p = 1, clustered", y, w, psu)
    y, w, psu = clustered_sample(rng, 20, 6, (0.0, 0.1), 0.5)
    add("rare success, small clusters", y, w, psu)
    y = np.array([1, 0], dtype=np.int64)
    add("two observations, weights only", y, np.array([1.5, 0.5]), np.arange(2), clustered=False)
    y, w, psu = clustered_sample(rng, 40, 8, (0.1, 0.9), 0.0)
    add("clusters only, weight 1", y, np.ones(len(y)), psu, weighted=False)
    return cases


def survey_difference_cases(survey):
    pairs = [(0, 1), (1, 0), (0, 2), (3, 4), (8, 9), (9, 10), (12, 13), (13, 12), (12, 12),
             (0, 5), (6, 0), (5, 6), (14, 8), (15, 11), (16, 7), (2, 16)]
    out = []
    for b, e in pairs:
        sb, se_ = survey[b], survey[e]
        case = {"baseline": b, "endline": e}
        d = se_["p"] - sb["p"]
        if sb["se"] is None or se_["se"] is None:
            case.update(estimate=f(d), ci_low=None, ci_high=None, p_value=None,
                        rule="single cluster")
        else:
            s = math.sqrt(sb["se"] ** 2 + se_["se"] ** 2)
            if s == 0:
                p_value = 1.0 if d == 0 else 0.0
                case["rule"] = "se = 0"
            else:
                p_value = 2 * stats.norm.sf(abs(d) / s)
            case.update(estimate=f(d), ci_low=f(d - Z * s), ci_high=f(d + Z * s),
                        p_value=f(p_value))
        out.append(case)
    return out


# ---------------------------------------------------------------------------------------------
# Panels


def panel_case(n, b, c):
    case = {"n": n, "b": b, "c": c}
    if n == 0:
        case.update(estimate=None, ci_low=None, ci_high=None, statistic=None, p_value=None,
                    rule="no pairs")
        return case
    # Per-person change d_i in {-1, 0, 1}; the Wald SE of the paired difference is the population
    # standard deviation of d over sqrt(n), which equals sqrt((b + c) - (c - b)^2 / n) / n.
    d = np.concatenate([-np.ones(b), np.ones(c), np.zeros(n - b - c)])
    est = d.mean()
    se = d.std(ddof=0) / math.sqrt(n)
    assert abs(se - math.sqrt(max((b + c) - (c - b) ** 2 / n, 0)) / n) < 1e-12
    if b + c == 0:
        statistic, p_value = 0.0, 1.0
        case["rule"] = "b + c = 0"
    else:
        both = (n - b - c) // 2
        table = np.array([[both, b], [c, n - b - c - both]])
        r = mcnemar(table, exact=False, correction=True)
        statistic, p_value = r.statistic, r.pvalue
    case.update(estimate=f(est), ci_low=f(est - Z * se), ci_high=f(est + Z * se),
                statistic=f(statistic), p_value=f(p_value))
    return case


def panel_cases():
    fixed = [
        (0, 0, 0), (1, 0, 0), (5, 0, 0), (10, 2, 5), (9, 3, 3), (2, 1, 1), (1, 1, 0), (1, 0, 1),
        (3, 0, 3), (3, 3, 0), (40, 0, 1), (40, 1, 0), (100, 4, 30), (100, 30, 4), (200, 12, 13),
        (20000, 5000, 5600), (1_000_000, 20_000, 21_000), (1_000_000, 1, 400_000),
    ]
    rng = np.random.default_rng(20240604)
    for _ in range(25):
        n = int(rng.integers(1, 4000))
        b = int(rng.integers(0, n + 1))
        c = int(rng.integers(0, n - b + 1))
        fixed.append((n, b, c))
    return [panel_case(*c) for c in fixed]


def main():
    survey = survey_cases()
    doc = {
        "z_975": Z,
        "wilson": wilson_cases(),
        "difference": difference_cases(),
        "survey": survey,
        "survey_difference": survey_difference_cases(survey),
        "panel": panel_cases(),
    }
    # One case per line: reviewable diffs, and a stable byte-for-byte output.
    out = ["{"]
    keys = list(doc)
    for i, k in enumerate(keys):
        sep = "," if i < len(keys) - 1 else ""
        v = doc[k]
        if isinstance(v, list):
            out.append(f' "{k}": [')
            for j, case in enumerate(v):
                line = json.dumps(case, separators=(",", ":"), allow_nan=False)
                out.append("  " + line + ("," if j < len(v) - 1 else ""))
            out.append(" ]" + sep)
        else:
            out.append(f' "{k}": {json.dumps(v, allow_nan=False)}{sep}')
    out.append("}")
    sys.stdout.write("\n".join(out) + "\n")


if __name__ == "__main__":
    main()
