//! Indicator statistics for comparing a baseline round with an endline round.
//!
//! Pure: no I/O, no allocation beyond one vector per survey estimate, builds for native targets and
//! for `wasm32-unknown-unknown`. The methods are fixed (issue 6) so that every number can be checked
//! against standard software; `reference/generate.py` computes reference values with statsmodels,
//! scipy and samplics, and `tests/reference.rs` compares this crate with them to 1e-9.
//!
//! | design | proportion and 95% CI | endline − baseline: CI | p-value |
//! | --- | --- | --- | --- |
//! | [`Design::Simple`] | Wilson score (statsmodels `proportion_confint(method="wilson")`) | Newcombe's hybrid score (`confint_proportions_2indep(method="newcomb", compare="diff")`) | pooled two-proportion z-test (`proportions_ztest`) |
//! | [`Design::Survey`] | Hajek weighted proportion, Taylor-linearised SE, clusters as PSUs with replacement (samplics `TaylorEstimator`, R `survey::svymean`), Wald CI | normal, SE = √(SE_b² + SE_e²) | normal, two-sided |
//! | panel ([`panel_difference`]) | — | paired difference (c − b)/n, Wald | McNemar, continuity-corrected (statsmodels `mcnemar(exact=False, correction=True)`) |
//!
//! Counts (`n`, `successes`, `pairs`, ...) are always unweighted.

mod dist;
mod survey;

pub use dist::{chi2_1_sf, normal_sf, two_sided_p};
pub use survey::{ObsSums, SurveySums};

use serde::ser::SerializeStruct;
use serde::{Serialize, Serializer};

/// The 97.5% quantile of the standard normal distribution (`scipy.stats.norm.isf(0.025)`): the
/// critical value of every 95% interval in this crate.
pub const Z_975: f64 = 1.959963984540054;

/// One submission's contribution to an indicator in a round: counted in the denominator.
///
/// `weight` must be finite and non-negative (the caller rejects anything else when it reads the
/// weight column); `cluster` is a dense id from 0 interned by the caller, or
/// [`Obs::OWN_CLUSTER`]. Both are ignored by [`Design::Simple`].
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Obs {
    pub success: bool,
    pub weight: f64,
    pub cluster: u32,
}

impl Obs {
    /// The cluster id of an observation that is a cluster on its own: what a survey design without
    /// a cluster column uses for every observation. Same result as giving each observation a
    /// distinct id, without the per-cluster vector (and its 16+ bytes per observation).
    pub const OWN_CLUSTER: u32 = u32::MAX;
}

/// How the sample was drawn.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Design {
    /// A simple random sample: every observation has weight 1 and is its own sampling unit.
    #[default]
    Simple,
    /// `--cluster` and/or `--weight` given: each observation is its own cluster when there is no
    /// cluster column, and has weight 1 when there is no weight column.
    Survey,
}

/// One round's estimate of an indicator for one group.
///
/// # JSON
///
/// Serialized as `{"n", "successes", "p", "ci_low", "ci_high"}` for [`Design::Simple`] and as
/// `{"n", "successes", "p", "ci_low", "ci_high", "se", "deff"}` for [`Design::Survey`], where `se`
/// and `deff` are always present and may be `null` (issue 6's stable shape: "plus "se" and "deff"
/// with --cluster/--weight"). The serializer decides from [`Estimate::design`], which is itself not
/// serialized; so `se`/`deff` keep the plain `Option<f64>` type and an empty survey group
/// (`estimate(&[], Design::Survey)`) still carries both keys as `null`. Build empty estimates with
/// [`estimate`] or [`Estimate::empty`] rather than `Estimate::default()` (which is a simple-design
/// estimate) so the keys follow the design.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Estimate {
    /// Observations in the denominator (unweighted).
    pub n: u64,
    /// Observations counted as a success (unweighted).
    pub successes: u64,
    /// The proportion: `successes / n`, or the Hajek weighted proportion for a survey design.
    /// `None` when `n` is 0 (or every weight is 0).
    pub p: Option<f64>,
    /// Lower end of the 95% confidence interval.
    pub ci_low: Option<f64>,
    /// Upper end of the 95% confidence interval.
    pub ci_high: Option<f64>,
    /// Standard error of `p` (survey design only; `None` with one cluster).
    pub se: Option<f64>,
    /// Design effect `var / (p (1 − p) / n)` (survey design only; `None` when `p` is 0 or 1 or the
    /// variance is undefined).
    pub deff: Option<f64>,
    /// The design this estimate was computed under: decides whether `se` and `deff` are serialized.
    pub design: Design,
}

