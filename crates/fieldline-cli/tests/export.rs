//! `fieldline export`: a campaign set up with `fieldline admin` on a fresh SQLite database,
//! KAP interviews stored as the server stores them (with 3, 1 and 0 instances of the
//! `migrants` repeat), and the round and its repeat exported in every format and read back
//! with independent readers (the csv crate, calamine, and pyreadstat in Python for Stata and
//! SPSS).

use std::path::Path;
use std::process::{Command, Output};

use fieldline_server::secrets::{enrollment_code_hash, sha256_hex};
use fieldline_server::storage::{
    open_storage, DatabaseUrl, Incoming, NewRound, Outcome, PayloadEncoding,
};

const CAMPAIGN: &str = "Safe migration 2026";
const AWKWARD: &str = "a \"quoted\", comma\nand newline";

/// An answer of 5,000 characters (15,000 bytes of Devanagari and ASCII): longer than a Stata
/// `str#` (2045 bytes) or an SPSS short string (255), so a strL and a very long string.
fn long_answer() -> String {
    let text: String = "नेपाल, migration सुरक्षित छ। "
        .chars()
        .cycle()
        .take(4999)
        .collect();
    // SPSS pads strings with spaces, so the answer ends with something else.
    format!("{text}!")
}

fn kap_form() -> &'static str {
    concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../../../shared/forms/fieldline/safe_migration_kap.xlsx"
    )
}

fn fieldline(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_fieldline"))
        .args(args)
        .env_remove("FIELDLINE_DB")
        .env("FIELDLINE_LOG", "warn")
        .output()
        .expect("the fieldline binary runs")
}

fn ok(args: &[&str]) -> String {
    let out = fieldline(args);
    assert!(
        out.status.success(),
        "fieldline {args:?} failed:\n{}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8(out.stdout).unwrap()
}

/// The three interviews: (instance id, values).
fn interviews() -> Vec<(&'static str, Vec<(&'static str, String)>)> {
    let long = long_answer();
    interview_values()
        .into_iter()
        .map(|(id, values)| {
            let values = values
                .into_iter()
                .map(|(path, value)| {
                    (
                        path,
                        if value == "LONG" {
                            long.clone()
                        } else {
                            value.into()
                        },
                    )
                })
                .collect();
            (id, values)
        })
        .collect()
}

/// The interviews' values, `LONG` standing for [`long_answer`].
fn interview_values() -> Vec<(&'static str, Vec<(&'static str, &'static str)>)> {
    vec![
        (
            "uuid:00000001-export",
            vec![
                ("/data/start", "2026-11-25T10:00:00.000+05:45"),
                ("/data/end", "2026-11-25T10:42:17.250+05:45"),
                ("/data/today", "2026-11-25"),
                ("/data/province", "koshi"),
                ("/data/municipality", "dharan"),
                ("/data/ward", "4"),
                ("/data/consent", "yes"),
                ("/data/about/gender", "woman"),
                ("/data/about/age", "22"),
                ("/data/about/education", "secondary"),
                ("/data/youth", "yes"),
                ("/data/know/heard_trafficking", "yes"),
                ("/data/know/channels", "radio other"),
                ("/data/know/channels_other", AWKWARD),
                ("/data/know/knows_hotline", "yes"),
                ("/data/know/hotline", "1145"),
                ("/data/know/before_leaving", "check_agency read_contract"),
                ("/data/views/view_debt", "1"),
                ("/data/views/view_report", "5"),
                ("/data/migrants[1]/m_relation", "brother"),
                ("/data/migrants[1]/m_country", "qatar"),
                ("/data/migrants[1]/m_contract", "no"),
                ("/data/migrants[2]/m_relation", "sister"),
                ("/data/migrants[2]/m_country", "uae"),
                ("/data/migrants[2]/m_contract", "yes"),
                ("/data/migrants[3]/m_relation", "son"),
                ("/data/migrants[3]/m_country", "malaysia"),
                ("/data/migrants[3]/m_contract", "no"),
                ("/data/n_without_contract", "2"),
                ("/data/end_note", ""),
                ("/data/meta/instanceID", "uuid:00000001-export"),
            ],
        ),
        (
            "uuid:00000002-export",
            vec![
                ("/data/province", "madhesh"),
                ("/data/municipality", "janakpur"),
                ("/data/ward", "12"),
                ("/data/consent", "yes"),
                ("/data/about/gender", "man"),
                ("/data/about/age", "47"),
                ("/data/about/education", "none"),
                ("/data/youth", "no"),
                ("/data/know/heard_trafficking", "no"),
                ("/data/know/channels_other", "LONG"),
                ("/data/know/knows_hotline", "dont_know"),
                ("/data/know/before_leaving", "nothing"),
                ("/data/views/view_debt", "4"),
                ("/data/views/view_report", "2"),
                ("/data/migrants[1]/m_relation", "father"),
                ("/data/migrants[1]/m_country", "qatar"),
                ("/data/migrants[1]/m_contract", "yes"),
                ("/data/n_without_contract", "0"),
                ("/data/meta/instanceID", "uuid:00000002-export"),
            ],
        ),
        (
            "uuid:00000003-export",
            vec![
                ("/data/province", "koshi"),
                ("/data/municipality", "biratnagar"),
                ("/data/ward", "1"),
                ("/data/consent", "no"),
                ("/data/youth", "no"),
                ("/data/n_without_contract", "0"),
                ("/data/meta/instanceID", "uuid:00000003-export"),
            ],
        ),
    ]
}

