//! A geopoint answer: the device's own position when the webview can get one, or latitude and
//! longitude typed from a GPS unit or a map, checked before they are given.

use wasm_bindgen::prelude::*;
use wasm_bindgen::JsCast;
use yew::prelude::*;

use crate::i18n::Texts;

#[derive(Properties, PartialEq)]
pub struct GeopointProps {
    pub path: String,
    /// The stored answer: `latitude longitude altitude accuracy`, or empty.
    pub value: String,
    pub texts: Texts,
    /// Gives `(path, answer)`.
    pub on_answer: Callback<(String, String)>,
}

/// Latitude and longitude in range, as ODK stores a point typed by hand (no altitude, no
/// accuracy).
fn typed_point(latitude: &str, longitude: &str) -> Option<String> {
    let lat: f64 = latitude.trim().parse().ok()?;
    let lon: f64 = longitude.trim().parse().ok()?;
    ((-90.0..=90.0).contains(&lat) && (-180.0..=180.0).contains(&lon))
        .then(|| format!("{lat} {lon} 0 0"))
}

#[function_component(Geopoint)]
pub fn geopoint(p: &GeopointProps) -> Html {
    let mut parts = p.value.split_whitespace();
    let stored = (
        parts.next().unwrap_or("").to_owned(),
        parts.next().unwrap_or("").to_owned(),
    );
    let typed = use_state(|| stored.clone());
    let problem = use_state(|| None::<String>);
    {
        let typed = typed.clone();
        use_effect_with(stored, move |s| typed.set(s.clone()));
    }
    let t = &p.texts;
    let give = {
        let (typed, problem, on_answer, path) = (
            typed.clone(),
            problem.clone(),
            p.on_answer.clone(),
            p.path.clone(),
        );
        let invalid = t.t("geo-invalid");
        move |latitude: String, longitude: String| {
            typed.set((latitude.clone(), longitude.clone()));
            if latitude.trim().is_empty() || longitude.trim().is_empty() {
                problem.set(None);
                return;
            }
            match typed_point(&latitude, &longitude) {
                Some(answer) => {
                    problem.set(None);
                    on_answer.emit((path.clone(), answer));
                }
                None => problem.set(Some(invalid.clone())),
            }
        }
    };
    let on_latitude = {
        let (give, typed) = (give.clone(), typed.clone());
        Callback::from(move |e: Event| {
            let input: web_sys::HtmlInputElement = e.target_unchecked_into();
            give(input.value(), typed.1.clone());
        })
    };
    let on_longitude = {
        let (give, typed) = (give.clone(), typed.clone());
        Callback::from(move |e: Event| {
            let input: web_sys::HtmlInputElement = e.target_unchecked_into();
            give(typed.0.clone(), input.value());
        })
    };
    let locate = {
        let (problem, on_answer, path) = (problem.clone(), p.on_answer.clone(), p.path.clone());
        let words = (
            t.t("geo-locating"),
            t.t("geo-denied"),
            t.t("geo-unavailable"),
        );
        Callback::from(move |_| {
            problem.set(Some(words.0.clone()));
            let found = {
                let (problem, on_answer, path) = (problem.clone(), on_answer.clone(), path.clone());
                move |point: String| {
                    problem.set(None);
                    on_answer.emit((path.clone(), point));
                }
            };
            let failed = {
                let problem = problem.clone();
                let (denied, unavailable) = (words.1.clone(), words.2.clone());
                move |code: u16| {
                    problem.set(Some(if code == 1 {
                        denied.clone()
                    } else {
                        unavailable.clone()
                    }))
                }
            };
            if !ask_position(found, failed.clone()) {
                failed(2);
            }
        })
    };
    html! {
        <div class="geopoint">
            <button class="secondary locate" onclick={locate}>{ t.t("geo-use-device") }</button>
            <div class="geo-typed">
                <label class="date-part">
                    <span>{ t.t("geo-latitude") }</span>
                    <input class="answer geo-latitude" type="text" inputmode="decimal"
                        value={typed.0.clone()} onchange={on_latitude} />
                </label>
                <label class="date-part">
                    <span>{ t.t("geo-longitude") }</span>
                    <input class="answer geo-longitude" type="text" inputmode="decimal"
                        value={typed.1.clone()} onchange={on_longitude} />
                </label>
            </div>
            if let Some(problem) = &*problem {
                <p class="hint geo-problem">{ problem }</p>
            }
        </div>
    }
}

/// Asks the webview for the device's position once (high accuracy, 30 s); `false` when the
/// webview has no geolocation at all.
fn ask_position(found: impl Fn(String) + 'static, failed: impl Fn(u16) + Clone + 'static) -> bool {
    let Some(geolocation) = js_sys::Reflect::get(&js_sys::global(), &"navigator".into())
        .ok()
        .and_then(|n| js_sys::Reflect::get(&n, &"geolocation".into()).ok())
        .filter(|g| !g.is_undefined() && !g.is_null())
    else {
        return false;
    };
    let Ok(get) = js_sys::Reflect::get(&geolocation, &"getCurrentPosition".into())
        .and_then(|f| f.dyn_into::<js_sys::Function>())
    else {
        return false;
    };
    let number = |object: &JsValue, key: &str| {
        js_sys::Reflect::get(object, &key.into())
            .ok()
            .and_then(|v| v.as_f64())
    };
    let failed_too = failed.clone();
    let on_found = Closure::once_into_js(move |position: JsValue| {
        let coords = js_sys::Reflect::get(&position, &"coords".into()).unwrap_or_default();
        match (number(&coords, "latitude"), number(&coords, "longitude")) {
            (Some(lat), Some(lon)) => found(format!(
                "{lat} {lon} {} {}",
                number(&coords, "altitude").unwrap_or(0.0),
                number(&coords, "accuracy").unwrap_or(0.0)
            )),
            _ => failed_too(2),
        }
    });
    let on_failed = Closure::once_into_js(move |error: JsValue| {
        let code = js_sys::Reflect::get(&error, &"code".into())
            .ok()
            .and_then(|c| c.as_f64())
            .unwrap_or(2.0) as u16;
        failed(code)
    });
    let options = js_sys::Object::new();
    let _ = js_sys::Reflect::set(&options, &"enableHighAccuracy".into(), &true.into());
    let _ = js_sys::Reflect::set(&options, &"timeout".into(), &30_000.into());
    get.call3(&geolocation, &on_found, &on_failed, &options)
        .is_ok()
}

#[cfg(test)]
mod tests {
    use super::typed_point;

    #[test]
    fn typed_points_are_checked_for_range() {
        assert_eq!(
            typed_point("26.45", " 87.27").as_deref(),
            Some("26.45 87.27 0 0")
        );
        assert_eq!(typed_point("91", "0"), None);
        assert_eq!(typed_point("0", "-181"), None);
        assert_eq!(typed_point("north", "87"), None);
    }
}
