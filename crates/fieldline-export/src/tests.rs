use std::io::Cursor;

use fieldline_form::{Attachments, Form};

use super::*;

fn kap() -> Form {
    let path = concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../../../shared/forms/fieldline/safe_migration_kap.xlsx"
    );
    let bytes = std::fs::read(path).unwrap();
    Form::from_xlsform_named(path, &bytes, &Attachments::new()).unwrap()
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

fn values(pairs: &[(&str, &str)]) -> Vec<(String, String)> {
    pairs
        .iter()
        .map(|(p, v)| ((*p).to_owned(), (*v).to_owned()))
        .collect()
}

fn rows(layout: &Layout) -> Vec<Vec<String>> {
    let first = values(&[
        ("/data/province", "koshi"),
        ("/data/ward", "4"),
        ("/data/about/age", "34"),
        ("/data/know/channels", "radio school"),
        (
            "/data/know/channels_other",
            "a \"quoted\", comma\nand newline",
        ),
        ("/data/views/view_debt", "2"),
        ("/data/migrants[1]/m_relation", "brother"),
        ("/data/meta/instanceID", "uuid:1"),
    ]);
    let second = values(&[("/data/province", "madhesh"), ("/data/views/view_debt", "")]);
    vec![
        layout.row(&first, "uuid:1", "fieldline:a", "2026-11-25T10:00:00.000Z"),
        layout.row(&second, "uuid:2", "fieldline:b", "2026-11-25T11:00:00.000Z"),
    ]
}

#[test]
fn columns_are_the_fields_outside_repeats_then_the_servers() {
    let layout = Layout::new(&kap());
    assert_eq!(layout.header(), HEADER);
    let column = |name: &str| layout.columns.iter().find(|c| c.name == name).unwrap();
    assert_eq!(column("age").kind, Kind::Integer);
    assert_eq!(column("age").label, "Age");
    assert_eq!(column("province").kind, Kind::Text);
    match &column("view_debt").kind {
        Kind::Coded { list, labels } => {
            assert_eq!(list, "agree");
            assert_eq!(labels[0], (1, "Strongly disagree".to_owned()));
            assert_eq!(labels.len(), 5);
        }
        other => panic!("{other:?}"),
    }
}

#[test]
fn csv_is_what_analyze_reads() {
    let layout = Layout::new(&kap());
    let mut buf = Vec::new();
    let mut writer: Box<dyn RowWriter> = Box::new(CsvWriter::new(&mut buf, &layout).unwrap());
    for row in rows(&layout) {
        writer.write_row(&row).unwrap();
    }
    assert_eq!(writer.finish().unwrap().rows, 2);
    let mut reader = csv::Reader::from_reader(buf.as_slice());
    assert_eq!(reader.headers().unwrap().iter().collect::<Vec<_>>(), HEADER);
    let records: Vec<csv::StringRecord> = reader.records().map(Result::unwrap).collect();
    assert_eq!(records.len(), 2);
    let at = |r: usize, name: &str| {
        let i = HEADER.iter().position(|h| *h == name).unwrap();
        records[r][i].to_owned()
    };
    assert_eq!(at(0, "channels"), "radio school");
    assert_eq!(at(0, "channels_other"), "a \"quoted\", comma\nand newline");
    assert_eq!(at(0, "age"), "34");
    assert_eq!(at(0, "view_debt"), "2");
    assert_eq!(at(0, "gender"), "");
    assert_eq!(at(0, "instanceID"), "uuid:1");
    assert_eq!(at(1, "province"), "madhesh");
    assert_eq!(at(1, "device"), "fieldline:b");
    assert_eq!(at(1, "received_at"), "2026-11-25T11:00:00.000Z");
    // Repeats are left out: no value of theirs lands anywhere.
    assert!(!records[0].iter().any(|v| v == "brother"));
}

