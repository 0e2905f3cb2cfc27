//! The audit log, for admins: who signed in (or failed to), exported, revoked a device or
//! uploaded a campaign's keys, oldest first, as `GET /api/v1/audit` pages it.

use serde::Deserialize;
use yew::prelude::*;

/// One event as the server lists it.
#[derive(Debug, Clone, PartialEq, Deserialize)]
pub struct AuditEntry {
    pub seq: i64,
    pub at: String,
    pub action: String,
    pub actor: String,
    pub subject: String,
    pub client: Option<String>,
}

#[derive(Properties, PartialEq)]
pub struct AuditProps {
    pub on_back: Callback<()>,
    pub on_refused: Callback<()>,
}

/// Most events shown at once: the latest page the server gives.
const PAGE: usize = 500;

#[function_component(AuditLog)]
pub fn audit_log(props: &AuditProps) -> Html {
    let events = crate::use_json::<Vec<AuditEntry>>(
        format!("/api/v1/audit?limit={PAGE}"),
        0,
        props.on_refused.clone(),
    );
    let back = {
        let back = props.on_back.clone();
        Callback::from(move |_| back.emit(()))
    };
    let body = match crate::loading_or_error(&events) {
        Err(h) => h,
        Ok(events) if events.is_empty() => html! { <p>{ "Nothing recorded yet." }</p> },
        Ok(events) => html! {
            <table id="audit">
                <tr><th>{ "#" }</th><th>{ "When (UTC)" }</th><th>{ "What" }</th><th>{ "Who" }</th><th>{ "To what" }</th><th>{ "From" }</th></tr>
                { for events.iter().map(|e| html! {
                    <tr class={classes!("audit-event", e.action.clone())}>
                        <td>{ e.seq }</td><td>{ &e.at }</td><td class="action">{ &e.action }</td>
                        <td>{ &e.actor }</td><td>{ &e.subject }</td>
                        <td>{ e.client.clone().unwrap_or_default() }</td>
                    </tr>
                }) }
            </table>
        },
    };
    html! {
        <>
            <nav><button class="link" id="back" onclick={back}>{ "← Campaigns" }</button></nav>
            <section>
                <h2>{ "Audit log" }</h2>
                <p class="muted">{ "Append-only: the database refuses to change or delete an event." }</p>
                { body }
            </section>
        </>
    }
}
