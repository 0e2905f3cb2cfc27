//! Why a sync did not happen, worded for the person holding the tablet.

use fieldline_device_store::StoreError;

#[derive(Debug, thiserror::Error)]
pub enum SyncError {
    #[error("{0:?} is not a server address; write it as http://HOST:PORT or https://HOST")]
    BadUrl(String),
    #[error("this device is not enrolled with a campaign server; enroll it with a code first")]
    NotEnrolled,
    #[error("cannot reach the server at {url}: {reason}")]
    Unreachable { url: String, reason: String },
    #[error(
        "the server does not accept this device any more (its token was revoked or is \
         unknown); enroll it again with a new code"
    )]
    Unauthorized,
    #[error("the server answered {status} to {what}: {message}")]
    Status {
        what: String,
        status: u16,
        message: String,
    },
    #[error("the server's answer to {what} cannot be read: {reason}")]
    BadReply { what: String, reason: String },
    #[error("the HTTP client cannot be set up: {0}")]
    Client(String),
    #[error(transparent)]
    Store(#[from] StoreError),
}

impl SyncError {
    /// Whether trying again later may succeed by itself (the network, a busy or restarting
    /// server), as opposed to something a person must fix.
    pub fn is_transient(&self) -> bool {
        match self {
            SyncError::Unreachable { .. } | SyncError::BadReply { .. } => true,
            SyncError::Status { status, .. } => *status >= 500 || *status == 408 || *status == 429,
            _ => false,
        }
    }

    /// Whether the exchange broke on the way (no answer, or an answer cut short), as opposed
    /// to a server that answered in full.
    pub fn is_link_loss(&self) -> bool {
        matches!(
            self,
            SyncError::Unreachable { .. } | SyncError::BadReply { .. }
        )
    }
}
