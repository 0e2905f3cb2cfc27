//! One self-contained page a manager can email: no scripts, fonts or images from elsewhere; the
//! charts are inline SVG; every text from the form or the data is escaped.

use std::fmt::Write;

use fieldline_stats::Estimate;

use super::{change_sentence, group_title, percent};
use crate::report::{GroupResult, Report};

/// Escape text for HTML content and attribute values.
pub fn escape(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            c => out.push(c),
        }
    }
    out
}

const STYLE: &str =
    "body{font-family:system-ui,-apple-system,'Segoe UI',sans-serif;margin:2em auto;\
max-width:60em;padding:0 1em;color:#1d2430}h1{font-size:1.5em}h2{font-size:1.2em;margin-top:2em}\
table{border-collapse:collapse;width:100%;margin:.5em 0}th,td{border-bottom:1px solid #d6dbe1;\
padding:.35em .5em;text-align:left;vertical-align:top}th{background:#f1f4f7}\
.muted{color:#5b6675;font-size:.9em}.name{font-family:monospace;color:#5b6675}\
.legend span{display:inline-block;margin-right:1.5em}svg{max-width:100%;height:auto}";

const BASE_COLOR: &str = "#8a94a3";
const END_COLOR: &str = "#1f6fb2";

pub fn html(report: &Report) -> String {
    let meta = &report.meta;
    let mut h = String::new();
    let title = if meta.title.is_empty() {
        "Baseline and endline".to_string()
    } else {
        meta.title.clone()
    };
    let _ = write!(
        h,
        "<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">\
         <meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\
         <title>{t}: baseline and endline</title><style>{STYLE}</style></head><body>\n\
         <h1>{t}: baseline and endline</h1>\n\
         <p>Baseline: {bf} ({br} submissions). Endline: {ef} ({er} submissions).<br>\
         Method: {design}. Intervals are 95% confidence intervals; the change is endline minus \
         baseline in percentage points, with its two-sided p-value.</p>\n\
         <p class=\"legend\"><span><svg width=\"12\" height=\"12\"><circle cx=\"6\" cy=\"6\" r=\"5\" \
         fill=\"{BASE_COLOR}\"/></svg> baseline</span><span><svg width=\"12\" height=\"12\">\
         <circle cx=\"6\" cy=\"6\" r=\"5\" fill=\"{END_COLOR}\"/></svg> endline</span></p>\n",
        t = escape(&title),
        bf = escape(&meta.baseline_file),
        br = meta.baseline_rows,
        ef = escape(&meta.endline_file),
        er = meta.endline_rows,
        design = escape(&meta.design),
    );
    for ind in &report.indicators {
        let _ = writeln!(
            h,
            "<section><h2>{} <span class=\"name\">{}</span></h2>",
            escape(&ind.label),
            escape(&ind.name)
        );
        h.push_str(&chart(report, &ind.groups));
        h.push_str(
            "<table><thead><tr><th>Group</th><th>Baseline</th><th>Endline</th>\
             <th>Change</th></tr></thead><tbody>\n",
        );
        for g in &ind.groups {
            let _ = writeln!(
                h,
                "<tr><td>{}</td><td>{}</td><td>{}</td><td>{}{}</td></tr>",
                escape(&group_title(meta, g)),
                estimate_cell(&g.baseline),
                estimate_cell(&g.endline),
                escape(&change_sentence(g)),
                change_detail(g),
            );
        }
        h.push_str("</tbody></table></section>\n");
    }
    h.push_str("</body></html>\n");
    h
}

fn estimate_cell(e: &Estimate) -> String {
    match (e.p, e.ci_low, e.ci_high) {
        (None, ..) => format!("<span class=\"muted\">n = {}</span>", e.n),
        (Some(p), Some(lo), Some(hi)) => format!(
            "{} <span class=\"muted\">({} to {}; {} of {})</span>",
            percent(p),
            percent(lo.max(0.0)),
            percent(hi.min(1.0)),
            e.successes,
            e.n
        ),
        (Some(p), ..) => format!(
            "{} <span class=\"muted\">({} of {}; no interval)</span>",
            percent(p),
            e.successes,
            e.n
        ),
    }
}

fn change_detail(g: &GroupResult) -> String {
    let d = &g.diff;
    let mut parts = Vec::new();
    if let (Some(lo), Some(hi)) = (d.ci_low, d.ci_high) {
        parts.push(format!(
            "95% CI {:+.0} to {:+.0} points",
            lo * 100.0,
            hi * 100.0
        ));
    }
    if let Some(pairs) = d.pairs {
        parts.push(format!(
            "{pairs} pairs: {} yes to no, {} no to yes",
            d.yes_to_no.unwrap_or(0),
            d.no_to_yes.unwrap_or(0)
        ));
    }
    if parts.is_empty() {
        String::new()
    } else {
        format!(
            "<br><span class=\"muted\">{}</span>",
            escape(&parts.join("; "))
        )
    }
}

