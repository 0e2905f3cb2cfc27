//! The campaign server's dashboard: sign in, the campaigns within reach, a campaign's fieldwork
//! progress, its baseline-versus-endline report with downloads, its devices (revoked in one
//! click), and people's access (a leaver disabled in one click). Yew, compiled to wasm and served by `fieldline serve` at `/`; everything it shows
//! comes from `/api/v1`. The session lives in an `HttpOnly` cookie the page cannot read; the page
//! holds only the CSRF token its changes send, in memory.

mod api;
mod audit;
mod charts;
mod people;
mod report_view;
mod sealed;

use fieldline_protocol::dashboard::{Progress, ReportView, RoundSampling};
use fieldline_protocol::LoginRequest;
use wasm_bindgen_futures::spawn_local;
use web_sys::HtmlInputElement;
use yew::prelude::*;

use api::{Campaign, Failure, Session};

#[derive(Clone, PartialEq)]
enum Page {
    Campaigns,
    Campaign(Campaign),
    /// The audit log (admins only).
    Audit,
    /// People and their access (admins, managers, partner-admins).
    People,
}

/// Whether someone is signed in: unknown until the server answers.
#[derive(Clone, PartialEq)]
enum SignedIn {
    Checking,
    No,
    Yes(Session),
}

#[function_component(App)]
fn app() -> Html {
    let signed_in = use_state(|| SignedIn::Checking);
    let page = use_state(|| Page::Campaigns);
    // A reload keeps the cookie: ask the server who is signed in.
    {
        let signed_in = signed_in.clone();
        use_effect_with((), move |_| {
            spawn_local(async move {
                signed_in.set(match api::get_json::<Session>("/api/v1/session").await {
                    Ok(session) => SignedIn::Yes(session),
                    Err(_) => SignedIn::No,
                });
            });
        });
    }
    let on_signed_in = {
        let signed_in = signed_in.clone();
        Callback::from(move |session: Session| signed_in.set(SignedIn::Yes(session)))
    };
    let sign_out = {
        let signed_in = signed_in.clone();
        let page = page.clone();
        Callback::from(move |_| {
            let csrf = match &*signed_in {
                SignedIn::Yes(session) => session.csrf_token.clone(),
                _ => String::new(),
            };
            let (signed_in, page) = (signed_in.clone(), page.clone());
            spawn_local(async move {
                // Ends the session on the server; the page forgets it whatever the answer.
                let _ = api::send("DELETE", "/api/v1/session", Some(&csrf), None).await;
                signed_in.set(SignedIn::No);
                page.set(Page::Campaigns);
            });
        })
    };
    // A session that expired or was refused: back to signing in.
    let on_refused = {
        let signed_in = signed_in.clone();
        Callback::from(move |_: ()| signed_in.set(SignedIn::No))
    };
    let body = match (&*signed_in, &*page) {
        (SignedIn::Checking, _) => html! { <p class="muted loading">{ "Loading…" }</p> },
        (SignedIn::No, _) => html! { <SignIn on_signed_in={on_signed_in} /> },
        (SignedIn::Yes(_), Page::Campaigns) => {
            let page = page.clone();
            html! { <Campaigns on_refused={on_refused}
            on_open={Callback::from(move |c| page.set(Page::Campaign(c)))} /> }
        }
        (SignedIn::Yes(_), Page::Audit) => {
            let page = page.clone();
            html! { <audit::AuditLog on_refused={on_refused}
            on_back={Callback::from(move |_| page.set(Page::Campaigns))} /> }
        }
        (SignedIn::Yes(session), Page::People) => {
            let page = page.clone();
            html! { <people::People session={session.clone()} on_refused={on_refused}
            on_back={Callback::from(move |_| page.set(Page::Campaigns))} /> }
        }
        (SignedIn::Yes(session), Page::Campaign(c)) => {
            let page = page.clone();
            html! { <CampaignPage session={session.clone()} campaign={c.clone()} on_refused={on_refused}
            on_back={Callback::from(move |_| page.set(Page::Campaigns))} /> }
        }
    };
    html! {
        <>
            <header>
                <h1>{ "Fieldline dashboard" }</h1>
                <span class="tagline">{ "Field surveys for anti-trafficking campaigns" }</span>
                if let SignedIn::Yes(session) = &*signed_in {
                    <span class="who" id="signed-in-as">{ format!("{} ({})", session.email, session.role) }</span>
                    if session.role != "viewer" {
                        <button id="open-people" onclick={{
                            let page = page.clone();
                            Callback::from(move |_| page.set(Page::People))
                        }}>{ "People" }</button>
                    }
                    if session.role == "admin" {
                        <button id="open-audit" onclick={{
                            let page = page.clone();
                            Callback::from(move |_| page.set(Page::Audit))
                        }}>{ "Audit log" }</button>
                    }
                    <button id="sign-out" onclick={sign_out}>{ "Sign out" }</button>
                }
            </header>
            <main>{ body }</main>
        </>
    }
}