/// Enrolls a device with `code` and stores the interviews as accepted submissions.
fn store(db: &Path, code: &str) {
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    runtime.block_on(async {
        let storage = open_storage(&DatabaseUrl::Sqlite(db.to_owned()))
            .await
            .unwrap();
        let device = storage
            .enroll(
                &enrollment_code_hash(code),
                "fieldline:export-device",
                "Asha",
                "token-hash",
            )
            .await
            .unwrap();
        let round = storage.rounds(&device.campaign_id).await.unwrap().remove(0);
        let items: Vec<Incoming> = interviews()
            .into_iter()
            .enumerate()
            .map(|(i, (instance_id, values))| {
                // Format 1, keys in their fixed order.
                let payload = serde_json::to_vec(&serde_json::json!({
                    "format": 1,
                    "form_id": round.form_id,
                    "form_version": round.form_version,
                    "instance_id": instance_id,
                    "device_id": "fieldline:export-device",
                    "username": "Asha",
                    "start": "2026-11-25T04:15:00.000Z",
                    "end": "2026-11-25T04:30:00.000Z",
                    "values": values,
                }))
                .unwrap();
                Incoming {
                    device: device.id.clone(),
                    instance_id: instance_id.into(),
                    device_seq: i as i64 + 1,
                    form_id: round.form_id.clone(),
                    form_version: round.form_version.clone(),
                    round_id: Some(round.id.clone()),
                    sha256: sha256_hex(&payload),
                    encoding: PayloadEncoding::Json,
                    payload,
                    attachments: "[]".into(),
                    rejection: None,
                }
            })
            .collect();
        assert_eq!(
            storage.store_submissions(items).await.unwrap(),
            vec![Outcome::Accepted; 3]
        );
    })
}

const HEADER: [&str; 25] = [
    "start",
    "end",
    "today",
    "deviceid",
    "province",
    "municipality",
    "ward",
    "consent",
    "gender",
    "age",
    "education",
    "youth",
    "heard_trafficking",
    "channels",
    "channels_other",
    "knows_hotline",
    "hotline",
    "before_leaving",
    "view_debt",
    "view_report",
    "n_without_contract",
    "instanceID",
    "instance_id",
    "device",
    "received_at",
];

fn col(name: &str) -> usize {
    HEADER.iter().position(|h| *h == name).unwrap()
}

