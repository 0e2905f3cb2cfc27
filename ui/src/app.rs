//! The app's frame: which screen is shown, the app's language, and the bar on top.

use yew::prelude::*;

use crate::i18n::{AppLanguage, Texts};
use crate::{drafts, home, interview, outbox};

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
    let texts = use_memo(*language, |l| Texts::new(*l));
    let context = AppContext {
        texts: (*texts).clone(),
        go: {
            let route = route.clone();
            Callback::from(move |r| route.set(r))
        },
    };
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
    html! {
        <ContextProvider<AppContext> context={context.clone()}>
            <header class="app-bar">
                <h1 id="app-title">{ t.t("app-title") }</h1>
                if !in_interview {
                    <nav>
                        { nav(Route::Home, "nav-home", t.t("nav-home")) }
                        { nav(Route::Drafts, "nav-drafts", t.t("nav-drafts")) }
                        { nav(Route::Outbox, "nav-outbox", t.t("nav-outbox")) }
                    </nav>
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
            { match &*route {
                Route::Home => html! { <home::Home /> },
                Route::Drafts => html! { <drafts::Drafts /> },
                Route::Outbox => html! { <outbox::Outbox /> },
                Route::Interview(id) => html! { <interview::Interview key={id.clone()} instance_id={id.clone()} /> },
            } }
        </ContextProvider<AppContext>>
    }
}
