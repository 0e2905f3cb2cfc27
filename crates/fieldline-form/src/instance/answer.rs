//! Setting answers: by node or by key (a leaf name, or an instance path with 1-based repeat
//! positions where missing instances of user-controlled repeats are added on demand).

use super::codec::ValueKind;
use super::error::{AnswerError, KeyError, SetError};
use super::plan::{DefId, DefKind};
use super::tree::{READONLY, ROOT};
use super::{Instance, InstanceNodeId};
use crate::types::QuestionType;

/// Why a question type has no control to answer it, if it has none.
fn not_settable(q: Option<QuestionType>) -> Option<&'static str> {
    use QuestionType::*;
    Some(match q? {
        Calculate => "calculate",
        Hidden => "hidden field",
        Note => "note",
        Start | End | Today | DeviceId | Username | PhoneNumber | SimSerial | SubscriberId
        | Email | Audit | StartGeopoint | BackgroundAudio | BackgroundGeopoint => "metadata field",
        XmlExternal | CsvExternal => "external instance",
        _ => return None,
    })
}

impl Instance {
    /// Set the answer of a leaf. The value is an XForm string (select_multiple
    /// space-separated). Canonical spellings are accepted and stored canonically (`07` for an
    /// integer is stored `7`, `3` for a decimal `3.0`, select_multiple in choice order); a
    /// value the node cannot take (wrong type, a choice not offered, read-only, a calculation)
    /// is refused and the instance is left unchanged.
    pub fn set_value(&mut self, node: InstanceNodeId, value: &str) -> Result<(), SetError> {
        self.set_inner(node, value, false)
    }

    /// As [`Instance::set_value`], but a wrong-typed value or unknown choice is stored the way
    /// ODK's engine stores it (an int `3.7` as `3`, `abc` as empty, unknown choices dropped)
    /// and still reported. For replaying answers exactly as ODK would.
    pub fn set_value_as_odk(&mut self, node: InstanceNodeId, value: &str) -> Result<(), SetError> {
        self.set_inner(node, value, true)
    }

    /// Resolve `key` (adding repeat instances a path asks for) and set its value. Returns the
    /// node that was set.
    pub fn set_answer(&mut self, key: &str, value: &str) -> Result<InstanceNodeId, AnswerError> {
        let node = self.resolve_key(key)?;
        self.set_value(node, value)?;
        Ok(node)
    }

    fn set_inner(&mut self, node: InstanceNodeId, value: &str, odk: bool) -> Result<(), SetError> {
        let n = self.node_checked(node)?;
        let def = n.def as DefId;
        let plan = self.plan.clone();
        let d = &plan.defs[def];
        let path = || self.path_of(node.0);
        if d.kind != DefKind::Leaf {
            return Err(SetError::NotSettable {
                path: path(),
                kind: "group or repeat",
            });
        }
        if let Some(kind) = not_settable(plan.form.nodes[def].question_type()) {
            return Err(SetError::NotSettable { path: path(), kind });
        }
        if n.has(READONLY) {
            return Err(SetError::ReadOnly { path: path() });
        }
        let invalid = |reason: String, stored: String| SetError::InvalidValue {
            path: path(),
            kind: kind_name(d.value),
            value: value.to_string(),
            reason,
            stored,
        };
        let (stored, error) = match d.value {
            ValueKind::Acknowledge => {
                if value != "OK" && !value.is_empty() {
                    let current = self.nodes[node.0 as usize].value.clone();
                    return Err(invalid(
                        "an acknowledge takes \"OK\" or \"\"".into(),
                        current,
                    ));
                }
                (value.to_string(), None)
            }
            ValueKind::Rank => {
                let missing = self.unranked(node.0, value);
                if !missing.is_empty() {
                    return Err(SetError::MissingRankOptions {
                        path: path(),
                        value: value.to_string(),
                        missing,
                    });
                }
                let unknown = self.unoffered(node.0, value, ValueKind::Rank);
                let stored = self.restrict_to_offered(node.0, value);
                let error = (!value.is_empty() && value.trim().is_empty())
                    .then(|| invalid("blank; use \"\" to clear".into(), String::new()))
                    .or_else(|| {
                        (!unknown.is_empty()).then(|| {
                            invalid(format!("not offered now: {}", unknown.join(", ")), stored)
                        })
                    });
                // ODK keeps the ranking as given (unknown names too, shown only while they
                // are offered); the shown value is derived from it as options change.
                let given: Vec<&str> = value.split_whitespace().collect();
                (given.join(" "), error)
            }
            k if k.is_select() => {
                let unknown = self.unoffered(node.0, value, k);
                let kept = self.restrict_to_offered(node.0, value);
                let blank = !value.is_empty() && value.trim().is_empty();
                let error = if blank {
                    Some(invalid("blank; use \"\" to clear".into(), kept.clone()))
                } else {
                    (!unknown.is_empty()).then(|| {
                        invalid(
                            format!("not offered now: {}", unknown.join(", ")),
                            kept.clone(),
                        )
                    })
                };
                (kept, error)
            }
            k => {
                let stored = d.normalize(value);
                let error = (!k.same(value, &stored)).then(|| {
                    invalid(
                        format!("not a valid {} value", kind_name(k)),
                        stored.clone(),
                    )
                });
                (stored, error)
            }
        };
        if error.is_none() || odk {
            self.store(node.0, stored);
            self.run();
        }
        error.map_or(Ok(()), Err)
    }

