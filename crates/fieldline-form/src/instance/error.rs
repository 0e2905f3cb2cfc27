//! Why the engine refused a change. Every message names the node (its instance path) and what
//! was wrong, so the UI and the CLI can show it as is.

use thiserror::Error;

/// Setting a value was refused (or, for [`InvalidValue`](SetError::InvalidValue) in ODK mode,
/// taken in the changed form ODK would store).
#[derive(Debug, Clone, PartialEq, Eq, Error)]
pub enum SetError {
    #[error("there is no node {node} in this instance (removed with its repeat instance?)")]
    NoSuchNode { node: u32 },
    #[error("{path} is read-only now")]
    ReadOnly { path: String },
    #[error("{path} is a {kind} and cannot be answered")]
    NotSettable { path: String, kind: &'static str },
    #[error("{path} ({kind}) cannot take {value:?}: {reason}")]
    InvalidValue {
        path: String,
        kind: &'static str,
        value: String,
        reason: String,
        /// What ODK's engine stores for this input.
        stored: String,
    },
    /// A rank answer that leaves out an option offered now. ODK's engine refuses it with this
    /// text and keeps the previous value, so nothing is stored even when replaying as ODK.
    #[error(
        "{path} (rank) cannot take {value:?}: There are missing options. Rank should have all \
         options. (missing: {})",
        missing.join(", ")
    )]
    MissingRankOptions {
        path: String,
        value: String,
        missing: Vec<String>,
    },
}

/// An answer key (a name or a path) did not denote a leaf.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
pub enum KeyError {
    #[error("no leaf named {name:?}")]
    UnknownName { name: String },
    #[error("bad path {path:?}: {reason}")]
    BadPath { path: String, reason: String },
}

/// Adding or removing a repeat instance was refused.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
pub enum RepeatError {
    #[error("{what} is not a repeat instance or container of that repeat")]
    NotARepeat { what: String },
    #[error("the number of instances of {path} is set by the form's repeat_count")]
    Counted { path: String },
}

/// [`Instance::set_answer`](super::Instance::set_answer) failed.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
pub enum AnswerError {
    #[error(transparent)]
    Key(#[from] KeyError),
    #[error(transparent)]
    Set(#[from] SetError),
}

impl AnswerError {
    /// A short kind, as the conformance harness names it.
    pub fn kind(&self) -> &'static str {
        match self {
            AnswerError::Key(_) | AnswerError::Set(SetError::NoSuchNode { .. }) => "unknown-key",
            AnswerError::Set(SetError::ReadOnly { .. }) => "readonly",
            AnswerError::Set(SetError::NotSettable { .. }) => "not-settable",
            AnswerError::Set(SetError::InvalidValue { .. }) => "invalid-value",
            // ODK's engine throws for it, which the harness reports as an engine error.
            AnswerError::Set(SetError::MissingRankOptions { .. }) => "engine-error",
        }
    }
}
