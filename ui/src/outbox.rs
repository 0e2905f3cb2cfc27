//! Finalized interviews and where each stands with the server, rejected ones with the reason.

use fieldline_app_api::{command, AppError, OutboxCard, SendState, SyncPhase, SyncView};
use yew::prelude::*;

use crate::app::AppContext;
use crate::ipc::{invoke, NoArgs};
use crate::time::local_date_time;

#[function_component(Outbox)]
pub fn outbox() -> Html {
    let ctx = use_context::<AppContext>().expect("inside the app");
    let list = use_state(|| None::<Result<Vec<OutboxCard>, AppError>>);
    let reload = {
        let list = list.clone();
        Callback::from(move |_: ()| {
            let list = list.clone();
            wasm_bindgen_futures::spawn_local(async move {
                list.set(Some(invoke(command::OUTBOX, &NoArgs {}).await));
            });
        })
    };
    {
        let reload = reload.clone();
        use_effect_with((), move |_| reload.emit(()));
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
            <SyncPanel on_change={reload.clone()} />
            <section class="card"><h2>{ t.t("outbox-title") }</h2>{ body }</section>
        </main>
    }
}

#[derive(Properties, PartialEq)]
struct SyncPanelProps {
    /// Called when a sync finished, so the list shows the new states.
    on_change: Callback<()>,
}

/// Where sync stands (looked up every second while the outbox is open), and "Sync now".
#[function_component(SyncPanel)]
fn sync_panel(p: &SyncPanelProps) -> Html {
    let ctx = use_context::<AppContext>().expect("inside the app");
    let status = use_state(|| None::<SyncView>);
    {
        let (status, on_change) = (status.clone(), p.on_change.clone());
        use_effect_with((), move |_| {
            let last_success = std::rc::Rc::new(std::cell::Cell::new(None::<i64>));
            let poll = move || {
                let (status, on_change, last_success) =
                    (status.clone(), on_change.clone(), last_success.clone());
                wasm_bindgen_futures::spawn_local(async move {
                    if let Ok(now) = invoke::<_, SyncView>(command::SYNC_STATUS, &NoArgs {}).await {
                        if now.last_success_at != last_success.get() {
                            last_success.set(now.last_success_at);
                            on_change.emit(());
                        }
                        status.set(Some(now));
                    }
                });
            };
            poll();
            let interval = gloo_timers::callback::Interval::new(1_000, poll);
            move || drop(interval)
        });
    }
    let t = &ctx.texts;
    let locale = t.language().code();
    let sync_now = Callback::from(|_| {
        wasm_bindgen_futures::spawn_local(async {
            // The panel shows what happens next; a refusal here would be a broken app.
            let _: Result<(), AppError> = invoke(command::SYNC_NOW, &NoArgs {}).await;
        });
    });
    let Some(s) = &*status else {
        return html! {};
    };
    let phase = match s.phase {
        SyncPhase::NotEnrolled => "sync-phase-not-enrolled",
        SyncPhase::Probing => "sync-phase-probing",
        SyncPhase::Syncing => "sync-phase-syncing",
        SyncPhase::Idle => "sync-phase-idle",
        SyncPhase::Waiting => "sync-phase-waiting",
    };
    let percent = (s.bytes_done * 100).checked_div(s.bytes_total).unwrap_or(0);
    html! {
        <section class="card" id="sync" data-phase={phase}>
            <h2>{ t.t("sync-title") }</h2>
            <p id="sync-phase">{ t.t(phase) }</p>
            if s.items_total > 0 {
                <div class="progress-row">
                    <div class="progress" role="progressbar" aria-valuemin="0" aria-valuemax="100"
                        aria-valuenow={percent.to_string()}>
                        <div class="progress-fill" style={format!("width: {percent}%")}></div>
                    </div>
                    <span class="progress-text" id="sync-progress">{ t.t_args("sync-progress", &[
                        ("done", s.items_done.into()),
                        ("total", s.items_total.into()),
                        ("kb", s.bytes_done.div_ceil(1000).into()),
                    ]) }</span>
                </div>
            }
            if let Some(when) = s.last_success_at {
                <p class="hint" id="sync-last">{ t.t_args("sync-last", &[("when", (&local_date_time(when, locale)).into())]) }</p>
            }
            if let Some(reason) = &s.last_error {
                <p class="error notice" id="sync-error">{ t.t_args("sync-error", &[("reason", reason.into())]) }</p>
            }
            <button id="sync-now" onclick={sync_now} disabled={s.phase == SyncPhase::NotEnrolled}>{ t.t("sync-now") }</button>
        </section>
    }
}
