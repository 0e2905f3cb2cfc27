//! The dashboard: a Yew app compiled to wasm (`dashboard/`), embedded at build time by
//! `build.rs` and served here; it reads the API with the person's session. Built without the
//! bundle, the home page says how to build it.

use axum::http::header;
use axum::response::IntoResponse;

mod bundle {
    include!(concat!(env!("OUT_DIR"), "/dashboard_bundle.rs"));
}

fn file(content_type: &'static str, bytes: &'static [u8]) -> impl IntoResponse {
    ([(header::CONTENT_TYPE, content_type)], bytes)
}

pub async fn home() -> impl IntoResponse {
    file("text/html; charset=utf-8", bundle::INDEX)
}

pub async fn css() -> impl IntoResponse {
    file("text/css; charset=utf-8", bundle::CSS)
}

/// The boot script: loads the glue and the wasm.
pub async fn js() -> impl IntoResponse {
    file("text/javascript; charset=utf-8", bundle::BOOT)
}

/// wasm-bindgen's glue.
pub async fn glue() -> impl IntoResponse {
    file("text/javascript; charset=utf-8", bundle::GLUE)
}

pub async fn wasm() -> impl IntoResponse {
    file("application/wasm", bundle::WASM)
}
