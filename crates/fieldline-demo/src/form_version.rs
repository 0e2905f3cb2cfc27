//! The endline's copy of the questionnaire: a round publishes one form version, so the endline
//! asks the same questions under the next version, as a campaign republishes its questionnaire.

use std::path::Path;

use anyhow::Context as _;
use calamine::{open_workbook_auto, Data, Reader};

/// Copies an XLSForm with its `version` setting increased by one (a number) or suffixed with
/// `-next` (anything else): every sheet's cells as text, which is how XLSForms are read.
pub fn with_next_version(source: &Path, target: &Path) -> anyhow::Result<()> {
    let mut workbook =
        open_workbook_auto(source).with_context(|| format!("cannot read {}", source.display()))?;
    let mut out = rust_xlsxwriter::Workbook::new();
    for name in workbook.sheet_names() {
        let range = workbook.worksheet_range(&name)?;
        let sheet = out.add_worksheet();
        sheet.set_name(&name)?;
        let mut version_column = None;
        for (r, row) in range.rows().enumerate() {
            for (c, cell) in row.iter().enumerate() {
                let mut text = match cell {
                    Data::Empty => continue,
                    Data::Float(f) if f.fract() == 0.0 => format!("{}", *f as i64),
                    other => other.to_string(),
                };
                if name == "settings" && r == 0 && text.trim() == "version" {
                    version_column = Some(c);
                }
                if name == "settings" && r == 1 && Some(c) == version_column {
                    text = match text.trim().parse::<u64>() {
                        Ok(n) => (n + 1).to_string(),
                        Err(_) => format!("{}-next", text.trim()),
                    };
                }
                sheet.write_string(r as u32, c as u16, &text)?;
            }
        }
    }
    out.save(target)
        .with_context(|| format!("cannot write {}", target.display()))?;
    Ok(())
}
