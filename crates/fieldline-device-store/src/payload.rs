//! The canonical payload of a finalized submission: the exact bytes sent, stored and hashed.
//!
//! Format 1 is UTF-8 JSON, compact (no whitespace), with keys in this fixed order:
//!
//! ```json
//! {"format":1,"form_id":"safe_migration_kap","form_version":"2026-01","instance_id":"0193...",
//!  "device_id":"fieldline:0193...","username":"Asha","start":"2026-11-25T16:37:43.910Z",
//!  "end":"2026-11-25T16:52:01.002Z","values":[["/data/province","koshi"],...]}
//! ```
//!
//! `start` and `end` are UTC, millisecond precision. `values` are the engine's submission: every
//! relevant leaf (questions, calculations, metadata) in document order, as `[path, value]` pairs,
//! repeat instances written `name[n]`; non-relevant answers are left out. The same draft always
//! yields the same bytes, so the SHA-256 identifies the submission's content.
//!
//! After `values`, an `attachments` key lists the files sent with the submission, in name
//! order; it is present only when there are some (so a payload without attachments is
//! byte-for-byte what format 1 always was). They are the form audit log, when the form has an
//! `audit` question (that question's value in `values` is then its file name), and the files
//! given as answers to `image`, `audio`, `video` and `file` questions that are in `values`
//! (each such answer's value is its file's name):
//!
//! ```json
//! ...,"values":[...,["/data/photo","1764000000123.jpg"],["/data/meta/audit","audit.csv"],...],
//!  "attachments":[{"name":"1764000000123.jpg","type":"image/jpeg","sha256":"2c26...","size":2048311},
//!                 {"name":"audit.csv","type":"text/csv","sha256":"9f86...","size":1234}]}
//! ```
//!
//! `type` is the media type, `sha256` the lowercase hex SHA-256 of the file's bytes and `size`
//! their count, so the payload's own SHA-256 binds the attachments' bytes too.

use serde::Serialize;
use sha2::{Digest, Sha256};

/// The payload format this store writes.
pub const PAYLOAD_FORMAT: u32 = 1;

/// What a payload is built from. Field order is the serialized key order; never reorder.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Payload {
    pub format: u32,
    pub form_id: String,
    pub form_version: String,
    pub instance_id: String,
    pub device_id: String,
    pub username: String,
    pub start: String,
    pub end: String,
    pub values: Vec<(String, String)>,
    /// Left out of the JSON when empty.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub attachments: Vec<PayloadAttachment>,
}

/// A file sent with a submission, as its payload names it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct PayloadAttachment {
    pub name: String,
    /// The media type (`text/csv`).
    #[serde(rename = "type")]
    pub media_type: String,
    /// Lowercase hex SHA-256 of the file's bytes.
    pub sha256: String,
    pub size: u64,
}

impl Payload {
    /// The canonical bytes.
    pub fn to_bytes(&self) -> Vec<u8> {
        // Serializing plain strings and numbers cannot fail.
        serde_json::to_vec(self).expect("payload serializes")
    }
}

/// Lowercase hex SHA-256.
pub fn sha256_hex(bytes: &[u8]) -> String {
    Sha256::digest(bytes)
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect()
}

/// `2026-11-25T16:37:43.910Z` for milliseconds since 1970-01-01T00:00:00Z.
pub fn utc_timestamp(millis: i64) -> String {
    let days = millis.div_euclid(86_400_000);
    let ms_of_day = millis.rem_euclid(86_400_000);
    let (y, m, d) = fieldline_xpath::civil_from_days(days);
    format!(
        "{y:04}-{m:02}-{d:02}T{:02}:{:02}:{:02}.{:03}Z",
        ms_of_day / 3_600_000,
        ms_of_day / 60_000 % 60,
        ms_of_day / 1000 % 60,
        ms_of_day % 1000
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn timestamps_are_utc_with_milliseconds() {
        assert_eq!(utc_timestamp(0), "1970-01-01T00:00:00.000Z");
        assert_eq!(utc_timestamp(951_782_400_123), "2000-02-29T00:00:00.123Z");
        assert_eq!(utc_timestamp(1_795_624_663_910), "2026-11-25T16:37:43.910Z");
    }

    #[test]
    fn keys_come_in_the_documented_order() {
        let p = Payload {
            format: PAYLOAD_FORMAT,
            form_id: "f".into(),
            form_version: "1".into(),
            instance_id: "i".into(),
            device_id: "d".into(),
            username: "u".into(),
            start: "s".into(),
            end: "e".into(),
            values: vec![("/data/a".into(), "x".into())],
            attachments: Vec::new(),
        };
        assert_eq!(
            String::from_utf8(p.to_bytes()).unwrap(),
            r#"{"format":1,"form_id":"f","form_version":"1","instance_id":"i","device_id":"d","username":"u","start":"s","end":"e","values":[["/data/a","x"]]}"#
        );
        assert_eq!(sha256_hex(b"abc").len(), 64);
        let with = Payload {
            attachments: vec![PayloadAttachment {
                name: "audit.csv".into(),
                media_type: "text/csv".into(),
                sha256: "ab".into(),
                size: 12,
            }],
            ..p
        };
        assert_eq!(
            String::from_utf8(with.to_bytes()).unwrap(),
            r#"{"format":1,"form_id":"f","form_version":"1","instance_id":"i","device_id":"d","username":"u","start":"s","end":"e","values":[["/data/a","x"]],"attachments":[{"name":"audit.csv","type":"text/csv","sha256":"ab","size":12}]}"#
        );
    }
}
