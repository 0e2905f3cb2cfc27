//! A widget for each question type, built for fingers: big cards for choices, a Likert row, a
//! numeric keyboard for numbers, a date picker made of plain selects (it works offline and the
//! same in every webview), and the form's messages next to the question in its language.

use fieldline_form::instance::{xlsform_type, FormText, InstanceNodeId};
use fieldline_form::{NodeKind, QuestionType};
use yew::html::Scope;
use yew::prelude::*;

use super::{Draft, Interview, Msg};
use crate::i18n::Texts;

/// One question: label (with the required mark), hint, media, its widget and its message.
pub(crate) fn question(
    link: &Scope<Interview>,
    t: &Texts,
    d: &Draft,
    node: InstanceNodeId,
) -> Html {
    let inst = &d.instance;
    let def = inst.definition(node);
    let NodeKind::Question(ty) = def.kind else {
        return html! {};
    };
    let path = inst.path(node);
    let label = inst
        .render_text(node, FormText::Label, None)
        .unwrap_or_default();
    let hint = inst.render_text(node, FormText::Hint, None);
    let required = inst.is_required(node) && ty != QuestionType::Note;
    let readonly = inst.is_readonly(node) || ty == QuestionType::Note;
    let value = inst.value(node).to_owned();
    let message = message_for(t, d, node, &path);
    let widget = if readonly {
        readonly_value(ty, &value)
    } else {
        input_widget(link, t, d, node, ty, &path, &value)
    };
    html! {
        <div key={path.clone()} class={classes!("question", message.is_some().then_some("has-problem"))}
            data-path={path.clone()} data-type={xlsform_type(def)}>
            <p class="question-label" id={format!("label-{}", dom_id(&path))}>
                { label }
                if required {
                    <span class="required" title={t.t("interview-required")} aria-label={t.t("interview-required")}>{ " *" }</span>
                }
            </p>
            if let Some(hint) = hint {
                <p class="hint">{ hint }</p>
            }
            { media(t, d, node) }
            { widget }
            if let Some(message) = message {
                <p class="message" role="alert">{ message }</p>
            }
        </div>
    }
}

/// The message to show under a question: the engine's refusal of what was typed, a broken
/// constraint (always), or an empty required answer (once the enumerator tried to finalize).
fn message_for(t: &Texts, d: &Draft, node: InstanceNodeId, path: &str) -> Option<String> {
    if let Some(refused) = d.refused.get(path) {
        return Some(refused.clone());
    }
    let inst = &d.instance;
    let message = inst.message(node, None)?;
    let constraint = !inst.is_valid(node);
    let blocked_here = d.blocked.as_ref().is_some_and(|(p, _)| p == path);
    if !(constraint || d.strict || blocked_here) {
        return None;
    }
    Some(if message.is_empty() {
        t.t("interview-required")
    } else {
        message
    })
}

/// An id-safe form of a path.
fn dom_id(path: &str) -> String {
    path.chars()
        .map(|c| if c.is_ascii_alphanumeric() { c } else { '-' })
        .collect()
}

fn readonly_value(ty: QuestionType, value: &str) -> Html {
    if ty == QuestionType::Note || value.is_empty() {
        return html! {};
    }
    html! { <p class="readonly-value">{ value }</p> }
}

/// Image and audio from the form's media columns, in the current language (audio prompts
/// matter for respondents who cannot read).
fn media(t: &Texts, d: &Draft, node: InstanceNodeId) -> Html {
    let inst = &d.instance;
    let def = inst.definition(node);
    let form = inst.form();
    // (file name, blob URL) of the file of that kind in the current language, once loaded.
    let pick = |kind: &str| {
        let files = def.media.get(kind)?;
        let name = files
            .get(inst.language())
            .or_else(|| files.get(&form.default_language))
            .or_else(|| files.values().next())?;
        Some((name.clone(), d.media.get(name)?.clone()))
    };
    html! {
        <>
            if let Some((name, url)) = pick("image").or_else(|| pick("big-image")) {
                <img class="media-image" data-file={name} src={url} alt={t.t("media-image")} />
            }
            if let Some((name, url)) = pick("audio") {
                <audio class="media-audio" data-file={name} controls=true src={url}
                    aria-label={t.t("media-audio")}></audio>
            }
        </>
    }
}

