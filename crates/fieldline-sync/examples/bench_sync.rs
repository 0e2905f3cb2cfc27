//! The server and sync benchmarks behind `cargo xtask bench --only ingest` and `--only slowlink`
//! (issue 5's "Speed"), run in release by xtask, which writes their JSON into BENCHMARKS.md.
//!
//! - `ingest-prepare --stores DIR --devices N --per-device M --form KAP.xlsx`: N device profiles
//!   (the real device store), each enrolled on a throwaway server, with M finalized
//!   safe_migration_kap interviews in its outbox.
//! - `ingest --stores DIR --db URL --form KAP.xlsx`: a fresh campaign on the database at URL
//!   (`sqlite:PATH` or `postgres://...`), the server on a loopback port, every device enrolled,
//!   then all devices at once pushing their outboxes over HTTP in the sync client's batches
//!   (gzip-compressed JSON, up to `BATCH_BYTES` of payload each, one batch after another per
//!   device). Prints one JSON object.
//! - `slowlink-serve --listen ADDR --sink ADDR --dir DIR --form KAP.xlsx`: the campaign server on
//!   SQLite in DIR, and an OpenRosa-style submission endpoint that reads each multipart POST and
//!   answers 201 as ODK Central does. Prints `{"code": ...}` (a one-time enrollment code) when
//!   both listen; stops when its standard input closes.
//! - `slowlink-device --server ADDR --sink ADDR --code CODE --dir DIR --submissions N
//!   --odk-submissions K --latency-ms L --drop-every-s D`: a device that enrolls, pulls, fills N
//!   interviews, then syncs them through a proxy adding L ms each way and resetting every open
//!   connection every D seconds (retrying after each failure as the sync loop would), and sends
//!   K of the same submissions ODK-style (one multipart `xml_submission_file` POST each) through
//!   the same kind of proxy. Prints one JSON object.

use std::collections::HashMap;
use std::error::Error;
use std::io::{BufRead, Write as _};
use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use fieldline_device_store::{DeviceStore, FinalizeOutcome};
use fieldline_form::{Attachments, Form};
use fieldline_protocol::{Envelope, Outcome, SubmitBatch, SubmitReply, API, BATCH_BYTES};
use fieldline_server::secrets::{enrollment_code_hash, new_enrollment_code};
use fieldline_server::storage::NewRound;
use fieldline_server::{open_storage, DatabaseUrl, Server, Storage};
use fieldline_sync::SyncClient;
use serde_json::{json, Value};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::{mpsc, oneshot, watch};

type Res<T> = Result<T, Box<dyn Error + Send + Sync>>;

/// Nepal's offset from UTC, where the campaign form is used.
const NEPAL: i32 = 345;

fn main() -> Res<()> {
    let mut argv = std::env::args().skip(1);
    let command = argv
        .next()
        .ok_or("name a command: ingest-prepare, ingest, slowlink-serve or slowlink-device")?;
    let args = Args::parse(argv)?;
    // Plain HTTP here, but reqwest's rustls wants a provider before any client is built.
    let _ = rustls::crypto::ring::default_provider().install_default();
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()?;
    let report = runtime.block_on(async {
        match command.as_str() {
            "ingest-prepare" => ingest_prepare(&args).await,
            "ingest" => ingest(&args).await,
            "slowlink-serve" => slowlink_serve(&args).await,
            "slowlink-device" => slowlink_device(&args).await,
            other => Err(format!("unknown command {other}").into()),
        }
    })?;
    println!("{report}");
    Ok(())
}

/// `--key value` pairs.
struct Args(HashMap<String, String>);

impl Args {
    fn parse(argv: impl Iterator<Item = String>) -> Res<Self> {
        let mut map = HashMap::new();
        let mut argv = argv.peekable();
        while let Some(key) = argv.next() {
            let key = key
                .strip_prefix("--")
                .ok_or_else(|| format!("expected --KEY, got {key}"))?
                .to_owned();
            let value = argv
                .next()
                .ok_or_else(|| format!("--{key} needs a value"))?;
            map.insert(key, value);
        }
        Ok(Self(map))
    }

    fn get(&self, key: &str) -> Res<&str> {
        self.0
            .get(key)
            .map(String::as_str)
            .ok_or_else(|| format!("--{key} is required").into())
    }

    fn num<T: std::str::FromStr>(&self, key: &str, default: T) -> Res<T> {
        match self.0.get(key) {
            None => Ok(default),
            Some(v) => v
                .parse()
                .map_err(|_| format!("--{key}: not a number: {v}").into()),
        }
    }
}

// ---------------------------------------------------------------------------------------------
// The campaign, the devices and their interviews.