impl Estimate {
    /// The estimate of a group with no observations: counts 0, every estimate `None`.
    pub fn empty(design: Design) -> Self {
        Estimate {
            design,
            ..Estimate::default()
        }
    }
}

impl Serialize for Estimate {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        let survey = self.design == Design::Survey;
        let mut s = serializer.serialize_struct("Estimate", if survey { 7 } else { 5 })?;
        s.serialize_field("n", &self.n)?;
        s.serialize_field("successes", &self.successes)?;
        s.serialize_field("p", &self.p)?;
        s.serialize_field("ci_low", &self.ci_low)?;
        s.serialize_field("ci_high", &self.ci_high)?;
        if survey {
            s.serialize_field("se", &self.se)?;
            s.serialize_field("deff", &self.deff)?;
        } else {
            s.skip_field("se")?;
            s.skip_field("deff")?;
        }
        s.end()
    }
}

/// Endline minus baseline for one indicator and group.
///
/// `estimate`, `ci_low`, `ci_high` and `p_value` are always serialized (possibly `null`); the panel
/// fields only when set, which [`panel_difference`] does and the independent-sample functions do
/// not.
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
pub struct Difference {
    /// `p_endline − p_baseline`, or the paired difference `(c − b) / pairs` for a panel.
    pub estimate: Option<f64>,
    pub ci_low: Option<f64>,
    pub ci_high: Option<f64>,
    /// Two-sided p-value of "no change".
    pub p_value: Option<f64>,
    /// Panel only: matched pairs.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub pairs: Option<u64>,
    /// Panel only: pairs with success at baseline and failure at endline (b).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub yes_to_no: Option<u64>,
    /// Panel only: pairs with failure at baseline and success at endline (c).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub no_to_yes: Option<u64>,
    /// Panel only: McNemar's continuity-corrected chi-square statistic.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub statistic: Option<f64>,
}

/// Proportion, 95% CI and (survey design) SE and design effect of one round's observations.
///
/// O(n), one pass over `obs`, no sorting. [`Design::Simple`] allocates nothing; [`Design::Survey`]
/// allocates one vector indexed by cluster id (length = the largest id + 1; none when every
/// observation is [`Obs::OWN_CLUSTER`]). Callers that sort rows into many groups need not
/// collect each group's observations first: [`SurveySums`] takes them one at a time and gives
/// the same estimate.
///
/// # Simple random sample
///
/// `p = successes / n` and the Wilson score interval, exactly as statsmodels'
/// `proportion_confint(method="wilson")` computes it (including its clip to [0, 1], which only
/// removes rounding error).
///
/// # Survey design
///
/// The Hajek proportion `p = Σ w_i y_i / Σ w_i` and its Taylor-linearised variance with the
/// clusters as primary sampling units drawn with replacement (one stratum):
///
/// `var = C / (C − 1) · Σ_c (z_c − z̄)²`, `z_c = Σ_{i∈c} w_i (y_i − p) / Σ_i w_i`,
///
/// where C is the number of clusters with at least one observation in `obs` (each
/// [`Obs::OWN_CLUSTER`] observation counting as one). This is samplics'
/// `TaylorEstimator` and R's `svymean` on a design built from exactly these rows. (R's domain
/// estimation on a subset of a larger design would count every cluster of the design, including
/// those with no row in the group; since `z̄ = 0` those add nothing to the sum, so the two differ
/// only in the factor `C / (C − 1)`.)
///
/// The interval is the Wald interval `p ± Z_975 · SE`, not clipped to [0, 1]: that is what R's
/// `confint(svymean(...))` reports (normal quantile, no clipping). samplics reports a different
/// interval for proportions (logit-transformed, with a t quantile on C − 1 degrees of freedom), so
/// the reference tests take p and SE from samplics and the interval from the formula.
///
/// `deff = var / (p (1 − p) / n)` with the unweighted n; `None` when p is 0 or 1.
///
/// With a single cluster (C = 1) the between-cluster variance has no degrees of freedom: the
/// factor C / (C − 1) is 1/0 and the one deviation `z_1 − z̄` is 0 by construction, so the sample
/// says nothing about how much p would vary between samples. `se`, the interval and `deff` are then
/// `None` rather than a misleading 0 (samplics reports 0; R's survey refuses a lone PSU by default).
///
/// When every weight is 0, `p` is undefined and every estimate is `None`.
pub fn estimate(obs: &[Obs], design: Design) -> Estimate {
    match design {
        Design::Simple => {
            let successes = obs.iter().filter(|o| o.success).count() as u64;
            simple_estimate(successes, obs.len() as u64)
        }
        Design::Survey => {
            let mut sums = SurveySums::new();
            obs.iter().for_each(|&o| sums.add(o));
            sums.estimate()
        }
    }
}

