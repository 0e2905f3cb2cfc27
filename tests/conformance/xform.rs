//! What the answer generator and the comparison need to know about a form, read from the XForm
//! pyxform made of it (the same file ODK's engine loads): the questions with their types and choices,
//! the repeats, the literals the form's expressions compare answers with, and which leaves get a
//! fresh value on every instance (their values cannot be compared).

use std::collections::{BTreeSet, HashMap};

use anyhow::{anyhow, Context as _};
use roxmltree::{Document, Node};

use super::paths::{resolve, scan};

const XFORMS: &str = "http://www.w3.org/2002/xforms";
const JR: &str = "http://openrosa.org/javarosa";

/// A control the user answers, in body order.
#[derive(Debug, Clone)]
pub struct Question {
    /// Instance path without repeat positions, e.g. `/data/hh/age`.
    pub path: String,
    pub name: String,
    pub kind: Kind,
    /// The bind type without `xsd:` (`string` when absent).
    pub data_type: String,
    /// Choice values (inline items or the secondary instance an itemset reads), in list order.
    pub choices: Vec<String>,
    /// String and number literals of expressions that read this question: the values that flip a
    /// relevance, fail a constraint or change a calculation.
    pub literals: Vec<String>,
    /// Indices into [`XForm::repeats`] of the repeats around it, outermost first.
    pub repeats: Vec<usize>,
    /// Some `relevant` reads it: changing it late hides or shows answers already given.
    pub gate: bool,
    /// A `jr:count` reads it (maybe through calculations): the generator keeps it small, since
    /// both engines would build as many repeat instances as it says.
    pub counts_repeat: bool,
    /// The first leaf with this name in document order is this one, so the name is a usable key.
    pub first_of_name: bool,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    Input,
    Select1,
    Select,
    Rank,
    Range,
    Upload,
    Trigger,
}

#[derive(Debug, Clone)]
pub struct Repeat {
    pub path: String,
    /// `jr:count` sets the number of instances: answers cannot add any.
    pub counted: bool,
    /// The paths its `jr:count` reads.
    count_reads: Vec<String>,
}

#[derive(Debug, Clone)]
pub struct XForm {
    pub root: String,
    pub questions: Vec<Question>,
    pub repeats: Vec<Repeat>,
    /// Leaves that are not questions (calculates, notes' siblings, meta): answering them must be
    /// reported by both engines.
    pub others: Vec<String>,
    /// Leaf paths (without positions) whose value differs between two instances of the same form.
    pub unstable: BTreeSet<String>,
    pub leaf_count: usize,
}

/// Functions whose result differs from one call or instance to the next.
const VOLATILE: &[&str] = &["now()", "uuid(", "random(", "once("];
/// `jr:preload` kinds that give a fresh value per instance (instanceID, start, end, today).
const VOLATILE_PRELOADS: &[&str] = &["uid", "timestamp", "date"];

