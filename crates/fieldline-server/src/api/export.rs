//! `GET /api/v1/campaigns/{campaign}/rounds/{name}/export?format=csv|xlsx|dta|sav[&repeat=NAME][&sensitive=omit|include]`:
//! a round's submissions as one file (a table of `fieldline_export`, as `fieldline export`
//! writes it: the respondent-level table, or with `repeat` that repeat's table, a row per
//! instance with `PARENT_KEY` and `KEY`; an unknown repeat is a 400 naming the form's), streamed: a blocking thread pages through the storage and writes rows into a bounded
//! channel that is the response body, so memory stays flat however large the round. A partner
//! gets its own organization's submissions only. Fields the form marks sensitive (names, phone
//! numbers, GPS) are left out unless `sensitive=include` asks for them: a download that
//! travels by e-mail or sits on a laptop should not identify anyone by default, and the report
//! never needs them.

use axum::body::Body as HttpBody;
use axum::extract::{Path, Query, State};
use axum::http::{header, HeaderValue};
use axum::response::{IntoResponse, Response};
use fieldline_export::{CsvWriter, DtaWriter, RowWriter, SavWriter, XlsxWriter};
use futures_util::StreamExt as _;
use serde::Deserialize;

use super::rows::{channel, RoundSource};
use super::{ApiError, AppState};
use crate::access::Access;
use crate::auth::PersonAuth;

#[derive(Debug, Deserialize)]
pub struct ExportQuery {
    format: Option<String>,
    /// A repeat of the round's form: its table instead of the respondent-level one.
    repeat: Option<String>,
    /// `omit` (the default) or `include` the form's sensitive fields.
    sensitive: Option<String>,
}

/// Whether an export carries the fields the form marks sensitive.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Sensitive {
    Omit,
    Include,
}

impl Sensitive {
    fn parse(s: Option<&str>) -> Result<Self, ApiError> {
        match s.unwrap_or("omit") {
            "omit" => Ok(Sensitive::Omit),
            "include" => Ok(Sensitive::Include),
            other => Err(ApiError::bad_request(format!(
                "sensitive={other:?} is not one of omit, include"
            ))),
        }
    }
}

/// The table to export: the respondent-level one or `repeat`'s, without the sensitive fields
/// unless they are to be included.
fn choose_table(
    mut source: RoundSource,
    repeat: Option<&str>,
    sensitive: Sensitive,
) -> Result<RoundSource, ApiError> {
    if let Some(repeat) = repeat {
        source = source.for_repeat(repeat)?;
    }
    if sensitive == Sensitive::Omit {
        source.layout = source.layout.without_sensitive(&source.form);
    }
    Ok(source)
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
    if !state.storage.campaign_recipients(&id).await?.is_empty() {
        // The readable part of a sealed round is nothing: an empty file would look like a round
        // without fieldwork.
        return Err(ApiError::new(
            axum::http::StatusCode::CONFLICT,
            format!(
                "the campaign {:?} is end-to-end encrypted: the server cannot read its answers; \
                 export with the campaign's key: fieldline export --campaign {:?} --round {name} \
                 --identity fieldline-identity.txt",
                campaign.name, campaign.name
            ),
        ));
    }
    let format = Format::parse(query.format.as_deref())?;
    let sensitive = Sensitive::parse(query.sensitive.as_deref())?;
    if sensitive == Sensitive::Include {
        Access::of(&user).read_sensitive_fields()?;
    }
    let source = RoundSource::open(&state.storage, &campaign, &reach, &name).await?;
    let source = choose_table(source, query.repeat.as_deref(), sensitive)?;
    let mut stem = vec![campaign.name.as_str(), source.round.name.as_str()];
    stem.extend(query.repeat.as_deref());
    let file = file_name(&stem, format.extension());
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
    // Fused: the compression layer polls its body once more after the end, which an unfused
    // unfold answers with a panic (and the browser with a failed download).
    let stream = futures_util::stream::unfold(rx, |mut rx| async move {
        rx.recv().await.map(|chunk| (chunk, rx))
    })
    .fuse();
    let mut response = HttpBody::from_stream(stream).into_response();
    let headers = response.headers_mut();
    headers.insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static(format.content_type()),
    );
    headers.insert(header::CONTENT_DISPOSITION, attachment(&file));
    Ok(response)
}