/// pyreadstat's view of a .dta or .sav file, as JSON.
fn pyreadstat(path: &Path) -> serde_json::Value {
    const SCRIPT: &str = r#"
import datetime, json, math, sys
import pandas as pd
import pyreadstat
path = sys.argv[1]
read = pyreadstat.read_dta if path.endswith(".dta") else pyreadstat.read_sav
df, meta = read(path)
def plain(v):
    if v is pd.NaT:
        return None
    # Datetimes to the millisecond (SPSS stores seconds as a double), dates as ISO text.
    if isinstance(v, datetime.datetime):
        return pd.Timestamp(v).round("ms").isoformat(timespec="milliseconds")
    if isinstance(v, datetime.date):
        return v.isoformat()
    v = v.item() if hasattr(v, "item") else v
    if isinstance(v, float):
        if math.isnan(v):
            return None
        if v == int(v):
            return int(v)
    return v
print(json.dumps({
    "names": meta.column_names,
    "labels": meta.column_labels,
    "value_labels": {k: {str(int(c)): l for c, l in v.items()}
                     for k, v in meta.variable_value_labels.items()},
    "rows": [[plain(v) for v in row] for row in df.itertuples(index=False)],
}))
"#;
    // `cargo xtask test` finds or installs a Python with pyreadstat and names it here.
    let interpreter = std::env::var("FIELDLINE_PYTHON").unwrap_or_else(|_| "python3".into());
    let python = Command::new(&interpreter)
        .args(["-c", "import pyreadstat"])
        .output();
    match python {
        Ok(out) if out.status.success() => {}
        _ => panic!(
            "reading .dta and .sav back needs Python with pyreadstat ({interpreter} has none): \
             run the tests through `cargo xtask test`, which installs it"
        ),
    }
    let out = Command::new(&interpreter)
        .args(["-c", SCRIPT])
        .arg(path)
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "pyreadstat cannot read {}:\n{}",
        path.display(),
        String::from_utf8_lossy(&out.stderr)
    );
    serde_json::from_slice(&out.stdout).unwrap()
}

/// A fresh database with the campaign, its baseline round and the interviews stored.
struct Round {
    dir: tempfile::TempDir,
    db: String,
}

impl Round {
    fn new() -> Self {
        let dir = tempfile::tempdir().unwrap();
        let db_path = dir.path().join("server.sqlite3");
        let db = format!("sqlite:{}", db_path.display());
        let admin = |args: &[&str]| {
            let mut all = vec!["admin", "--db", &db];
            all.extend_from_slice(args);
            ok(&all)
        };
        admin(&["org", "create", "Owner NGO"]);
        admin(&[
            "campaign",
            "create",
            "--owner",
            "Owner NGO",
            "--name",
            CAMPAIGN,
        ]);
        admin(&[
            "round",
            "create",
            "--campaign",
            CAMPAIGN,
            "--name",
            "baseline",
            "--form",
            kap_form(),
        ]);
        let code = admin(&["enroll-code", "--campaign", CAMPAIGN, "--org", "Owner NGO"]);
        store(&db_path, code.trim());
        Round { dir, db }
    }

    /// The same campaign and interviews, its form's nodes named in `sensitive` marked so (as
    /// the survey sheet's `sensitive` column marks them), set up through the storage.
    fn with_sensitive(sensitive: &[&str]) -> Self {
        let dir = tempfile::tempdir().unwrap();
        let db_path = dir.path().join("server.sqlite3");
        let xlsform = std::fs::read(kap_form()).unwrap();
        let mut form = fieldline_form::Form::from_xlsform_named(
            kap_form(),
            &xlsform,
            &fieldline_form::Attachments::new(),
        )
        .unwrap();
        for node in form.nodes.iter_mut() {
            node.sensitive = sensitive.contains(&node.name.as_str());
        }
        let runtime = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .unwrap();
        runtime.block_on(async {
            let storage = open_storage(&DatabaseUrl::Sqlite(db_path.clone()))
                .await
                .unwrap();
            let org = storage.create_organization("Owner NGO").await.unwrap();
            let campaign = storage.create_campaign(&org.id, CAMPAIGN).await.unwrap();
            storage
                .create_round(NewRound {
                    campaign_id: campaign.id.clone(),
                    name: "baseline".into(),
                    form_id: form.settings.form_id.clone(),
                    form_version: form.settings.version.clone().unwrap_or_default(),
                    title: form.settings.form_title.clone(),
                    file_name: "safe_migration_kap.xlsx".into(),
                    sha256: sha256_hex(&xlsform),
                    definition: serde_json::to_string(&form).unwrap(),
                    xlsform,
                })
                .await
                .unwrap();
            storage
                .create_enrollment_codes(&campaign.id, &org.id, &[enrollment_code_hash("code")])
                .await
                .unwrap();
        });
        store(&db_path, "code");
        let db = format!("sqlite:{}", db_path.display());
        Round { dir, db }
    }

    /// Runs `fieldline export` of the baseline (with `extra` arguments) to `file` in the
    /// round's directory; returns the file and what the command said.
    fn export(&self, file: &str, format: &str, extra: &[&str]) -> (std::path::PathBuf, Output) {
        let out = self.dir.path().join(file);
        let shown = out.to_str().unwrap().to_owned();
        let mut args = vec![
            "export",
            "--db",
            &self.db,
            "--campaign",
            CAMPAIGN,
            "--round",
            "baseline",
            "--format",
            format,
            "--out",
            &shown,
        ];
        args.extend_from_slice(extra);
        let result = fieldline(&args);
        (out, result)
    }

