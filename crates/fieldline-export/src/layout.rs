//! Which columns a table has and which payload values fill them: the respondent-level table
//! (one row per submission) or one repeat's table (one row per repeat instance, ODK Central
//! style, with `PARENT_KEY` and `KEY` to join it back).

use std::collections::{HashMap, HashSet};

use fieldline_form::{ChoiceSource, Form, Node, NodeKind, QuestionType, Translations};

use crate::{Column, ExportError, Kind};

/// The server's columns, after the form's fields in the respondent-level table.
pub const SERVER_COLUMNS: [&str; 3] = ["instance_id", "device", "received_at"];

/// The key columns, after the repeat's fields in a repeat's table (ODK Central's names).
pub const REPEAT_KEY_COLUMNS: [&str; 2] = ["PARENT_KEY", "KEY"];

/// The columns of a table for a form, and where each payload path goes.
#[derive(Debug, Clone)]
pub struct Layout {
    pub columns: Vec<Column>,
    /// Form path (without repeat positions) -> column.
    by_path: HashMap<String, usize>,
    /// How many columns hold the form's fields; the table's own columns follow.
    fields: usize,
    table: Table,
    /// Columns of sensitive fields left out by [`Layout::without_sensitive`], by name.
    omitted: Vec<String>,
    /// Their form paths: a repeat instance holding only such values still has its row.
    omitted_paths: HashSet<String>,
}

#[derive(Debug, Clone)]
enum Table {
    Submissions,
    Repeat(RepeatTable),
}

#[derive(Debug, Clone)]
struct RepeatTable {
    /// The instance root's path (`/data`), cut from keys.
    root: String,
    /// Steps of the repeat's path (`/data/migrants` has 3, counting the empty first one).
    steps: usize,
    /// Steps of the nearest enclosing repeat's path, for nested repeats.
    parent_steps: Option<usize>,
}

impl Layout {
    /// The columns of the respondent-level table of `form`: its leaves outside repeats, then
    /// [`SERVER_COLUMNS`] (see the crate documentation).
    pub fn new(form: &Form) -> Self {
        let mut layout = Self::of_leaves(form, None);
        for (server, kind) in SERVER_COLUMNS.into_iter().zip([
            Kind::Text,
            Kind::Text,
            // The server's receipt time, in UTC.
            Kind::DateTime,
        ]) {
            layout.push_own_column(server, kind);
        }
        layout
    }

    /// The columns of the table of the repeat named `name` (its name in the form, or its path
    /// under the root such as `household/members`): the leaves directly inside it (those of
    /// nested repeats have their own tables), then [`REPEAT_KEY_COLUMNS`].
    pub fn for_repeat(form: &Form, name: &str) -> Result<Self, ExportError> {
        let root = root_path(form);
        let wanted = name.trim_matches('/');
        let repeat = repeats_of(form)
            .find(|r| r.name == wanted || under_root(&r.path, root) == wanted)
            .ok_or_else(|| ExportError::UnknownRepeat {
                name: name.to_owned(),
                repeats: Self::repeat_names(form).join(", "),
            })?;
        let parent_steps =
            enclosing_repeat(form, repeat).map(|p| form.nodes[p].path.split('/').count());
        let mut layout = Self::of_leaves(form, Some(repeat.id));
        layout.table = Table::Repeat(RepeatTable {
            root: root.to_owned(),
            steps: repeat.path.split('/').count(),
            parent_steps,
        });
        for key in REPEAT_KEY_COLUMNS {
            layout.push_own_column(key, Kind::Text);
        }
        Ok(layout)
    }

    /// The names of the form's repeats, in document order (what [`Layout::for_repeat`] takes).
    pub fn repeat_names(form: &Form) -> Vec<String> {
        repeats_of(form).map(|r| r.name.clone()).collect()
    }

