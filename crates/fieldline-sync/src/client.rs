//! The HTTP side: one client per server, every call bounded by timeouts.

use std::collections::HashSet;
use std::io::Write as _;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use fieldline_device_store::{DeviceStore, PreparedRounds, RecordedResults};
use fieldline_protocol::{
    ApiError, DeviceStatus, EnrollRequest, Enrolled, RoundsPage, SubmitBatch, SubmitReply, API,
    BATCH_BYTES, UPLOAD_COMPLETE, UPLOAD_OFFSET,
};
use reqwest::{header, Method, RequestBuilder, Response, StatusCode};
use serde::de::DeserializeOwned;
use serde::Serialize;

use crate::{lock, BatchSize, SyncError};

/// Bytes per attachment upload request.
pub const ATTACHMENT_CHUNK_BYTES: usize = 256 * 1024;

/// How many times in a row an attachment upload may break before the push gives up (each time
/// it asks the server where it stands and goes on from there).
const UPLOAD_ATTEMPTS: u32 = 4;

/// Timeouts and sizes; the defaults suit a slow, flaky rural link.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ClientConfig {
    /// To open a connection (TCP and TLS).
    pub connect_timeout: Duration,
    /// For a whole request, body and answer included.
    pub request_timeout: Duration,
    /// Payload bytes per batch (see [`BATCH_BYTES`]): the most a batch holds, and with
    /// `learn_batch_size` the size a device starts from before it has learned its link.
    pub batch_bytes: usize,
    /// Learn the batch size from the link ([`BatchSize`]) and keep it in the device store;
    /// `false` sends every batch at `batch_bytes`, and a lost batch ends the push.
    pub learn_batch_size: bool,
    /// Bytes per attachment upload request.
    pub chunk_bytes: usize,
}

impl Default for ClientConfig {
    fn default() -> Self {
        Self {
            connect_timeout: Duration::from_secs(10),
            request_timeout: Duration::from_secs(60),
            batch_bytes: BATCH_BYTES,
            learn_batch_size: true,
            chunk_bytes: ATTACHMENT_CHUNK_BYTES,
        }
    }
}

/// How far a push has come, for the outbox screen's progress bar. Bytes are payload and file
/// bytes before compression.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize)]
pub struct Progress {
    pub items_done: u64,
    pub items_total: u64,
    pub bytes_done: u64,
    pub bytes_total: u64,
}

/// What a pull brought.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct PullReport {
    pub pages: usize,
    /// Rounds not held before, by name.
    pub new_rounds: Vec<String>,
    pub new_forms: usize,
    pub cursor: i64,
}

/// What a push did.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct PushReport {
    pub batches: usize,
    /// The server's answers, by outcome, as recorded on the device.
    pub results: RecordedResults,
    /// Items sent but not listed by the reply (they stay queued).
    pub unanswered: usize,
    /// Items held back because one of their files could not be uploaded (they stay queued).
    pub held_back: usize,
    /// Attachment bytes uploaded now (a file the server already held costs none).
    pub attachment_bytes: u64,
    pub attachments_uploaded: usize,
    /// Request bytes of the batches, compressed, as they went over the link (lost ones too).
    pub batch_bytes: u64,
    /// Batches lost on the link and sent again at once as smaller ones.
    pub batches_resent_smaller: usize,
    /// Payload bytes a batch may hold when the push ended (what the device learned).
    pub batch_limit: usize,
    /// The server's view of this device after the last batch.
    pub status: Option<DeviceStatus>,
    /// Why items were held back.
    pub problems: Vec<String>,
}

/// A pull and a push.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct SyncReport {
    pub pull: PullReport,
    pub push: PushReport,
}

/// What the server holds of an attachment.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Held {
    /// Bytes held so far (0: none).
    Partial(u64),
    /// Whole, its hash checked.
    Complete,
}

/// A client for one campaign server, with the device's token once enrolled. Cheap to clone.
#[derive(Clone)]
pub struct SyncClient {
    http: reqwest::Client,
    base: String,
    token: Option<Arc<str>>,
    config: ClientConfig,
}

