//! The server's API as the dashboard calls it: `fetch` on the same origin, the session riding
//! in an `HttpOnly` cookie that no script here (or injected here) can read. Changes carry the
//! session's CSRF token in `X-CSRF-Token`; the page keeps it in memory only.

use serde::de::DeserializeOwned;
use serde::Deserialize;
use wasm_bindgen::{JsCast, JsValue};
use wasm_bindgen_futures::JsFuture;
use web_sys::{Request, RequestInit, Response};

/// The signed-in person, as `POST`/`GET /api/v1/session` describe them.
#[derive(Debug, Clone, PartialEq, Deserialize)]
pub struct Session {
    pub email: String,
    pub role: String,
    pub organization: Organization,
    /// Sent as `X-CSRF-Token` with every change.
    pub csrf_token: String,
}

#[derive(Debug, Clone, PartialEq, Deserialize)]
pub struct Organization {
    pub id: String,
    pub name: String,
}

/// A device as `GET /api/v1/campaigns/{c}/devices` lists it.
#[derive(Debug, Clone, PartialEq, Deserialize)]
pub struct Device {
    pub id: String,
    pub device_id: String,
    pub label: String,
    pub organization: String,
    pub enrolled_at: String,
    pub revoked: bool,
    /// Its last request to the server; `None` before its first.
    pub last_seen_at: Option<String>,
    /// Submissions the server holds from it.
    pub received: i64,
    /// Every submission up to this device sequence number is held.
    pub complete_up_to: i64,
}

/// A campaign as `GET /api/v1/campaigns` lists it (the fields the dashboard shows).
#[derive(Debug, Clone, PartialEq, Deserialize)]
pub struct Campaign {
    pub id: String,
    pub name: String,
    pub reach: String,
    pub rounds: Vec<RoundRef>,
}

#[derive(Debug, Clone, PartialEq, Deserialize)]
pub struct RoundRef {
    pub name: String,
    pub title: String,
}

/// What a failed call says: the server's words, or why there was no answer.
#[derive(Debug, Clone, PartialEq)]
pub struct Failure {
    pub status: u16,
    pub message: String,
}

fn failure(message: impl Into<String>) -> Failure {
    Failure {
        status: 0,
        message: message.into(),
    }
}

fn js_text(e: JsValue) -> String {
    e.as_string()
        .or_else(|| {
            e.dyn_ref::<js_sys::Error>()
                .map(|e| String::from(e.message()))
        })
        .unwrap_or_else(|| "the request failed".into())
}

/// Sends a request with the session cookie (`csrf_token` for a change); a status other than 2xx
/// is a [`Failure`] with the server's message.
pub async fn send(
    method: &str,
    path: &str,
    csrf_token: Option<&str>,
    body: Option<String>,
) -> Result<Response, Failure> {
    let init = RequestInit::new();
    init.set_method(method);
    // The cookie goes to this origin only, never to another.
    init.set_credentials(web_sys::RequestCredentials::SameOrigin);
    if let Some(body) = &body {
        init.set_body(&JsValue::from_str(body));
    }
    let request = Request::new_with_str_and_init(path, &init).map_err(|e| failure(js_text(e)))?;
    let headers = request.headers();
    let _ = headers.set("Accept", "application/json");
    if body.is_some() {
        let _ = headers.set("Content-Type", "application/json");
    }
    if let Some(token) = csrf_token {
        let _ = headers.set("X-CSRF-Token", token);
    }
    let window = web_sys::window().ok_or_else(|| failure("no window"))?;
    let response: Response = JsFuture::from(window.fetch_with_request(&request))
        .await
        .map_err(|e| failure(format!("the server did not answer: {}", js_text(e))))?
        .unchecked_into();
    if response.ok() {
        return Ok(response);
    }
    let status = response.status();
    let text = match response.text() {
        Ok(p) => JsFuture::from(p)
            .await
            .ok()
            .and_then(|t| t.as_string())
            .unwrap_or_default(),
        Err(_) => String::new(),
    };
    let message = serde_json::from_str::<serde_json::Value>(&text)
        .ok()
        .and_then(|v| v["error"].as_str().map(str::to_owned))
        .unwrap_or_else(|| format!("the server answered {status}"));
    Err(Failure { status, message })
}

/// A GET answered with JSON.
pub async fn get_json<T: DeserializeOwned>(path: &str) -> Result<T, Failure> {
    json_of(send("GET", path, None, None).await?).await
}

/// The JSON body of an answer.
pub async fn json_of<T: DeserializeOwned>(response: Response) -> Result<T, Failure> {
    let text = JsFuture::from(response.text().map_err(|e| failure(js_text(e)))?)
        .await
        .map_err(|e| failure(js_text(e)))?
        .as_string()
        .unwrap_or_default();
    serde_json::from_str(&text)
        .map_err(|e| failure(format!("an answer the dashboard cannot read: {e}")))
}

/// A GET whose answer is saved as a file named `file_name` (the browser's download).
pub async fn download(path: &str, file_name: &str) -> Result<(), Failure> {
    let response = send("GET", path, None, None).await?;
    let blob: web_sys::Blob = JsFuture::from(response.blob().map_err(|e| failure(js_text(e)))?)
        .await
        .map_err(|e| failure(js_text(e)))?
        .unchecked_into();
    let url = web_sys::Url::create_object_url_with_blob(&blob).map_err(|e| failure(js_text(e)))?;
    let document = web_sys::window()
        .and_then(|w| w.document())
        .ok_or_else(|| failure("no document"))?;
    let a: web_sys::HtmlAnchorElement = document
        .create_element("a")
        .map_err(|e| failure(js_text(e)))?
        .unchecked_into();
    a.set_href(&url);
    a.set_download(file_name);
    a.click();
    let _ = web_sys::Url::revoke_object_url(&url);
    Ok(())
}

/// `value` encoded for a query string.
pub fn encode(value: &str) -> String {
    String::from(js_sys::encode_uri_component(value))
}
