//! Tails of the standard normal and chi-square(1) distributions.
//!
//! Both reduce to the complementary error function, taken from `libm` (FreeBSD msun's `erfc`,
//! accurate to < 1 ulp over the whole line and pure Rust, so it also runs in wasm). Computing the
//! upper tail directly keeps its relative accuracy for tiny p-values, where `1 − Φ(x)` would cancel.

use std::f64::consts::FRAC_1_SQRT_2;

/// Upper tail of the standard normal distribution, `P(Z > x) = erfc(x / √2) / 2`.
pub fn normal_sf(x: f64) -> f64 {
    0.5 * libm::erfc(x * FRAC_1_SQRT_2)
}

/// Two-sided p-value of a standard normal statistic, `2 P(Z > |z|) = erfc(|z| / √2)`.
pub fn two_sided_p(z: f64) -> f64 {
    libm::erfc(z.abs() * FRAC_1_SQRT_2)
}

/// Upper tail of the chi-square distribution with 1 degree of freedom:
/// `P(X > x) = P(|Z| > √x) = erfc(√(x / 2))`; 1 for x ≤ 0.
pub fn chi2_1_sf(x: f64) -> f64 {
    if x <= 0.0 {
        return 1.0;
    }
    libm::erfc((0.5 * x).sqrt())
}