/// A campaign with one partner and the KAP form published as its baseline; returns (campaign
/// id, partner id).
async fn campaign(storage: &Arc<dyn Storage>, kap: &[u8]) -> Res<(String, String)> {
    let owner = storage
        .create_organization("Safe Migration Network")
        .await?;
    let partner = storage.create_organization("Koshi Women's Group").await?;
    let campaign = storage.create_campaign(&owner.id, "KAP 2026").await?;
    storage.add_partner(&campaign.id, &partner.id).await?;
    let form = Form::from_xlsform(kap, &Attachments::new()).map_err(|e| format!("{e:?}"))?;
    storage
        .create_round(NewRound {
            campaign_id: campaign.id.clone(),
            name: "baseline".into(),
            form_id: form.settings.form_id.clone(),
            form_version: form.settings.version.clone().unwrap_or_default(),
            title: form.settings.form_title.clone(),
            file_name: "safe_migration_kap.xlsx".into(),
            sha256: fieldline_device_store::payload::sha256_hex(kap),
            xlsform: kap.to_vec(),
            definition: serde_json::to_string(&form)?,
        })
        .await?;
    Ok((campaign.id, partner.id))
}

/// `count` one-time enrollment codes for the partner.
async fn codes(
    storage: &Arc<dyn Storage>,
    ids: &(String, String),
    count: usize,
) -> Res<Vec<String>> {
    let codes: Vec<String> = (0..count).map(|_| new_enrollment_code()).collect();
    let hashes: Vec<String> = codes.iter().map(|c| enrollment_code_hash(c)).collect();
    storage
        .create_enrollment_codes(&ids.0, &ids.1, &hashes)
        .await?;
    Ok(codes)
}

struct Running {
    base: String,
    stop: oneshot::Sender<()>,
    task: tokio::task::JoinHandle<()>,
}

impl Running {
    async fn shutdown(self) {
        let _ = self.stop.send(());
        let _ = self.task.await;
    }
}

async fn serve(addr: SocketAddr, storage: Arc<dyn Storage>) -> Res<Running> {
    let server = Server::bind(addr, storage).await?;
    let base = format!("http://{}", server.local_addr());
    let (stop, stopped) = oneshot::channel::<()>();
    let task = tokio::spawn(async move {
        let _ = server
            .run(async {
                let _ = stopped.await;
            })
            .await;
    });
    Ok(Running { base, stop, task })
}

/// The `i`th interview: a complete KAP interview, varied so that no two payloads are alike
/// beyond their ids (ward, age, sex, views, a migrant's relation and country).
fn kap_answers(i: usize) -> Vec<(&'static str, String)> {
    let pick = |options: &[&str], n: usize| options[n % options.len()].to_owned();
    vec![
        ("province", "koshi".to_owned()),
        ("municipality", "dharan".to_owned()),
        ("ward", (1 + i % 9).to_string()),
        ("consent", "yes".to_owned()),
        ("/data/about/gender", pick(&["woman", "man"], i)),
        ("/data/about/age", (18 + i % 48).to_string()),
        ("/data/about/education", "secondary".to_owned()),
        ("/data/know/heard_trafficking", "no".to_owned()),
        ("/data/know/knows_hotline", "no".to_owned()),
        ("/data/know/before_leaving", "check_agency".to_owned()),
        ("/data/views/view_debt", (1 + i % 5).to_string()),
        ("/data/views/view_report", (1 + (i / 5) % 5).to_string()),
        (
            "/data/migrants[1]/m_relation",
            pick(
                &["brother", "sister", "husband", "son", "daughter", "cousin"],
                i / 2,
            ),
        ),
        ("/data/migrants[1]/m_country", "qatar".to_owned()),
        ("/data/migrants[1]/m_contract", pick(&["no", "yes"], i / 3)),
    ]
}

/// A device profile in `dir`, enrolled on `server` with `code`, with the rounds pulled and
/// `count` finalized interviews in its outbox.
async fn filled_device(
    dir: &Path,
    server: &str,
    code: &str,
    count: usize,
) -> Res<(Mutex<DeviceStore>, String)> {
    std::fs::create_dir_all(dir)?;
    let store = DeviceStore::open(dir)?;
    store.set_username("Asha")?;
    let store = Mutex::new(store);
    let mut client = SyncClient::new(server, None)?;
    let enrolled = client.enroll_device(&store, code, None).await?;
    client.pull(&store).await?;
    {
        let mut s = store.lock().unwrap_or_else(|p| p.into_inner());
        let round = s
            .rounds()?
            .into_iter()
            .find(|r| r.name == "baseline")
            .ok_or("the baseline round was not pulled")?;
        for i in 0..count {
            let id = s.start_round_draft(&round.round_id, NEPAL)?;
            for (key, value) in kap_answers(i) {
                s.record_answer(&id, key, &value)?;
            }
            match s.finalize(&id, None)? {
                FinalizeOutcome::Finalized { .. } => {}
                blocked => {
                    return Err(format!("interview {i} was not finalized: {blocked:?}").into())
                }
            }
        }
    }
    Ok((store, enrolled.device_token))
}

