//! A real server on a loopback port with a SQLite storage, seeded with a campaign on the KAP
//! form: its owner, two partners, another organization owning another campaign, and a person of
//! every role. Shared by `api.rs` and `permissions.rs`.

#![allow(dead_code)]

use std::io::Write as _;
use std::sync::Arc;

use base64::Engine as _;
use fieldline_form::{Attachments, Form};
use fieldline_protocol::{AttachmentRef, EnrollRequest, Enrolled, Envelope, PayloadEncoding};
use fieldline_server::secrets::{enrollment_code_hash, hash_password, new_enrollment_code};
use fieldline_server::storage::{Campaign, NewRound, Organization, Role};
use fieldline_server::{open_storage, DatabaseUrl, Server, Storage};
use sha2::{Digest, Sha256};
use tokio::sync::oneshot;

pub const PASSWORD: &str = "a long test password";

pub struct Running {
    pub base: String,
    pub storage: Arc<dyn Storage>,
    pub client: reqwest::Client,
    stop: Option<oneshot::Sender<()>>,
    task: tokio::task::JoinHandle<()>,
    _dir: tempfile::TempDir,
}

/// The seeded world.
pub struct World {
    pub server: Running,
    pub owner: Organization,
    pub partner: Organization,
    pub foreign: Organization,
    pub other_owner: Organization,
    pub campaign: Campaign,
    pub other_campaign: Campaign,
    pub form_id: String,
    pub form_version: String,
}

/// A client for the loopback server that shows bodies and headers as they travel. In a workspace
/// build reqwest carries the sync crate's features: rustls without a crypto provider of its own
/// (so the test process installs ring first) and gzip (so the client would unpack answers and
/// drop their `content-encoding`, which the tests check themselves).
pub fn http_client() -> reqwest::Client {
    // Already installed by an earlier test in this process: nothing to do.
    let _ = rustls::crypto::ring::default_provider().install_default();
    reqwest::Client::builder()
        .no_gzip()
        .build()
        .expect("a plain HTTP client builds")
}

pub async fn start() -> Running {
    let dir = tempfile::tempdir().unwrap();
    let url = DatabaseUrl::Sqlite(dir.path().join("server.sqlite3"));
    let storage = open_storage(&url).await.unwrap();
    let server = Server::bind("127.0.0.1:0".parse().unwrap(), storage.clone())
        .await
        .unwrap();
    let base = format!("http://{}", server.local_addr());
    let (stop, stopped) = oneshot::channel();
    let task = tokio::spawn(async move {
        server
            .run(async {
                let _ = stopped.await;
            })
            .await
            .unwrap();
    });
    Running {
        base,
        storage,
        client: http_client(),
        stop: Some(stop),
        task,
        _dir: dir,
    }
}

impl Running {
    pub async fn shutdown(mut self) {
        let _ = self.stop.take().unwrap().send(());
        self.task.await.unwrap();
    }

    pub fn url(&self, path: &str) -> String {
        format!("{}{path}", self.base)
    }
}

pub fn kap_bytes() -> Vec<u8> {
    let path = concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../../../shared/forms/fieldline/safe_migration_kap.xlsx"
    );
    std::fs::read(path).expect("the shared forms sit next to the repository")
}

pub fn sha256_hex(bytes: &[u8]) -> String {
    Sha256::digest(bytes)
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect()
}

pub async fn world() -> World {
    let server = start().await;
    let s = &server.storage;
    let owner = s
        .create_organization("Safe Migration Network")
        .await
        .unwrap();
    let partner = s.create_organization("Koshi Women's Group").await.unwrap();
    let foreign = s.create_organization("Madhesh Youth Club").await.unwrap();
    let other_owner = s.create_organization("Another Campaigner").await.unwrap();
    let campaign = s.create_campaign(&owner.id, "KAP 2026").await.unwrap();
    s.add_partner(&campaign.id, &partner.id).await.unwrap();
    s.add_partner(&campaign.id, &foreign.id).await.unwrap();
    let other_campaign = s
        .create_campaign(&other_owner.id, "Elsewhere")
        .await
        .unwrap();
    let bytes = kap_bytes();
    let form = Form::from_xlsform(&bytes, &Attachments::new()).unwrap();
    let form_id = form.settings.form_id.clone();
    let form_version = form.settings.version.clone().unwrap_or_default();
    s.create_round(NewRound {
        campaign_id: campaign.id.clone(),
        name: "baseline".into(),
        form_id: form_id.clone(),
        form_version: form_version.clone(),
        title: form.settings.form_title.clone(),
        file_name: "safe_migration_kap.xlsx".into(),
        sha256: sha256_hex(&bytes),
        xlsform: bytes,
        definition: serde_json::to_string(&form).unwrap(),
    })
    .await
    .unwrap();
    let campaign = s.campaign(&campaign.id).await.unwrap().unwrap();
    World {
        server,
        owner,
        partner,
        foreign,
        other_owner,
        campaign,
        other_campaign,
        form_id,
        form_version,
    }
}

