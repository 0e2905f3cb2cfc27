//! `cargo xtask bench --only analyze`: `fieldline analyze` on 1,000,000 submissions per round
//! with 20 indicators and 3 breakdowns, against pandas plus statsmodels doing the same work on
//! the same files (issue 6).
//!
//! The bench writes its own KAP form: the safe_migration_kap survey and choices
//! (`../shared/forms/fieldline/safe_migration_kap.xlsx`) with a few more knowledge, attitude
//! and practice questions, and an `indicators` sheet of 20 indicators in the shapes campaigns
//! write (`${q} = 'yes'`, `selected()`, `count-selected() >= 2`, an age band with `and`,
//! denominators). The baseline and endline CSVs are generated from a fixed seed, in the columns
//! Fieldline's own export writes plus a cluster code and a weight, into `target/bench-data`
//! once and reused while the seed, row count and generator version stay the same.
//!
//! Each configuration runs the release binary `--runs` times; the wall time is the median and
//! the peak memory the largest VmHWM seen by polling `/proc/PID/status`. pandas and
//! statsmodels run `xtask/bench/analyze_pandas.py`, whose counts per indicator and group are
//! checked against Fieldline's before any figure is written.

use std::collections::BTreeMap;
use std::io::{BufWriter, Write as _};
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use anyhow::Context as _;
use serde_json::Value;

use super::Facts;
use crate::process::{done, run, step};

/// Bumped whenever the generated form or rows change, so stale files are made again.
const DATA_VERSION: u32 = 1;
const SEED: u64 = 0x6b61_7020_6265_6e63;
const TARGET_SECONDS: f64 = 2.0;
const BY: [&str; 3] = ["gender", "province", "education"];

#[derive(clap::Args)]
pub struct AnalyzeArgs {
    /// Analyze: submissions per round.
    #[arg(long, default_value_t = 1_000_000)]
    analyze_rows: usize,
    /// Analyze: runs of each configuration (the median is reported).
    #[arg(long, default_value_t = 3)]
    analyze_runs: usize,
}

/// The indicators sheet: name, label, expression, denominator.
pub const INDICATORS: [(&str, &str, &str, &str); 20] = [
    (
        "heard_trafficking",
        "Has heard of human trafficking",
        "${heard_trafficking} = 'yes'",
        "",
    ),
    (
        "knows_hotline",
        "Knows a hotline number",
        "${knows_hotline} = 'yes' and ${hotline} != ''",
        "",
    ),
    (
        "checks_agency",
        "Would check the agency's licence before leaving",
        "selected(${before_leaving}, 'check_agency')",
        "",
    ),
    (
        "reads_contract",
        "Would read the contract before leaving",
        "selected(${before_leaving}, 'read_contract')",
        "",
    ),
    (
        "tells_family",
        "Would tell family the employer's address",
        "selected(${before_leaving}, 'tell_family')",
        "",
    ),
    (
        "two_practices",
        "Would take at least two safe steps before leaving",
        "count-selected(${before_leaving}) >= 2",
        "",
    ),
    (
        "rejects_debt_work",
        "Disagrees that a migrant in debt must accept any work",
        "${view_debt} = '1' or ${view_debt} = '2'",
        "",
    ),
    (
        "would_report",
        "Would report a recruiter who keeps passports",
        "${view_report} = '4' or ${view_report} = '5'",
        "",
    ),
    (
        "rejects_passport_keeping",
        "Disagrees that an employer may keep the passport",
        "${view_passport} = '1' or ${view_passport} = '2'",
        "",
    ),
    (
        "rejects_high_fees",
        "Disagrees that high recruitment fees are normal",
        "${view_fee} = '1' or ${view_fee} = '2'",
        "",
    ),
    (
        "knows_fee_limit",
        "Knows the legal limit on recruitment fees",
        "${knows_fee_limit} = 'yes'",
        "",
    ),
    (
        "knows_embassy",
        "Knows the embassy helps migrants in trouble",
        "${knows_embassy} = 'yes'",
        "",
    ),
    (
        "knows_two_signs",
        "Names at least two signs of trafficking (of those who heard of it)",
        "count-selected(${signs}) >= 2",
        "${heard_trafficking} = 'yes'",
    ),
    (
        "knows_debt_bondage",
        "Names debt bondage as a sign (of those who heard of it)",
        "selected(${signs}, 'debt_bondage')",
        "${heard_trafficking} = 'yes'",
    ),
    (
        "heard_on_radio",
        "Heard about trafficking on the radio (of those who heard of it)",
        "selected(${channels}, 'radio')",
        "${heard_trafficking} = 'yes'",
    ),
    (
        "heard_at_drama",
        "Heard about trafficking at a street drama (of those who heard of it)",
        "selected(${channels}, 'street_drama')",
        "${heard_trafficking} = 'yes'",
    ),
    (
        "youth_heard",
        "Young people (16-29) who have heard of trafficking",
        "${heard_trafficking} = 'yes'",
        "${youth} = 'yes'",
    ),
    (
        "young_and_aware",
        "Respondents aged 29 or under who have heard of trafficking",
        "${age} <= 29 and ${heard_trafficking} = 'yes'",
        "",
    ),
    (
        "women_know_hotline",
        "Women who know a hotline",
        "${knows_hotline} = 'yes'",
        "${gender} = 'woman'",
    ),
    (
        "talked_with_family",
        "Talked with family about safe migration",
        "${talked_family} = 'yes'",
        "",
    ),
];

