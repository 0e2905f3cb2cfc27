//! The form model: what the engine, the device store, the server and the analysis read.
//! Everything is serde-serializable so a device can store the parsed definition.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use crate::expression::Expression;
use crate::settings::Settings;
pub use crate::translations::Translations;
use crate::types::QuestionType;

/// Index of a node in [`Form::nodes`]; stable for a given form definition.
pub type NodeId = usize;

/// A parsed XLSForm.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Form {
    pub settings: Settings,
    /// Languages of the translatable columns in header order; `"default"` appears only when
    /// some column has no language next to others that do.
    pub languages: Vec<String>,
    /// The language key used for columns without a language.
    pub default_language: String,
    /// All nodes in document order; `nodes[0]` is the root (the instance element).
    pub nodes: Vec<Node>,
    /// Choice lists in sheet order, plus one per loaded `select_*_from_file` attachment
    /// (named after the file, e.g. `cities.csv`).
    pub choice_lists: Vec<ChoiceList>,
    pub indicators: Vec<Indicator>,
    /// Attached files the form uses but that were not supplied, e.g. the CSV of a
    /// `select_one_from_file`. The form loads without them; their choices are empty.
    pub missing_files: Vec<String>,
    /// Things worth telling the author that do not stop the form from loading.
    #[serde(default)]
    pub warnings: Vec<crate::problems::Problem>,
}

/// The kind of a node.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case", tag = "kind", content = "type")]
pub enum NodeKind {
    /// The instance root (`/data`).
    Root,
    Group,
    Repeat,
    Question(QuestionType),
}

/// Where a select's choices come from.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case", tag = "from")]
pub enum ChoiceSource {
    /// A list on the choices sheet (or a loaded attachment, see [`Form::choice_lists`]).
    List { list: String },
    /// `select_one_from_file file.csv`: `value`/`label` are the columns to read (pyxform's
    /// `parameters`, default `name`/`label`); `loaded` says whether the file was supplied.
    File {
        file: String,
        value: String,
        label: String,
        loaded: bool,
    },
    /// `select_one ${question}`: the answers to a repeated question.
    PreviousAnswers { reference: String },
    /// `select_one_external list`: choices in the `external_choices` sheet.
    External { list: String },
}

/// Bind expressions, each kept as source text and parsed.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct Bind {
    #[serde(skip_serializing_if = "Option::is_none", default)]
    pub relevant: Option<Expression>,
    /// `yes`/`true`/`1`-style values are stored as `true()`, as pyxform writes them.
    #[serde(skip_serializing_if = "Option::is_none", default)]
    pub required: Option<Expression>,
    #[serde(skip_serializing_if = "Option::is_none", default)]
    pub readonly: Option<Expression>,
    #[serde(skip_serializing_if = "Option::is_none", default)]
    pub constraint: Option<Expression>,
    #[serde(skip_serializing_if = "Option::is_none", default)]
    pub calculate: Option<Expression>,
    #[serde(skip_serializing_if = "Translations::is_empty", default)]
    pub constraint_message: Translations,
    #[serde(skip_serializing_if = "Translations::is_empty", default)]
    pub required_message: Translations,
    /// `jr:preload` and `jr:preloadParams` (metadata and `instanceID`).
    #[serde(skip_serializing_if = "Option::is_none", default)]
    pub preload: Option<(String, String)>,
}

