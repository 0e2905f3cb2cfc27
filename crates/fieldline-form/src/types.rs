//! Question types and their pyxform spellings (question_type_dictionary.py and aliases.py).

use serde::{Deserialize, Serialize};

/// What a survey row is, once its `type` cell is understood.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum QuestionType {
    Text,
    Integer,
    Decimal,
    SelectOne,
    SelectMultiple,
    Rank,
    Range,
    Note,
    Date,
    Time,
    DateTime,
    Geopoint,
    Geotrace,
    Geoshape,
    Image,
    Audio,
    Video,
    File,
    Barcode,
    Acknowledge,
    Trigger,
    Calculate,
    Hidden,
    /// `select_one_external`: an input whose choices live in `external_choices`.
    SelectOneExternal,
    Osm,
    Start,
    End,
    Today,
    DeviceId,
    Username,
    PhoneNumber,
    SimSerial,
    SubscriberId,
    Email,
    Audit,
    StartGeopoint,
    BackgroundAudio,
    BackgroundGeopoint,
    /// `xml-external` / `csv-external`: declares a secondary instance, no data node.
    XmlExternal,
    CsvExternal,
}

/// The XForms data type of a node's value (the `type` of its `<bind>`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub enum DataType {
    String,
    Int,
    Decimal,
    Date,
    Time,
    DateTime,
    Geopoint,
    Geotrace,
    Geoshape,
    Binary,
    Barcode,
    #[serde(rename = "odk:rank")]
    Rank,
}

impl QuestionType {
    /// The XForms data type.
    pub fn data_type(self) -> DataType {
        use QuestionType::*;
        match self {
            Integer | Range => DataType::Int,
            Decimal => DataType::Decimal,
            Date | Today => DataType::Date,
            Time => DataType::Time,
            DateTime | Start | End => DataType::DateTime,
            Geopoint | StartGeopoint | BackgroundGeopoint => DataType::Geopoint,
            Geotrace => DataType::Geotrace,
            Geoshape => DataType::Geoshape,
            Image | Audio | Video | File | Osm | Audit | BackgroundAudio => DataType::Binary,
            Barcode => DataType::Barcode,
            Rank => DataType::Rank,
            _ => DataType::String,
        }
    }

    /// Whether the row needs a choice list (`select_one list`).
    pub fn is_select(self) -> bool {
        matches!(
            self,
            QuestionType::SelectOne | QuestionType::SelectMultiple | QuestionType::Rank
        )
    }

    /// Whether the node gets a data node in the primary instance.
    pub fn has_instance_node(self) -> bool {
        !matches!(self, QuestionType::XmlExternal | QuestionType::CsvExternal)
    }

    /// Whether the interviewer sees and answers it (as opposed to computed or metadata).
    pub fn is_prompt(self) -> bool {
        use QuestionType::*;
        !matches!(
            self,
            Calculate
                | Hidden
                | Start
                | End
                | Today
                | DeviceId
                | Username
                | PhoneNumber
                | SimSerial
                | SubscriberId
                | Email
                | Audit
                | StartGeopoint
                | BackgroundAudio
                | BackgroundGeopoint
                | XmlExternal
                | CsvExternal
        )
    }

    /// `jr:preload` / `jr:preloadParams` for metadata, as pyxform writes them.
    pub fn preload(self) -> Option<(&'static str, &'static str)> {
        use QuestionType::*;
        Some(match self {
            Start => ("timestamp", "start"),
            End => ("timestamp", "end"),
            Today => ("date", "today"),
            DeviceId => ("property", "deviceid"),
            Username => ("property", "username"),
            PhoneNumber => ("property", "phonenumber"),
            SimSerial => ("property", "simserial"),
            SubscriberId => ("property", "subscriberid"),
            Email => ("property", "email"),
            _ => return None,
        })
    }
}

