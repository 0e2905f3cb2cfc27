//! A TCP proxy that breaks connections on purpose, for the sync tests: the links enumerators sync
//! over drop, stall and cut answers short, and the server can fail. Each new connection takes
//! the next fault from a plan (then passes traffic through once the plan is used up, or meets the
//! fault set with [`FaultProxy::afterwards`]), so a test decides exactly which request meets
//! which fault, or draws the plan at random from a seed.
//!
//! A client keeps its connection alive from one request to the next (a device's sync asks for
//! the rounds, then posts its batches, on one connection), so a proxy can also aim its plan at
//! requests rather than connections ([`FaultProxy::start_targeted`]): each request whose first
//! line starts with a given prefix (`POST /api/v1/device/submissions`) takes the next fault,
//! and every other request passes.

use std::collections::VecDeque;
use std::net::SocketAddr;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};
use tokio::task::JoinHandle;

/// What happens to one connection.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Fault {
    /// Traffic passes both ways.
    Pass,
    /// The connection is reset before any byte reaches the server.
    ResetBeforeRequest,
    /// The first `n` bytes of the request reach the server, then both sides are reset.
    ResetDuringRequest(usize),
    /// The request reaches the server, which answers (so it has committed), but the answer is
    /// lost: the client's connection is reset when the first answer bytes arrive.
    ResetAfterServerAnswered,
    /// Only the first `n` bytes of the answer reach the client, then the connection closes.
    TruncateResponse(usize),
    /// Traffic passes after a pause (the link stalls).
    Delay(Duration),
    /// The proxy answers `503 Service Unavailable` itself; the server sees nothing.
    ServiceUnavailable,
    /// The request reaches the server, which answers (so it has committed), and the proxy
    /// holds the answer this long before passing it on: a test can kill the client while the
    /// server's answer is in flight ([`FaultProxy::answers_held`] says when the hold began;
    /// [`FaultProxy::on_release`] runs right after the answer's first bytes are passed on).
    /// Never drawn by [`Fault::from_seed`].
    HoldResponse(Duration),
}

impl Fault {
    /// A fault drawn from `seed` (for property tests): every kind, with sizes and delays that
    /// land in interesting places.
    pub fn from_seed(seed: u64) -> Fault {
        let pick = seed % 8;
        let n = ((seed >> 8) % 2_000) as usize;
        match pick {
            0 | 1 => Fault::Pass,
            2 => Fault::ResetBeforeRequest,
            3 => Fault::ResetDuringRequest(n),
            4 => Fault::ResetAfterServerAnswered,
            5 => Fault::TruncateResponse(n),
            6 => Fault::Delay(Duration::from_millis((seed >> 16) % 300)),
            _ => Fault::ServiceUnavailable,
        }
    }
}

/// A running proxy; stops when dropped.
pub struct FaultProxy {
    addr: SocketAddr,
    plan: Arc<Mutex<Plan>>,
    seen: Arc<Mutex<Vec<Fault>>>,
    hold: Arc<Hold>,
    accept: JoinHandle<()>,
}

/// What [`Fault::HoldResponse`] reports, and the hook it runs on release.
#[derive(Default)]
struct Hold {
    held: AtomicUsize,
    released: AtomicUsize,
    on_release: Mutex<Option<ReleaseHook>>,
}

type ReleaseHook = Box<dyn Fn() + Send + Sync>;

impl Hold {
    fn began(&self) {
        self.held.fetch_add(1, Ordering::SeqCst);
    }

    fn released(&self) {
        if let Some(hook) = self
            .on_release
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .as_ref()
        {
            hook();
        }
        self.released.fetch_add(1, Ordering::SeqCst);
    }
}

/// The faults still to come, and the one every connection (or request) meets after them.
#[derive(Debug)]
struct Plan {
    next: VecDeque<Fault>,
    afterwards: Fault,
}

/// Where a plan's faults land.
#[derive(Clone)]
enum Aim {
    /// Each new connection takes the next fault.
    Connections,
    /// Each request whose first bytes are these takes the next fault.
    Requests(Arc<[u8]>),
}

impl FaultProxy {
    /// Listens on a free loopback port and forwards to `upstream`.
    pub async fn start(upstream: SocketAddr) -> anyhow::Result<Self> {
        Self::listen(upstream, Aim::Connections).await
    }

