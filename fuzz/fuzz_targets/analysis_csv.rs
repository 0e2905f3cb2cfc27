//! `fieldline analyze`'s CSV reader on arbitrary bytes, for a small form with indicators, a
//! breakdown, clusters and weights: a round or an error naming the file, row and column, never
//! a panic.
#![no_main]

use std::sync::OnceLock;

use fieldline_analysis::{read_round, Analysis, Spec};
use fieldline_form::{Attachments, Form};
use libfuzzer_sys::fuzz_target;
use rust_xlsxwriter::Workbook;

/// The seed CSV `cargo xtask fuzz` writes has these columns.
const SURVEY: &[[&str; 3]] = &[
    ["type", "name", "label"],
    ["select_one sex", "gender", "Sex"],
    ["integer", "age", "Age"],
    ["select_one yn", "heard", "Heard of trafficking"],
    ["select_multiple channel", "channels", "Channels"],
    ["text", "village", "Village"],
    ["decimal", "weight", "Weight"],
];
const CHOICES: &[[&str; 3]] = &[
    ["list_name", "name", "label"],
    ["sex", "f", "Female"],
    ["sex", "m", "Male"],
    ["yn", "yes", "Yes"],
    ["yn", "no", "No"],
    ["channel", "radio", "Radio"],
    ["channel", "friends", "Friends"],
];
const INDICATORS: &[[&str; 4]] = &[
    ["name", "label", "expression", "denominator"],
    ["heard", "Heard", "${heard} = 'yes'", ""],
    [
        "radio_youth",
        "Radio among youth",
        "selected(${channels}, 'radio')",
        "${age} <= 29",
    ],
];

fn analysis() -> &'static Analysis {
    static ANALYSIS: OnceLock<Analysis> = OnceLock::new();
    ANALYSIS.get_or_init(|| {
        let mut wb = Workbook::new();
        for (name, rows) in [
            (
                "survey",
                SURVEY.iter().map(|r| r.to_vec()).collect::<Vec<_>>(),
            ),
            ("choices", CHOICES.iter().map(|r| r.to_vec()).collect()),
            (
                "indicators",
                INDICATORS.iter().map(|r| r.to_vec()).collect(),
            ),
        ] {
            let ws = wb.add_worksheet().set_name(name).unwrap();
            for (r, row) in rows.iter().enumerate() {
                for (c, cell) in row.iter().enumerate() {
                    if !cell.is_empty() {
                        ws.write_string(r as u32, c as u16, *cell).unwrap();
                    }
                }
            }
        }
        let bytes = wb.save_to_buffer().unwrap();
        let form = Form::from_xlsform_named("kap.xlsx", &bytes, &Attachments::new())
            .unwrap_or_else(|e| panic!("the fuzz form does not load: {e}"));
        let spec = Spec {
            by: vec!["gender".into()],
            cluster: Some("village".into()),
            weight: Some("weight".into()),
            panel_id: None,
            now_millis: 1_714_904_430_123.0,
        };
        Analysis::new(form, spec).unwrap_or_else(|e| panic!("the fuzz analysis: {e}"))
    })
}

fuzz_target!(|bytes: &[u8]| {
    let _ = read_round(analysis(), "fuzz.csv", bytes);
});
