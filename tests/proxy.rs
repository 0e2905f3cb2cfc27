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

#[tokio::test]
async fn a_held_answer_arrives_late_and_its_release_is_reported() {
    let (addr, received) = upstream().await;
    let proxy = FaultProxy::start(addr).await.unwrap();
    let released_at = Arc::new(std::sync::Mutex::new(None));
    proxy.on_release({
        let released_at = Arc::clone(&released_at);
        move || *released_at.lock().unwrap() = Some(Instant::now())
    });
    proxy.plan([Fault::HoldResponse(Duration::from_millis(400))]);
    let started = Instant::now();
    let client = tokio::spawn({
        let url = proxy.url();
        async move {
            let addr = url.trim_start_matches("http://").to_owned();
            let mut stream = TcpStream::connect(addr).await.unwrap();
            stream.write_all(REQUEST).await.unwrap();
            let mut got = Vec::new();
            stream.read_to_end(&mut got).await.unwrap();
            got
        }
    });
    // The server answered (so it has the request) while the client still waits.
    let deadline = Instant::now() + Duration::from_secs(5);
    while proxy.answers_held() == 0 {
        assert!(Instant::now() < deadline, "the answer was never held");
        tokio::time::sleep(Duration::from_millis(5)).await;
    }
    assert_eq!(received.load(Ordering::SeqCst), 1);
    assert_eq!(proxy.answers_released(), 0);
    let answer = client.await.unwrap();
    assert_eq!(answer, ANSWER);
    assert!(started.elapsed() >= Duration::from_millis(400));
    assert_eq!(proxy.answers_released(), 1);
    assert!(released_at.lock().unwrap().is_some(), "the hook ran");
}

/// Two requests on one kept-alive connection, as an HTTP client sends them.
async fn two_requests_on_one_connection(
    proxy: &FaultProxy,
    first: &[u8],
    second: &[u8],
) -> Vec<u8> {
    let addr = proxy.url().trim_start_matches("http://").to_owned();
    let mut stream = TcpStream::connect(addr).await.unwrap();
    let mut got = Vec::new();
    let mut buf = [0u8; 1024];
    for request in [first, second] {
        if stream.write_all(request).await.is_err() {
            return got;
        }
        let before = got.len();
        while got.len() < before + ANSWER.len() {
            match stream.read(&mut buf).await {
                Ok(0) | Err(_) => return got,
                Ok(n) => got.extend_from_slice(&buf[..n]),
            }
        }
    }
    got
}

/// A server that answers every whole request on a connection, kept alive.
async fn keep_alive_upstream() -> (std::net::SocketAddr, Arc<AtomicUsize>) {
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
                loop {
                    match stream.read(&mut buf).await {
                        Ok(0) | Err(_) => return,
                        Ok(n) => got.extend_from_slice(&buf[..n]),
                    }
                    while got.len() >= REQUEST.len() {
                        got.drain(..REQUEST.len());
                        count.fetch_add(1, Ordering::SeqCst);
                        if stream.write_all(ANSWER).await.is_err() {
                            return;
                        }
                    }
                }
            });
        }
    });
    (addr, received)
}

#[tokio::test]
async fn a_targeted_plan_spares_other_requests_on_the_same_connection() {
    let (addr, received) = keep_alive_upstream().await;
    let proxy = FaultProxy::start_targeted(addr, "POST /x").await.unwrap();
    // A GET as long as the POST, so the upstream counts it the same way.
    let get = [b"GET /xx".as_slice(), &REQUEST[7..]].concat();
    assert_eq!(get.len(), REQUEST.len());
    proxy.plan([
        Fault::ResetAfterServerAnswered,
        Fault::TruncateResponse(10),
        Fault::ServiceUnavailable,
        Fault::ResetBeforeRequest,
    ]);

    // The GET passes; the POST after it on the same connection loses its answer, though the
    // server got it.
    let got = two_requests_on_one_connection(&proxy, &get, REQUEST).await;
    assert_eq!(got, ANSWER, "only the first answer arrived");
    settle().await;
    assert_eq!(received.load(Ordering::SeqCst), 2);

    let got = two_requests_on_one_connection(&proxy, &get, REQUEST).await;
    assert_eq!(
        got,
        [ANSWER, &ANSWER[..10]].concat(),
        "the second answer is cut"
    );
    settle().await;
    assert_eq!(received.load(Ordering::SeqCst), 4);

    let got = two_requests_on_one_connection(&proxy, &get, REQUEST).await;
    assert_eq!(&got[..ANSWER.len()], ANSWER);
    assert!(
        got[ANSWER.len()..].starts_with(b"HTTP/1.1 503"),
        "the proxy's 503"
    );
    settle().await;
    assert_eq!(
        received.load(Ordering::SeqCst),
        5,
        "the 503'd POST never arrived"
    );

    let got = two_requests_on_one_connection(&proxy, REQUEST, &get).await;
    assert!(got.is_empty(), "reset before the POST: nothing comes back");
    settle().await;
    assert_eq!(received.load(Ordering::SeqCst), 5);

    // The plan is used up: everything passes.
    let got = two_requests_on_one_connection(&proxy, REQUEST, REQUEST).await;
    assert_eq!(got, [ANSWER, ANSWER].concat());
    assert_eq!(proxy.pending(), 0);
    assert_eq!(
        proxy.seen(),
        [
            Fault::ResetAfterServerAnswered,
            Fault::TruncateResponse(10),
            Fault::ServiceUnavailable,
            Fault::ResetBeforeRequest,
            Fault::Pass,
            Fault::Pass,
        ]
    );
}
