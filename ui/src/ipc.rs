//! Calls into the Tauri shell. Every command goes through [`invoke`], which turns the shell's
//! `AppError` into a Rust error the screens can show.

use fieldline_app_api::AppError;
use serde::{de::DeserializeOwned, Serialize};
use wasm_bindgen::prelude::*;

#[wasm_bindgen]
extern "C" {
    #[wasm_bindgen(js_namespace = ["window", "__TAURI__", "core"], js_name = invoke, catch)]
    async fn tauri_invoke(command: &str, args: JsValue) -> Result<JsValue, JsValue>;
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
    if !in_tauri() {
        return Err(AppError {
            message: "This page only works inside the Fieldline app.".into(),
        });
    }
    let args = serde_wasm_bindgen::to_value(args).map_err(decode_error)?;
    match tauri_invoke(command, args).await {
        Ok(value) => serde_wasm_bindgen::from_value(value).map_err(decode_error),
        Err(value) => Err(
            serde_wasm_bindgen::from_value(value.clone()).unwrap_or_else(|_| AppError {
                message: value
                    .as_string()
                    .unwrap_or_else(|| format!("The app failed to run {command}.")),
            }),
        ),
    }
}

fn decode_error(err: serde_wasm_bindgen::Error) -> AppError {
    AppError {
        message: format!("The app and its screens disagree about data ({err}); reinstall the app."),
    }
}

/// Arguments of a command that takes none.
#[derive(Serialize)]
pub struct NoArgs {}
