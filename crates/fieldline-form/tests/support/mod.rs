//! Building instances for the engine tests: small workbooks written on the fly, and the
//! shared real-world forms.

#![allow(dead_code)]

use std::sync::Arc;

use fieldline_form::instance::{Environment, Instance, InstanceNodeId};
use fieldline_form::{Attachments, Form};
use rust_xlsxwriter::{Formula, Workbook};

/// A workbook from sheets of rows. Cells that parse as numbers are written as numbers, as a
/// spreadsheet user typing them would get; `=FORMULA->RESULT` writes a formula with its cached
/// result, as a spreadsheet program saves it.
pub fn xlsx(sheets: &[(&str, &[&[&str]])]) -> Vec<u8> {
    let mut wb = Workbook::new();
    for (name, rows) in sheets {
        let ws = wb.add_worksheet();
        ws.set_name(*name).unwrap();
        for (r, row) in rows.iter().enumerate() {
            for (c, cell) in row.iter().enumerate() {
                if cell.is_empty() {
                    continue;
                }
                let (r, c) = (r as u32, c as u16);
                if let Some(f) = cell.strip_prefix('=') {
                    let (formula, result) = f.split_once("->").unwrap();
                    ws.write_formula(r, c, Formula::new(formula).set_result(result))
                        .unwrap();
                } else if let Ok(n) = cell.parse::<f64>() {
                    ws.write_number(r, c, n).unwrap();
                } else {
                    ws.write_string(r, c, *cell).unwrap();
                }
            }
        }
    }
    wb.save_to_buffer().unwrap()
}

pub fn env() -> Environment {
    Environment {
        // 2024-05-01T10:00:00Z
        now_millis: 1_714_557_600_000.0,
        utc_offset_minutes: 0,
        device_id: "tablet-7".into(),
        username: "asha".into(),
        seed: 42,
        ..Environment::default()
    }
}

/// An instance of a form given as sheets.
pub fn instance(sheets: &[(&str, &[&[&str]])]) -> Instance {
    let form = Form::from_xlsform(&xlsx(sheets), &Attachments::new())
        .unwrap_or_else(|e| panic!("the test form loads: {e}"));
    Instance::new(Arc::new(form), env())
}

/// An instance of a shared form, by its path under shared/forms.
pub fn shared(rel: &str) -> Instance {
    let path = format!("{}/../../../shared/forms/{rel}", env!("CARGO_MANIFEST_DIR"));
    let bytes = std::fs::read(&path).unwrap_or_else(|e| panic!("{path}: {e}"));
    let form = Form::from_xlsform_named(&path, &bytes, &Attachments::new())
        .unwrap_or_else(|e| panic!("{path} loads: {e}"));
    Instance::new(Arc::new(form), env())
}

/// The node of a key (name or path), adding repeat instances a path asks for.
pub fn node(inst: &mut Instance, key: &str) -> InstanceNodeId {
    inst.resolve_key(key)
        .unwrap_or_else(|e| panic!("{key}: {e}"))
}

/// Set answers, each of which must be taken.
pub fn answer(inst: &mut Instance, answers: &[(&str, &str)]) {
    for (k, v) in answers {
        inst.set_answer(k, v)
            .unwrap_or_else(|e| panic!("{k} = {v:?}: {e}"));
    }
}

/// The shown value of a key.
pub fn value(inst: &mut Instance, key: &str) -> String {
    let n = node(inst, key);
    inst.value(n).to_string()
}
