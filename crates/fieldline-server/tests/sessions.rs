//! People's sessions over real HTTP: the dashboard's cookie (HttpOnly, SameSite=Strict) with its
//! CSRF token and Origin check, bearer sessions for scripts, signing out, the sign-in rate limit,
//! the audit log, and HTTPS with a certificate made for the test.

mod api_support;

use std::sync::Arc;

use api_support::*;
use fieldline_server::storage::{AuditAction, AuditEvent, Role};
use fieldline_server::{open_storage, DatabaseUrl, Server, TlsConfig};
use reqwest::header::{HeaderMap, COOKIE, ORIGIN, RETRY_AFTER, SET_COOKIE};
use serde_json::{json, Value};
use tokio::io::{AsyncReadExt as _, AsyncWriteExt as _};

const COOKIE_NAME: &str = "fieldline-session";

/// A manager of the campaign's owner, with a password: their email.
async fn manager(world: &World) -> String {
    world.person(&world.owner, Role::Manager).await;
    format!("manager-{}@example.org", world.owner.id)
}

/// Signs in through the dashboard's endpoint: the answer's headers and body.
async fn sign_in(world: &World, email: &str, password: &str) -> (u16, HeaderMap, Value) {
    let reply = world
        .server
        .client
        .post(world.server.url("/api/v1/session"))
        .header(ORIGIN, &world.server.base)
        .json(&json!({"email": email, "password": password}))
        .send()
        .await
        .unwrap();
    let status = reply.status().as_u16();
    let headers = reply.headers().clone();
    let body = reply.json().await.unwrap_or(Value::Null);
    (status, headers, body)
}

/// `name=value` of the session cookie a sign-in set.
fn session_cookie(headers: &HeaderMap) -> String {
    let set_cookie = headers[SET_COOKIE].to_str().unwrap();
    set_cookie.split(';').next().unwrap().trim().to_string()
}

#[tokio::test]
async fn the_dashboard_session_is_an_http_only_strict_cookie_and_changes_need_its_csrf_token() {
    let world = world().await;
    let email = manager(&world).await;
    let (status, headers, body) = sign_in(&world, &email, PASSWORD).await;
    assert_eq!(status, 200, "{body}");
    let set_cookie = headers[SET_COOKIE].to_str().unwrap();
    for attribute in ["HttpOnly", "SameSite=Strict", "Path=/", "Max-Age=43200"] {
        assert!(set_cookie.contains(attribute), "{set_cookie}");
    }
    // Over plain HTTP the cookie cannot be Secure (see `Transport::session_cookie`).
    assert!(!set_cookie.contains("Secure"), "{set_cookie}");
    assert!(set_cookie.starts_with(&format!("{COOKIE_NAME}=")));
    let cookie = session_cookie(&headers);
    let session_token = cookie.split_once('=').unwrap().1;
    // The page gets who signed in and the CSRF token, never the session token.
    assert_eq!(body["role"], "manager");
    assert_eq!(body["email"], email.as_str());
    let csrf = body["csrf_token"].as_str().unwrap().to_string();
    assert_eq!(csrf.len(), 43);
    assert!(body.get("token").is_none(), "{body}");
    assert!(!body.to_string().contains(session_token), "{body}");

    let client = &world.server.client;
    let c = &world.campaign.id;
    // Reading needs the cookie alone.
    let campaigns = client
        .get(world.server.url("/api/v1/campaigns"))
        .header(COOKIE, &cookie)
        .send()
        .await
        .unwrap();
    assert_eq!(campaigns.status(), 200);
    let again: Value = client
        .get(world.server.url("/api/v1/session"))
        .header(COOKIE, &cookie)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(
        again["csrf_token"],
        csrf.as_str(),
        "the same token after a reload"
    );

    // A change needs the CSRF token and this server's Origin, besides the cookie.
    let codes = world
        .server
        .url(&format!("/api/v1/campaigns/{c}/enrollment-codes"));
    let wrong_csrf = format!("{}A", &csrf[..42]);
    let attempts: [(Option<&str>, Option<&str>, u16); 6] = [
        (None, Some(&world.server.base), 403),
        (Some(&wrong_csrf), Some(&world.server.base), 403),
        (Some(""), Some(&world.server.base), 403),
        (Some(&csrf), None, 403),
        (Some(&csrf), Some("http://attacker.example"), 403),
        (Some(&csrf), Some(&world.server.base), 201),
    ];
    for (token, origin, expected) in attempts {
        let mut request = client
            .post(&codes)
            .header(COOKIE, &cookie)
            .json(&json!({"count": 1}));
        if let Some(token) = token {
            request = request.header("X-CSRF-Token", token);
        }
        if let Some(origin) = origin {
            request = request.header(ORIGIN, origin);
        }
        let reply = request.send().await.unwrap();
        assert_eq!(
            reply.status().as_u16(),
            expected,
            "CSRF {token:?}, Origin {origin:?}: {}",
            reply.text().await.unwrap()
        );
    }

    // Signing out needs the token too, ends the session on the server and clears the cookie.
    let sign_out = |token: &str| {
        client
            .delete(world.server.url("/api/v1/session"))
            .header(COOKIE, &cookie)
            .header(ORIGIN, &world.server.base)
            .header("X-CSRF-Token", token.to_string())
            .send()
    };
    assert_eq!(sign_out(&wrong_csrf).await.unwrap().status(), 403);
    let out = sign_out(&csrf).await.unwrap();
    assert_eq!(out.status(), 204);
    let cleared = out.headers()[SET_COOKIE].to_str().unwrap();
    assert!(
        cleared.starts_with(&format!("{COOKIE_NAME}=;")) && cleared.contains("Max-Age=0"),
        "{cleared}"
    );
    let after = client
        .get(world.server.url("/api/v1/campaigns"))
        .header(COOKIE, &cookie)
        .send()
        .await
        .unwrap();
    assert_eq!(after.status(), 401);
    world.server.shutdown().await;
}

