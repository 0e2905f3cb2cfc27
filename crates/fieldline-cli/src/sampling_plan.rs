//! `fieldline admin round plan`: a round's sampling plan, checked against the round's form before
//! it is stored, so the dashboard's per-cluster progress counts what the plan means.
//!
//! The clusters file is a CSV whose header names the cluster fields (any order, other columns
//! ignored) and optionally `target`; each row is one cluster drawn for the sample:
//!
//! ```text
//! municipality,ward,target
//! dharan,3,25
//! janakpur,1,20
//! ```

use std::collections::HashMap;
use std::path::Path;

use anyhow::{bail, Context as _, Result};
use fieldline_export::Layout;
use fieldline_form::{ChoiceSource, Form, QuestionType};
use fieldline_server::storage::{
    Campaign, PlannedCluster, SamplingPlan, Storage, CLUSTER_SEPARATOR,
};

/// What `round plan` was given.
pub struct PlanRequest<'a> {
    pub round: &'a str,
    pub cluster_fields: &'a [String],
    pub per_cluster: Option<u32>,
    pub clusters_file: Option<&'a Path>,
}

/// Checks the request against the round's form and stores the plan; returns a summary line.
pub async fn set_plan(
    storage: &dyn Storage,
    campaign: &Campaign,
    request: &PlanRequest<'_>,
) -> Result<String> {
    let rounds = storage.rounds(&campaign.id).await?;
    let Some(round) = rounds.iter().find(|r| r.name == request.round) else {
        let names: Vec<&str> = rounds.iter().map(|r| r.name.as_str()).collect();
        bail!(
            "the campaign {:?} has no round named {:?}; its rounds: {}",
            campaign.name,
            request.round,
            if names.is_empty() {
                "none yet".into()
            } else {
                names.join(", ")
            }
        );
    };
    let (_, definition) = storage
        .round_for_form(&campaign.id, &round.form_id, &round.form_version)
        .await?
        .context("the round's form is missing from the database")?;
    let form: Form =
        serde_json::from_str(&definition).context("the round's form cannot be read")?;
    let fields = ClusterFields::of(&form, request.cluster_fields)?;
    let planned = match request.clusters_file {
        Some(file) => {
            let text = std::fs::read_to_string(file)
                .with_context(|| format!("cannot read {}", file.display()))?;
            read_clusters(
                &text,
                &file.display().to_string(),
                &fields,
                request.per_cluster,
            )?
        }
        None => Vec::new(),
    };
    let per_cluster = match (request.per_cluster, planned.is_empty()) {
        (Some(n), _) => n,
        // Every listed cluster carries its own target.
        (None, false) => 0,
        (None, true) => bail!(
            "give the interviews each cluster should yield with --per-cluster N, or list the \
             clusters drawn for the sample with --clusters FILE.csv"
        ),
    };
    let plan = SamplingPlan {
        round_id: round.id.clone(),
        cluster_fields: request.cluster_fields.to_vec(),
        per_cluster,
        planned,
    };
    storage.set_sampling_plan(plan.clone()).await?;
    let fields = request.cluster_fields.join(", ");
    Ok(if plan.planned.is_empty() {
        format!(
            "{}: {} interviews per cluster of {fields}",
            round.name, plan.per_cluster
        )
    } else {
        let total: u64 = plan.planned.iter().map(|c| u64::from(c.target)).sum();
        format!(
            "{}: {} clusters of {fields}, {total} interviews planned",
            round.name,
            plan.planned.len()
        )
    })
}

/// The cluster fields, each a field of the form, with the choice names of a select_one's list
/// (to catch a misspelt village before the dashboard shows it as unplanned).
struct ClusterFields {
    names: Vec<String>,
    choices: Vec<Option<Vec<String>>>,
}

impl ClusterFields {
    fn of(form: &Form, names: &[String]) -> Result<Self> {
        if names.is_empty() {
            bail!("name the field(s) that identify a cluster with --cluster-field (e.g. --cluster-field village)");
        }
        let layout = Layout::new(form);
        let known: Vec<&str> = layout.columns[..layout.columns.len() - 3]
            .iter()
            .map(|c| c.name.as_str())
            .collect();
        let mut choices = Vec::new();
        for (i, name) in names.iter().enumerate() {
            if names[..i].contains(name) {
                bail!("--cluster-field {name} is given twice");
            }
            if !known.contains(&name.as_str()) {
                bail!(
                    "the round's form has no field {name:?} outside repeats; its fields: {}",
                    known.join(", ")
                );
            }
            let list = form
                .nodes
                .iter()
                .find(|n| &n.name == name)
                .filter(|n| n.question_type() == Some(QuestionType::SelectOne))
                .and_then(|n| match &n.choices {
                    Some(ChoiceSource::List { list }) => Some(list),
                    _ => None,
                })
                .and_then(|list| form.choice_lists.iter().find(|l| &l.name == list))
                .map(|list| list.choices.iter().map(|c| c.name.clone()).collect());
            choices.push(list);
        }
        Ok(Self {
            names: names.to_vec(),
            choices,
        })
    }
}