    /// The same table without the columns of sensitive fields (those the form marks in its
    /// `sensitive` column, or that sit in a group or repeat marked so; see
    /// [`Form::is_sensitive`]): their values are then never written, whatever the payloads
    /// hold. The other columns keep their names and order.
    pub fn without_sensitive(mut self, form: &Form) -> Self {
        let mut sensitive = vec![false; self.fields];
        for node in form.nodes.iter().filter(|n| form.is_sensitive(n)) {
            if let Some(&column) = self.by_path.get(&node.path) {
                sensitive[column] = true;
            }
        }
        let mut new_index = Vec::with_capacity(self.columns.len());
        let mut kept = Vec::with_capacity(self.columns.len());
        let mut left_out = 0;
        for (index, column) in std::mem::take(&mut self.columns).into_iter().enumerate() {
            if sensitive.get(index).copied().unwrap_or(false) {
                new_index.push(None);
                left_out += 1;
                self.omitted.push(column.name);
            } else {
                new_index.push(Some(kept.len()));
                kept.push(column);
            }
        }
        let mut omitted_paths = HashSet::new();
        self.by_path
            .retain(|path, column| match new_index[*column] {
                Some(new) => {
                    *column = new;
                    true
                }
                None => {
                    omitted_paths.insert(path.clone());
                    false
                }
            });
        self.omitted_paths.extend(omitted_paths);
        self.fields -= left_out;
        self.columns = kept;
        self
    }

    /// The names of the columns [`Layout::without_sensitive`] left out, in form order.
    pub fn omitted(&self) -> &[String] {
        &self.omitted
    }

    /// The column names, as the header row.
    pub fn header(&self) -> Vec<&str> {
        self.columns.iter().map(|c| c.name.as_str()).collect()
    }

    /// The table's rows for one submission: one row in the respondent-level table, one per
    /// instance of the repeat in a repeat's table (none when it has no instance).
    pub fn rows(
        &self,
        values: &[(String, String)],
        instance_id: &str,
        device: &str,
        received_at: &str,
    ) -> Vec<Vec<String>> {
        match &self.table {
            Table::Submissions => vec![self.row(values, instance_id, device, received_at)],
            Table::Repeat(repeat) => self.repeat_rows(repeat, values, instance_id),
        }
    }

    /// A submission's row in the respondent-level table: its payload's values in their columns
    /// (values of repeats and of paths the form does not have are left out), then the server's
    /// columns. In a repeat's table, use [`Layout::rows`].
    pub fn row(
        &self,
        values: &[(String, String)],
        instance_id: &str,
        device: &str,
        received_at: &str,
    ) -> Vec<String> {
        let mut row = vec![String::new(); self.columns.len()];
        for (path, value) in values {
            if let Some(&i) = self.by_path.get(path) {
                row[i].clone_from(value);
            }
        }
        row[self.fields] = instance_id.to_owned();
        row[self.fields + 1] = device.to_owned();
        row[self.fields + 2] = received_at.to_owned();
        row
    }

    fn repeat_rows(
        &self,
        repeat: &RepeatTable,
        values: &[(String, String)],
        instance_id: &str,
    ) -> Vec<Vec<String>> {
        // Instances in the order their first value comes, which is document order.
        let mut rows: Vec<Vec<String>> = Vec::new();
        let mut by_instance: HashMap<String, usize> = HashMap::new();
        for (path, value) in values {
            let form_path = without_positions(path);
            let column = match self.by_path.get(&form_path) {
                Some(&column) => Some(column),
                // Left out, but it still shows the instance exists.
                None if self.omitted_paths.contains(&form_path) => None,
                None => continue,
            };
            let steps: Vec<&str> = path.split('/').collect();
            let key = key_of(instance_id, &repeat.root, &steps[..repeat.steps]);
            let at = *by_instance.entry(key.clone()).or_insert_with(|| {
                let mut row = vec![String::new(); self.columns.len()];
                row[self.fields] = match repeat.parent_steps {
                    Some(parent) => key_of(instance_id, &repeat.root, &steps[..parent]),
                    None => instance_id.to_owned(),
                };
                row[self.fields + 1] = key;
                rows.push(row);
                rows.len() - 1
            });
            if let Some(column) = column {
                rows[at][column].clone_from(value);
            }
        }
        rows
    }

    /// The form's leaves whose nearest enclosing repeat is `repeat` (none: outside repeats).
    fn of_leaves(form: &Form, repeat: Option<usize>) -> Self {
        let leaves: Vec<&Node> = form
            .nodes
            .iter()
            .filter(|n| match n.question_type() {
                Some(q) => {
                    q != QuestionType::Note
                        && q.has_instance_node()
                        && n.in_instance
                        && enclosing_repeat(form, n) == repeat
                }
                None => false,
            })
            .collect();
        let mut counts: HashMap<&str, usize> = HashMap::new();
        for leaf in &leaves {
            *counts.entry(leaf.name.as_str()).or_default() += 1;
        }
        // Two leaves of one name are told apart by their path under the table's own node.
        let base = repeat.map_or_else(|| root_path(form), |r| form.nodes[r].path.as_str());
        let mut columns = Vec::new();
        let mut by_path = HashMap::new();
        for leaf in &leaves {
            let name = if counts[leaf.name.as_str()] > 1 {
                under_root(&leaf.path, base).to_owned()
            } else {
                leaf.name.clone()
            };
            by_path.insert(leaf.path.clone(), columns.len());
            columns.push(Column {
                name,
                label: text_in(form, &leaf.label),
                kind: kind_of(form, leaf),
            });
        }
        Layout {
            fields: columns.len(),
            columns,
            by_path,
            table: Table::Submissions,
            omitted: Vec::new(),
            omitted_paths: HashSet::new(),
        }
    }