    /// Listens on a free loopback port and forwards to `upstream`; each request whose first
    /// line starts with `request_prefix` (e.g. `POST /api/v1/device/submissions`) takes the
    /// next fault of the plan, wherever it travels (a new connection or one kept alive), and
    /// every other request passes untouched. A fault that breaks the connection breaks what
    /// would have followed on it too, as on a real link.
    pub async fn start_targeted(
        upstream: SocketAddr,
        request_prefix: &str,
    ) -> anyhow::Result<Self> {
        anyhow::ensure!(
            !request_prefix.is_empty(),
            "an empty prefix would match any bytes"
        );
        Self::listen(
            upstream,
            Aim::Requests(Arc::from(request_prefix.as_bytes())),
        )
        .await
    }

    async fn listen(upstream: SocketAddr, aim: Aim) -> anyhow::Result<Self> {
        let listener = TcpListener::bind("127.0.0.1:0").await?;
        let addr = listener.local_addr()?;
        let plan = Arc::new(Mutex::new(Plan {
            next: VecDeque::new(),
            afterwards: Fault::Pass,
        }));
        let seen = Arc::new(Mutex::new(Vec::new()));
        let hold = Arc::new(Hold::default());
        let accept = tokio::spawn({
            let (plan, seen, hold) = (Arc::clone(&plan), Arc::clone(&seen), Arc::clone(&hold));
            async move {
                while let Ok((client, _)) = listener.accept().await {
                    let hold = Arc::clone(&hold);
                    match &aim {
                        Aim::Connections => {
                            let fault = next_fault(&plan, &seen);
                            tokio::spawn(async move {
                                // A broken connection is the point here; its error is not a
                                // failure.
                                let _ = relay(client, upstream, fault, &hold).await;
                            });
                        }
                        Aim::Requests(prefix) => {
                            let targeted = Targeted {
                                prefix: Arc::clone(prefix),
                                plan: Arc::clone(&plan),
                                seen: Arc::clone(&seen),
                                hold,
                            };
                            tokio::spawn(async move {
                                let _ = relay_requests(client, upstream, &targeted).await;
                            });
                        }
                    }
                }
            }
        });
        Ok(Self {
            addr,
            plan,
            seen,
            hold,
            accept,
        })
    }

    /// `http://127.0.0.1:PORT`, for the client.
    pub fn url(&self) -> String {
        format!("http://{}", self.addr)
    }

    /// Faults for the next connections, in order.
    pub fn plan(&self, faults: impl IntoIterator<Item = Fault>) {
        self.plan
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .next
            .extend(faults);
    }

    /// The fault met once the plan is used up (at first [`Fault::Pass`]): a link that always
    /// behaves the same way, such as one that drops every few kilobytes.
    pub fn afterwards(&self, fault: Fault) {
        self.plan
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .afterwards = fault;
    }

    /// Faults not yet met.
    pub fn pending(&self) -> usize {
        self.plan
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .next
            .len()
    }

    /// Every connection's (or targeted request's) fault so far, in order.
    pub fn seen(&self) -> Vec<Fault> {
        self.seen.lock().unwrap_or_else(|p| p.into_inner()).clone()
    }

    /// How many answers a [`Fault::HoldResponse`] has begun to hold: the server had answered
    /// each of them.
    pub fn answers_held(&self) -> usize {
        self.hold.held.load(Ordering::SeqCst)
    }

    /// How many held answers have been passed on (counted after the release hook ran).
    pub fn answers_released(&self) -> usize {
        self.hold.released.load(Ordering::SeqCst)
    }

    /// Runs `hook` right after a held answer's first bytes are passed on to the client (for
    /// instance, to kill the client the moment its answer arrives).
    pub fn on_release(&self, hook: impl Fn() + Send + Sync + 'static) {
        *self
            .hold
            .on_release
            .lock()
            .unwrap_or_else(|p| p.into_inner()) = Some(Box::new(hook));
    }
}

fn next_fault(plan: &Mutex<Plan>, seen: &Mutex<Vec<Fault>>) -> Fault {
    let fault = {
        let mut plan = plan.lock().unwrap_or_else(|p| p.into_inner());
        plan.next.pop_front().unwrap_or(plan.afterwards)
    };
    seen.lock().unwrap_or_else(|p| p.into_inner()).push(fault);
    fault
}