impl XForm {
    pub fn read(text: &str) -> anyhow::Result<Self> {
        let doc = Document::parse(text).context("not well-formed XML")?;
        let model = doc
            .descendants()
            .find(|n| n.has_tag_name((XFORMS, "model")))
            .ok_or_else(|| anyhow!("no <model>"))?;
        let instances: Vec<Node> = model
            .children()
            .filter(|n| n.has_tag_name((XFORMS, "instance")))
            .collect();
        let primary = instances
            .iter()
            .find(|n| n.attribute("id").is_none())
            .and_then(|n| n.first_element_child())
            .ok_or_else(|| anyhow!("no primary instance"))?;
        let root = primary.tag_name().name().to_owned();

        let mut leaves = Vec::new();
        collect_leaves(primary, &format!("/{root}"), &mut leaves);
        let mut binds: HashMap<String, Node> = HashMap::new();
        for bind in model
            .children()
            .filter(|n| n.has_tag_name((XFORMS, "bind")))
        {
            if let Some(nodeset) = bind.attribute("nodeset") {
                binds.insert(nodeset.to_owned(), bind);
            }
        }
        let secondary: HashMap<&str, Node> = instances
            .iter()
            .filter_map(|n| Some((n.attribute("id")?, *n)))
            .collect();

        let body = doc
            .descendants()
            .find(|n| n.tag_name().name() == "body")
            .ok_or_else(|| anyhow!("no <h:body>"))?;
        let mut repeats = Vec::new();
        let mut questions = Vec::new();
        walk_body(
            body,
            "",
            &mut Vec::new(),
            &mut repeats,
            &mut questions,
            &secondary,
        );

        let mut first_seen = HashMap::new();
        for leaf in &leaves {
            first_seen
                .entry(leaf.rsplit('/').next().unwrap_or(leaf).to_owned())
                .or_insert(leaf.clone());
        }
        let mut reads: HashMap<String, (Vec<String>, bool)> = HashMap::new();
        for (nodeset, bind) in &binds {
            for attr in [
                "relevant",
                "constraint",
                "calculate",
                "required",
                "readonly",
            ] {
                let Some(expr) = bind.attribute(attr) else {
                    continue;
                };
                let (paths, literals) = scan(expr, nodeset);
                for path in paths {
                    let entry = reads.entry(path).or_default();
                    entry.0.extend(literals.iter().cloned());
                    entry.1 |= attr == "relevant";
                }
            }
        }
        for q in &mut questions {
            let bind = binds.get(&q.path);
            q.data_type = bind
                .and_then(|b| b.attribute("type"))
                .map(|t| t.trim_start_matches("xsd:").to_owned())
                .unwrap_or_else(|| "string".to_owned());
            if let Some((literals, gate)) = reads.get(&q.path) {
                let mut seen: BTreeSet<String> = q.literals.iter().cloned().collect();
                let new: Vec<String> = literals
                    .iter()
                    .filter(|l| seen.insert(l.to_string()))
                    .cloned()
                    .collect();
                q.literals.extend(new);
                q.gate = *gate;
            }
            q.first_of_name = first_seen.get(&q.name) == Some(&q.path);
        }
        let counting = count_inputs(&repeats, &binds);
        for q in &mut questions {
            q.counts_repeat = counting.contains(&q.path);
        }
        let question_paths: BTreeSet<&str> = questions.iter().map(|q| q.path.as_str()).collect();
        let others = leaves
            .iter()
            .filter(|l| !question_paths.contains(l.as_str()))
            .cloned()
            .collect();
        let unstable = unstable_leaves(&leaves, &binds);
        Ok(Self {
            root,
            questions,
            repeats,
            others,
            unstable,
            leaf_count: leaves.len(),
        })
    }
}

/// Leaf paths of the primary instance, once each: a repeat's `jr:template` and its first instance
/// have the same path.
fn collect_leaves(node: Node, path: &str, out: &mut Vec<String>) {
    for child in node.children().filter(Node::is_element) {
        let child_path = format!("{path}/{}", prefixed_name(child));
        if child.first_element_child().is_some() {
            collect_leaves(child, &child_path, out);
        } else if !out.contains(&child_path) {
            out.push(child_path);
        }
    }
}

fn prefixed_name(node: Node) -> String {
    let name = node.tag_name().name();
    match node
        .tag_name()
        .namespace()
        .and_then(|ns| node.lookup_prefix(ns))
    {
        Some(prefix) if !prefix.is_empty() => format!("{prefix}:{name}"),
        _ => name.to_owned(),
    }
}