    /// Exports successfully and checks the count the command reports.
    fn exported(&self, file: &str, format: &str, extra: &[&str], said: &str) -> std::path::PathBuf {
        let (out, result) = self.export(file, format, extra);
        let stderr = String::from_utf8_lossy(&result.stderr);
        assert!(
            result.status.success(),
            "fieldline export {format} {extra:?} failed:\n{stderr}"
        );
        assert!(stderr.contains(said), "{stderr}");
        out
    }
}

#[test]
fn a_round_exports_to_csv_xlsx_dta_and_sav() {
    let round = Round::new();
    let export = |format: &str| {
        round.exported(
            &format!("baseline.{format}"),
            format,
            &[],
            "3 submission(s)",
        )
    };
    let long = long_answer();
    assert_eq!(long.chars().count(), 5000);

    // CSV: the header is the form's fields then the server's; one row per submission.
    let csv_path = export("csv");
    let mut reader = csv::Reader::from_path(&csv_path).unwrap();
    assert_eq!(reader.headers().unwrap().iter().collect::<Vec<_>>(), HEADER);
    let rows: Vec<csv::StringRecord> = reader.records().map(Result::unwrap).collect();
    assert_eq!(rows.len(), 3);
    assert_eq!(&rows[0][col("channels")], "radio other");
    assert_eq!(&rows[0][col("channels_other")], AWKWARD);
    assert_eq!(
        &rows[0][col("before_leaving")],
        "check_agency read_contract"
    );
    assert_eq!(&rows[0][col("age")], "22");
    assert_eq!(&rows[0][col("n_without_contract")], "2");
    // Dates and times as ODK writes them, offset included.
    assert_eq!(&rows[0][col("start")], "2026-11-25T10:00:00.000+05:45");
    assert_eq!(&rows[0][col("today")], "2026-11-25");
    assert_eq!(rows[1][col("channels_other")], long);
    assert_eq!(&rows[0][col("instance_id")], "uuid:00000001-export");
    assert_eq!(&rows[0][col("device")], "fieldline:export-device");
    assert!(rows[0][col("received_at")].contains('T'));
    assert_eq!(&rows[1][col("province")], "madhesh");
    assert_eq!(&rows[2][col("gender")], "");
    assert!(!rows[0].iter().any(|v| v == "brother"), "repeats stay out");

    // XLSX: the same table, numbers as numbers.
    {
        use calamine::{Data, Reader as _};
        let mut book: calamine::Xlsx<_> = calamine::open_workbook(export("xlsx")).unwrap();
        let range = book.worksheet_range("data").unwrap();
        let cells: Vec<Vec<Data>> = range.rows().map(<[Data]>::to_vec).collect();
        assert_eq!(cells.len(), 4);
        let header: Vec<String> = cells[0].iter().map(|c| c.to_string()).collect();
        assert_eq!(header, HEADER);
        assert_eq!(cells[1][col("age")], Data::Float(22.0));
        assert_eq!(cells[1][col("view_report")], Data::Float(5.0));
        assert_eq!(
            cells[1][col("channels_other")],
            Data::String(AWKWARD.into())
        );
        assert_eq!(
            cells[2][col("municipality")],
            Data::String("janakpur".into())
        );
        assert_eq!(
            cells[1][col("start")],
            Data::String("2026-11-25T10:00:00.000+05:45".into())
        );
        assert_eq!(cells[2][col("channels_other")], Data::String(long.clone()));
        assert_eq!(cells[3][col("age")], Data::Empty);
    }

    // Stata and SPSS: names, variable labels, value labels and values as pyreadstat reads them.
    for format in ["dta", "sav"] {
        let seen = pyreadstat(&export(format));
        let names: Vec<&str> = seen["names"]
            .as_array()
            .unwrap()
            .iter()
            .map(|n| n.as_str().unwrap())
            .collect();
        assert_eq!(names, HEADER, "{format}");
        let labels = &seen["labels"];
        assert_eq!(labels[col("age")], "Age", "{format}");
        assert_eq!(labels[col("ward")], "Ward number", "{format}");
        assert_eq!(
            labels[col("view_debt")],
            "Someone who borrowed for the journey must accept any work offered.",
            "{format}"
        );
        assert_eq!(
            labels[col("instance_id")],
            serde_json::Value::Null,
            "{format}"
        );
        let agree = serde_json::json!({
            "1": "Strongly disagree", "2": "Disagree", "3": "Neither", "4": "Agree",
            "5": "Strongly agree"
        });
        assert_eq!(
            seen["value_labels"],
            serde_json::json!({"view_debt": agree, "view_report": agree}),
            "{format}"
        );
        let rows = seen["rows"].as_array().unwrap();
        assert_eq!(rows.len(), 3, "{format}");
        let first = &rows[0];
        assert_eq!(first[col("province")], "koshi", "{format}");
        assert_eq!(first[col("age")], 22, "{format}");
        assert_eq!(first[col("hotline")], 1145, "{format}");
        assert_eq!(first[col("view_debt")], 1, "{format}");
        assert_eq!(first[col("view_report")], 5, "{format}");
        assert_eq!(first[col("channels")], "radio other", "{format}");
        assert_eq!(first[col("channels_other")], AWKWARD, "{format}");
        assert_eq!(
            first[col("instance_id")],
            "uuid:00000001-export",
            "{format}"
        );
        assert_eq!(rows[1][col("education")], "none", "{format}");
        // Whole, byte for byte: a strL in Stata, a very long string in SPSS.
        assert_eq!(rows[1][col("channels_other")], long.as_str(), "{format}");
        // Dates and datetimes, the local time as recorded (the +05:45 offset set aside).
        assert_eq!(first[col("today")], "2026-11-25", "{format}");
        assert_eq!(first[col("start")], "2026-11-25T10:00:00.000", "{format}");
        assert_eq!(first[col("end")], "2026-11-25T10:42:17.250", "{format}");
        assert_eq!(rows[1][col("start")], serde_json::Value::Null, "{format}");
        let received = first[col("received_at")].as_str().unwrap();
        assert!(received.starts_with("20"), "{format}: {received}");
        assert_eq!(rows[2][col("age")], serde_json::Value::Null, "{format}");
        assert_eq!(
            rows[2][col("view_debt")],
            serde_json::Value::Null,
            "{format}"
        );
        assert_eq!(rows[2][col("gender")], "", "{format}");
    }

    // A round that does not exist is named with the ones that do, and no file is left.
    let missing = round.dir.path().join("endline.csv");
    let out = fieldline(&[
        "export",
        "--db",
        &round.db,
        "--campaign",
        CAMPAIGN,
        "--round",
        "endline",
        "--format",
        "csv",
        "--out",
        missing.to_str().unwrap(),
    ]);
    assert!(!out.status.success());
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("baseline"), "{err}");
    assert!(!missing.exists());
}