impl Drop for FaultProxy {
    fn drop(&mut self) {
        self.accept.abort();
    }
}

/// Closes with a reset (RST) rather than an orderly FIN, as a dropped mobile link looks.
fn reset(stream: TcpStream) {
    let _ = stream.set_zero_linger();
    drop(stream);
}

/// The answer the proxy gives itself for [`Fault::ServiceUnavailable`].
fn service_unavailable() -> String {
    let body = r#"{"error":"the server is restarting; try again shortly"}"#;
    format!(
        "HTTP/1.1 503 Service Unavailable\r\ncontent-type: application/json\r\n\
         content-length: {}\r\nconnection: close\r\n\r\n{body}",
        body.len()
    )
}

async fn relay(
    client: TcpStream,
    upstream: SocketAddr,
    fault: Fault,
    hold: &Hold,
) -> std::io::Result<()> {
    let mut client = client;
    match fault {
        Fault::ResetBeforeRequest => {
            reset(client);
            return Ok(());
        }
        Fault::ServiceUnavailable => {
            let mut buf = [0u8; 4096];
            // Read (some of) the request first, as a failing server would.
            let _ = tokio::time::timeout(Duration::from_secs(2), client.read(&mut buf)).await;
            client.write_all(service_unavailable().as_bytes()).await?;
            client.shutdown().await?;
            return Ok(());
        }
        Fault::Delay(pause) => tokio::time::sleep(pause).await,
        _ => {}
    }
    let server = TcpStream::connect(upstream).await?;
    if matches!(
        fault,
        Fault::ResetDuringRequest(_) | Fault::ResetAfterServerAnswered
    ) {
        // Dropping the sockets below then resets both connections.
        client.set_zero_linger()?;
        server.set_zero_linger()?;
    }
    let request_limit = match fault {
        Fault::ResetDuringRequest(n) => Some(n),
        _ => None,
    };
    let response_limit = match fault {
        Fault::TruncateResponse(n) => Some(n),
        Fault::ResetAfterServerAnswered => Some(0),
        _ => None,
    };
    let (client_read, client_write) = client.into_split();
    let (server_read, server_write) = server.into_split();
    let held = match fault {
        Fault::HoldResponse(pause) => Some((pause, hold)),
        _ => None,
    };
    let up = pump(client_read, server_write, request_limit, None);
    let down = pump(server_read, client_write, response_limit, held);
    tokio::pin!(up, down);
    tokio::select! {
        request = &mut up => {
            // The client finished sending: let the answer through. A request cut at its limit
            // ends everything here instead.
            if matches!(request, Ok(false)) {
                let _ = down.await;
            }
        }
        _ = &mut down => {}
    }
    Ok(())
}

/// Copies `from` to `to` until `from` ends (`Ok(false)`) or `limit` bytes have gone
/// (`Ok(true)`; with a limit of 0, as soon as the first bytes arrive, none of them passed on).
/// With `hold`, the first bytes wait that long before they are passed on.
async fn pump(
    mut from: tokio::net::tcp::OwnedReadHalf,
    mut to: tokio::net::tcp::OwnedWriteHalf,
    limit: Option<usize>,
    mut hold: Option<(Duration, &Hold)>,
) -> std::io::Result<bool> {
    let mut passed = 0usize;
    let mut buf = vec![0u8; 16 * 1024];
    loop {
        let n = from.read(&mut buf).await?;
        if n == 0 {
            to.shutdown().await?;
            return Ok(false);
        }
        let take = limit.map_or(n, |limit| n.min(limit.saturating_sub(passed)));
        if let Some((pause, hold)) = hold.take() {
            hold.began();
            tokio::time::sleep(pause).await;
            let written = to.write_all(&buf[..take]).await;
            hold.released();
            written?;
            passed += take;
            continue;
        }
        to.write_all(&buf[..take]).await?;
        passed += take;
        if limit.is_some_and(|limit| passed >= limit) {
            return Ok(true);
        }
    }
}