/// The survey sheet: type, name, label, required, relevant, constraint, calculation,
/// choice_filter, appearance.
const SURVEY: [[&str; 9]; 36] = [
    ["start", "start", "", "", "", "", "", "", ""],
    ["end", "end", "", "", "", "", "", "", ""],
    ["today", "today", "", "", "", "", "", "", ""],
    ["deviceid", "deviceid", "", "", "", "", "", "", ""],
    [
        "select_one province",
        "province",
        "Province",
        "yes",
        "",
        "",
        "",
        "",
        "",
    ],
    [
        "select_one municipality",
        "municipality",
        "Municipality",
        "yes",
        "",
        "",
        "",
        "province=${province}",
        "",
    ],
    [
        "integer",
        "ward",
        "Ward number",
        "yes",
        "",
        ". >= 1 and . <= 35",
        "",
        "",
        "",
    ],
    [
        "select_one yn",
        "consent",
        "The respondent agrees to be interviewed",
        "yes",
        "",
        "",
        "",
        "",
        "",
    ],
    [
        "begin group",
        "about",
        "About you",
        "",
        "${consent} = 'yes'",
        "",
        "",
        "",
        "field-list",
    ],
    [
        "select_one gender",
        "gender",
        "Gender",
        "yes",
        "",
        "",
        "",
        "",
        "",
    ],
    [
        "integer",
        "age",
        "Age",
        "yes",
        "",
        ". >= 16 and . <= 70",
        "",
        "",
        "",
    ],
    [
        "select_one education",
        "education",
        "Highest schooling",
        "yes",
        "",
        "",
        "",
        "",
        "",
    ],
    ["end group", "about", "", "", "", "", "", "", ""],
    [
        "calculate",
        "youth",
        "",
        "",
        "",
        "",
        "if(${age} <= 29, 'yes', 'no')",
        "",
        "",
    ],
    [
        "begin group",
        "know",
        "What you know",
        "",
        "${consent} = 'yes'",
        "",
        "",
        "",
        "",
    ],
    [
        "select_one ynd",
        "heard_trafficking",
        "Have you heard of human trafficking?",
        "yes",
        "",
        "",
        "",
        "",
        "",
    ],
    [
        "select_multiple channel",
        "channels",
        "How did you hear about it?",
        "yes",
        "${heard_trafficking} = 'yes'",
        "not(selected(., 'dont_know') and count-selected(.) > 1)",
        "",
        "",
        "",
    ],
    [
        "text",
        "channels_other",
        "Other channel",
        "yes",
        "selected(${channels}, 'other')",
        "",
        "",
        "",
        "",
    ],
    [
        "select_one ynd",
        "knows_hotline",
        "Do you know a hotline to report trafficking?",
        "yes",
        "",
        "",
        "",
        "",
        "",
    ],
    [
        "integer",
        "hotline",
        "Which number?",
        "yes",
        "${knows_hotline} = 'yes'",
        "string-length(string(.)) >= 3 and string-length(string(.)) <= 6",
        "",
        "",
        "",
    ],
    [
        "select_multiple practice",
        "before_leaving",
        "Before taking a job abroad, what would you do?",
        "yes",
        "",
        "count-selected(.) >= 1",
        "",
        "",
        "",
    ],
    [
        "select_multiple sign",
        "signs",
        "Which of these are signs of trafficking?",
        "yes",
        "${heard_trafficking} = 'yes'",
        "not(selected(., 'dont_know') and count-selected(.) > 1)",
        "",
        "",
        "",
    ],
    [
        "select_one ynd",
        "knows_fee_limit",
        "Does the law limit what a recruiter may charge?",
        "yes",
        "",
        "",
        "",
        "",
        "",
    ],
    [
        "select_one ynd",
        "knows_embassy",
        "Can the embassy help a migrant in trouble?",
        "yes",
        "",
        "",
        "",
        "",
        "",
    ],
    ["end group", "know", "", "", "", "", "", "", ""],
    [
        "begin group",
        "views",
        "Your views",
        "",
        "${consent} = 'yes'",
        "",
        "",
        "",
        "field-list",
    ],
    [
        "select_one agree",
        "view_debt",
        "Someone who borrowed for the journey must accept any work offered.",
        "yes",
        "",
        "",
        "",
        "",
        "likert",
    ],
    [
        "select_one agree",
        "view_report",
        "I would report a recruiter who keeps workers' passports.",
        "yes",
        "",
        "",
        "",
        "",
        "likert",
    ],
    [
        "select_one agree",
        "view_passport",
        "An employer may keep a worker's passport for safekeeping.",
        "yes",
        "",
        "",
        "",
        "",
        "likert",
    ],
    [
        "select_one agree",
        "view_fee",
        "High recruitment fees are normal for a good job.",
        "yes",
        "",
        "",
        "",
        "",
        "likert",
    ],
    [
        "select_one yn",
        "talked_family",
        "Have you talked with your family about migrating safely?",
        "yes",
        "",
        "",
        "",
        "",
        "",
    ],
    ["end group", "views", "", "", "", "", "", "", ""],
    [
        "begin repeat",
        "migrants",
        "Household member abroad",
        "",
        "${consent} = 'yes'",
        "",
        "",
        "",
        "",
    ],
    [
        "select_one country",
        "m_country",
        "Country",
        "yes",
        "",
        "",
        "",
        "",
        "",
    ],
    ["end repeat", "migrants", "", "", "", "", "", "", ""],
    [
        "calculate",
        "n_abroad",
        "",
        "",
        "",
        "",
        "count(${m_country})",
        "",
        "",
    ],
];

