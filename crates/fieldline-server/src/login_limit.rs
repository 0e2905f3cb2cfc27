//! Slowing down password guessing: after a few failed sign-ins for one email, or from one client
//! address, further tries wait, twice as long after each new failure.
//!
//! The counts live in this process's memory: a restart forgets them, and several servers behind
//! one database count separately. That is enough against guessing through one server (argon2id
//! already costs each guess tens of milliseconds); a deployment with several servers would move
//! the counts into the database.

use std::collections::HashMap;
use std::net::IpAddr;
use std::sync::Mutex;
use std::time::{Duration, Instant};

/// Failed sign-ins for one email before the next must wait.
pub const EMAIL_FREE_FAILURES: u32 = 5;
/// Failed sign-ins from one address before the next must wait: more than for an email, because
/// an office or a field team shares one address behind NAT.
pub const ADDRESS_FREE_FAILURES: u32 = 20;
/// The first wait; each further failure doubles it.
pub const FIRST_WAIT: Duration = Duration::from_secs(30);
/// The longest wait, so a person locked out by someone guessing their email gets back in.
pub const LONGEST_WAIT: Duration = Duration::from_secs(15 * 60);
/// Failures older than this (counted from the latest) are forgotten.
const FORGET_AFTER: Duration = Duration::from_secs(60 * 60);
/// Beyond this many remembered keys, forgotten ones are swept out first.
const SWEEP_ABOVE: usize = 10_000;

#[derive(Debug, Clone, Copy)]
struct Failures {
    count: u32,
    latest: Instant,
}

impl Failures {
    /// Until when another try must wait, if it must.
    fn blocked_until(&self, free: u32) -> Option<Instant> {
        let over = self.count.checked_sub(free)?;
        let wait = FIRST_WAIT
            .checked_mul(2u32.saturating_pow(over))
            .map_or(LONGEST_WAIT, |w| w.min(LONGEST_WAIT));
        Some(self.latest + wait)
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Hash)]
enum Key {
    Email(String),
    Address(IpAddr),
}

impl Key {
    fn free_failures(&self) -> u32 {
        match self {
            Key::Email(_) => EMAIL_FREE_FAILURES,
            Key::Address(_) => ADDRESS_FREE_FAILURES,
        }
    }
}

/// The failed sign-ins the server remembers.
#[derive(Debug, Default)]
pub struct LoginLimiter {
    failures: Mutex<HashMap<Key, Failures>>,
}

fn keys(email: &str, address: Option<IpAddr>) -> Vec<Key> {
    let mut keys = vec![Key::Email(email.trim().to_lowercase())];
    keys.extend(address.map(Key::Address));
    keys
}

impl LoginLimiter {
    /// How long a sign-in for `email` from `address` must still wait (`None`: it may try now).
    pub fn wait(&self, email: &str, address: Option<IpAddr>, now: Instant) -> Option<Duration> {
        let failures = self.failures.lock().unwrap_or_else(|e| e.into_inner());
        keys(email, address)
            .iter()
            .filter_map(|key| {
                let until = failures.get(key)?.blocked_until(key.free_failures())?;
                until.checked_duration_since(now).filter(|d| !d.is_zero())
            })
            .max()
    }

    /// Counts a failed sign-in against the email and the address.
    pub fn failed(&self, email: &str, address: Option<IpAddr>, now: Instant) {
        let mut failures = self.failures.lock().unwrap_or_else(|e| e.into_inner());
        if failures.len() > SWEEP_ABOVE {
            failures.retain(|_, f| now.saturating_duration_since(f.latest) < FORGET_AFTER);
        }
        for key in keys(email, address) {
            let entry = failures.entry(key).or_insert(Failures {
                count: 0,
                latest: now,
            });
            if now.saturating_duration_since(entry.latest) >= FORGET_AFTER {
                entry.count = 0;
            }
            entry.count = entry.count.saturating_add(1);
            entry.latest = now;
        }
    }

    /// A successful sign-in clears its email's failures. The address keeps its count, so that
    /// one valid account does not reset the count of guesses at others from the same place.
    pub fn succeeded(&self, email: &str) {
        let mut failures = self.failures.lock().unwrap_or_else(|e| e.into_inner());
        failures.remove(&Key::Email(email.trim().to_lowercase()));
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const HERE: Option<IpAddr> = Some(IpAddr::V4(std::net::Ipv4Addr::new(192, 0, 2, 1)));

    #[test]
    fn an_email_waits_after_five_failures_twice_as_long_each_time() {
        let limiter = LoginLimiter::default();
        let start = Instant::now();
        for n in 0..EMAIL_FREE_FAILURES {
            assert_eq!(limiter.wait("a@example.org", HERE, start), None, "{n}");
            limiter.failed("a@example.org", HERE, start);
        }
        assert_eq!(
            limiter.wait("A@Example.org ", None, start),
            Some(FIRST_WAIT),
            "the same email, however written, from anywhere"
        );
        assert_eq!(limiter.wait("b@example.org", None, start), None);
        let later = start + FIRST_WAIT;
        assert_eq!(limiter.wait("a@example.org", HERE, later), None);
        limiter.failed("a@example.org", HERE, later);
        assert_eq!(
            limiter.wait("a@example.org", HERE, later),
            Some(FIRST_WAIT * 2)
        );
        for _ in 0..20 {
            limiter.failed("a@example.org", HERE, later);
        }
        assert_eq!(
            limiter.wait("a@example.org", None, later),
            Some(LONGEST_WAIT)
        );
        limiter.succeeded("a@example.org");
        assert_eq!(limiter.wait("a@example.org", None, later), None);
        // The address still counts those failures.
        assert!(limiter.wait("c@example.org", HERE, later).is_some());
    }

    #[test]
    fn an_address_guessing_many_emails_waits_too() {
        let limiter = LoginLimiter::default();
        let now = Instant::now();
        for n in 0..ADDRESS_FREE_FAILURES {
            assert_eq!(limiter.wait(&format!("{n}@example.org"), HERE, now), None);
            limiter.failed(&format!("{n}@example.org"), HERE, now);
        }
        assert_eq!(limiter.wait("new@example.org", HERE, now), Some(FIRST_WAIT));
        assert_eq!(limiter.wait("new@example.org", None, now), None);
    }

    #[test]
    fn old_failures_are_forgotten() {
        let limiter = LoginLimiter::default();
        let start = Instant::now();
        for _ in 0..EMAIL_FREE_FAILURES {
            limiter.failed("a@example.org", None, start);
        }
        let much_later = start + FORGET_AFTER;
        limiter.failed("a@example.org", None, much_later);
        assert_eq!(limiter.wait("a@example.org", None, much_later), None);
    }
}