impl std::fmt::Debug for SyncClient {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SyncClient")
            .field("server", &self.base)
            .field("enrolled", &self.token.is_some())
            .field("config", &self.config)
            .finish()
    }
}

impl SyncClient {
    /// A client for `server_url` (`http://HOST:PORT` or `https://HOST`, without `/api/v1`),
    /// with the device token once enrolled, and the default timeouts (connect 10 s, request
    /// 60 s).
    pub fn new(server_url: &str, token: Option<String>) -> Result<Self, SyncError> {
        Self::with_config(server_url, token, ClientConfig::default())
    }

    pub fn with_config(
        server_url: &str,
        token: Option<String>,
        config: ClientConfig,
    ) -> Result<Self, SyncError> {
        let base = server_url.trim().trim_end_matches('/').to_owned();
        let parsed =
            reqwest::Url::parse(&base).map_err(|_| SyncError::BadUrl(server_url.to_owned()))?;
        if !matches!(parsed.scheme(), "http" | "https") || parsed.host_str().is_none() {
            return Err(SyncError::BadUrl(server_url.to_owned()));
        }
        let http = reqwest::Client::builder()
            .tls_backend_preconfigured(tls_config()?)
            .connect_timeout(config.connect_timeout)
            .timeout(config.request_timeout)
            .gzip(true)
            .user_agent(concat!("fieldline-device/", env!("CARGO_PKG_VERSION")))
            .build()
            .map_err(|e| SyncError::Client(e.to_string()))?;
        Ok(Self {
            http,
            base,
            token: token.map(Arc::from),
            config,
        })
    }

    /// A client for the server the device is enrolled with, with its token.
    pub fn for_store(store: &Mutex<DeviceStore>, config: ClientConfig) -> Result<Self, SyncError> {
        let enrollment = lock(store).enrollment()?.ok_or(SyncError::NotEnrolled)?;
        Self::with_config(
            &enrollment.server_url,
            Some(enrollment.device_token),
            config,
        )
    }

    pub fn server_url(&self) -> &str {
        &self.base
    }

    pub fn config(&self) -> &ClientConfig {
        &self.config
    }

    /// Whether the server answers `/api/v1/health`.
    pub async fn health(&self) -> Result<(), SyncError> {
        let request = self.http.get(self.url("/health"));
        self.send("the health check", request).await.map(drop)
    }

    /// Enrolls with a one-time code; the answer carries the device's token.
    pub async fn enroll(
        &self,
        code: &str,
        device_id: &str,
        label: &str,
    ) -> Result<Enrolled, SyncError> {
        let body = EnrollRequest {
            code: code.trim().to_owned(),
            device_id: device_id.to_owned(),
            label: label.to_owned(),
        };
        let request = self.http.post(self.url("/enroll"));
        let request = gzip_json(request, &body)?;
        let response = self.send("the enrollment", request).await?;
        read_json("the enrollment", response).await
    }

    /// Enrolls the device in `store` (its id from the profile; `label` defaults to the
    /// enumerator's name, else the device id), records the enrollment in the store, and uses
    /// the token from now on.
    pub async fn enroll_device(
        &mut self,
        store: &Mutex<DeviceStore>,
        code: &str,
        label: Option<&str>,
    ) -> Result<Enrolled, SyncError> {
        let profile = lock(store).profile()?;
        let label = label
            .map(str::to_owned)
            .or(profile.username)
            .unwrap_or_else(|| profile.device_id.clone());
        let enrolled = self.enroll(code, &profile.device_id, &label).await?;
        lock(store).enroll_with(&enrolled, &self.base)?;
        self.token = Some(Arc::from(enrolled.device_token.as_str()));
        Ok(enrolled)
    }

    /// `GET /api/v1/device/rounds?after=CURSOR`.
    pub async fn rounds_page(&self, after: i64) -> Result<RoundsPage, SyncError> {
        let request = self.authorized(Method::GET, &format!("/device/rounds?after={after}"))?;
        let response = self.send("the rounds", request).await?;
        read_json("the rounds", response).await
    }