/// Every queued envelope of a store, in the sync client's batches.
fn batches(store: &DeviceStore, batch_bytes: usize) -> Res<Vec<Vec<Envelope>>> {
    let mut out = Vec::new();
    let mut after = 0;
    loop {
        let batch = store.pending_envelopes_after(after, batch_bytes)?;
        let Some(last) = batch.last() else {
            return Ok(out);
        };
        after = last.device_seq;
        out.push(batch);
    }
}

/// The body the sync client sends for a batch: its JSON, gzip-compressed at the default level.
fn gzip_batch(items: &[Envelope]) -> Res<Vec<u8>> {
    let json = serde_json::to_vec(&SubmitBatch {
        items: items.to_vec(),
    })?;
    let mut encoder = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::default());
    encoder.write_all(&json)?;
    Ok(encoder.finish()?)
}

fn payload_len(envelope: &Envelope) -> usize {
    let s = envelope.payload.trim_end_matches('=');
    s.len() * 3 / 4
}

fn median(values: &mut [f64]) -> f64 {
    values.sort_by(f64::total_cmp);
    match values.len() {
        0 => 0.0,
        n if n % 2 == 1 => values[n / 2],
        n => (values[n / 2 - 1] + values[n / 2]) / 2.0,
    }
}

// ---------------------------------------------------------------------------------------------
// Ingest.

async fn ingest_prepare(args: &Args) -> Res<Value> {
    let stores = PathBuf::from(args.get("stores")?);
    let devices: usize = args.num("devices", 8)?;
    let per_device: usize = args.num("per-device", 1000)?;
    let kap = std::fs::read(args.get("form")?)?;
    std::fs::create_dir_all(&stores)?;
    let storage = open_storage(&DatabaseUrl::Sqlite(stores.join("enroll-server.sqlite3"))).await?;
    let ids = campaign(&storage, &kap).await?;
    let codes = codes(&storage, &ids, devices).await?;
    let server = serve("127.0.0.1:0".parse()?, storage).await?;
    let started = Instant::now();
    for (n, code) in codes.iter().enumerate() {
        filled_device(
            &stores.join(format!("device-{n}")),
            &server.base,
            code,
            per_device,
        )
        .await?;
    }
    server.shutdown().await;
    Ok(json!({
        "devices": devices,
        "per_device": per_device,
        "fill_seconds": started.elapsed().as_secs_f64(),
    }))
}

