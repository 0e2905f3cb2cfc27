//! A baseline-versus-endline report on the page: its summary with the breakdown, cluster and
//! weight settings, and each indicator's chart and table. The same for a report the server
//! computed and for one this page computed from an end-to-end encrypted campaign.

use fieldline_protocol::dashboard::{ColumnChoice, ReportView};
use wasm_bindgen::JsCast;
use web_sys::HtmlSelectElement;
use yew::prelude::*;

use crate::charts;

/// The summary line and the three settings, each select writing its state: `[by, cluster,
/// weight]`, a column name or empty for none.
pub fn summary_and_settings(r: &ReportView, settings: [&UseStateHandle<String>; 3]) -> Html {
    let [by, cluster, weight] = settings;
    html! {
        <section>
            <p>{ format!("{}: baseline {} submissions, endline {} submissions. Method: {}. Intervals are 95% confidence intervals.", r.title, r.baseline_rows, r.endline_rows, r.design) }</p>
            if r.reach == "organization" { <p class="muted">{ "Computed from your own organization's submissions only." }</p> }
            <div class="settings">
                { options("breakdown", "Break down by", "No breakdown", &r.breakdowns, by) }
                { options("cluster", "Clusters (sampling units)", "None: simple random sample", &r.clusters, cluster) }
                { options("weight", "Weights", "None", &r.weights, weight) }
            </div>
        </section>
    }
}

/// Every indicator: its chart, then a row per group with both rounds' n and the change.
pub fn indicators(r: &ReportView) -> Html {
    html! {
        { for r.indicators.iter().map(|i| html! {
            <section class="indicator" id={format!("indicator-{}", i.name)}>
                <h3>{ &i.label }<span class="muted">{ format!(" ({})", i.name) }</span></h3>
                { charts::indicator(i) }
                <table>
                    <tr><th>{ "Group" }</th><th>{ "Baseline n" }</th><th>{ "Endline n" }</th><th>{ "Change" }</th></tr>
                    { for i.groups.iter().map(|g| html! {
                        <tr>
                            <td>{ &g.title }</td><td>{ g.baseline.n }</td><td>{ g.endline.n }</td>
                            <td class="change">{ &g.change }</td>
                        </tr>
                    }) }
                </table>
            </section>
        }) }
    }
}

fn options(
    id: &str,
    label: &str,
    none: &str,
    choices: &[ColumnChoice],
    current: &UseStateHandle<String>,
) -> Html {
    let onchange = {
        let current = current.clone();
        Callback::from(move |e: Event| current.set(select_value(&e)))
    };
    html! {
        <label>{ label }<br/>
            <select id={id.to_string()} onchange={onchange}>
                <option value="" selected={current.is_empty()}>{ none }</option>
                { for choices.iter().map(|c| html! {
                    <option value={c.column.clone()} selected={c.column == **current}>
                        { if c.label.is_empty() { c.column.clone() } else { format!("{} ({})", c.label, c.column) } }
                    </option>
                }) }
            </select>
        </label>
    }
}

pub(crate) fn select_value(e: &Event) -> String {
    e.target()
        .and_then(|t| t.dyn_into::<HtmlSelectElement>().ok())
        .map(|s| s.value())
        .unwrap_or_default()
}