    /// `GET /api/v1/device/status`: what the server holds of this device.
    pub async fn device_status(&self) -> Result<DeviceStatus, SyncError> {
        let request = self.authorized(Method::GET, "/device/status")?;
        let response = self.send("the device status", request).await?;
        read_json("the device status", response).await
    }

    /// Fetches the rounds published after the store's cursor, page by page until no more wait;
    /// each page is applied with its cursor in one store transaction (the engine reads the
    /// workbooks first, without the store).
    pub async fn pull(&self, store: &Mutex<DeviceStore>) -> Result<PullReport, SyncError> {
        let mut cursor = lock(store).rounds_cursor()?;
        let mut report = PullReport {
            cursor,
            ..PullReport::default()
        };
        loop {
            let page = self.rounds_page(cursor).await?;
            let more = page.more;
            let next = page.cursor;
            let prepared = tokio::task::spawn_blocking(move || PreparedRounds::prepare(&page))
                .await
                .map_err(|e| SyncError::Client(format!("reading the forms stopped: {e}")))??;
            let applied = lock(store).apply_prepared_rounds(prepared)?;
            report.pages += 1;
            report.new_forms += applied.new_forms;
            report.new_rounds.extend(applied.new_rounds);
            report.cursor = next;
            if !more {
                return Ok(report);
            }
            if next == cursor {
                return Err(SyncError::BadReply {
                    what: "the rounds".into(),
                    reason: format!("more rounds announced, but the cursor stays at {next}"),
                    cut_short: false,
                });
            }
            cursor = next;
        }
    }

    /// Sends every queued submission once, in device order: first the files each one carries
    /// (resuming partial uploads), then the submissions in gzip-compressed batches of up to
    /// [`ClientConfig::batch_bytes`], sized to what the link carries ([`BatchSize`]: a batch
    /// lost on the way is sent again at once as half as many bytes); records each reply's
    /// outcomes in the store. Items a reply does not list, and items whose files could not be
    /// uploaded, stay queued for the next push. `progress` hears after every file chunk and
    /// every batch.
    pub async fn push(
        &self,
        store: &Mutex<DeviceStore>,
        mut progress: impl FnMut(Progress),
    ) -> Result<PushReport, SyncError> {
        let totals = lock(store).pending_totals()?;
        let mut done = Progress {
            items_total: totals.items,
            bytes_total: totals.payload_bytes + totals.attachment_bytes,
            ..Progress::default()
        };
        progress(done);
        let learn = self.config.learn_batch_size;
        let learned = if learn {
            lock(store).learned_batch_bytes()?
        } else {
            None
        };
        let mut size = BatchSize::new(self.config.batch_bytes, learned);
        let mut report = PushReport {
            batch_limit: size.limit(),
            ..PushReport::default()
        };
        let mut files = FilesSent::default();
        let mut after = 0;
        loop {
            let batch = lock(store).pending_envelopes_after(after, size.limit())?;
            let Some(last) = batch.last() else {
                return Ok(report);
            };
            let resume_after = after;
            after = last.device_seq;
            let mut ready = Vec::with_capacity(batch.len());
            for envelope in batch {
                if self
                    .send_files(
                        store,
                        &envelope,
                        &mut files,
                        &mut report,
                        &mut done,
                        &mut progress,
                    )
                    .await?
                {
                    ready.push(envelope);
                }
            }
            if ready.is_empty() {
                continue;
            }
            let ids: HashSet<String> = ready.iter().map(|e| e.instance_id.clone()).collect();
            let payload_bytes: u64 = ready
                .iter()
                .map(|e| base64_decoded_len(&e.payload) as u64)
                .sum();
            let sent = ready.len();
            let request = self.authorized(Method::POST, "/device/submissions")?;
            let (request, compressed) = gzip_json_sized(request, &SubmitBatch { items: ready })?;
            report.batch_bytes += compressed as u64;
            let reply = match self.submit(request).await {
                Ok(reply) => reply,
                Err(e) if learn && e.is_link_loss() => {
                    let smaller = size.lost(sent, payload_bytes as usize);
                    keep_learned(store, &size);
                    report.batch_limit = size.limit();
                    if !smaller {
                        return Err(e);
                    }
                    tracing::info!(
                        "a batch of {sent} submissions was lost on the link ({e}); sending \
                         batches of up to {} bytes",
                        size.limit()
                    );
                    report.batches_resent_smaller += 1;
                    after = resume_after;
                    continue;
                }
                Err(e) => return Err(e),
            };
            let listed: Vec<_> = reply
                .results
                .into_iter()
                .filter(|r| ids.contains(&r.instance_id))
                .collect();
            let answered: HashSet<&str> = listed.iter().map(|r| r.instance_id.as_str()).collect();
            report.unanswered += sent - answered.len();
            // The server's answer is recorded before anything else can fail.
            let recorded = lock(store).record_results(&listed)?;
            report.results.add(&recorded);
            report.batches += 1;
            report.status = Some(reply.status);
            done.items_done += sent as u64;
            done.bytes_done += payload_bytes;
            progress(done);
            if size.arrived(payload_bytes as usize) && learn {
                keep_learned(store, &size);
            }
            report.batch_limit = size.limit();
        }
    }

