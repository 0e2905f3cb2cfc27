//! The form audit log, as XLSForm's `audit` question asks for it (ODK Collect's
//! <https://docs.getodk.org/form-audit-log/>): when the enumerator started, resumed, left, saved
//! and finalized the interview, how long each screen was shown, which repeats were added and
//! removed, and (with `track-changes=true`) every answer changed, with its old and new value.
//!
//! Only a form with an `audit` question is logged: for any other form nothing at all is
//! recorded, so no timings are kept that the campaign did not ask for. The log lives in
//! `draft_audit`, appended to in the same transaction as the change it describes and deleted
//! with the draft; finalizing turns it into `audit.csv`, sent with the submission.
//!
//! Parameters of the `audit` row this store follows: `track-changes=true` (the `old-value` and
//! `new-value` columns) and `identify-user=true` (a `user` column with the enumerator's name the
//! draft was started under; Fieldline already knows who is signed in, so it does not ask again).
//! Not followed: `track-changes-reasons` (no reason is asked when a saved draft is changed, so
//! there is no `change-reason` column) and `location-priority`,
//! `location-min-interval`, `location-max-age` (no location is recorded with events: the store
//! has no location source, and enumerators' movements are sensitive in anti-trafficking work),
//! so audit.csv has no `latitude`, `longitude` or `accuracy` columns.

use fieldline_form::{Form, NodeKind, QuestionType};
use rusqlite::{params, OptionalExtension, Transaction};
use serde::{Deserialize, Serialize};

use crate::payload::sha256_hex;

/// The file name of the audit log in a submission, which is also the `audit` question's value.
pub const AUDIT_FILE: &str = "audit.csv";

/// The audit log's media type.
pub const AUDIT_MEDIA_TYPE: &str = "text/csv";

pub use fieldline_interview::END_SCREEN_KEY;

/// Moments of an interview the app reports itself; the screens shown, answers and repeats are
/// logged by the store as they are saved.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum AuditEvent {
    /// The enumerator reopened a saved draft (ODK's `form resume`).
    FormResume,
    /// The enumerator left the interview screen (`form exit`).
    FormExit,
    /// The enumerator saved the draft explicitly (`form save`); answers are saved anyway.
    FormSave,
}

impl AuditEvent {
    pub(crate) fn name(self) -> &'static str {
        match self {
            AuditEvent::FormResume => "form resume",
            AuditEvent::FormExit => "form exit",
            AuditEvent::FormSave => "form save",
        }
    }
}

/// What a form's `audit` question asks to be logged.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct AuditConfig {
    pub track_changes: bool,
    pub identify_user: bool,
}

impl AuditConfig {
    /// `None` when the form has no `audit` question: then nothing is logged.
    pub fn of(form: &Form) -> Option<AuditConfig> {
        let node = form
            .nodes
            .iter()
            .find(|n| n.kind == NodeKind::Question(QuestionType::Audit))?;
        // pyxform's parameters grammar lower-cases keys and these values.
        let on = |key: &str| {
            node.parameters
                .get(key)
                .is_some_and(|v| matches!(v.as_str(), "true" | "yes" | "1"))
        };
        Some(AuditConfig {
            track_changes: on("track-changes"),
            identify_user: on("identify-user"),
        })
    }
}

/// The instance path of the form's `audit` question (`/data/meta/audit`), if it has one.
pub(crate) fn audit_path(form: &Form) -> Option<&str> {
    form.nodes
        .iter()
        .find(|n| n.kind == NodeKind::Question(QuestionType::Audit))
        .map(|n| n.path.as_str())
}

/// Events that are a screen being shown: they last until the next event that is not an answer.
fn is_screen(event: &str) -> bool {
    matches!(
        event,
        "question" | "group questions" | "prompt new repeat" | "end screen"
    )
}

/// The event and node a screen key is logged as. Keys are the UI's screen keys: a question's
/// instance path, a field-list group's or repeat instance's path, a repeat's path without a
/// position (the prompt to add another), or [`END_SCREEN_KEY`]. A key that names nothing in the
/// form is logged as a question, so the previous screen's time still ends there.
pub(crate) fn screen_event(form: &Form, key: &str) -> (&'static str, String) {
    if key == END_SCREEN_KEY {
        return ("end screen", String::new());
    }
    let mut ends_with_position = false;
    let plain: String = key
        .split('/')
        .map(|segment| match segment.split_once('[') {
            Some((name, _)) => {
                ends_with_position = true;
                name
            }
            None => {
                ends_with_position = false;
                segment
            }
        })
        .collect::<Vec<_>>()
        .join("/");
    let event = match form.nodes.iter().find(|n| n.path == plain).map(|n| n.kind) {
        Some(NodeKind::Root) => return ("end screen", String::new()),
        Some(NodeKind::Group) => "group questions",
        Some(NodeKind::Repeat) if ends_with_position => "group questions",
        Some(NodeKind::Repeat) => "prompt new repeat",
        Some(NodeKind::Question(_)) | None => "question",
    };
    (event, key.to_owned())
}