/// The migrants' table's header, as the form has it.
fn migrants_header(header: &[String]) -> impl Fn(&str) -> usize + '_ {
    move |name| {
        header
            .iter()
            .position(|h| h == name)
            .unwrap_or_else(|| panic!("no column {name} in {header:?}"))
    }
}

/// (PARENT_KEY, KEY, m_relation, m_country) of each row, as every format must hold them.
fn expected_migrants() -> Vec<[&'static str; 4]> {
    vec![
        [
            "uuid:00000001-export",
            "uuid:00000001-export/migrants[1]",
            "brother",
            "qatar",
        ],
        [
            "uuid:00000001-export",
            "uuid:00000001-export/migrants[2]",
            "sister",
            "uae",
        ],
        [
            "uuid:00000001-export",
            "uuid:00000001-export/migrants[3]",
            "son",
            "malaysia",
        ],
        [
            "uuid:00000002-export",
            "uuid:00000002-export/migrants[1]",
            "father",
            "qatar",
        ],
    ]
}

#[test]
fn a_repeat_exports_a_row_per_instance_in_every_format() {
    let round = Round::new();
    let said = "4 instance(s) of repeat \"migrants\" from 3 submission(s)";
    let picked = |cells: &[Vec<String>]| -> Vec<[String; 4]> {
        let header = &cells[0];
        let at = migrants_header(header);
        assert_eq!(header[header.len() - 2..], ["PARENT_KEY", "KEY"]);
        assert!(!header.iter().any(|h| h == "province"), "{header:?}");
        cells[1..]
            .iter()
            .map(|row| ["PARENT_KEY", "KEY", "m_relation", "m_country"].map(|n| row[at(n)].clone()))
            .collect()
    };
    let expected: Vec<[String; 4]> = expected_migrants()
        .into_iter()
        .map(|row| row.map(str::to_owned))
        .collect();

    // Interviews with 3, 1 and 0 migrants: four rows, keyed back to their submissions.
    let csv_path = round.exported("migrants.csv", "csv", &["--repeat", "migrants"], said);
    let mut reader = csv::ReaderBuilder::new()
        .has_headers(false)
        .from_path(&csv_path)
        .unwrap();
    let cells: Vec<Vec<String>> = reader
        .records()
        .map(|r| r.unwrap().iter().map(str::to_owned).collect())
        .collect();
    assert_eq!(picked(&cells), expected, "csv");

    {
        use calamine::{Data, Reader as _};
        let path = round.exported("migrants.xlsx", "xlsx", &["--repeat", "migrants"], said);
        let mut book: calamine::Xlsx<_> = calamine::open_workbook(path).unwrap();
        let range = book.worksheet_range("data").unwrap();
        let cells: Vec<Vec<String>> = range
            .rows()
            .map(|row| row.iter().map(Data::to_string).collect())
            .collect();
        assert_eq!(picked(&cells), expected, "xlsx");
    }

    for format in ["dta", "sav"] {
        let path = round.exported(
            &format!("migrants.{format}"),
            format,
            &["--repeat", "migrants"],
            said,
        );
        let seen = pyreadstat(&path);
        let mut cells = vec![seen["names"]
            .as_array()
            .unwrap()
            .iter()
            .map(|n| n.as_str().unwrap().to_owned())
            .collect::<Vec<_>>()];
        for row in seen["rows"].as_array().unwrap() {
            cells.push(
                row.as_array()
                    .unwrap()
                    .iter()
                    .map(|v| v.as_str().map_or_else(|| v.to_string(), str::to_owned))
                    .collect(),
            );
        }
        assert_eq!(picked(&cells), expected, "{format}");
    }
}

