//! Finalized interviews and where each stands with the server, rejected ones with the reason.

use fieldline_app_api::{command, AppError, OutboxCard, SendState};
use yew::prelude::*;

use crate::app::AppContext;
use crate::ipc::{invoke, NoArgs};
use crate::time::local_date_time;

#[function_component(Outbox)]
pub fn outbox() -> Html {
    let ctx = use_context::<AppContext>().expect("inside the app");
    let list = use_state(|| None::<Result<Vec<OutboxCard>, AppError>>);
    {
        let list = list.clone();
        use_effect_with((), move |_| {
            wasm_bindgen_futures::spawn_local(async move {
                list.set(Some(invoke(command::OUTBOX, &NoArgs {}).await));
            });
        });
    }
    let t = &ctx.texts;
    let locale = t.language().code();
    let body = match &*list {
        None => html! {},
        Some(Err(err)) => html! { <p class="error" id="outbox-error">{ &err.message }</p> },
        Some(Ok(items)) if items.is_empty() => {
            html! { <p id="outbox-empty">{ t.t("outbox-none") }</p> }
        }
        Some(Ok(items)) => html! {
            <ul class="outbox" id="outbox">
                { for items.iter().map(|o| {
                    let (state_id, class) = match o.state {
                        SendState::Queued => ("outbox-queued", "queued"),
                        SendState::Sent => ("outbox-sent", "sent"),
                        SendState::Rejected => ("outbox-rejected", "rejected"),
                        SendState::Conflict => ("outbox-conflict", "rejected"),
                    };
                    html! {
                        <li class="outbox-card" data-instance-id={o.instance_id.clone()} data-state={class}>
                            <div class="form-text">
                                <span class="form-title">{ &o.form_title }</span>
                                <span class="form-counts">
                                    { t.t_args("outbox-seq", &[("seq", o.device_seq.into())]) }
                                    { " · " }{ local_date_time(o.finalized_at, locale) }
                                </span>
                                <span class={classes!("state", class)}>{ t.t(state_id) }</span>
                                if let Some(reason) = &o.reason {
                                    <span class="reason">{ t.t_args("outbox-reason", &[("reason", reason.into())]) }</span>
                                }
                            </div>
                        </li>
                    }
                }) }
            </ul>
        },
    };
    html! {
        <main id="outbox-screen">
            <section class="card"><h2>{ t.t("outbox-title") }</h2>{ body }</section>
        </main>
    }
}
