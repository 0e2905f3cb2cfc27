//! An interview in progress, as both sides of the field app see it.
//!
//! The device store keeps a draft as an append-only log of [`Action`]s and replays it through
//! the form engine; the UI (wasm) replays the same log to show relevance and messages at once,
//! without a round trip per keystroke. Both must compute the same instance, so the log's
//! actions, how one is applied ([`apply`]), the engine's environment of a draft
//! ([`DraftFacts::environment`]) and the screens an interview is shown on ([`screens`]) live
//! here, once. No I/O: this crate builds for native and `wasm32-unknown-unknown`.

mod action;
mod check;
mod facts;
mod screens;

pub use action::{apply, find_node, Action, ActionError};
pub use check::check_submission;
pub use facts::DraftFacts;
pub use screens::{
    overview, screens, QuestionStatus, Screen, ScreenKind, StatusEntry, END_SCREEN_KEY,
};
