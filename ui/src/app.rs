//! The app's frame: the PIN lock in front of everything, which screen is shown, the app's
//! language, and the bar on top.

use std::cell::Cell;
use std::rc::Rc;

use fieldline_app_api::{command, AppError, LockStatus};
use wasm_bindgen::closure::Closure;
use wasm_bindgen::JsCast;
use yew::prelude::*;

use crate::i18n::{AppLanguage, Texts};
use crate::ipc::{invoke, NoArgs};
use crate::{drafts, home, interview, lock, outbox};

/// The screens of the app.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Route {
    Home,
    Interview(String),
    Drafts,
    Outbox,
}

/// What every screen may use: the app's words and a way to change screens.
#[derive(Clone, PartialEq)]
pub struct AppContext {
    pub texts: Texts,
    pub go: Callback<Route>,
}

const LANGUAGE_KEY: &str = "fieldline.app-language";

fn saved_language() -> AppLanguage {
    web_sys::window()
        .and_then(|w| w.local_storage().ok().flatten())
        .and_then(|s| s.get_item(LANGUAGE_KEY).ok().flatten())
        .and_then(|code| AppLanguage::from_code(&code))
        .unwrap_or(AppLanguage::English)
}

fn save_language(language: AppLanguage) {
    if let Some(storage) = web_sys::window().and_then(|w| w.local_storage().ok().flatten()) {
        // Only a preference: if the webview refuses storage, the app simply starts in English.
        let _ = storage.set_item(LANGUAGE_KEY, language.code());
    }
}

#[function_component(App)]
pub fn app() -> Html {
    let route = use_state(|| Route::Home);
    let language = use_state(saved_language);
    let lock_status = use_state(|| None::<Result<LockStatus, AppError>>);
    let texts = use_memo(*language, |l| Texts::new(*l));
    let context = AppContext {
        texts: (*texts).clone(),
        go: {
            let route = route.clone();
            Callback::from(move |r| route.set(r))
        },
    };
    {
        let lock_status = lock_status.clone();
        use_effect_with((), move |_| {
            wasm_bindgen_futures::spawn_local(async move {
                lock_status.set(Some(invoke(command::LOCK_STATUS, &NoArgs {}).await));
            });
        });
    }
    let on_unlocked = {
        let (route, lock_status) = (route.clone(), lock_status.clone());
        Callback::from(move |status: LockStatus| {
            // Whatever was open before locking is saved; the enumerator resumes it from Drafts.
            route.set(Route::Home);
            lock_status.set(Some(Ok(status)));
        })
    };
    let lock_now = {
        let lock_status = lock_status.clone();
        Callback::from(move |()| {
            let lock_status = lock_status.clone();
            wasm_bindgen_futures::spawn_local(async move {
                lock_status.set(Some(invoke(command::LOCK, &NoArgs {}).await));
            });
        })
    };
    let unlocked = matches!(&*lock_status, Some(Ok(status)) if status.unlocked);
    {
        let lock_after_seconds = match &*lock_status {
            Some(Ok(status)) => status.lock_after_seconds,
            _ => 0,
        };
        let lock_now = lock_now.clone();
        use_effect_with(
            (unlocked, lock_after_seconds),
            move |&(unlocked, seconds)| {
                let watch = unlocked.then(|| InactivityWatch::start(seconds, lock_now));
                move || drop(watch)
            },
        );
    }
    let on_language = {
        let language = language.clone();
        Callback::from(move |e: Event| {
            let select: web_sys::HtmlSelectElement = e.target_unchecked_into();
            if let Some(l) = AppLanguage::from_code(&select.value()) {
                save_language(l);
                language.set(l);
            }
        })
    };
    let t = &context.texts;
    let nav = |target: Route, id: &'static str, label: String| {
        let go = context.go.clone();
        let current = *route == target;
        html! {
            <button id={id} class={classes!("nav", current.then_some("current"))}
                onclick={Callback::from(move |_| go.emit(target.clone()))}>{ label }</button>
        }
    };
    let in_interview = matches!(*route, Route::Interview(_));
    let screen = match &*lock_status {
        None => html! { <main><p>{ t.t("home-opening") }</p></main> },
        Some(Err(err)) => {
            html! { <main><p class="card error" id="lock-error">{ &err.message }</p></main> }
        }
        Some(Ok(status)) if !status.unlocked => html! {
            <lock::LockScreen pin_chosen={status.pin_chosen} on_unlocked={on_unlocked} />
        },
        Some(Ok(_)) => match &*route {
            Route::Home => html! { <home::Home /> },
            Route::Drafts => html! { <drafts::Drafts /> },
            Route::Outbox => html! { <outbox::Outbox /> },
            Route::Interview(id) => {
                html! { <interview::Interview key={id.clone()} instance_id={id.clone()} /> }
            }
        },
    };
    html! {
        <ContextProvider<AppContext> context={context.clone()}>
            <header class="app-bar">
                <h1 id="app-title">{ t.t("app-title") }</h1>
                if unlocked && !in_interview {
                    <nav>
                        { nav(Route::Home, "nav-home", t.t("nav-home")) }
                        { nav(Route::Drafts, "nav-drafts", t.t("nav-drafts")) }
                        { nav(Route::Outbox, "nav-outbox", t.t("nav-outbox")) }
                    </nav>
                }
                if unlocked {
                    <button id="lock-now" class="nav" onclick={lock_now.reform(|_| ())}>{ t.t("lock-now") }</button>
                }
                <label class="app-language">
                    <span class="visually-hidden">{ t.t("app-language") }</span>
                    <select id="app-language" onchange={on_language} aria-label={t.t("app-language")}>
                        { for AppLanguage::ALL.iter().map(|l| html! {
                            <option value={l.code()} selected={*l == *language}>{ l.native_name() }</option>
                        }) }
                    </select>
                </label>
            </header>
            { screen }
        </ContextProvider<AppContext>>
    }
}