#[test]
fn xlsx_has_the_header_and_numbers_as_numbers() {
    use calamine::{Data, Reader as _};
    let layout = Layout::new(&kap());
    let mut buf = Vec::new();
    let mut writer: Box<dyn RowWriter> =
        Box::new(XlsxWriter::new(Cursor::new(&mut buf), &layout).unwrap());
    for row in rows(&layout) {
        writer.write_row(&row).unwrap();
    }
    assert_eq!(writer.finish().unwrap().rows, 2);
    let mut book = calamine::Xlsx::new(Cursor::new(buf)).unwrap();
    let range = book.worksheet_range("data").unwrap();
    let cells: Vec<Vec<Data>> = range.rows().map(<[Data]>::to_vec).collect();
    assert_eq!(cells.len(), 3);
    let header: Vec<String> = cells[0].iter().map(|c| c.to_string()).collect();
    assert_eq!(header, HEADER);
    let i = |name: &str| HEADER.iter().position(|h| *h == name).unwrap();
    assert_eq!(cells[1][i("age")], Data::Float(34.0));
    assert_eq!(cells[1][i("view_debt")], Data::Float(2.0));
    assert_eq!(cells[1][i("channels")], Data::String("radio school".into()));
    assert_eq!(cells[2][i("view_debt")], Data::Empty);
    assert_eq!(cells[2][i("instance_id")], Data::String("uuid:2".into()));
}

#[test]
fn dta_and_sav_are_laid_out_with_the_row_count() {
    let layout = Layout::new(&kap());
    let mut dta = Vec::new();
    let mut writer: Box<dyn RowWriter> = Box::new(DtaWriter::new(&mut dta, &layout).unwrap());
    for row in rows(&layout) {
        writer.write_row(&row).unwrap();
    }
    writer.finish().unwrap();
    assert!(dta.starts_with(b"<stata_dta><header><release>118</release>"));
    assert!(dta.ends_with(b"</value_labels></stata_dta>"));
    let n_at = dta.windows(3).position(|w| w == b"<N>").unwrap() + 3;
    assert_eq!(&dta[n_at..n_at + 8], &2u64.to_le_bytes());
    // The map's last entry is the file's length.
    let map_at = dta.windows(5).position(|w| w == b"<map>").unwrap() + 5;
    let end = u64::from_le_bytes(dta[map_at + 13 * 8..map_at + 14 * 8].try_into().unwrap());
    assert_eq!(end, dta.len() as u64);
    let data = u64::from_le_bytes(dta[map_at + 9 * 8..map_at + 10 * 8].try_into().unwrap());
    assert_eq!(&dta[data as usize..data as usize + 6], b"<data>");

    let mut sav = Vec::new();
    let mut writer: Box<dyn RowWriter> = Box::new(SavWriter::new(&mut sav, &layout).unwrap());
    for row in rows(&layout) {
        writer.write_row(&row).unwrap();
    }
    writer.finish().unwrap();
    assert_eq!(&sav[..4], b"$FL2");
    assert_eq!(&sav[80..84], &2i32.to_le_bytes());
}

#[test]
fn dates_and_times_are_typed() {
    let layout = Layout::new(&kap());
    let kind = |name: &str| &layout.columns.iter().find(|c| c.name == name).unwrap().kind;
    assert_eq!(kind("start"), &Kind::DateTime);
    assert_eq!(kind("end"), &Kind::DateTime);
    assert_eq!(kind("today"), &Kind::Date);
    assert_eq!(kind("received_at"), &Kind::DateTime);
    assert_eq!(kind("deviceid"), &Kind::Text);
}

/// Values of a submission with `migrants` instances, each with its relation.
fn with_migrants(relations: &[&str]) -> Vec<(String, String)> {
    let mut pairs = vec![("/data/province".to_owned(), "koshi".to_owned())];
    for (i, relation) in relations.iter().enumerate() {
        let at = format!("/data/migrants[{}]", i + 1);
        pairs.push((format!("{at}/m_relation"), (*relation).to_owned()));
        pairs.push((format!("{at}/m_contract"), "no".to_owned()));
    }
    pairs
}

