//! An endline round beside the seeded world's baseline, and generated interviews for either
//! round: what the progress, report and export endpoints are tested with.

#![allow(dead_code)]

use base64::Engine as _;
use fieldline_form::{Attachments, Form};
use fieldline_protocol::{Envelope, PayloadEncoding};
use fieldline_server::storage::NewRound;

use crate::api_support::{kap_bytes, sha256_hex, valid_values, World};

/// The endline's form version: the baseline's, republished.
pub fn endline_version(world: &World) -> String {
    format!("{}-endline", world.form_version)
}

/// Publishes the round named `endline`: the KAP form under the next version.
pub async fn publish_endline(world: &World) {
    let bytes = kap_bytes();
    let mut form = Form::from_xlsform(&bytes, &Attachments::new()).unwrap();
    form.settings.version = Some(endline_version(world));
    world
        .server
        .storage
        .create_round(NewRound {
            campaign_id: world.campaign.id.clone(),
            name: "endline".into(),
            form_id: world.form_id.clone(),
            form_version: endline_version(world),
            title: form.settings.form_title.clone(),
            file_name: "safe_migration_kap_endline.xlsx".into(),
            sha256: sha256_hex(&bytes),
            xlsform: bytes,
            definition: serde_json::to_string(&form).unwrap(),
        })
        .await
        .unwrap();
}

/// A complete interview for `form_version` with `changes` (`(path, value)`; an empty value
/// removes the path) to the valid answers.
pub fn interview(
    world: &World,
    form_version: &str,
    device_id: &str,
    instance_id: &str,
    seq: i64,
    changes: &[(&str, &str)],
) -> Envelope {
    let mut values = valid_values();
    for (path, value) in changes {
        values.retain(|(p, _)| p != path);
        if !value.is_empty() {
            values.push((path.to_string(), value.to_string()));
        }
    }
    let payload = serde_json::json!({
        "format": 1,
        "form_id": world.form_id,
        "form_version": form_version,
        "instance_id": instance_id,
        "device_id": device_id,
        "username": "Asha",
        "start": "2026-11-25T16:37:43.910Z",
        "end": "2026-11-25T16:52:01.002Z",
        "values": values,
    });
    let bytes = serde_json::to_vec(&payload).unwrap();
    Envelope {
        instance_id: instance_id.into(),
        device_seq: seq,
        form_id: world.form_id.clone(),
        form_version: form_version.into(),
        sha256: sha256_hex(&bytes),
        encoding: PayloadEncoding::Json,
        payload: base64::engine::general_purpose::STANDARD.encode(&bytes),
        attachments: Vec::new(),
    }
}