#[derive(Properties, PartialEq)]
struct SignInProps {
    on_signed_in: Callback<Session>,
}

#[function_component(SignIn)]
fn sign_in(props: &SignInProps) -> Html {
    let email = use_node_ref();
    let password = use_node_ref();
    let error = use_state(|| None::<String>);
    let busy = use_state(|| false);
    let onsubmit = {
        let (email, password, error, busy) =
            (email.clone(), password.clone(), error.clone(), busy.clone());
        let done = props.on_signed_in.clone();
        Callback::from(move |e: SubmitEvent| {
            e.prevent_default();
            let value = |r: &NodeRef| {
                r.cast::<HtmlInputElement>()
                    .map(|i| i.value())
                    .unwrap_or_default()
            };
            let request = LoginRequest {
                email: value(&email),
                password: value(&password),
            };
            let (error, busy, done) = (error.clone(), busy.clone(), done.clone());
            busy.set(true);
            spawn_local(async move {
                let body = serde_json::to_string(&request).unwrap_or_default();
                // The server sets the session cookie; the answer carries the CSRF token only.
                let result = match api::send("POST", "/api/v1/session", None, Some(body)).await {
                    Ok(response) => api::json_of::<Session>(response).await,
                    Err(f) => Err(f),
                };
                busy.set(false);
                match result {
                    Ok(session) => done.emit(session),
                    Err(f) => error.set(Some(f.message)),
                }
            });
        })
    };
    html! {
        <section id="sign-in">
            <h2>{ "Sign in" }</h2>
            <form onsubmit={onsubmit}>
                <label>{ "Email" }<br/><input id="email" type="email" autocomplete="username" required=true ref={email} /></label>
                <label>{ "Password" }<br/><input id="password" type="password" autocomplete="current-password" required=true ref={password} /></label>
                <button class="primary" id="sign-in-button" type="submit" disabled={*busy}>{ if *busy { "Signing in…" } else { "Sign in" } }</button>
            </form>
            if let Some(e) = &*error { <p class="error" id="sign-in-error">{ e }</p> }
        </section>
    }
}

/// Loads `path` as JSON whenever `path` or `generation` changes (a change made here bumps
/// `generation` to show it); a refused session calls `on_refused`.
#[hook]
#[allow(clippy::multiple_bound_locations)] // the hook macro adds its own bounds
fn use_json<T: serde::de::DeserializeOwned + 'static>(
    path: String,
    generation: u32,
    on_refused: Callback<()>,
) -> UseStateHandle<Option<Result<T, Failure>>> {
    let state = use_state(|| None);
    {
        let state = state.clone();
        use_effect_with((path.clone(), generation), move |(path, _)| {
            state.set(None);
            let path = path.clone();
            spawn_local(async move {
                let result = api::get_json::<T>(&path).await;
                if matches!(&result, Err(f) if f.status == 401) {
                    on_refused.emit(());
                }
                state.set(Some(result));
            });
        });
    }
    state
}

fn loading_or_error<T>(state: &Option<Result<T, Failure>>) -> Result<&T, Html> {
    match state {
        None => Err(html! { <p class="muted loading">{ "Loading…" }</p> }),
        Some(Err(f)) => Err(html! { <p class="error">{ &f.message }</p> }),
        Some(Ok(v)) => Ok(v),
    }
}

