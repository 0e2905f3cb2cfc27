//! Reading the state out: per-node state and messages, every leaf (what `fieldline form eval`
//! prints), the first problem before finalizing, and the submission values.

use serde::Serialize;

use crate::model::{ChoiceSource, Node};
use crate::types::QuestionType;

use super::plan::{DefId, DefKind};
use super::tree::{READONLY, RELEVANT, REQUIRED, VALID};
use super::{FormText, Instance, InstanceNodeId};

/// The state of one node.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct LeafState {
    #[serde(skip)]
    pub node: InstanceNodeId,
    /// Instance path with 1-based repeat positions (`/data/hh[2]/age`).
    pub path: String,
    pub name: String,
    /// The XLSForm type name (`select_one`, `integer`, `calculate`...).
    #[serde(rename = "type")]
    pub type_name: &'static str,
    /// Relevant itself and through all its ancestors.
    pub relevant: bool,
    /// The `required` expression's value (regardless of relevance, as ODK reports it).
    pub required: bool,
    /// Read-only itself or through an ancestor.
    pub readonly: bool,
    /// The value; `""` while the node is not relevant (the value is kept meanwhile).
    pub value: String,
    /// Constraint validity (an empty or non-relevant value is valid).
    pub valid: bool,
    /// The constraint message if the constraint is violated, else the required message if
    /// the node is relevant, required and empty; `""` otherwise or without a message.
    pub message: String,
}

/// Why a relevant question blocks finalizing.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum ProblemKind {
    /// Required and empty.
    Required,
    /// The constraint is not satisfied.
    Constraint,
}

/// The first question that blocks finalizing.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Blocker {
    #[serde(skip)]
    pub node: InstanceNodeId,
    pub path: String,
    pub kind: ProblemKind,
    /// The form's message in the requested language, `""` when the form has none.
    pub message: String,
}

/// One value of the submission.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct SubmissionValue {
    pub path: String,
    pub value: String,
}

impl Instance {
    /// Whether the node is relevant (itself and all its ancestors).
    pub fn is_relevant(&self, node: InstanceNodeId) -> bool {
        self.flag(node, RELEVANT)
    }

    /// The `required` expression's current value.
    pub fn is_required(&self, node: InstanceNodeId) -> bool {
        self.flag(node, REQUIRED)
    }

    /// Whether the node is read-only (itself or through an ancestor).
    pub fn is_readonly(&self, node: InstanceNodeId) -> bool {
        self.flag(node, READONLY)
    }

    /// Constraint validity (an empty or non-relevant value is valid).
    pub fn is_valid(&self, node: InstanceNodeId) -> bool {
        self.flag(node, VALID)
    }

    fn flag(&self, node: InstanceNodeId, flag: u8) -> bool {
        self.node_checked(node).is_ok_and(|n| n.has(flag))
    }

    /// The value as shown and submitted: `""` while the node is not relevant.
    pub fn value(&self, node: InstanceNodeId) -> &str {
        match self.node_checked(node) {
            Ok(n) if n.has(RELEVANT) => &n.value,
            _ => "",
        }
    }

    /// The value kept by the node, even while it is not relevant.
    pub fn kept_value(&self, node: InstanceNodeId) -> &str {
        self.node_checked(node).map_or("", |n| &n.value)
    }

    /// The message to show for the node in `language` (`None` = the current language), or
    /// `None` when nothing is wrong. `Some("")` means a violation the form has no text for. A
    /// message missing in that language falls back to the form's default language. Its
    /// `${name}` references show their current values (see [`Instance::render_text`]).
    pub fn message(&self, node: InstanceNodeId, language: Option<&str>) -> Option<String> {
        self.message_with(node, language.unwrap_or(&self.language), false)
    }

    fn message_with(&self, node: InstanceNodeId, lang: &str, exact: bool) -> Option<String> {
        let n = self.node_checked(node).ok()?;
        let form_node = &self.plan.form.nodes[n.def as usize];
        if !n.has(RELEVANT) {
            return None;
        }
        let text = |which: FormText| {
            let t = which.of(form_node);
            let source = match t.get(lang) {
                Some(s) => s,
                // pyxform fills a language the author left empty with "-", which ODK shows.
                None if exact && !t.is_empty() => "-",
                None => self.translate_in(t, lang).unwrap_or(""),
            };
            self.fill(node.0, source).into_owned()
        };
        if !n.has(VALID) {
            return Some(text(FormText::ConstraintMessage));
        }
        let required_rule = form_node.bind.required.is_some();
        if required_rule && n.has(REQUIRED) && n.value.is_empty() {
            return Some(text(FormText::RequiredMessage));
        }
        None
    }

    /// The state of every leaf in document order, messages in `language` (`None` = the
    /// current language, falling back to the default language).
    pub fn leaves(&self, language: Option<&str>) -> Vec<LeafState> {
        let lang = language.unwrap_or(&self.language);
        self.leaf_nodes()
            .into_iter()
            .map(|n| self.leaf_state_with(InstanceNodeId(n), lang, false))
            .collect()
    }

    /// As [`Instance::leaves`] with messages exactly as ODK shows them in `language`: a
    /// message the form gives only in other languages is pyxform's stand-in `-`.
    pub fn leaves_as_odk(&self, language: &str) -> Vec<LeafState> {
        self.leaf_nodes()
            .into_iter()
            .map(|n| self.leaf_state_with(InstanceNodeId(n), language, true))
            .collect()
    }

