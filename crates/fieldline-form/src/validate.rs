//! Checks that need the whole form: expressions parse and use supported functions, every
//! `${name}` names exactly one question, and calculations do not depend on themselves.

use std::collections::HashMap;

use crate::expression::references;
use crate::headers::{Header, Table};
use crate::model::Node;
use crate::problems::Problems;

/// Every `${name}` in the sheet's cells (except the columns pyxform exempts) must name
/// exactly one survey element.
pub fn check_references(
    table: &Table,
    only: Option<&dyn Fn(&Header) -> bool>,
    names: &HashMap<String, u32>,
    problems: &mut Problems,
) {
    for row in &table.rows {
        for (h, text) in &row.cells {
            let header = &table.headers[*h];
            let exempt = matches!(header.tokens[0].as_str(), "type" | "name" | "trigger")
                && table.sheet.eq_ignore_ascii_case("survey");
            if exempt || only.is_some_and(|f| !f(header)) || !text.contains("${") {
                continue;
            }
            check_text(text, &table.sheet, row.number, header, names, problems);
        }
    }
}

pub fn check_text(
    text: &str,
    sheet: &str,
    row: u32,
    header: &Header,
    names: &HashMap<String, u32>,
    problems: &mut Problems,
) {
    let col = Some(header.column());
    match references(text) {
        Err(_) => problems.at(
            sheet,
            row,
            col,
            "Reference variables must start with '${', then a question name, and end with '}'.",
            "check the spelling of the ${...} reference",
        ),
        Ok(refs) => {
            for r in refs {
                match names.get(r.name).copied().unwrap_or(0) {
                    0 => {
                        let close = names
                            .keys()
                            .map(|n| (strsim::damerau_levenshtein(n, r.name), n))
                            .filter(|(d, n)| *d <= 2.max(n.len() / 4))
                            .min_by_key(|(d, n)| (*d, n.as_str()))
                            .map(|(_, n)| format!("did you mean ${{{n}}}? "))
                            .unwrap_or_default();
                        problems.at(
                            sheet,
                            row,
                            col.clone(),
                            format!(
                                "unknown field ${{{}}}: there is no question named '{}' on the \
                                 survey sheet",
                                r.name, r.name
                            ),
                            format!("{close}reference variables must name a question"),
                        )
                    }
                    1 => {}
                    _ => problems.at(
                        sheet,
                        row,
                        col.clone(),
                        format!(
                            "ambiguous reference ${{{}}}: the name '{}' appears more than once \
                             in the survey",
                            r.name, r.name
                        ),
                        "rename the questions so the referenced name is unique",
                    ),
                }
            }
        }
    }
}

/// Report every cycle among calculations (`a` computed from `b` computed from `a`).
pub fn check_cycles(nodes: &[Node], sheet: &Table, problems: &mut Problems) {
    let mut by_name: HashMap<&str, Vec<usize>> = HashMap::new();
    for n in nodes {
        by_name.entry(n.name.as_str()).or_default().push(n.id);
    }
    let deps = |id: usize| -> Vec<usize> {
        let Some(calc) = &nodes[id].bind.calculate else {
            return Vec::new();
        };
        calc.expr()
            .field_refs()
            .into_iter()
            .filter_map(|name| match by_name.get(name).map(Vec::as_slice) {
                Some([one]) if nodes[*one].bind.calculate.is_some() => Some(*one),
                _ => None,
            })
            .collect()
    };
    // Iterative DFS with colours; a grey target closes a cycle along the current path.
    let mut colour = vec![0u8; nodes.len()];
    let mut reported: Vec<Vec<usize>> = Vec::new();
    for start in 0..nodes.len() {
        if colour[start] != 0 || nodes[start].bind.calculate.is_none() {
            continue;
        }
        let mut path: Vec<(usize, Vec<usize>)> = vec![(start, deps(start))];
        colour[start] = 1;
        while let Some((node, pending)) = path.last_mut() {
            let node = *node;
            let Some(next) = pending.pop() else {
                colour[node] = 2;
                path.pop();
                continue;
            };
            match colour[next] {
                0 => {
                    colour[next] = 1;
                    path.push((next, deps(next)));
                }
                1 => {
                    let from = path.iter().position(|(n, _)| *n == next).expect("on path");
                    let mut cycle: Vec<usize> = path[from..].iter().map(|(n, _)| *n).collect();
                    let mut key = cycle.clone();
                    key.sort_unstable();
                    if !reported.contains(&key) {
                        reported.push(key);
                        cycle.push(next);
                        report_cycle(&cycle, nodes, sheet, problems);
                    }
                }
                _ => {}
            }
        }
    }
}

fn report_cycle(cycle: &[usize], nodes: &[Node], table: &Table, problems: &mut Problems) {
    let names: Vec<String> = cycle
        .iter()
        .map(|i| format!("${{{}}}", nodes[*i].name))
        .collect();
    let first = &nodes[cycle[0]];
    let col = table.header(&["bind", "calculate"]).map(|h| h.column());
    problems.at(
        &table.sheet,
        first.row.unwrap_or(1),
        col,
        format!("circular calculation: {}", names.join(" -> ")),
        "a calculation cannot depend on itself; break the cycle by changing one of these \
         calculations",
    );
}
