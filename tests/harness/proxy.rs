//! A TCP proxy that breaks connections on purpose, for the sync tests: the links enumerators sync
//! over drop, stall and cut answers short, and the server can fail. Each new connection takes
//! the next fault from a plan (then passes traffic through once the plan is used up), so a test
//! decides exactly which request meets which fault, or draws the plan at random from a seed.

use std::collections::VecDeque;
use std::net::SocketAddr;
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
    plan: Arc<Mutex<VecDeque<Fault>>>,
    seen: Arc<Mutex<Vec<Fault>>>,
    accept: JoinHandle<()>,
}

impl FaultProxy {
    /// Listens on a free loopback port and forwards to `upstream`.
    pub async fn start(upstream: SocketAddr) -> anyhow::Result<Self> {
        let listener = TcpListener::bind("127.0.0.1:0").await?;
        let addr = listener.local_addr()?;
        let plan = Arc::new(Mutex::new(VecDeque::new()));
        let seen = Arc::new(Mutex::new(Vec::new()));
        let accept = tokio::spawn({
            let (plan, seen) = (Arc::clone(&plan), Arc::clone(&seen));
            async move {
                while let Ok((client, _)) = listener.accept().await {
                    let fault = plan
                        .lock()
                        .unwrap_or_else(|p| p.into_inner())
                        .pop_front()
                        .unwrap_or(Fault::Pass);
                    seen.lock().unwrap_or_else(|p| p.into_inner()).push(fault);
                    tokio::spawn(async move {
                        // A broken connection is the point here; its error is not a failure.
                        let _ = relay(client, upstream, fault).await;
                    });
                }
            }
        });
        Ok(Self {
            addr,
            plan,
            seen,
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
            .extend(faults);
    }

    /// Faults not yet met.
    pub fn pending(&self) -> usize {
        self.plan.lock().unwrap_or_else(|p| p.into_inner()).len()
    }

    /// Every connection's fault so far, in order.
    pub fn seen(&self) -> Vec<Fault> {
        self.seen.lock().unwrap_or_else(|p| p.into_inner()).clone()
    }
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

async fn relay(client: TcpStream, upstream: SocketAddr, fault: Fault) -> std::io::Result<()> {
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
            let body = r#"{"error":"the server is restarting; try again shortly"}"#;
            let answer = format!(
                "HTTP/1.1 503 Service Unavailable\r\ncontent-type: application/json\r\n\
                 content-length: {}\r\nconnection: close\r\n\r\n{body}",
                body.len()
            );
            client.write_all(answer.as_bytes()).await?;
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
    let up = pump(client_read, server_write, request_limit);
    let down = pump(server_read, client_write, response_limit);
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
async fn pump(
    mut from: tokio::net::tcp::OwnedReadHalf,
    mut to: tokio::net::tcp::OwnedWriteHalf,
    limit: Option<usize>,
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
        to.write_all(&buf[..take]).await?;
        passed += take;
        if limit.is_some_and(|limit| passed >= limit) {
            return Ok(true);
        }
    }
}
