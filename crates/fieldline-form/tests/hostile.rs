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
    let bytes =
        include_bytes!("../../../fuzz/regressions/xlsform_bytes-xls-sector-out-of-range.xls");
    let message = refusal(bytes);
    assert!(
        message.contains("the .xls workbook could not be read: it is damaged"),
        "{message}"
    );
    assert!(message.contains("save it again as .xlsx"), "{message}");
}
