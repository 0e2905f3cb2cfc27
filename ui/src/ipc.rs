//! Calls into the Tauri shell. Every command goes through [`invoke`], which turns the shell's
//! `AppError` into a Rust error the screens can show.

use fieldline_app_api::AppError;
use serde::{de::DeserializeOwned, Serialize};
use wasm_bindgen::prelude::*;

#[wasm_bindgen]
extern "C" {
    #[wasm_bindgen(js_namespace = ["window", "__TAURI__", "core"], js_name = invoke, catch)]
    async fn tauri_invoke(command: &str, args: JsValue) -> Result<JsValue, JsValue>;

    #[wasm_bindgen(js_namespace = ["window", "__TAURI__", "core"], js_name = invoke, catch)]
    async fn tauri_invoke_with(
        command: &str,
        body: JsValue,
        options: JsValue,
    ) -> Result<JsValue, JsValue>;

}

/// Whether the page runs inside the field app (and not, say, in a plain browser).
pub fn in_tauri() -> bool {
    let window: JsValue = js_sys::global().into();
    js_sys::Reflect::has(&window, &JsValue::from_str("__TAURI__")).unwrap_or(false)
}

pub async fn invoke<A: Serialize, T: DeserializeOwned>(
    command: &str,
    args: &A,
) -> Result<T, AppError> {
    serde_wasm_bindgen::from_value(invoke_raw(command, args).await?).map_err(decode_error)
}

/// A command that answers with raw bytes (an `ArrayBuffer`), such as a form's media file.
pub async fn invoke_bytes<A: Serialize>(command: &str, args: &A) -> Result<Vec<u8>, AppError> {
    Ok(js_sys::Uint8Array::new(&invoke_raw(command, args).await?).to_vec())
}

async fn invoke_raw<A: Serialize>(command: &str, args: &A) -> Result<JsValue, AppError> {
    if !in_tauri() {
        return Err(AppError {
            message: "This page only works inside the Fieldline app.".into(),
        });
    }
    let args = serde_wasm_bindgen::to_value(args).map_err(decode_error)?;
    tauri_invoke(command, args)
        .await
        .map_err(|value| command_error(command, value))
}

/// A command whose body is raw bytes (a photo is too big to travel as JSON), with its other
/// arguments as headers, each percent-encoded.
pub async fn invoke_with_bytes<T: DeserializeOwned>(
    command: &str,
    bytes: &[u8],
    headers: &[(&str, &str)],
) -> Result<T, AppError> {
    if !in_tauri() {
        return Err(AppError {
            message: "This page only works inside the Fieldline app.".into(),
        });
    }
    let header_map = js_sys::Object::new();
    for (name, value) in headers {
        let encoded: JsValue = js_sys::encode_uri_component(value).into();
        js_sys::Reflect::set(&header_map, &(*name).into(), &encoded).map_err(|_| AppError {
            message: format!("The app could not prepare {command}."),
        })?;
    }
    let options = js_sys::Object::new();
    js_sys::Reflect::set(&options, &"headers".into(), &header_map).map_err(|_| AppError {
        message: format!("The app could not prepare {command}."),
    })?;
    let body: JsValue = js_sys::Uint8Array::from(bytes).into();
    let value = tauri_invoke_with(command, body, options.into())
        .await
        .map_err(|value| command_error(command, value))?;
    serde_wasm_bindgen::from_value(value).map_err(decode_error)
}

/// A `blob:` URL for bytes of the given media type, valid while the page lives.
pub fn blob_url(bytes: &[u8], media_type: &str) -> Option<String> {
    let parts = js_sys::Array::of1(&js_sys::Uint8Array::from(bytes));
    let options = web_sys::BlobPropertyBag::new();
    options.set_type(media_type);
    let blob = web_sys::Blob::new_with_u8_array_sequence_and_options(&parts, &options).ok()?;
    web_sys::Url::create_object_url_with_blob(&blob).ok()
}

/// The shell's `AppError`, or words for a failure that is not one.
fn command_error(command: &str, value: JsValue) -> AppError {
    serde_wasm_bindgen::from_value(value.clone()).unwrap_or_else(|_| AppError {
        message: value
            .as_string()
            .unwrap_or_else(|| format!("The app failed to run {command}.")),
    })
}

fn decode_error(err: serde_wasm_bindgen::Error) -> AppError {
    AppError {
        message: format!("The app and its screens disagree about data ({err}); reinstall the app."),
    }
}

/// Arguments of a command that takes none.
#[derive(Serialize)]
pub struct NoArgs {}

/// The bytes of a file the enumerator chose or captured.
pub async fn read_file(file: &web_sys::File) -> Result<Vec<u8>, AppError> {
    let buffer = wasm_bindgen_futures::JsFuture::from(file.array_buffer())
        .await
        .map_err(|_| AppError {
            message: format!("{} could not be read from this device.", file.name()),
        })?;
    Ok(js_sys::Uint8Array::new(&buffer).to_vec())
}
