//! Every endpoint with every kind of caller: the status each one gets, checked over HTTP. The
//! table must name every route the router has (`fieldline_server::api::routes`), so a new
//! endpoint without its row fails here.

mod api_support;
mod rounds_support;

use api_support::*;
use axum::http::Method;
use fieldline_protocol::SubmitBatch;
use fieldline_server::storage::{Organization, Role};

/// Who calls.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Caller {
    Admin,
    /// A manager of the campaign's owner.
    Manager,
    /// A manager of the organization owning another campaign.
    OtherManager,
    /// A partner-admin of a partner of the campaign.
    PartnerAdmin,
    /// A viewer of that partner.
    PartnerViewer,
    /// A partner-admin of another partner of the same campaign.
    ForeignPartnerAdmin,
    /// An enrolled device of the partner.
    Device,
    /// A device of the partner, revoked.
    RevokedDevice,
    /// No `Authorization` at all.
    Nobody,
}

use Caller::*;

const CALLERS: [Caller; 9] = [
    Admin,
    Manager,
    OtherManager,
    PartnerAdmin,
    PartnerViewer,
    ForeignPartnerAdmin,
    Device,
    RevokedDevice,
    Nobody,
];

/// Expected statuses, in the order of [`CALLERS`].
type Row = [u16; 9];

/// Public: the same answer for everyone.
const fn everyone(status: u16) -> Row {
    [status; 9]
}
/// Anyone signed in, whatever their campaigns.
const PEOPLE: Row = [200, 200, 200, 200, 200, 200, 401, 401, 401];
/// For devices only.
const DEVICE_ONLY: Row = [401, 401, 401, 401, 401, 401, 200, 401, 401];
/// Reading a campaign: everyone of an organization collecting for it (what they see is
/// filtered; see `partners_see_only_their_own_data`).
const CAMPAIGN_READ: Row = [200, 200, 404, 200, 200, 200, 401, 401, 401];
/// Changing the partner's devices: its partner-admin and the campaign's managers; a viewer is
/// told no, a foreign partner learns nothing.
const PARTNER_DEVICES_CHANGE: Row = [204, 204, 404, 204, 403, 404, 401, 401, 401];
/// Changing the access of a partner's person: an admin and the partner's own partner-admin;
/// another organization learns nothing, a viewer is told no.
const PARTNER_PEOPLE: Row = [204, 404, 404, 204, 403, 404, 401, 401, 401];
const PARTNER_CODES: Row = [201, 201, 404, 201, 403, 404, 401, 401, 401];

