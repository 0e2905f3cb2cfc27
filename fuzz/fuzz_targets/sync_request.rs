//! The server's decoding of `POST /api/v1/device/submissions` bodies: the bytes go through the
//! server's own body layers (wire limit, gzip, limit once decompressed) and its JSON extractor
//! into a `SubmitBatch`. The first byte chooses whether the rest is sent as
//! `Content-Encoding: gzip`. Whatever comes in, the answer is the batch, a 400 or a 413 with a
//! message in words; never a panic, a 500 or memory past the limits.
#![no_main]

use std::sync::OnceLock;

use axum::body::Body as HttpBody;
use axum::http::{header, Request, StatusCode};
use axum::routing::post;
use axum::Router;
use fieldline_protocol::SubmitBatch;
use fieldline_server::api::{limit_request_bodies, Body};
use libfuzzer_sys::fuzz_target;
use tower::ServiceExt as _;

/// What the endpoint does with a decoded batch before storage: look at every envelope.
async fn read_batch(Body(batch): Body<SubmitBatch>) -> String {
    let payload_bytes: usize = batch.items.iter().map(|item| item.payload.len()).sum();
    format!("{} items, {payload_bytes} payload bytes", batch.items.len())
}

fn runtime() -> &'static tokio::runtime::Runtime {
    static RUNTIME: OnceLock<tokio::runtime::Runtime> = OnceLock::new();
    RUNTIME.get_or_init(|| {
        tokio::runtime::Builder::new_current_thread()
            .build()
            .expect("a tokio runtime")
    })
}

fuzz_target!(|bytes: &[u8]| {
    let Some((&flags, body)) = bytes.split_first() else {
        return;
    };
    let app = limit_request_bodies(Router::new().route("/", post(read_batch)));
    let mut request = Request::post("/").header(header::CONTENT_TYPE, "application/json");
    if flags & 1 == 1 {
        request = request.header(header::CONTENT_ENCODING, "gzip");
    }
    let request = request
        .body(HttpBody::from(body.to_vec()))
        .expect("a request");
    let response = runtime()
        .block_on(app.oneshot(request))
        .expect("the router is infallible");
    let status = response.status();
    assert!(
        matches!(
            status,
            StatusCode::OK | StatusCode::BAD_REQUEST | StatusCode::PAYLOAD_TOO_LARGE
        ),
        "unexpected status {status}"
    );
    if status != StatusCode::OK {
        let body = runtime()
            .block_on(axum::body::to_bytes(response.into_body(), 1 << 20))
            .expect("a refusal's body");
        let refusal: fieldline_protocol::ApiError =
            serde_json::from_slice(&body).expect("a refusal is the API's JSON error");
        assert!(!refusal.error.is_empty(), "a refusal without words");
    }
});
