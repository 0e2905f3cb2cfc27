//! Loading a form: the sheets in order, then whole-form checks, then the flat node arena
//! (with the `xlsform` feature); and reading a loaded form.

use serde::{Deserialize, Serialize};

#[cfg(feature = "xlsform")]
pub use crate::attachments::Attachments;
use crate::model::{ChoiceList, Form, Node, NodeId, NodeKind};
#[cfg(feature = "xlsform")]
use crate::{
    choices,
    draft::{Context, Draft},
    headers::{self, Table, Vocabulary},
    indicators,
    problems::{FormErrors, Problem, Problems},
    settings, survey, validate, workbook,
};

/// What `fieldline form check` prints.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Summary {
    pub form_id: String,
    pub version: Option<String>,
    pub title: String,
    pub languages: Vec<String>,
    /// Questions, including calculations and metadata, excluding nodes pyxform adds.
    pub questions: usize,
    pub groups: usize,
    pub repeats: usize,
    pub choice_lists: usize,
    pub choices: usize,
    pub indicators: Vec<String>,
    pub missing_files: Vec<String>,
}

impl Form {
    /// Read an XLSForm (`.xlsx` or `.xls`, told apart by content) and validate it. The form id
    /// defaults to `data` when the settings sheet has none; see [`Form::from_xlsform_named`].
    #[cfg(feature = "xlsform")]
    pub fn from_xlsform(bytes: &[u8], attachments: &Attachments) -> Result<Form, FormErrors> {
        load(bytes, None, attachments)
    }

    /// As [`Form::from_xlsform`], with the file's name, whose stem becomes the form id when the
    /// settings sheet has none (as pyxform does).
    #[cfg(feature = "xlsform")]
    pub fn from_xlsform_named(
        file_name: &str,
        bytes: &[u8],
        attachments: &Attachments,
    ) -> Result<Form, FormErrors> {
        let base = file_name.rsplit(['/', '\\']).next().unwrap_or(file_name);
        let stem = base.rsplit_once('.').map_or(base, |(s, _)| s);
        load(bytes, Some(stem), attachments)
    }

    /// The root node (the instance element).
    pub fn root(&self) -> &Node {
        &self.nodes[0]
    }

    pub fn node(&self, id: NodeId) -> &Node {
        &self.nodes[id]
    }

    /// The first node with this name in document order.
    pub fn find(&self, name: &str) -> Option<&Node> {
        self.nodes.iter().find(|n| n.name == name)
    }

    /// The node at an instance path without repeat positions (`/data/hh/age`).
    pub fn by_path(&self, path: &str) -> Option<&Node> {
        self.nodes.iter().find(|n| n.path == path)
    }

    /// Whether `node`'s answers are sensitive: it is marked so in the `sensitive` column, or
    /// a group or repeat it sits in is (marking a "contact details" group marks what it holds).
    pub fn is_sensitive(&self, node: &Node) -> bool {
        let mut current = Some(node);
        while let Some(n) = current {
            if n.sensitive {
                return true;
            }
            current = n.parent.map(|p| &self.nodes[p]);
        }
        false
    }

    pub fn choice_list(&self, name: &str) -> Option<&ChoiceList> {
        self.choice_lists.iter().find(|l| l.name == name)
    }

    /// Nodes with a value in the instance (questions, not groups), in document order.
    pub fn leaves(&self) -> impl Iterator<Item = &Node> {
        self.nodes
            .iter()
            .filter(|n| matches!(n.kind, NodeKind::Question(_)) && n.in_instance)
    }

    pub fn summary(&self) -> Summary {
        let authored = |n: &&Node| n.row.is_some();
        let count = |k: fn(&NodeKind) -> bool| {
            self.nodes
                .iter()
                .filter(authored)
                .filter(|n| k(&n.kind))
                .count()
        };
        Summary {
            form_id: self.settings.form_id.clone(),
            version: self.settings.version.clone(),
            title: self.settings.form_title.clone(),
            languages: self.languages.clone(),
            questions: count(|k| matches!(k, NodeKind::Question(_))),
            groups: count(|k| matches!(k, NodeKind::Group)),
            repeats: count(|k| matches!(k, NodeKind::Repeat)),
            choice_lists: self.choice_lists.len(),
            choices: self.choice_lists.iter().map(|l| l.choices.len()).sum(),
            indicators: self.indicators.iter().map(|i| i.name.clone()).collect(),
            missing_files: self.missing_files.clone(),
        }
    }
}