async fn ingest(args: &Args) -> Res<Value> {
    let stores = PathBuf::from(args.get("stores")?);
    let url: DatabaseUrl = args.get("db")?.parse().map_err(|e| format!("--db: {e}"))?;
    let kap = std::fs::read(args.get("form")?)?;
    let batch_bytes: usize = args.num("batch-bytes", BATCH_BYTES)?;

    // The devices' outboxes, as the sync client would send them (compressed before the clock
    // starts: the device's work is not the server's).
    let mut devices = Vec::new();
    let mut n = 0;
    while stores.join(format!("device-{n}")).is_dir() {
        let store = DeviceStore::open(&stores.join(format!("device-{n}")))?;
        let device_id = store.profile()?.device_id;
        let mut bodies = Vec::new();
        for batch in batches(&store, batch_bytes)? {
            let payload: usize = batch.iter().map(payload_len).sum();
            bodies.push((gzip_batch(&batch)?, batch.len(), payload));
        }
        devices.push((device_id, bodies));
        n += 1;
    }
    if devices.is_empty() {
        return Err(format!(
            "no device-N profiles in {}: run ingest-prepare first",
            stores.display()
        )
        .into());
    }

    let storage = open_storage(&url).await?;
    let ids = campaign(&storage, &kap).await?;
    let codes = codes(&storage, &ids, devices.len()).await?;
    let server = serve("127.0.0.1:0".parse()?, storage).await?;
    let mut tokens = Vec::new();
    for ((device_id, _), code) in devices.iter().zip(&codes) {
        let enrolled = SyncClient::new(&server.base, None)?
            .enroll(code, device_id, "bench")
            .await?;
        tokens.push(enrolled.device_token);
    }

    let submissions: usize = devices
        .iter()
        .flat_map(|(_, b)| b.iter().map(|b| b.1))
        .sum();
    let mut batch_items: Vec<f64> = devices
        .iter()
        .flat_map(|(_, b)| b.iter().map(|b| b.1 as f64))
        .collect();
    let mut batch_payload: Vec<f64> = devices
        .iter()
        .flat_map(|(_, b)| b.iter().map(|b| b.2 as f64))
        .collect();
    let mut batch_gzip: Vec<f64> = devices
        .iter()
        .flat_map(|(_, b)| b.iter().map(|b| b.0.len() as f64))
        .collect();
    let batch_count = batch_items.len();
    let url = format!("{}{API}/device/submissions", server.base);
    let start = Arc::new(tokio::sync::Barrier::new(devices.len() + 1));
    let mut tasks = Vec::new();
    for ((_, bodies), token) in devices.into_iter().zip(tokens) {
        let (url, start) = (url.clone(), Arc::clone(&start));
        // One HTTP client per device, as each device has its own.
        let http = reqwest::Client::builder().build()?;
        tasks.push(tokio::spawn(async move {
            start.wait().await;
            let mut outcomes: HashMap<&'static str, usize> = HashMap::new();
            for (body, items, _) in bodies {
                let response = http
                    .post(&url)
                    .bearer_auth(&token)
                    .header("content-type", "application/json")
                    .header("content-encoding", "gzip")
                    .header("accept-encoding", "gzip")
                    .body(body)
                    .send()
                    .await
                    .map_err(|e| e.to_string())?;
                let status = response.status();
                let text = response.text().await.map_err(|e| e.to_string())?;
                if !status.is_success() {
                    return Err(format!("{status}: {text}"));
                }
                let reply: SubmitReply = serde_json::from_str(&text).map_err(|e| e.to_string())?;
                if reply.results.len() != items {
                    return Err(format!("{} results for {items} items", reply.results.len()));
                }
                for result in reply.results {
                    let outcome = match result.outcome {
                        Outcome::Accepted => "accepted",
                        Outcome::Duplicate => "duplicate",
                        Outcome::Conflict => "conflict",
                        Outcome::Rejected => "rejected",
                        Outcome::Retry => "retry",
                    };
                    if result.outcome == Outcome::Rejected {
                        return Err(format!("rejected: {:?}", result.reason));
                    }
                    *outcomes.entry(outcome).or_default() += 1;
                }
            }
            Ok::<_, String>((Instant::now(), outcomes))
        }));
    }
    start.wait().await;
    let began = Instant::now();
    let mut last = began;
    let mut outcomes: HashMap<&'static str, usize> = HashMap::new();
    for task in tasks {
        let (ended, counted) = task.await??;
        last = last.max(ended);
        for (k, v) in counted {
            *outcomes.entry(k).or_default() += v;
        }
    }
    let seconds = (last - began).as_secs_f64();
    server.shutdown().await;
    let accepted = outcomes.get("accepted").copied().unwrap_or(0);
    if accepted != submissions {
        return Err(format!("{accepted} of {submissions} accepted: {outcomes:?}").into());
    }
    Ok(json!({
        "backend": match url_kind(args.get("db")?) { true => "postgresql", false => "sqlite" },
        "devices": n,
        "submissions": submissions,
        "accepted": accepted,
        "batches": batch_count,
        "batch_bytes_limit": batch_bytes,
        "batch_items_median": median(&mut batch_items),
        "batch_payload_bytes_median": median(&mut batch_payload),
        "batch_gzip_bytes_median": median(&mut batch_gzip),
        "seconds": seconds,
        "per_second": submissions as f64 / seconds,
    }))
}

fn url_kind(url: &str) -> bool {
    url.starts_with("postgres")
}

// ---------------------------------------------------------------------------------------------
// Slow link: the server side (run inside the network namespace).