/// One row of `draft_audit`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct AuditRow {
    pub event: String,
    pub node: String,
    pub at: i64,
    pub old_value: Option<String>,
    pub new_value: Option<String>,
}

/// Appends a row to the draft's audit log inside `tx`.
pub(crate) fn append(
    tx: &Transaction<'_>,
    instance_id: &str,
    event: &str,
    node: &str,
    at: i64,
    change: Option<(&str, &str)>,
) -> rusqlite::Result<()> {
    tx.execute(
        "INSERT INTO draft_audit (instance_id, seq, event, node, at, old_value, new_value)
         VALUES (?1,
                 (SELECT COALESCE(MAX(seq), 0) + 1 FROM draft_audit WHERE instance_id = ?1),
                 ?2, ?3, ?4, ?5, ?6)",
        params![
            instance_id,
            event,
            node,
            at,
            change.map(|c| c.0),
            change.map(|c| c.1)
        ],
    )?;
    Ok(())
}

/// The last event of the log that is not an answer, as (event, node).
pub(crate) fn last_event(
    tx: &Transaction<'_>,
    instance_id: &str,
) -> rusqlite::Result<Option<(String, String)>> {
    tx.query_row(
        "SELECT event, node FROM draft_audit WHERE instance_id = ?1 AND event <> 'answer'
         ORDER BY seq DESC LIMIT 1",
        [instance_id],
        |row| Ok((row.get(0)?, row.get(1)?)),
    )
    .optional()
}

/// Every row of the draft's audit log, in order.
pub(crate) fn rows(
    conn: &rusqlite::Connection,
    instance_id: &str,
) -> rusqlite::Result<Vec<AuditRow>> {
    let mut stmt = conn.prepare(
        "SELECT event, node, at, old_value, new_value FROM draft_audit
         WHERE instance_id = ?1 ORDER BY seq",
    )?;
    let rows = stmt.query_map([instance_id], |row| {
        Ok(AuditRow {
            event: row.get(0)?,
            node: row.get(1)?,
            at: row.get(2)?,
            old_value: row.get(3)?,
            new_value: row.get(4)?,
        })
    })?;
    rows.collect()
}

/// `audit.csv` in ODK Collect's format: the header `event,node,start,end`, then `old-value,
/// new-value` with track-changes and `user` with identify-user; one row per event, times in
/// milliseconds since 1970-01-01T00:00:00Z. A screen's `end` is when the next event happened
/// (the next screen, a repeat added or removed, the form left, saved or finalized); other events
/// have no `end`. With track-changes, the answers changed while a question was shown fill its
/// row's `old-value` (the value when the screen opened) and `new-value` (when it closed); the
/// questions of a field-list screen, or answers saved with no screen shown, get a `question` row
/// each, with the screen's times. An answer changed and changed back is no change.
pub(crate) fn csv(rows: &[AuditRow], config: AuditConfig, username: &str) -> Vec<u8> {
    let mut header = vec!["event", "node", "start", "end"];
    if config.track_changes {
        header.extend(["old-value", "new-value"]);
    }
    if config.identify_user {
        header.push("user");
    }
    let mut out = String::new();
    push_line(&mut out, header.iter().map(|h| h.to_string()));
    let line = |out: &mut String,
                event: &str,
                node: &str,
                start: i64,
                end: Option<i64>,
                change: Option<(&str, &str)>| {
        let mut fields = vec![
            event.to_owned(),
            node.to_owned(),
            start.to_string(),
            end.map(|e| e.to_string()).unwrap_or_default(),
        ];
        if config.track_changes {
            let (old, new) = change.unwrap_or_default();
            fields.extend([old.to_owned(), new.to_owned()]);
        }
        if config.identify_user {
            fields.push(username.to_owned());
        }
        push_line(out, fields);
    };
    // The log in stretches: an event that is not an answer, then the answers saved until the
    // next such event.
    let mut i = 0;
    while i < rows.len() {
        let opening = (rows[i].event != "answer").then(|| &rows[i]);
        let first_answer = if opening.is_some() { i + 1 } else { i };
        let next = rows[first_answer..]
            .iter()
            .position(|r| r.event != "answer")
            .map(|p| first_answer + p);
        let answers = if config.track_changes {
            changes(&rows[first_answer..next.unwrap_or(rows.len())])
        } else {
            Vec::new()
        };
        let end = next.map(|n| rows[n].at);
        match opening {
            Some(row) if is_screen(&row.event) => {
                let own = (row.event == "question")
                    .then(|| answers.iter().position(|c| c.node == row.node))
                    .flatten();
                let change = own.map(|k| (answers[k].old, answers[k].new));
                line(&mut out, &row.event, &row.node, row.at, end, change);
                for (k, c) in answers.iter().enumerate() {
                    if Some(k) != own {
                        line(
                            &mut out,
                            "question",
                            c.node,
                            row.at,
                            end,
                            Some((c.old, c.new)),
                        );
                    }
                }
            }
            _ => {
                if let Some(row) = opening {
                    line(&mut out, &row.event, &row.node, row.at, None, None);
                }
                for c in &answers {
                    line(
                        &mut out,
                        "question",
                        c.node,
                        c.first_at,
                        Some(c.last_at),
                        Some((c.old, c.new)),
                    );
                }
            }
        }
        i = next.unwrap_or(rows.len());
    }
    out.into_bytes()
}