fn table() -> Vec<(Method, &'static str, Row)> {
    vec![
        (Method::GET, "/", everyone(200)),
        (Method::GET, "/assets/dashboard.css", everyone(200)),
        (Method::GET, "/assets/dashboard.js", everyone(200)),
        (Method::GET, "/assets/fieldline_dashboard.js", everyone(200)),
        (
            Method::GET,
            "/assets/fieldline_dashboard_bg.wasm",
            everyone(200),
        ),
        (Method::GET, "/api/v1/health", everyone(200)),
        // With a valid email and password, whatever else the request carries.
        (Method::POST, "/api/v1/login", everyone(200)),
        (Method::POST, "/api/v1/session", everyone(200)),
        (Method::GET, "/api/v1/session", PEOPLE),
        // Each person signs out of a session of their own, made for the call.
        (
            Method::DELETE,
            "/api/v1/session",
            [204, 204, 204, 204, 204, 204, 401, 401, 401],
        ),
        // Server-wide: admins only; everyone else signed in is told no.
        (
            Method::GET,
            "/api/v1/audit",
            [200, 403, 403, 403, 403, 403, 401, 401, 401],
        ),
        // With a fresh code each time.
        (Method::POST, "/api/v1/enroll", everyone(201)),
        (Method::GET, "/api/v1/device/rounds", DEVICE_ONLY),
        (Method::POST, "/api/v1/device/submissions", DEVICE_ONLY),
        (Method::GET, "/api/v1/device/status", DEVICE_ONLY),
        (
            Method::HEAD,
            "/api/v1/device/attachments/{sha256}",
            DEVICE_ONLY,
        ),
        // An empty PATCH at the end of a complete file.
        (
            Method::PATCH,
            "/api/v1/device/attachments/{sha256}",
            [401, 401, 401, 401, 401, 401, 204, 401, 401],
        ),
        // People: admins everyone; managers and partner-admins their own organization's (the
        // target is a fresh viewer of the partner each time); viewers no one.
        (
            Method::GET,
            "/api/v1/users",
            [200, 200, 200, 200, 403, 200, 401, 401, 401],
        ),
        (Method::POST, "/api/v1/users/{user}/disable", PARTNER_PEOPLE),
        (Method::POST, "/api/v1/users/{user}/enable", PARTNER_PEOPLE),
        (Method::PUT, "/api/v1/users/{user}/role", PARTNER_PEOPLE),
        (Method::GET, "/api/v1/campaigns", PEOPLE),
        (Method::GET, "/api/v1/campaigns/{campaign}", CAMPAIGN_READ),
        (
            Method::GET,
            "/api/v1/campaigns/{campaign}/submissions",
            CAMPAIGN_READ,
        ),
        (
            Method::GET,
            "/api/v1/campaigns/{campaign}/set-aside",
            CAMPAIGN_READ,
        ),
        (
            Method::GET,
            "/api/v1/campaigns/{campaign}/devices",
            CAMPAIGN_READ,
        ),
        (
            Method::POST,
            "/api/v1/campaigns/{campaign}/devices/{device}/revoke",
            PARTNER_DEVICES_CHANGE,
        ),
        (
            Method::POST,
            "/api/v1/campaigns/{campaign}/enrollment-codes",
            PARTNER_CODES,
        ),
        // What people read is filtered to their reach (see `partners_see_only_their_own_data`).
        (
            Method::GET,
            "/api/v1/campaigns/{campaign}/progress",
            CAMPAIGN_READ,
        ),
        (
            Method::GET,
            "/api/v1/campaigns/{campaign}/report",
            CAMPAIGN_READ,
        ),
        (
            Method::GET,
            "/api/v1/campaigns/{campaign}/rounds/{name}/export",
            CAMPAIGN_READ,
        ),
        // The fields the form marks sensitive: not for a viewer.
        (
            Method::GET,
            "/api/v1/campaigns/{campaign}/rounds/{name}/export?sensitive=include",
            [200, 200, 404, 200, 403, 200, 401, 401, 401],
        ),
        // This campaign is readable, so its sealed submissions are refused to those who may read
        // it (409); an encrypted one answers them (crates/fieldline-server/tests/sealed.rs).
        (
            Method::GET,
            "/api/v1/campaigns/{campaign}/rounds/{name}/sealed",
            [409, 409, 404, 409, 409, 409, 401, 401, 401],
        ),
    ]
}

struct Credentials {
    tokens: Vec<(Caller, String)>,
    /// The dashboard's sessions: (`Cookie` header, CSRF token) of each person.
    cookies: Vec<(Caller, (String, String))>,
}

/// How a person's session travels.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Held {
    /// `Authorization: Bearer`, as scripts send it.
    Bearer,
    /// The dashboard's cookie, with the CSRF token and this server's `Origin`.
    Cookie,
}

/// Signs a person in as the dashboard does: (`Cookie` header, CSRF token).
async fn dashboard_session(world: &World, org: &Organization, role: Role) -> (String, String) {
    world.person(org, role).await;
    let reply = world
        .server
        .client
        .post(world.server.url("/api/v1/session"))
        .header(reqwest::header::ORIGIN, &world.server.base)
        .json(&serde_json::json!({
            "email": format!("{}-{}@example.org", role.as_str(), org.id),
            "password": PASSWORD,
        }))
        .send()
        .await
        .unwrap();
    assert_eq!(reply.status(), 200);
    let cookie = reply.headers()[reqwest::header::SET_COOKIE]
        .to_str()
        .unwrap()
        .split(';')
        .next()
        .unwrap()
        .to_string();
    let body: serde_json::Value = reply.json().await.unwrap();
    (cookie, body["csrf_token"].as_str().unwrap().to_string())
}

