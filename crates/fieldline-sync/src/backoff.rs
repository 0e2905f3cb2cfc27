//! Exponential backoff with jitter for probing a server that does not answer.

use std::time::Duration;

/// Delays that double from `initial` up to `max`, each spread by ±`jitter` (a fraction) so that
/// many tablets coming back online together do not knock at the same instant.
#[derive(Debug, Clone)]
pub struct Backoff {
    initial: Duration,
    max: Duration,
    jitter: f64,
    next: Duration,
}

impl Backoff {
    pub fn new(initial: Duration, max: Duration, jitter: f64) -> Self {
        Self {
            initial,
            max,
            jitter: jitter.clamp(0.0, 1.0),
            next: initial,
        }
    }

    /// The delay before the next attempt; the one after doubles, up to the maximum.
    pub fn next_delay(&mut self) -> Duration {
        let base = self.next;
        self.next = (self.next * 2).min(self.max);
        let spread = 1.0 + self.jitter * (2.0 * fastrand::f64() - 1.0);
        base.mul_f64(spread)
    }

    /// Back to the initial delay, after the server answered.
    pub fn reset(&mut self) {
        self.next = self.initial;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn delays_double_up_to_the_maximum_within_the_jitter() {
        let mut backoff = Backoff::new(Duration::from_secs(1), Duration::from_secs(300), 0.2);
        let expected = [1u64, 2, 4, 8, 16, 32, 64, 128, 256, 300, 300, 300];
        for base in expected {
            let d = backoff.next_delay().as_secs_f64();
            let base = base as f64;
            assert!(
                (base * 0.8..=base * 1.2).contains(&d),
                "{d} not within 20% of {base}"
            );
        }
        backoff.reset();
        assert!(backoff.next_delay() <= Duration::from_millis(1200));
    }

    #[test]
    fn the_jitter_spreads_the_delays() {
        let delays: std::collections::BTreeSet<_> = (0..20)
            .map(|_| Backoff::new(Duration::from_secs(10), Duration::from_secs(60), 0.2))
            .map(|mut b| b.next_delay())
            .collect();
        assert!(delays.len() > 10);
    }
}