fn walk_body(
    node: Node,
    context: &str,
    open_repeats: &mut Vec<usize>,
    repeats: &mut Vec<Repeat>,
    questions: &mut Vec<Question>,
    secondary: &HashMap<&str, Node>,
) {
    for child in node.children().filter(Node::is_element) {
        let tag = child.tag_name().name();
        let reference = child
            .attribute("ref")
            .or_else(|| child.attribute("nodeset"));
        let path = reference.map(|r| resolve(context, r));
        let kind = match tag {
            "input" => Some(Kind::Input),
            "select1" => Some(Kind::Select1),
            "select" => Some(Kind::Select),
            "rank" => Some(Kind::Rank),
            "range" => Some(Kind::Range),
            "upload" => Some(Kind::Upload),
            "trigger" => Some(Kind::Trigger),
            _ => None,
        };
        match (tag, kind, path) {
            ("repeat", _, Some(path)) => {
                let count = child.attribute((JR, "count"));
                repeats.push(Repeat {
                    path: path.clone(),
                    counted: count.is_some(),
                    count_reads: count.map(|c| scan(c, &path).0).unwrap_or_default(),
                });
                open_repeats.push(repeats.len() - 1);
                walk_body(child, &path, open_repeats, repeats, questions, secondary);
                open_repeats.pop();
            }
            (_, Some(kind), Some(path)) => questions.push(Question {
                name: path.rsplit('/').next().unwrap_or(&path).to_owned(),
                choices: choices(child, secondary),
                path,
                kind,
                data_type: String::new(),
                // A range's bounds and step: values just inside and just outside them.
                literals: ["start", "end", "step"]
                    .iter()
                    .filter_map(|a| child.attribute(*a).map(str::to_owned))
                    .collect(),
                repeats: open_repeats.clone(),
                gate: false,
                counts_repeat: false,
                first_of_name: false,
            }),
            ("group", _, path) => {
                let inner = path.unwrap_or_else(|| context.to_owned());
                walk_body(child, &inner, open_repeats, repeats, questions, secondary);
            }
            _ => {}
        }
    }
}

fn choices(control: Node, secondary: &HashMap<&str, Node>) -> Vec<String> {
    let mut values: Vec<String> = control
        .children()
        .filter(|n| n.has_tag_name((XFORMS, "item")))
        .filter_map(|item| item.children().find(|n| n.has_tag_name((XFORMS, "value"))))
        .filter_map(|v| v.text().map(str::to_owned))
        .collect();
    let itemset = control
        .children()
        .find(|n| n.has_tag_name((XFORMS, "itemset")));
    if let Some(itemset) = itemset {
        let nodeset = itemset.attribute("nodeset").unwrap_or_default();
        let value_ref = itemset
            .children()
            .find(|n| n.has_tag_name((XFORMS, "value")))
            .and_then(|v| v.attribute("ref"))
            .unwrap_or("name");
        let id = nodeset
            .split_once("instance('")
            .and_then(|(_, rest)| rest.split_once('\''))
            .map(|(id, _)| id);
        if let Some(list) = id.and_then(|id| secondary.get(id)) {
            values.extend(
                list.descendants()
                    .filter(|n| n.tag_name().name() == "item")
                    .filter_map(|item| item.children().find(|c| c.tag_name().name() == value_ref))
                    .filter_map(|v| v.text().map(str::to_owned)),
            );
        }
    }
    values
}

/// Every path a `jr:count` reads, directly or through calculations.
fn count_inputs(repeats: &[Repeat], binds: &HashMap<String, Node>) -> BTreeSet<String> {
    let mut paths: BTreeSet<String> = repeats
        .iter()
        .flat_map(|r| r.count_reads.iter().cloned())
        .collect();
    let mut pending: Vec<String> = paths.iter().cloned().collect();
    while let Some(path) = pending.pop() {
        let Some(calc) = binds.get(&path).and_then(|b| b.attribute("calculate")) else {
            continue;
        };
        for read in scan(calc, &path).0 {
            if paths.insert(read.clone()) {
                pending.push(read);
            }
        }
    }
    paths
}

/// Preloads with fresh values, calculations calling a volatile function, and, transitively, every
/// calculation reading one of those.
fn unstable_leaves(leaves: &[String], binds: &HashMap<String, Node>) -> BTreeSet<String> {
    let mut unstable: BTreeSet<String> = leaves
        .iter()
        .filter(|leaf| {
            binds.get(*leaf).is_some_and(|b| {
                b.attribute((JR, "preload"))
                    .is_some_and(|p| VOLATILE_PRELOADS.contains(&p))
                    || b.attribute("calculate")
                        .is_some_and(|c| VOLATILE.iter().any(|v| c.contains(v)))
            })
        })
        .cloned()
        .collect();
    loop {
        let before = unstable.len();
        for leaf in leaves {
            let Some(calc) = binds.get(leaf).and_then(|b| b.attribute("calculate")) else {
                continue;
            };
            if scan(calc, leaf).0.iter().any(|p| unstable.contains(p)) {
                unstable.insert(leaf.clone());
            }
        }
        if unstable.len() == before {
            return unstable;
        }
    }
}
