//! Drawing the interview: the bar with the form's language and the overview, the progress, the
//! current screen (or the overview, or the end), and the way forward and back.

use fieldline_form::instance::{FormText, InstanceNodeId};
use fieldline_form::NodeKind;
use fieldline_interview::{overview, QuestionStatus, Screen, ScreenKind};
use yew::html::Scope;
use yew::prelude::*;

use super::widgets::question;
use super::{current_index, Draft, Interview, Msg, Place, END_KEY};
use crate::app::Route;
use crate::i18n::Texts;

pub(crate) fn page(
    link: &Scope<Interview>,
    t: &Texts,
    draft: Option<&Draft>,
    error: Option<&str>,
    saving: bool,
    finalized: Option<i64>,
) -> Html {
    let leave = link.callback(|_| Msg::Leave(Route::Home));
    let banner = error.map(|e| html! { <p class="card error" id="interview-error">{ e }</p> });
    let Some(d) = draft else {
        return html! {
            <main id="interview" class="interview">
                { for banner }
                <button class="secondary" id="leave-interview" onclick={leave}>{ t.t("nav-home") }</button>
            </main>
        };
    };
    if let Some(seq) = finalized {
        return html! {
            <main id="interview" class="interview">
                <section class="card" id="finalized" data-device-seq={seq.to_string()}>
                    <h2>{ t.t("finalized-title") }</h2>
                    <p>{ t.t("finalized-body") }</p>
                    <button id="finalized-home" onclick={leave}>{ t.t("nav-home") }</button>
                    <button class="secondary" id="finalized-outbox"
                        onclick={link.callback(|_| Msg::Leave(Route::Outbox))}>{ t.t("nav-outbox") }</button>
                </section>
            </main>
        };
    }
    let body = if d.overview {
        overview_list(link, t, d)
    } else {
        match &d.place {
            Place::End => end_screen(link, t, d),
            Place::Screen(key) => match d.screens.iter().find(|s| &s.key == key) {
                Some(screen) => screen_body(link, t, d, screen),
                None => end_screen(link, t, d),
            },
        }
    };
    let index = current_index(d);
    let total = d.screens.len();
    let at_end = d.place == Place::End;
    html! {
        <main id="interview" class="interview">
            <div class="interview-bar">
                <button class="secondary" id="leave-interview" onclick={leave}>{ t.t("nav-home") }</button>
                <h2 class="interview-title">{ &d.title }</h2>
                { language_switch(link, t, d) }
                <button class="secondary" id="overview-button" aria-pressed={d.overview.to_string()}
                    onclick={link.callback({ let show = !d.overview; move |_| Msg::ShowOverview(show) })}>
                    { t.t("interview-overview") }
                </button>
            </div>
            { progress(t, index, total) }
            { for banner }
            { body }
            if !d.overview {
                <div class="step-buttons">
                    <button class="secondary" id="previous" disabled={index == 0}
                        onclick={link.callback(|_| Msg::Previous)}>{ t.t("interview-previous") }</button>
                    <span class="save-state" id="save-state">
                        { if saving { t.t("interview-saving") } else { t.t("interview-saved") } }
                    </span>
                    if !at_end {
                        <button id="next" onclick={link.callback(|_| Msg::Next)}>{ t.t("interview-next") }</button>
                    }
                </div>
            }
        </main>
    }
}

fn progress(t: &Texts, index: usize, total: usize) -> Html {
    let shown = (index + 1).min(total.max(1));
    let percent = (index.min(total) * 100).checked_div(total).unwrap_or(100);
    html! {
        <div class="progress-row">
            <div class="progress" id="progress" role="progressbar" aria-valuemin="0" aria-valuemax="100"
                aria-valuenow={percent.to_string()}>
                <div class="progress-fill" style={format!("width: {percent}%")}></div>
            </div>
            <span class="progress-text" id="progress-text">
                { t.t_args("interview-progress", &[("current", shown.into()), ("total", total.into())]) }
            </span>
        </div>
    }
}

