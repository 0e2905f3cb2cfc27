//! The survey estimator ([`Design::Survey`]) as running sums, so that a caller grouping a million
//! rows can add each observation (or a pre-added batch of them) straight to its group instead of
//! collecting them first.
//!
//! The Taylor-linearised variance needs, per cluster c, `z_c = Σ_{i∈c} w_i (y_i − p) / W`, which
//! depends on p and so on every observation. But `z_c = (Σ_{i∈c} w_i y_i − p Σ_{i∈c} w_i) / W`:
//! two sums per cluster, known after one pass, give every z_c once p is known. Observations that
//! are their own cluster ([`Obs::OWN_CLUSTER`]) are summed the same way through their squared
//! weights (see [`SurveySums::estimate`]).

use crate::{Design, Estimate, Obs, Z_975};

/// Sums over some observations, all of one cluster (or all their own cluster): what the survey
/// estimator keeps of them. Sums of sums are sums, so a caller may add rows into finer cells than
/// the groups it reports (say, per group of every breakdown at once) and hand each cell to every
/// group it belongs to with [`SurveySums::add_sums`].
#[derive(Debug, Clone, Copy, Default, PartialEq)]
pub struct ObsSums {
    n: u64,
    successes: u64,
    /// Σ w_i.
    w: f64,
    /// Σ w_i y_i.
    wy: f64,
    /// Σ w_i² over the successes and over the failures: only read for observations that are
    /// their own cluster.
    w2_success: f64,
    w2_failure: f64,
}

impl ObsSums {
    /// Add one observation (`weight` finite and non-negative, as for [`crate::estimate`]).
    #[inline]
    pub fn add(&mut self, success: bool, weight: f64) {
        self.n += 1;
        self.successes += u64::from(success);
        // Branch-free: success is unpredictable, and this is the analysis' hot path.
        let y = f64::from(u8::from(success));
        let wy = weight * y;
        let w2 = weight * weight;
        let w2y = w2 * y;
        self.w += weight;
        self.wy += wy;
        self.w2_success += w2y;
        self.w2_failure += w2 - w2y;
    }

    /// Add every observation summed in `other`.
    #[inline]
    pub fn merge(&mut self, other: &ObsSums) {
        self.n += other.n;
        self.successes += other.successes;
        self.w += other.w;
        self.wy += other.wy;
        self.w2_success += other.w2_success;
        self.w2_failure += other.w2_failure;
    }

    /// Observations added (unweighted).
    pub fn n(&self) -> u64 {
        self.n
    }

    /// Successes among them (unweighted).
    pub fn successes(&self) -> u64 {
        self.successes
    }
}

/// Running sums of one round's observations in one group, from which [`SurveySums::estimate`]
/// computes the survey estimate.
///
/// Adding observations one by one and then calling [`SurveySums::estimate`] gives exactly (to the
/// bit) what [`crate::estimate`] gives for the same observations in the same order with the same
/// cluster ids under [`Design::Survey`]: that function is this one. Adding them in batches
/// ([`SurveySums::add_sums`]) adds the same numbers in another order, so the estimate can differ
/// in the last bits. Memory is one [`ObsSums`] per cluster id up to the largest seen, whatever the
/// number of observations.
#[derive(Debug, Clone, Default)]
pub struct SurveySums {
    /// Indexed by cluster id. The totals over all observations are summed from these when the
    /// estimate is made, not per observation: a group's running total would be one long chain
    /// of dependent additions through memory, which is what limits a pass over a million rows.
    clusters: Vec<ObsSums>,
    /// The observations that are their own cluster ([`Obs::OWN_CLUSTER`]).
    own: ObsSums,
}

impl SurveySums {
    /// No observations yet.
    pub fn new() -> Self {
        SurveySums::default()
    }

    /// No observations yet, with room for cluster ids below `clusters` (so that adding never
    /// grows the table when the caller knows how many clusters there are).
    pub fn with_clusters(clusters: usize) -> Self {
        SurveySums {
            clusters: vec![ObsSums::default(); clusters],
            own: ObsSums::default(),
        }
    }