    /// Uploads the files `envelope` carries (once per push, resuming partial uploads); whether
    /// the submission can go (`false`: a file could not be uploaded for a reason retrying
    /// will not fix, so the submission is held back for this push).
    async fn send_files(
        &self,
        store: &Mutex<DeviceStore>,
        envelope: &fieldline_protocol::Envelope,
        files: &mut FilesSent,
        report: &mut PushReport,
        done: &mut Progress,
        progress: &mut impl FnMut(Progress),
    ) -> Result<bool, SyncError> {
        if files.held_back.contains(&envelope.instance_id) {
            return Ok(false);
        }
        // A batch sent again after a loss: its files were dealt with (and counted) already.
        if !files.items_done.insert(envelope.instance_id.clone()) {
            return Ok(true);
        }
        for file in &envelope.attachments {
            if files.uploaded.contains(&file.sha256) {
                done.bytes_done += file.size as u64;
                continue;
            }
            let bytes = lock(store).outbox_attachment(&envelope.instance_id, &file.name)?;
            let result = self
                .upload_attachment(&file.sha256, &bytes, |n| {
                    done.bytes_done += n;
                    progress(*done);
                })
                .await;
            match result {
                Ok(sent) => {
                    // Bytes the server already held count as done too.
                    done.bytes_done += (bytes.len() as u64).saturating_sub(sent);
                    report.attachment_bytes += sent;
                    if sent > 0 {
                        report.attachments_uploaded += 1;
                    }
                    files.uploaded.insert(file.sha256.clone());
                }
                Err(e) if e.is_transient() || matches!(e, SyncError::Unauthorized) => {
                    // Counted again when the push is run again.
                    files.items_done.remove(&envelope.instance_id);
                    return Err(e);
                }
                Err(e) => {
                    tracing::warn!(instance_id = %envelope.instance_id, file = %file.name, "held back: {e}");
                    report.held_back += 1;
                    report.problems.push(format!(
                        "{}: the file {} was not uploaded: {e}",
                        envelope.instance_id, file.name
                    ));
                    files.held_back.insert(envelope.instance_id.clone());
                    return Ok(false);
                }
            }
        }
        Ok(true)
    }

    /// One batch's exchange: the request, and its reply read whole.
    async fn submit(&self, request: RequestBuilder) -> Result<SubmitReply, SyncError> {
        let response = self.send("the submissions", request).await?;
        read_json("the submissions", response).await
    }

    /// Pulls, then pushes.
    pub async fn sync(&self, store: &Mutex<DeviceStore>) -> Result<SyncReport, SyncError> {
        self.sync_with_progress(store, |_| {}).await
    }

    pub async fn sync_with_progress(
        &self,
        store: &Mutex<DeviceStore>,
        progress: impl FnMut(Progress),
    ) -> Result<SyncReport, SyncError> {
        let pull = self.pull(store).await?;
        let push = self.push(store, progress).await?;
        Ok(SyncReport { pull, push })
    }

