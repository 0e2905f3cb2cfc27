//! Syncing in the background: probe the server with backoff while it does not answer, sync as
//! soon as it does, and at once when the enumerator taps "Sync now".

use std::sync::{Arc, Mutex};
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use fieldline_device_store::DeviceStore;
use serde::Serialize;
use tokio::sync::{watch, Notify};
use tokio::task::JoinHandle;

use crate::{lock, Backoff, ClientConfig, Progress, SyncClient, SyncError, SyncReport};

/// How the loop waits and retries.
#[derive(Debug, Clone, PartialEq)]
pub struct LoopOptions {
    /// First delay after a failed probe or sync; it doubles up to `backoff_max`.
    pub backoff_initial: Duration,
    pub backoff_max: Duration,
    /// Spread of each delay, as a fraction (0.2: ±20%).
    pub jitter: f64,
    /// After a successful sync, how long until the next one without "Sync now".
    pub idle_interval: Duration,
    pub client: ClientConfig,
}

impl Default for LoopOptions {
    fn default() -> Self {
        Self {
            backoff_initial: Duration::from_secs(1),
            backoff_max: Duration::from_secs(5 * 60),
            jitter: 0.2,
            idle_interval: Duration::from_secs(5 * 60),
            client: ClientConfig::default(),
        }
    }
}

/// What the loop is doing.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Phase {
    /// Not enrolled yet: waiting for "Sync now" after an enrollment.
    NotEnrolled,
    /// Asking whether the server answers.
    #[default]
    Probing,
    Syncing,
    /// The last sync succeeded; waiting for the next.
    Idle,
    /// The server did not answer, or the sync failed: waiting to try again.
    Waiting,
}

/// What the outbox screen shows about sync.
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
pub struct SyncStatus {
    pub phase: Phase,
    /// Of the sync running now, or of the last one.
    pub progress: Progress,
    /// Why the last probe or sync failed; `None` after a success.
    pub last_error: Option<String>,
    /// The last successful sync's report.
    pub last_report: Option<SyncReport>,
    /// When the last sync succeeded, in milliseconds since 1970-01-01T00:00:00Z.
    pub last_success_at: Option<i64>,
    /// In `Waiting` and `Idle`: milliseconds until the next attempt.
    pub next_attempt_in_ms: Option<u64>,
}

/// The background sync task. Dropping it stops the task (a sync in flight stops at its next
/// network call; the store is consistent whenever it stops).
pub struct SyncLoop {
    trigger: Arc<Notify>,
    status: watch::Receiver<SyncStatus>,
    task: JoinHandle<()>,
}

impl SyncLoop {
    /// Starts the loop on the current tokio runtime. It reads the enrollment from the store on
    /// every round, so it may start before the device is enrolled (call [`SyncLoop::sync_now`]
    /// after enrolling).
    pub fn spawn(store: Arc<Mutex<DeviceStore>>, options: LoopOptions) -> Self {
        let trigger = Arc::new(Notify::new());
        let (tx, status) = watch::channel(SyncStatus::default());
        let task = tokio::spawn(run(store, options, trigger.clone(), tx));
        Self {
            trigger,
            status,
            task,
        }
    }

    /// Syncs now: ends any wait at once (a sync running now finishes first, then another runs).
    pub fn sync_now(&self) {
        self.trigger.notify_one();
    }

    /// Watches the status (progress, phase, last error).
    pub fn subscribe(&self) -> watch::Receiver<SyncStatus> {
        self.status.clone()
    }

    /// The status now.
    pub fn status(&self) -> SyncStatus {
        self.status.borrow().clone()
    }
}

impl Drop for SyncLoop {
    fn drop(&mut self) {
        self.task.abort();
    }
}

async fn run(
    store: Arc<Mutex<DeviceStore>>,
    options: LoopOptions,
    trigger: Arc<Notify>,
    status: watch::Sender<SyncStatus>,
) {
    let mut backoff = Backoff::new(options.backoff_initial, options.backoff_max, options.jitter);
    let mut client: Option<(String, String, SyncClient)> = None;
    loop {
        let enrollment = lock(&store).enrollment();
        let enrollment = match enrollment {
            Ok(Some(e)) => e,
            Ok(None) => {
                status.send_modify(|s| {
                    s.phase = Phase::NotEnrolled;
                    s.next_attempt_in_ms = None;
                });
                trigger.notified().await;
                continue;
            }
            Err(e) => {
                let wait = backoff.next_delay();
                fail(&status, &SyncError::Store(e), wait);
                wait_or(&trigger, wait).await;
                continue;
            }
        };
        let current = match &client {
            Some((url, token, c))
                if *url == enrollment.server_url && *token == enrollment.device_token =>
            {
                c.clone()
            }
            _ => match SyncClient::with_config(
                &enrollment.server_url,
                Some(enrollment.device_token.clone()),
                options.client.clone(),
            ) {
                Ok(c) => {
                    client = Some((enrollment.server_url, enrollment.device_token, c.clone()));
                    c
                }
                Err(e) => {
                    fail(&status, &e, options.backoff_max);
                    trigger.notified().await;
                    continue;
                }
            },
        };

        status.send_modify(|s| s.phase = Phase::Probing);
        if let Err(e) = current.health().await {
            let wait = backoff.next_delay();
            fail(&status, &e, wait);
            wait_or(&trigger, wait).await;
            continue;
        }
        status.send_modify(|s| {
            s.phase = Phase::Syncing;
            s.progress = Progress::default();
            s.next_attempt_in_ms = None;
        });
        let result = current
            .sync_with_progress(&store, |p| status.send_modify(|s| s.progress = p))
            .await;
        match result {
            Ok(report) => {
                backoff.reset();
                let wait = options.idle_interval;
                status.send_modify(|s| {
                    s.phase = Phase::Idle;
                    s.last_error = None;
                    s.last_report = Some(report);
                    s.last_success_at = Some(now_millis());
                    s.next_attempt_in_ms = Some(wait.as_millis() as u64);
                });
                wait_or(&trigger, wait).await;
            }
            Err(e) => {
                let wait = if e.is_transient() {
                    backoff.next_delay()
                } else {
                    options.backoff_max
                };
                fail(&status, &e, wait);
                wait_or(&trigger, wait).await;
            }
        }
    }
}

fn fail(status: &watch::Sender<SyncStatus>, error: &SyncError, wait: Duration) {
    tracing::info!("sync: {error}; next attempt in {:.1} s", wait.as_secs_f64());
    status.send_modify(|s| {
        s.phase = Phase::Waiting;
        s.last_error = Some(error.to_string());
        s.next_attempt_in_ms = Some(wait.as_millis() as u64);
    });
}

/// Waits `wait`, or less when "Sync now" is tapped.
async fn wait_or(trigger: &Notify, wait: Duration) {
    tokio::select! {
        _ = tokio::time::sleep(wait) => {}
        _ = trigger.notified() => {}
    }
}

fn now_millis() -> i64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| d.as_millis() as i64)
}