/// The choices sheet: list, name, label, province (the municipality filter).
const CHOICES: [[&str; 4]; 44] = [
    ["province", "koshi", "Koshi", ""],
    ["province", "madhesh", "Madhesh", ""],
    ["municipality", "biratnagar", "Biratnagar", "koshi"],
    ["municipality", "dharan", "Dharan", "koshi"],
    ["municipality", "janakpur", "Janakpur", "madhesh"],
    ["municipality", "birgunj", "Birgunj", "madhesh"],
    ["yn", "yes", "Yes", ""],
    ["yn", "no", "No", ""],
    ["ynd", "yes", "Yes", ""],
    ["ynd", "no", "No", ""],
    ["ynd", "dont_know", "Don't know", ""],
    ["gender", "woman", "Woman", ""],
    ["gender", "man", "Man", ""],
    ["gender", "other", "Other", ""],
    ["education", "none", "None", ""],
    ["education", "primary", "Primary", ""],
    ["education", "secondary", "Secondary", ""],
    ["education", "higher", "Higher", ""],
    ["channel", "radio", "Radio", ""],
    ["channel", "street_drama", "Street drama", ""],
    ["channel", "school", "School", ""],
    ["channel", "social_media", "Social media", ""],
    ["channel", "other", "Other", ""],
    ["channel", "dont_know", "Don't know", ""],
    [
        "practice",
        "check_agency",
        "Check the agency is licensed",
        "",
    ],
    ["practice", "read_contract", "Read the contract", ""],
    [
        "practice",
        "tell_family",
        "Tell family the employer's address",
        "",
    ],
    ["practice", "nothing", "Nothing in particular", ""],
    [
        "sign",
        "debt_bondage",
        "Work to pay off a debt that never shrinks",
        "",
    ],
    [
        "sign",
        "passport_kept",
        "The employer keeps the passport",
        "",
    ],
    ["sign", "unpaid_wages", "Wages held back", ""],
    ["sign", "locked_in", "Not free to leave the workplace", ""],
    ["sign", "dont_know", "Don't know", ""],
    ["agree", "1", "Strongly disagree", ""],
    ["agree", "2", "Disagree", ""],
    ["agree", "3", "Neither", ""],
    ["agree", "4", "Agree", ""],
    ["agree", "5", "Strongly agree", ""],
    ["country", "qatar", "Qatar", ""],
    ["country", "malaysia", "Malaysia", ""],
    ["country", "uae", "UAE", ""],
    ["country", "india", "India", ""],
    ["country", "saudi_arabia", "Saudi Arabia", ""],
    ["country", "other", "Other", ""],
];

/// The CSV's columns: Fieldline's export of the form (fields outside the repeat by name, then
/// instance_id, device, received_at), plus the survey design's cluster code and weight.
const COLUMNS: [&str; 33] = [
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
    "signs",
    "knows_fee_limit",
    "knows_embassy",
    "view_debt",
    "view_report",
    "view_passport",
    "view_fee",
    "talked_family",
    "n_abroad",
    "instanceID",
    "instance_id",
    "device",
    "received_at",
    "cluster",
    "weight",
];

/// Writes the bench's XLSForm.
pub fn write_form(path: &Path) -> anyhow::Result<()> {
    let mut book = rust_xlsxwriter::Workbook::new();
    let survey = book.add_worksheet();
    survey.set_name("survey")?;
    let head = [
        "type",
        "name",
        "label::English (en)",
        "required",
        "relevant",
        "constraint",
        "calculation",
        "choice_filter",
        "appearance",
    ];
    for (r, row) in std::iter::once(&head).chain(SURVEY.iter()).enumerate() {
        for (c, cell) in row.iter().enumerate().filter(|(_, s)| !s.is_empty()) {
            survey.write_string(r as u32, c as u16, *cell)?;
        }
    }
    let choices = book.add_worksheet();
    choices.set_name("choices")?;
    let head = ["list_name", "name", "label::English (en)", "province"];
    for (r, row) in std::iter::once(&head).chain(CHOICES.iter()).enumerate() {
        for (c, cell) in row.iter().enumerate().filter(|(_, s)| !s.is_empty()) {
            choices.write_string(r as u32, c as u16, *cell)?;
        }
    }
    let settings = book.add_worksheet();
    settings.set_name("settings")?;
    let rows = [
        ["form_title", "form_id", "version", "default_language"],
        [
            "Safe migration KAP survey (benchmark)",
            "safe_migration_kap_bench",
            "2026112501",
            "English (en)",
        ],
    ];
    for (r, row) in rows.iter().enumerate() {
        for (c, cell) in row.iter().enumerate() {
            settings.write_string(r as u32, c as u16, *cell)?;
        }
    }
    let sheet = book.add_worksheet();
    sheet.set_name("indicators")?;
    let head = ("name", "label", "expression", "denominator");
    for (r, (name, label, expression, denominator)) in
        std::iter::once(&head).chain(INDICATORS.iter()).enumerate()
    {
        for (c, cell) in [name, label, expression, denominator].iter().enumerate() {
            if !cell.is_empty() {
                sheet.write_string(r as u32, c as u16, **cell)?;
            }
        }
    }
    book.save(path)
        .with_context(|| format!("cannot write {}", path.display()))?;
    Ok(())
}

