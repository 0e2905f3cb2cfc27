//! Workbooks the fuzz targets (fuzz/, `cargo xtask fuzz`) found to crash the reader, kept as
//! they were found in fuzz/regressions/: each must be refused with a problem in words.

use fieldline_form::{Attachments, Form};

/// The one problem a damaged workbook gets.
fn refusal(bytes: &[u8]) -> String {
    let errors = Form::from_xlsform(bytes, &Attachments::new())
        .expect_err("a damaged workbook must be refused");
    errors.to_string()
}

#[test]
fn an_xls_whose_sector_table_points_past_its_end_is_refused_not_a_panic() {
    // 7 KB of an .xls cut and spliced by libFuzzer: calamine's compound-file reader sliced
    // outside it ("slice index starts at 6656 but ends at 6546").
    // The second, 19 KB, was found after the first was fixed: the same slice, elsewhere.
    let found: [&[u8]; 2] = [
        include_bytes!("../../../fuzz/regressions/xlsform_bytes-xls-sector-out-of-range.xls"),
        include_bytes!("../../../fuzz/regressions/xlsform_bytes-xls-sector-out-of-range-2.xls"),
    ];
    for bytes in found {
        let message = refusal(bytes);
        assert!(
            message.contains("the .xls workbook could not be read: it is damaged"),
            "{message}"
        );
        assert!(message.contains("save it again as .xlsx"), "{message}");
    }
}

#[test]
fn an_xls_whose_sector_chain_loops_is_refused_before_it_fills_memory() {
    // 24 KB that made calamine's compound-file reader append the same sectors until it held
    // 3 GB: its directory's sector chain leads back into itself.
    let bytes = include_bytes!("../../../fuzz/regressions/xlsform_bytes-xls-sector-chain-loop.xls");
    let message = refusal(bytes);
    assert!(
        message.contains("the .xls workbook could not be read: it is damaged (its sector chain"),
        "{message}"
    );
    assert!(message.contains("loops"), "{message}");
}

/// A survey sheet with its header, plus `far` values in the last column of the first rows.
fn survey_with_far_values(far_rows: u32, far_row_start: u32) -> Vec<u8> {
    let mut workbook = rust_xlsxwriter::Workbook::new();
    let survey = workbook.add_worksheet().set_name("survey").unwrap();
    for (column, header) in ["type", "name", "label"].into_iter().enumerate() {
        survey.write_string(0, column as u16, header).unwrap();
    }
    for (column, cell) in ["text", "q", "Q"].into_iter().enumerate() {
        survey.write_string(1, column as u16, cell).unwrap();
    }
    for row in far_row_start..far_row_start + far_rows {
        survey.write_string(row, 16_383, "far").unwrap();
    }
    workbook.save_to_buffer().unwrap()
}

#[test]
fn a_stray_value_in_the_last_cell_of_the_sheet_costs_no_more_than_its_row() {
    // 5 KB whose one value in XFD1048576 once asked for a 512 GiB rectangle, aborting the
    // process.
    let bytes = survey_with_far_values(1, 1_048_575);
    assert!(bytes.len() < 10_000, "{}", bytes.len());
    // A value in a row without a type, name or label is a note for humans: the form loads.
    let form = Form::from_xlsform(&bytes, &Attachments::new()).unwrap();
    assert!(form.find("q").is_some());
}

#[test]
fn a_sheet_spanning_more_than_the_cell_budget_is_refused_in_words() {
    // 300 rows reaching column XFD: 4.9 million cells, more than a form sheet may span.
    let message = refusal(&survey_with_far_values(300, 2));
    assert!(
        message.contains(&format!(
            "more than {} cells",
            fieldline_form::MAX_SHEET_CELLS
        )),
        "{message}"
    );
    assert!(message.contains("column XFD"), "{message}");
}

#[test]
fn an_xls_with_a_cell_past_the_last_column_is_refused_before_it_is_allocated() {
    // 81 KB from the fuzzer: a cell record placed far outside a sheet made calamine allocate the
    // whole rectangle up to it, which aborted the process. The cell records are checked first.
    let bytes =
        include_bytes!("../../../fuzz/regressions/xlsform_bytes-xls-sheet-rectangle-too-large.xls");
    let message = refusal(bytes);
    assert!(message.contains("past the last column"), "{message}");
}
