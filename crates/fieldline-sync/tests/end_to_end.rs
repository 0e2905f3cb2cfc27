//! The sync client against the real campaign server on a loopback port, with a real device
//! store on disk: enrollment, rounds, interviews, batches, resends, resumable attachments and
//! the background loop.

use std::net::SocketAddr;
use std::path::Path;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use fieldline_device_store::{DeviceStore, FinalizeOutcome, SyncCounts, SyncState};
use fieldline_form::{Attachments, Form};
use fieldline_protocol::Named;
use fieldline_server::secrets::{enrollment_code_hash, new_enrollment_code};
use fieldline_server::storage::{NewRound, SubmissionFilter};
use fieldline_server::{open_storage, DatabaseUrl, Server, Storage};
use fieldline_sync::{ClientConfig, Held, LoopOptions, Phase, SyncClient, SyncError, SyncLoop};
use rust_xlsxwriter::Workbook;
use tokio::sync::oneshot;

/// Nepal's offset from UTC, where the campaign form is used.
const NEPAL: i32 = 345;

struct Running {
    base: String,
    addr: SocketAddr,
    storage: Arc<dyn Storage>,
    stop: Option<oneshot::Sender<()>>,
    task: tokio::task::JoinHandle<()>,
}

impl Running {
    async fn shutdown(mut self) {
        let _ = self.stop.take().expect("running").send(());
        self.task.await.unwrap();
    }
}

async fn serve(addr: SocketAddr, storage: Arc<dyn Storage>) -> Running {
    let server = Server::bind(addr, storage.clone()).await.unwrap();
    let addr = server.local_addr();
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
        base: format!("http://{addr}"),
        addr,
        storage,
        stop: Some(stop),
        task,
    }
}

/// A campaign with a partner and its rounds on a server's storage.
struct Campaign {
    id: String,
    partner: Named,
}

fn kap() -> Vec<u8> {
    std::fs::read(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../../../shared/forms/fieldline/safe_migration_kap.xlsx"
    ))
    .expect("the shared forms sit next to the repository")
}

/// A form with one photo question, answered with an attached file.
fn photo_form() -> Vec<u8> {
    let survey: &[&[&str]] = &[
        &["type", "name", "label", "required"],
        &["image", "photo", "Photo of the notice board", "yes"],
    ];
    let settings: &[&[&str]] = &[
        &["form_id", "version", "form_title"],
        &["notice_board", "1", "Notice board"],
    ];
    let mut wb = Workbook::new();
    for (name, rows) in [("survey", survey), ("settings", settings)] {
        let ws = wb.add_worksheet();
        ws.set_name(name).unwrap();
        for (r, row) in rows.iter().enumerate() {
            for (c, cell) in row.iter().enumerate() {
                ws.write_string(r as u32, c as u16, *cell).unwrap();
            }
        }
    }
    wb.save_to_buffer().unwrap()
}

async fn publish(
    storage: &Arc<dyn Storage>,
    campaign_id: &str,
    name: &str,
    file: &str,
    bytes: &[u8],
) {
    let form = Form::from_xlsform(bytes, &Attachments::new()).unwrap();
    storage
        .create_round(NewRound {
            campaign_id: campaign_id.into(),
            name: name.into(),
            form_id: form.settings.form_id.clone(),
            form_version: form.settings.version.clone().unwrap_or_default(),
            title: form.settings.form_title.clone(),
            file_name: file.into(),
            sha256: fieldline_device_store::payload::sha256_hex(bytes),
            xlsform: bytes.to_vec(),
            definition: serde_json::to_string(&form).unwrap(),
        })
        .await
        .unwrap();
}

async fn campaign(storage: &Arc<dyn Storage>) -> Campaign {
    let owner = storage
        .create_organization("Safe Migration Network")
        .await
        .unwrap();
    let partner = storage
        .create_organization("Koshi Women's Group")
        .await
        .unwrap();
    let campaign = storage
        .create_campaign(&owner.id, "KAP 2026")
        .await
        .unwrap();
    storage
        .add_partner(&campaign.id, &partner.id)
        .await
        .unwrap();
    publish(
        storage,
        &campaign.id,
        "baseline",
        "safe_migration_kap.xlsx",
        &kap(),
    )
    .await;
    Campaign {
        id: campaign.id,
        partner: Named {
            id: partner.id,
            name: partner.name,
        },
    }
}