impl Credentials {
    fn cookie_of(&self, caller: Caller) -> Option<&(String, String)> {
        self.cookies
            .iter()
            .find(|(c, _)| *c == caller)
            .map(|(_, session)| session)
    }

    fn of(&self, caller: Caller) -> Option<&str> {
        self.tokens
            .iter()
            .find(|(c, _)| *c == caller)
            .map(|(_, t)| t.as_str())
    }
}

/// The organization and role of a person calling (`None` for devices and nobody).
fn person_of(world: &World, caller: Caller) -> Option<(&Organization, Role)> {
    match caller {
        Admin => Some((&world.owner, Role::Admin)),
        Manager => Some((&world.owner, Role::Manager)),
        OtherManager => Some((&world.other_owner, Role::Manager)),
        PartnerAdmin => Some((&world.partner, Role::PartnerAdmin)),
        PartnerViewer => Some((&world.partner, Role::Viewer)),
        ForeignPartnerAdmin => Some((&world.foreign, Role::PartnerAdmin)),
        Device | RevokedDevice | Nobody => None,
    }
}

async fn credentials(world: &World) -> Credentials {
    let (_, device) = world.device(&world.partner, "fieldline:tablet").await;
    let (revoked_id, revoked) = world.device(&world.partner, "fieldline:revoked").await;
    world
        .server
        .storage
        .revoke_device(&revoked_id)
        .await
        .unwrap();
    Credentials {
        tokens: vec![
            (Admin, world.person(&world.owner, Role::Admin).await),
            (Manager, world.person(&world.owner, Role::Manager).await),
            (
                OtherManager,
                world.person(&world.other_owner, Role::Manager).await,
            ),
            (
                PartnerAdmin,
                world.person(&world.partner, Role::PartnerAdmin).await,
            ),
            (
                PartnerViewer,
                world.person(&world.partner, Role::Viewer).await,
            ),
            (
                ForeignPartnerAdmin,
                world.person(&world.foreign, Role::PartnerAdmin).await,
            ),
            (Device, device),
            (RevokedDevice, revoked),
        ],
        cookies: Vec::new(),
    }
}

