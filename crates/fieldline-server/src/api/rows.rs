//! A round's stored submissions as rows of `fieldline_export`'s tables (the respondent-level
//! table, or one repeat's), paged out of the storage into any of its writers, and a byte channel between a blocking writer and an async body (or
//! a blocking reader): what the export and the report share, so neither holds a round.

use std::collections::HashMap;
use std::io::{self, Read, Write};
use std::sync::Arc;

use axum::body::Bytes;
use fieldline_export::{ExportError, Layout, PayloadValues, RowWriter};
use fieldline_form::Form;
use tokio::runtime::Handle;
use tokio::sync::mpsc;

use super::ApiError;
use crate::access::Reach;
use crate::storage::{Campaign, PayloadEncoding, Round, RoundPayload, Storage};

/// Submissions read from the storage at a time.
const PAGE: usize = 500;
/// Bytes gathered before they are handed on.
const CHUNK: usize = 64 * 1024;
/// Chunks in flight between the writer and the reader: with [`CHUNK`], what memory holds.
const CHUNKS_IN_FLIGHT: usize = 4;

/// A round of a campaign, ready to page through.
pub struct RoundSource {
    pub storage: Arc<dyn Storage>,
    pub round: Round,
    pub form: Form,
    /// The respondent-level table unless [`RoundSource::for_repeat`] chose a repeat's.
    pub layout: Layout,
    /// Device id (`fieldline:UUID`) -> organization, for the devices within reach; a
    /// submission from any other device is left out.
    pub devices: Option<HashMap<String, String>>,
}

impl RoundSource {
    /// The round named `name` of `campaign`, with its form, restricted to `reach`.
    pub async fn open(
        storage: &Arc<dyn Storage>,
        campaign: &Campaign,
        reach: &Reach,
        name: &str,
    ) -> Result<Self, ApiError> {
        let rounds = storage.rounds(&campaign.id).await?;
        let round = rounds.into_iter().find(|r| r.name == name).ok_or_else(|| {
            ApiError::not_found(format!("the campaign has no round named {name:?}"))
        })?;
        let (_, definition) = storage
            .round_for_form(&campaign.id, &round.form_id, &round.form_version)
            .await?
            .ok_or_else(|| ApiError::not_found("the round has no form definition"))?;
        let form: Form = serde_json::from_str(&definition).map_err(|e| {
            tracing::error!(round = %round.id, error = %e, "unreadable form definition");
            ApiError::new(
                axum::http::StatusCode::INTERNAL_SERVER_ERROR,
                "the round's form definition cannot be read",
            )
        })?;
        let devices = match reach {
            Reach::All => None,
            Reach::Organization(_) => Some(
                storage
                    .devices(&campaign.id)
                    .await?
                    .into_iter()
                    .filter(|d| reach.covers(&d.organization_id))
                    .map(|d| (d.device_id, d.organization_id))
                    .collect(),
            ),
        };
        let layout = Layout::new(&form);
        Ok(Self {
            storage: storage.clone(),
            round,
            form,
            layout,
            devices,
        })
    }

    /// The same round, its rows those of the repeat named `name` (one per instance, with
    /// `PARENT_KEY` and `KEY`); an unknown name is a bad request naming the form's repeats.
    pub fn for_repeat(mut self, name: &str) -> Result<Self, ApiError> {
        self.layout = Layout::for_repeat(&self.form, name)
            .map_err(|e| ApiError::bad_request(e.to_string()))?;
        Ok(self)
    }

    /// Writes every stored submission within reach into `writer`, a page at a time, and
    /// finishes it. Runs on a blocking thread (`handle` drives the storage). Encrypted
    /// payloads are left out (the server cannot read them); the count of those is returned.
    pub fn write_all(
        &self,
        handle: &Handle,
        mut writer: Box<dyn RowWriter + '_>,
    ) -> Result<u64, ExportError> {
        let mut after = 0;
        let mut encrypted = 0;
        loop {
            let page = handle
                .block_on(
                    self.storage
                        .round_payloads_after(&self.round.id, after, PAGE),
                )
                .map_err(|e| ExportError::Io(io::Error::other(e.to_string())))?;
            let Some(last) = page.last() else { break };
            after = last.seq;
            encrypted += self.rows_of(page, |row| writer.write_row(&row))?;
        }
        writer.finish()?;
        Ok(encrypted)
    }