/// What a proxy aiming at requests needs on each connection.
struct Targeted {
    prefix: Arc<[u8]>,
    plan: Arc<Mutex<Plan>>,
    seen: Arc<Mutex<Vec<Fault>>>,
    hold: Arc<Hold>,
}

/// Whether a read from the client begins a request. HTTP/1.1 sends a connection's requests one
/// after another, each after the previous answer, and a client writes a request's head in one
/// go, so a new request's first read starts with its method; a body (gzip, JSON) does not.
fn starts_request(bytes: &[u8]) -> bool {
    [
        "GET /",
        "POST /",
        "PUT /",
        "PATCH /",
        "HEAD /",
        "DELETE /",
        "OPTIONS /",
    ]
    .iter()
    .any(|method| bytes.starts_with(method.as_bytes()))
}

/// Resets both connections.
fn reset_both(client: &TcpStream, server: &TcpStream) {
    let _ = client.set_zero_linger();
    let _ = server.set_zero_linger();
}

/// Relays one client connection, giving each targeted request the next fault of the plan and
/// letting every other request pass.
async fn relay_requests(
    client: TcpStream,
    upstream: SocketAddr,
    targeted: &Targeted,
) -> std::io::Result<()> {
    let mut client = client;
    let mut server = TcpStream::connect(upstream).await?;
    let mut from_client = vec![0u8; 16 * 1024];
    let mut from_server = vec![0u8; 16 * 1024];
    // The fault of the request in flight (Pass for a request not aimed at), and how many of its
    // request and answer bytes have passed.
    let mut fault = Fault::Pass;
    let (mut request_passed, mut answer_passed) = (0usize, 0usize);
    let (mut client_open, mut server_open) = (true, true);
    loop {
        tokio::select! {
            read = client.read(&mut from_client), if client_open => {
                let n = read?;
                if n == 0 {
                    client_open = false;
                    server.shutdown().await?;
                    if !server_open {
                        return Ok(());
                    }
                    continue;
                }
                let bytes = &from_client[..n];
                if starts_request(bytes) {
                    fault = if bytes.starts_with(&targeted.prefix) {
                        next_fault(&targeted.plan, &targeted.seen)
                    } else {
                        Fault::Pass
                    };
                    request_passed = 0;
                    answer_passed = 0;
                    match fault {
                        Fault::ResetBeforeRequest => {
                            reset_both(&client, &server);
                            return Ok(());
                        }
                        Fault::ServiceUnavailable => {
                            // The server never hears of it; the client gets the proxy's 503
                            // (the rest of its request is not waited for) and the connection
                            // closes.
                            let _ = server.set_zero_linger();
                            client.write_all(service_unavailable().as_bytes()).await?;
                            client.shutdown().await?;
                            return Ok(());
                        }
                        Fault::Delay(pause) => tokio::time::sleep(pause).await,
                        _ => {}
                    }
                }
                if let Fault::ResetDuringRequest(limit) = fault {
                    let take = n.min(limit.saturating_sub(request_passed));
                    server.write_all(&bytes[..take]).await?;
                    request_passed += take;
                    if request_passed >= limit {
                        reset_both(&client, &server);
                        return Ok(());
                    }
                    continue;
                }
                server.write_all(bytes).await?;
            }
            read = server.read(&mut from_server), if server_open => {
                let n = read?;
                if n == 0 {
                    server_open = false;
                    client.shutdown().await?;
                    if !client_open {
                        return Ok(());
                    }
                    continue;
                }
                let bytes = &from_server[..n];
                match fault {
                    Fault::ResetAfterServerAnswered => {
                        reset_both(&client, &server);
                        return Ok(());
                    }
                    Fault::TruncateResponse(limit) => {
                        let take = n.min(limit.saturating_sub(answer_passed));
                        client.write_all(&bytes[..take]).await?;
                        answer_passed += take;
                        if answer_passed >= limit {
                            client.shutdown().await?;
                            return Ok(());
                        }
                    }
                    Fault::HoldResponse(pause) if answer_passed == 0 => {
                        targeted.hold.began();
                        tokio::time::sleep(pause).await;
                        let written = client.write_all(bytes).await;
                        targeted.hold.released();
                        written?;
                        answer_passed += n;
                    }
                    _ => {
                        client.write_all(bytes).await?;
                        answer_passed += n;
                    }
                }
            }
        }
    }
}