/// A small deterministic generator (PCG-style LCG, high bits).
pub struct Rng(u64);

impl Rng {
    pub fn new(seed: u64) -> Self {
        Self(seed)
    }

    /// Uniform in `0..m`.
    pub fn below(&mut self, m: u64) -> u64 {
        self.0 = self
            .0
            .wrapping_mul(6364136223846793005)
            .wrapping_add(1442695040888963407);
        (self.0 >> 33) % m
    }

    /// True with `percent` % probability.
    pub fn chance(&mut self, percent: u64) -> bool {
        self.below(100) < percent
    }

    pub fn pick<'a>(&mut self, from: &[&'a str]) -> &'a str {
        from[self.below(from.len() as u64) as usize]
    }

    /// Each item kept with `percent` %, space-separated; `fallback` when none is kept.
    pub fn subset(&mut self, items: &[&str], percent: u64, fallback: &str) -> String {
        let kept: Vec<&str> = items
            .iter()
            .copied()
            .filter(|_| self.chance(percent))
            .collect();
        if kept.is_empty() {
            fallback.to_owned()
        } else {
            kept.join(" ")
        }
    }
}

/// One generated interview: (field name, value) for every field of [`COLUMNS`] up to
/// `n_abroad`, and the instance id. The endline knows and does more than the baseline.
pub fn interview(rng: &mut Rng, endline: bool, i: usize) -> (Vec<(&'static str, String)>, String) {
    let aware = if endline { 62 } else { 38 };
    let day = 1 + (i % 28);
    let minute = rng.below(600);
    let start = format!(
        "2026-{:02}-{day:02}T{:02}:{:02}:00.000+05:45",
        if endline { 10 } else { 3 },
        8 + minute / 60,
        minute % 60
    );
    let end = format!(
        "2026-{:02}-{day:02}T{:02}:{:02}:00.000+05:45",
        if endline { 10 } else { 3 },
        8 + (minute + 25) / 60,
        (minute + 25) % 60
    );
    let today = start[..10].to_owned();
    let instance_id = format!(
        "uuid:{:08x}-{:04x}-4{:03x}-a{:03x}-{:012x}",
        rng.below(1 << 32),
        rng.below(1 << 16),
        rng.below(1 << 12),
        rng.below(1 << 12),
        (rng.below(1 << 24) << 24) | rng.below(1 << 24)
    );
    let province = rng.pick(&["koshi", "madhesh"]);
    let municipality = match province {
        "koshi" => rng.pick(&["biratnagar", "dharan"]),
        _ => rng.pick(&["janakpur", "birgunj"]),
    };
    let mut v: Vec<(&'static str, String)> = vec![
        ("start", start),
        ("end", end),
        ("today", today),
        (
            "deviceid",
            format!("fieldline:bench-device-{:02}", rng.below(40)),
        ),
        ("province", province.into()),
        ("municipality", municipality.into()),
        ("ward", (1 + rng.below(35)).to_string()),
    ];
    let consent = !rng.chance(3);
    v.push(("consent", if consent { "yes" } else { "no" }.into()));
    if !consent {
        v.push(("youth", "no".into()));
        v.push(("n_abroad", "0".into()));
        return (v, instance_id);
    }
    let age = 16 + rng.below(55);
    let gender = match rng.below(100) {
        0..48 => "woman",
        48..96 => "man",
        _ => "other",
    };
    v.push(("gender", gender.into()));
    v.push(("age", age.to_string()));
    v.push((
        "education",
        rng.pick(&[
            "none",
            "primary",
            "primary",
            "secondary",
            "secondary",
            "higher",
        ])
        .into(),
    ));
    v.push(("youth", if age <= 29 { "yes" } else { "no" }.into()));
    let heard = if rng.chance(aware + 15) {
        "yes"
    } else if rng.chance(30) {
        "dont_know"
    } else {
        "no"
    };
    v.push(("heard_trafficking", heard.into()));
    if heard == "yes" {
        let channels = if rng.chance(5) {
            "dont_know".to_owned()
        } else {
            rng.subset(
                &["radio", "street_drama", "school", "social_media", "other"],
                aware / 2,
                "radio",
            )
        };
        if channels.split(' ').any(|c| c == "other") {
            v.push((
                "channels_other",
                rng.pick(&[
                    "a neighbour",
                    "a returnee, at the bus park",
                    "temple notice",
                ])
                .into(),
            ));
        }
        v.push(("channels", channels));
    }
    let knows_hotline = if rng.chance(aware) {
        "yes"
    } else {
        rng.pick(&["no", "dont_know"])
    };
    v.push(("knows_hotline", knows_hotline.into()));
    if knows_hotline == "yes" {
        v.push(("hotline", rng.pick(&["1145", "1098"]).into()));
    }
    v.push((
        "before_leaving",
        rng.subset(
            &["check_agency", "read_contract", "tell_family"],
            aware,
            "nothing",
        ),
    ));
    if heard == "yes" {
        let signs = if rng.chance(8) {
            "dont_know".to_owned()
        } else {
            rng.subset(
                &["debt_bondage", "passport_kept", "unpaid_wages", "locked_in"],
                aware,
                "unpaid_wages",
            )
        };
        v.push(("signs", signs));
    }
    for field in ["knows_fee_limit", "knows_embassy"] {
        let answer = if rng.chance(aware - 10) {
            "yes"
        } else {
            rng.pick(&["no", "dont_know"])
        };
        v.push((field, answer.into()));
    }
    for (field, good_low) in [
        ("view_debt", true),
        ("view_report", false),
        ("view_passport", true),
        ("view_fee", true),
    ] {
        let good = rng.chance(aware);
        let value = match (good, good_low) {
            (true, true) | (false, false) => 1 + rng.below(2),
            _ => 3 + rng.below(3),
        };
        v.push((field, value.to_string()));
    }
    v.push((
        "talked_family",
        if rng.chance(aware) { "yes" } else { "no" }.into(),
    ));
    v.push(("n_abroad", rng.below(3).to_string()));
    (v, instance_id)
}

/// A CSV field, quoted when it needs to be.
fn field(out: &mut String, value: &str) {
    if value.contains([',', '"', '\n', '\r']) {
        out.push('"');
        out.push_str(&value.replace('"', "\"\""));
        out.push('"');
    } else {
        out.push_str(value);
    }
}

fn write_round(path: &Path, endline: bool, rows: usize) -> anyhow::Result<()> {
    let mut rng = Rng::new(SEED ^ u64::from(endline));
    let file = std::fs::File::create(path)?;
    let mut out = BufWriter::with_capacity(1 << 20, file);
    writeln!(out, "{}", COLUMNS.join(","))?;
    let mut line = String::new();
    for i in 0..rows {
        let (values, instance_id) = interview(&mut rng, endline, i);
        let cluster = {
            let get = |n: &str| {
                values
                    .iter()
                    .find(|(k, _)| *k == n)
                    .map(|(_, v)| v.as_str())
            };
            format!(
                "{}-{}",
                get("municipality").unwrap_or(""),
                get("ward").unwrap_or("")
            )
        };
        let weight = format!("{:.3}", 0.5 + rng.below(2000) as f64 / 1000.0);
        line.clear();
        for (c, name) in COLUMNS.iter().enumerate() {
            if c > 0 {
                line.push(',');
            }
            let value = match *name {
                "instanceID" | "instance_id" => instance_id.as_str(),
                "device" => "fieldline:0193a4c2-bench-device",
                "received_at" => "2026-11-25T12:00:00.000Z",
                "cluster" => cluster.as_str(),
                "weight" => weight.as_str(),
                other => values
                    .iter()
                    .find(|(k, _)| *k == other)
                    .map_or("", |(_, v)| v.as_str()),
            };
            field(&mut line, value);
        }
        line.push('\n');
        out.write_all(line.as_bytes())?;
    }
    out.flush()?;
    Ok(())
}

/// The form and both rounds, made once per seed, size and version under `target/bench-data`.
fn data(rows: usize) -> anyhow::Result<(PathBuf, PathBuf, PathBuf)> {
    let dir = crate::target_dir()
        .join("bench-data")
        .join(format!("analyze-v{DATA_VERSION}-{SEED:x}-{rows}"));
    let form = dir.join("kap20.xlsx");
    let baseline = dir.join("baseline.csv");
    let endline = dir.join("endline.csv");
    let stamp = dir.join("complete");
    if !stamp.is_file() {
        let at = step(&format!(
            "bench: generate the KAP form and 2 x {rows} submissions in {}",
            dir.display()
        ));
        std::fs::create_dir_all(&dir)?;
        write_form(&form)?;
        std::thread::scope(|s| -> anyhow::Result<()> {
            let b = s.spawn(|| write_round(&baseline, false, rows));
            write_round(&endline, true, rows)?;
            b.join()
                .map_err(|_| anyhow::anyhow!("the generator panicked"))?
        })?;
        std::fs::write(&stamp, "")?;
        done(at);
    }
    Ok((form, baseline, endline))
}

/// A finished process: wall time, CPU time, peak resident set (the largest VmHWM seen, or the kernel's maxrss at exit if larger), its standard output
/// and error, and the samples taken while it ran.
pub struct Measured {
    pub wall: Duration,
    /// User plus system CPU time.
    pub cpu: Duration,
    pub peak_kb: u64,
    pub stdout: Vec<u8>,
    pub stderr: String,
    pub samples: Vec<Sample>,
}

/// One look at the running process.
#[derive(Clone, Copy)]
pub struct Sample {
    pub at: Duration,
    /// VmRSS.
    pub rss_kb: u64,
    /// The size of the watched file (0 without one).
    pub file_bytes: u64,
}

fn status_kb(text: &str, key: &str) -> Option<u64> {
    text.lines()
        .find_map(|l| l.strip_prefix(key))
        .and_then(|rest| rest.trim().trim_end_matches("kB").trim().parse().ok())
}

/// Runs `command` to completion, polling its `/proc/PID/status` for memory every `every`, and
/// the size of `watch` (the file it writes) with it.
pub fn measure(
    command: &mut Command,
    every: Duration,
    watch: Option<&Path>,
) -> anyhow::Result<Measured> {
    let shown = format!("{command:?}");
    let stdout_file = tempfile_in_target("measure-stdout")?;
    let stderr_file = tempfile_in_target("measure-stderr")?;
    let start = Instant::now();
    let child = command
        .stdout(Stdio::from(std::fs::File::create(&stdout_file)?))
        .stderr(Stdio::from(std::fs::File::create(&stderr_file)?))
        .spawn()
        .with_context(|| format!("cannot start {shown}"))?;
    let pid = child.id() as libc::pid_t;
    let status_path = format!("/proc/{pid}/status");
    let mut peak = 0;
    let mut samples = Vec::new();
    // wait4 reaps the child with its resource usage: CPU time and the kernel's own peak.
    let mut usage: libc::rusage = unsafe { std::mem::zeroed() };
    let mut raw_status = 0;
    loop {
        if let Ok(text) = std::fs::read_to_string(&status_path) {
            if let Some(hwm) = status_kb(&text, "VmHWM:") {
                peak = peak.max(hwm);
            }
            if let Some(rss_kb) = status_kb(&text, "VmRSS:") {
                let file_bytes = watch
                    .and_then(|p| std::fs::metadata(p).ok())
                    .map_or(0, |m| m.len());
                samples.push(Sample {
                    at: start.elapsed(),
                    rss_kb,
                    file_bytes,
                });
            }
        }
        // SAFETY: `usage` and `raw_status` are valid for writes; `pid` is our own child.
        let got = unsafe { libc::wait4(pid, &mut raw_status, libc::WNOHANG, &mut usage) };
        anyhow::ensure!(
            got >= 0,
            "wait4 failed: {}",
            std::io::Error::last_os_error()
        );
        if got == pid {
            break;
        }
        std::thread::sleep(every);
    }
    let status =
        <std::process::ExitStatus as std::os::unix::process::ExitStatusExt>::from_raw(raw_status);
    let seconds_of = |t: libc::timeval| t.tv_sec as f64 + t.tv_usec as f64 / 1e6;
    let cpu = Duration::from_secs_f64(seconds_of(usage.ru_utime) + seconds_of(usage.ru_stime));
    peak = peak.max(usage.ru_maxrss as u64);
    let wall = start.elapsed();
    let stderr = std::fs::read_to_string(&stderr_file).unwrap_or_default();
    let stdout = std::fs::read(&stdout_file)?;
    let _ = std::fs::remove_file(&stdout_file);
    let _ = std::fs::remove_file(&stderr_file);
    anyhow::ensure!(status.success(), "{shown} failed ({status}): {stderr}");
    drop(child);
    Ok(Measured {
        wall,
        cpu,
        peak_kb: peak,
        stdout,
        stderr,
        samples,
    })
}

fn tempfile_in_target(name: &str) -> anyhow::Result<PathBuf> {
    let dir = crate::target_dir().join("bench-data");
    std::fs::create_dir_all(&dir)?;
    Ok(dir.join(format!("{name}-{}", std::process::id())))
}

/// Builds the release `fieldline` binary and returns its path.
pub fn build_fieldline() -> anyhow::Result<PathBuf> {
    let at = step("bench: build fieldline (release)");
    run("cargo", ["build", "--release", "-p", "fieldline-cli"])?;
    done(at);
    let path = crate::target_dir().join("release/fieldline");
    anyhow::ensure!(path.is_file(), "{} was not built", path.display());
    Ok(path)
}

pub fn median(mut v: Vec<Duration>) -> Duration {
    v.sort();
    v[v.len() / 2]
}

pub fn seconds(d: Duration) -> String {
    format!("{:.2} s", d.as_secs_f64())
}

pub fn mb(kb: u64) -> String {
    format!("{:.0} MB", kb as f64 / 1024.0)
}

/// (indicator, group key, [n baseline, successes baseline, n endline, successes endline]) from
/// `fieldline analyze`'s JSON; the group key is `""` or `column=value`.
fn fieldline_counts(report: &Value) -> BTreeMap<(String, String), [u64; 4]> {
    let mut out = BTreeMap::new();
    for ind in report["indicators"].as_array().into_iter().flatten() {
        let name = ind["name"].as_str().unwrap_or_default().to_owned();
        for g in ind["groups"].as_array().into_iter().flatten() {
            let key = g["group"]
                .as_object()
                .and_then(|o| o.iter().next())
                .map(|(k, v)| format!("{k}={}", v.as_str().unwrap_or_default()))
                .unwrap_or_default();
            let n = |r: &str, f: &str| g[r][f].as_u64().unwrap_or(u64::MAX);
            out.insert(
                (name.clone(), key),
                [
                    n("baseline", "n"),
                    n("baseline", "successes"),
                    n("endline", "n"),
                    n("endline", "successes"),
                ],
            );
        }
    }
    out
}

pub fn bench(args: &AnalyzeArgs, facts: &Facts) -> anyhow::Result<String> {
    let root = crate::workspace_root();
    let fieldline = build_fieldline()?;
    let rows = args.analyze_rows;
    let (form, baseline, endline) = data(rows)?;
    let size = |p: &Path| std::fs::metadata(p).map(|m| m.len()).unwrap_or(0);
    let megabytes = (size(&baseline) + size(&endline)) as f64 / 1e6;
    let rel = |p: &Path| {
        p.strip_prefix(&root)
            .unwrap_or(p)
            .to_string_lossy()
            .into_owned()
    };

    let mut base_args: Vec<String> = vec![
        "analyze".into(),
        "--form".into(),
        rel(&form),
        "--baseline".into(),
        rel(&baseline),
        "--endline".into(),
        rel(&endline),
    ];
    for by in BY {
        base_args.push("--by".into());
        base_args.push(by.into());
    }
    let survey_extra: Vec<String> = ["--cluster", "cluster", "--weight", "weight"]
        .map(String::from)
        .to_vec();

    let mut results = Vec::new();
    let mut simple_report = Value::Null;
    for (label, extra) in [
        ("simple random sample", Vec::new()),
        (
            "clustered and weighted (`--cluster cluster --weight weight`)",
            survey_extra.clone(),
        ),
    ] {
        let at = step(&format!(
            "bench: fieldline analyze, {label}, {} runs",
            args.analyze_runs
        ));
        let mut walls = Vec::new();
        let mut cpus = Vec::new();
        let mut peak = 0;
        for _ in 0..args.analyze_runs {
            let m = measure(
                Command::new(&fieldline)
                    .args(&base_args)
                    .args(&extra)
                    .current_dir(&root),
                Duration::from_millis(5),
                None,
            )?;
            walls.push(m.wall);
            cpus.push(m.cpu);
            peak = peak.max(m.peak_kb);
            if extra.is_empty() {
                simple_report = serde_json::from_slice(&m.stdout)
                    .context("fieldline analyze printed no JSON")?;
            }
        }
        done(at);
        let shown: Vec<String> = walls.iter().map(|w| seconds(*w)).collect();
        println!("    {label}: {}", shown.join(", "));
        let min = *walls.iter().min().unwrap_or(&Duration::ZERO);
        let max = *walls.iter().max().unwrap_or(&Duration::ZERO);
        results.push((label, median(walls), min, max, peak, extra, median(cpus)));
    }
    let groups_per_indicator = simple_report["indicators"][0]["groups"]
        .as_array()
        .map_or(0, Vec::len);

    // pandas + statsmodels on the same files, checked against Fieldline's counts.
    let script = root.join("xtask/bench/analyze_pandas.py");
    let python = std::env::var("FIELDLINE_PYTHON").unwrap_or_else(|_| "python3".into());
    let versions = crate::process::output_of(
        &python,
        &[
            "-c",
            "import sys, pandas, statsmodels; print(sys.version.split()[0], pandas.__version__, statsmodels.__version__)",
        ],
    )
    .context("python3 with pandas and statsmodels is needed for the comparison")?;
    let versions: Vec<String> = versions.split_whitespace().map(String::from).collect();
    let at = step(&format!(
        "bench: pandas + statsmodels, {} runs",
        args.analyze_runs
    ));
    let mut walls = Vec::new();
    let mut cpus = Vec::new();
    let mut peak = 0;
    let mut pandas_report = Value::Null;
    for _ in 0..args.analyze_runs {
        let m = measure(
            Command::new(&python)
                .arg(&script)
                .arg(rel(&baseline))
                .arg(rel(&endline))
                .args(BY)
                .current_dir(&root),
            Duration::from_millis(5),
            None,
        )?;
        walls.push(m.wall);
        cpus.push(m.cpu);
        peak = peak.max(m.peak_kb);
        pandas_report =
            serde_json::from_slice(&m.stdout).context("the pandas script printed no JSON")?;
    }
    done(at);
    let (pandas_min, pandas_max) = (
        *walls.iter().min().unwrap_or(&Duration::ZERO),
        *walls.iter().max().unwrap_or(&Duration::ZERO),
    );
    let pandas_wall = median(walls);
    let pandas_cpu = median(cpus);
    let ours = fieldline_counts(&simple_report);
    let theirs = fieldline_counts(&pandas_report);
    anyhow::ensure!(
        ours == theirs,
        "pandas and Fieldline disagree on n or successes: {} groups in Fieldline's report, {} in \
         pandas'; first difference: {:?}",
        ours.len(),
        theirs.len(),
        ours.iter()
            .find(|(k, v)| theirs.get(*k) != Some(*v))
            .map(|(k, v)| (k, v, theirs.get(k)))
    );
    let max_gap = max_estimate_gap(&simple_report, &pandas_report);
    anyhow::ensure!(
        max_gap < 1e-9,
        "pandas' estimates differ from Fieldline's by {max_gap:e}"
    );
    let pandas_split = &pandas_report["seconds"];

    let command_line = |extra: &[String]| {
        format!(
            "target/release/fieldline {} {}",
            base_args.join(" "),
            extra.join(" ")
        )
        .trim()
        .to_owned()
    };
    let simple_median = results[0].1;
    let mut s = String::new();
    s += "## Analysis: baseline versus endline (issue 6)\n\n";
    s += &format!(
        "`fieldline analyze` (release) on a baseline and an endline of {rows_s} submissions each \
({megabytes:.0} MB of CSV together) of a KAP form with 20 indicators, broken down by {by} \
({groups_per_indicator} groups per indicator: the whole sample and each value, the empty \
value of respondents without consent included), JSON to standard output, against pandas plus \
statsmodels doing the same work on the same files.\n\n",
        rows_s = thousands(rows as u64),
        by = BY.map(|b| format!("`{b}`")).join(", "),
    );
    s += &format!(
        "Produced by `cargo xtask bench --only analyze --analyze-rows {rows} --analyze-runs {}` on {}, \
which builds `cargo build --release -p fieldline-cli` and writes the form and the rounds into \
`{}` once (seed `{SEED:#x}`, generator version {DATA_VERSION}; reused while those stay the same).\n\n",
        args.analyze_runs,
        facts.date,
        rel(form.parent().unwrap_or(&form)),
    );
    s += &format!(
        "Machine: {}; Python {}, pandas {}, statsmodels {}.\n\n",
        facts.machine,
        versions.first().map_or("?", String::as_str),
        versions.get(1).map_or("?", String::as_str),
        versions.get(2).map_or("?", String::as_str),
    );
    s += "| what | command | runs | median wall time | min-max | CPU time (user + system), median | peak memory (VmHWM) | target | target met |\n";
    s += "| --- | --- | --- | --- | --- | --- | --- | --- | --- |\n";
    for (label, med, min, max, peak, extra, cpu) in &results {
        s += &format!(
            "| **Fieldline**, {label} | `{}` | {} | **{}** | {}-{} | {} | {} | under {TARGET_SECONDS:.0} s | {} |\n",
            command_line(extra),
            args.analyze_runs,
            seconds(*med),
            seconds(*min),
            seconds(*max),
            seconds(*cpu),
            mb(*peak),
            if med.as_secs_f64() < TARGET_SECONDS { "yes" } else { "no" },
        );
    }
    s += &format!(
        "| pandas + statsmodels, simple random sample | `python3 xtask/bench/analyze_pandas.py {} {} {}` | {} | **{}** | {}-{} | {} | {} | - | - |\n\n",
        rel(&baseline),
        rel(&endline),
        BY.join(" "),
        args.analyze_runs,
        seconds(pandas_wall),
        seconds(pandas_min),
        seconds(pandas_max),
        seconds(pandas_cpu),
        mb(peak),
    );
    s += &format!(
        "Fieldline is {:.1}x faster than pandas + statsmodels on the simple design. Inside the \
Python process (last run): importing pandas and statsmodels {:.2} s, reading the two CSVs \
{:.2} s, the 20 indicators {:.2} s, grouping and the statistics {:.2} s. Both produce the \
same n and successes for every indicator, round and group ({} of them), and the same \
proportions, intervals and p-values to within {:.0e}, which the bench checks before writing \
this.\n\n",
        pandas_wall.as_secs_f64() / simple_median.as_secs_f64(),
        pandas_split["import"].as_f64().unwrap_or(f64::NAN),
        pandas_split["read"].as_f64().unwrap_or(f64::NAN),
        pandas_split["indicators"].as_f64().unwrap_or(f64::NAN),
        pandas_split["statistics"].as_f64().unwrap_or(f64::NAN),
        ours.len(),
        1e-9,
    );
    s += "The indicators (the form's `indicators` sheet; a submission without a denominator counts in every one):\n\n";
    s += "| name | expression | denominator |\n| --- | --- | --- |\n";
    for (name, _, expression, denominator) in INDICATORS {
        s += &format!(
            "| {name} | `{expression}` | {} |\n",
            if denominator.is_empty() {
                "-".to_owned()
            } else {
                format!("`{denominator}`")
            }
        );
    }
    s += "\nHow it is measured: wall time from starting the process to its exit, so it includes \
reading the form, reading and checking both CSV files (every select value against its choice \
list, weights, cluster codes), evaluating the indicators, the statistics and printing the \
JSON; the files are in the page cache (every run reads them the same way). Peak memory is the \
largest VmHWM read from `/proc/PID/status` every 5 ms (or the kernel's `ru_maxrss` from `wait4` \
if larger), CPU time the child's user plus system time from `wait4`: the machine is shared with \
other builds, and CPU time shows the work done whatever else runs. The CSV files have the columns \
Fieldline's export writes for the form (timestamps, device, instance ids and received time \
included), plus `cluster` (municipality and ward, 140 clusters) and `weight`. The pandas \
script reads only the columns it needs with `dtype=str`, evaluates every indicator as a \
vectorised boolean Series, counts per group with `groupby`, and calls statsmodels' \
`proportion_confint(method=\"wilson\")`, `confint_proportions_2indep(method=\"newcomb\", \
compare=\"diff\")` and `proportions_ztest` per group; it does not check choice values. \
pandas has no clustered or weighted counterpart in statsmodels' proportion functions, so \
only the simple design is compared.\n";
    Ok(s)
}

/// The largest difference between two reports' estimates (p, CI, difference, p-value), group
/// by group.
fn max_estimate_gap(a: &Value, b: &Value) -> f64 {
    let keyed = |report: &Value| {
        let mut out = BTreeMap::new();
        for ind in report["indicators"].as_array().into_iter().flatten() {
            for g in ind["groups"].as_array().into_iter().flatten() {
                let key = (ind["name"].to_string(), g["group"].to_string());
                out.insert(key, g.clone());
            }
        }
        out
    };
    let (ka, kb) = (keyed(a), keyed(b));
    let mut gap: f64 = 0.0;
    for (key, g) in &ka {
        let Some(h) = kb.get(key) else {
            return f64::INFINITY;
        };
        for (part, fields) in [
            ("baseline", &["p", "ci_low", "ci_high"][..]),
            ("endline", &["p", "ci_low", "ci_high"][..]),
            ("diff", &["estimate", "ci_low", "ci_high", "p_value"][..]),
        ] {
            for f in fields {
                match (g[part][f].as_f64(), h[part][f].as_f64()) {
                    (Some(u), Some(v)) => gap = gap.max((u - v).abs()),
                    (None, None) => {}
                    _ => gap = f64::INFINITY,
                }
            }
        }
    }
    gap
}

/// `1,000,000`.
pub fn thousands(n: u64) -> String {
    let digits = n.to_string();
    let mut out = String::new();
    for (i, c) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i).is_multiple_of(3) {
            out.push(',');
        }
        out.push(c);
    }
    out
}