    /// The state of one node.
    pub fn leaf_state(&self, node: InstanceNodeId, language: Option<&str>) -> LeafState {
        self.leaf_state_with(node, language.unwrap_or(&self.language), false)
    }

    fn leaf_state_with(&self, node: InstanceNodeId, lang: &str, exact: bool) -> LeafState {
        let n = &self.nodes[node.0 as usize];
        let form_node = &self.plan.form.nodes[n.def as usize];
        LeafState {
            node,
            path: self.path_of(node.0),
            name: form_node.name.clone(),
            type_name: xlsform_type(form_node),
            relevant: n.has(RELEVANT),
            required: n.has(REQUIRED),
            readonly: n.has(READONLY),
            value: self.value(node).to_string(),
            valid: n.has(VALID),
            message: self.message_with(node, lang, exact).unwrap_or_default(),
        }
    }

    /// The first relevant question, in document order, that is required but empty or whose
    /// constraint fails: where finalizing must take the enumerator.
    pub fn first_problem(&self, language: Option<&str>) -> Option<Blocker> {
        self.leaf_nodes().into_iter().find_map(|n| {
            let node = InstanceNodeId(n);
            let message = self.message(node, language)?;
            let kind = if self.is_valid(node) {
                ProblemKind::Required
            } else {
                ProblemKind::Constraint
            };
            Some(Blocker {
                node,
                path: self.path_of(n),
                kind,
                message,
            })
        })
    }

    /// The submission: every relevant leaf in document order with its path (repeat positions
    /// included) and value. Non-relevant values stay in the instance but are left out, as ODK
    /// leaves them out of the submission.
    pub fn submission(&self) -> Vec<SubmissionValue> {
        self.leaf_nodes()
            .into_iter()
            .filter(|&n| self.nodes[n as usize].has(RELEVANT))
            .map(|n| SubmissionValue {
                path: self.path_of(n),
                value: self.nodes[n as usize].value.clone(),
            })
            .collect()
    }

    /// The instance path of a node.
    pub fn path(&self, node: InstanceNodeId) -> String {
        self.path_of(node.0)
    }

    /// The form definition of a node.
    pub fn definition(&self, node: InstanceNodeId) -> &Node {
        &self.plan.form.nodes[self.nodes[node.0 as usize].def as DefId]
    }

    /// The root element.
    pub fn root(&self) -> InstanceNodeId {
        InstanceNodeId(super::tree::ROOT)
    }

    /// Children in document order (repeat instances included, in order).
    pub fn children(&self, node: InstanceNodeId) -> Vec<InstanceNodeId> {
        self.node_checked(node)
            .map(|n| n.children.iter().map(|&c| InstanceNodeId(c)).collect())
            .unwrap_or_default()
    }

    /// The parent (`None` for the root element).
    pub fn parent(&self, node: InstanceNodeId) -> Option<InstanceNodeId> {
        let n = self.node_checked(node).ok()?;
        (n.parent != super::tree::DOC).then_some(InstanceNodeId(n.parent))
    }

    /// Whether the node is a leaf (a question, calculation or metadata field).
    pub fn is_leaf(&self, node: InstanceNodeId) -> bool {
        self.node_checked(node)
            .is_ok_and(|n| self.plan.defs[n.def as DefId].kind == DefKind::Leaf)
    }
}

/// The XLSForm type name of a question (`select_one`, `dateTime`, `calculate`...), or
/// `group`/`repeat`.
pub fn xlsform_type(node: &Node) -> &'static str {
    use QuestionType::*;
    let from_file = matches!(node.choices, Some(ChoiceSource::File { .. }));
    let Some(q) = node.question_type() else {
        return match node.kind {
            crate::model::NodeKind::Repeat => "repeat",
            _ => "group",
        };
    };
    match q {
        Text => "text",
        Integer => "integer",
        Decimal => "decimal",
        SelectOne if from_file => "select_one_from_file",
        SelectMultiple if from_file => "select_multiple_from_file",
        SelectOne => "select_one",
        SelectMultiple => "select_multiple",
        Rank => "rank",
        Range => "range",
        Note => "note",
        Date => "date",
        Time => "time",
        DateTime => "dateTime",
        Geopoint => "geopoint",
        Geotrace => "geotrace",
        Geoshape => "geoshape",
        Image => "image",
        Audio => "audio",
        Video => "video",
        File => "file",
        Barcode => "barcode",
        Acknowledge => "acknowledge",
        Trigger => "trigger",
        Calculate => "calculate",
        Hidden => "hidden",
        SelectOneExternal => "select_one_external",
        Osm => "osm",
        Start => "start",
        End => "end",
        Today => "today",
        DeviceId => "deviceid",
        Username => "username",
        PhoneNumber => "phonenumber",
        SimSerial => "simserial",
        SubscriberId => "subscriberid",
        Email => "email",
        Audit => "audit",
        StartGeopoint => "start-geopoint",
        BackgroundAudio => "background-audio",
        BackgroundGeopoint => "background-geopoint",
        XmlExternal => "xml-external",
        CsvExternal => "csv-external",
    }
}