fn input_widget(
    link: &Scope<Interview>,
    t: &Texts,
    d: &Draft,
    node: InstanceNodeId,
    ty: QuestionType,
    path: &str,
    value: &str,
) -> Html {
    let appearance = d
        .instance
        .definition(node)
        .appearance
        .clone()
        .unwrap_or_default();
    let has = |word: &str| appearance.split_whitespace().any(|a| a == word);
    use QuestionType::*;
    match ty {
        SelectOne | SelectOneExternal => {
            let choices = d.instance.choices(node, None);
            if choices.is_empty() && ty == SelectOneExternal {
                return text_input(link, path, value, "text", "text");
            }
            select_one(link, t, path, value, &choices, has("likert"))
        }
        SelectMultiple => select_multiple(link, t, path, value, &d.instance.choices(node, None)),
        Rank => rank(link, path, value, &d.instance.choices(node, None)),
        Integer => text_input(link, path, shown(d, path, value), "numeric", "[0-9-]*"),
        Decimal => text_input(link, path, shown(d, path, value), "decimal", ""),
        Range => range(link, d, node, path, value),
        Date => date_picker(link, t, path, value, has("month-year"), has("year")),
        Time => time_picker(link, path, value),
        DateTime => date_time(link, t, path, value),
        Acknowledge | Trigger => acknowledge(link, path, value),
        Geopoint => html! {
            <super::location::Geopoint path={path.to_owned()} value={value.to_owned()} texts={t.clone()}
                on_answer={link.callback(|(path, value)| Msg::Answer { path, value })} />
        },
        // Lines and shapes are points separated by `;`, typed as ODK shows them.
        Geotrace | Geoshape => textarea(link, path, value),
        Text if has("multiline") => textarea(link, path, shown(d, path, value)),
        Text | Barcode => text_input(link, path, shown(d, path, value), "text", ""),
        Image | Audio | Video | File => capture(link, t, d, ty, path, value),
        // Editing OpenStreetMap features needs a map editor this app does not have.
        Osm => html! { <p class="hint capture-unavailable">{ t.t("capture-unavailable") }</p> },
        // Computed and metadata fields have no screen (see fieldline_interview::screens).
        _ => html! {},
    }
}

/// What a typed field shows: the text as typed while the enumerator is typing (the engine's
/// normal form, e.g. `10.0` for `10`, would move the cursor under their fingers), the stored
/// answer otherwise.
fn shown<'a>(d: &'a Draft, path: &str, value: &'a str) -> &'a str {
    d.typing.get(path).map_or(value, String::as_str)
}

fn answer(link: &Scope<Interview>, path: &str) -> Callback<String> {
    let path = path.to_owned();
    link.callback(move |value| Msg::Answer {
        path: path.clone(),
        value,
    })
}

fn select_one(
    link: &Scope<Interview>,
    t: &Texts,
    path: &str,
    value: &str,
    choices: &[fieldline_form::instance::OfferedChoice],
    likert: bool,
) -> Html {
    if choices.is_empty() {
        return html! { <p class="hint">{ t.t("select-none-offered") }</p> };
    }
    let set = answer(link, path);
    html! {
        <>
        <div class={classes!("choices", likert.then_some("likert"))} role="radiogroup">
            { for choices.iter().map(|c| {
                let chosen = c.name == value;
                let pick = { let set = set.clone(); let name = c.name.clone(); Callback::from(move |_| set.emit(name.clone())) };
                html! {
                    <button key={c.name.clone()} class={classes!("choice", chosen.then_some("chosen"))} role="radio"
                        aria-checked={chosen.to_string()} data-value={c.name.clone()} onclick={pick}>
                        <span class="mark" aria-hidden="true"></span>
                        <span class="choice-label">{ &c.label }</span>
                    </button>
                }
            }) }
        </div>
        if !value.is_empty() {
            <button class="link clear-answer" onclick={ let set = set.clone(); Callback::from(move |_| set.emit(String::new())) }>
                { t.t("select-clear") }
            </button>
        }
        </>
    }
}

