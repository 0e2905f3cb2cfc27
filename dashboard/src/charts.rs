//! Inline SVG charts: bars for counts, and each indicator's baseline and endline side by side
//! with their 95% confidence intervals as whiskers.

use fieldline_protocol::dashboard::{Count, EstimateView, IndicatorView};
use yew::prelude::*;

const BASE_COLOR: &str = "#8a94a3";
const END_COLOR: &str = "#1f6fb2";

/// Horizontal bars, one per count, with their numbers.
pub fn bars(id: &str, counts: &[Count]) -> Html {
    if counts.is_empty() {
        return html! { <p class="muted" id={id.to_string()}>{ "Nothing yet." }</p> };
    }
    let max = counts.iter().map(|c| c.count).max().unwrap_or(1).max(1) as f64;
    let row = 22.0;
    let height = row * counts.len() as f64 + 4.0;
    html! {
        <svg id={id.to_string()} class="bars" viewBox={format!("0 0 420 {height}")} width="420" height={height.to_string()} role="img">
            { for counts.iter().enumerate().map(|(i, c)| {
                let y = i as f64 * row + 2.0;
                let w = 200.0 * c.count as f64 / max;
                html! {
                    <g>
                        <text x="0" y={(y + 14.0).to_string()} font-size="12">{ truncate(&c.label, 26) }</text>
                        <rect x="170" y={y.to_string()} width={w.max(1.0).to_string()} height="16" fill={END_COLOR} />
                        <text class="count" x={(175.0 + w).to_string()} y={(y + 13.0).to_string()} font-size="12">{ c.count }</text>
                    </g>
                }
            }) }
        </svg>
    }
}

fn truncate(s: &str, max: usize) -> String {
    if s.chars().count() <= max {
        s.to_string()
    } else {
        let cut: String = s.chars().take(max - 1).collect();
        format!("{cut}…")
    }
}

/// One row per group: the baseline and endline proportions as dots on a 0–100% scale, each
/// with its confidence interval as a whisker.
pub fn indicator(ind: &IndicatorView) -> Html {
    let row = 34.0;
    let (left, width) = (190.0, 380.0);
    let height = row * ind.groups.len() as f64 + 30.0;
    let x = |p: f64| left + width * p.clamp(0.0, 1.0);
    let whisker = |e: &EstimateView, y: f64, color: &'static str| match (e.p, e.ci_low, e.ci_high) {
        (Some(p), lo, hi) => html! {
            <g>
                if let (Some(lo), Some(hi)) = (lo, hi) {
                    <line x1={x(lo).to_string()} x2={x(hi).to_string()} y1={y.to_string()} y2={y.to_string()} stroke={color} stroke-width="2" />
                    <line x1={x(lo).to_string()} x2={x(lo).to_string()} y1={(y - 4.0).to_string()} y2={(y + 4.0).to_string()} stroke={color} stroke-width="2" />
                    <line x1={x(hi).to_string()} x2={x(hi).to_string()} y1={(y - 4.0).to_string()} y2={(y + 4.0).to_string()} stroke={color} stroke-width="2" />
                }
                <circle cx={x(p).to_string()} cy={y.to_string()} r="5" fill={color} />
            </g>
        },
        _ => html! {},
    };
    html! {
        <>
        <svg class="estimates" viewBox={format!("0 0 600 {height}")} width="600" height={height.to_string()} role="img">
            { for [0.0, 0.25, 0.5, 0.75, 1.0].iter().map(|t| html! {
                <g>
                    <line x1={x(*t).to_string()} x2={x(*t).to_string()} y1="0" y2={(height - 18.0).to_string()} stroke="#d6dbe1" />
                    <text x={(x(*t) - 10.0).to_string()} y={(height - 4.0).to_string()} font-size="11">{ format!("{:.0}%", t * 100.0) }</text>
                </g>
            }) }
            { for ind.groups.iter().enumerate().map(|(i, g)| {
                let y = i as f64 * row + 14.0;
                html! {
                    <g>
                        <text x="0" y={(y + 4.0).to_string()} font-size="12">{ truncate(&g.title, 30) }</text>
                        { whisker(&g.baseline, y - 5.0, BASE_COLOR) }
                        { whisker(&g.endline, y + 5.0, END_COLOR) }
                    </g>
                }
            }) }
        </svg>
        <p class="muted legend"><span class="baseline">{ "● baseline" }</span>{ "   " }<span class="endline">{ "● endline" }</span></p>
        </>
    }
}