async fn code(storage: &Arc<dyn Storage>, campaign: &Campaign) -> String {
    let code = new_enrollment_code();
    storage
        .create_enrollment_codes(
            &campaign.id,
            &campaign.partner.id,
            &[enrollment_code_hash(&code)],
        )
        .await
        .unwrap();
    code
}

async fn server_with_campaign(dir: &Path) -> (Running, Campaign) {
    let storage = open_storage(&DatabaseUrl::Sqlite(dir.join("server.sqlite3")))
        .await
        .unwrap();
    let campaign = campaign(&storage).await;
    (
        serve("127.0.0.1:0".parse().unwrap(), storage).await,
        campaign,
    )
}

/// A device profile with the enumerator's name set.
fn device(dir: &Path) -> Mutex<DeviceStore> {
    let store = DeviceStore::open(dir).unwrap();
    store.set_username("Asha").unwrap();
    Mutex::new(store)
}

/// A complete KAP interview, as an enumerator answers it.
fn kap_answers(ward: u32) -> Vec<(&'static str, String)> {
    [
        ("province", "koshi"),
        ("municipality", "dharan"),
        ("consent", "yes"),
        ("/data/about/gender", "woman"),
        ("/data/about/age", "34"),
        ("/data/about/education", "secondary"),
        ("/data/know/heard_trafficking", "no"),
        ("/data/know/knows_hotline", "no"),
        ("/data/know/before_leaving", "check_agency"),
        ("/data/views/view_debt", "2"),
        ("/data/views/view_report", "5"),
        ("/data/migrants[1]/m_relation", "brother"),
        ("/data/migrants[1]/m_country", "qatar"),
        ("/data/migrants[1]/m_contract", "no"),
    ]
    .into_iter()
    .map(|(k, v)| (k, v.to_owned()))
    .chain([("ward", ward.to_string())])
    .collect()
}

/// Fills and finalizes one interview of the round `round`; returns (instance id, sha256).
fn fill(store: &Mutex<DeviceStore>, round: &str, answers: &[(&str, String)]) -> (String, String) {
    let mut store = store.lock().unwrap();
    let round = store
        .rounds()
        .unwrap()
        .into_iter()
        .find(|r| r.name == round)
        .expect("the round was pulled");
    let id = store.start_round_draft(&round.round_id, NEPAL).unwrap();
    for (key, value) in answers {
        store.record_answer(&id, key, value).unwrap();
    }
    match store.finalize(&id, None).unwrap() {
        FinalizeOutcome::Finalized {
            instance_id,
            sha256,
            ..
        } => (instance_id, sha256),
        blocked => panic!("{blocked:?}"),
    }
}

async fn server_holdings(storage: &Arc<dyn Storage>, campaign: &Campaign) -> Vec<(String, String)> {
    let mut held: Vec<_> = storage
        .submissions(&SubmissionFilter {
            campaign_id: campaign.id.clone(),
            ..SubmissionFilter::default()
        })
        .await
        .unwrap()
        .into_iter()
        .map(|s| (s.instance_id, s.sha256))
        .collect();
    held.sort();
    held
}

