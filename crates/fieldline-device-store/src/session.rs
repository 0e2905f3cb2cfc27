//! The engine side of a draft: its cached replay. The log is the truth; an `OpenDraft` is only a
//! cache of replaying it with `fieldline_interview`, the same code the UI replays it with.

use fieldline_form::instance::Instance;

/// A draft's replayed instance and the sequence number its next log entry takes.
pub(crate) struct OpenDraft {
    pub instance_id: String,
    pub instance: Instance,
    pub next_seq: i64,
}
