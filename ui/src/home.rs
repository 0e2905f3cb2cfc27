//! The home screen: who and what this device is, its forms with their counts, and the
//! enumerator's name.

use fieldline_app_api::{command, AppError, DeviceProfile, FormCard, HomeView, SetUsername};
use web_sys::HtmlInputElement;
use yew::prelude::*;

use crate::ipc::{invoke, NoArgs};

#[function_component(Home)]
pub fn home() -> Html {
    let home = use_state(|| None::<Result<HomeView, AppError>>);
    let saving = use_state(|| false);
    let save_result = use_state(|| None::<Result<String, AppError>>);
    let name_input = use_node_ref();

    {
        let home = home.clone();
        use_effect_with((), move |_| {
            wasm_bindgen_futures::spawn_local(async move {
                home.set(Some(invoke(command::HOME, &NoArgs {}).await));
            });
        });
    }

    let on_save = {
        let (home, saving, save_result, name_input) = (
            home.clone(),
            saving.clone(),
            save_result.clone(),
            name_input.clone(),
        );
        Callback::from(move |event: SubmitEvent| {
            event.prevent_default();
            let Some(input) = name_input.cast::<HtmlInputElement>() else {
                return;
            };
            let args = SetUsername {
                name: input.value(),
            };
            let (home, saving, save_result) = (home.clone(), saving.clone(), save_result.clone());
            saving.set(true);
            wasm_bindgen_futures::spawn_local(async move {
                let result: Result<DeviceProfile, AppError> =
                    invoke(command::SET_USERNAME, &args).await;
                save_result.set(Some(
                    result
                        .clone()
                        .map(|stored| stored.username.unwrap_or_default()),
                ));
                if let (Ok(stored), Some(Ok(view))) = (result, home.as_ref()) {
                    home.set(Some(Ok(HomeView {
                        profile: stored,
                        ..view.clone()
                    })));
                }
                saving.set(false);
            });
        })
    };

    html! {
        <>
            <header class="app-bar"><h1 id="app-title">{ "Fieldline" }</h1></header>
            <main id="home">
                { notices(home.as_ref()) }
                { forms_card(home.as_ref()) }
                { profile_card(home.as_ref()) }
                <section class="card">
                    <h2>{ "Enumerator" }</h2>
                    <form onsubmit={on_save}>
                        <label for="username">{ "Your name, as it should appear on your interviews" }</label>
                        <input id="username" type="text" autocomplete="name" ref={name_input}
                            value={current_username(home.as_ref())} />
                        <button id="save-username" type="submit" disabled={*saving}>{ "Save name" }</button>
                    </form>
                    { save_feedback(save_result.as_ref()) }
                </section>
            </main>
        </>
    }
}

fn current_username(home: Option<&Result<HomeView, AppError>>) -> String {
    match home {
        Some(Ok(view)) => view.profile.username.clone().unwrap_or_default(),
        _ => String::new(),
    }
}

fn notices(home: Option<&Result<HomeView, AppError>>) -> Html {
    let Some(Ok(view)) = home else {
        return html! {};
    };
    view.notices
        .iter()
        .map(|notice| html! { <p class="card error notice">{ notice }</p> })
        .collect()
}

fn forms_card(home: Option<&Result<HomeView, AppError>>) -> Html {
    let body = match home {
        Some(Ok(view)) if view.forms.is_empty() => {
            html! { <p id="no-forms">{ "No forms on this device yet." }</p> }
        }
        Some(Ok(view)) => html! {
            <ul class="forms" id="forms">{ for view.forms.iter().map(form_item) }</ul>
        },
        _ => html! {},
    };
    html! { <section class="card"><h2>{ "Forms" }</h2>{ body }</section> }
}

fn form_item(form: &FormCard) -> Html {
    html! {
        <li class="form-card" data-form-id={form.form_id.clone()}>
            <span class="form-title">{ &form.title }</span>
            <span class="form-counts">{ format!(
                "Drafts {} · Finalized {} · Not sent {}",
                form.drafts, form.finalized, form.not_sent
            ) }</span>
        </li>
    }
}

fn profile_card(home: Option<&Result<HomeView, AppError>>) -> Html {
    let body = match home {
        None => html! { <p>{ "Opening this device's profile…" }</p> },
        Some(Err(err)) => html! { <p class="error" id="profile-error">{ &err.message }</p> },
        Some(Ok(HomeView { profile, .. })) => html! {
            <dl>
                <dt>{ "Device" }</dt><dd id="device-id">{ &profile.device_id }</dd>
                <dt>{ "Enumerator" }</dt>
                <dd id="profile-username">{ profile.username.clone().unwrap_or_else(|| "not set".into()) }</dd>
                <dt>{ "Server" }</dt>
                <dd id="server-url">{ profile.server_url.clone().unwrap_or_else(|| "none yet".into()) }</dd>
            </dl>
        },
    };
    html! { <section class="card"><h2>{ "This device" }</h2>{ body }</section> }
}

fn save_feedback(result: Option<&Result<String, AppError>>) -> Html {
    match result {
        None => html! {},
        Some(Ok(name)) => {
            html! { <p class="ok" id="username-saved">{ format!("Saved as {name}") }</p> }
        }
        Some(Err(err)) => html! { <p class="error" id="username-error">{ &err.message }</p> },
    }
}
