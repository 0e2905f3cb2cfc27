//! Streaming one CSV export into what the statistics need.

use std::collections::HashMap;
use std::io::{BufRead, BufReader, Read};

use crate::compile::Analysis;
use crate::context::{compute, Layout, Row};
use crate::error::{AnalysisError, Place};

/// An indicator's outcome for one submission.
pub(crate) const OUT: u8 = 0;
pub(crate) const FAILURE: u8 = 1;
pub(crate) const SUCCESS: u8 = 2;

/// The values of one `--by` column: each distinct value once, and each row's value index.
#[derive(Debug, Clone, Default)]
pub(crate) struct GroupColumn {
    pub values: Vec<String>,
    pub index: HashMap<String, u32>,
    pub of_row: Vec<u32>,
}

impl GroupColumn {
    fn push(&mut self, value: &str) {
        // Few distinct values (sex, district) are found faster in order than by hashing.
        if self.values.len() <= 16 {
            if let Some(id) = self
                .values
                .iter()
                .position(|v| crate::fast::short_eq(v, value))
            {
                self.of_row.push(id as u32);
                return;
            }
        }
        let id = match self.index.get(value) {
            Some(&id) => id,
            None => {
                let id = self.values.len() as u32;
                self.values.push(value.to_string());
                self.index.insert(value.to_string(), id);
                id
            }
        };
        self.of_row.push(id);
    }
}

/// One round (baseline or endline) read from its file.
#[derive(Debug, Clone)]
pub struct Round {
    pub file: String,
    pub rows: usize,
    /// Per indicator, per row: [`OUT`], [`FAILURE`] or [`SUCCESS`].
    pub(crate) states: Vec<Vec<u8>>,
    pub(crate) groups: Vec<GroupColumn>,
    pub(crate) weights: Option<Vec<f64>>,
    /// Cluster code ids (dense over the file) per row.
    pub(crate) clusters: Option<Vec<u32>>,
    pub(crate) cluster_count: usize,
    /// Panel id -> row.
    pub(crate) panel: Option<HashMap<String, u32>>,
}