/// The net change of one question over a stretch of answers.
struct Change<'a> {
    node: &'a str,
    old: &'a str,
    new: &'a str,
    first_at: i64,
    last_at: i64,
}

/// Answers folded per question, in the order each question was first answered; questions whose
/// value ended where it began are left out.
fn changes(answers: &[AuditRow]) -> Vec<Change<'_>> {
    let mut out: Vec<Change<'_>> = Vec::new();
    for a in answers {
        let old = a.old_value.as_deref().unwrap_or_default();
        let new = a.new_value.as_deref().unwrap_or_default();
        match out.iter_mut().find(|c| c.node == a.node) {
            Some(c) => {
                c.new = new;
                c.last_at = a.at;
            }
            None => out.push(Change {
                node: &a.node,
                old,
                new,
                first_at: a.at,
                last_at: a.at,
            }),
        }
    }
    out.retain(|c| c.old != c.new);
    out
}

/// Appends one CSV record (RFC 4180 quoting: a field with a comma, quote, CR or LF is quoted,
/// its quotes doubled) and a line feed, as ODK Collect writes its audit log.
fn push_line(out: &mut String, fields: impl IntoIterator<Item = String>) {
    for (k, field) in fields.into_iter().enumerate() {
        if k > 0 {
            out.push(',');
        }
        if field.contains([',', '"', '\n', '\r']) {
            out.push('"');
            out.push_str(&field.replace('"', "\"\""));
            out.push('"');
        } else {
            out.push_str(&field);
        }
    }
    out.push('\n');
}

/// A file sent with a submission, as the outbox lists it (its bytes are fetched with
/// [`DeviceStore::outbox_attachment`](crate::DeviceStore::outbox_attachment)).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct AttachmentInfo {
    pub name: String,
    pub media_type: String,
    /// Lowercase hex SHA-256 of the bytes.
    pub sha256: String,
    /// Bytes.
    pub size: i64,
}

/// A file to write with a submission.
pub(crate) struct NewAttachment {
    pub name: String,
    pub media_type: String,
    pub sha256: String,
    pub size: i64,
    /// The bytes; `None` for a file the draft kept (`draft_file`), which the database copies
    /// itself so a submission's photos and recordings are never all held in memory at once.
    pub bytes: Option<Vec<u8>>,
}

impl NewAttachment {
    pub fn audit(bytes: Vec<u8>) -> NewAttachment {
        NewAttachment {
            name: AUDIT_FILE.to_owned(),
            media_type: AUDIT_MEDIA_TYPE.to_owned(),
            sha256: sha256_hex(&bytes),
            size: bytes.len() as i64,
            bytes: Some(bytes),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn row(event: &str, node: &str, at: i64) -> AuditRow {
        AuditRow {
            event: event.into(),
            node: node.into(),
            at,
            old_value: None,
            new_value: None,
        }
    }

    fn answer(node: &str, at: i64, old: &str, new: &str) -> AuditRow {
        AuditRow {
            old_value: Some(old.into()),
            new_value: Some(new.into()),
            ..row("answer", node, at)
        }
    }

    const BOTH: AuditConfig = AuditConfig {
        track_changes: true,
        identify_user: true,
    };

    #[test]
    fn screens_last_until_the_next_event_and_carry_their_changes() {
        let rows = [
            row("form start", "", 10),
            answer("/data/a", 11, "", "x"),
            row("question", "/data/a", 12),
            answer("/data/a", 13, "", "1"),
            answer("/data/a", 14, "1", "2"),
            row("group questions", "/data/g", 20),
            answer("/data/g/b", 21, "", "y"),
            answer("/data/g/c", 22, "", "z"),
            answer("/data/g/c", 23, "z", ""),
            row("form exit", "", 30),
        ];
        let text = String::from_utf8(csv(&rows, BOTH, "Asha")).unwrap();
        assert_eq!(
            text,
            "event,node,start,end,old-value,new-value,user\n\
             form start,,10,,,,Asha\n\
             question,/data/a,11,11,,x,Asha\n\
             question,/data/a,12,20,,2,Asha\n\
             group questions,/data/g,20,30,,,Asha\n\
             question,/data/g/b,20,30,,y,Asha\n\
             form exit,,30,,,,Asha\n"
        );
        let plain = AuditConfig {
            track_changes: false,
            identify_user: false,
        };
        let text = String::from_utf8(csv(&rows[..3], plain, "Asha")).unwrap();
        assert_eq!(
            text,
            "event,node,start,end\nform start,,10,\nquestion,/data/a,12,\n"
        );
    }

    #[test]
    fn fields_with_commas_quotes_and_line_breaks_are_quoted() {
        let mut out = String::new();
        push_line(
            &mut out,
            [
                "a,b".into(),
                "say \"hi\"".into(),
                "two\nlines".into(),
                "plain".into(),
            ],
        );
        assert_eq!(out, "\"a,b\",\"say \"\"hi\"\"\",\"two\nlines\",plain\n");
    }
}