#[tokio::test]
async fn bearer_sessions_need_no_csrf_token_and_end_when_signed_out() {
    // A browser never sends an Authorization header of its own accord, so a bearer session
    // cannot be ridden by another site's request.
    let world = world().await;
    let token = world.person(&world.owner, Role::Manager).await;
    let client = &world.server.client;
    let codes = client
        .post(world.server.url(&format!(
            "/api/v1/campaigns/{}/enrollment-codes",
            world.campaign.id
        )))
        .bearer_auth(&token)
        .json(&json!({"count": 1}))
        .send()
        .await
        .unwrap();
    assert_eq!(codes.status(), 201);
    let me: Value = world.get_json(&token, "/api/v1/session").await;
    assert_eq!(me["role"], "manager");
    assert_eq!(me["csrf_token"], "", "a bearer session has no CSRF token");
    let out = client
        .delete(world.server.url("/api/v1/session"))
        .bearer_auth(&token)
        .send()
        .await
        .unwrap();
    assert_eq!(out.status(), 204);
    assert!(out.headers().get(SET_COOKIE).is_none());
    let after = client
        .get(world.server.url("/api/v1/campaigns"))
        .bearer_auth(&token)
        .send()
        .await
        .unwrap();
    assert_eq!(after.status(), 401);
    world.server.shutdown().await;
}

#[tokio::test]
async fn another_site_cannot_sign_a_visitor_in() {
    let world = world().await;
    let email = manager(&world).await;
    let reply = world
        .server
        .client
        .post(world.server.url("/api/v1/session"))
        .header(ORIGIN, "http://attacker.example")
        .json(&json!({"email": email, "password": PASSWORD}))
        .send()
        .await
        .unwrap();
    assert_eq!(reply.status(), 403);
    assert!(reply.headers().get(SET_COOKIE).is_none());
    world.server.shutdown().await;
}

async fn audit_log(world: &World, admin_token: &str) -> Vec<AuditEvent> {
    let reply = world
        .server
        .client
        .get(world.server.url("/api/v1/audit"))
        .bearer_auth(admin_token)
        .send()
        .await
        .unwrap();
    assert_eq!(reply.status(), 200);
    reply.json().await.unwrap()
}