#[tokio::test]
async fn enroll_pull_fill_three_push_then_all_are_sent_once_and_a_resend_is_a_duplicate() {
    let dir = tempfile::tempdir().unwrap();
    let (server, campaign) = server_with_campaign(dir.path()).await;
    let home = dir.path().join("device");
    let store = device(&home);

    let mut client = SyncClient::new(&server.base, None).unwrap();
    let code = code(&server.storage, &campaign).await;
    let enrolled = client
        .enroll_device(&store, &code, Some("tablet 7"))
        .await
        .unwrap();
    assert_eq!(enrolled.organization, campaign.partner);
    let enrollment = store.lock().unwrap().enrollment().unwrap().unwrap();
    assert_eq!(enrollment.server_url, server.base);
    assert_eq!(enrollment.campaign.id, campaign.id);
    // A one-time code works once.
    let again = SyncClient::new(&server.base, None)
        .unwrap()
        .enroll(&code, "fieldline:other", "other")
        .await;
    assert!(again.is_err());

    let pulled = client.pull(&store).await.unwrap();
    assert_eq!(pulled.new_rounds, ["baseline"]);
    assert_eq!(pulled.new_forms, 1);
    let cursor = store.lock().unwrap().rounds_cursor().unwrap();
    assert!(cursor > 0);
    // Nothing new: the cursor stays and nothing is imported again.
    let again = client.pull(&store).await.unwrap();
    assert!(again.new_rounds.is_empty());
    assert_eq!(store.lock().unwrap().rounds_cursor().unwrap(), cursor);

    let mut filled: Vec<(String, String)> = (5..8)
        .map(|ward| fill(&store, "baseline", &kap_answers(ward)))
        .collect();
    filled.sort();
    // A draft never leaves the device.
    let draft = {
        let mut s = store.lock().unwrap();
        let round = s.rounds().unwrap().remove(0);
        s.start_round_draft(&round.round_id, NEPAL).unwrap()
    };

    let mut seen = Vec::new();
    let report = client.push(&store, |p| seen.push(p)).await.unwrap();
    assert_eq!(report.results.accepted, 3, "{report:?}");
    assert_eq!(report.results.sent(), 3);
    assert_eq!(report.batches, 1);
    assert_eq!(report.unanswered, 0);
    let status = report.status.as_ref().unwrap();
    assert_eq!((status.contiguous_seq, status.held), (3, 3));
    let last = *seen.last().unwrap();
    assert_eq!((last.items_done, last.items_total), (3, 3));
    assert_eq!(last.bytes_done, last.bytes_total);
    assert!(last.bytes_total > 0);
    assert_eq!(seen[0].items_done, 0);

    assert_eq!(server_holdings(&server.storage, &campaign).await, filled);
    assert_eq!(
        store.lock().unwrap().sync_counts().unwrap(),
        SyncCounts {
            drafts: 1,
            finalized: 3,
            pending: 0,
            sent: 3,
            rejected: 0,
            conflict: 0
        }
    );
    assert!(store
        .lock()
        .unwrap()
        .list_outbox()
        .unwrap()
        .iter()
        .all(|e| e.state == SyncState::Sent));
    assert!(!server_holdings(&server.storage, &campaign)
        .await
        .iter()
        .any(|(id, _)| *id == draft));
    // Nothing left: a push sends nothing.
    let idle = client.push(&store, |_| {}).await.unwrap();
    assert_eq!(idle.batches, 0);

    // The server committed but its answer never arrived: the device still has them queued and
    // sends them again. They come back as duplicates, and the server holds each once.
    rusqlite::Connection::open(home.join(fieldline_device_store::DATABASE_FILE))
        .unwrap()
        .execute(
            "UPDATE sync_status SET state = 'queued', sent_at = NULL",
            [],
        )
        .unwrap();
    let resent = client.sync(&store).await.unwrap();
    assert_eq!(resent.push.results.duplicate, 3, "{resent:?}");
    assert_eq!(resent.push.results.accepted, 0);
    assert_eq!(server_holdings(&server.storage, &campaign).await, filled);
    assert_eq!(store.lock().unwrap().sync_counts().unwrap().sent, 3);
    assert_eq!(client.device_status().await.unwrap().contiguous_seq, 3);
    server.shutdown().await;
}

#[tokio::test]
async fn an_interrupted_attachment_upload_resumes_where_it_broke() {
    let dir = tempfile::tempdir().unwrap();
    let (server, campaign) = server_with_campaign(dir.path()).await;
    publish(
        &server.storage,
        &campaign.id,
        "notice boards",
        "notice_board.xlsx",
        &photo_form(),
    )
    .await;
    let store = device(&dir.path().join("device"));
    let mut client = SyncClient::new(&server.base, None).unwrap();
    let code = code(&server.storage, &campaign).await;
    client.enroll_device(&store, &code, None).await.unwrap();
    client.pull(&store).await.unwrap();

    // A photo of 2.5 chunks, with bytes that do not repeat.
    let photo: Vec<u8> = (0..(640 * 1024u32))
        .map(|i| (i.wrapping_mul(2_654_435_761) >> 13) as u8)
        .collect();
    let (instance_id, sha256) = {
        let mut s = store.lock().unwrap();
        let round = s
            .rounds()
            .unwrap()
            .into_iter()
            .find(|r| r.name == "notice boards")
            .unwrap();
        let id = s.start_round_draft(&round.round_id, NEPAL).unwrap();
        s.attach_file(&id, "photo", "IMG_0042.jpg", &photo).unwrap();
        match s.finalize(&id, None).unwrap() {
            FinalizeOutcome::Finalized {
                instance_id,
                sha256,
                ..
            } => (instance_id, sha256),
            blocked => panic!("{blocked:?}"),
        }
    };
    let photo_sha = fieldline_device_store::payload::sha256_hex(&photo);

    // The first chunk went through before the link dropped.
    assert_eq!(
        client.attachment_offset(&photo_sha).await.unwrap(),
        Held::Partial(0)
    );
    let first = fieldline_sync::ATTACHMENT_CHUNK_BYTES;
    assert_eq!(
        client
            .patch_attachment(&photo_sha, 0, &photo[..first], false)
            .await
            .unwrap(),
        Held::Partial(first as u64)
    );
    // A chunk sent again at an old offset is refused with the offset the server holds.
    assert_eq!(
        client
            .patch_attachment(&photo_sha, 0, &photo[..first], false)
            .await
            .unwrap(),
        Held::Partial(first as u64)
    );

    let report = client.push(&store, |_| {}).await.unwrap();
    assert_eq!(report.attachment_bytes, (photo.len() - first) as u64);
    assert_eq!(report.attachments_uploaded, 1);
    assert_eq!(report.results.accepted, 1, "{report:?}");
    assert_eq!(
        client.attachment_offset(&photo_sha).await.unwrap(),
        Held::Complete
    );
    assert_eq!(
        server
            .storage
            .attachment(&photo_sha)
            .await
            .unwrap()
            .unwrap(),
        photo
    );
    assert_eq!(
        server_holdings(&server.storage, &campaign).await,
        [(instance_id, sha256)]
    );
    server.shutdown().await;
}