fn select_multiple(
    link: &Scope<Interview>,
    t: &Texts,
    path: &str,
    value: &str,
    choices: &[fieldline_form::instance::OfferedChoice],
) -> Html {
    if choices.is_empty() {
        return html! { <p class="hint">{ t.t("select-none-offered") }</p> };
    }
    let selected: Vec<&str> = value.split_whitespace().collect();
    let set = answer(link, path);
    html! {
        <div class="choices multiple" role="group">
            { for choices.iter().map(|c| {
                let chosen = selected.contains(&c.name.as_str());
                // The engine puts the selection in choice order; exclusive choices are the
                // form's own constraint, whose message shows below.
                let next: Vec<&str> = if chosen {
                    selected.iter().copied().filter(|s| *s != c.name).collect()
                } else {
                    selected.iter().copied().chain([c.name.as_str()]).collect()
                };
                let next = next.join(" ");
                let toggle = { let set = set.clone(); Callback::from(move |_| set.emit(next.clone())) };
                html! {
                    <button key={c.name.clone()} class={classes!("choice", "check", chosen.then_some("chosen"))} role="checkbox"
                        aria-checked={chosen.to_string()} data-value={c.name.clone()} onclick={toggle}>
                        <span class="mark" aria-hidden="true"></span>
                        <span class="choice-label">{ &c.label }</span>
                    </button>
                }
            }) }
        </div>
    }
}

/// Ranking: the options in the current order, each movable up or down.
fn rank(
    link: &Scope<Interview>,
    path: &str,
    value: &str,
    choices: &[fieldline_form::instance::OfferedChoice],
) -> Html {
    let mut order: Vec<&fieldline_form::instance::OfferedChoice> = value
        .split_whitespace()
        .filter_map(|v| choices.iter().find(|c| c.name == v))
        .collect();
    for c in choices {
        if !order.iter().any(|o| o.name == c.name) {
            order.push(c);
        }
    }
    let set = answer(link, path);
    let names: Vec<String> = order.iter().map(|c| c.name.clone()).collect();
    let moved = |from: usize, to: usize| {
        let mut n = names.clone();
        n.swap(from, to);
        n.join(" ")
    };
    html! {
        <ol class="rank">
            { for order.iter().enumerate().map(|(i, c)| {
                let up = (i > 0).then(|| { let v = moved(i, i - 1); let set = set.clone(); Callback::from(move |_| set.emit(v.clone())) });
                let down = (i + 1 < order.len()).then(|| { let v = moved(i, i + 1); let set = set.clone(); Callback::from(move |_| set.emit(v.clone())) });
                html! {
                    <li class="rank-item" data-value={c.name.clone()}>
                        <span class="choice-label">{ &c.label }</span>
                        <button class="secondary rank-up" disabled={up.is_none()} onclick={up.unwrap_or_default()}>{ "▲" }</button>
                        <button class="secondary rank-down" disabled={down.is_none()} onclick={down.unwrap_or_default()}>{ "▼" }</button>
                    </li>
                }
            }) }
        </ol>
    }
}

/// A one-line answer. Typing is checked at once; the answer is saved when the field is left
/// (or Enter is pressed), so a crash loses at most the answer being typed.
fn text_input(
    link: &Scope<Interview>,
    path: &str,
    value: &str,
    inputmode: &'static str,
    pattern: &'static str,
) -> Html {
    let (on_input, on_change) = typing(link, path);
    html! {
        <input class="answer" type="text" inputmode={inputmode}
            pattern={(!pattern.is_empty()).then_some(pattern)}
            value={value.to_owned()} oninput={on_input} onchange={on_change} />
    }
}