#[tokio::test]
async fn failed_sign_ins_make_the_next_ones_wait_with_retry_after() {
    let world = world().await;
    let email = manager(&world).await;
    for attempt in 1..=5 {
        let (status, _, body) = sign_in(&world, &email, "a wrong guess").await;
        assert_eq!(status, 401, "attempt {attempt}: {body}");
    }
    // Now even the right password waits, and is told how long.
    let reply = world
        .server
        .client
        .post(world.server.url("/api/v1/login"))
        .json(&json!({"email": email.to_uppercase(), "password": PASSWORD}))
        .send()
        .await
        .unwrap();
    assert_eq!(reply.status(), 429);
    let retry_after: u64 = reply.headers()[RETRY_AFTER]
        .to_str()
        .unwrap()
        .parse()
        .unwrap();
    assert!((1..=30).contains(&retry_after), "{retry_after}");
    let body: Value = reply.json().await.unwrap();
    assert!(
        body["error"]
            .as_str()
            .unwrap()
            .contains(&format!("try again in {retry_after} seconds")),
        "{body}"
    );
    // Another person at the same address is not locked out by it.
    let viewer = world.person(&world.partner, Role::Viewer).await;
    assert!(!viewer.is_empty());

    // Every try is in the audit log, with the client's address.
    let admin = world.person(&world.owner, Role::Admin).await;
    let events = audit_log(&world, &admin).await;
    let refused: Vec<&AuditEvent> = events
        .iter()
        .filter(|e| e.action == AuditAction::SignInRefused && e.actor.eq_ignore_ascii_case(&email))
        .collect();
    assert_eq!(refused.len(), 6, "{events:#?}");
    assert!(refused[5].subject.contains("too many failed sign-ins"));
    assert!(refused
        .iter()
        .all(|e| e.client.as_deref() == Some("127.0.0.1")));
    assert!(events
        .iter()
        .any(|e| e.action == AuditAction::SignIn && e.actor.starts_with("viewer-")));
    world.server.shutdown().await;
}

#[tokio::test]
async fn admins_read_who_signed_in_exported_and_revoked() {
    let world = world().await;
    let manager_token = world.person(&world.owner, Role::Manager).await;
    let admin = world.person(&world.owner, Role::Admin).await;
    let client = &world.server.client;
    let c = &world.campaign.id;
    let (device, _) = world.device(&world.partner, "fieldline:lost-tablet").await;
    let get = |path: String| {
        client
            .get(world.server.url(&path))
            .bearer_auth(&manager_token)
            .send()
    };
    let revoked = client
        .post(
            world
                .server
                .url(&format!("/api/v1/campaigns/{c}/devices/{device}/revoke")),
        )
        .bearer_auth(&manager_token)
        .send()
        .await
        .unwrap();
    assert_eq!(revoked.status(), 204);
    let export = get(format!(
        "/api/v1/campaigns/{c}/rounds/baseline/export?format=csv"
    ))
    .await
    .unwrap();
    assert_eq!(export.status(), 200);
    export.bytes().await.unwrap();
    // Shown in the dashboard: not a download, not recorded.
    let shown = get(format!("/api/v1/campaigns/{c}/report?format=json"))
        .await
        .unwrap();
    let shown_status = shown.status();
    // Refused: nothing handed out, nothing recorded.
    let missing = get(format!(
        "/api/v1/campaigns/{c}/rounds/nope/export?format=csv"
    ))
    .await
    .unwrap();
    assert_eq!(missing.status(), 404);

    let events = audit_log(&world, &admin).await;
    let manager_email = format!("manager-{}@example.org", world.owner.id);
    let by_manager: Vec<(AuditAction, &str)> = events
        .iter()
        .filter(|e| e.actor == manager_email)
        .map(|e| (e.action, e.subject.as_str()))
        .collect();
    assert_eq!(
        by_manager,
        [
            (AuditAction::SignIn, "a script as manager"),
            (
                AuditAction::DeviceRevoked,
                format!(
                    "tablet fieldline:lost-tablet (fieldline:lost-tablet, organization {})",
                    world.partner.id
                )
                .as_str()
            ),
            (AuditAction::Export, "rounds/baseline/export?format=csv"),
        ],
        "{events:#?} (the report shown answered {shown_status})"
    );
    let export = events
        .iter()
        .find(|e| e.action == AuditAction::Export)
        .unwrap();
    assert_eq!(export.campaign_id.as_deref(), Some(c.as_str()));
    assert!(events.windows(2).all(|w| w[0].seq < w[1].seq));

    // Paged with `after`.
    let rest: Vec<AuditEvent> = client
        .get(
            world
                .server
                .url(&format!("/api/v1/audit?after={}", events[0].seq)),
        )
        .bearer_auth(&admin)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(rest, events[1..]);
    // A manager may not read it.
    let refused = client
        .get(world.server.url("/api/v1/audit"))
        .bearer_auth(&manager_token)
        .send()
        .await
        .unwrap();
    assert_eq!(refused.status(), 403);
    world.server.shutdown().await;
}