/// The Wilson interval for `successes` out of `n` (statsmodels' arithmetic, clipped to [0, 1], with
/// the exact end 0 at 0/n and 1 at n/n). `None` when `n` is 0.
pub fn wilson(successes: u64, n: u64) -> Option<(f64, f64)> {
    if n == 0 {
        return None;
    }
    let nf = n as f64;
    let q = successes as f64 / nf;
    let crit2 = Z_975 * Z_975;
    let denom = 1.0 + crit2 / nf;
    let center = (q + crit2 / (2.0 * nf)) / denom;
    let dist = Z_975 * (q * (1.0 - q) / nf + crit2 / (4.0 * nf * nf)).sqrt() / denom;
    // At 0/n and n/n the interval touches 0 or 1 exactly; the arithmetic above can miss by an ulp.
    let low = if successes == 0 { 0.0 } else { center - dist };
    let high = if successes == n { 1.0 } else { center + dist };
    Some((low.clamp(0.0, 1.0), high.clamp(0.0, 1.0)))
}

/// A simple-random-sample estimate from counts alone (`successes ≤ n`).
pub fn simple_estimate(successes: u64, n: u64) -> Estimate {
    let Some((lo, hi)) = wilson(successes, n) else {
        return Estimate::empty(Design::Simple);
    };
    Estimate {
        n,
        successes,
        p: Some(successes as f64 / n as f64),
        ci_low: Some(lo),
        ci_high: Some(hi),
        se: None,
        deff: None,
        design: Design::Simple,
    }
}

/// Endline minus baseline from the two rounds' observations (independent samples).
///
/// Same as [`difference_of`] applied to `estimate(baseline, design)` and
/// `estimate(endline, design)`; callers that already hold both estimates should call
/// [`difference_of`] and skip the second pass over the data.
pub fn difference(baseline: &[Obs], endline: &[Obs], design: Design) -> Difference {
    difference_of(&estimate(baseline, design), &estimate(endline, design))
}

/// Endline minus baseline from two estimates of the same design (independent samples).
///
/// Null (every field `None`) when either side has no estimate (n = 0).
///
/// # Simple random sample
///
/// Newcombe's hybrid score interval (his method 10) from the two Wilson intervals, as statsmodels'
/// `confint_proportions_2indep(count_e, n_e, count_b, n_b, method="newcomb", compare="diff")`:
/// `low = d − √((p_e − l_e)² + (u_b − p_b)²)`, `high = d + √((u_e − p_e)² + (p_b − l_b)²)`.
/// The p-value is the pooled two-proportion z-test (statsmodels `proportions_ztest`):
/// `z = d / √(p̂ (1 − p̂) (1/n_e + 1/n_b))` with the pooled `p̂`, `p = 2 Φ(−|z|)`; when `p̂` is 0 or
/// 1 both rounds agree completely and the p-value is 1 (statsmodels returns NaN there).
///
/// # Survey design
///
/// `d ± Z_975 · SE` with `SE = √(SE_b² + SE_e²)` and `p = 2 Φ(−|d| / SE)`. When either side's SE
/// is undefined (one cluster) the interval and p-value are `None`. When SE is 0 (each round
/// without variation between its clusters, e.g. p = 0 in one round and 1 in the other) the
/// interval is the point `[d, d]` and the p-value is the limit of the test: 1 if d = 0, else 0.
///
/// Two estimates of different designs (which the CLI never produces) are compared with the survey
/// method when either is a survey estimate.
pub fn difference_of(baseline: &Estimate, endline: &Estimate) -> Difference {
    let (Some(pb), Some(pe)) = (baseline.p, endline.p) else {
        return Difference::default();
    };
    if baseline.n == 0 || endline.n == 0 {
        return Difference::default();
    }
    let d = pe - pb;
    if baseline.design == Design::Survey || endline.design == Design::Survey {
        let mut out = Difference {
            estimate: Some(d),
            ..Difference::default()
        };
        let (Some(sb), Some(se_e)) = (baseline.se, endline.se) else {
            return out;
        };
        let se = (sb * sb + se_e * se_e).sqrt();
        out.ci_low = Some(d - Z_975 * se);
        out.ci_high = Some(d + Z_975 * se);
        out.p_value = Some(if se > 0.0 {
            two_sided_p(d / se)
        } else if d == 0.0 {
            1.0
        } else {
            0.0
        });
        return out;
    }
    simple_difference(baseline.successes, baseline.n, endline.successes, endline.n)
}