#[tokio::test]
async fn a_token_the_server_does_not_know_is_unauthorized() {
    let dir = tempfile::tempdir().unwrap();
    let (server, _campaign) = server_with_campaign(dir.path()).await;
    let client = SyncClient::new(&server.base, Some("not-a-token".into())).unwrap();
    client.health().await.unwrap();
    let err = client.rounds_page(0).await.unwrap_err();
    assert!(matches!(err, SyncError::Unauthorized), "{err}");
    assert!(!err.is_transient());
    server.shutdown().await;
}

#[tokio::test]
async fn the_sync_loop_waits_for_the_server_and_syncs_when_it_answers() {
    let dir = tempfile::tempdir().unwrap();
    let storage = open_storage(&DatabaseUrl::Sqlite(dir.path().join("server.sqlite3")))
        .await
        .unwrap();
    let campaign = campaign(&storage).await;
    let first = serve("127.0.0.1:0".parse().unwrap(), storage.clone()).await;
    let addr = first.addr;
    let store = Arc::new(device(&dir.path().join("device")));
    let mut client = SyncClient::new(&first.base, None).unwrap();
    let code = code(&storage, &campaign).await;
    client.enroll_device(&store, &code, None).await.unwrap();
    client.pull(&store).await.unwrap();
    let filled = fill(&store, "baseline", &kap_answers(9));
    // The link goes away.
    first.shutdown().await;

    let sync = SyncLoop::spawn(
        store.clone(),
        LoopOptions {
            backoff_initial: Duration::from_millis(50),
            backoff_max: Duration::from_millis(400),
            idle_interval: Duration::from_secs(3600),
            ..LoopOptions::default()
        },
    );
    let mut status = sync.subscribe();
    let waiting = tokio::time::timeout(
        Duration::from_secs(20),
        status.wait_for(|s| s.phase == Phase::Waiting && s.last_error.is_some()),
    )
    .await
    .expect("the loop notices the server is away")
    .unwrap()
    .clone();
    assert!(waiting.next_attempt_in_ms.unwrap() <= 480);
    assert_eq!(store.lock().unwrap().sync_counts().unwrap().pending, 1);

    // The server is back on the same address: the loop finds it and syncs.
    let second = serve(addr, storage.clone()).await;
    let done = tokio::time::timeout(
        Duration::from_secs(30),
        status.wait_for(|s| s.phase == Phase::Idle && s.last_report.is_some()),
    )
    .await
    .expect("the loop syncs once the server answers")
    .unwrap()
    .clone();
    assert_eq!(done.last_error, None);
    assert_eq!(done.last_report.unwrap().push.results.accepted, 1);
    assert_eq!(done.progress.items_done, 1);
    assert_eq!(server_holdings(&storage, &campaign).await, [filled]);

    // "Sync now" syncs at once, without waiting out the idle interval.
    let second_fill = fill(&store, "baseline", &kap_answers(10));
    let first_success = done.last_success_at;
    sync.sync_now();
    let again = tokio::time::timeout(
        Duration::from_secs(30),
        status.wait_for(|s| s.phase == Phase::Idle && s.last_success_at != first_success),
    )
    .await
    .expect("sync now syncs")
    .unwrap()
    .clone();
    let report = again.last_report.unwrap();
    assert_eq!(report.push.results.accepted, 1);
    assert_eq!(again.progress.items_total, 1);
    assert!(server_holdings(&storage, &campaign)
        .await
        .contains(&second_fill));
    drop(sync);
    second.shutdown().await;
}