    /// `HEAD /api/v1/device/attachments/SHA256`: what the server holds of a file.
    pub async fn attachment_offset(&self, sha256: &str) -> Result<Held, SyncError> {
        let request = self.authorized(Method::HEAD, &format!("/device/attachments/{sha256}"))?;
        let response = self.http_send("the attachment check", request).await?;
        let response = (response.status() != StatusCode::NOT_FOUND).then_some(response);
        let Some(response) = response else {
            return Ok(Held::Partial(0));
        };
        let response = check_status("the attachment check", response).await?;
        held_of("the attachment check", &response)
    }

    /// `PATCH /api/v1/device/attachments/SHA256` with the bytes from `offset` on; answers what
    /// the server holds afterwards (on a wrong offset, the offset it holds).
    /// `last` says the chunk ends the file (`Upload-Complete: 1`): the server then discards it
    /// unless the whole hashes right.
    pub async fn patch_attachment(
        &self,
        sha256: &str,
        offset: u64,
        chunk: &[u8],
        last: bool,
    ) -> Result<Held, SyncError> {
        self.patch(sha256, offset, chunk, last)
            .await
            .map(|(held, _)| held)
    }

    /// A chunk upload: what the server holds afterwards, and whether it took the chunk (false:
    /// a wrong offset, answered with the right one).
    async fn patch(
        &self,
        sha256: &str,
        offset: u64,
        chunk: &[u8],
        last: bool,
    ) -> Result<(Held, bool), SyncError> {
        let what = "the attachment upload";
        let mut request = self
            .authorized(Method::PATCH, &format!("/device/attachments/{sha256}"))?
            .header(UPLOAD_OFFSET, offset.to_string());
        if last {
            request = request.header(UPLOAD_COMPLETE, "1");
        }
        let request = request
            .header(header::CONTENT_TYPE, "application/offset+octet-stream")
            .body(chunk.to_vec());
        let response = self.http_send(what, request).await?;
        if response.status() == StatusCode::CONFLICT
            && response.headers().contains_key(UPLOAD_OFFSET)
        {
            return Ok((held_of(what, &response)?, false));
        }
        let response = check_status(what, response).await?;
        Ok((held_of(what, &response)?, true))
    }

    /// Uploads a file by its hash, from where the server's copy ends, in chunks of
    /// [`ClientConfig::chunk_bytes`]; a broken request is resumed from the offset the server
    /// then reports. `on_bytes` hears each chunk's size as the server takes it. Returns the
    /// bytes sent now (0 when the server already had the whole file).
    pub async fn upload_attachment(
        &self,
        sha256: &str,
        bytes: &[u8],
        mut on_bytes: impl FnMut(u64),
    ) -> Result<u64, SyncError> {
        let what = "the attachment upload";
        let len = bytes.len() as u64;
        let mut sent = 0u64;
        let mut failures = 0u32;
        // A lost answer to the first check costs nothing: a chunk at a wrong offset is answered
        // with the right one.
        let mut held = match self.attachment_offset(sha256).await {
            Ok(held) => held,
            Err(e) if e.is_transient() => {
                failures += 1;
                Held::Partial(0)
            }
            Err(e) => return Err(e),
        };
        loop {
            let offset = match held {
                Held::Complete => return Ok(sent),
                Held::Partial(offset) if offset >= len => {
                    return Err(SyncError::Status {
                        what: what.into(),
                        status: 422,
                        message: format!(
                            "the server holds {offset} bytes of a {len}-byte file without \
                             recognizing it as {sha256}"
                        ),
                    })
                }
                Held::Partial(offset) => offset,
            };
            let end = (offset + self.config.chunk_bytes.max(1) as u64).min(len);
            match self
                .patch(
                    sha256,
                    offset,
                    &bytes[offset as usize..end as usize],
                    end == len,
                )
                .await
            {
                Ok((now, taken)) => {
                    let reached = match now {
                        Held::Complete => len,
                        Held::Partial(n) => n,
                    };
                    if taken && reached > offset {
                        sent += reached - offset;
                        on_bytes(reached - offset);
                        failures = 0;
                    }
                    held = now;
                }
                Err(e) if e.is_transient() && failures + 1 < UPLOAD_ATTEMPTS => {
                    failures += 1;
                    tracing::debug!(sha256, offset, "upload broke ({e}); resuming");
                    tokio::time::sleep(Duration::from_millis(250 << failures)).await;
                    held = match self.attachment_offset(sha256).await {
                        Ok(h) => h,
                        Err(e) if e.is_transient() => Held::Partial(offset),
                        Err(e) => return Err(e),
                    };
                }
                Err(e) => return Err(e),
            }
        }
    }

