//! The home screen: who and what this device is, and the enumerator's name.

use fieldline_app_api::{command, AppError, DeviceProfile, SetUsername};
use web_sys::HtmlInputElement;
use yew::prelude::*;

use crate::ipc::{invoke, NoArgs};

#[function_component(Home)]
pub fn home() -> Html {
    let profile = use_state(|| None::<Result<DeviceProfile, AppError>>);
    let saving = use_state(|| false);
    let save_result = use_state(|| None::<Result<String, AppError>>);
    let name_input = use_node_ref();

    {
        let profile = profile.clone();
        use_effect_with((), move |_| {
            wasm_bindgen_futures::spawn_local(async move {
                profile.set(Some(invoke(command::DEVICE_PROFILE, &NoArgs {}).await));
            });
        });
    }

    let on_save = {
        let (profile, saving, save_result, name_input) = (
            profile.clone(),
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
            let (profile, saving, save_result) =
                (profile.clone(), saving.clone(), save_result.clone());
            saving.set(true);
            wasm_bindgen_futures::spawn_local(async move {
                let result: Result<DeviceProfile, AppError> =
                    invoke(command::SET_USERNAME, &args).await;
                save_result.set(Some(
                    result
                        .clone()
                        .map(|stored| stored.username.unwrap_or_default()),
                ));
                if let Ok(stored) = result {
                    profile.set(Some(Ok(stored)));
                }
                saving.set(false);
            });
        })
    };

    html! {
        <>
            <header class="app-bar"><h1 id="app-title">{ "Fieldline" }</h1></header>
            <main id="home">
                { profile_card(profile.as_ref()) }
                <section class="card">
                    <h2>{ "Enumerator" }</h2>
                    <form onsubmit={on_save}>
                        <label for="username">{ "Your name, as it should appear on your interviews" }</label>
                        <input id="username" type="text" autocomplete="name" ref={name_input}
                            value={current_username(profile.as_ref())} />
                        <button id="save-username" type="submit" disabled={*saving}>{ "Save name" }</button>
                    </form>
                    { save_feedback(save_result.as_ref()) }
                </section>
            </main>
        </>
    }
}

fn current_username(profile: Option<&Result<DeviceProfile, AppError>>) -> String {
    match profile {
        Some(Ok(profile)) => profile.username.clone().unwrap_or_default(),
        _ => String::new(),
    }
}

fn profile_card(profile: Option<&Result<DeviceProfile, AppError>>) -> Html {
    let body = match profile {
        None => html! { <p>{ "Opening this device's profile…" }</p> },
        Some(Err(err)) => html! { <p class="error" id="profile-error">{ &err.message }</p> },
        Some(Ok(profile)) => html! {
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
