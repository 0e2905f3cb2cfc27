//! The fault-injecting proxy does what each fault says, seen from both ends.

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use fieldline_e2e::proxy::{Fault, FaultProxy};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};

const REQUEST: &[u8] =
    b"POST /x HTTP/1.1\r\nhost: t\r\ncontent-length: 5\r\nconnection: close\r\n\r\nhello";
const ANSWER: &[u8] = b"HTTP/1.1 200 OK\r\ncontent-length: 5\r\nconnection: close\r\n\r\nthere";

/// A server that counts the whole requests it received and answers each.
async fn upstream() -> (std::net::SocketAddr, Arc<AtomicUsize>) {
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    let received = Arc::new(AtomicUsize::new(0));
    let count = Arc::clone(&received);
    tokio::spawn(async move {
        while let Ok((mut stream, _)) = listener.accept().await {
            let count = Arc::clone(&count);
            tokio::spawn(async move {
                let mut got = Vec::new();
                let mut buf = [0u8; 1024];
                while got.len() < REQUEST.len() {
                    match stream.read(&mut buf).await {
                        Ok(0) | Err(_) => return,
                        Ok(n) => got.extend_from_slice(&buf[..n]),
                    }
                }
                count.fetch_add(1, Ordering::SeqCst);
                let _ = stream.write_all(ANSWER).await;
            });
        }
    });
    (addr, received)
}

/// What the client got: the bytes before the connection ended, and whether it ended in error.
async fn exchange(proxy: &FaultProxy) -> (Vec<u8>, bool) {
    let addr = proxy.url().trim_start_matches("http://").to_owned();
    let mut stream = TcpStream::connect(addr).await.unwrap();
    if stream.write_all(REQUEST).await.is_err() {
        return (Vec::new(), true);
    }
    let mut got = Vec::new();
    let mut buf = [0u8; 1024];
    loop {
        match stream.read(&mut buf).await {
            Ok(0) => return (got, false),
            Ok(n) => got.extend_from_slice(&buf[..n]),
            Err(_) => return (got, true),
        }
    }
}

/// Lets the upstream's counter settle after a connection ended.
async fn settle() {
    tokio::time::sleep(Duration::from_millis(100)).await;
}

#[tokio::test]
async fn each_fault_breaks_the_exchange_where_it_says() {
    let (addr, received) = upstream().await;
    let proxy = FaultProxy::start(addr).await.unwrap();
    proxy.plan([
        Fault::Pass,
        Fault::ResetBeforeRequest,
        Fault::ResetDuringRequest(20),
        Fault::ResetAfterServerAnswered,
        Fault::TruncateResponse(10),
        Fault::ServiceUnavailable,
        Fault::Delay(Duration::from_millis(300)),
    ]);

    let (answer, _) = exchange(&proxy).await;
    assert_eq!(answer, ANSWER, "pass");
    settle().await;
    assert_eq!(received.load(Ordering::SeqCst), 1);

    let (answer, _) = exchange(&proxy).await;
    assert!(answer.is_empty(), "reset before the request");
    settle().await;
    assert_eq!(received.load(Ordering::SeqCst), 1, "the server saw nothing");

    let (answer, _) = exchange(&proxy).await;
    assert!(answer.is_empty(), "reset during the request");
    settle().await;
    assert_eq!(
        received.load(Ordering::SeqCst),
        1,
        "the server got half a request"
    );

    let (answer, _) = exchange(&proxy).await;
    assert!(answer.is_empty(), "the answer was lost");
    settle().await;
    assert_eq!(
        received.load(Ordering::SeqCst),
        2,
        "but the server did receive it"
    );

    let (answer, _) = exchange(&proxy).await;
    assert_eq!(answer, &ANSWER[..10], "a truncated answer");
    settle().await;
    assert_eq!(received.load(Ordering::SeqCst), 3);

    let (answer, _) = exchange(&proxy).await;
    assert!(answer.starts_with(b"HTTP/1.1 503"), "the proxy's own 503");
    settle().await;
    assert_eq!(
        received.load(Ordering::SeqCst),
        3,
        "a 503 never reaches the server"
    );

    let started = Instant::now();
    let (answer, _) = exchange(&proxy).await;
    assert_eq!(answer, ANSWER, "a delayed exchange still completes");
    assert!(started.elapsed() >= Duration::from_millis(300));

    assert_eq!(proxy.pending(), 0);
    assert_eq!(proxy.seen().len(), 7);
}

#[test]
fn seeded_faults_cover_every_kind() {
    let kinds: std::collections::HashSet<_> = (0..64u64)
        .map(|seed| std::mem::discriminant(&Fault::from_seed(seed)))
        .collect();
    assert_eq!(kinds.len(), 7);
}