/// Sends `method path` as `caller` the way that endpoint is meant to be called, and answers the
/// status.
#[allow(clippy::too_many_arguments)] // one call of the matrix: who, how, what, which
async fn call(
    world: &World,
    creds: &Credentials,
    attachment: &str,
    caller: Caller,
    held: Held,
    method: &Method,
    path: &str,
    n: usize,
) -> u16 {
    let client = &world.server.client;
    let mut concrete = path
        .replace("{campaign}", &world.campaign.id)
        .replace("{sha256}", attachment)
        .replace("{name}", "baseline");
    if path.contains("{device}") {
        // A fresh device of the partner for every call, so each revocation has work to do.
        let (id, _) = world
            .device(&world.partner, &format!("fieldline:to-revoke-{n}"))
            .await;
        concrete = concrete.replace("{device}", &id);
    }
    if path.contains("{user}") {
        // A fresh viewer of the partner for every call, so each change has work to do.
        let person = world
            .server
            .storage
            .create_user(
                &world.partner.id,
                &format!("target-{n}@example.org"),
                Role::Viewer,
                "not a password hash",
            )
            .await
            .unwrap();
        concrete = concrete.replace("{user}", &person.id);
    }
    let mut request = client.request(method.clone(), world.server.url(&concrete));
    let signing_out = (method.as_str(), path) == ("DELETE", "/api/v1/session");
    match (held, signing_out, person_of(world, caller)) {
        (Held::Cookie, _, Some((org, role))) => {
            let (cookie, csrf) = match (signing_out, creds.cookie_of(caller)) {
                (false, Some(session)) => session.clone(),
                // A session of its own, so the caller's other calls keep theirs.
                _ => dashboard_session(world, org, role).await,
            };
            request = request
                .header(reqwest::header::COOKIE, cookie)
                .header("X-CSRF-Token", csrf)
                .header(reqwest::header::ORIGIN, &world.server.base);
        }
        // A session of its own, so the caller's other calls keep theirs.
        (Held::Bearer, true, Some((org, role))) => {
            request = request.bearer_auth(world.person(org, role).await)
        }
        _ => {
            if let Some(token) = creds.of(caller) {
                request = request.bearer_auth(token);
            }
        }
    }
    request = match (method.as_str(), path) {
        ("POST", "/api/v1/login" | "/api/v1/session") => request.json(&serde_json::json!({
            "email": format!("viewer-{}@example.org", world.partner.id),
            "password": PASSWORD,
        })),
        ("POST", "/api/v1/enroll") => request.json(&serde_json::json!({
            "code": world.code(&world.partner).await,
            "device_id": format!("fieldline:enrolled-{n}"),
            "label": "a tablet",
        })),
        ("POST", "/api/v1/device/submissions") => request.json(&SubmitBatch {
            items: vec![world.envelope("fieldline:tablet", "p-1", 1)],
        }),
        ("PATCH", _) => request
            .header("upload-offset", attachment_len().to_string())
            .body(Vec::new()),
        ("PUT", p) if p.ends_with("/role") => {
            request.json(&serde_json::json!({"role": "partner-admin"}))
        }
        ("POST", p) if p.ends_with("/enrollment-codes") => {
            request.json(&serde_json::json!({"organization_id": world.partner.id, "count": 2}))
        }
        _ => request,
    };
    request.send().await.unwrap().status().as_u16()
}

fn attachment_bytes() -> Vec<u8> {
    b"an audit log".to_vec()
}

fn attachment_len() -> usize {
    attachment_bytes().len()
}

#[tokio::test]
async fn every_endpoint_answers_every_caller_as_the_rules_say() {
    let world = world().await;
    rounds_support::publish_endline(&world).await;
    let creds = credentials(&world).await;
    // A complete attachment to ask about.
    let bytes = attachment_bytes();
    let sha = sha256_hex(&bytes);
    let storage = &world.server.storage;
    storage.append_attachment(&sha, 0, &bytes).await.unwrap();
    storage.complete_attachment(&sha).await.unwrap();

    let table = table();
    let routes = fieldline_server::api::routes();
    for (method, path) in &routes {
        assert!(
            table.iter().any(|(m, p, _)| m == method && p == path),
            "{method} {path} has no row in the permission table"
        );
    }
    for (method, path, _) in &table {
        // A row may ask one route again with a query that changes who may call it.
        let route = path.split('?').next().unwrap_or(path);
        assert!(
            routes.iter().any(|(m, p)| m == method && *p == route),
            "the table's {method} {path} is not a route"
        );
    }

    let mut wrong = Vec::new();
    let mut n = 0;
    for (method, path, row) in &table {
        for (caller, expected) in CALLERS.iter().zip(row) {
            n += 1;
            let got = call(&world, &creds, &sha, *caller, Held::Bearer, method, path, n).await;
            if got != *expected {
                wrong.push(format!(
                    "{method} {path} as {caller:?}: {got}, expected {expected}"
                ));
            }
        }
    }
    assert!(wrong.is_empty(), "{}", wrong.join("\n"));
    world.server.shutdown().await;
}