#[derive(Properties, PartialEq)]
struct CampaignsProps {
    on_open: Callback<Campaign>,
    on_refused: Callback<()>,
}

#[function_component(Campaigns)]
fn campaigns(props: &CampaignsProps) -> Html {
    let list = use_json::<Vec<Campaign>>("/api/v1/campaigns".into(), 0, props.on_refused.clone());
    let body = match loading_or_error(&list) {
        Err(h) => h,
        Ok(list) if list.is_empty() => html! { <p>{ "No campaign is yours to see yet." }</p> },
        Ok(list) => html! {
            <ul id="campaigns">
                { for list.iter().map(|c| {
                    let open = { let c = c.clone(); let on_open = props.on_open.clone(); Callback::from(move |_| on_open.emit(c.clone())) };
                    let rounds: Vec<&str> = c.rounds.iter().map(|r| r.name.as_str()).collect();
                    html! {
                        <li>
                            <button class="link campaign" onclick={open}>{ &c.name }</button>
                            <span class="muted">{ format!(" — rounds: {}", if rounds.is_empty() { "none yet".into() } else { rounds.join(", ") }) }</span>
                            if c.reach == "organization" { <span class="muted">{ " (your organization's data only)" }</span> }
                        </li>
                    }
                }) }
            </ul>
        },
    };
    html! { <section><h2>{ "Campaigns" }</h2>{ body }</section> }
}

#[derive(Clone, Copy, PartialEq)]
enum Tab {
    Progress,
    Report,
    Devices,
}

#[derive(Properties, PartialEq)]
struct CampaignProps {
    session: Session,
    campaign: Campaign,
    on_back: Callback<()>,
    on_refused: Callback<()>,
}

#[function_component(CampaignPage)]
fn campaign_page(props: &CampaignProps) -> Html {
    let tab = use_state(|| Tab::Progress);
    let choose = |t: Tab| {
        let tab = tab.clone();
        Callback::from(move |_| tab.set(t))
    };
    let back = {
        let b = props.on_back.clone();
        Callback::from(move |_| b.emit(()))
    };
    html! {
        <>
            <nav><button class="link" id="back" onclick={back}>{ "← Campaigns" }</button></nav>
            <h2 id="campaign-name">{ &props.campaign.name }</h2>
            if props.campaign.reach == "organization" {
                <p class="muted">{ "You see your own organization's submissions only." }</p>
            }
            <p class="tabs">
                <button id="tab-progress" aria-pressed={(*tab == Tab::Progress).to_string()} onclick={choose(Tab::Progress)}>{ "Fieldwork progress" }</button>
                <button id="tab-report" aria-pressed={(*tab == Tab::Report).to_string()} onclick={choose(Tab::Report)}>{ "Baseline and endline" }</button>
                <button id="tab-devices" aria-pressed={(*tab == Tab::Devices).to_string()} onclick={choose(Tab::Devices)}>{ "Devices" }</button>
            </p>
            { match *tab {
                Tab::Progress => html! { <ProgressView campaign={props.campaign.clone()} on_refused={props.on_refused.clone()} /> },
                Tab::Report => html! { <ReportPage campaign={props.campaign.clone()} on_refused={props.on_refused.clone()} /> },
                Tab::Devices => html! { <DevicesView session={props.session.clone()} campaign={props.campaign.clone()} on_refused={props.on_refused.clone()} /> },
            } }
        </>
    }
}

#[derive(Properties, PartialEq)]
struct ViewProps {
    campaign: Campaign,
    on_refused: Callback<()>,
}