/// A TCP proxy in front of the server that lets requests through but, while `cut` is above
/// zero, drops a connection as soon as the server's answer starts (and counts `cut` down): the
/// server has done the work, the device never hears of it.
async fn cutting_proxy(
    upstream: SocketAddr,
    cut: Arc<std::sync::atomic::AtomicUsize>,
) -> SocketAddr {
    use std::sync::atomic::Ordering;
    use tokio::io::{AsyncReadExt as _, AsyncWriteExt as _};
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    tokio::spawn(async move {
        loop {
            let Ok((client, _)) = listener.accept().await else {
                return;
            };
            let cut = cut.clone();
            tokio::spawn(async move {
                let Ok(server) = tokio::net::TcpStream::connect(upstream).await else {
                    return;
                };
                let (mut client_read, mut client_write) = client.into_split();
                let (mut server_read, mut server_write) = server.into_split();
                let upstream_copy = tokio::spawn(async move {
                    let _ = tokio::io::copy(&mut client_read, &mut server_write).await;
                });
                let mut buf = vec![0u8; 64 * 1024];
                loop {
                    match server_read.read(&mut buf).await {
                        Ok(0) | Err(_) => break,
                        Ok(n) => {
                            let dropped = cut
                                .fetch_update(Ordering::SeqCst, Ordering::SeqCst, |n| {
                                    n.checked_sub(1)
                                })
                                .is_ok();
                            if dropped {
                                break;
                            }
                            if client_write.write_all(&buf[..n]).await.is_err() {
                                break;
                            }
                        }
                    }
                }
                upstream_copy.abort();
            });
        }
    });
    addr
}

#[tokio::test]
async fn an_answer_lost_after_the_servers_commit_leaves_the_items_queued_and_they_come_back_as_duplicates(
) {
    use std::sync::atomic::{AtomicUsize, Ordering};
    let dir = tempfile::tempdir().unwrap();
    let (server, campaign) = server_with_campaign(dir.path()).await;
    let cut = Arc::new(AtomicUsize::new(0));
    let proxy = cutting_proxy(server.addr, cut.clone()).await;
    let store = device(&dir.path().join("device"));
    // Batches of a fixed size: a device learning its link would send the lost batch again
    // at once, smaller, and this test looks at what the lost answer leaves behind.
    let fixed = ClientConfig {
        learn_batch_size: false,
        ..ClientConfig::default()
    };
    let mut client = SyncClient::with_config(&format!("http://{proxy}"), None, fixed).unwrap();
    let code = code(&server.storage, &campaign).await;
    client.enroll_device(&store, &code, None).await.unwrap();
    client.pull(&store).await.unwrap();
    let mut filled: Vec<_> = (11..14)
        .map(|ward| fill(&store, "baseline", &kap_answers(ward)))
        .collect();
    filled.sort();

    cut.store(1, Ordering::SeqCst);
    let err = client.push(&store, |_| {}).await.unwrap_err();
    assert!(err.is_transient(), "{err}");
    // The server holds them; the device, never told, still has them queued.
    assert_eq!(server_holdings(&server.storage, &campaign).await, filled);
    let counts = store.lock().unwrap().sync_counts().unwrap();
    assert_eq!((counts.pending, counts.sent), (3, 0));

    assert_eq!(cut.load(Ordering::SeqCst), 0);
    let report = client.push(&store, |_| {}).await.unwrap();
    assert_eq!(report.results.duplicate, 3, "{report:?}");
    assert_eq!(report.results.conflict, 0);
    assert_eq!(server_holdings(&server.storage, &campaign).await, filled);
    let counts = store.lock().unwrap().sync_counts().unwrap();
    assert_eq!((counts.pending, counts.sent, counts.conflict), (0, 3, 0));
    server.shutdown().await;
}