fn textarea(link: &Scope<Interview>, path: &str, value: &str) -> Html {
    let path_in = path.to_owned();
    let path_ch = path.to_owned();
    let on_input = link.callback(move |e: InputEvent| {
        let area: web_sys::HtmlTextAreaElement = e.target_unchecked_into();
        Msg::Input {
            path: path_in.clone(),
            value: area.value(),
        }
    });
    let on_change = link.callback(move |e: Event| {
        let area: web_sys::HtmlTextAreaElement = e.target_unchecked_into();
        Msg::Answer {
            path: path_ch.clone(),
            value: area.value(),
        }
    });
    html! { <textarea class="answer" rows="4" value={value.to_owned()} oninput={on_input} onchange={on_change} /> }
}

fn typing(link: &Scope<Interview>, path: &str) -> (Callback<InputEvent>, Callback<Event>) {
    let path_in = path.to_owned();
    let path_ch = path.to_owned();
    (
        link.callback(move |e: InputEvent| {
            let input: web_sys::HtmlInputElement = e.target_unchecked_into();
            Msg::Input {
                path: path_in.clone(),
                value: input.value(),
            }
        }),
        link.callback(move |e: Event| {
            let input: web_sys::HtmlInputElement = e.target_unchecked_into();
            Msg::Answer {
                path: path_ch.clone(),
                value: input.value(),
            }
        }),
    )
}

fn range(
    link: &Scope<Interview>,
    d: &Draft,
    node: InstanceNodeId,
    path: &str,
    value: &str,
) -> Html {
    let params = &d.instance.definition(node).parameters;
    let get = |k: &str, default: &str| params.get(k).cloned().unwrap_or_else(|| default.into());
    let (start, end, step) = (get("start", "1"), get("end", "10"), get("step", "1"));
    let path = path.to_owned();
    let on_change = link.callback(move |e: Event| {
        let input: web_sys::HtmlInputElement = e.target_unchecked_into();
        Msg::Answer {
            path: path.clone(),
            value: input.value(),
        }
    });
    html! {
        <div class="range">
            <input class="answer" type="range" min={start.clone()} max={end.clone()} step={step}
                value={if value.is_empty() { start.clone() } else { value.to_owned() }} onchange={on_change} />
            <output class="range-value">{ if value.is_empty() { "–".to_owned() } else { value.to_owned() } }</output>
        </div>
    }
}

fn acknowledge(link: &Scope<Interview>, path: &str, value: &str) -> Html {
    let set = answer(link, path);
    let chosen = value == "OK";
    html! {
        <div class="choices">
            <button class={classes!("choice", chosen.then_some("chosen"))} role="checkbox"
                aria-checked={chosen.to_string()} data-value="OK"
                onclick={Callback::from(move |_| set.emit(if chosen { String::new() } else { "OK".into() }))}>
                <span class="mark" aria-hidden="true"></span>
                <span class="choice-label">{ "OK" }</span>
            </button>
        </div>
    }
}

/// `(year, month, day)` of a stored `YYYY-MM-DD` value.
fn date_parts(value: &str) -> (String, String, String) {
    let mut parts = value.get(..10).unwrap_or("").splitn(3, '-');
    let mut next = || parts.next().unwrap_or("").to_owned();
    (next(), next(), next())
}

/// Day, month and year as three selects: no calendar popup that one webview lacks, and big
/// enough for fingers. The answer is given once all three are chosen.
fn date_picker(
    link: &Scope<Interview>,
    t: &Texts,
    path: &str,
    value: &str,
    month_year: bool,
    year_only: bool,
) -> Html {
    html! { <DatePicker path={path.to_owned()} value={value.to_owned()} texts={t.clone()}
    month_year={month_year} year_only={year_only}
    on_date={link.callback(|(path, value)| Msg::Answer { path, value })} /> }
}

#[derive(Properties, PartialEq)]
struct DateProps {
    path: String,
    value: String,
    texts: Texts,
    month_year: bool,
    year_only: bool,
    on_date: Callback<(String, String)>,
}