#[function_component(ProgressView)]
fn progress_view(props: &ViewProps) -> Html {
    let progress = use_json::<Progress>(
        format!("/api/v1/campaigns/{}/progress", props.campaign.id),
        0,
        props.on_refused.clone(),
    );
    let p = match loading_or_error(&progress) {
        Err(h) => return h,
        Ok(p) => p,
    };
    html! {
        <div id="progress">
            <section>
                <p><span class="big" id="total">{ p.total }</span>{ " submissions received" }</p>
                <div class="grid">
                    <div><h3>{ "Per round" }</h3>{ charts::bars("per-round", &p.per_round) }</div>
                    <div><h3>{ "Per day" }</h3>{ charts::bars("per-day", &p.per_day) }</div>
                    <div><h3>{ "Per partner organization" }</h3>{ charts::bars("per-partner", &p.per_partner) }</div>
                    <div><h3>{ "Per enumerator (tablet)" }</h3>{ charts::bars("per-enumerator", &p.per_enumerator) }</div>
                </div>
            </section>
            { for p.sampling.iter().map(sampling_section) }
            <section id="problems">
                <h3>{ format!("Set aside: {} submission(s)", p.set_aside_total) }</h3>
                if p.latest_problems.is_empty() {
                    <p class="muted">{ "No rejected or conflicting submissions." }</p>
                } else {
                    <table>
                        <tr><th>{ "Received" }</th><th>{ "What" }</th><th>{ "Organization" }</th><th>{ "Tablet" }</th><th>{ "Why" }</th></tr>
                        { for p.latest_problems.iter().map(|x| html! {
                            <tr>
                                <td>{ &x.received_at }</td><td>{ &x.outcome }</td><td>{ &x.organization }</td>
                                <td>{ &x.device }</td><td>{ &x.reason }</td>
                            </tr>
                        }) }
                    </table>
                }
            </section>
        </div>
    }
}

/// A round's interviews per cluster against its sampling plan: how far each village is, which
/// have not started, and interviews made where the sample drew none.
fn sampling_section(s: &RoundSampling) -> Html {
    let percent = |done: u64, of: u64| (done * 100).checked_div(of).map_or(0, |p| p.min(100));
    let status = |count: u64, target: u64, planned: bool| match (planned, count, target) {
        (false, _, _) => ("outside", "not in the sample"),
        (_, 0, _) => ("not-started", "not started"),
        (_, c, t) if c >= t => ("done", "done"),
        _ => ("behind", "in progress"),
    };
    html! {
        <section class="sampling" id={format!("sampling-{}", s.round)}>
            <h3>{ format!("{}: {} of {} planned interviews ({}%) by {}",
                s.round, s.towards_target, s.target_total, percent(s.towards_target, s.target_total),
                s.cluster_fields.join(" and ")) }</h3>
            <table>
                <tr><th>{ "Cluster" }</th><th>{ "Interviews" }</th><th>{ "Target" }</th><th>{ "Progress" }</th></tr>
                { for s.clusters.iter().map(|c| {
                    let (class, words) = status(c.count, c.target, c.planned);
                    let name = if c.cluster.is_empty() { "(no value)".to_string() } else { c.cluster.clone() };
                    html! {
                        <tr class={classes!("cluster", class)} data-cluster={c.cluster.clone()}>
                            <td>{ name }</td><td class="count">{ c.count }</td><td class="target">{ c.target }</td>
                            <td>
                                // A native element, not a styled span: the server's CSP allows no inline styles.
                                if c.target > 0 {
                                    <progress max={c.target.to_string()} value={c.count.min(c.target).to_string()}>
                                        { format!("{}%", percent(c.count, c.target)) }
                                    </progress>
                                }
                                <span class="muted">{ format!(" {words}") }</span>
                            </td>
                        </tr>
                    }
                }) }
            </table>
        </section>
    }
}