#[cfg(test)]
mod tests {
    use std::sync::Arc;

    use fieldline_export::CsvWriter;
    use fieldline_form::{Attachments, Form};

    use super::*;
    use crate::access::Reach;
    use crate::secrets::{enrollment_code_hash, sha256_hex};
    use crate::storage::{
        open_storage, Campaign, DatabaseUrl, Incoming, NewRound, Outcome, PayloadEncoding, Storage,
    };

    /// A campaign whose baseline has interviews with 3, 1 and 0 `migrants` instances; the
    /// nodes named in `sensitive` are marked so in its form.
    async fn round_with_migrants(
        dir: &std::path::Path,
        sensitive: &[&str],
    ) -> (Arc<dyn Storage>, Campaign) {
        let path = concat!(
            env!("CARGO_MANIFEST_DIR"),
            "/../../../shared/forms/fieldline/safe_migration_kap.xlsx"
        );
        let xlsform = std::fs::read(path).unwrap();
        let mut form = Form::from_xlsform_named(path, &xlsform, &Attachments::new()).unwrap();
        for node in form.nodes.iter_mut() {
            node.sensitive = sensitive.contains(&node.name.as_str());
        }
        let storage = open_storage(&DatabaseUrl::Sqlite(dir.join("server.sqlite3")))
            .await
            .unwrap();
        let org = storage.create_organization("Owner NGO").await.unwrap();
        let campaign = storage
            .create_campaign(&org.id, "Safe migration")
            .await
            .unwrap();
        let round = storage
            .create_round(NewRound {
                campaign_id: campaign.id.clone(),
                name: "baseline".into(),
                form_id: "kap".into(),
                form_version: "1".into(),
                title: "KAP".into(),
                file_name: "safe_migration_kap.xlsx".into(),
                sha256: sha256_hex(&xlsform),
                definition: serde_json::to_string(&form).unwrap(),
                xlsform,
            })
            .await
            .unwrap();
        let code = enrollment_code_hash("code");
        storage
            .create_enrollment_codes(&campaign.id, &org.id, std::slice::from_ref(&code))
            .await
            .unwrap();
        let device = storage
            .enroll(&code, "fieldline:d", "Asha", "token")
            .await
            .unwrap();
        let items = [3, 1, 0]
            .into_iter()
            .enumerate()
            .map(|(i, migrants)| {
                let instance_id = format!("uuid:{i}");
                let mut values = vec![("/data/province".to_owned(), "koshi".to_owned())];
                for m in 1..=migrants {
                    values.push((
                        format!("/data/migrants[{m}]/m_relation"),
                        format!("relation {i}.{m}"),
                    ));
                }
                let payload = serde_json::to_vec(&serde_json::json!({
                    "format": 1, "form_id": "kap", "form_version": "1",
                    "instance_id": instance_id, "values": values,
                }))
                .unwrap();
                Incoming {
                    device: device.id.clone(),
                    instance_id,
                    device_seq: i as i64 + 1,
                    form_id: "kap".into(),
                    form_version: "1".into(),
                    round_id: Some(round.id.clone()),
                    sha256: sha256_hex(&payload),
                    encoding: PayloadEncoding::Json,
                    payload,
                    attachments: "[]".into(),
                    rejection: None,
                }
            })
            .collect();
        assert_eq!(
            storage.store_submissions(items).await.unwrap(),
            vec![Outcome::Accepted; 3]
        );
        (storage, campaign)
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn a_repeat_exports_a_row_per_instance_keyed_to_its_submission() {
        let dir = tempfile::tempdir().unwrap();
        let (storage, campaign) = round_with_migrants(dir.path(), &[]).await;
        let source = RoundSource::open(&storage, &campaign, &Reach::All, "baseline")
            .await
            .unwrap()
            .for_repeat("migrants")
            .unwrap();
        let handle = tokio::runtime::Handle::current();
        let csv = tokio::task::spawn_blocking(move || {
            let mut csv = Vec::new();
            let writer = CsvWriter::new(&mut csv, &source.layout).unwrap();
            source.write_all(&handle, Box::new(writer)).unwrap();
            csv
        })
        .await
        .unwrap();
        // No value here needs CSV quoting, so lines and commas are the table.
        let csv = String::from_utf8(csv).unwrap();
        let mut lines = csv.lines().map(|line| line.split(',').collect::<Vec<_>>());
        let header = lines.next().unwrap();
        let at = |name: &str| header.iter().position(|h| *h == name).unwrap();
        let rows: Vec<[&str; 3]> = lines
            .map(|row| ["PARENT_KEY", "KEY", "m_relation"].map(|n| row[at(n)]))
            .collect();
        let expected = [
            ["uuid:0", "uuid:0/migrants[1]", "relation 0.1"],
            ["uuid:0", "uuid:0/migrants[2]", "relation 0.2"],
            ["uuid:0", "uuid:0/migrants[3]", "relation 0.3"],
            ["uuid:1", "uuid:1/migrants[1]", "relation 1.1"],
        ];
        assert_eq!(rows, expected);

        let unknown = RoundSource::open(&storage, &campaign, &Reach::All, "baseline")
            .await
            .unwrap()
            .for_repeat("children")
            .err()
            .unwrap();
        assert_eq!(unknown.status, axum::http::StatusCode::BAD_REQUEST);
        assert!(
            unknown.message.contains("its repeats: migrants"),
            "{}",
            unknown.message
        );
    }

    /// The CSV of the baseline's table chosen by `repeat` and `sensitive`.
    async fn csv_of(
        storage: &Arc<dyn Storage>,
        campaign: &Campaign,
        repeat: Option<&str>,
        sensitive: Option<&str>,
    ) -> String {
        let source = RoundSource::open(storage, campaign, &Reach::All, "baseline")
            .await
            .unwrap();
        let source = choose_table(source, repeat, Sensitive::parse(sensitive).unwrap()).unwrap();
        let handle = tokio::runtime::Handle::current();
        let csv = tokio::task::spawn_blocking(move || {
            let mut csv = Vec::new();
            let writer = CsvWriter::new(&mut csv, &source.layout).unwrap();
            source.write_all(&handle, Box::new(writer)).unwrap();
            csv
        })
        .await
        .unwrap();
        String::from_utf8(csv).unwrap()
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn sensitive_fields_are_left_out_unless_included() {
        let dir = tempfile::tempdir().unwrap();
        let (storage, campaign) =
            round_with_migrants(dir.path(), &["province", "m_relation"]).await;
        let header = |csv: &str| csv.lines().next().unwrap().to_owned();

        // By default (and with sensitive=omit): neither the columns nor their values.
        for sensitive in [None, Some("omit")] {
            let csv = csv_of(&storage, &campaign, None, sensitive).await;
            assert!(!header(&csv).split(',').any(|h| h == "province"), "{csv}");
            assert!(!csv.contains("koshi"), "{csv}");
            assert!(csv.contains("uuid:0"), "{csv}");
            let migrants = csv_of(&storage, &campaign, Some("migrants"), sensitive).await;
            assert!(!migrants.contains("relation 0.1"), "{migrants}");
            assert!(migrants.contains("uuid:0/migrants[1]"), "{migrants}");
        }

        // Asked for: all of them.
        let csv = csv_of(&storage, &campaign, None, Some("include")).await;
        assert!(header(&csv).split(',').any(|h| h == "province"), "{csv}");
        assert!(csv.contains("koshi"), "{csv}");
        let migrants = csv_of(&storage, &campaign, Some("migrants"), Some("include")).await;
        assert!(migrants.contains("relation 0.1"), "{migrants}");

        let err = Sensitive::parse(Some("yes")).unwrap_err();
        assert_eq!(err.status, axum::http::StatusCode::BAD_REQUEST);
        assert!(err.message.contains("omit, include"), "{}", err.message);
    }
}
