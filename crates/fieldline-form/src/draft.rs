//! What the survey builder and the select builder share: the node being built, the context
//! they read and update, and resolving choices from attached files. Both depend on this
//! module, not on each other.

use crate::attachments::Attachments;
use crate::choices;
use crate::model::{ChoiceList, ChoiceSource, Node, NodeKind};
use crate::problems::Problems;
use crate::settings::Settings;

/// A node while the tree is being built; flattened into the arena at the end.
#[derive(Debug, Clone)]
pub struct Draft {
    pub node: Node,
    pub children: Vec<Draft>,
}

impl Draft {
    pub fn new(name: impl Into<String>, kind: NodeKind) -> Self {
        Draft {
            node: Node::new(0, name.into(), kind, None),
            children: Vec::new(),
        }
    }
}

/// Everything the builder reads or updates besides the sheet.
pub struct Context<'a> {
    pub settings: &'a mut Settings,
    pub lists: &'a mut Vec<ChoiceList>,
    pub has_choices_sheet: bool,
    pub attachments: &'a Attachments,
    pub missing_files: &'a mut Vec<String>,
    pub lang: &'a str,
    pub problems: &'a mut Problems,
}

/// Resolve a select's choices from an attached file (CSV only; XML and GeoJSON are kept as
/// references the engine resolves later).
pub(crate) fn file_source(
    file: &str,
    value: &str,
    label: &str,
    cx: &mut Context,
) -> Result<ChoiceSource, String> {
    let loaded = match cx.attachments.get(file) {
        None => {
            if !cx.missing_files.iter().any(|f| f == file) {
                cx.missing_files.push(file.to_string());
            }
            false
        }
        Some(bytes) if file.ends_with(".csv") => {
            let list = choices::from_csv(file, bytes, value, label, cx.lang)?;
            if let Some(existing) = cx.lists.iter_mut().find(|l| l.name == file) {
                *existing = list;
            } else {
                cx.lists.push(list);
            }
            true
        }
        Some(_) => false,
    };
    Ok(ChoiceSource::File {
        file: file.to_string(),
        value: value.to_string(),
        label: label.to_string(),
        loaded,
    })
}