/// Endline minus baseline for two simple random samples given by their counts: Newcombe's
/// interval and the pooled z-test p-value (see [`difference_of`]). Null when either n is 0.
pub fn simple_difference(
    baseline_successes: u64,
    baseline_n: u64,
    endline_successes: u64,
    endline_n: u64,
) -> Difference {
    let (Some((lb, ub)), Some((le, ue))) = (
        wilson(baseline_successes, baseline_n),
        wilson(endline_successes, endline_n),
    ) else {
        return Difference::default();
    };
    let (nb, ne) = (baseline_n as f64, endline_n as f64);
    let pb = baseline_successes as f64 / nb;
    let pe = endline_successes as f64 / ne;
    let d = pe - pb;
    let d_low = ((pe - le).powi(2) + (ub - pb).powi(2)).sqrt();
    let d_upp = ((pb - lb).powi(2) + (ue - pe).powi(2)).sqrt();

    let pooled = (baseline_successes + endline_successes) as f64 / (nb + ne);
    let p_value = if pooled <= 0.0 || pooled >= 1.0 {
        1.0
    } else {
        let sd = (pooled * (1.0 - pooled) * (1.0 / ne + 1.0 / nb)).sqrt();
        two_sided_p(d / sd)
    };
    Difference {
        estimate: Some(d),
        ci_low: Some(d - d_low),
        ci_high: Some(d + d_upp),
        p_value: Some(p_value),
        ..Difference::default()
    }
}

/// Panel: endline minus baseline for the same people, one `(baseline success, endline success)`
/// per matched pair. O(n), no allocation.
pub fn panel_difference(pairs: &[(bool, bool)]) -> Difference {
    let (mut b, mut c) = (0u64, 0u64);
    for &(base, end) in pairs {
        match (base, end) {
            (true, false) => b += 1,
            (false, true) => c += 1,
            _ => {}
        }
    }
    panel_from_counts(pairs.len() as u64, b, c)
}

/// Panel from its counts: `pairs` matched pairs, `yes_to_no` (b) of them success → failure and
/// `no_to_yes` (c) failure → success.
///
/// * The paired difference `(c − b) / n` with the Wald interval, `SE = √((b + c) − (c − b)² / n) / n`.
/// * McNemar's test with continuity correction, as statsmodels'
///   `mcnemar(table, exact=False, correction=True)`: `statistic = (|b − c| − 1)² / (b + c)`,
///   p-value from chi-square with 1 degree of freedom. Like statsmodels (and R's `mcnemar.test`)
///   the correction is not floored at 0, so b = c > 0 gives `1 / (b + c)`.
/// * No discordant pairs (b + c = 0): nobody changed, so the statistic is 0 and the p-value 1
///   (statsmodels divides by zero there and returns statistic ∞ with p-value 0, R returns NaN);
///   the difference is 0 with the interval [0, 0].
/// * No pairs: the counts are 0 and every estimate, the statistic included, is `None`.
pub fn panel_from_counts(pairs: u64, yes_to_no: u64, no_to_yes: u64) -> Difference {
    let mut out = Difference {
        pairs: Some(pairs),
        yes_to_no: Some(yes_to_no),
        no_to_yes: Some(no_to_yes),
        ..Difference::default()
    };
    if pairs == 0 {
        return out;
    }
    let n = pairs as f64;
    let (b, c) = (yes_to_no as f64, no_to_yes as f64);
    let d = (c - b) / n;
    let se = ((b + c) - (c - b) * (c - b) / n).max(0.0).sqrt() / n;
    out.estimate = Some(d);
    out.ci_low = Some(d - Z_975 * se);
    out.ci_high = Some(d + Z_975 * se);
    let discordant = yes_to_no + no_to_yes;
    if discordant == 0 {
        out.statistic = Some(0.0);
        out.p_value = Some(1.0);
    } else {
        let diff = yes_to_no.abs_diff(no_to_yes) as f64;
        let stat = (diff - 1.0).powi(2) / discordant as f64;
        out.statistic = Some(stat);
        out.p_value = Some(chi2_1_sf(stat));
    }
    out
}

#[cfg(test)]
mod tests;