impl World {
    /// `GET path` with a bearer token; the answer must be 200 and is read as JSON.
    pub async fn get_json<T: serde::de::DeserializeOwned>(&self, token: &str, path: &str) -> T {
        let reply = self
            .server
            .client
            .get(self.server.url(path))
            .bearer_auth(token)
            .send()
            .await
            .unwrap();
        assert_eq!(reply.status(), 200, "GET {path}");
        reply.json().await.unwrap()
    }

    /// A person of `role` in `org`; returns their session token.
    pub async fn person(&self, org: &Organization, role: Role) -> String {
        let email = format!("{}-{}@example.org", role.as_str(), org.id);
        let s = &self.server.storage;
        if s.user_by_email(&email).await.unwrap().is_none() {
            s.create_user(&org.id, &email, role, &hash_password(PASSWORD))
                .await
                .unwrap();
        }
        let reply = self
            .server
            .client
            .post(self.server.url("/api/v1/login"))
            .json(&serde_json::json!({"email": email, "password": PASSWORD}))
            .send()
            .await
            .unwrap();
        assert_eq!(reply.status(), 200, "login of {email}");
        let body: serde_json::Value = reply.json().await.unwrap();
        body["token"].as_str().unwrap().to_string()
    }

    /// A fresh one-time code for devices of `org` in the campaign.
    pub async fn code(&self, org: &Organization) -> String {
        let code = new_enrollment_code();
        self.server
            .storage
            .create_enrollment_codes(&self.campaign.id, &org.id, &[enrollment_code_hash(&code)])
            .await
            .unwrap();
        code
    }

    /// A device of `org` enrolled over the API: (its storage id, its token).
    pub async fn device(&self, org: &Organization, device_id: &str) -> (String, String) {
        let code = self.code(org).await;
        let reply = self
            .server
            .client
            .post(self.server.url("/api/v1/enroll"))
            .json(&EnrollRequest {
                code,
                device_id: device_id.into(),
                label: format!("tablet {device_id}"),
            })
            .send()
            .await
            .unwrap();
        assert_eq!(reply.status(), 201);
        let enrolled: Enrolled = reply.json().await.unwrap();
        let id = self
            .server
            .storage
            .devices(&self.campaign.id)
            .await
            .unwrap()
            .into_iter()
            .find(|d| d.device_id == device_id)
            .unwrap()
            .id;
        (id, enrolled.device_token)
    }

    /// A valid, complete KAP interview's envelope from `device_id`.
    pub fn envelope(&self, device_id: &str, instance_id: &str, seq: i64) -> Envelope {
        self.envelope_with(device_id, instance_id, seq, &[], Vec::new())
    }

    /// An envelope with answers changed (`(path, value)`; an empty value removes the path).
    pub fn envelope_with(
        &self,
        device_id: &str,
        instance_id: &str,
        seq: i64,
        changes: &[(&str, &str)],
        attachments: Vec<AttachmentRef>,
    ) -> Envelope {
        let mut values: Vec<(String, String)> = valid_values();
        for (path, value) in changes {
            values.retain(|(p, _)| p != path);
            if !value.is_empty() {
                values.push((path.to_string(), value.to_string()));
            }
        }
        let payload = serde_json::json!({
            "format": 1,
            "form_id": self.form_id,
            "form_version": self.form_version,
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
            form_id: self.form_id.clone(),
            form_version: self.form_version.clone(),
            sha256: sha256_hex(&bytes),
            encoding: PayloadEncoding::Json,
            payload: base64::engine::general_purpose::STANDARD.encode(&bytes),
            attachments,
        }
    }
}

/// The submission of a complete interview, as the engine writes it.
pub fn valid_values() -> Vec<(String, String)> {
    [
        ("/data/start", "2026-11-25T22:22:43.910+05:45"),
        ("/data/end", "2026-11-25T22:37:01.002+05:45"),
        ("/data/today", "2026-11-25"),
        ("/data/deviceid", "fieldline:one"),
        ("/data/province", "koshi"),
        ("/data/municipality", "dharan"),
        ("/data/ward", "7"),
        ("/data/consent", "yes"),
        ("/data/about/gender", "woman"),
        ("/data/about/age", "34"),
        ("/data/about/education", "secondary"),
        ("/data/youth", "no"),
        ("/data/know/heard_trafficking", "no"),
        ("/data/know/knows_hotline", "no"),
        ("/data/know/before_leaving", "check_agency"),
        ("/data/views/view_debt", "2"),
        ("/data/views/view_report", "5"),
        ("/data/migrants[1]/m_relation", "brother"),
        ("/data/migrants[1]/m_country", "qatar"),
        ("/data/migrants[1]/m_contract", "no"),
        ("/data/n_without_contract", "1"),
        ("/data/end_note", ""),
        ("/data/meta/instanceID", "uuid:x"),
    ]
    .into_iter()
    .map(|(p, v)| (p.to_string(), v.to_string()))
    .collect()
}

pub fn gzip(bytes: &[u8]) -> Vec<u8> {
    let mut encoder = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::default());
    encoder.write_all(bytes).unwrap();
    encoder.finish().unwrap()
}

pub fn gunzip(bytes: &[u8]) -> Vec<u8> {
    use std::io::Read as _;
    let mut out = Vec::new();
    flate2::read::GzDecoder::new(bytes)
        .read_to_end(&mut out)
        .unwrap();
    out
}
