//! The choices a select offers now (after `choice_filter`), their labels per language, and
//! ODK's rule that a select's value is its selection restricted to the offered choices, in
//! choice order (so a cascading select's answer disappears while its parent answer excludes
//! it, and comes back if the parent answer does).

use std::borrow::Cow;

use crate::model::Translations;

use super::codec::ValueKind;
use super::plan::{DefId, Options};
use super::{Instance, InstanceNodeId};

/// A choice offered by a select.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OfferedChoice {
    /// The value stored when it is chosen.
    pub name: String,
    /// The label in the requested language (falling back to the default language).
    pub label: String,
}

impl Instance {
    /// The choices `node` offers now, in order, labelled in `language` (`None` = the
    /// instance's current language). Empty for a node that is not a select.
    pub fn choices(&self, node: InstanceNodeId, language: Option<&str>) -> Vec<OfferedChoice> {
        let Ok(n) = self.node_checked(node) else {
            return Vec::new();
        };
        let lang = language.unwrap_or(&self.language);
        let def = n.def as DefId;
        match &self.plan.defs[def].options {
            Options::List(l) => {
                let list = &self.plan.form.choice_lists[*l];
                n.options
                    .iter()
                    .map(|&i| {
                        let c = &list.choices[i as usize];
                        OfferedChoice {
                            name: c.name.clone(),
                            label: self
                                .translate_in(&c.label, lang)
                                .unwrap_or(&c.name)
                                .to_string(),
                        }
                    })
                    .collect()
            }
            Options::Answers(_) => self
                .answer_options
                .get(&node.0)
                .into_iter()
                .flatten()
                .map(|v| OfferedChoice {
                    name: v.clone(),
                    label: v.clone(),
                })
                .collect(),
            Options::Missing | Options::None => Vec::new(),
        }
    }

    /// Offered choice names of a select node, in order.
    fn offered(&self, node: u32) -> Vec<&str> {
        let n = &self.nodes[node as usize];
        match &self.plan.defs[n.def as DefId].options {
            Options::List(l) => {
                let list = &self.plan.form.choice_lists[*l];
                n.options
                    .iter()
                    .map(|&i| list.choices[i as usize].name.as_str())
                    .collect()
            }
            Options::Answers(_) => self
                .answer_options
                .get(&node)
                .into_iter()
                .flatten()
                .map(String::as_str)
                .collect(),
            Options::Missing | Options::None => Vec::new(),
        }
    }

    /// A selection restricted to what `node` offers now: select_one keeps its choice if
    /// offered, select_multiple keeps offered choices in choice order, rank in its own order
    /// followed by the offered options it lacks.
    pub(crate) fn restrict_to_offered(&self, node: u32, selection: &str) -> String {
        if selection.is_empty() {
            return String::new();
        }
        let offered = self.offered(node);
        let kind = self.plan.defs[self.nodes[node as usize].def as DefId].value;
        match kind {
            ValueKind::Select1 => {
                if offered.contains(&selection) {
                    selection.to_string()
                } else {
                    String::new()
                }
            }
            ValueKind::Rank => {
                // ODK's RankControl: the ranked names still offered, in the given order and
                // each once, then any offered option the ranking lacks (one a filter has
                // just offered), in choice order.
                let mut kept: Vec<&str> = Vec::new();
                for t in selection.split_whitespace().chain(offered.iter().copied()) {
                    if offered.contains(&t) && !kept.contains(&t) {
                        kept.push(t);
                    }
                }
                kept.join(" ")
            }
            _ => {
                let chosen: Vec<&str> = selection.split_whitespace().collect();
                offered
                    .into_iter()
                    .filter(|o| chosen.contains(o))
                    .collect::<Vec<_>>()
                    .join(" ")
            }
        }
    }

    /// Choices in `value` that `node` does not offer now.
    pub(crate) fn unoffered(&self, node: u32, value: &str, kind: ValueKind) -> Vec<String> {
        let offered = self.offered(node);
        let given: Vec<&str> = if kind == ValueKind::Select1 {
            if value.is_empty() {
                Vec::new()
            } else {
                vec![value]
            }
        } else {
            value.split_whitespace().collect()
        };
        given
            .into_iter()
            .filter(|g| !offered.contains(g))
            .map(str::to_string)
            .collect()
    }

    /// Options `node` (a rank) offers now that the ranking `value` leaves out, in choice
    /// order; none for a blank ranking, which clears the answer.
    pub(crate) fn unranked(&self, node: u32, value: &str) -> Vec<String> {
        let given: Vec<&str> = value.split_whitespace().collect();
        if given.is_empty() {
            return Vec::new();
        }
        self.offered(node)
            .into_iter()
            .filter(|o| !given.contains(o))
            .map(str::to_string)
            .collect()
    }

    /// The label of choice `value` of select `node` in `lang` (`jr:choice-name`).
    pub(crate) fn choice_label_of(&self, node: u32, value: &str, lang: &str) -> Option<String> {
        let n = &self.nodes[node as usize];
        match &self.plan.defs.defs.get(n.def as usize)?.options {
            Options::List(l) => {
                let list = &self.plan.form.choice_lists[*l];
                let c = n
                    .options
                    .iter()
                    .map(|&i| &list.choices[i as usize])
                    .find(|c| c.name == value)?;
                Some(self.translate_in(&c.label, lang).unwrap_or("").to_string())
            }
            Options::Answers(_) => self.offered(node).contains(&value).then(|| value.into()),
            _ => None,
        }
    }

    /// Text in the current language, else the form's default language, else any.
    pub(crate) fn translate<'t>(&self, t: &'t Translations) -> Option<&'t str> {
        self.translate_in(t, &self.language)
    }

    pub(crate) fn translate_in<'t>(&self, t: &'t Translations, lang: &str) -> Option<&'t str> {
        t.get(lang)
            .or_else(|| t.get(&self.plan.form.default_language))
            .or_else(|| t.values().next())
            .map(String::as_str)
    }

    /// The label of a node's choice as the UI shows it.
    pub fn choice_label(
        &self,
        node: InstanceNodeId,
        value: &str,
        language: Option<&str>,
    ) -> Option<Cow<'_, str>> {
        self.node_checked(node).ok()?;
        self.choice_label_of(node.0, value, language.unwrap_or(&self.language))
            .map(Cow::Owned)
    }
}
