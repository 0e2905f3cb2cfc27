//! People and their access, for admins, managers and partner-admins: who can sign in, with which
//! role, and a button that takes a leaver's access away at once (after a confirmation) or gives
//! it back, as `GET /api/v1/users` and `POST /api/v1/users/{id}/disable|enable` allow.

use serde::Deserialize;
use wasm_bindgen_futures::spawn_local;
use yew::prelude::*;

use crate::api::{self, Organization, Session};

/// A person as the server lists them.
#[derive(Debug, Clone, PartialEq, Deserialize)]
pub struct Person {
    pub id: String,
    pub email: String,
    pub role: String,
    pub organization: Organization,
    pub disabled: bool,
}

#[derive(Properties, PartialEq)]
pub struct PeopleProps {
    pub session: Session,
    pub on_back: Callback<()>,
    pub on_refused: Callback<()>,
}

#[function_component(People)]
pub fn people(props: &PeopleProps) -> Html {
    let generation = use_state(|| 0u32);
    let list = crate::use_json::<Vec<Person>>(
        "/api/v1/users".into(),
        *generation,
        props.on_refused.clone(),
    );
    let confirming = use_state(|| None::<Person>);
    let status = use_state(|| None::<Result<String, String>>);
    let change = {
        let (csrf, generation, status, confirming, on_refused) = (
            props.session.csrf_token.clone(),
            generation.clone(),
            status.clone(),
            confirming.clone(),
            props.on_refused.clone(),
        );
        Callback::from(move |(person, disable): (Person, bool)| {
            let (csrf, generation, status, confirming, on_refused) = (
                csrf.clone(),
                generation.clone(),
                status.clone(),
                confirming.clone(),
                on_refused.clone(),
            );
            let verb = if disable { "disable" } else { "enable" };
            let path = format!("/api/v1/users/{}/{verb}", api::encode(&person.id));
            spawn_local(async move {
                let result = api::send("POST", &path, Some(&csrf), None).await;
                confirming.set(None);
                match result {
                    Ok(_) if disable => status.set(Some(Ok(format!(
                        "{} is disabled: their sessions ended and they cannot sign in.",
                        person.email
                    )))),
                    Ok(_) => status.set(Some(Ok(format!("{} can sign in again.", person.email)))),
                    Err(f) => {
                        if f.status == 401 {
                            on_refused.emit(());
                        }
                        status.set(Some(Err(format!("{}: {}", person.email, f.message))));
                    }
                }
                generation.set(*generation + 1);
            });
        })
    };
    let me = props.session.email.to_lowercase();
    let body = match crate::loading_or_error(&list) {
        Err(h) => h,
        Ok(list) => html! {
            <table id="people">
                <tr><th>{ "Email" }</th><th>{ "Organization" }</th><th>{ "Role" }</th><th>{ "Access" }</th><th></th></tr>
                { for list.iter().map(|p| {
                    let yourself = p.email.to_lowercase() == me;
                    let button = if yourself {
                        html! { <span class="muted">{ "you" }</span> }
                    } else if p.disabled {
                        let change = change.clone();
                        let person = p.clone();
                        html! { <button class="enable" onclick={Callback::from(move |_| change.emit((person.clone(), false)))}>{ "Enable" }</button> }
                    } else {
                        let confirming = confirming.clone();
                        let person = p.clone();
                        html! { <button class="disable" onclick={Callback::from(move |_| confirming.set(Some(person.clone())))}>{ "Disable" }</button> }
                    };
                    html! {
                        <tr class={classes!("person", p.disabled.then_some("disabled"))} data-email={p.email.clone()}>
                            <td>{ &p.email }</td>
                            <td>{ &p.organization.name }</td>
                            <td class="role">{ &p.role }</td>
                            <td class="access">{ if p.disabled { "disabled" } else { "can sign in" } }</td>
                            <td>{ button }</td>
                        </tr>
                    }
                }) }
            </table>
        },
    };
    let back = {
        let back = props.on_back.clone();
        Callback::from(move |_| back.emit(()))
    };
    html! {
        <>
            <nav><button class="link" id="back" onclick={back}>{ "← Campaigns" }</button></nav>
            <section>
                <h2>{ "People" }</h2>
                <p class="muted">{ "Disabling someone ends their sessions at once; their record stays, so the audit log still names them. Roles change with PUT /api/v1/users/{id}/role or fieldline admin user set-role." }</p>
                { body }
                if let Some(person) = &*confirming {
                    <div class="confirm" id="confirm-disable" role="alertdialog">
                        <p>{ format!("Disable {}? They are signed out everywhere at once and cannot sign in until someone enables them again.", person.email) }</p>
                        <button class="primary danger" id="confirm-disable-yes" onclick={{
                            let (change, person) = (change.clone(), person.clone());
                            Callback::from(move |_| change.emit((person.clone(), true)))
                        }}>{ "Yes, disable" }</button>
                        <button id="confirm-disable-no" onclick={{
                            let confirming = confirming.clone();
                            Callback::from(move |_| confirming.set(None))
                        }}>{ "Cancel" }</button>
                    </div>
                }
                { match &*status {
                    Some(Ok(m)) => html! { <p id="people-status">{ m }</p> },
                    Some(Err(m)) => html! { <p class="error" id="people-status">{ m }</p> },
                    None => html! {},
                } }
            </section>
        </>
    }
}
