//! The XLSX workbook: a summary sheet (the whole sample, one row per indicator) and one sheet
//! per indicator with every group. Proportions are numbers formatted as percentages, so they
//! stay usable in formulas.

use std::collections::HashSet;

use rust_xlsxwriter::{Format, Workbook, Worksheet, XlsxError};

use super::{change_sentence, csv_headers, group_key, group_title, table, Cell};
use crate::error::AnalysisError;
use crate::report::Report;

pub fn xlsx(report: &Report) -> Result<Vec<u8>, AnalysisError> {
    build(report).map_err(|e| AnalysisError::Render(e.to_string()))
}

fn build(report: &Report) -> Result<Vec<u8>, XlsxError> {
    let meta = &report.meta;
    let bold = Format::new().set_bold();
    let pct = Format::new().set_num_format("0.0%");
    let num = Format::new().set_num_format("0.0000");
    let mut wb = Workbook::new();

    let mut names = HashSet::new();
    names.insert("summary".to_string());
    let summary = wb.add_worksheet().set_name("Summary")?;
    summary.write_string_with_format(0, 0, &meta.title, &bold)?;
    summary.write_string(
        1,
        0,
        format!(
            "Baseline: {} ({} submissions). Endline: {} ({} submissions).",
            meta.baseline_file, meta.baseline_rows, meta.endline_file, meta.endline_rows
        ),
    )?;
    summary.write_string(
        2,
        0,
        format!("Method: {}. 95% confidence intervals.", meta.design),
    )?;
    let heads = [
        "indicator",
        "label",
        "baseline_n",
        "baseline_p",
        "endline_n",
        "endline_p",
        "change",
        "change_ci_low",
        "change_ci_high",
        "p_value",
        "in words",
    ];
    for (c, h) in heads.iter().enumerate() {
        summary.write_string_with_format(4, c as u16, *h, &bold)?;
    }
    let mut r = 5;
    for ind in &report.indicators {
        let Some(g) = ind.groups.iter().find(|g| g.group.is_empty()) else {
            continue;
        };
        summary.write_string(r, 0, &ind.name)?;
        summary.write_string(r, 1, &ind.label)?;
        summary.write_number(r, 2, g.baseline.n as f64)?;
        write_opt(summary, r, 3, g.baseline.p, &pct)?;
        summary.write_number(r, 4, g.endline.n as f64)?;
        write_opt(summary, r, 5, g.endline.p, &pct)?;
        write_opt(summary, r, 6, g.diff.estimate, &pct)?;
        write_opt(summary, r, 7, g.diff.ci_low, &pct)?;
        write_opt(summary, r, 8, g.diff.ci_high, &pct)?;
        write_opt(summary, r, 9, g.diff.p_value, &num)?;
        summary.write_string(r, 10, change_sentence(g))?;
        r += 1;
    }
    summary.set_column_width(0, 22)?;
    summary.set_column_width(1, 48)?;
    summary.set_column_width(10, 40)?;

    let headers = csv_headers(meta);
    let rows = table(report);
    let mut row_iter = rows.into_iter();
    for ind in &report.indicators {
        let name = sheet_name(&ind.name, &mut names);
        let ws = wb.add_worksheet().set_name(&name)?;
        ws.write_string_with_format(0, 0, &ind.label, &bold)?;
        ws.write_string(1, 0, &ind.name)?;
        // The flattened columns without indicator and label, then the change in words.
        let shown = &headers[2..];
        ws.write_string_with_format(3, 0, "group", &bold)?;
        for (c, h) in shown.iter().enumerate() {
            ws.write_string_with_format(3, c as u16 + 1, *h, &bold)?;
        }
        ws.write_string_with_format(3, shown.len() as u16 + 1, "in words", &bold)?;
        for (i, g) in ind.groups.iter().enumerate() {
            let r = 4 + i as u32;
            let cells = row_iter.next().unwrap_or_default();
            ws.write_string(r, 0, group_title(meta, g))?;
            let (column, value) = group_key(g);
            ws.write_string(r, 1, column)?;
            ws.write_string(r, 2, value)?;
            for (c, cell) in cells.iter().enumerate().skip(4) {
                let col = c as u16 - 1;
                let is_prop = headers[c].ends_with("_p")
                    || headers[c].contains("ci_")
                    || headers[c].ends_with("_estimate");
                match cell {
                    Cell::Text(s) => {
                        ws.write_string(r, col, s)?;
                    }
                    Cell::Count(n) => {
                        ws.write_number(r, col, *n as f64)?;
                    }
                    Cell::Number(x) if is_prop => {
                        ws.write_number_with_format(r, col, *x, &pct)?;
                    }
                    Cell::Number(x) => {
                        ws.write_number_with_format(r, col, *x, &num)?;
                    }
                    Cell::Null => {}
                }
            }
            ws.write_string(r, shown.len() as u16 + 1, change_sentence(g))?;
        }
        ws.set_column_width(0, 28)?;
        ws.set_freeze_panes(4, 1)?;
    }
    wb.save_to_buffer()
}

fn write_opt(
    ws: &mut Worksheet,
    r: u32,
    c: u16,
    x: Option<f64>,
    f: &Format,
) -> Result<(), XlsxError> {
    if let Some(x) = x.filter(|v| v.is_finite()) {
        ws.write_number_with_format(r, c, x, f)?;
    }
    Ok(())
}

/// Excel's rules: at most 31 characters, none of `[]:*?/\`, unique ignoring case.
fn sheet_name(name: &str, taken: &mut HashSet<String>) -> String {
    let clean: String = name
        .chars()
        .map(|c| if "[]:*?/\\".contains(c) { '_' } else { c })
        .collect();
    let clean = clean.trim_matches('\'');
    let base: String = clean.chars().take(31).collect();
    let base = if base.is_empty() {
        "indicator".to_string()
    } else {
        base
    };
    let mut candidate = base.clone();
    let mut k = 2;
    while !taken.insert(candidate.to_lowercase()) {
        let suffix = format!("~{k}");
        let keep = 31 - suffix.len();
        candidate = format!("{}{suffix}", base.chars().take(keep).collect::<String>());
        k += 1;
    }
    candidate
}

#[cfg(test)]
mod tests {
    use super::sheet_name;
    use std::collections::HashSet;

    #[test]
    fn sheet_names_are_valid_and_unique() {
        let mut taken = HashSet::new();
        taken.insert("summary".to_string());
        assert_eq!(sheet_name("Summary", &mut taken), "Summary~2");
        let long = "a".repeat(40);
        assert_eq!(sheet_name(&long, &mut taken).len(), 31);
        assert_eq!(
            sheet_name(&long, &mut taken),
            format!("{}~2", "a".repeat(29))
        );
        assert_eq!(sheet_name("x/y", &mut taken), "x_y");
    }
}
