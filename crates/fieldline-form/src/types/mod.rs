//! Question types and their pyxform spellings (question_type_dictionary.py and aliases.py).
//!
//! This module is the type model; with the `xlsform` feature, `spelling` reads a `type` cell
//! into it and `suggest` finds the closest documented type to a misspelling.

#[cfg(feature = "xlsform")]
mod spelling;
#[cfg(feature = "xlsform")]
mod suggest;

use serde::{Deserialize, Serialize};

#[cfg(feature = "xlsform")]
pub use spelling::{
    control_type, select_type, simple_type, Control, ControlKind, SelectCommand, SelectSpelling,
};
#[cfg(feature = "xlsform")]
pub use suggest::suggest;

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