/// One request over TLS, trusting only `root`; the raw answer (head and body).
async fn https_request(
    addr: std::net::SocketAddr,
    root: &rustls::pki_types::CertificateDer<'static>,
    request: &str,
) -> Result<String, std::io::Error> {
    let mut roots = rustls::RootCertStore::empty();
    roots.add(root.clone()).unwrap();
    let provider = Arc::new(rustls::crypto::ring::default_provider());
    let config = rustls::ClientConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()
        .unwrap()
        .with_root_certificates(roots)
        .with_no_client_auth();
    let connector = tokio_rustls::TlsConnector::from(Arc::new(config));
    let tcp = tokio::net::TcpStream::connect(addr).await?;
    let name = rustls::pki_types::ServerName::try_from("localhost").unwrap();
    let mut tls = connector.connect(name, tcp).await?;
    tls.write_all(request.as_bytes()).await?;
    let mut answer = Vec::new();
    tls.read_to_end(&mut answer).await?;
    Ok(String::from_utf8_lossy(&answer).into_owned())
}

#[tokio::test]
async fn https_with_a_certificate_sets_secure_host_only_cookies_and_hsts() {
    let dir = tempfile::tempdir().unwrap();
    let made = rcgen::generate_simple_self_signed(vec!["localhost".to_string()]).unwrap();
    let (cert_path, key_path) = (dir.path().join("cert.pem"), dir.path().join("key.pem"));
    std::fs::write(&cert_path, made.cert.pem()).unwrap();
    std::fs::write(&key_path, made.key_pair.serialize_pem()).unwrap();
    let tls = TlsConfig::from_pem_files(&cert_path, &key_path).unwrap();

    let storage = open_storage(&DatabaseUrl::Sqlite(dir.path().join("server.sqlite3")))
        .await
        .unwrap();
    let org = storage.create_organization("Owner").await.unwrap();
    storage
        .create_user(
            &org.id,
            "manager@example.org",
            Role::Manager,
            &fieldline_server::secrets::hash_password(PASSWORD),
        )
        .await
        .unwrap();
    let server = Server::bind("127.0.0.1:0".parse().unwrap(), storage)
        .await
        .unwrap()
        .with_tls(tls);
    assert_eq!(server.scheme(), "https");
    let addr = server.local_addr();
    let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
    let task = tokio::spawn(server.run(async {
        let _ = stopped.await;
    }));

    let root = made.cert.der().clone();
    let health = https_request(
        addr,
        &root,
        "GET /api/v1/health HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n",
    )
    .await
    .unwrap();
    assert!(health.starts_with("HTTP/1.1 200"), "{health}");
    assert!(
        health
            .to_lowercase()
            .contains("strict-transport-security: max-age=31536000"),
        "{health}"
    );
    let body = format!(r#"{{"email":"manager@example.org","password":"{PASSWORD}"}}"#);
    let signed_in = https_request(
        addr,
        &root,
        &format!(
            "POST /api/v1/session HTTP/1.1\r\nHost: localhost\r\nOrigin: https://localhost\r\n\
             Content-Type: application/json\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{body}",
            body.len()
        ),
    )
    .await
    .unwrap();
    assert!(signed_in.starts_with("HTTP/1.1 200"), "{signed_in}");
    let set_cookie = signed_in
        .lines()
        .find(|l| l.to_lowercase().starts_with("set-cookie:"))
        .unwrap_or_default();
    assert!(
        set_cookie.contains("__Host-fieldline-session=")
            && set_cookie.contains("; Secure")
            && set_cookie.contains("HttpOnly")
            && set_cookie.contains("SameSite=Strict"),
        "{set_cookie}"
    );

    // A client that does not trust the certificate gets no answer at all.
    let stranger = rcgen::generate_simple_self_signed(vec!["localhost".to_string()]).unwrap();
    let refused = https_request(
        addr,
        stranger.cert.der(),
        "GET /api/v1/health HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n",
    )
    .await;
    assert!(refused.is_err(), "{refused:?}");

    let _ = stop.send(());
    task.await.unwrap().unwrap();
}

#[test]
fn a_certificate_that_cannot_be_read_is_explained() {
    let dir = tempfile::tempdir().unwrap();
    let missing = dir.path().join("missing.pem");
    let err = TlsConfig::from_pem_files(&missing, &missing)
        .err()
        .unwrap()
        .to_string();
    assert!(err.contains("cannot read the certificate"), "{err}");
    assert!(err.contains("--tls-cert"), "{err}");
    let made = rcgen::generate_simple_self_signed(vec!["localhost".to_string()]).unwrap();
    let other = rcgen::KeyPair::generate().unwrap();
    let (cert, key) = (dir.path().join("cert.pem"), dir.path().join("key.pem"));
    std::fs::write(&cert, made.cert.pem()).unwrap();
    std::fs::write(&key, other.serialize_pem()).unwrap();
    let err = TlsConfig::from_pem_files(&cert, &key)
        .err()
        .unwrap()
        .to_string();
    assert!(err.contains("key"), "{err}");
}

#[tokio::test]
async fn a_disabled_person_is_signed_out_everywhere_at_once_and_cannot_sign_in_again() {
    let world = world().await;
    let client = &world.server.client;
    let partner_admin = world.person(&world.partner, Role::PartnerAdmin).await;
    // The viewer who leaves the NGO, signed in twice: a script and the dashboard.
    let leaver_token = world.person(&world.partner, Role::Viewer).await;
    let leaver = format!("viewer-{}@example.org", world.partner.id);
    let (status, headers, _) = sign_in(&world, &leaver, PASSWORD).await;
    assert_eq!(status, 200);
    let leaver_cookie = session_cookie(&headers);
    let campaigns = |auth: Result<&str, &str>| {
        let request = client.get(world.server.url("/api/v1/campaigns"));
        let request = match auth {
            Ok(token) => request.bearer_auth(token),
            Err(cookie) => request.header(COOKIE, cookie),
        };
        async move { request.send().await.unwrap().status().as_u16() }
    };
    assert_eq!(campaigns(Ok(&leaver_token)).await, 200);
    assert_eq!(campaigns(Err(&leaver_cookie)).await, 200);

    // Their partner-admin lists the organization's people and disables the leaver.
    let people: Vec<Value> = world.get_json(&partner_admin, "/api/v1/users").await;
    assert!(people
        .iter()
        .all(|p| p["organization"]["id"] == world.partner.id.as_str()));
    assert!(people.iter().all(|p| p.get("password_hash").is_none()));
    let id = people
        .iter()
        .find(|p| p["email"] == leaver.as_str())
        .unwrap()["id"]
        .as_str()
        .unwrap()
        .to_string();
    let change = |path: String, body: Option<Value>| {
        let mut request = client
            .request(
                if body.is_some() {
                    reqwest::Method::PUT
                } else {
                    reqwest::Method::POST
                },
                world.server.url(&path),
            )
            .bearer_auth(&partner_admin);
        if let Some(body) = body {
            request = request.json(&body);
        }
        async move { request.send().await.unwrap().status().as_u16() }
    };
    assert_eq!(
        change(format!("/api/v1/users/{id}/disable"), None).await,
        204
    );

    // Both sessions ended at once; the password no longer signs in, and says why.
    assert_eq!(campaigns(Ok(&leaver_token)).await, 401);
    assert_eq!(campaigns(Err(&leaver_cookie)).await, 401);
    let (status, _, body) = sign_in(&world, &leaver, PASSWORD).await;
    assert_eq!(status, 403, "{body}");
    assert!(
        body["error"].as_str().unwrap().contains("disabled"),
        "{body}"
    );
    // A wrong password for a disabled account is just a wrong password.
    let (status, _, _) = sign_in(&world, &leaver, "not the password").await;
    assert_eq!(status, 401);

    // Enabled again, and made a partner-admin: the role holds from the next sign-in.
    assert_eq!(
        change(format!("/api/v1/users/{id}/enable"), None).await,
        204
    );
    assert_eq!(
        change(
            format!("/api/v1/users/{id}/role"),
            Some(json!({"role": "partner-admin"}))
        )
        .await,
        204
    );
    let (status, _, body) = sign_in(&world, &leaver, PASSWORD).await;
    assert_eq!(
        (status, body["role"].as_str()),
        (200, Some("partner-admin"))
    );
    // A partner-admin makes nobody a manager, and cannot change their own access.
    assert_eq!(
        change(
            format!("/api/v1/users/{id}/role"),
            Some(json!({"role": "manager"}))
        )
        .await,
        403
    );
    let own = people
        .iter()
        .find(|p| p["email"] == format!("partner-admin-{}@example.org", world.partner.id))
        .unwrap()["id"]
        .as_str()
        .unwrap()
        .to_string();
    assert_eq!(
        change(format!("/api/v1/users/{own}/disable"), None).await,
        409
    );

    // The admin reads who did it.
    let admin = world.person(&world.owner, Role::Admin).await;
    let events = audit_log(&world, &admin).await;
    let actions: Vec<(AuditAction, &str)> = events
        .iter()
        .filter(|e| e.subject.contains(&leaver))
        .map(|e| (e.action, e.actor.as_str()))
        .collect();
    let by = format!("partner-admin-{}@example.org", world.partner.id);
    for action in [
        AuditAction::UserDisabled,
        AuditAction::UserEnabled,
        AuditAction::RoleChanged,
    ] {
        assert!(
            actions.contains(&(action, by.as_str())),
            "{action:?} missing: {actions:?}"
        );
    }
    world.server.shutdown().await;
}
