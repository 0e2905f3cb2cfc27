//! Helpers shared by the store's integration tests: real SQLite files, the real campaign form.
#![allow(dead_code)] // each test file uses its own subset

use std::path::Path;

use fieldline_device_store::{DeviceStore, DATABASE_FILE};

pub const KAP_FILE: &str = "safe_migration_kap.xlsx";

/// Nepal's offset from UTC (UTC+05:45), where the campaign form is used.
pub const NEPAL: i32 = 345;

pub fn kap() -> Vec<u8> {
    let path = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../../../shared/forms/fieldline")
        .join(KAP_FILE);
    std::fs::read(path).unwrap()
}

/// A store with the KAP form imported and a user name set; returns (store, form id, version).
pub fn store(dir: &Path) -> (DeviceStore, String, String) {
    let store = DeviceStore::open(dir).unwrap();
    store.set_username("Asha").unwrap();
    let form = store.import_form(KAP_FILE, &kap()).unwrap();
    (store, form.form_id, form.version)
}

pub fn answer_all(store: &mut DeviceStore, id: &str, answers: &[(&str, &str)]) {
    for (key, value) in answers {
        store.record_answer(id, key, value).unwrap();
    }
}

/// Answers of a consent refused: the interview ends there.
pub const REFUSED: &[(&str, &str)] = &[
    ("province", "koshi"),
    ("municipality", "dharan"),
    ("ward", "5"),
    ("consent", "no"),
];

pub fn raw(dir: &Path) -> rusqlite::Connection {
    rusqlite::Connection::open(dir.join(DATABASE_FILE)).unwrap()
}

pub fn count(dir: &Path, table: &str) -> i64 {
    raw(dir)
        .query_row(&format!("SELECT COUNT(*) FROM {table}"), [], |r| r.get(0))
        .unwrap()
}

/// A workbook from sheets of rows (every cell a string).
pub fn xlsx(sheets: &[(&str, &[&[&str]])]) -> Vec<u8> {
    let mut wb = rust_xlsxwriter::Workbook::new();
    // A fixed creation time: the same sheets are the same bytes (the same form version) however
    // long the test takes, instead of a version conflict when a second ticks over between two
    // builds of one form.
    let created = rust_xlsxwriter::ExcelDateTime::from_ymd(2026, 1, 1)
        .and_then(|d| d.and_hms(0, 0, 0))
        .unwrap();
    wb.set_properties(&rust_xlsxwriter::DocProperties::new().set_creation_datetime(&created));
    for (name, rows) in sheets {
        let ws = wb.add_worksheet();
        ws.set_name(*name).unwrap();
        for (r, row) in rows.iter().enumerate() {
            for (c, cell) in row.iter().enumerate() {
                if !cell.is_empty() {
                    ws.write_string(r as u32, c as u16, *cell).unwrap();
                }
            }
        }
    }
    wb.save_to_buffer().unwrap()
}
