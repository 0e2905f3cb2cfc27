//! The XLSForm reader on well-formed workbooks with fuzzed contents: survey rows of known and
//! unknown types, names, labels, expressions and flags (`required`, `sensitive`), choices and
//! settings, written with rust_xlsxwriter as a spreadsheet program would. Raw bytes rarely get
//! past the zip layer; this reaches the survey, choices and expression code.
#![no_main]

use std::sync::Arc;

use arbitrary::Arbitrary;
use fieldline_form::instance::Plan;
use fieldline_form::{Attachments, Form};
use libfuzzer_sys::fuzz_target;
use rust_xlsxwriter::Workbook;

/// Types the reader knows, so most rows get past the type check.
const TYPES: &[&str] = &[
    "text",
    "integer",
    "decimal",
    "select_one yn",
    "select_multiple yn",
    "calculate",
    "note",
    "date",
    "geopoint",
    "begin_group",
    "end_group",
    "begin_repeat",
    "end_repeat",
    "begin group",
    "end group",
    "range",
    "rank yn",
];

/// Header spellings of the survey sheet, a few of them aliases.
const SURVEY_HEADERS: &[&str] = &[
    "type",
    "name",
    "label",
    "label::English (en)",
    "relevant",
    "required",
    "constraint",
    "constraint_message",
    "calculation",
    "choice_filter",
    "repeat_count",
    "default",
    "parameters",
    "appearance",
    "sensitive",
    "trigger",
];

#[derive(Debug, Arbitrary)]
enum Cell {
    Empty,
    /// One of the words the column expects (a known type, a yes/no, a reference).
    Known(u8),
    Number(f64),
    Text(String),
}

#[derive(Debug, Arbitrary)]
struct Input {
    /// Which of [`SURVEY_HEADERS`] the survey sheet has, in order.
    headers: Vec<u8>,
    survey: Vec<Vec<Cell>>,
    choices: Vec<(Cell, Cell, Cell)>,
    settings: Option<(Cell, Cell)>,
}

const WORDS: &[&str] = &[
    "yes", "no", "true", "1", "0", "${a}", "${b}", ". > 1", "a", "b", "yn", "true()",
];

fn write(ws: &mut rust_xlsxwriter::Worksheet, row: u32, col: u16, cell: &Cell, column: &str) {
    let known = |k: u8| {
        if column == "type" {
            TYPES[usize::from(k) % TYPES.len()]
        } else {
            WORDS[usize::from(k) % WORDS.len()]
        }
    };
    // Writing fails only past the sheet's limits, which the reader never sees then.
    let _ = match cell {
        Cell::Empty => return,
        Cell::Known(k) => ws.write_string(row, col, known(*k)),
        Cell::Number(n) => ws.write_number(row, col, *n),
        Cell::Text(t) => ws.write_string(row, col, t),
    };
}

fn workbook(input: &Input) -> Option<Vec<u8>> {
    let mut wb = Workbook::new();
    let headers: Vec<&str> = if input.headers.is_empty() {
        vec!["type", "name", "label"]
    } else {
        input
            .headers
            .iter()
            .take(SURVEY_HEADERS.len())
            .map(|h| SURVEY_HEADERS[usize::from(*h) % SURVEY_HEADERS.len()])
            .collect()
    };
    let survey = wb.add_worksheet().set_name("survey").ok()?;
    for (c, header) in headers.iter().enumerate() {
        survey.write_string(0, c as u16, *header).ok()?;
    }
    for (r, row) in input.survey.iter().take(200).enumerate() {
        for (c, cell) in row.iter().take(headers.len()).enumerate() {
            write(survey, r as u32 + 1, c as u16, cell, headers[c]);
        }
    }
    let choices = wb.add_worksheet().set_name("choices").ok()?;
    for (c, header) in ["list_name", "name", "label"].iter().enumerate() {
        choices.write_string(0, c as u16, *header).ok()?;
    }
    for (r, (list, name, label)) in input.choices.iter().take(100).enumerate() {
        let r = r as u32 + 1;
        write(choices, r, 0, list, "list_name");
        write(choices, r, 1, name, "name");
        write(choices, r, 2, label, "label");
    }
    if let Some((id, version)) = &input.settings {
        let settings = wb.add_worksheet().set_name("settings").ok()?;
        settings.write_string(0, 0, "form_id").ok()?;
        settings.write_string(0, 1, "version").ok()?;
        write(settings, 1, 0, id, "form_id");
        write(settings, 1, 1, version, "version");
    }
    wb.save_to_buffer().ok()
}

fuzz_target!(
    init: {
        // The reader turns a panic inside calamine into a "damaged workbook" problem
        // (catch_unwind); libFuzzer's hook would abort on the panic before that, so the default
        // hook comes back. A panic that escapes the reader still aborts: fuzz_target! catches
        // it and aborts, which libFuzzer reports as a crash.
        drop(std::panic::take_hook());
    },
    |input: Input| {
    let Some(bytes) = workbook(&input) else {
        return;
    };
    if let Ok(form) = Form::from_xlsform(&bytes, &Attachments::new()) {
        let stored = serde_json::to_string(&form).expect("a form serializes");
        let loaded: Form = serde_json::from_str(&stored).expect("a stored form loads");
        assert_eq!(loaded, form, "the stored form differs from the read one");
        let _ = Plan::new(Arc::new(form));
    }
});