/// The dashboard's cookie session (with its CSRF token and Origin) opens exactly what a bearer
/// session of the same person does, on every endpoint.
#[tokio::test]
async fn a_dashboard_session_reaches_every_endpoint_as_a_bearer_session_does() {
    let world = world().await;
    rounds_support::publish_endline(&world).await;
    let mut creds = credentials(&world).await;
    for caller in CALLERS {
        if let Some((org, role)) = person_of(&world, caller) {
            let session = dashboard_session(&world, org, role).await;
            creds.cookies.push((caller, session));
        }
    }
    let bytes = attachment_bytes();
    let sha = sha256_hex(&bytes);
    let storage = &world.server.storage;
    storage.append_attachment(&sha, 0, &bytes).await.unwrap();
    storage.complete_attachment(&sha).await.unwrap();

    let mut wrong = Vec::new();
    let mut n = 0;
    for (method, path, row) in &table() {
        for (caller, expected) in CALLERS.iter().zip(row) {
            n += 1;
            if person_of(&world, *caller).is_none() {
                continue;
            }
            let got = call(&world, &creds, &sha, *caller, Held::Cookie, method, path, n).await;
            if got != *expected {
                wrong.push(format!(
                    "{method} {path} as {caller:?} by cookie: {got}, expected {expected}"
                ));
            }
        }
    }
    assert!(wrong.is_empty(), "{}", wrong.join("\n"));
    world.server.shutdown().await;
}

#[tokio::test]
async fn partners_see_only_their_own_data() {
    let world = world().await;
    let creds = credentials(&world).await;
    let client = &world.server.client;
    // One submission from the partner's tablet, one from the foreign partner's.
    let (_, foreign_device) = world.device(&world.foreign, "fieldline:foreign").await;
    for (token, device_id) in [
        (creds.of(Device).unwrap().to_string(), "fieldline:tablet"),
        (foreign_device, "fieldline:foreign"),
    ] {
        let reply = client
            .post(world.server.url("/api/v1/device/submissions"))
            .bearer_auth(token)
            .json(&SubmitBatch {
                items: vec![world.envelope(device_id, &format!("{device_id}-1"), 1)],
            })
            .send()
            .await
            .unwrap();
        assert_eq!(reply.status(), 200);
    }
    let get = |caller: Caller, path: String| {
        let request = client
            .get(world.server.url(&path))
            .bearer_auth(creds.of(caller).unwrap());
        async move {
            let reply = request.send().await.unwrap();
            assert_eq!(reply.status(), 200, "{path}");
            reply.json::<serde_json::Value>().await.unwrap()
        }
    };
    let c = &world.campaign.id;
    let count = |v: &serde_json::Value| v.as_array().unwrap().len();
    let submissions = format!("/api/v1/campaigns/{c}/submissions");
    let devices = format!("/api/v1/campaigns/{c}/devices");
    assert_eq!(count(&get(Manager, submissions.clone()).await), 2);
    assert_eq!(count(&get(Admin, submissions.clone()).await), 2);
    let own = get(PartnerAdmin, submissions.clone()).await;
    assert_eq!(count(&own), 1);
    assert_eq!(own[0]["organization_id"], world.partner.id.as_str());
    assert_eq!(count(&get(PartnerViewer, submissions.clone()).await), 1);
    let foreign = get(ForeignPartnerAdmin, submissions.clone()).await;
    assert_eq!(count(&foreign), 1);
    assert_eq!(foreign[0]["organization_id"], world.foreign.id.as_str());
    for device in get(ForeignPartnerAdmin, devices.clone())
        .await
        .as_array()
        .unwrap()
    {
        assert_eq!(device["organization_id"], world.foreign.id.as_str());
    }
    assert!(count(&get(Manager, devices).await) >= 3);
    // The campaign as a partner sees it names no other partner.
    let campaign = get(ForeignPartnerAdmin, format!("/api/v1/campaigns/{c}")).await;
    assert_eq!(
        campaign["partner_ids"],
        serde_json::json!([world.foreign.id])
    );
    let all = get(Manager, format!("/api/v1/campaigns/{c}")).await;
    assert_eq!(count(&all["partner_ids"]), 2);
    // Another campaign's manager does not see this one at all.
    let theirs = get(OtherManager, "/api/v1/campaigns".into()).await;
    assert_eq!(count(&theirs), 1);
    assert_eq!(theirs[0]["id"], world.other_campaign.id.as_str());
    world.server.shutdown().await;
}
