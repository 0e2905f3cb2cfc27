//! Leaf-by-leaf comparison of the two engines' output, and the shrinking of a failing sequence to a
//! small reproduction.

use std::{collections::BTreeSet, fmt::Write as _};

use serde_json::Value;

use super::{engines::Answers, paths::without_positions};

/// The fields of a leaf both engines must agree on (`value` is skipped for unstable leaves). Not
/// `type`: Fieldline prints the XLSForm type (`select_multiple`), the harness the XForm control
/// or bind type (`select`); the path already fixes which leaf it is.
const FIELDS: &[&str] = &[
    "relevant", "required", "readonly", "value", "valid", "message",
];

/// The first disagreement in one sequence.
#[derive(Debug, Clone)]
pub struct Difference {
    /// Path of the leaf (or of the first leaf one side has and the other lacks).
    pub path: String,
    pub what: String,
    pub odk: Value,
    pub fieldline: Value,
}

impl Difference {
    /// Whether `other` is the same problem, for shrinking: the same leaf and field (or the same
    /// rejected-answers kind of disagreement).
    pub fn same_kind(&self, other: &Difference) -> bool {
        without_positions(&self.path) == without_positions(&other.path) && self.what == other.what
    }
}

/// Compares every leaf; returns the number of leaves compared and the first difference.
pub fn compare(
    unstable: &BTreeSet<String>,
    odk: &[Value],
    fieldline: &[Value],
) -> (usize, Option<Difference>) {
    for (i, (a, b)) in odk.iter().zip(fieldline).enumerate() {
        let path = a["path"].as_str().unwrap_or_default();
        if a["path"] != b["path"] {
            let difference = Difference {
                path: path.to_owned(),
                what: "leaf list (path at this position)".to_owned(),
                odk: a.clone(),
                fieldline: b.clone(),
            };
            return (i, Some(difference));
        }
        let skip_value = unstable.contains(&without_positions(path));
        for field in FIELDS {
            if *field == "value" && skip_value {
                continue;
            }
            if a[field] != b[field] {
                let difference = Difference {
                    path: path.to_owned(),
                    what: (*field).to_owned(),
                    odk: a.clone(),
                    fieldline: b.clone(),
                };
                return (i, Some(difference));
            }
        }
    }
    if odk.len() != fieldline.len() {
        let (longer, side) = match odk.len() > fieldline.len() {
            true => (odk, "ODK"),
            false => (fieldline, "Fieldline"),
        };
        let extra = &longer[odk.len().min(fieldline.len())];
        let difference = Difference {
            path: extra["path"].as_str().unwrap_or_default().to_owned(),
            what: format!(
                "leaf count ({} in ODK, {} in Fieldline): only {side} has this leaf",
                odk.len(),
                fieldline.len()
            ),
            odk: if side == "ODK" {
                extra.clone()
            } else {
                Value::Null
            },
            fieldline: if side == "ODK" {
                Value::Null
            } else {
                extra.clone()
            },
        };
        return (odk.len().min(fieldline.len()), Some(difference));
    }
    (odk.len(), None)
}

/// Whether both engines reported the same answers as not taken. Fieldline reports on stderr and
/// exits 2; its lines name the answer (`answer N`, 0-based, as ODK's single mode does), so the
/// indices must match. The difference names the first answer only one engine reported.
pub fn compare_rejections(
    answers: &Answers,
    odk: &[usize],
    exit: i32,
    stderr: &str,
) -> Option<Difference> {
    let fieldline: BTreeSet<usize> = stderr
        .lines()
        .filter_map(|line| {
            let rest = &line[line.find(": answer ")? + 9..];
            let digits: String = rest.chars().take_while(char::is_ascii_digit).collect();
            digits.parse().ok()
        })
        .collect();
    let odk: BTreeSet<usize> = odk.iter().copied().collect();
    let reported = exit == 2;
    if odk == fieldline && reported != odk.is_empty() {
        return None;
    }
    let only = odk.symmetric_difference(&fieldline).next().copied();
    let (key, value) = only
        .and_then(|i| answers.get(i))
        .map_or(("", ""), |(k, v)| (k.as_str(), v.as_str()));
    let said = |set: &BTreeSet<usize>| match only {
        Some(i) if set.contains(&i) => format!("answer {i} ({key:?} = {value:?}) not taken"),
        Some(i) => format!("answer {i} ({key:?} = {value:?}) taken"),
        None => format!("{set:?}"),
    };
    Some(Difference {
        path: key.to_owned(),
        // Not the index: shrinking moves the answer, and it is still the same difference.
        what: "whether an answer is taken".to_owned(),
        odk: Value::from(said(&odk)),
        fieldline: Value::from(format!("{}; exit {exit}", said(&fieldline))),
    })
}

