//! Why a sync did not happen, worded for the person holding the tablet.

use fieldline_device_store::StoreError;

#[derive(Debug, thiserror::Error)]
pub enum SyncError {
    #[error("{0:?} is not a server address; write it as http://HOST:PORT or https://HOST")]
    BadUrl(String),
    #[error("this device is not enrolled with a campaign server; enroll it with a code first")]
    NotEnrolled,
    #[error("cannot reach the server at {url}: {reason}")]
    Unreachable {
        url: String,
        reason: String,
        /// A connection was open when it failed (it broke or timed out mid-exchange), as
        /// opposed to none being made at all.
        connected: bool,
    },
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
    BadReply {
        what: String,
        reason: String,
        /// The answer stopped before its end (the link dropped), as opposed to arriving whole
        /// but unreadable (a captive portal's page).
        cut_short: bool,
    },
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

    /// Whether a request was lost on the way after it had begun to travel: the connection
    /// broke or timed out mid-exchange, the answer was cut short, or a proxy on the way gave up
    /// on a request too slow or too large (408, 413, 504). A smaller request may cross where
    /// this one did not. Not a connection that could not be made, nor a server that answered.
    pub fn is_link_loss(&self) -> bool {
        match self {
            SyncError::Unreachable { connected, .. } => *connected,
            SyncError::BadReply { cut_short, .. } => *cut_short,
            SyncError::Status { status, .. } => matches!(status, 408 | 413 | 504),
            _ => false,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_a_request_lost_on_the_way_is_a_link_loss() {
        let unreachable = |connected| SyncError::Unreachable {
            url: "http://server".into(),
            reason: "r".into(),
            connected,
        };
        let reply = |cut_short| SyncError::BadReply {
            what: "w".into(),
            reason: "r".into(),
            cut_short,
        };
        let status = |status| SyncError::Status {
            what: "w".into(),
            status,
            message: "m".into(),
        };
        assert!(unreachable(true).is_link_loss());
        assert!(!unreachable(false).is_link_loss());
        assert!(reply(true).is_link_loss());
        // A captive portal's page arrived whole: a smaller batch would meet the same page.
        assert!(!reply(false).is_link_loss());
        for lost in [408, 413, 504] {
            assert!(status(lost).is_link_loss(), "{lost}");
        }
        for answered in [400, 500, 503] {
            assert!(!status(answered).is_link_loss(), "{answered}");
        }
    }
}