#[function_component(DatePicker)]
fn date_picker_component(p: &DateProps) -> Html {
    let stored = date_parts(&p.value);
    let picked = use_state(|| stored.clone());
    {
        let picked = picked.clone();
        use_effect_with(stored.clone(), move |s| picked.set(s.clone()));
    }
    let this_year = js_sys::Date::new_0().get_full_year() as i32;
    let (year, month, day) = (*picked).clone();
    let emit = {
        let (picked, on_date, path) = (picked.clone(), p.on_date.clone(), p.path.clone());
        let (month_year, year_only) = (p.month_year, p.year_only);
        move |which: usize, v: String| {
            let (mut y, mut m, mut d) = (*picked).clone();
            match which {
                0 => y = v,
                1 => m = v,
                _ => d = v,
            }
            if year_only {
                m = "01".into();
            }
            if year_only || month_year {
                d = "01".into();
            }
            picked.set((y.clone(), m.clone(), d.clone()));
            if !y.is_empty() && !m.is_empty() && !d.is_empty() {
                on_date.emit((path.clone(), format!("{y}-{m}-{d}")));
            }
        }
    };
    let select = |which: usize, label: String, current: &str, options: Vec<(String, String)>| {
        let emit = emit.clone();
        let on_change = Callback::from(move |e: Event| {
            let s: web_sys::HtmlSelectElement = e.target_unchecked_into();
            emit(which, s.value());
        });
        html! {
            <label class="date-part">
                <span>{ label }</span>
                <select class={format!("date-{which}")} onchange={on_change}>
                    <option value="" selected={current.is_empty()}>{ "–" }</option>
                    { for options.into_iter().map(|(v, shown)| html! {
                        <option value={v.clone()} selected={v == current}>{ shown }</option>
                    }) }
                </select>
            </label>
        }
    };
    let t = &p.texts;
    let years = (1900..=this_year + 10)
        .rev()
        .map(|y| (format!("{y:04}"), y.to_string()))
        .collect();
    let months = (1..=12)
        .map(|m| (format!("{m:02}"), m.to_string()))
        .collect();
    let days = (1..=31)
        .map(|d| (format!("{d:02}"), d.to_string()))
        .collect();
    html! {
        <div class="date-picker" aria-label={t.t("date-pick")}>
            if !p.month_year && !p.year_only {
                { select(2, t.t("date-day"), &day, days) }
            }
            if !p.year_only {
                { select(1, t.t("date-month"), &month, months) }
            }
            { select(0, t.t("date-year"), &year, years) }
        </div>
    }
}

fn time_picker(link: &Scope<Interview>, path: &str, value: &str) -> Html {
    let hour = value.get(..2).unwrap_or("").to_owned();
    let minute = value.get(3..5).unwrap_or("").to_owned();
    let path = path.to_owned();
    let compose = move |h: &str, m: &str| format!("{}:{}:00", or(h, "00"), or(m, "00"));
    let on_hour = {
        let (path, minute) = (path.clone(), minute.clone());
        link.callback(move |e: Event| {
            let s: web_sys::HtmlSelectElement = e.target_unchecked_into();
            Msg::Answer {
                path: path.clone(),
                value: compose(&s.value(), &minute),
            }
        })
    };
    let on_minute = {
        let (path, hour) = (path.clone(), hour.clone());
        link.callback(move |e: Event| {
            let s: web_sys::HtmlSelectElement = e.target_unchecked_into();
            Msg::Answer {
                path: path.clone(),
                value: compose(&hour, &s.value()),
            }
        })
    };
    html! {
        <div class="time-picker">
            <select class="time-hour" onchange={on_hour}>
                <option value="" selected={hour.is_empty()}>{ "–" }</option>
                { for (0..24).map(|h| { let v = format!("{h:02}"); html! { <option value={v.clone()} selected={v == hour}>{ v }</option> } }) }
            </select>
            { ":" }
            <select class="time-minute" onchange={on_minute}>
                <option value="" selected={minute.is_empty()}>{ "–" }</option>
                { for (0..60).map(|m| { let v = format!("{m:02}"); html! { <option value={v.clone()} selected={v == minute}>{ v }</option> } }) }
            </select>
        </div>
    }
}