#[test]
fn a_repeat_has_a_row_per_instance_keyed_to_its_submission() {
    let form = kap();
    assert_eq!(Layout::repeat_names(&form), ["migrants"]);
    let layout = Layout::for_repeat(&form, "migrants").unwrap();
    let header = layout.header();
    assert_eq!(header[header.len() - 2..], ["PARENT_KEY", "KEY"]);
    assert!(header.contains(&"m_relation"));
    assert!(!header.contains(&"province"));
    let at = |name: &str| header.iter().position(|h| *h == name).unwrap();

    assert!(layout
        .rows(&with_migrants(&[]), "uuid:0", "d", "t")
        .is_empty());
    let rows = layout.rows(
        &with_migrants(&["brother", "sister", "son"]),
        "uuid:3",
        "d",
        "t",
    );
    assert_eq!(rows.len(), 3);
    assert_eq!(rows[1][at("m_relation")], "sister");
    assert_eq!(rows[1][at("m_contract")], "no");
    assert_eq!(rows[1][at("PARENT_KEY")], "uuid:3");
    assert_eq!(rows[1][at("KEY")], "uuid:3/migrants[2]");
    assert_eq!(rows[2][at("KEY")], "uuid:3/migrants[3]");

    // The respondent-level table has one row whatever the instances.
    assert_eq!(
        Layout::new(&form)
            .rows(&with_migrants(&["brother"]), "uuid:1", "d", "t")
            .len(),
        1
    );
}

#[test]
fn an_unknown_repeat_names_the_forms_repeats() {
    let err = Layout::for_repeat(&kap(), "children").unwrap_err();
    assert_eq!(
        err.to_string(),
        "the form has no repeat named \"children\"; its repeats: migrants"
    );
}

#[test]
fn labels_are_cut_at_a_character_boundary() {
    assert_eq!(cut("née", 2), "n");
}

/// A form with a repeat inside a repeat, as an XLSForm built here.
fn nested_form() -> Form {
    let mut book = rust_xlsxwriter::Workbook::new();
    let survey = book.add_worksheet().set_name("survey").unwrap();
    let rows = [
        ["type", "name", "label"],
        ["text", "village", "Village"],
        ["begin_repeat", "household", "Household"],
        ["text", "head", "Head"],
        ["begin_repeat", "member", "Member"],
        ["text", "member_name", "Name"],
        ["integer", "age", "Age"],
        ["end_repeat", "", ""],
        ["end_repeat", "", ""],
    ];
    for (r, row) in rows.iter().enumerate() {
        for (c, cell) in row.iter().enumerate() {
            survey.write_string(r as u32, c as u16, *cell).unwrap();
        }
    }
    let bytes = book.save_to_buffer().unwrap();
    Form::from_xlsform_named("census.xlsx", &bytes, &Attachments::new()).unwrap()
}

#[test]
fn a_nested_repeats_parent_key_is_the_enclosing_instances_key() {
    let form = nested_form();
    assert_eq!(Layout::repeat_names(&form), ["household", "member"]);
    let root = &form.nodes[0].path;
    let values = values(&[
        (&format!("{root}/village"), "Dharan"),
        (&format!("{root}/household[1]/head"), "Asha"),
        (
            &format!("{root}/household[1]/member[1]/member_name"),
            "Asha",
        ),
        (
            &format!("{root}/household[1]/member[2]/member_name"),
            "Bina",
        ),
        (&format!("{root}/household[2]/head"), "Chandra"),
        (
            &format!("{root}/household[2]/member[1]/member_name"),
            "Chandra",
        ),
        (&format!("{root}/household[2]/member[1]/age"), "61"),
    ]);

    let households = Layout::for_repeat(&form, "household").unwrap();
    assert_eq!(households.header(), ["head", "PARENT_KEY", "KEY"]);
    let rows = households.rows(&values, "uuid:h", "d", "t");
    assert_eq!(
        rows,
        [
            ["Asha", "uuid:h", "uuid:h/household[1]"],
            ["Chandra", "uuid:h", "uuid:h/household[2]"],
        ]
    );

    let members = Layout::for_repeat(&form, "household/member").unwrap();
    assert_eq!(
        members.header(),
        ["member_name", "age", "PARENT_KEY", "KEY"]
    );
    assert_eq!(members.columns[1].kind, Kind::Integer);
    let rows = members.rows(&values, "uuid:h", "d", "t");
    assert_eq!(
        rows,
        [
            [
                "Asha",
                "",
                "uuid:h/household[1]",
                "uuid:h/household[1]/member[1]"
            ],
            [
                "Bina",
                "",
                "uuid:h/household[1]",
                "uuid:h/household[1]/member[2]"
            ],
            [
                "Chandra",
                "61",
                "uuid:h/household[2]",
                "uuid:h/household[2]/member[1]"
            ],
        ]
    );
}