#[function_component(ReportPage)]
fn report_page(props: &ViewProps) -> Html {
    let by = use_state(String::new);
    let cluster = use_state(String::new);
    let weight = use_state(String::new);
    let download_status = use_state(String::new);
    let query = format!(
        "by={}&cluster={}&weight={}",
        api::encode(&by),
        api::encode(&cluster),
        api::encode(&weight)
    );
    let base = format!("/api/v1/campaigns/{}", props.campaign.id);
    let report = use_json::<ReportView>(
        format!("{base}/report?{query}&format=json"),
        0,
        props.on_refused.clone(),
    );
    let download = |path: String, file: String| {
        let status = download_status.clone();
        Callback::from(move |_| {
            let (path, file, status) = (path.clone(), file.clone(), status.clone());
            status.set(format!("Preparing {file}…"));
            spawn_local(async move {
                match api::download(&path, &file).await {
                    Ok(()) => status.set(format!("Downloaded {file}")),
                    Err(f) => status.set(format!("{file}: {}", f.message)),
                }
            });
        })
    };
    let r = match loading_or_error(&report) {
        // The server cannot read an end-to-end encrypted campaign: the page computes its report.
        Err(_) if matches!(&*report, Some(Err(f)) if f.status == 409) => {
            return html! { <sealed::SealedReport campaign={props.campaign.clone()} on_refused={props.on_refused.clone()} /> }
        }
        Err(h) => return html! { <section id="report">{ h }</section> },
        Ok(r) => r,
    };
    let slug = |s: &str| {
        s.chars()
            .map(|c| {
                if c.is_ascii_alphanumeric() {
                    c.to_ascii_lowercase()
                } else {
                    '_'
                }
            })
            .collect::<String>()
    };
    let name = slug(&props.campaign.name);
    html! {
        <div id="report">
            { report_view::summary_and_settings(r, [&by, &cluster, &weight]) }
            { report_view::indicators(r) }
            <section class="downloads">
                <h3>{ "Downloads" }</h3>
                <p>
                    <button id="download-html" onclick={download(format!("{base}/report?{query}&format=html"), format!("{name}-report.html"))}>{ "Report (HTML page)" }</button>
                    <button id="download-xlsx" onclick={download(format!("{base}/report?{query}&format=xlsx"), format!("{name}-report.xlsx"))}>{ "Report (Excel)" }</button>
                </p>
                { for props.campaign.rounds.iter().flat_map(|round| {
                    // The respondents' table, then one per repeat, keyed back to it.
                    std::iter::once(None).chain(r.repeats.iter().map(Some)).map(move |repeat| (round, repeat))
                }).map(|(round, repeat)| {
                    let (what, query, suffix, class) = match repeat {
                        None => (format!("{} data: ", round.name), String::new(), String::new(), round.name.clone()),
                        Some(rep) => (
                            format!("{} data, {rep} table: ", round.name),
                            format!("&repeat={}", api::encode(rep)),
                            format!("-{}", slug(rep)),
                            format!("{}-{rep}", round.name),
                        ),
                    };
                    html! {
                        <p>
                            <strong>{ what }</strong>
                            { for ["csv", "xlsx", "dta", "sav"].iter().map(|f| html! {
                                <button class={format!("export export-{class}-{f}")}
                                    onclick={download(format!("{base}/rounds/{}/export?format={f}{query}", api::encode(&round.name)), format!("{name}-{}{suffix}.{f}", slug(&round.name)))}>
                                    { match *f { "csv" => "CSV", "xlsx" => "Excel", "dta" => "Stata", _ => "SPSS" } }
                                </button>
                            }) }
                        </p>
                    }
                }) }
                <p class="muted" id="download-status">{ &*download_status }</p>
            </section>
        </div>
    }
}

#[derive(Properties, PartialEq)]
struct DevicesProps {
    session: Session,
    campaign: Campaign,
    on_refused: Callback<()>,
}