async fn slowlink_serve(args: &Args) -> Res<Value> {
    let dir = PathBuf::from(args.get("dir")?);
    let listen: SocketAddr = args.get("listen")?.parse()?;
    let sink: SocketAddr = args.get("sink")?.parse()?;
    let kap = std::fs::read(args.get("form")?)?;
    std::fs::create_dir_all(&dir)?;
    let storage = open_storage(&DatabaseUrl::Sqlite(dir.join("server.sqlite3"))).await?;
    let ids = campaign(&storage, &kap).await?;
    let code = codes(&storage, &ids, 1).await?.remove(0);
    let server = serve(listen, Arc::clone(&storage)).await?;
    let sink_listener = TcpListener::bind(sink).await?;
    let received = Arc::new(AtomicU64::new(0));
    let sink_task = tokio::spawn(odk_sink(sink_listener, Arc::clone(&received)));
    println!("{}", json!({ "code": code, "server": server.base }));
    std::io::stdout().flush()?;
    // Until whoever started this closes its standard input.
    tokio::task::spawn_blocking(|| {
        let stdin = std::io::stdin();
        for line in stdin.lock().lines() {
            if line.is_err() {
                break;
            }
        }
    })
    .await?;
    sink_task.abort();
    server.shutdown().await;
    let held = storage
        .submissions(&fieldline_server::storage::SubmissionFilter {
            campaign_id: ids.0.clone(),
            ..Default::default()
        })
        .await?
        .len();
    Ok(json!({ "held": held, "odk_received": received.load(Ordering::Relaxed) }))
}

/// An OpenRosa submission endpoint that keeps nothing: reads each request whole (headers and
/// `Content-Length` bytes of body) and answers 201 with the body ODK Central answers.
async fn odk_sink(listener: TcpListener, received: Arc<AtomicU64>) {
    while let Ok((stream, _)) = listener.accept().await {
        let received = Arc::clone(&received);
        tokio::spawn(async move {
            let _ = odk_connection(stream, received).await;
        });
    }
}

async fn odk_connection(mut stream: TcpStream, received: Arc<AtomicU64>) -> std::io::Result<()> {
    const ANSWER: &str = "<OpenRosaResponse xmlns=\"http://openrosa.org/http/response\" items=\"0\">\
                          <message nature=\"submit_success\">full submission upload was successful!</message>\
                          </OpenRosaResponse>";
    let mut buf = Vec::new();
    let mut chunk = [0u8; 16 * 1024];
    loop {
        // Headers.
        let end = loop {
            if let Some(end) = buf.windows(4).position(|w| w == b"\r\n\r\n") {
                break end + 4;
            }
            let n = stream.read(&mut chunk).await?;
            if n == 0 {
                return Ok(());
            }
            buf.extend_from_slice(&chunk[..n]);
        };
        let head = String::from_utf8_lossy(&buf[..end]).to_ascii_lowercase();
        let length: usize = head
            .lines()
            .find_map(|l| l.strip_prefix("content-length:"))
            .and_then(|v| v.trim().parse().ok())
            .unwrap_or(0);
        while buf.len() < end + length {
            let n = stream.read(&mut chunk).await?;
            if n == 0 {
                return Ok(());
            }
            buf.extend_from_slice(&chunk[..n]);
        }
        buf.drain(..end + length);
        received.fetch_add(1, Ordering::Relaxed);
        let answer = format!(
            "HTTP/1.1 201 Created\r\ncontent-type: text/xml; charset=utf-8\r\n\
             x-openrosa-version: 1.0\r\ncontent-length: {}\r\n\r\n{ANSWER}",
            ANSWER.len()
        );
        stream.write_all(answer.as_bytes()).await?;
    }
}

// ---------------------------------------------------------------------------------------------
// Slow link: the device side, with the proxy that adds latency and drops, and counts bytes.

/// A proxy on a loopback port to `upstream` that delays every chunk by `latency` in each
/// direction (pipelined: a chunk waits its own delay, not the ones before it), resets every open
/// connection at the drops (`(first, every)`: the first after `first`, then one each `every`),
/// and counts the bytes it passes on each way.
struct LinkProxy {
    addr: SocketAddr,
    up: Arc<AtomicU64>,
    down: Arc<AtomicU64>,
    connections: Arc<AtomicU64>,
    drops: Arc<AtomicU64>,
    tasks: Vec<tokio::task::JoinHandle<()>>,
}