/// Read one CSV export. `file` names it in errors. The delimiter (`,`, `;` as KoboToolbox
/// writes by default, or tab) is taken from the header line; a UTF-8 byte order mark is
/// skipped.
pub fn read_round<R: Read>(
    analysis: &Analysis,
    file: &str,
    reader: R,
) -> Result<Round, AnalysisError> {
    let mut buffered = BufReader::with_capacity(1 << 16, reader);
    let delimiter = {
        let head = buffered.fill_buf().map_err(|e| AnalysisError::Csv {
            file: file.to_string(),
            message: format!("cannot read: {e}"),
        })?;
        sniff_delimiter(head)
    };
    let mut csv = csv::ReaderBuilder::new()
        .delimiter(delimiter)
        .flexible(true)
        .from_reader(buffered);
    let csv_error = |e: csv::Error| {
        let row = e.position().map(|p| p.record() + 1);
        AnalysisError::Csv {
            file: file.to_string(),
            message: match row {
                Some(r) => format!("row {r}: not readable as CSV: {e}"),
                None => format!("not readable as CSV: {e}"),
            },
        }
    };
    let headers: Vec<String> = csv
        .headers()
        .map_err(csv_error)?
        .iter()
        .map(|h| h.trim_start_matches('\u{feff}').to_string())
        .collect();
    if headers.iter().all(|h| h.trim().is_empty()) {
        return Err(AnalysisError::Csv {
            file: file.to_string(),
            message: "the file is empty: the first row must name the columns".into(),
        });
    }
    let layout = Layout::new(analysis, headers, file)?;
    let mut round = Round {
        file: file.to_string(),
        rows: 0,
        states: vec![Vec::new(); analysis.indicators.len()],
        groups: vec![GroupColumn::default(); layout.by.len()],
        weights: layout.weight.map(|_| Vec::new()),
        clusters: layout.cluster.map(|_| Vec::new()),
        cluster_count: 0,
        panel: layout.panel.map(|_| HashMap::new()),
    };
    let mut cluster_ids: HashMap<String, u32> = HashMap::new();
    let mut record = csv::StringRecord::new();
    let mut computed = Vec::new();
    let mut row_number: u64 = 1;
    while csv.read_record(&mut record).map_err(csv_error)? {
        row_number += 1;
        let place = |column: usize| Place {
            file: file.to_string(),
            row: row_number,
            column: Some((column, layout.headers[column].clone())),
        };
        let cell = |column: usize| record.get(column).unwrap_or("");

        for check in &layout.checks {
            let value = cell(check.column);
            // Most cells are empty or one choice name: no whitespace at all, so the one value
            // is the cell itself.
            if value.is_empty()
                || (value.bytes().all(|b| b.is_ascii_graphic()) && check.choices.contains(value))
            {
                continue;
            }
            if !check.multiple && value.split_whitespace().nth(1).is_some() {
                return Err(AnalysisError::data(
                    place(check.column),
                    format!(
                        "{value:?} is several values, but the question takes one choice of \
                         the list {:?}",
                        check.list
                    ),
                ));
            }
            for v in value.split_whitespace() {
                if !check.choices.contains(v) {
                    let known = check.choices.names();
                    return Err(AnalysisError::data(
                        place(check.column),
                        format!(
                            "unknown choice {v:?}: the list {:?} has {}",
                            check.list,
                            known.join(", ")
                        ),
                    ));
                }
            }
        }
        if let (Some(c), Some(weights)) = (layout.weight, round.weights.as_mut()) {
            let raw = cell(c).trim();
            let w = raw.parse::<f64>().ok().filter(|w| w.is_finite());
            let w = match w {
                None if raw.is_empty() => {
                    return Err(AnalysisError::data(place(c), "the weight is empty"))
                }
                None => {
                    return Err(AnalysisError::data(
                        place(c),
                        format!("the weight {raw:?} is not a number"),
                    ))
                }
                Some(w) if w < 0.0 => {
                    return Err(AnalysisError::data(
                        place(c),
                        format!("the weight {raw} is negative"),
                    ))
                }
                Some(w) => w,
            };
            weights.push(w);
        }
        if let (Some(c), Some(clusters)) = (layout.cluster, round.clusters.as_mut()) {
            let raw = cell(c).trim();
            if raw.is_empty() {
                return Err(AnalysisError::data(
                    place(c),
                    "no cluster code: every submission needs one with --cluster",
                ));
            }
            // Looked up before inserting: a million rows share a few hundred codes, so the
            // code is copied only the first time it is seen.
            let id = match cluster_ids.get(raw) {
                Some(&id) => id,
                None => {
                    let id = cluster_ids.len() as u32;
                    cluster_ids.insert(raw.to_string(), id);
                    id
                }
            };
            clusters.push(id);
        }
        if let (Some(c), Some(panel)) = (layout.panel, round.panel.as_mut()) {
            let raw = cell(c).trim();
            if !raw.is_empty() {
                let this = (row_number - 2) as u32;
                if let Some(&first) = panel.get(raw) {
                    return Err(AnalysisError::data(
                        place(c),
                        format!(
                            "the panel id {raw:?} appears again (first at row {}): each person \
                             is interviewed once per round",
                            first + 2
                        ),
                    ));
                }
                panel.insert(raw.to_string(), this);
            }
        }
        for (g, &c) in round.groups.iter_mut().zip(&layout.by) {
            g.push(cell(c).trim());
        }

        compute(analysis, &layout, &record, &mut computed).map_err(|(node, e)| {
            AnalysisError::data(
                Place {
                    file: file.to_string(),
                    row: row_number,
                    column: None,
                },
                format!(
                    "the calculation of {} failed: {e}",
                    analysis.form.nodes[node].name
                ),
            )
        })?;
        let row = Row {
            analysis,
            layout: &layout,
            record: &record,
            computed: &computed,
        };
        for (ind, states) in analysis.indicators.iter().zip(round.states.iter_mut()) {
            let outcome = (|| {
                if let Some(d) = &ind.fast_denominator {
                    if !d.eval(&row)? {
                        return Ok(OUT);
                    }
                }
                Ok(if ind.fast_expression.eval(&row)? {
                    SUCCESS
                } else {
                    FAILURE
                })
            })();
            let state = outcome.map_err(|e: fieldline_xpath::EvalError| {
                AnalysisError::data(
                    Place {
                        file: file.to_string(),
                        row: row_number,
                        column: None,
                    },
                    format!("indicator {} cannot be evaluated: {e}", ind.name),
                )
            })?;
            states.push(state);
        }
        round.rows += 1;
    }
    round.cluster_count = cluster_ids.len();
    Ok(round)
}

/// The most frequent of `,`, `;` and tab outside quotes on the first line; `,` on a tie.
fn sniff_delimiter(head: &[u8]) -> u8 {
    let mut counts = [0usize; 3];
    let mut quoted = false;
    for &b in head {
        match b {
            b'"' => quoted = !quoted,
            b'\n' if !quoted => break,
            b',' if !quoted => counts[0] += 1,
            b';' if !quoted => counts[1] += 1,
            b'\t' if !quoted => counts[2] += 1,
            _ => {}
        }
    }
    let best = (0..3).max_by_key(|&i| (counts[i], 3 - i)).unwrap_or(0);
    if counts[best] == 0 {
        b','
    } else {
        [b',', b';', b'\t'][best]
    }
}

#[cfg(test)]
mod tests {
    use super::sniff_delimiter;

    #[test]
    fn delimiters() {
        assert_eq!(sniff_delimiter(b"a,b,c\n1;2"), b',');
        assert_eq!(sniff_delimiter(b"a;b;c\n"), b';');
        assert_eq!(sniff_delimiter(b"\"a;b\",c\n"), b',');
        assert_eq!(sniff_delimiter(b"a\tb\n"), b'\t');
        assert_eq!(sniff_delimiter(b"single\n"), b',');
    }
}
