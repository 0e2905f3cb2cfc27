//! The home screen: the device's forms with their counts (start an interview, import another),
//! who and what this device is, and the enumerator's name.

use fieldline_app_api::{
    command, AppError, CampaignView, DeviceProfile, Enroll, FormCard, HomeView, ImportForm,
    Imported, MediaUpload, SetUsername, StartInterview,
};
use web_sys::HtmlInputElement;
use yew::prelude::*;

use crate::app::{AppContext, Route};
use crate::i18n::Texts;
use crate::ipc::{invoke, read_file, NoArgs};
use crate::lock::ChangePinCard;
use crate::time::utc_offset_minutes;

#[function_component(Home)]
pub fn home() -> Html {
    let ctx = use_context::<AppContext>().expect("inside the app");
    let home = use_state(|| None::<Result<HomeView, AppError>>);
    let saving = use_state(|| false);
    let save_result = use_state(|| None::<Result<String, AppError>>);
    let import_result = use_state(|| None::<Result<Imported, AppError>>);
    let start_error = use_state(|| None::<AppError>);
    let name_input = use_node_ref();

    let reload = {
        let home = home.clone();
        Callback::from(move |_: ()| {
            let home = home.clone();
            wasm_bindgen_futures::spawn_local(async move {
                home.set(Some(invoke(command::HOME, &NoArgs {}).await));
            });
        })
    };
    {
        let reload = reload.clone();
        use_effect_with((), move |_| reload.emit(()));
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

    let on_import = {
        let (import_result, reload) = (import_result.clone(), reload.clone());
        Callback::from(move |event: Event| {
            let input: HtmlInputElement = event.target_unchecked_into();
            let files: Vec<web_sys::File> = input
                .files()
                .map(|list| (0..list.length()).filter_map(|i| list.get(i)).collect())
                .unwrap_or_default();
            input.set_value("");
            if files.is_empty() {
                return;
            }
            let (import_result, reload) = (import_result.clone(), reload.clone());
            wasm_bindgen_futures::spawn_local(async move {
                import_result.set(Some(import_files(files).await));
                reload.emit(());
            });
        })
    };

    let on_start = {
        let (go, start_error) = (ctx.go.clone(), start_error.clone());
        Callback::from(move |form: FormCard| {
            let args = StartInterview {
                form_id: form.form_id,
                version: form.version,
                utc_offset_minutes: utc_offset_minutes(),
            };
            let (go, start_error) = (go.clone(), start_error.clone());
            wasm_bindgen_futures::spawn_local(async move {
                match invoke::<_, String>(command::START_INTERVIEW, &args).await {
                    Ok(id) => go.emit(Route::Interview(id)),
                    Err(err) => start_error.set(Some(err)),
                }
            });
        })
    };

    let t = &ctx.texts;
    html! {
        <main id="home">
            { notices(home.as_ref()) }
            if let Some(err) = &*start_error {
                <p class="card error" id="start-error">{ &err.message }</p>
            }
            <Enrollment home={(*home).clone()} on_enrolled={reload.clone()} />
            { forms_card(t, home.as_ref(), &on_start) }
            <section class="card">
                <h2>{ t.t("home-import") }</h2>
                <label for="import-file" class="file-button">{ t.t("home-import-choose") }</label>
                <input id="import-file" class="visually-hidden" type="file" multiple=true
                    accept=".xlsx,.xls,image/*,audio/*,video/*" onchange={on_import} />
                { import_feedback(t, import_result.as_ref()) }
            </section>
            { profile_card(t, home.as_ref()) }
            <ChangePinCard />
            <section class="card">
                <h2>{ t.t("home-name-title") }</h2>
                <form onsubmit={on_save}>
                    <label for="username">{ t.t("home-name-label") }</label>
                    <input id="username" type="text" autocomplete="name" ref={name_input}
                        value={current_username(home.as_ref())} />
                    <button id="save-username" type="submit" disabled={*saving}>{ t.t("home-name-save") }</button>
                </form>
                { save_feedback(t, save_result.as_ref()) }
            </section>
        </main>
    }
}

/// Imports the chosen form with the media files chosen alongside it.
async fn import_files(files: Vec<web_sys::File>) -> Result<Imported, AppError> {
    let is_form = |f: &web_sys::File| {
        let name = f.name().to_lowercase();
        name.ends_with(".xlsx") || name.ends_with(".xls")
    };
    let Some(form) = files.iter().find(|f| is_form(f)) else {
        return Err(AppError {
            message: "None of the chosen files is a form: choose its .xlsx or .xls file too."
                .into(),
        });
    };
    let mut media = Vec::new();
    for file in files.iter().filter(|f| !is_form(f)) {
        media.push(MediaUpload {
            name: file.name(),
            bytes: read_file(file).await?,
        });
    }
    let args = ImportForm {
        file_name: form.name(),
        bytes: read_file(form).await?,
        media,
    };
    invoke(command::IMPORT_FORM, &args).await
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

fn forms_card(
    t: &Texts,
    home: Option<&Result<HomeView, AppError>>,
    on_start: &Callback<FormCard>,
) -> Html {
    let body = match home {
        Some(Ok(view)) if view.forms.is_empty() => {
            html! { <p id="no-forms">{ t.t("home-no-forms") }</p> }
        }
        Some(Ok(view)) => html! {
            <ul class="forms" id="forms">{ for view.forms.iter().map(|f| form_item(t, f, on_start)) }</ul>
        },
        _ => html! {},
    };
    html! { <section class="card"><h2>{ t.t("home-forms") }</h2>{ body }</section> }
}

fn form_item(t: &Texts, form: &FormCard, on_start: &Callback<FormCard>) -> Html {
    let start = {
        let (form, on_start) = (form.clone(), on_start.clone());
        Callback::from(move |_| on_start.emit(form.clone()))
    };
    html! {
        <li class="form-card" data-form-id={form.form_id.clone()}>
            <div class="form-text">
                <span class="form-title">{ &form.title }</span>
                <span class="form-counts">{ t.t_args("home-counts", &[
                    ("drafts", form.drafts.into()),
                    ("finalized", form.finalized.into()),
                    ("not_sent", form.not_sent.into()),
                ]) }</span>
            </div>
            <button class="start-interview" onclick={start}>{ t.t("home-start") }</button>
        </li>
    }
}

fn profile_card(t: &Texts, home: Option<&Result<HomeView, AppError>>) -> Html {
    let body = match home {
        None => html! { <p>{ t.t("home-opening") }</p> },
        Some(Err(err)) => html! { <p class="error" id="profile-error">{ &err.message }</p> },
        Some(Ok(HomeView { profile, .. })) => html! {
            <dl>
                <dt>{ t.t("home-device-id") }</dt><dd id="device-id">{ &profile.device_id }</dd>
                <dt>{ t.t("home-enumerator") }</dt>
                <dd id="profile-username">{ profile.username.clone().unwrap_or_else(|| t.t("home-not-set")) }</dd>
                <dt>{ t.t("home-server") }</dt>
                <dd id="server-url">{ profile.server_url.clone().unwrap_or_else(|| t.t("home-no-server")) }</dd>
            </dl>
        },
    };
    html! { <section class="card"><h2>{ t.t("home-device") }</h2>{ body }</section> }
}

fn import_feedback(t: &Texts, result: Option<&Result<Imported, AppError>>) -> Html {
    match result {
        None => html! {},
        Some(Ok(imported)) => html! {
            <>
                <p class="ok" id="import-done">{ t.t_args("home-imported", &[("title", (&imported.form.title).into())]) }</p>
                if !imported.media_missing.is_empty() {
                    <p class="error notice" id="import-media-missing">{ t.t_args("home-media-missing", &[
                        ("count", imported.media_missing.len().into()),
                        ("files", (&imported.media_missing.join(", ")).into()),
                    ]) }</p>
                }
                if !imported.media_ignored.is_empty() {
                    <p class="notice" id="import-media-ignored">{ t.t_args("home-media-ignored", &[
                        ("files", (&imported.media_ignored.join(", ")).into()),
                    ]) }</p>
                }
            </>
        },
        Some(Err(err)) => html! { <p class="error notice" id="import-error">{ &err.message }</p> },
    }
}

fn save_feedback(t: &Texts, result: Option<&Result<String, AppError>>) -> Html {
    match result {
        None => html! {},
        Some(Ok(name)) => {
            html! { <p class="ok" id="username-saved">{ t.t_args("home-name-saved", &[("name", name.into())]) }</p> }
        }
        Some(Err(err)) => html! { <p class="error" id="username-error">{ &err.message }</p> },
    }
}

#[derive(Properties, PartialEq)]
struct EnrollmentProps {
    home: Option<Result<HomeView, AppError>>,
    on_enrolled: Callback<()>,
}

/// The campaign this device collects for, or the form to join one with a coordinator's code.
#[function_component(Enrollment)]
fn enrollment(p: &EnrollmentProps) -> Html {
    let ctx = use_context::<AppContext>().expect("inside the app");
    let t = &ctx.texts;
    let server_input = use_node_ref();
    let code_input = use_node_ref();
    let joining = use_state(|| false);
    let failed = use_state(|| None::<AppError>);
    let Some(Ok(view)) = &p.home else {
        return html! {};
    };
    if let Some(campaign) = &view.campaign {
        return html! {
            <section class="card" id="campaign">
                <h2>{ t.t("enroll-campaign") }</h2>
                <p id="campaign-joined">{ t.t_args("enroll-joined", &[
                    ("campaign", (&campaign.campaign).into()),
                    ("organization", (&campaign.organization).into()),
                ]) }</p>
            </section>
        };
    }
    let on_submit = {
        let (server_input, code_input, joining, failed, done) = (
            server_input.clone(),
            code_input.clone(),
            joining.clone(),
            failed.clone(),
            p.on_enrolled.clone(),
        );
        Callback::from(move |event: SubmitEvent| {
            event.prevent_default();
            let value = |r: &NodeRef| {
                r.cast::<HtmlInputElement>()
                    .map(|i| i.value())
                    .unwrap_or_default()
            };
            let args = Enroll {
                server_url: value(&server_input),
                code: value(&code_input),
            };
            let (joining, failed, done) = (joining.clone(), failed.clone(), done.clone());
            joining.set(true);
            wasm_bindgen_futures::spawn_local(async move {
                let result: Result<CampaignView, AppError> = invoke(command::ENROLL, &args).await;
                joining.set(false);
                match result {
                    Ok(_) => {
                        failed.set(None);
                        done.emit(());
                    }
                    Err(err) => failed.set(Some(err)),
                }
            });
        })
    };
    html! {
        <section class="card" id="enrollment">
            <h2>{ t.t("enroll-title") }</h2>
            <form onsubmit={on_submit}>
                <label for="enroll-server">{ t.t("enroll-server") }</label>
                <input id="enroll-server" type="text" inputmode="url" autocomplete="url" ref={server_input}
                    value={view.profile.server_url.clone().unwrap_or_default()} />
                <label for="enroll-code">{ t.t("enroll-code") }</label>
                <input id="enroll-code" type="text" autocapitalize="characters" autocomplete="off" ref={code_input} />
                <button id="enroll-submit" type="submit" disabled={*joining}>{ t.t("enroll-submit") }</button>
            </form>
            if let Some(err) = &*failed {
                <p class="error notice" id="enroll-error">{ &err.message }</p>
            }
        </section>
    }
}