impl LinkProxy {
    async fn start(
        upstream: SocketAddr,
        latency: Duration,
        schedule: Option<(Duration, Duration)>,
    ) -> Res<Self> {
        let listener = TcpListener::bind("127.0.0.1:0").await?;
        let addr = listener.local_addr()?;
        let (up, down) = (Arc::new(AtomicU64::new(0)), Arc::new(AtomicU64::new(0)));
        let connections = Arc::new(AtomicU64::new(0));
        let drops = Arc::new(AtomicU64::new(0));
        let (cut, cuts) = watch::channel(0u64);
        let mut tasks = Vec::new();
        if let Some((first, every)) = schedule {
            let drops = Arc::clone(&drops);
            tasks.push(tokio::spawn(async move {
                let mut n = 0;
                tokio::time::sleep(first).await;
                loop {
                    if n > 0 {
                        tokio::time::sleep(every).await;
                    }
                    n += 1;
                    drops.fetch_add(1, Ordering::Relaxed);
                    let _ = cut.send(n);
                }
            }));
        }
        tasks.push(tokio::spawn({
            let (up, down, connections) = (Arc::clone(&up), Arc::clone(&down), Arc::clone(&connections));
            async move {
                while let Ok((client, _)) = listener.accept().await {
                    connections.fetch_add(1, Ordering::Relaxed);
                    let (up, down) = (Arc::clone(&up), Arc::clone(&down));
                    let mut cuts = cuts.clone();
                    cuts.mark_unchanged();
                    tokio::spawn(async move {
                        let Ok(server) = TcpStream::connect(upstream).await else {
                            return;
                        };
                        let (client, server) = (Arc::new(client), Arc::new(server));
                        let relay = async {
                            tokio::select! {
                                _ = delayed_pipe(Arc::clone(&client), Arc::clone(&server), latency, up) => {}
                                _ = delayed_pipe(Arc::clone(&server), Arc::clone(&client), latency, down) => {}
                            }
                        };
                        tokio::select! {
                            _ = relay => {}
                            _ = cuts.changed() => {
                                // The link dropped: both sides see a reset, as from a lost mobile link.
                                let _ = client.set_zero_linger();
                                let _ = server.set_zero_linger();
                            }
                        }
                    });
                }
            }
        }));
        Ok(Self {
            addr,
            up,
            down,
            connections,
            drops,
            tasks,
        })
    }

    fn url(&self) -> String {
        format!("http://{}", self.addr)
    }

    fn counts(&self) -> Value {
        let (up, down) = (
            self.up.load(Ordering::Relaxed),
            self.down.load(Ordering::Relaxed),
        );
        json!({
            "bytes_up": up,
            "bytes_down": down,
            "bytes": up + down,
            "connections": self.connections.load(Ordering::Relaxed),
            "drops": self.drops.load(Ordering::Relaxed),
        })
    }
}

impl Drop for LinkProxy {
    fn drop(&mut self) {
        for task in &self.tasks {
            task.abort();
        }
    }
}

/// Copies `from` to `to`, each chunk leaving `latency` after it arrived, until `from` ends and
/// everything read has been written.
async fn delayed_pipe(
    from: Arc<TcpStream>,
    to: Arc<TcpStream>,
    latency: Duration,
    count: Arc<AtomicU64>,
) {
    let (tx, mut rx) = mpsc::unbounded_channel::<(Instant, Vec<u8>)>();
    let reader = async move {
        let mut buf = vec![0u8; 16 * 1024];
        loop {
            if from.readable().await.is_err() {
                return;
            }
            match from.try_read(&mut buf) {
                Ok(0) => return,
                Ok(n) => {
                    if tx
                        .send((Instant::now() + latency, buf[..n].to_vec()))
                        .is_err()
                    {
                        return;
                    }
                }
                Err(e) if e.kind() == std::io::ErrorKind::WouldBlock => {}
                Err(_) => return,
            }
        }
    };
    let writer = async move {
        while let Some((due, bytes)) = rx.recv().await {
            tokio::time::sleep_until(due.into()).await;
            let mut rest = &bytes[..];
            while !rest.is_empty() {
                if to.writable().await.is_err() {
                    return;
                }
                match to.try_write(rest) {
                    Ok(n) => {
                        count.fetch_add(n as u64, Ordering::Relaxed);
                        rest = &rest[n..];
                    }
                    Err(e) if e.kind() == std::io::ErrorKind::WouldBlock => {}
                    Err(_) => return,
                }
            }
        }
    };
    tokio::join!(reader, writer);
}

