//! Dates and times as the device shows them, through the webview's own clock and time zone.

/// The device's offset from UTC now, in minutes (east positive, e.g. 345 in Nepal).
pub fn utc_offset_minutes() -> i32 {
    -(js_sys::Date::new_0().get_timezone_offset() as i32)
}

/// A moment (milliseconds since 1970-01-01T00:00:00Z) in the device's locale and time zone.
pub fn local_date_time(millis: i64, locale: &str) -> String {
    let date = js_sys::Date::new(&wasm_bindgen::JsValue::from_f64(millis as f64));
    date.to_locale_string(locale, &wasm_bindgen::JsValue::UNDEFINED)
        .into()
}