#[tokio::test]
async fn an_attachment_upload_broken_mid_push_resumes_from_the_servers_offset() {
    use std::sync::atomic::{AtomicUsize, Ordering};
    let dir = tempfile::tempdir().unwrap();
    let (server, campaign) = server_with_campaign(dir.path()).await;
    publish(
        &server.storage,
        &campaign.id,
        "notice boards",
        "notice_board.xlsx",
        &photo_form(),
    )
    .await;
    let cut = Arc::new(AtomicUsize::new(0));
    let proxy = cutting_proxy(server.addr, cut.clone()).await;
    let store = device(&dir.path().join("device"));
    let mut client = SyncClient::new(&format!("http://{proxy}"), None).unwrap();
    let code = code(&server.storage, &campaign).await;
    client.enroll_device(&store, &code, None).await.unwrap();
    client.pull(&store).await.unwrap();
    let photo: Vec<u8> = (0..(600 * 1024u32))
        .map(|i| (i.wrapping_mul(2_246_822_519) >> 11) as u8)
        .collect();
    {
        let mut s = store.lock().unwrap();
        let round = s
            .rounds()
            .unwrap()
            .into_iter()
            .find(|r| r.name == "notice boards")
            .unwrap();
        let id = s.start_round_draft(&round.round_id, NEPAL).unwrap();
        s.attach_file(&id, "photo", "IMG_0043.jpg", &photo).unwrap();
        assert!(matches!(
            s.finalize(&id, None).unwrap(),
            FinalizeOutcome::Finalized { .. }
        ));
    }
    let sha = fieldline_device_store::payload::sha256_hex(&photo);

    // The first check and the answer to the first chunk are lost: the chunk is on the server,
    // the device does not know; it asks where the server stands and sends only the rest.
    cut.store(2, Ordering::SeqCst);
    let report = client.push(&store, |_| {}).await.unwrap();
    assert_eq!(cut.load(Ordering::SeqCst), 0);
    let chunk = fieldline_sync::ATTACHMENT_CHUNK_BYTES as u64;
    assert_eq!(report.attachment_bytes, photo.len() as u64 - chunk);
    assert_eq!(report.results.accepted, 1, "{report:?}");
    assert_eq!(
        server.storage.attachment(&sha).await.unwrap().unwrap(),
        photo
    );
    server.shutdown().await;
}

/// A server that takes connections and requests and never answers.
async fn silent_server() -> SocketAddr {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    tokio::spawn(async move {
        while let Ok((mut socket, _)) = listener.accept().await {
            tokio::spawn(async move {
                use tokio::io::AsyncReadExt as _;
                let mut sink = vec![0u8; 16 * 1024];
                while matches!(socket.read(&mut sink).await, Ok(n) if n > 0) {}
            });
        }
    });
    addr
}

#[tokio::test]
async fn a_server_that_stops_answering_times_out_and_never_holds_up_the_interview() {
    let dir = tempfile::tempdir().unwrap();
    let (server, campaign) = server_with_campaign(dir.path()).await;
    let store = Arc::new(device(&dir.path().join("device")));
    let mut enrolling = SyncClient::new(&server.base, None).unwrap();
    let code = code(&server.storage, &campaign).await;
    let enrolled = enrolling.enroll_device(&store, &code, None).await.unwrap();
    enrolling.pull(&store).await.unwrap();
    fill(&store, "baseline", &kap_answers(1));
    fill(&store, "baseline", &kap_answers(2));

    // The link goes quiet mid-push: the request leaves, no answer ever comes.
    let silent = silent_server().await;
    // Long enough that the interview below is surely done before it, on a loaded machine too.
    let config = ClientConfig {
        request_timeout: Duration::from_secs(4),
        learn_batch_size: false,
        ..ClientConfig::default()
    };
    let client = SyncClient::with_config(
        &format!("http://{silent}"),
        Some(enrolled.device_token),
        config,
    )
    .unwrap();
    let started = std::time::Instant::now();
    let push = tokio::spawn({
        let store = Arc::clone(&store);
        async move { client.push(&store, |_| {}).await }
    });

    // Meanwhile the enumerator goes on interviewing: the store is free for every answer.
    tokio::time::sleep(Duration::from_millis(200)).await;
    let interviewing = tokio::task::spawn_blocking({
        let store = Arc::clone(&store);
        move || fill(&store, "baseline", &kap_answers(3))
    });
    tokio::time::timeout(Duration::from_secs(5), interviewing)
        .await
        .expect("an interview waited for the network")
        .unwrap();
    assert!(
        !push.is_finished(),
        "the push should still be waiting for its answer"
    );

    let err = push.await.unwrap().unwrap_err();
    assert!(err.to_string().contains("timed out"), "{err}");
    assert!(err.is_transient(), "{err}");
    assert!(
        started.elapsed() < Duration::from_secs(30),
        "the push gave up only after {:?}",
        started.elapsed()
    );
    let counts = store.lock().unwrap().sync_counts().unwrap();
    assert_eq!((counts.pending, counts.sent), (3, 0));
    server.shutdown().await;
}