    /// Calls `visit` with every row of the stored submissions within reach (one per submission
    /// in the respondent-level table), a page at a time, from async code; returns how many
    /// encrypted payloads were left out.
    pub async fn visit_rows(&self, mut visit: impl FnMut(Vec<String>)) -> Result<u64, ApiError> {
        let mut after = 0;
        let mut encrypted = 0;
        loop {
            let page = self
                .storage
                .round_payloads_after(&self.round.id, after, PAGE)
                .await?;
            let Some(last) = page.last() else { break };
            after = last.seq;
            encrypted += self
                .rows_of(page, |row| {
                    visit(row);
                    Ok(())
                })
                .map_err(|e| {
                    tracing::error!(round = %self.round.id, error = %e, "unreadable payload");
                    ApiError::new(
                        axum::http::StatusCode::INTERNAL_SERVER_ERROR,
                        "a stored submission cannot be read",
                    )
                })?;
        }
        Ok(encrypted)
    }

    /// The rows of one page's submissions within reach (a repeat's table has a row per
    /// instance), handed to `each` in order; returns how many encrypted payloads were left out.
    fn rows_of(
        &self,
        page: Vec<RoundPayload>,
        mut each: impl FnMut(Vec<String>) -> Result<(), ExportError>,
    ) -> Result<u64, ExportError> {
        let mut encrypted = 0;
        for item in page {
            if let Some(devices) = &self.devices {
                if !devices.contains_key(&item.device) {
                    continue;
                }
            }
            if item.encoding != PayloadEncoding::Json {
                encrypted += 1;
                continue;
            }
            let values = PayloadValues::parse(&item.payload).map_err(|e| {
                ExportError::Io(io::Error::other(format!(
                    "the stored payload of {} cannot be read: {e}",
                    item.instance_id
                )))
            })?;
            for row in self.layout.rows(
                &values.values,
                &item.instance_id,
                &item.device,
                &item.received_at,
            ) {
                each(row)?;
            }
        }
        Ok(encrypted)
    }
}

/// The writing end of a byte channel: gathers [`CHUNK`] bytes, then waits for room. A reader
/// that went away makes writes fail, which ends the writer.
pub struct ChannelWriter {
    tx: mpsc::Sender<io::Result<Bytes>>,
    buf: Vec<u8>,
}

/// The reading end, for blocking readers.
pub struct ChannelReader {
    rx: mpsc::Receiver<io::Result<Bytes>>,
    current: Bytes,
}

pub fn channel() -> (ChannelWriter, mpsc::Receiver<io::Result<Bytes>>) {
    let (tx, rx) = mpsc::channel(CHUNKS_IN_FLIGHT);
    (
        ChannelWriter {
            tx,
            buf: Vec::with_capacity(CHUNK),
        },
        rx,
    )
}

impl ChannelWriter {
    fn send(&mut self) -> io::Result<()> {
        if self.buf.is_empty() {
            return Ok(());
        }
        let chunk = Bytes::from(std::mem::replace(&mut self.buf, Vec::with_capacity(CHUNK)));
        self.tx
            .blocking_send(Ok(chunk))
            .map_err(|_| io::Error::new(io::ErrorKind::BrokenPipe, "the reader went away"))
    }

    /// Ends the stream with an error, so the reader does not take a cut file for a whole one.
    pub fn fail(self, message: String) {
        let _ = self.tx.blocking_send(Err(io::Error::other(message)));
    }
}

impl Write for ChannelWriter {
    fn write(&mut self, data: &[u8]) -> io::Result<usize> {
        self.buf.extend_from_slice(data);
        if self.buf.len() >= CHUNK {
            self.send()?;
        }
        Ok(data.len())
    }

    fn flush(&mut self) -> io::Result<()> {
        self.send()
    }
}

impl Drop for ChannelWriter {
    fn drop(&mut self) {
        let _ = self.send();
    }
}

impl ChannelReader {
    pub fn new(rx: mpsc::Receiver<io::Result<Bytes>>) -> Self {
        Self {
            rx,
            current: Bytes::new(),
        }
    }
}

impl Read for ChannelReader {
    fn read(&mut self, out: &mut [u8]) -> io::Result<usize> {
        while self.current.is_empty() {
            match self.rx.blocking_recv() {
                Some(chunk) => self.current = chunk?,
                None => return Ok(0),
            }
        }
        let n = out.len().min(self.current.len());
        out[..n].copy_from_slice(&self.current[..n]);
        let _ = self.current.split_to(n);
        Ok(n)
    }
}