    /// Count one observation in the denominator (`weight` finite and non-negative, as for
    /// [`crate::estimate`]).
    #[inline]
    pub fn add(&mut self, o: Obs) {
        self.sums_of(o.cluster).add(o.success, o.weight);
    }

    /// Count every observation summed in `sums`, all of them of `cluster` (or each its own
    /// cluster, [`Obs::OWN_CLUSTER`]).
    #[inline]
    pub fn add_sums(&mut self, cluster: u32, sums: &ObsSums) {
        self.sums_of(cluster).merge(sums);
    }

    #[inline]
    fn sums_of(&mut self, cluster: u32) -> &mut ObsSums {
        if cluster == Obs::OWN_CLUSTER {
            return &mut self.own;
        }
        let c = cluster as usize;
        if c >= self.clusters.len() {
            self.grow(c);
        }
        &mut self.clusters[c]
    }

    /// Room for cluster id `c`; out of line, as it happens at most once per new largest id.
    #[cold]
    fn grow(&mut self, c: usize) {
        self.clusters.resize(c + 1, ObsSums::default());
    }

    /// The estimate of the observations added so far: the Hajek proportion, its
    /// Taylor-linearised SE with clusters as PSUs drawn with replacement, the Wald interval and
    /// the design effect, as documented on [`crate::estimate`].
    pub fn estimate(&self) -> Estimate {
        let own = &self.own;
        let seen = || self.clusters.iter().filter(|s| s.n > 0);
        let (mut n, mut successes) = (own.n, own.successes);
        let (mut total_w, mut total_wy) = (own.w, own.wy);
        for s in seen() {
            n += s.n;
            successes += s.successes;
            total_w += s.w;
            total_wy += s.wy;
        }
        let mut out = Estimate {
            n,
            successes,
            ..Estimate::empty(Design::Survey)
        };
        if !(total_w > 0.0 && total_w.is_finite()) {
            return out;
        }
        let p = total_wy / total_w;
        out.p = Some(p);

        // z_c = Σ_{i∈c} w_i (y_i − p) / W = (Σ w_i y_i − p Σ w_i) / W.
        let z = |w: f64, wy: f64| (wy - p * w) / total_w;
        // Each observation that is its own cluster counts as one.
        let (mut count, mut sum_z) = (own.n, z(own.w, own.wy));
        for s in seen() {
            count += 1;
            sum_z += z(s.w, s.wy);
        }
        if count < 2 {
            return out;
        }
        let c = count as f64;
        let mean_z = sum_z / c;
        let mut ss: f64 = seen()
            .map(|s| {
                let d = z(s.w, s.wy) - mean_z;
                d * d
            })
            .sum();
        if own.n > 0 {
            // Σ_own (z_i − z̄)² = Σ z_i² − 2 z̄ Σ z_i + m z̄², and with y_i ∈ {0, 1}
            // Σ z_i² = ((1 − p)² Σ_success w_i² + p² Σ_failure w_i²) / W²: two sums of
            // non-negative terms, so nothing cancels. z̄ is 0 up to rounding (Σ_all z = 0 for
            // the Hajek p).
            let sum_z2 =
                ((1.0 - p).powi(2) * own.w2_success + p * p * own.w2_failure) / (total_w * total_w);
            let own_sum_z = z(own.w, own.wy);
            ss += sum_z2 - 2.0 * mean_z * own_sum_z + own.n as f64 * mean_z * mean_z;
            ss = ss.max(0.0);
        }
        let var = c / (c - 1.0) * ss;
        let se = var.sqrt();
        out.se = Some(se);
        out.ci_low = Some(p - Z_975 * se);
        out.ci_high = Some(p + Z_975 * se);
        if p > 0.0 && p < 1.0 {
            out.deff = Some(var / (p * (1.0 - p) / out.n as f64));
        }
        out
    }
}