async fn slowlink_device(args: &Args) -> Res<Value> {
    let dir = PathBuf::from(args.get("dir")?);
    let server: SocketAddr = args.get("server")?.parse()?;
    let sink: SocketAddr = args.get("sink")?.parse()?;
    let code = args.get("code")?;
    let submissions: usize = args.num("submissions", 500)?;
    let odk_submissions: usize = args.num("odk-submissions", 100)?;
    let latency = Duration::from_millis(args.num("latency-ms", 300)?);
    let first_drop = Duration::from_secs_f64(args.num("first-drop-s", 5.0)?);
    let drop_every = Duration::from_secs_f64(args.num("drop-every-s", 10.0)?);
    let retry_after = Duration::from_secs_f64(args.num("retry-after-s", 1.0)?);
    let deadline = Duration::from_secs_f64(args.num("deadline-s", 600.0)?);
    // The link's own interface, whose counters see every packet (TCP/IP headers, handshakes,
    // retransmissions): what really crossed the shaped link.
    let iface = args.0.get("iface").cloned();
    let wire = |iface: &Option<String>| -> (u64, u64) {
        let read = |name: &str, counter: &str| {
            std::fs::read_to_string(format!("/sys/class/net/{name}/statistics/{counter}"))
                .ok()
                .and_then(|v| v.trim().parse().ok())
                .unwrap_or(0)
        };
        match iface {
            Some(name) => (read(name, "tx_bytes"), read(name, "rx_bytes")),
            None => (0, 0),
        }
    };
    let wire_since = |before: (u64, u64)| {
        let now = wire(&iface);
        json!({ "tx_bytes": now.0 - before.0, "rx_bytes": now.1 - before.1, "bytes": now.0 + now.1 - before.0 - before.1 })
    };

    // Enroll and pull straight to the server (not through the proxy: only sending is measured),
    // then fill the interviews.
    let filling = Instant::now();
    let (store, token) =
        filled_device(&dir, &format!("http://{server}"), code, submissions).await?;
    let fill_seconds = filling.elapsed().as_secs_f64();
    let (payload_bytes, compressed_bytes, largest_batch, batch_count, envelopes) = {
        let s = store.lock().unwrap_or_else(|p| p.into_inner());
        let batches = batches(&s, BATCH_BYTES)?;
        let (mut compressed, mut largest) = (0, 0);
        for batch in &batches {
            let size = gzip_batch(batch)?.len();
            compressed += size;
            largest = largest.max(size);
        }
        let payload: usize = batches.iter().flatten().map(payload_len).sum();
        let count = batches.len();
        (
            payload,
            compressed,
            largest,
            count,
            batches.into_iter().flatten().collect::<Vec<_>>(),
        )
    };

    // Fieldline's sync through the slow link.
    let proxy = LinkProxy::start(server, latency, Some((first_drop, drop_every))).await?;
    let client = SyncClient::new(&proxy.url(), Some(token))?;
    let counters = wire(&iface);
    let began = Instant::now();
    let mut attempts = 0;
    let mut failures = Vec::new();
    let (mut batches_sent, mut resent_smaller) = (0, 0);
    // Set by the last push, the one that found nothing left to send.
    let mut learned_limit: usize;
    loop {
        if began.elapsed() > deadline {
            return Err(
                format!("the sync did not finish within {deadline:?}: {failures:?}").into(),
            );
        }
        attempts += 1;
        match client.push(&store, |_| {}).await {
            Ok(report) => {
                batches_sent += report.batches;
                resent_smaller += report.batches_resent_smaller;
                learned_limit = report.batch_limit;
                if report.batches == 0 {
                    break;
                }
            }
            Err(e) => {
                failures.push(e.to_string());
                tokio::time::sleep(retry_after).await;
            }
        }
    }
    let sync_seconds = began.elapsed().as_secs_f64();
    let sync_link = proxy.counts();
    let sync_wire = wire_since(counters);
    let counts = store
        .lock()
        .unwrap_or_else(|p| p.into_inner())
        .sync_counts()?;
    if counts.sent as usize != submissions {
        return Err(format!("{} of {submissions} sent: {counts:?}", counts.sent).into());
    }
    drop(proxy);

    // The same answers ODK-style: one multipart OpenRosa POST per submission, one after another.
    let proxy = LinkProxy::start(sink, latency, Some((first_drop, drop_every))).await?;
    let http = reqwest::Client::builder()
        .timeout(Duration::from_secs(60))
        .build()?;
    let url = format!("{}/submission", proxy.url());
    let mut xml_bytes = 0usize;
    let mut odk_failures = 0usize;
    let counters = wire(&iface);
    let began = Instant::now();
    for envelope in envelopes.iter().take(odk_submissions) {
        let xml = openrosa_xml(&decode_base64(&envelope.payload)?)?;
        xml_bytes += xml.len();
        let boundary = format!("----fieldlinebench{}", envelope.device_seq);
        let mut body = format!(
            "--{boundary}\r\nContent-Disposition: form-data; name=\"xml_submission_file\"; \
             filename=\"submission.xml\"\r\nContent-Type: text/xml\r\n\r\n"
        )
        .into_bytes();
        body.extend_from_slice(xml.as_bytes());
        body.extend_from_slice(format!("\r\n--{boundary}--\r\n").as_bytes());
        loop {
            if began.elapsed() > deadline {
                return Err(
                    format!("the ODK-style sending did not finish within {deadline:?}").into(),
                );
            }
            let sent = http
                .post(&url)
                .header(
                    "content-type",
                    format!("multipart/form-data; boundary={boundary}"),
                )
                .header("x-openrosa-version", "1.0")
                .body(body.clone())
                .send()
                .await;
            let ok = match sent {
                Ok(response) => response.status().as_u16() == 201 && response.bytes().await.is_ok(),
                Err(_) => false,
            };
            if ok {
                break;
            }
            odk_failures += 1;
            tokio::time::sleep(retry_after).await;
        }
    }
    let odk_seconds = began.elapsed().as_secs_f64();
    let odk_link = proxy.counts();
    let odk_wire = wire_since(counters);
    drop(proxy);

    Ok(json!({
        "submissions": submissions,
        "fill_seconds": fill_seconds,
        "payload_bytes": payload_bytes,
        "compressed_bytes": compressed_bytes,
        "largest_batch_bytes": largest_batch,
        "batches": batch_count,
        "batch_bytes_limit": BATCH_BYTES,
        "latency_ms_each_way": latency.as_millis() as u64,
        "first_drop_s": first_drop.as_secs_f64(),
        "drop_every_s": drop_every.as_secs_f64(),
        "retry_after_s": retry_after.as_secs_f64(),
        "sync": {
            "seconds": sync_seconds,
            "push_attempts": attempts,
            "failures": failures,
            "batches_answered": batches_sent,
            "batches_resent_smaller": resent_smaller,
            "learned_batch_bytes": learned_limit,
            "link": sync_link,
            "wire": sync_wire,
        },
        "odk": {
            "submissions": odk_submissions,
            "seconds": odk_seconds,
            "xml_bytes": xml_bytes,
            "failed_attempts": odk_failures,
            "link": odk_link,
            "wire": odk_wire,
        },
    }))
}