/// A simple (non-select, non-group) type spelling: pyxform's dictionary keys and aliases.
/// Returns the type and, for legacy spellings like `percentage`, an implied constraint.
pub fn simple_type(spelling: &str) -> Option<(QuestionType, Option<&'static str>)> {
    use QuestionType::*;
    let t = match spelling {
        "text" | "string" | "q string" | "add text prompt" => Text,
        "integer" | "int" | "q int" | "add integer prompt" => Integer,
        "decimal" | "q decimal" | "add decimal prompt" => Decimal,
        "note" | "q note" | "add note prompt" => Note,
        "date" | "q date" | "add date prompt" => Date,
        "time" => Time,
        "dateTime"
        | "datetime"
        | "date time"
        | "q date time"
        | "q dateTime"
        | "add date time prompt"
        | "add dateTime prompt" => DateTime,
        "geopoint" | "gps" | "location" | "q geopoint" | "q location" | "add location prompt" => {
            Geopoint
        }
        "geotrace" | "q geotrace" => Geotrace,
        "geoshape" | "q geoshape" => Geoshape,
        "image" | "photo" | "q picture" | "q image" | "add image prompt" | "add photo prompt" => {
            Image
        }
        "audio" | "q audio" | "add audio prompt" => Audio,
        "video" | "q video" | "add video prompt" => Video,
        "file" | "add file prompt" => File,
        "barcode" | "q barcode" | "add barcode prompt" => Barcode,
        "acknowledge" | "q acknowledge" | "add acknowledge prompt" => Acknowledge,
        "trigger" => Trigger,
        "calculate" | "q calculate" | "add calculate prompt" => Calculate,
        "hidden" => Hidden,
        "range" => Range,
        "osm" => Osm,
        "start" | "start time" | "get start time" => Start,
        "end" | "end time" | "get end time" => End,
        "today" | "get today" => Today,
        "deviceid" | "imei" | "device id" | "get device id" | "uri:deviceid" => DeviceId,
        "username" | "uri:username" => Username,
        "phonenumber" | "get phone number" | "uri:phonenumber" => PhoneNumber,
        "simserial" | "sim id" | "get sim id" | "uri:simserial" => SimSerial,
        "subscriberid" | "subscriber id" | "get subscriber id" | "uri:subscriberid" => SubscriberId,
        "email" | "uri:email" => Email,
        "audit" => Audit,
        "start-geopoint" => StartGeopoint,
        "background-audio" => BackgroundAudio,
        "background-geopoint" => BackgroundGeopoint,
        "xml-external" => XmlExternal,
        "csv-external" => CsvExternal,
        "percentage" => return Some((Integer, Some("0 <= . and . <= 100"))),
        "phone number" => return Some((Text, Some("regex(., '^\\d*$')"))),
        "number of days in last month" => return Some((Integer, Some("0 <= . and . <= 31"))),
        "number of days in last six months" => return Some((Integer, Some("0 <= . and . <= 183"))),
        "number of days in last year" => return Some((Integer, Some("0 <= . and . <= 365"))),
        _ => return None,
    };
    Some((t, None))
}

/// A select spelling's command (`select_one`, `select all that apply`, ...).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SelectCommand {
    One,
    Multiple,
    Rank,
    OneFromFile,
    MultipleFromFile,
    OneExternal,
}

/// A parsed `select_* list [or_other]` type.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SelectSpelling {
    pub command: SelectCommand,
    pub list: String,
    pub or_other: bool,
}

/// pyxform's RE_SELECT: `^(command) (\S+)( (or specify other|or_other|or other))?$`.
pub fn select_type(spelling: &str) -> Option<SelectSpelling> {
    use SelectCommand::*;
    const COMMANDS: [(&str, SelectCommand); 15] = [
        ("add select one prompt using", One),
        ("add select multiple prompt using", Multiple),
        ("select all that apply from", Multiple),
        ("select one from file", OneFromFile),
        ("select multiple from file", MultipleFromFile),
        ("select_one_from_file", OneFromFile),
        ("select_multiple_from_file", MultipleFromFile),
        ("select_one_external", OneExternal),
        ("select one from", One),
        ("select all that apply", Multiple),
        ("select_multiple", Multiple),
        ("select_one", One),
        ("select one", One),
        ("select1", One),
        ("rank", Rank),
    ];
    for (cmd, command) in COMMANDS {
        let Some(rest) = spelling.strip_prefix(cmd).and_then(|r| r.strip_prefix(' ')) else {
            continue;
        };
        let (list, tail) = match rest.split_once(' ') {
            Some((l, t)) => (l, Some(t)),
            None => (rest, None),
        };
        if list.is_empty() {
            continue;
        }
        let or_other = match tail {
            None => false,
            Some("or specify other" | "or_other" | "or other") => true,
            Some(_) => continue,
        };
        return Some(SelectSpelling {
            command,
            list: list.to_string(),
            or_other,
        });
    }
    None
}

/// A container row: `begin group`, `end repeat`, `begin loop over list`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Control {
    Begin {
        kind: ControlKind,
        list: Option<String>,
    },
    End(ControlKind),
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ControlKind {
    Group,
    Repeat,
    Loop,
}

impl ControlKind {
    pub fn word(self) -> &'static str {
        match self {
            ControlKind::Group => "group",
            ControlKind::Repeat => "repeat",
            ControlKind::Loop => "loop",
        }
    }
}