    fn url(&self, path: &str) -> String {
        format!("{}{API}{path}", self.base)
    }

    fn authorized(&self, method: Method, path: &str) -> Result<RequestBuilder, SyncError> {
        let token = self.token.as_deref().ok_or(SyncError::NotEnrolled)?;
        Ok(self.http.request(method, self.url(path)).bearer_auth(token))
    }

    /// Sends and checks the status: 401 is [`SyncError::Unauthorized`], any other error status
    /// [`SyncError::Status`] with the server's message.
    async fn send(&self, what: &str, request: RequestBuilder) -> Result<Response, SyncError> {
        let response = self.http_send(what, request).await?;
        check_status(what, response).await
    }

    async fn http_send(&self, what: &str, request: RequestBuilder) -> Result<Response, SyncError> {
        request.send().await.map_err(|e| SyncError::Unreachable {
            url: self.base.clone(),
            reason: describe(what, &e),
            connected: !e.is_connect(),
        })
    }
}

/// The TLS configuration: rustls with ring and Mozilla's root certificates.
fn tls_config() -> Result<rustls::ClientConfig, SyncError> {
    let roots = rustls::RootCertStore {
        roots: webpki_roots::TLS_SERVER_ROOTS.to_vec(),
    };
    let mut config = rustls::ClientConfig::builder_with_provider(Arc::new(
        rustls::crypto::ring::default_provider(),
    ))
    .with_safe_default_protocol_versions()
    .map_err(|e| SyncError::Client(e.to_string()))?
    .with_root_certificates(roots)
    .with_no_client_auth();
    config.alpn_protocols = vec![b"http/1.1".to_vec()];
    Ok(config)
}

fn describe(what: &str, e: &reqwest::Error) -> String {
    let kind = if e.is_timeout() {
        "timed out"
    } else if e.is_connect() {
        "no connection"
    } else {
        "the connection broke"
    };
    let mut detail = e.to_string();
    let mut source = std::error::Error::source(e);
    while let Some(s) = source {
        detail = format!("{detail}: {s}");
        source = s.source();
    }
    format!("{what}: {kind} ({detail})")
}

async fn check_status(what: &str, response: Response) -> Result<Response, SyncError> {
    let status = response.status();
    if status.is_success() {
        return Ok(response);
    }
    if status == StatusCode::UNAUTHORIZED {
        return Err(SyncError::Unauthorized);
    }
    let text = response.text().await.unwrap_or_default();
    let message = serde_json::from_str::<ApiError>(&text)
        .map(|e| e.error)
        .unwrap_or_else(|_| {
            let t = text.trim();
            if t.is_empty() {
                status.canonical_reason().unwrap_or("no reason").to_owned()
            } else {
                t.chars().take(300).collect()
            }
        });
    Err(SyncError::Status {
        what: what.to_owned(),
        status: status.as_u16(),
        message,
    })
}

/// What one push has done with the submissions' files.
#[derive(Default)]
struct FilesSent {
    /// Files the server holds whole, by SHA-256.
    uploaded: HashSet<String>,
    /// Submissions whose files were dealt with.
    items_done: HashSet<String>,
    /// Submissions held back for a file that could not be uploaded.
    held_back: HashSet<String>,
}

/// Keeps the batch size learned for the next push. Only a hint: a store that cannot write it
/// now must not turn a lost batch (worth retrying soon) into a failure that waits long.
fn keep_learned(store: &Mutex<DeviceStore>, size: &BatchSize) {
    if let Some(bytes) = size.learned() {
        if let Err(e) = lock(store).set_learned_batch_bytes(bytes) {
            tracing::warn!("the learned batch size was not kept: {e}");
        }
    }
}