fn or<'a>(v: &'a str, default: &'a str) -> &'a str {
    if v.is_empty() {
        default
    } else {
        v
    }
}

/// A date and a time: the date's parts, then the time, kept together in one answer.
fn date_time(link: &Scope<Interview>, t: &Texts, path: &str, value: &str) -> Html {
    let (date, time) = value.split_once('T').unwrap_or((value, ""));
    let time = time.get(..5).unwrap_or("00:00").to_owned();
    let date_owned = date.to_owned();
    let on_date = {
        let time = time.clone();
        link.callback(move |(path, d): (String, String)| Msg::Answer {
            path,
            value: format!("{d}T{time}:00"),
        })
    };
    let on_time = {
        let (path, date) = (path.to_owned(), date_owned.clone());
        link.callback(move |e: Event| {
            let s: web_sys::HtmlSelectElement = e.target_unchecked_into();
            Msg::Answer {
                path: path.clone(),
                value: format!("{}T{}:00", or(&date, "1970-01-01"), s.value()),
            }
        })
    };
    html! {
        <div class="date-time">
            <DatePicker path={path.to_owned()} value={date_owned} texts={t.clone()}
                month_year={false} year_only={false} on_date={on_date} />
            <select class="time-of-day" onchange={on_time}>
                { for (0..24).flat_map(|h| [0, 15, 30, 45].map(move |m| format!("{h:02}:{m:02}"))).map(|v| html! {
                    <option value={v.clone()} selected={v == time}>{ v.clone() }</option>
                }) }
            </select>
        </div>
    }
}

/// A photo, recording or file: the device's camera or recorder where the webview offers one
/// (`capture`), else its file picker; the kept file shown or played back, and a way to remove it.
fn capture(
    link: &Scope<Interview>,
    t: &Texts,
    d: &Draft,
    ty: QuestionType,
    path: &str,
    value: &str,
) -> Html {
    let (accept, capture, choose) = match ty {
        QuestionType::Image => (Some("image/*"), Some("environment"), t.t("file-take-photo")),
        QuestionType::Audio => (Some("audio/*"), Some("user"), t.t("file-record-audio")),
        QuestionType::Video => (
            Some("video/*"),
            Some("environment"),
            t.t("file-record-video"),
        ),
        _ => (None, None, t.t("file-choose-file")),
    };
    let input_id = format!("file-{}", dom_id(path));
    let on_change = {
        let path = path.to_owned();
        link.batch_callback(move |e: Event| {
            let input: web_sys::HtmlInputElement = e.target_unchecked_into();
            let file = input.files().and_then(|files| files.get(0));
            input.set_value("");
            file.map(|file| Msg::Capture(path.clone(), file))
        })
    };
    let url = d.media.get(value).cloned();
    let preview = match (ty, url) {
        (_, _) if value.is_empty() => html! {},
        (QuestionType::Image, Some(url)) => {
            html! { <img class="answer-photo" src={url} alt={value.to_owned()} /> }
        }
        (QuestionType::Audio, Some(url)) => {
            html! { <audio class="answer-audio" controls=true src={url}></audio> }
        }
        (QuestionType::Video, Some(url)) => {
            html! { <video class="answer-video" controls=true src={url}></video> }
        }
        _ => html! { <p class="answer-file">{ value }</p> },
    };
    let remove = answer(link, path);
    html! {
        <div class="capture" data-file={value.to_owned()}>
            { preview }
            <label for={input_id.clone()} class="file-button">{ choose }</label>
            <input id={input_id} class="visually-hidden capture-input" type="file"
                accept={accept} capture={capture} onchange={on_change} />
            if !value.is_empty() {
                <button class="link remove-file" onclick={Callback::from(move |_| remove.emit(String::new()))}>
                    { t.t("file-remove") }
                </button>
            }
        </div>
    }
}
