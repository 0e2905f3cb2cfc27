//! The campaign's own form and a draft's facts, shared by the interview crate's tests.

use std::sync::Arc;

use fieldline_form::instance::Plan;
use fieldline_form::{Attachments, Form};
use fieldline_interview::DraftFacts;

pub fn kap() -> Arc<Plan> {
    let path = concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../../../shared/forms/fieldline/safe_migration_kap.xlsx"
    );
    let bytes = std::fs::read(path).expect("the shared forms sit next to the repository");
    let form = Form::from_xlsform(&bytes, &Attachments::new()).expect("the KAP form loads");
    Arc::new(Plan::new(Arc::new(form)))
}

pub fn facts() -> DraftFacts {
    DraftFacts {
        instance_id: "0193a5b2-7c4d-7e8f-9a0b-1c2d3e4f5a6b".into(),
        form_id: "safe_migration_kap".into(),
        form_version: "2026112201".into(),
        created_at: 1_795_624_663_910,
        utc_offset_minutes: 345,
        device_id: "fieldline:test".into(),
        username: "Asha".into(),
    }
}
