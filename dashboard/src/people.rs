//! People and their access, for admins, managers and partner-admins: who can sign in, with which
//! role (changed with a select offering no role above the viewer's own), and a button that takes
//! a leaver's access away at once (after a confirmation) or gives it back, as `GET /api/v1/users`,
//! `PUT /api/v1/users/{id}/role` and `POST /api/v1/users/{id}/disable|enable` allow.

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

/// Roles from the least to the most: nobody gives a role above their own, nor changes someone
/// who ranks above them.
const ROLES: [&str; 4] = ["viewer", "partner-admin", "manager", "admin"];

fn rank(role: &str) -> usize {
    ROLES.iter().position(|r| *r == role).unwrap_or(0)
}

/// A callback that asks for the list again.
fn reload(
    generation: &UseStateHandle<u32>,
    changes: &std::rc::Rc<std::cell::RefCell<u32>>,
) -> Callback<()> {
    let (generation, changes) = (generation.clone(), changes.clone());
    Callback::from(move |()| {
        let next = {
            let mut count = changes.borrow_mut();
            *count += 1;
            *count
        };
        generation.set(next);
    })
}

#[derive(Properties, PartialEq)]
pub struct PeopleProps {
    pub session: Session,
    pub on_back: Callback<()>,
    pub on_refused: Callback<()>,
}

#[function_component(People)]
pub fn people(props: &PeopleProps) -> Html {
    // Every change asks for the list again; a counter outside the render, so two changes made
    // from one render still ask twice.
    let generation = use_state(|| 0u32);
    let changes = use_mut_ref(|| 0u32);
    let list = crate::use_json::<Vec<Person>>(
        "/api/v1/users".into(),
        *generation,
        props.on_refused.clone(),
    );
    let confirming = use_state(|| None::<Person>);
    let status = use_state(|| None::<Result<String, String>>);
    let change = {
        let (csrf, reload, status, confirming, on_refused) = (
            props.session.csrf_token.clone(),
            reload(&generation, &changes),
            status.clone(),
            confirming.clone(),
            props.on_refused.clone(),
        );
        Callback::from(move |(person, disable): (Person, bool)| {
            let (csrf, reload, status, confirming, on_refused) = (
                csrf.clone(),
                reload.clone(),
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
                reload.emit(());
            });
        })
    };
    let set_role = {
        let (csrf, reload, status, on_refused) = (
            props.session.csrf_token.clone(),
            reload(&generation, &changes),
            status.clone(),
            props.on_refused.clone(),
        );
        Callback::from(move |(person, role): (Person, String)| {
            let (csrf, reload, status, on_refused) = (
                csrf.clone(),
                reload.clone(),
                status.clone(),
                on_refused.clone(),
            );
            let path = format!("/api/v1/users/{}/role", api::encode(&person.id));
            let body = serde_json::json!({ "role": role }).to_string();
            spawn_local(async move {
                match api::send("PUT", &path, Some(&csrf), Some(body)).await {
                    Ok(_) => status.set(Some(Ok(format!(
                        "{} is now {}, from their next request on.",
                        person.email, role
                    )))),
                    Err(f) => {
                        if f.status == 401 {
                            on_refused.emit(());
                        }
                        status.set(Some(Err(format!("{}: {}", person.email, f.message))));
                    }
                }
                reload.emit(());
            });
        })
    };
    let my_rank = rank(&props.session.role);
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
                            <td class="role">
                                if yourself || rank(&p.role) > my_rank {
                                    { &p.role }
                                } else {
                                    <select class="role-select" aria-label={format!("Role of {}", p.email)} onchange={{
                                        let (set_role, person) = (set_role.clone(), p.clone());
                                        Callback::from(move |e: Event| set_role.emit((person.clone(), crate::report_view::select_value(&e))))
                                    }}>
                                        { for ROLES[..=my_rank].iter().map(|r| html! {
                                            <option value={*r} selected={*r == p.role}>{ *r }</option>
                                        }) }
                                    </select>
                                }
                            </td>
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
                <p class="muted">{ "Disabling someone ends their sessions at once; their record stays, so the audit log still names them. A new role applies from the person's next request." }</p>
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