#[test]
fn an_unknown_repeat_is_named_with_the_forms_repeats() {
    let round = Round::new();
    let (out, result) = round.export("children.csv", "csv", &["--repeat", "children"]);
    assert!(!result.status.success());
    let err = String::from_utf8_lossy(&result.stderr);
    assert!(err.contains("no repeat named \"children\""), "{err}");
    assert!(err.contains("its repeats: migrants"), "{err}");
    assert!(!out.exists());
}

#[test]
fn sensitive_fields_are_left_out_unless_asked_for() {
    let round = Round::with_sensitive(&["ward", "m_relation"]);
    let header_and_rows = |path: &Path| {
        let mut reader = csv::Reader::from_path(path).unwrap();
        let header: Vec<String> = reader
            .headers()
            .unwrap()
            .iter()
            .map(str::to_owned)
            .collect();
        let rows: Vec<Vec<String>> = reader
            .records()
            .map(|r| r.unwrap().iter().map(str::to_owned).collect())
            .collect();
        (header, rows)
    };

    // By default: the columns are gone, the command says which, and the rest is as before.
    let (out, result) = round.export("safe.csv", "csv", &[]);
    let said = String::from_utf8_lossy(&result.stderr);
    assert!(result.status.success(), "{said}");
    assert!(
        said.contains("left out 1 field(s) the form marks sensitive: ward"),
        "{said}"
    );
    let (header, rows) = header_and_rows(&out);
    let expected: Vec<&str> = HEADER.into_iter().filter(|h| *h != "ward").collect();
    assert_eq!(header, expected);
    assert_eq!(rows.len(), 3);
    let migrants = round.exported(
        "safe-migrants.csv",
        "csv",
        &["--repeat", "migrants"],
        "m_relation",
    );
    let (header, rows) = header_and_rows(&migrants);
    assert!(!header.iter().any(|h| h == "m_relation"), "{header:?}");
    assert!(header.iter().any(|h| h == "KEY"), "{header:?}");
    assert_eq!(rows.len(), 4);

    // Asked for: the full table, without a word about sensitive fields.
    let (out, result) = round.export("full.csv", "csv", &["--include-sensitive"]);
    let said = String::from_utf8_lossy(&result.stderr);
    assert!(result.status.success(), "{said}");
    assert!(!said.contains("sensitive"), "{said}");
    assert_eq!(header_and_rows(&out).0, HEADER);
}