    /// The leaf a key denotes, adding instances of user-controlled repeats a path asks for
    /// (each gets its defaults and calculations, as in ODK).
    pub fn resolve_key(&mut self, key: &str) -> Result<InstanceNodeId, KeyError> {
        loop {
            match self.lookup(key)? {
                Lookup::Found(node) => return Ok(node),
                Lookup::Missing {
                    parent,
                    repeat,
                    have,
                    want,
                } => {
                    for i in have..want {
                        self.insert_instance(parent, repeat, i);
                    }
                    self.structure_changed(parent, repeat);
                    self.run();
                }
            }
        }
    }

    /// The leaf a key denotes now, without adding repeat instances.
    pub fn find_key(&self, key: &str) -> Result<InstanceNodeId, KeyError> {
        match self.lookup(key)? {
            Lookup::Found(node) => Ok(node),
            Lookup::Missing {
                repeat, have, want, ..
            } => Err(KeyError::BadPath {
                path: key.to_string(),
                reason: format!(
                    "{} has {have} instance(s), not {want}",
                    self.plan.defs[repeat].name
                ),
            }),
        }
    }

    fn lookup(&self, key: &str) -> Result<Lookup, KeyError> {
        if !key.starts_with('/') {
            return self.by_name(key).map(Lookup::Found);
        }
        let bad = |reason: String| KeyError::BadPath {
            path: key.to_string(),
            reason,
        };
        let steps = parse_path(key).map_err(bad)?;
        let root_name = &self.plan.defs[0].name;
        match steps.first() {
            Some((name, None)) if name == root_name => {}
            _ => return Err(bad(format!("the path must start with /{root_name}"))),
        }
        let defs = &self.plan.defs;
        let mut node = ROOT;
        for (name, position) in &steps[1..] {
            let def = self.nodes[node as usize].def as DefId;
            let Some(&child) = defs[def].children.iter().find(|&&c| defs[c].name == *name) else {
                return Err(bad(format!("no node {name} under {}", self.path_of(node))));
            };
            let is_repeat = defs[child].kind == DefKind::Repeat;
            let pos = position.unwrap_or(1);
            if !is_repeat && pos != 1 {
                return Err(bad(format!("{name} is not a repeat, only [1] is allowed")));
            }
            let instances = self.children_of_def(node, child);
            if instances.len() < pos {
                if defs[child].counted {
                    return Err(bad(format!(
                        "{name} has {} instance(s); its count is set by the form (repeat_count)",
                        instances.len()
                    )));
                }
                return Ok(Lookup::Missing {
                    parent: node,
                    repeat: child,
                    have: instances.len(),
                    want: pos,
                });
            }
            node = instances[pos - 1];
        }
        if defs[self.nodes[node as usize].def as DefId].kind != DefKind::Leaf {
            return Err(bad("it is a group or repeat, not a leaf".into()));
        }
        Ok(Lookup::Found(InstanceNodeId(node)))
    }

    fn by_name(&self, name: &str) -> Result<InstanceNodeId, KeyError> {
        self.leaf_nodes()
            .into_iter()
            .find(|&n| self.plan.defs[self.nodes[n as usize].def as DefId].name == name)
            .map(InstanceNodeId)
            .ok_or_else(|| KeyError::UnknownName {
                name: name.to_string(),
            })
    }
}

/// Where a key leads.
enum Lookup {
    Found(InstanceNodeId),
    /// A path step asks for instance `want` of a user-controlled repeat that has `have`.
    Missing {
        parent: u32,
        repeat: DefId,
        have: usize,
        want: usize,
    },
}

/// `/data/hh[2]/age` into `[("data", None), ("hh", Some(2)), ("age", None)]`.
fn parse_path(path: &str) -> Result<Vec<(String, Option<usize>)>, String> {
    path.split('/')
        .skip(1)
        .map(|step| {
            let (name, pos) = match step.split_once('[') {
                None => (step, None),
                Some((name, rest)) => {
                    let digits = rest
                        .strip_suffix(']')
                        .ok_or_else(|| format!("bad path step {step:?}"))?;
                    let n: usize = digits
                        .parse()
                        .ok()
                        .filter(|&n| n >= 1 && !digits.starts_with('0'))
                        .ok_or_else(|| format!("bad position in {step:?}"))?;
                    (name, Some(n))
                }
            };
            if name.is_empty() || name.contains(']') {
                return Err(format!("bad path step {step:?}"));
            }
            Ok((name.to_string(), pos))
        })
        .collect()
}

pub(crate) fn kind_name(k: ValueKind) -> &'static str {
    match k {
        ValueKind::None => "group",
        ValueKind::String => "string",
        ValueKind::Int => "int",
        ValueKind::Decimal => "decimal",
        ValueKind::Date => "date",
        ValueKind::Time => "time",
        ValueKind::DateTime => "dateTime",
        ValueKind::Geopoint => "geopoint",
        ValueKind::Geotrace => "geotrace",
        ValueKind::Geoshape => "geoshape",
        ValueKind::Opaque => "file or barcode",
        ValueKind::Select1 => "select_one",
        ValueKind::Select => "select_multiple",
        ValueKind::Rank => "rank",
        ValueKind::Acknowledge => "acknowledge",
    }
}
