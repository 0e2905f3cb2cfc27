//! How many submissions to put in one batch on this device's link.
//!
//! A batch is answered as a whole, so a link that drops more often than a batch takes to cross
//! would never carry one if batches had a fixed size: every attempt would be lost and sent again.
//! The size is learned instead, as TCP learns its window: a batch lost on the way (the
//! connection broke or timed out before the answer) is sent again at once as half as many bytes,
//! down to a single submission; each batch that arrives lets the next one be twice as large, up
//! to the configured size, except that after a loss the rest of that push keeps the size that
//! worked. The device keeps what it learned, so the next push starts from it.

/// The payload bytes of the next batch, learned from the link.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct BatchSize {
    limit: usize,
    max: usize,
    /// A batch was lost during this push: stay at the size that works until the push ends.
    settled: bool,
    /// What the device keeps for its next push: set by a loss, raised only by a batch that
    /// crossed (a doubled size that was never tried is not kept).
    learned: Option<usize>,
}

impl BatchSize {
    /// Starts from what the device learned before (if anything), never above `max`.
    pub fn new(max: usize, learned: Option<usize>) -> Self {
        let max = max.max(1);
        let learned = learned.map(|bytes| bytes.clamp(1, max));
        Self {
            limit: learned.unwrap_or(max),
            max,
            settled: false,
            learned,
        }
    }

    /// Payload bytes the next batch may hold (the store always gives at least one submission,
    /// however large).
    pub fn limit(&self) -> usize {
        self.limit
    }

    /// The size to keep for the next push; `None` while no batch was ever lost.
    pub fn learned(&self) -> Option<usize> {
        self.learned
    }

    /// A batch of `items` submissions and `payload` bytes was lost on the link. Returns whether
    /// a smaller batch can be tried now (`false` when a single submission was lost: there is
    /// nothing smaller, and the push should give way to the sync loop's backoff).
    pub fn lost(&mut self, items: usize, payload: usize) -> bool {
        self.settled = true;
        if items <= 1 {
            self.learned = Some(self.limit);
            return false;
        }
        // Half of what was actually sent: the last batch of a push can be far below the limit.
        self.limit = (self.limit.min(payload) / 2).max(1);
        self.learned = Some(self.limit);
        true
    }

    /// A batch of `payload` bytes arrived and was answered. Returns whether [`Self::learned`]
    /// changed (a larger batch than the kept size crossed).
    pub fn arrived(&mut self, payload: usize) -> bool {
        // Only a batch that filled the limit says the link carries more: the last, small batch
        // of a push says nothing about a larger one.
        if !self.settled && payload.saturating_mul(2) >= self.limit {
            self.limit = self.limit.saturating_mul(2).min(self.max);
        }
        match self.learned {
            Some(kept) if payload > kept => {
                self.learned = Some(payload.min(self.max));
                true
            }
            _ => false,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const KB: usize = 1024;

    #[test]
    fn a_device_that_learned_nothing_sends_batches_of_the_configured_size() {
        let mut size = BatchSize::new(512 * KB, None);
        assert_eq!(size.limit(), 512 * KB);
        assert!(!size.arrived(400 * KB));
        assert_eq!(size.limit(), 512 * KB);
        assert_eq!(
            size.learned(),
            None,
            "nothing to keep while nothing was lost"
        );
    }

    #[test]
    fn a_lost_batch_is_sent_again_as_half_of_what_was_sent() {
        let mut size = BatchSize::new(512 * KB, None);
        // The last 40 KB of an outbox were lost: half of those, not half of the limit.
        assert!(size.lost(36, 40 * KB));
        assert_eq!(size.limit(), 20 * KB);
        assert!(size.lost(18, 20 * KB));
        assert_eq!(size.limit(), 10 * KB);
        assert_eq!(size.learned(), Some(10 * KB));
    }

    #[test]
    fn after_a_loss_the_push_keeps_the_size_that_worked() {
        let mut size = BatchSize::new(512 * KB, None);
        assert!(size.lost(400, 512 * KB));
        size.arrived(256 * KB);
        size.arrived(256 * KB);
        assert_eq!(size.limit(), 256 * KB);
    }

    #[test]
    fn the_next_push_grows_from_what_was_learned_up_to_the_configured_size() {
        let mut size = BatchSize::new(512 * KB, Some(64 * KB));
        assert_eq!(size.limit(), 64 * KB);
        for expected in [128 * KB, 256 * KB, 512 * KB, 512 * KB] {
            let full = size.limit();
            size.arrived(full);
            assert_eq!(size.limit(), expected);
        }
        // What crossed is kept, up to the configured size.
        assert_eq!(size.learned(), Some(512 * KB));
    }

    #[test]
    fn a_small_last_batch_neither_grows_the_size_nor_is_kept_as_more_than_it_proved() {
        let mut size = BatchSize::new(512 * KB, Some(55 * KB));
        // The outbox held only 20 KB: the link's limit is not tested by it.
        assert!(!size.arrived(20 * KB));
        assert_eq!(size.limit(), 55 * KB);
        assert_eq!(size.learned(), Some(55 * KB));
        // A full batch crossed: the next may be larger, but only what crossed is kept.
        assert!(!size.arrived(55 * KB));
        assert_eq!(size.limit(), 110 * KB);
        assert_eq!(size.learned(), Some(55 * KB));
        assert!(size.arrived(100 * KB));
        assert_eq!(size.learned(), Some(100 * KB));
    }

    #[test]
    fn a_single_lost_submission_gives_way_to_the_backoff() {
        let mut size = BatchSize::new(512 * KB, Some(2 * KB));
        assert!(!size.lost(1, 90 * KB));
        assert_eq!(size.limit(), 2 * KB);
    }

    #[test]
    fn what_was_learned_never_exceeds_a_smaller_configured_size() {
        assert_eq!(BatchSize::new(16 * KB, Some(512 * KB)).limit(), 16 * KB);
        assert_eq!(BatchSize::new(16 * KB, Some(0)).limit(), 1);
    }

    #[test]
    fn halving_always_reaches_a_single_submission() {
        let mut size = BatchSize::new(512 * KB, None);
        let mut retries = 0;
        let (mut items, mut payload) = (470usize, 512 * KB);
        while size.lost(items, payload) {
            retries += 1;
            // About 1.1 KB a submission, as the campaign form's interviews are.
            items = (size.limit() / 1_115).max(1);
            payload = items * 1_115;
            assert!(retries < 20, "never gave way");
        }
        assert!(retries <= 10, "{retries} retries");
    }
}
