//! `GET /api/v1/campaigns/{campaign}/rounds/{name}/export?format=csv|xlsx|dta|sav`: a round's
//! submissions as one file (the table of `fieldline_export`, as `fieldline export` writes it),
//! streamed: a blocking thread pages through the storage and writes rows into a bounded
//! channel that is the response body, so memory stays flat however large the round. A partner
//! gets its own organization's submissions only.

use axum::body::Body as HttpBody;
use axum::extract::{Path, Query, State};
use axum::http::{header, HeaderValue};
use axum::response::{IntoResponse, Response};
use fieldline_export::{CsvWriter, DtaWriter, RowWriter, SavWriter, XlsxWriter};
use serde::Deserialize;

use super::rows::{channel, RoundSource};
use super::{ApiError, AppState};
use crate::access::Access;
use crate::auth::PersonAuth;

#[derive(Debug, Deserialize)]
pub struct ExportQuery {
    format: Option<String>,
}

#[derive(Debug, Clone, Copy)]
enum Format {
    Csv,
    Xlsx,
    Dta,
    Sav,
}

impl Format {
    fn parse(s: Option<&str>) -> Result<Self, ApiError> {
        Ok(match s.unwrap_or("csv") {
            "csv" => Format::Csv,
            "xlsx" => Format::Xlsx,
            "dta" => Format::Dta,
            "sav" => Format::Sav,
            other => {
                return Err(ApiError::bad_request(format!(
                    "format {other:?} is not one of csv, xlsx, dta, sav"
                )))
            }
        })
    }

    fn content_type(self) -> &'static str {
        match self {
            Format::Csv => "text/csv; charset=utf-8",
            Format::Xlsx => "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
            Format::Dta => "application/x-stata-dta",
            Format::Sav => "application/x-spss-sav",
        }
    }

    fn extension(self) -> &'static str {
        match self {
            Format::Csv => "csv",
            Format::Xlsx => "xlsx",
            Format::Dta => "dta",
            Format::Sav => "sav",
        }
    }
}

/// A file name made of letters, digits, `-` and `_` only (so it needs no quoting rules).
pub fn file_name(parts: &[&str], extension: &str) -> String {
    let stem: String = parts
        .join("-")
        .chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || c == '-' || c == '_' {
                c.to_ascii_lowercase()
            } else {
                '_'
            }
        })
        .collect();
    format!("{stem}.{extension}")
}

pub fn attachment(name: &str) -> HeaderValue {
    HeaderValue::from_str(&format!("attachment; filename=\"{name}\""))
        .unwrap_or_else(|_| HeaderValue::from_static("attachment"))
}

pub async fn export(
    State(state): State<AppState>,
    PersonAuth(user): PersonAuth,
    Path((id, name)): Path<(String, String)>,
    Query(query): Query<ExportQuery>,
) -> Result<Response, ApiError> {
    let campaign = state.storage.campaign(&id).await?;
    let reach = Access::of(&user).read(campaign.as_ref())?;
    let campaign = campaign.ok_or_else(ApiError::no_campaign)?;
    let format = Format::parse(query.format.as_deref())?;
    let source = RoundSource::open(&state.storage, &campaign, &reach, &name).await?;
    let file = file_name(&[&campaign.name, &source.round.name], format.extension());
    let (out, rx) = channel();
    let handle = tokio::runtime::Handle::current();
    let round_id = source.round.id.clone();
    tokio::task::spawn_blocking(move || {
        let mut out = out;
        let result = (|| {
            let writer: Box<dyn RowWriter + '_> = match format {
                Format::Csv => Box::new(CsvWriter::new(&mut out, &source.layout)?),
                Format::Xlsx => Box::new(XlsxWriter::new(&mut out, &source.layout)?),
                Format::Dta => Box::new(DtaWriter::new(&mut out, &source.layout)?),
                Format::Sav => Box::new(SavWriter::new(&mut out, &source.layout)?),
            };
            source.write_all(&handle, writer)
        })();
        match result {
            Ok(_) => drop(out),
            Err(e) => {
                tracing::warn!(round = %round_id, error = %e, "export stopped");
                out.fail(e.to_string());
            }
        }
    });
    let stream = futures_util::stream::unfold(rx, |mut rx| async move {
        rx.recv().await.map(|chunk| (chunk, rx))
    });
    let mut response = HttpBody::from_stream(stream).into_response();
    let headers = response.headers_mut();
    headers.insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static(format.content_type()),
    );
    headers.insert(header::CONTENT_DISPOSITION, attachment(&file));
    Ok(response)
}