/// The body, whole, parsed as `T`; a truncated or foreign body (a captive portal's page) is a
/// failed attempt, never a success.
async fn read_json<T: DeserializeOwned>(what: &str, response: Response) -> Result<T, SyncError> {
    let bytes = response.bytes().await.map_err(|e| SyncError::BadReply {
        what: what.to_owned(),
        reason: describe("reading the answer", &e),
        cut_short: true,
    })?;
    serde_json::from_slice(&bytes).map_err(|e| SyncError::BadReply {
        what: what.to_owned(),
        reason: e.to_string(),
        // JSON that stops before its end was cut on the way (a body without a length).
        cut_short: e.is_eof(),
    })
}

fn held_of(what: &str, response: &Response) -> Result<Held, SyncError> {
    let headers = response.headers();
    if headers
        .get(UPLOAD_COMPLETE)
        .is_some_and(|v| v.as_bytes() == b"1")
    {
        return Ok(Held::Complete);
    }
    let offset = headers
        .get(UPLOAD_OFFSET)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.trim().parse::<u64>().ok())
        .ok_or_else(|| SyncError::BadReply {
            what: what.to_owned(),
            reason: format!("no {UPLOAD_OFFSET} header"),
            cut_short: false,
        })?;
    Ok(Held::Partial(offset))
}

fn gzip_json(request: RequestBuilder, body: &impl Serialize) -> Result<RequestBuilder, SyncError> {
    gzip_json_sized(request, body).map(|(r, _)| r)
}

/// The body as gzip-compressed JSON, and its compressed size.
fn gzip_json_sized(
    request: RequestBuilder,
    body: &impl Serialize,
) -> Result<(RequestBuilder, usize), SyncError> {
    let mut encoder = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::default());
    serde_json::to_writer(&mut encoder, body)
        .map_err(|e| SyncError::Client(format!("writing the request: {e}")))?;
    encoder
        .flush()
        .map_err(|e| SyncError::Client(format!("compressing the request: {e}")))?;
    let bytes = encoder
        .finish()
        .map_err(|e| SyncError::Client(format!("compressing the request: {e}")))?;
    let len = bytes.len();
    Ok((
        request
            .header(header::CONTENT_TYPE, "application/json")
            .header(header::CONTENT_ENCODING, "gzip")
            .body(bytes),
        len,
    ))
}

/// Bytes a standard base64 string decodes to.
fn base64_decoded_len(s: &str) -> usize {
    let padding = s.bytes().rev().take_while(|&b| b == b'=').count();
    (s.len() / 4 * 3).saturating_sub(padding)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn decoded_lengths_of_base64() {
        assert_eq!(base64_decoded_len(""), 0);
        assert_eq!(base64_decoded_len("YQ=="), 1);
        assert_eq!(base64_decoded_len("YWI="), 2);
        assert_eq!(base64_decoded_len("YWJj"), 3);
    }

    #[test]
    fn server_addresses_are_checked() {
        assert!(SyncClient::new("http://127.0.0.1:8080/", None).is_ok());
        assert_eq!(
            SyncClient::new("https://example.org", None)
                .unwrap()
                .server_url(),
            "https://example.org"
        );
        for bad in ["", "127.0.0.1:8080", "ftp://x", "http://"] {
            assert!(
                matches!(SyncClient::new(bad, None), Err(SyncError::BadUrl(_))),
                "{bad}"
            );
        }
    }

    #[tokio::test]
    async fn calls_needing_the_token_say_the_device_is_not_enrolled() {
        let client = SyncClient::new("http://127.0.0.1:9", None).unwrap();
        assert!(matches!(
            client.rounds_page(0).await,
            Err(SyncError::NotEnrolled)
        ));
    }

    #[tokio::test]
    async fn a_server_that_is_not_there_is_unreachable_and_transient() {
        let client = SyncClient::new("http://127.0.0.1:9", Some("t".into())).unwrap();
        let err = client.health().await.unwrap_err();
        assert!(matches!(err, SyncError::Unreachable { .. }), "{err}");
        // No connection was made, so no batch was lost on the way: nothing to shrink.
        assert!(!err.is_link_loss(), "{err}");
        assert!(err.is_transient());
    }
}