/// Removes answers while `still_fails` says the same difference persists: halves, then quarters,
/// ... then single answers (ddmin-style), until no removal keeps it or `budget` checks are spent.
pub fn shrink(
    answers: &Answers,
    budget: usize,
    mut still_fails: impl FnMut(&Answers) -> bool,
) -> Answers {
    let mut current = answers.clone();
    let mut checks = 0;
    let mut chunk = current.len().div_ceil(2).max(1);
    while !current.is_empty() && checks < budget {
        let mut removed_any = false;
        let mut start = 0;
        while start < current.len() && checks < budget {
            let mut candidate = current.clone();
            candidate.drain(start..(start + chunk).min(current.len()));
            checks += 1;
            if still_fails(&candidate) {
                current = candidate;
                removed_any = true;
            } else {
                start += chunk;
            }
        }
        if chunk == 1 && !removed_any {
            break;
        }
        chunk = (chunk / 2).max(1);
    }
    current
}

/// The report of one failing sequence: what differs, how to replay it, and both leaves.
pub fn describe(form: &str, seed_note: &str, answers: &Answers, diff: &Difference) -> String {
    let mut text = String::new();
    let _ = writeln!(text, "form {form} ({seed_note}):");
    let _ = writeln!(
        text,
        "  leaf {} differs in {}",
        if diff.path.is_empty() {
            "-"
        } else {
            &diff.path
        },
        diff.what
    );
    let _ = writeln!(text, "  answers ({}):", answers.len());
    for (key, value) in answers {
        let _ = writeln!(text, "    [{:?}, {:?}]", key, value);
    }
    let _ = writeln!(text, "  ODK:       {}", diff.odk);
    let _ = writeln!(text, "  Fieldline: {}", diff.fieldline);
    text
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    fn leaf(path: &str, value: &str) -> Value {
        json!({"path": path, "name": "x", "type": "string", "relevant": true, "required": false,
               "readonly": false, "value": value, "valid": true, "message": ""})
    }

    #[test]
    fn a_changed_value_is_a_difference_unless_the_leaf_is_unstable() {
        let odk = [
            leaf("/data/a", "1"),
            leaf("/data/meta/instanceID", "uuid:1"),
        ];
        let fl = [
            leaf("/data/a", "2"),
            leaf("/data/meta/instanceID", "uuid:2"),
        ];
        let unstable: BTreeSet<String> = ["/data/meta/instanceID".to_owned()].into();
        let (_, diff) = compare(&unstable, &odk, &fl);
        assert_eq!(diff.expect("a difference").path, "/data/a");
        let (compared, diff) = compare(&unstable, &odk[1..], &fl[1..]);
        assert!(diff.is_none() && compared == 1);
    }

    #[test]
    fn a_missing_leaf_is_a_difference() {
        let odk = [leaf("/data/a", ""), leaf("/data/b", "")];
        let (_, diff) = compare(&BTreeSet::new(), &odk, &odk[..1]);
        assert_eq!(diff.expect("a difference").path, "/data/b");
    }

    #[test]
    fn rejections_must_agree() {
        let answers: Answers = (0..3).map(|i| (format!("q{i}"), "x".to_owned())).collect();
        let line = "f.xlsx: answer 2 \"q2\": invalid-value: ...";
        assert!(compare_rejections(&answers, &[], 0, "").is_none());
        assert!(compare_rejections(&answers, &[2], 0, "").is_some());
        assert!(compare_rejections(&answers, &[2], 2, line).is_none());
        let diff = compare_rejections(&answers, &[1], 2, line).expect("a difference");
        assert_eq!(diff.path, "q1");
    }

    #[test]
    fn shrinking_keeps_only_what_the_failure_needs() {
        let answers: Answers = (0..20).map(|i| (format!("q{i}"), i.to_string())).collect();
        let needs =
            |a: &Answers| a.iter().any(|(k, _)| k == "q3") && a.iter().any(|(k, _)| k == "q17");
        let shrunk = shrink(&answers, 200, needs);
        let keys: Vec<&str> = shrunk.iter().map(|(k, _)| k.as_str()).collect();
        assert_eq!(keys, ["q3", "q17"]);
    }
}
