//! Interviews in progress: resume one, or discard it after saying yes twice.

use fieldline_app_api::{command, AppError, DraftCard, DraftRef};
use yew::prelude::*;

use crate::app::{AppContext, Route};
use crate::ipc::{invoke, NoArgs};
use crate::time::local_date_time;

#[function_component(Drafts)]
pub fn drafts() -> Html {
    let ctx = use_context::<AppContext>().expect("inside the app");
    let list = use_state(|| None::<Result<Vec<DraftCard>, AppError>>);
    let confirming = use_state(|| None::<String>);
    let reload = {
        let list = list.clone();
        Callback::from(move |_: ()| {
            let list = list.clone();
            wasm_bindgen_futures::spawn_local(async move {
                list.set(Some(invoke(command::DRAFTS, &NoArgs {}).await));
            });
        })
    };
    {
        let reload = reload.clone();
        use_effect_with((), move |_| reload.emit(()));
    }
    let discard = {
        let (list, confirming, reload) = (list.clone(), confirming.clone(), reload.clone());
        Callback::from(move |instance_id: String| {
            let (list, confirming, reload) = (list.clone(), confirming.clone(), reload.clone());
            wasm_bindgen_futures::spawn_local(async move {
                let result: Result<(), AppError> =
                    invoke(command::DISCARD_DRAFT, &DraftRef { instance_id }).await;
                confirming.set(None);
                match result {
                    Ok(()) => reload.emit(()),
                    Err(err) => list.set(Some(Err(err))),
                }
            });
        })
    };

    let t = &ctx.texts;
    let locale = t.language().code();
    let body = match &*list {
        None => html! {},
        Some(Err(err)) => html! { <p class="error" id="drafts-error">{ &err.message }</p> },
        Some(Ok(drafts)) if drafts.is_empty() => {
            html! { <p id="no-drafts">{ t.t("drafts-none") }</p> }
        }
        Some(Ok(drafts)) => html! {
            <ul class="drafts" id="drafts">
                { for drafts.iter().map(|d| {
                    let id = d.instance_id.clone();
                    let resume = { let go = ctx.go.clone(); let id = id.clone();
                        Callback::from(move |_| go.emit(Route::Interview(id.clone()))) };
                    let ask = { let c = confirming.clone(); let id = id.clone();
                        Callback::from(move |_| c.set(Some(id.clone()))) };
                    let yes = { let discard = discard.clone(); let id = id.clone();
                        Callback::from(move |_| discard.emit(id.clone())) };
                    let no = { let c = confirming.clone(); Callback::from(move |_| c.set(None)) };
                    html! {
                        <li class="draft-card" data-instance-id={id.clone()}>
                            <div class="form-text">
                                <span class="form-title">{ &d.form_title }</span>
                                <span class="form-counts">
                                    { t.t_args("drafts-started", &[("when", (&local_date_time(d.created_at, locale)).into())]) }
                                    { " · " }
                                    { t.t_args("drafts-answers", &[("count", d.actions.into())]) }
                                </span>
                            </div>
                            if confirming.as_deref() == Some(id.as_str()) {
                                <div class="confirm" role="alertdialog">
                                    <p>{ t.t("drafts-discard-confirm") }</p>
                                    <button class="danger confirm-discard" onclick={yes}>{ t.t("drafts-discard-yes") }</button>
                                    <button class="secondary keep-draft" onclick={no}>{ t.t("drafts-discard-no") }</button>
                                </div>
                            } else {
                                <div class="actions">
                                    <button class="resume-draft" onclick={resume}>{ t.t("drafts-resume") }</button>
                                    <button class="secondary discard-draft" onclick={ask}>{ t.t("drafts-discard") }</button>
                                </div>
                            }
                        </li>
                    }
                }) }
            </ul>
        },
    };
    html! {
        <main id="drafts-screen">
            <section class="card"><h2>{ t.t("drafts-title") }</h2>{ body }</section>
        </main>
    }
}