/// The OpenRosa XML of a canonical payload: `<data id=FORM version=V>` with one element per
/// path segment, repeat instances (`name[n]`) as repeated elements, in the payload's order.
fn openrosa_xml(payload: &[u8]) -> Res<String> {
    let payload: Value = serde_json::from_slice(payload)?;
    let form_id = payload["form_id"].as_str().unwrap_or_default();
    let version = payload["form_version"].as_str().unwrap_or_default();
    let values = payload["values"]
        .as_array()
        .ok_or("a payload without values")?;
    let mut xml = format!(
        "<?xml version=\"1.0\"?><data xmlns:jr=\"http://openrosa.org/javarosa\" \
         xmlns:orx=\"http://openrosa.org/xforms\" id=\"{}\" version=\"{}\">",
        escape(form_id),
        escape(version)
    );
    let mut open: Vec<String> = Vec::new();
    for pair in values {
        let path = pair[0].as_str().unwrap_or_default();
        let value = pair[1].as_str().unwrap_or_default();
        let segments: Vec<&str> = path.trim_start_matches('/').split('/').skip(1).collect();
        let Some((leaf, groups)) = segments.split_last() else {
            continue;
        };
        let common = open
            .iter()
            .zip(groups.iter())
            .take_while(|(a, b)| a.as_str() == **b)
            .count();
        while open.len() > common {
            let closed = open.pop().unwrap_or_default();
            xml += &format!("</{}>", element_name(&closed));
        }
        for group in &groups[common..] {
            xml += &format!("<{}>", element_name(group));
            open.push((*group).to_owned());
        }
        let leaf = element_name(leaf);
        xml += &format!("<{leaf}>{}</{leaf}>", escape(value));
    }
    while let Some(closed) = open.pop() {
        xml += &format!("</{}>", element_name(&closed));
    }
    xml += "</data>";
    Ok(xml)
}

fn element_name(segment: &str) -> &str {
    segment.split('[').next().unwrap_or(segment)
}

fn escape(text: &str) -> String {
    text.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('"', "&quot;")
}

fn decode_base64(text: &str) -> Res<Vec<u8>> {
    fn value(c: u8) -> Option<u32> {
        Some(match c {
            b'A'..=b'Z' => c - b'A',
            b'a'..=b'z' => c - b'a' + 26,
            b'0'..=b'9' => c - b'0' + 52,
            b'+' | b'-' => 62,
            b'/' | b'_' => 63,
            _ => return None,
        } as u32)
    }
    let mut out = Vec::with_capacity(text.len() * 3 / 4);
    let (mut acc, mut bits) = (0u32, 0);
    for &c in text
        .as_bytes()
        .iter()
        .filter(|c| !matches!(c, b'=' | b'\n' | b'\r'))
    {
        acc = (acc << 6) | value(c).ok_or("not base64")?;
        bits += 6;
        if bits >= 8 {
            bits -= 8;
            out.push((acc >> bits) as u8);
            acc &= (1 << bits) - 1;
        }
    }
    Ok(out)
}
