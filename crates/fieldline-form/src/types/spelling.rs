//! The `type` cell: pyxform's spellings and aliases for simple types, selects
//! (`select_one list or_other`) and container rows (`begin group`, `end repeat`).

use serde::{Deserialize, Serialize};

use super::QuestionType;

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
}
