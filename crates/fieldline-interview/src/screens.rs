//! The screens an interview is shown on, in order, and where each question stands.
//!
//! As in ODK Collect: one screen per relevant question, one per `field-list` group (or repeat
//! instance) with all its relevant questions, and after the instances of a repeat whose count
//! the enumerator decides, a screen to add another. Calculations and metadata have no screen.
//! Screens are recomputed from the instance after every answer, so relevance changes show at
//! once; a screen's key is an instance path and survives a replay, so it is what the store
//! remembers as the draft's position.

use fieldline_form::instance::{Instance, InstanceNodeId};
use fieldline_form::{NodeId, NodeKind};

/// The position of the end of the form (review and finalize), which has no instance path.
pub const END_SCREEN_KEY: &str = "#end";

/// One screen of the interview.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Screen {
    /// Stable across replays: the question's or group's instance path; for a repeat prompt,
    /// the repeat's path without a position (`/data/migrants`), which is also what
    /// [`Action::AddRepeat`](crate::Action::AddRepeat) takes.
    pub key: String,
    pub kind: ScreenKind,
    /// The groups and repeat instances the screen is inside, outermost first, for its heading.
    pub within: Vec<InstanceNodeId>,
}

/// What a screen shows.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ScreenKind {
    /// One question (a note included).
    Question(InstanceNodeId),
    /// A `field-list` group or repeat instance: its relevant questions, in order.
    FieldList {
        group: InstanceNodeId,
        questions: Vec<InstanceNodeId>,
    },
    /// After a repeat's instances: how many there are, add another, or go on.
    RepeatPrompt {
        /// The instance node the repeat's instances are children of.
        parent: InstanceNodeId,
        /// The repeat's definition.
        repeat: NodeId,
        instances: Vec<InstanceNodeId>,
    },
}

impl Screen {
    /// The questions on the screen.
    pub fn questions(&self) -> Vec<InstanceNodeId> {
        match &self.kind {
            ScreenKind::Question(node) => vec![*node],
            ScreenKind::FieldList { questions, .. } => questions.clone(),
            ScreenKind::RepeatPrompt { .. } => Vec::new(),
        }
    }
}

/// Every screen of the interview as it stands, in document order.
pub fn screens(inst: &Instance) -> Vec<Screen> {
    let mut out = Vec::new();
    walk(inst, inst.root(), &mut Vec::new(), &mut out);
    out
}

fn walk(
    inst: &Instance,
    container: InstanceNodeId,
    within: &mut Vec<InstanceNodeId>,
    out: &mut Vec<Screen>,
) {
    let form = inst.form();
    let children = inst.children(container);
    for &def in &inst.definition(container).children {
        let def_node = &form.nodes[def];
        match def_node.kind {
            NodeKind::Question(ty) => {
                let Some(node) = instance_of(inst, &children, def) else {
                    continue;
                };
                if ty.is_prompt() && inst.is_relevant(node) {
                    out.push(Screen {
                        key: inst.path(node),
                        kind: ScreenKind::Question(node),
                        within: within.clone(),
                    });
                }
            }
            NodeKind::Group => {
                let Some(group) = instance_of(inst, &children, def) else {
                    continue;
                };
                if inst.is_relevant(group) {
                    container_screens(inst, group, within, out);
                }
            }
            NodeKind::Repeat => {
                let instances: Vec<_> = children
                    .iter()
                    .copied()
                    .filter(|&c| inst.definition(c).id == def)
                    .collect();
                for &instance in &instances {
                    if inst.is_relevant(instance) {
                        container_screens(inst, instance, within, out);
                    }
                }
                // A repeat with no instance left has nothing to evaluate its relevance on; its
                // container's relevance stands in for it.
                let offered = if instances.is_empty() {
                    inst.is_relevant(container)
                } else {
                    instances.iter().any(|&i| inst.is_relevant(i))
                };
                if def_node.repeat_count.is_none() && offered {
                    out.push(Screen {
                        key: format!("{}/{}", inst.path(container), def_node.name),
                        kind: ScreenKind::RepeatPrompt {
                            parent: container,
                            repeat: def,
                            instances,
                        },
                        within: within.clone(),
                    });
                }
            }
            NodeKind::Root => {}
        }
    }
}

/// The screens of a relevant group or repeat instance: one, if it is a field list.
fn container_screens(
    inst: &Instance,
    node: InstanceNodeId,
    within: &mut Vec<InstanceNodeId>,
    out: &mut Vec<Screen>,
) {
    within.push(node);
    if is_field_list(inst, node) {
        let mut questions = Vec::new();
        collect_questions(inst, node, &mut questions);
        if !questions.is_empty() {
            within.pop();
            out.push(Screen {
                key: inst.path(node),
                kind: ScreenKind::FieldList {
                    group: node,
                    questions,
                },
                within: within.clone(),
            });
            return;
        }
    } else {
        walk(inst, node, within, out);
    }
    within.pop();
}

fn is_field_list(inst: &Instance, node: InstanceNodeId) -> bool {
    inst.definition(node)
        .appearance
        .as_deref()
        .is_some_and(|a| a.split_whitespace().any(|w| w == "field-list"))
}

/// The relevant questions under `node`, nested groups and repeat instances included.
fn collect_questions(inst: &Instance, node: InstanceNodeId, out: &mut Vec<InstanceNodeId>) {
    for child in inst.children(node) {
        if !inst.is_relevant(child) {
            continue;
        }
        match inst.definition(child).kind {
            NodeKind::Question(ty) if ty.is_prompt() => out.push(child),
            NodeKind::Group | NodeKind::Repeat => collect_questions(inst, child, out),
            _ => {}
        }
    }
}

fn instance_of(
    inst: &Instance,
    children: &[InstanceNodeId],
    def: NodeId,
) -> Option<InstanceNodeId> {
    children
        .iter()
        .copied()
        .find(|&c| inst.definition(c).id == def)
}

/// Where a question stands, for the overview.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum QuestionStatus {
    Answered,
    Unanswered,
    /// Its constraint fails, or it is required and empty.
    Invalid,
}

/// One question of the overview.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StatusEntry {
    /// The screen that shows it.
    pub screen_key: String,
    pub node: InstanceNodeId,
    pub status: QuestionStatus,
}

/// Every question an enumerator answers (not notes or read-only ones), on the given screens,
/// with its status. A required question left empty counts as invalid only once `strict` (the
/// enumerator has tried to finalize, or moved past it); before that it is just unanswered.
pub fn overview(inst: &Instance, screens: &[Screen], strict: bool) -> Vec<StatusEntry> {
    let mut entries = Vec::new();
    for screen in screens {
        for node in screen.questions() {
            let answerable = !inst.is_readonly(node)
                && !matches!(
                    inst.definition(node).kind,
                    NodeKind::Question(fieldline_form::QuestionType::Note)
                );
            if !answerable {
                continue;
            }
            let empty = inst.value(node).is_empty();
            let status = if !inst.is_valid(node) || (strict && empty && inst.is_required(node)) {
                QuestionStatus::Invalid
            } else if empty {
                QuestionStatus::Unanswered
            } else {
                QuestionStatus::Answered
            };
            entries.push(StatusEntry {
                screen_key: screen.key.clone(),
                node,
                status,
            });
        }
    }
    entries
}