fn language_switch(link: &Scope<Interview>, t: &Texts, d: &Draft) -> Html {
    let languages = &d.instance.form().languages;
    if languages.len() < 2 {
        return html! {};
    }
    let current = d.instance.language().to_owned();
    let on_change = link.callback(|e: Event| {
        let select: web_sys::HtmlSelectElement = e.target_unchecked_into();
        Msg::SetLanguage(select.value())
    });
    html! {
        <label class="form-language">
            <span>{ t.t("interview-form-language") }</span>
            <select id="form-language" onchange={on_change}>
                { for languages.iter().map(|l| html! {
                    <option value={l.clone()} selected={*l == current}>{ display_language(l) }</option>
                }) }
            </select>
        </label>
    }
}

/// `Nepali (ne)` shows as `Nepali`.
fn display_language(name: &str) -> &str {
    name.split_once(" (").map_or(name, |(n, _)| n)
}

fn screen_body(link: &Scope<Interview>, t: &Texts, d: &Draft, screen: &Screen) -> Html {
    let headings = screen.within.iter().map(|&n| heading(d, n));
    let content = match &screen.kind {
        ScreenKind::Question(node) => question(link, t, d, *node),
        ScreenKind::FieldList { group, questions } => html! {
            <div class="field-list">
                <h3 class="group-label">{ heading_text(d, *group) }</h3>
                { for questions.iter().map(|&q| question(link, t, d, q)) }
            </div>
        },
        ScreenKind::RepeatPrompt {
            repeat, instances, ..
        } => repeat_prompt(link, t, d, &screen.key, *repeat, instances),
    };
    html! {
        <section class="card screen" id="screen" data-screen={screen.key.clone()}>
            <div class="breadcrumbs">{ for headings }</div>
            { content }
        </section>
    }
}

fn heading(d: &Draft, node: InstanceNodeId) -> Html {
    html! { <span class="breadcrumb">{ heading_text(d, node) }</span> }
}

/// A group's label, or a repeat instance's label with its position (`Member 2`).
fn heading_text(d: &Draft, node: InstanceNodeId) -> String {
    let label = d
        .instance
        .render_text(node, FormText::Label, None)
        .unwrap_or_else(|| d.instance.definition(node).name.clone());
    if d.instance.definition(node).kind == NodeKind::Repeat {
        format!("{label} {}", position_of(&d.instance.path(node)))
    } else {
        label
    }
}

/// The 1-based position at the end of a repeat instance's path (`/data/m[2]` gives 2).
fn position_of(path: &str) -> usize {
    path.rsplit_once('[')
        .and_then(|(_, rest)| rest.trim_end_matches(']').parse().ok())
        .unwrap_or(1)
}

fn repeat_prompt(
    link: &Scope<Interview>,
    t: &Texts,
    d: &Draft,
    key: &str,
    repeat: usize,
    instances: &[InstanceNodeId],
) -> Html {
    let form = d.instance.form();
    let def = &form.nodes[repeat];
    let label = def
        .label
        .get(d.instance.language())
        .or_else(|| def.label.get(&form.default_language))
        .or_else(|| def.label.values().next())
        .cloned()
        .unwrap_or_else(|| def.name.clone());
    let add = {
        let key = key.to_owned();
        link.callback(move |_| Msg::AddRepeat(key.clone()))
    };
    html! {
        <div class="repeat-prompt">
            <h3 class="group-label">{ &label }</h3>
            <p id="repeat-count" data-count={instances.len().to_string()}>
                { t.t_args("repeat-count", &[("count", instances.len().into())]) }
            </p>
            <ul class="repeat-instances">
                { for instances.iter().map(|&i| {
                    let path = d.instance.path(i);
                    let position = position_of(&path);
                    let jump = { let p = path.clone(); link.callback(move |_| Msg::Jump(p.clone())) };
                    let remove = { let p = path.clone(); link.callback(move |_| Msg::RemoveRepeat(p.clone())) };
                    html! {
                        <li class="repeat-instance" data-path={path.clone()}>
                            <button class="link" onclick={jump}>
                                { t.t_args("repeat-item", &[("label", (&label).into()), ("position", position.into())]) }
                            </button>
                            <RemoveButton texts={t.clone()} label={label.clone()} position={position} on_remove={remove} />
                        </li>
                    }
                }) }
            </ul>
            <button id="add-repeat" onclick={add}>{ t.t_args("repeat-add", &[("label", (&label).into())]) }</button>
        </div>
    }
}