/// The campaign's devices within reach, each revocable in one click (after a confirmation) by
/// those who may change devices: a lost tablet's token stops working at its next request.
#[function_component(DevicesView)]
fn devices_view(props: &DevicesProps) -> Html {
    let generation = use_state(|| 0u32);
    let confirming = use_state(|| None::<api::Device>);
    let status = use_state(|| None::<Result<String, String>>);
    let devices = use_json::<Vec<api::Device>>(
        format!("/api/v1/campaigns/{}/devices", props.campaign.id),
        *generation,
        props.on_refused.clone(),
    );
    // The server decides; this only spares a viewer a button that would be refused.
    let may_revoke = props.session.role != "viewer";
    let list = match loading_or_error(&devices) {
        Err(h) => return html! { <section id="devices">{ h }</section> },
        Ok(list) => list,
    };
    let ask = |device: &api::Device| {
        let (confirming, status, device) = (confirming.clone(), status.clone(), device.clone());
        Callback::from(move |_| {
            status.set(None);
            confirming.set(Some(device.clone()));
        })
    };
    let cancel = {
        let confirming = confirming.clone();
        Callback::from(move |_| confirming.set(None))
    };
    let revoke = {
        let (confirming, status, generation) =
            (confirming.clone(), status.clone(), generation.clone());
        let (csrf, campaign_id) = (props.session.csrf_token.clone(), props.campaign.id.clone());
        let on_refused = props.on_refused.clone();
        Callback::from(move |_| {
            let Some(device) = (*confirming).clone() else {
                return;
            };
            let (confirming, status, generation, csrf, on_refused) = (
                confirming.clone(),
                status.clone(),
                generation.clone(),
                csrf.clone(),
                on_refused.clone(),
            );
            let path = format!(
                "/api/v1/campaigns/{}/devices/{}/revoke",
                api::encode(&campaign_id),
                api::encode(&device.id)
            );
            spawn_local(async move {
                let result = api::send("POST", &path, Some(&csrf), None).await;
                confirming.set(None);
                match result {
                    Ok(_) => {
                        status.set(Some(Ok(format!(
                            "{} is revoked: the server refuses it from its next request.",
                            device.label
                        ))));
                        generation.set(*generation + 1);
                    }
                    Err(f) => {
                        if f.status == 401 {
                            on_refused.emit(());
                        }
                        status.set(Some(Err(format!("{}: {}", device.label, f.message))));
                    }
                }
            });
        })
    };
    html! {
        <section id="devices">
            <h3>{ format!("Devices: {}", list.len()) }</h3>
            if list.is_empty() {
                <p class="muted">{ "No device is enrolled in this campaign yet." }</p>
            } else {
                <table>
                    <tr><th>{ "Label" }</th><th>{ "Organization" }</th><th>{ "Enrolled" }</th><th>{ "Last seen" }</th><th>{ "Interviews received" }</th><th>{ "Status" }</th><th></th></tr>
                    { for list.iter().map(|d| html! {
                        <tr class={classes!("device", d.revoked.then_some("revoked"))} data-label={d.label.clone()}>
                            <td>{ &d.label }<br/><span class="muted">{ &d.device_id }</span></td>
                            <td>{ &d.organization }</td>
                            <td>{ minute(&d.enrolled_at) }</td>
                            <td class="last-seen">{ d.last_seen_at.as_deref().map_or_else(|| "never".to_owned(), minute) }</td>
                            <td class="received">{ received(d) }</td>
                            <td class="status">{ if d.revoked { "revoked" } else { "active" } }</td>
                            <td>
                                if may_revoke && !d.revoked {
                                    <button class="revoke" onclick={ask(d)}>{ "Revoke" }</button>
                                }
                            </td>
                        </tr>
                    }) }
                </table>
            }
            if let Some(device) = &*confirming {
                <div class="confirm" id="confirm-revoke" role="alertdialog">
                    <p>{ format!("Revoke {}? Its token stops working at once: it cannot sync again until it is enrolled with a new code.", device.label) }</p>
                    <button class="primary danger" id="confirm-revoke-yes" onclick={revoke}>{ "Yes, revoke it" }</button>
                    <button id="confirm-revoke-no" onclick={cancel}>{ "Cancel" }</button>
                </div>
            }
            { match &*status {
                Some(Ok(m)) => html! { <p id="devices-status">{ m }</p> },
                Some(Err(m)) => html! { <p class="error" id="devices-status">{ m }</p> },
                None => html! {},
            } }
        </section>
    }
}

/// A server timestamp (`2026-11-25T23:31:07.123Z`) to the minute, as people read it.
fn minute(timestamp: &str) -> String {
    match (timestamp.get(..10), timestamp.get(11..16)) {
        (Some(day), Some(time)) if timestamp.ends_with('Z') => format!("{day} {time} UTC"),
        _ => timestamp.to_owned(),
    }
}

/// What the server holds of a device, with a gap named: a submission the device numbered
/// below others that arrived has not come, so a coordinator can ask about it.
fn received(device: &api::Device) -> String {
    if device.received > device.complete_up_to {
        format!(
            "{}; number {} has not arrived",
            device.received,
            device.complete_up_to + 1
        )
    } else {
        device.received.to_string()
    }
}

fn main() {
    yew::Renderer::<App>::new().render();
}
