"""The analysis benchmark's counterpart in pandas and statsmodels (`cargo xtask bench --only analyze`).

    python3 analyze_pandas.py BASELINE.csv ENDLINE.csv BY...

Reads both rounds, evaluates the bench form's 20 indicators as vectorised boolean Series (the
same expressions as its `indicators` sheet, written out in pandas), and for the whole sample and
each value of each BY column (one-way, not crossed) computes per round n, successes, the
proportion and its Wilson interval, and for endline minus baseline Newcombe's hybrid score
interval and the pooled two-proportion z-test: statsmodels' proportion_confint(method="wilson"),
confint_proportions_2indep(method="newcomb", compare="diff") and proportions_ztest. Prints the
report in `fieldline analyze`'s JSON shape with the seconds spent in each step, so the bench can
check that both did the same work.
"""

import json
import sys
import time
import warnings

t0 = time.perf_counter()
import numpy as np  # noqa: E402
import pandas as pd  # noqa: E402
from statsmodels.stats.proportion import (  # noqa: E402
    confint_proportions_2indep,
    proportion_confint,
    proportions_ztest,
)

t_import = time.perf_counter() - t0

COLUMNS = [
    "province", "gender", "education", "age", "youth", "heard_trafficking", "channels",
    "knows_hotline", "hotline", "before_leaving", "signs", "knows_fee_limit", "knows_embassy",
    "view_debt", "view_report", "view_passport", "view_fee", "talked_family",
]


def selected(s, value):
    return (" " + s + " ").str.contains(" " + value + " ", regex=False)


def count_selected(s):
    return np.where(s.str.strip() == "", 0, s.str.strip().str.count(" +") + 1)


def indicators(d):
    """name -> (success Series, denominator Series or None), as the indicators sheet says."""
    heard = d.heard_trafficking == "yes"
    age = pd.to_numeric(d.age, errors="coerce")
    return {
        "heard_trafficking": (heard, None),
        "knows_hotline": ((d.knows_hotline == "yes") & (d.hotline != ""), None),
        "checks_agency": (selected(d.before_leaving, "check_agency"), None),
        "reads_contract": (selected(d.before_leaving, "read_contract"), None),
        "tells_family": (selected(d.before_leaving, "tell_family"), None),
        "two_practices": (pd.Series(count_selected(d.before_leaving) >= 2, index=d.index), None),
        "rejects_debt_work": (d.view_debt.isin(["1", "2"]), None),
        "would_report": (d.view_report.isin(["4", "5"]), None),
        "rejects_passport_keeping": (d.view_passport.isin(["1", "2"]), None),
        "rejects_high_fees": (d.view_fee.isin(["1", "2"]), None),
        "knows_fee_limit": (d.knows_fee_limit == "yes", None),
        "knows_embassy": (d.knows_embassy == "yes", None),
        "knows_two_signs": (pd.Series(count_selected(d.signs) >= 2, index=d.index), heard),
        "knows_debt_bondage": (selected(d.signs, "debt_bondage"), heard),
        "heard_on_radio": (selected(d.channels, "radio"), heard),
        "heard_at_drama": (selected(d.channels, "street_drama"), heard),
        "youth_heard": (heard, d.youth == "yes"),
        "young_and_aware": ((age <= 29) & heard, None),
        "women_know_hotline": (d.knows_hotline == "yes", d.gender == "woman"),
        "talked_with_family": (d.talked_family == "yes", None),
    }


def estimate(n, s):
    if n == 0:
        return {"n": 0, "successes": 0, "p": None, "ci_low": None, "ci_high": None}
    low, high = proportion_confint(s, n, alpha=0.05, method="wilson")
    return {"n": int(n), "successes": int(s), "p": s / n, "ci_low": float(low), "ci_high": float(high)}


def difference(nb, sb, ne, se):
    if nb == 0 or ne == 0:
        return {"estimate": None, "ci_low": None, "ci_high": None, "p_value": None}
    low, high = confint_proportions_2indep(se, ne, sb, nb, method="newcomb", compare="diff")
    pooled = (sb + se) / (nb + ne)
    if pooled in (0.0, 1.0):
        p_value = 1.0
    else:
        _, p_value = proportions_ztest([se, sb], [ne, nb])
    return {"estimate": se / ne - sb / nb, "ci_low": float(low), "ci_high": float(high), "p_value": float(p_value)}


def main():
    baseline_path, endline_path, *by = sys.argv[1:]
    t = time.perf_counter()
    read = lambda p: pd.read_csv(p, usecols=COLUMNS, dtype=str, keep_default_na=False)  # noqa: E731
    rounds = [read(baseline_path), read(endline_path)]
    t_read = time.perf_counter() - t

    t = time.perf_counter()
    outcomes = []  # per round: name -> (in denominator, success) as boolean arrays
    for d in rounds:
        evaluated = {}
        for name, (success, denominator) in indicators(d).items():
            inside = np.ones(len(d), dtype=bool) if denominator is None else denominator.to_numpy(bool)
            evaluated[name] = (inside, success.to_numpy(bool) & inside)
        outcomes.append(evaluated)
    t_indicators = time.perf_counter() - t

    t = time.perf_counter()
    names = list(outcomes[0])
    report = []
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        for name in names:
            groups = []
            for column in [None, *by]:
                counts = []  # per round: DataFrame indexed by group value with n, s
                for d, evaluated in zip(rounds, outcomes):
                    inside, success = evaluated[name]
                    key = pd.Series("", index=d.index) if column is None else d[column]
                    frame = pd.DataFrame({"key": key, "n": inside, "s": success})
                    counts.append(frame.groupby("key", sort=False)[["n", "s"]].sum())
                values = sorted(set(counts[0].index) | set(counts[1].index))
                for value in values:
                    got = [
                        (int(c.at[value, "n"]), int(c.at[value, "s"])) if value in c.index else (0, 0)
                        for c in counts
                    ]
                    (nb, sb), (ne, se) = got
                    groups.append({
                        "group": {} if column is None else {column: value},
                        "baseline": estimate(nb, sb),
                        "endline": estimate(ne, se),
                        "diff": difference(nb, sb, ne, se),
                    })
            report.append({"name": name, "groups": groups})
    t_statistics = time.perf_counter() - t
    print(json.dumps({
        "indicators": report,
        "seconds": {"import": t_import, "read": t_read, "indicators": t_indicators, "statistics": t_statistics},
    }))


if __name__ == "__main__":
    main()