/// pyxform's RE_BEGIN_CONTROL / RE_END_CONTROL.
pub fn control_type(spelling: &str) -> Option<Control> {
    let (begin, rest) = if let Some(r) = spelling.strip_prefix("begin") {
        (true, r)
    } else if let Some(r) = spelling.strip_prefix("end") {
        (false, r)
    } else {
        return None;
    };
    let rest = rest.strip_prefix([' ', '_'])?;
    const KINDS: [(&str, ControlKind); 5] = [
        ("looped group", ControlKind::Repeat),
        ("lgroup", ControlKind::Repeat),
        ("group", ControlKind::Group),
        ("repeat", ControlKind::Repeat),
        ("loop", ControlKind::Loop),
    ];
    for (word, kind) in KINDS {
        let Some(tail) = rest.strip_prefix(word) else {
            continue;
        };
        if tail.is_empty() {
            return Some(if begin {
                Control::Begin { kind, list: None }
            } else {
                Control::End(kind)
            });
        }
        if !begin {
            continue;
        }
        let tail = tail.strip_prefix(' ')?;
        let list = tail.strip_prefix("over ").unwrap_or(tail);
        if list.is_empty() || list.contains(char::is_whitespace) {
            continue;
        }
        return Some(Control::Begin {
            kind,
            list: Some(list.to_string()),
        });
    }
    None
}

/// The documented type names, for "did you mean" suggestions.
pub const DOCUMENTED_TYPES: &[&str] = &[
    "text",
    "integer",
    "decimal",
    "select_one",
    "select_multiple",
    "select_one_from_file",
    "select_multiple_from_file",
    "rank",
    "range",
    "note",
    "date",
    "time",
    "dateTime",
    "geopoint",
    "geotrace",
    "geoshape",
    "image",
    "audio",
    "background-audio",
    "video",
    "file",
    "barcode",
    "acknowledge",
    "calculate",
    "hidden",
    "start",
    "end",
    "today",
    "deviceid",
    "username",
    "phonenumber",
    "email",
    "audit",
    "start-geopoint",
    "begin_group",
    "end_group",
    "begin_repeat",
    "end_repeat",
    "xml-external",
    "csv-external",
];

/// The closest documented type to a misspelling.
pub fn suggest(spelling: &str) -> Option<&'static str> {
    let lower = spelling.to_lowercase();
    // Compare begin/end rows whole ("begin grup"), other types by their first word
    // ("select_on list").
    let lower = if lower.starts_with("begin") || lower.starts_with("end") {
        lower.split_whitespace().collect::<Vec<_>>().join("_")
    } else {
        lower
            .split_whitespace()
            .next()
            .unwrap_or_default()
            .to_string()
    };
    DOCUMENTED_TYPES
        .iter()
        .map(|t| (strsim::damerau_levenshtein(&lower, &t.to_lowercase()), *t))
        .filter(|(d, t)| *d <= 3.max(t.len() / 3))
        .min_by_key(|(d, _)| *d)
        .map(|(_, t)| t)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn selects() {
        let s = select_type("select_one yes_no or_other").unwrap();
        assert_eq!(s.command, SelectCommand::One);
        assert_eq!(s.list, "yes_no");
        assert!(s.or_other);
        let s = select_type("select all that apply colors").unwrap();
        assert_eq!(s.command, SelectCommand::Multiple);
        let s = select_type("select_one_from_file cities.csv").unwrap();
        assert_eq!(s.command, SelectCommand::OneFromFile);
        assert_eq!(s.list, "cities.csv");
        assert!(select_type("select_one").is_none());
        assert!(select_type("select_one a b").is_none());
    }

    #[test]
    fn controls() {
        assert_eq!(
            control_type("begin_group"),
            Some(Control::Begin {
                kind: ControlKind::Group,
                list: None
            })
        );
        assert_eq!(
            control_type("end repeat"),
            Some(Control::End(ControlKind::Repeat))
        );
        assert_eq!(
            control_type("begin loop over types"),
            Some(Control::Begin {
                kind: ControlKind::Loop,
                list: Some("types".into())
            })
        );
        assert_eq!(control_type("begin groups"), None);
    }

    #[test]
    fn suggestions() {
        assert_eq!(suggest("intger"), Some("integer"));
        assert_eq!(suggest("Integer"), Some("integer"));
        assert_eq!(suggest("select_on"), Some("select_one"));
        assert_eq!(suggest("begin grup"), Some("begin_group"));
    }
}