#[derive(Properties, PartialEq)]
struct RemoveProps {
    texts: Texts,
    label: String,
    position: usize,
    on_remove: Callback<MouseEvent>,
}

/// Removing a member deletes its answers: ask first.
#[function_component(RemoveButton)]
fn remove_button(p: &RemoveProps) -> Html {
    let asking = use_state(|| false);
    let t = &p.texts;
    let args = [
        ("label", (&p.label).into()),
        ("position", p.position.into()),
    ];
    if *asking {
        let no = {
            let asking = asking.clone();
            Callback::from(move |_| asking.set(false))
        };
        html! {
            <div class="confirm" role="alertdialog">
                <p>{ t.t_args("repeat-remove-confirm", &args) }</p>
                <button class="danger confirm-remove" onclick={p.on_remove.clone()}>{ t.t("drafts-discard-yes") }</button>
                <button class="secondary" onclick={no}>{ t.t("drafts-discard-no") }</button>
            </div>
        }
    } else {
        let ask = {
            let asking = asking.clone();
            Callback::from(move |_| asking.set(true))
        };
        html! {
            <button class="secondary remove-repeat" onclick={ask}>
                { t.t_args("repeat-remove", &[("label", (&p.label).into())]) }
            </button>
        }
    }
}

fn overview_list(link: &Scope<Interview>, t: &Texts, d: &Draft) -> Html {
    let entries = overview(&d.instance, &d.screens, d.strict);
    html! {
        <section class="card" id="overview">
            <h2>{ t.t("overview-title") }</h2>
            <ul class="overview-list">
                { for entries.iter().map(|e| {
                    let (status, word) = match e.status {
                        QuestionStatus::Answered => ("answered", t.t("overview-answered")),
                        QuestionStatus::Unanswered => ("unanswered", t.t("overview-unanswered")),
                        QuestionStatus::Invalid => ("invalid", t.t("overview-invalid")),
                    };
                    let key = e.screen_key.clone();
                    let label = d.instance.render_text(e.node, FormText::Label, None)
                        .unwrap_or_else(|| d.instance.definition(e.node).name.clone());
                    html! {
                        <li class={classes!("overview-item", status)} data-path={d.instance.path(e.node)} data-status={status}>
                            <button class="overview-jump" onclick={link.callback(move |_| Msg::Jump(key.clone()))}>
                                <span class="overview-label">{ label }</span>
                                <span class="overview-status">{ word }</span>
                            </button>
                        </li>
                    }
                }) }
            </ul>
        </section>
    }
}

fn end_screen(link: &Scope<Interview>, t: &Texts, d: &Draft) -> Html {
    let problem = d.instance.first_problem(None);
    let status = match (&problem, d.strict) {
        (None, _) => html! { <p class="ok" id="review-ready">{ t.t("review-ready") }</p> },
        (Some(p), true) => {
            let key = d
                .screens
                .iter()
                .find(|s| s.questions().into_iter().any(|q| q == p.node))
                .map_or_else(|| END_KEY.to_owned(), |s| s.key.clone());
            let label = d
                .instance
                .render_text(p.node, FormText::Label, None)
                .unwrap_or_else(|| p.path.clone());
            html! {
                <div class="error" id="review-blocked">
                    <p>{ t.t("review-blocked") }</p>
                    <p>{ label }{ ": " }{ if p.message.is_empty() { t.t("interview-required") } else { p.message.clone() } }</p>
                    <button onclick={link.callback(move |_| Msg::Jump(key.clone()))}>{ t.t("interview-go-to-problem") }</button>
                </div>
            }
        }
        (Some(_), false) => html! {},
    };
    html! {
        <section class="card screen" id="end-screen" data-screen={END_KEY}>
            <h2>{ t.t("review-title") }</h2>
            <p>{ t.t("interview-end-body") }</p>
            { status }
            <button id="finalize" onclick={link.callback(|_| Msg::Finalize)}>{ t.t("interview-finalize") }</button>
        </section>
    }
}
