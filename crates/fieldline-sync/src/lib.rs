//! The device's sync client, shared by the field app and the headless `fieldline device`:
//! enrollment, rounds down, the outbox up, and a background loop that syncs whenever the server
//! answers (see `docs/sync-protocol.md`).
//!
//! # The store is shared, never held across the network
//! Every function takes the device store as `&Mutex<DeviceStore>` (the app shares that mutex
//! with its interview commands) and locks it only around single store calls, each one short
//! query or transaction; the guard is never held across an `.await`. So sync never makes an
//! answer wait for the network, and these futures stay `Send`.
//!
//! # What is marked sent
//! Only items a parsed [`SubmitReply`](fieldline_protocol::SubmitReply) lists, and only items of
//! the batch that reply answers; anything else stays queued and is sent again (see
//! [`DeviceStore::record_results`]).

mod backoff;
mod batch_size;
mod client;
mod error;
mod sync_loop;

use std::sync::{Mutex, MutexGuard};

use fieldline_device_store::DeviceStore;

pub use backoff::Backoff;
pub use batch_size::BatchSize;
pub use client::{
    ClientConfig, Held, Progress, PullReport, PushReport, SyncClient, SyncReport,
    ATTACHMENT_CHUNK_BYTES,
};
pub use error::SyncError;
pub use sync_loop::{LoopOptions, Phase, SyncLoop, SyncStatus};

/// Locks the store for one call. A panic elsewhere while it was held leaves the database
/// consistent (every write is a transaction), so sync goes on with it.
pub(crate) fn lock(store: &Mutex<DeviceStore>) -> MutexGuard<'_, DeviceStore> {
    store
        .lock()
        .unwrap_or_else(|poisoned| poisoned.into_inner())
}