/// Dot-and-whisker chart: per group, the baseline and endline proportions on a 0-100% axis
/// with their 95% intervals.
fn chart(report: &Report, groups: &[GroupResult]) -> String {
    const LABEL_W: f64 = 190.0;
    const PLOT_W: f64 = 420.0;
    const ROW_H: f64 = 16.0;
    const GAP: f64 = 10.0;
    const TOP: f64 = 8.0;
    let width = LABEL_W + PLOT_W + 20.0;
    let height = TOP + groups.len() as f64 * (2.0 * ROW_H + GAP) + 24.0;
    let x = |p: f64| LABEL_W + p.clamp(0.0, 1.0) * PLOT_W;
    let mut s = String::new();
    let _ = write!(
        s,
        "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"{width}\" height=\"{height}\" \
         viewBox=\"0 0 {width} {height}\" role=\"img\" font-size=\"12\" \
         font-family=\"system-ui,sans-serif\">"
    );
    let axis_y = height - 20.0;
    for tick in [0.0, 0.25, 0.5, 0.75, 1.0] {
        let tx = x(tick);
        let _ = write!(
            s,
            "<line x1=\"{tx}\" y1=\"{TOP}\" x2=\"{tx}\" y2=\"{axis_y}\" stroke=\"#e3e7ec\"/>\
             <text x=\"{tx}\" y=\"{}\" text-anchor=\"middle\" fill=\"#5b6675\">{}</text>",
            axis_y + 14.0,
            percent(tick)
        );
    }
    for (i, g) in groups.iter().enumerate() {
        let y0 = TOP + i as f64 * (2.0 * ROW_H + GAP);
        let _ = write!(
            s,
            "<text x=\"0\" y=\"{}\" fill=\"#1d2430\">{}</text>",
            y0 + ROW_H + 4.0,
            escape(&truncate(&group_title(&report.meta, g), 28))
        );
        for (k, (e, color, round)) in [
            (&g.baseline, BASE_COLOR, "baseline"),
            (&g.endline, END_COLOR, "endline"),
        ]
        .into_iter()
        .enumerate()
        {
            let cy = y0 + ROW_H * (k as f64 + 0.5);
            let Some(p) = e.p else {
                let _ = write!(
                    s,
                    "<text x=\"{}\" y=\"{}\" fill=\"#5b6675\">no {round} data</text>",
                    LABEL_W + 4.0,
                    cy + 4.0
                );
                continue;
            };
            if let (Some(lo), Some(hi)) = (e.ci_low, e.ci_high) {
                let (x1, x2) = (x(lo), x(hi));
                let _ = write!(
                    s,
                    "<line x1=\"{x1:.1}\" y1=\"{cy}\" x2=\"{x2:.1}\" y2=\"{cy}\" stroke=\"{color}\" \
                     stroke-width=\"2\"/><line x1=\"{x1:.1}\" y1=\"{}\" x2=\"{x1:.1}\" y2=\"{}\" \
                     stroke=\"{color}\" stroke-width=\"2\"/><line x1=\"{x2:.1}\" y1=\"{}\" \
                     x2=\"{x2:.1}\" y2=\"{}\" stroke=\"{color}\" stroke-width=\"2\"/>",
                    cy - 4.0,
                    cy + 4.0,
                    cy - 4.0,
                    cy + 4.0
                );
            }
            let _ = write!(
                s,
                "<circle cx=\"{:.1}\" cy=\"{cy}\" r=\"5\" fill=\"{color}\"><title>{round}: {}</title></circle>",
                x(p),
                percent(p)
            );
        }
    }
    s.push_str("</svg>\n");
    s
}

fn truncate(s: &str, max: usize) -> String {
    if s.chars().count() <= max {
        s.to_string()
    } else {
        let mut t: String = s.chars().take(max - 1).collect();
        t.push('…');
        t
    }
}

#[cfg(test)]
mod tests {
    use super::escape;

    #[test]
    fn escapes_markup() {
        assert_eq!(
            escape("<b a=\"x\">Tom's & Jerry's</b>"),
            "&lt;b a=&quot;x&quot;&gt;Tom&#39;s &amp; Jerry&#39;s&lt;/b&gt;"
        );
    }
}