#[cfg(feature = "xlsform")]
fn load(bytes: &[u8], stem: Option<&str>, attachments: &Attachments) -> Result<Form, FormErrors> {
    let mut problems = Problems::default();
    let Some(wb) = workbook::read(bytes, &mut problems) else {
        return Err(problems.into_errors());
    };
    let (mut settings, settings_table) = settings::read(&wb, stem, &mut problems);
    let lang = settings
        .default_language
        .clone()
        .unwrap_or_else(|| "default".into());
    let Some(survey_sheet) = wb.sheet("survey") else {
        let similar: Vec<&String> = wb
            .sheet_names
            .iter()
            .filter(|n| strsim::damerau_levenshtein(&n.to_lowercase(), "survey") <= 2)
            .collect();
        let hint = match similar.first() {
            Some(s) => format!("rename the sheet '{s}' to 'survey'"),
            None => "the questions go on a sheet named 'survey'".to_string(),
        };
        problems.push(Problem::file(
            "You must have a sheet named 'survey'.",
            Some(hint),
        ));
        return Err(problems.into_errors());
    };
    let survey_table = headers::table(
        survey_sheet,
        Vocabulary::Survey,
        settings.clean_text_values,
        &mut problems,
    );
    if survey_table.header(&["type"]).is_none() {
        problems.at(
            &survey_table.sheet,
            1,
            None,
            "Invalid headers provided for sheet: 'survey'. One or more required column headers \
             were not found: 'type'.",
            "row 1 of the survey sheet must name the columns: type, name, label, ...",
        );
        return Err(problems.into_errors());
    }
    let (mut lists, choices_table) =
        choices::read(&wb, &lang, settings.allow_choice_duplicates, &mut problems);
    let mut missing_files = Vec::new();
    let built = {
        let mut cx = Context {
            settings: &mut settings,
            lists: &mut lists,
            has_choices_sheet: choices_table.is_some(),
            attachments,
            missing_files: &mut missing_files,
            lang: &lang,
            problems: &mut problems,
        };
        survey::build(&survey_table, &mut cx)
    };
    let mut root = built.root;
    if let Some(entity) = crate::entities::read(&wb, &mut problems) {
        match root
            .children
            .iter_mut()
            .find(|c| c.node.name == "meta" && c.node.row.is_none())
        {
            Some(meta) => meta.children.insert(0, entity),
            None => {
                let mut meta = Draft::new("meta", NodeKind::Group);
                meta.children.push(entity);
                root.children.push(meta);
            }
        }
    }
    if settings.extra.get("flat").is_some_and(|v| !v.is_empty()) {
        root.children = flat(std::mem::take(&mut root.children), None);
    }
    let nodes = flatten(root);
    let names = &built.name_counts;
    validate::check_references(&survey_table, None, names, &mut problems);
    if let Some(t) = &choices_table {
        let translatable = |h: &headers::Header| matches!(h.tokens[0].as_str(), "label" | "media");
        validate::check_references(t, Some(&translatable), names, &mut problems);
    }
    if let Some(t) = &settings_table {
        validate::check_references(t, None, names, &mut problems);
    }
    check_triggers(&nodes, &survey_table, &mut problems);
    validate::check_cycles(&nodes, &survey_table, &mut problems);
    let (indicators, _) = indicators::read(&wb, &lang, names, &mut problems);

    let languages = languages(&survey_table, choices_table.as_ref(), &lang);
    let warnings = problems.take_warnings();
    problems.into_result(Form {
        warnings,
        settings,
        languages,
        default_language: lang,
        nodes,
        choice_lists: lists,
        indicators,
        missing_files,
    })
}

#[cfg(feature = "xlsform")]
fn languages(survey: &Table, choices: Option<&Table>, default: &str) -> Vec<String> {
    let mut out = Vec::new();
    survey.languages(&mut out);
    if let Some(c) = choices {
        c.languages(&mut out);
    }
    let untranslated = survey.has_untranslated() || choices.is_some_and(|c| c.has_untranslated());
    if untranslated
        && !out.iter().any(|l| l == default)
        && (!out.is_empty() || default != "default")
    {
        out.insert(0, default.to_string());
    }
    out
}

/// `trigger` names must be questions (not groups or repeats).
#[cfg(feature = "xlsform")]
fn check_triggers(nodes: &[Node], table: &Table, problems: &mut Problems) {
    for n in nodes {
        for t in &n.trigger {
            let ok = nodes
                .iter()
                .any(|m| &m.name == t && matches!(m.kind, NodeKind::Question(_)));
            if !ok {
                problems.at(
                    &table.sheet,
                    n.row.unwrap_or(1),
                    table.header(&["trigger"]).map(|h| h.column()),
                    format!(
                        "The question ${{{t}}} is not found. Triggers must refer to a question \
                         on the survey sheet."
                    ),
                    "check the spelling of the trigger reference",
                );
            }
        }
    }
}

/// pyxform's `flat` setting (for ODK Tables): groups and repeats vanish from the instance,
/// their questions move up and inherit the containers' relevance.
#[cfg(feature = "xlsform")]
fn flat(children: Vec<Draft>, relevant: Option<&str>) -> Vec<Draft> {
    let mut out = Vec::new();
    for mut d in children {
        // pyxform adds meta after flattening, so it stays a group.
        if d.node.name == "meta" && d.node.row.is_none() {
            out.push(d);
            continue;
        }
        let own = d
            .node
            .bind
            .relevant
            .as_ref()
            .map(|e| e.source().to_string());
        let combined = match (relevant, own.as_deref()) {
            (Some(p), Some(o)) => Some(format!("{p} and ({o})")),
            (Some(p), None) => Some(p.to_string()),
            (None, o) => o.map(str::to_string),
        };
        if d.children.is_empty() {
            if relevant.is_some() {
                d.node.bind.relevant = combined.and_then(|c| crate::Expression::parse(&c).ok());
            }
            out.push(d);
        } else {
            out.extend(flat(d.children, combined.as_deref()));
        }
    }
    out
}

/// Number the draft tree in document order and compute instance paths.
#[cfg(feature = "xlsform")]
fn flatten(root: Draft) -> Vec<Node> {
    fn walk(d: Draft, parent: Option<NodeId>, parent_path: &str, out: &mut Vec<Node>) -> NodeId {
        let id = out.len();
        let mut node = d.node;
        node.id = id;
        node.parent = parent;
        node.path = format!("{parent_path}/{}", node.name);
        let path = node.path.clone();
        out.push(node);
        let children: Vec<NodeId> = d
            .children
            .into_iter()
            .map(|c| walk(c, Some(id), &path, out))
            .collect();
        out[id].children = children;
        id
    }
    let mut out = Vec::new();
    walk(root, None, "", &mut out);
    out
}
