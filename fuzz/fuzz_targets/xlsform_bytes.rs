//! The XLSForm reader on arbitrary bytes: `.xlsx` (a zip of XML) and legacy `.xls` (a
//! compound file), told apart by content. Whatever the bytes, the reader answers with a form or
//! with problems; it never panics or overflows. A form that loads also survives its stored
//! (JSON) round trip and compiles into the engine's plan.
#![no_main]

use std::sync::Arc;

use fieldline_form::instance::Plan;
use fieldline_form::{Attachments, Form};
use libfuzzer_sys::fuzz_target;

fuzz_target!(
    init: {
        // The reader turns a panic inside calamine into a "damaged workbook" problem
        // (catch_unwind); libFuzzer's hook would abort on the panic before that, so the default
        // hook comes back. A panic that escapes the reader still aborts: fuzz_target! catches
        // it and aborts, which libFuzzer reports as a crash.
        drop(std::panic::take_hook());
    },
    |bytes: &[u8]| {
    if let Ok(form) = Form::from_xlsform(bytes, &Attachments::new()) {
        let stored = serde_json::to_string(&form).expect("a form serializes");
        let loaded: Form = serde_json::from_str(&stored).expect("a stored form loads");
        assert_eq!(loaded, form, "the stored form differs from the read one");
        let _ = Plan::new(Arc::new(form));
    }
});