/// A group, repeat or question.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Node {
    pub id: NodeId,
    pub name: String,
    pub kind: NodeKind,
    pub parent: Option<NodeId>,
    pub children: Vec<NodeId>,
    /// The XForm instance path pyxform gives the node, without repeat positions
    /// (`/data/hh/age`).
    pub path: String,
    /// The survey sheet row it comes from (1-based); `None` for nodes pyxform adds itself
    /// (`meta`, `instanceID`, `*_other`, `*_count`, table-list headers).
    pub row: Option<u32>,
    /// Whether the node exists in the primary instance (false for `xml-external` rows).
    pub in_instance: bool,
    #[serde(skip_serializing_if = "Translations::is_empty", default)]
    pub label: Translations,
    #[serde(skip_serializing_if = "Translations::is_empty", default)]
    pub hint: Translations,
    #[serde(skip_serializing_if = "Translations::is_empty", default)]
    pub guidance_hint: Translations,
    /// Media by kind (`image`, `big-image`, `audio`, `video`), each per language.
    #[serde(skip_serializing_if = "BTreeMap::is_empty", default)]
    pub media: BTreeMap<String, Translations>,
    pub bind: Bind,
    #[serde(skip_serializing_if = "Option::is_none", default)]
    pub appearance: Option<String>,
    /// The `default` cell as written (a dynamic default is an expression).
    #[serde(skip_serializing_if = "Option::is_none", default)]
    pub default: Option<String>,
    #[serde(skip_serializing_if = "BTreeMap::is_empty", default)]
    pub parameters: BTreeMap<String, String>,
    #[serde(skip_serializing_if = "Option::is_none", default)]
    pub choices: Option<ChoiceSource>,
    #[serde(skip_serializing_if = "Option::is_none", default)]
    pub choice_filter: Option<Expression>,
    /// `repeat_count`, pointing at the generated `*_count` node when pyxform makes one.
    #[serde(skip_serializing_if = "Option::is_none", default)]
    pub repeat_count: Option<Expression>,
    /// Names in the `trigger` column (the question's value is recomputed when they change).
    #[serde(skip_serializing_if = "Vec::is_empty", default)]
    pub trigger: Vec<String>,
    /// `bind::x`, `body::x` (`control`) and `instance::x` attribute columns, and other
    /// survey columns pyxform does not interpret, by header.
    #[serde(skip_serializing_if = "BTreeMap::is_empty", default)]
    pub attributes: BTreeMap<String, String>,
    /// Fieldline's `sensitive` column: the answer names, reaches or locates the respondent
    /// (a name, a phone number, a GPS point), so exports leave it out unless asked (see
    /// [`Form::is_sensitive`], which also counts a sensitive group's contents). Stored
    /// definitions from before the column load as not sensitive.
    #[serde(skip_serializing_if = "std::ops::Not::not", default)]
    pub sensitive: bool,
}

impl Node {
    #[cfg(feature = "xlsform")]
    pub(crate) fn new(id: NodeId, name: String, kind: NodeKind, parent: Option<NodeId>) -> Self {
        Node {
            id,
            name,
            kind,
            parent,
            children: Vec::new(),
            path: String::new(),
            row: None,
            in_instance: true,
            label: Translations::new(),
            hint: Translations::new(),
            guidance_hint: Translations::new(),
            media: BTreeMap::new(),
            bind: Bind::default(),
            appearance: None,
            default: None,
            parameters: BTreeMap::new(),
            choices: None,
            choice_filter: None,
            repeat_count: None,
            trigger: Vec::new(),
            attributes: BTreeMap::new(),
            sensitive: false,
        }
    }

    /// The question type, if the node is a question.
    pub fn question_type(&self) -> Option<QuestionType> {
        match self.kind {
            NodeKind::Question(t) => Some(t),
            _ => None,
        }
    }
}

/// A choice list.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ChoiceList {
    pub name: String,
    pub choices: Vec<Choice>,
}

/// One choice.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Choice {
    pub name: String,
    #[serde(skip_serializing_if = "Translations::is_empty", default)]
    pub label: Translations,
    #[serde(skip_serializing_if = "BTreeMap::is_empty", default)]
    pub media: BTreeMap<String, Translations>,
    /// Other columns by header (used by `choice_filter` expressions such as
    /// `province = ${province}`).
    #[serde(skip_serializing_if = "BTreeMap::is_empty", default)]
    pub extra: BTreeMap<String, String>,
    /// The choices sheet row (1-based), `None` for generated or attached choices.
    pub row: Option<u32>,
}

/// An analysis indicator from Fieldline's `indicators` sheet.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Indicator {
    pub name: String,
    pub label: Translations,
    /// True for a submission that counts as a success.
    pub expression: Expression,
    /// Which submissions count; `None` means all of them.
    pub denominator: Option<Expression>,
    pub row: u32,
}