/// Events that show someone is using the tablet. Scrolling through a long screen counts.
const ACTIVITY_EVENTS: [&str; 5] = ["pointerdown", "keydown", "touchstart", "wheel", "input"];

/// Locks the app after a while without a touch or key: while it lives, it listens for activity
/// on the whole page and checks every second how long ago the last one was.
struct InactivityWatch {
    document: web_sys::Document,
    on_activity: Closure<dyn FnMut(web_sys::Event)>,
    _ticker: gloo_timers::callback::Interval,
}

impl InactivityWatch {
    fn start(lock_after_seconds: u64, lock: Callback<()>) -> Option<Self> {
        let document = web_sys::window()?.document()?;
        let last_activity = Rc::new(Cell::new(js_sys::Date::now()));
        let on_activity = {
            let last_activity = Rc::clone(&last_activity);
            Closure::<dyn FnMut(web_sys::Event)>::new(move |_: web_sys::Event| {
                last_activity.set(js_sys::Date::now());
            })
        };
        for event in ACTIVITY_EVENTS {
            // Listening in the capture phase sees every touch, even one a screen stops.
            let _ = document.add_event_listener_with_callback_and_bool(
                event,
                on_activity.as_ref().unchecked_ref(),
                true,
            );
        }
        let lock_after_ms = lock_after_seconds as f64 * 1000.0;
        let ticker = gloo_timers::callback::Interval::new(1000, move || {
            if js_sys::Date::now() - last_activity.get() >= lock_after_ms {
                // Asked once: locking unmounts this watch.
                last_activity.set(f64::INFINITY);
                lock.emit(());
            }
        });
        Some(Self {
            document,
            on_activity,
            _ticker: ticker,
        })
    }
}

impl Drop for InactivityWatch {
    fn drop(&mut self) {
        for event in ACTIVITY_EVENTS {
            let _ = self.document.remove_event_listener_with_callback_and_bool(
                event,
                self.on_activity.as_ref().unchecked_ref(),
                true,
            );
        }
    }
}