/// The KAP form with `ward` and the `views` group marked sensitive, as a `sensitive` column
/// would mark them.
fn kap_with_sensitive_fields() -> Form {
    let mut form = kap();
    for node in form.nodes.iter_mut() {
        if node.name == "ward" || node.name == "views" || node.name == "m_relation" {
            node.sensitive = true;
        }
    }
    form
}

#[test]
fn sensitive_fields_and_the_fields_of_sensitive_groups_can_be_left_out() {
    let form = kap_with_sensitive_fields();
    let layout = Layout::new(&form).without_sensitive(&form);
    assert_eq!(layout.omitted(), ["ward", "view_debt", "view_report"]);
    let expected: Vec<&str> = HEADER
        .into_iter()
        .filter(|h| !layout.omitted().iter().any(|o| o == h))
        .collect();
    assert_eq!(layout.header(), expected);

    // The values of the omitted fields are nowhere in the rows, the others are in place.
    let values = values(&[
        ("/data/province", "koshi"),
        ("/data/ward", "7"),
        ("/data/views/view_debt", "2"),
    ]);
    let row = layout.row(&values, "uuid:1", "fieldline:a", "2026-11-25T10:00:00.000Z");
    assert_eq!(row.len(), expected.len());
    assert!(!row.iter().any(|v| v == "7" || v == "2"), "{row:?}");
    let at = |name: &str| expected.iter().position(|h| *h == name).unwrap();
    assert_eq!(row[at("province")], "koshi");
    assert_eq!(row[at("instance_id")], "uuid:1");
    assert_eq!(row[at("received_at")], "2026-11-25T10:00:00.000Z");

    // Without anything marked, nothing is left out.
    let plain = kap();
    let all = Layout::new(&plain).without_sensitive(&plain);
    assert!(all.omitted().is_empty());
    assert_eq!(all.header(), HEADER);
}

#[test]
fn a_repeats_table_leaves_out_its_sensitive_fields_and_keeps_its_keys() {
    let form = kap_with_sensitive_fields();
    let layout = Layout::for_repeat(&form, "migrants")
        .unwrap()
        .without_sensitive(&form);
    assert_eq!(layout.omitted(), ["m_relation"]);
    let header = layout.header();
    assert!(!header.contains(&"m_relation"));
    let at = |name: &str| header.iter().position(|h| *h == name).unwrap();
    let rows = layout.rows(&with_migrants(&["brother", "sister"]), "uuid:3", "d", "t");
    assert_eq!(rows.len(), 2);
    assert_eq!(rows[1][at("m_contract")], "no");
    assert_eq!(rows[1][at("KEY")], "uuid:3/migrants[2]");
    assert!(!rows.concat().iter().any(|v| v == "sister"));

    // An instance holding only sensitive values keeps its row: leaving values out must not
    // change how many members a household reports.
    let only_relations = values(&[
        ("/data/migrants[1]/m_relation", "brother"),
        ("/data/migrants[2]/m_relation", "sister"),
    ]);
    let rows = layout.rows(&only_relations, "uuid:4", "d", "t");
    assert_eq!(rows.len(), 2);
    assert_eq!(rows[1][at("KEY")], "uuid:4/migrants[2]");
    assert!(!rows
        .concat()
        .iter()
        .any(|v| v == "brother" || v == "sister"));
}

#[test]
fn an_export_without_sensitive_fields_writes_none_of_their_values() {
    let form = kap_with_sensitive_fields();
    let layout = Layout::new(&form).without_sensitive(&form);
    let mut buf = Vec::new();
    let mut writer: Box<dyn RowWriter> = Box::new(CsvWriter::new(&mut buf, &layout).unwrap());
    let values = values(&[
        ("/data/ward", "ward-secret-17"),
        ("/data/province", "koshi"),
    ]);
    writer
        .write_row(&layout.row(&values, "uuid:1", "d", "t"))
        .unwrap();
    writer.finish().unwrap();
    let csv = String::from_utf8(buf).unwrap();
    assert!(csv.contains("koshi"), "{csv}");
    assert!(!csv.contains("ward-secret-17"), "{csv}");
    assert!(!csv.lines().next().unwrap().split(',').any(|h| h == "ward"));
}