    /// Appends one of the table's own columns, renamed `fieldline_<name>` if a field has its
    /// name.
    fn push_own_column(&mut self, name: &str, kind: Kind) {
        let name = if self.columns[..self.fields].iter().any(|c| c.name == name) {
            format!("fieldline_{name}")
        } else {
            name.to_owned()
        };
        self.columns.push(Column {
            name,
            label: String::new(),
            kind,
        });
    }
}

fn kind_of(form: &Form, leaf: &Node) -> Kind {
    match leaf.question_type().unwrap_or(QuestionType::Text) {
        QuestionType::Integer => Kind::Integer,
        QuestionType::Decimal | QuestionType::Range => Kind::Decimal,
        QuestionType::SelectOne => coded(form, leaf.choices.as_ref()).unwrap_or(Kind::Text),
        QuestionType::Date | QuestionType::Today => Kind::Date,
        QuestionType::DateTime | QuestionType::Start | QuestionType::End => Kind::DateTime,
        _ => Kind::Text,
    }
}

fn repeats_of(form: &Form) -> impl Iterator<Item = &Node> {
    form.nodes.iter().filter(|n| n.kind == NodeKind::Repeat)
}

/// The nearest repeat strictly above `node`, if any.
fn enclosing_repeat(form: &Form, node: &Node) -> Option<usize> {
    let mut parent = node.parent;
    while let Some(id) = parent {
        if form.nodes[id].kind == NodeKind::Repeat {
            return Some(id);
        }
        parent = form.nodes[id].parent;
    }
    None
}

fn root_path(form: &Form) -> &str {
    form.nodes.first().map(|r| r.path.as_str()).unwrap_or("")
}

/// `path` under `base`, without the leading `/`.
fn under_root<'a>(path: &'a str, base: &str) -> &'a str {
    path.strip_prefix(base)
        .unwrap_or(path)
        .trim_start_matches('/')
}

/// A payload path without its repeat positions: `/data/migrants[2]/m_age` -> `/data/migrants/m_age`.
fn without_positions(path: &str) -> String {
    path.split('/')
        .map(|step| step.split_once('[').map_or(step, |(name, _)| name))
        .collect::<Vec<_>>()
        .join("/")
}

/// A repeat instance's key: the submission's instance id and the instance's path under the
/// root, its position always written (`uuid:.../migrants[1]`), as ODK Central's `KEY`.
fn key_of(instance_id: &str, root: &str, steps: &[&str]) -> String {
    let mut key = instance_id.to_owned();
    let root_steps = root.split('/').count();
    for step in steps.iter().skip(root_steps) {
        key.push('/');
        key.push_str(step);
    }
    if !steps.last().is_some_and(|s| s.ends_with(']')) {
        key.push_str("[1]");
    }
    key
}

/// A select_one's codes and labels when every choice name is an integer.
fn coded(form: &Form, source: Option<&ChoiceSource>) -> Option<Kind> {
    let Some(ChoiceSource::List { list }) = source else {
        return None;
    };
    let choices = &form.choice_lists.iter().find(|l| &l.name == list)?.choices;
    if choices.is_empty() {
        return None;
    }
    let labels = choices
        .iter()
        .map(|c| {
            let code: i32 = c.name.parse().ok()?;
            // Canonical spellings only ("01" would come back as "1"), within Stata's `long`.
            (code.to_string() == c.name && code.unsigned_abs() <= 2_147_483_620)
                .then(|| (code, text_in(form, &c.label)))
        })
        .collect::<Option<Vec<_>>>()?;
    Some(Kind::Coded {
        list: list.clone(),
        labels,
    })
}

/// Text in the form's default language, else in the first language that has it.
fn text_in(form: &Form, text: &Translations) -> String {
    text.get(&form.default_language)
        .or_else(|| form.languages.iter().find_map(|l| text.get(l)))
        .or_else(|| text.values().next())
        .cloned()
        .unwrap_or_default()
}