/// The clusters listed in a CSV (see the module documentation), in the file's order.
fn read_clusters(
    text: &str,
    file: &str,
    fields: &ClusterFields,
    per_cluster: Option<u32>,
) -> Result<Vec<PlannedCluster>> {
    let mut reader = csv::ReaderBuilder::new()
        .trim(csv::Trim::All)
        .from_reader(text.as_bytes());
    let header = reader
        .headers()
        .with_context(|| format!("{file}: cannot read the header row"))?
        .clone();
    let column_of = |name: &str| header.iter().position(|h| h == name);
    let mut columns = Vec::new();
    for name in &fields.names {
        match column_of(name) {
            Some(c) => columns.push(c),
            None => bail!(
                "{file}: the header has no column {name:?}; it needs one per cluster field ({}) \
                 and may have `target`",
                fields.names.join(", ")
            ),
        }
    }
    let target_column = column_of("target");
    if target_column.is_none() && per_cluster.is_none() {
        bail!("{file}: there is no `target` column; add one, or give every cluster the same target with --per-cluster N");
    }
    let mut seen: HashMap<String, u64> = HashMap::new();
    let mut planned = Vec::new();
    for record in reader.records() {
        let record = record.with_context(|| format!("{file}: cannot read a row"))?;
        // Row 1 is the header.
        let row = record.position().map_or(0, |p| p.line());
        let at = |column: usize| {
            format!(
                "{file} row {row} column {} ({})",
                column + 1,
                header.get(column).unwrap_or("")
            )
        };
        let mut values = Vec::new();
        for (i, &column) in columns.iter().enumerate() {
            let value = record.get(column).unwrap_or("");
            if value.is_empty() {
                bail!("{}: the cluster's {} is empty", at(column), fields.names[i]);
            }
            if let Some(choices) = &fields.choices[i] {
                if !choices.iter().any(|c| c == value) {
                    bail!(
                        "{}: {value:?} is not a choice of {}; its choices: {}",
                        at(column),
                        fields.names[i],
                        choices.join(", ")
                    );
                }
            }
            values.push(value);
        }
        let cluster = values.join(CLUSTER_SEPARATOR);
        let target = match target_column.map(|c| (c, record.get(c).unwrap_or(""))) {
            Some((_, "")) | None => per_cluster.with_context(|| {
                format!("{file} row {row}: no target, and no --per-cluster to use instead")
            })?,
            Some((c, text)) => text.parse::<u32>().map_err(|_| {
                anyhow::anyhow!("{}: {text:?} is not a whole number of interviews", at(c))
            })?,
        };
        if let Some(first) = seen.insert(cluster.clone(), row) {
            bail!("{file} row {row}: the cluster {cluster:?} is already listed on row {first}");
        }
        planned.push(PlannedCluster { cluster, target });
    }
    if planned.is_empty() {
        bail!("{file}: no clusters are listed under the header");
    }
    Ok(planned)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn fields() -> ClusterFields {
        ClusterFields {
            names: vec!["municipality".into(), "ward".into()],
            choices: vec![Some(vec!["dharan".into(), "janakpur".into()]), None],
        }
    }

    fn error(text: &str, per_cluster: Option<u32>) -> String {
        format!(
            "{:#}",
            read_clusters(text, "plan.csv", &fields(), per_cluster).unwrap_err()
        )
    }

    #[test]
    fn clusters_are_read_in_order_with_their_targets() {
        let planned = read_clusters(
            "ward,municipality,target,notes\n3,dharan,25,near the river\n1, janakpur ,,\n",
            "plan.csv",
            &fields(),
            Some(20),
        )
        .unwrap();
        assert_eq!(
            planned,
            [
                PlannedCluster {
                    cluster: "dharan / 3".into(),
                    target: 25
                },
                PlannedCluster {
                    cluster: "janakpur / 1".into(),
                    target: 20
                },
            ]
        );
    }

    #[test]
    fn mistakes_are_named_with_their_row_and_column() {
        assert_eq!(
            error("municipality,ward,target\ndharan,3,many\n", None),
            "plan.csv row 2 column 3 (target): \"many\" is not a whole number of interviews"
        );
        assert_eq!(
            error("municipality,ward\nDharan,3\n", Some(5)),
            "plan.csv row 2 column 1 (municipality): \"Dharan\" is not a choice of municipality; \
             its choices: dharan, janakpur"
        );
        assert_eq!(
            error("municipality,ward\ndharan,3\ndharan,3\n", Some(5)),
            "plan.csv row 3: the cluster \"dharan / 3\" is already listed on row 2"
        );
        assert_eq!(
            error("municipality,ward\ndharan,\n", Some(5)),
            "plan.csv row 2 column 2 (ward): the cluster's ward is empty"
        );
        assert!(error("municipality,target\ndharan,3\n", None)
            .starts_with("plan.csv: the header has no column \"ward\""));
        assert!(error("municipality,ward\ndharan,3\n", None)
            .starts_with("plan.csv: there is no `target` column"));
        assert_eq!(
            error("municipality,ward,target\n", Some(5)),
            "plan.csv: no clusters are listed under the header"
        );
    }
}
