//! Fieldwork against a round's sampling plan: the interviews of each cluster (the values of the
//! plan's cluster fields in a submission, "dharan / 3") beside the cluster's target, so a
//! manager sees which villages are done, which are behind and where interviews were made that
//! the sample did not draw.

use std::collections::BTreeMap;
use std::sync::Arc;

use fieldline_protocol::dashboard::{ClusterCount, RoundSampling};

use super::rows::RoundSource;
use super::ApiError;
use crate::access::Reach;
use crate::storage::{Campaign, SamplingPlan, Storage, CLUSTER_SEPARATOR};

/// The round `round_name`'s interviews within `reach`, counted per cluster against `plan`.
pub async fn round_sampling(
    storage: &Arc<dyn Storage>,
    campaign: &Campaign,
    reach: &Reach,
    round_name: &str,
    plan: &SamplingPlan,
) -> Result<RoundSampling, ApiError> {
    let source = RoundSource::open(storage, campaign, reach, round_name).await?;
    // A field the round's form lacks reads as empty in every submission.
    let columns: Vec<Option<usize>> = plan
        .cluster_fields
        .iter()
        .map(|field| source.layout.columns.iter().position(|c| &c.name == field))
        .collect();
    let mut counts: BTreeMap<String, u64> = BTreeMap::new();
    source
        .visit_rows(|row| {
            *counts.entry(cluster_of(&row, &columns)).or_default() += 1;
        })
        .await?;
    Ok(tally(plan, round_name, counts))
}

/// A row's cluster: its cluster fields' values joined; empty when it has none of them.
fn cluster_of(row: &[String], columns: &[Option<usize>]) -> String {
    let values: Vec<&str> = columns
        .iter()
        .map(|c| c.and_then(|i| row.get(i)).map_or("", |v| v.trim()))
        .collect();
    if values.iter().all(|v| v.is_empty()) {
        String::new()
    } else {
        values.join(CLUSTER_SEPARATOR)
    }
}

/// The plan's clusters in its order with their counts, then the clusters met outside the plan
/// by name. A plan that lists no clusters gives every cluster met `per_cluster` as its target.
pub fn tally(plan: &SamplingPlan, round: &str, mut counts: BTreeMap<String, u64>) -> RoundSampling {
    let mut clusters: Vec<ClusterCount> = plan
        .planned
        .iter()
        .map(|p| ClusterCount {
            count: counts.remove(&p.cluster).unwrap_or(0),
            cluster: p.cluster.clone(),
            target: u64::from(p.target),
            planned: true,
        })
        .collect();
    let listed = !plan.planned.is_empty();
    clusters.extend(counts.into_iter().map(|(cluster, count)| ClusterCount {
        cluster,
        count,
        target: if listed {
            0
        } else {
            u64::from(plan.per_cluster)
        },
        planned: !listed,
    }));
    RoundSampling {
        round: round.to_owned(),
        cluster_fields: plan.cluster_fields.clone(),
        target_total: clusters.iter().map(|c| c.target).sum(),
        towards_target: clusters.iter().map(|c| c.count.min(c.target)).sum(),
        clusters,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::storage::PlannedCluster;

    fn plan(per_cluster: u32, planned: &[(&str, u32)]) -> SamplingPlan {
        SamplingPlan {
            round_id: "r".into(),
            cluster_fields: vec!["municipality".into(), "ward".into()],
            per_cluster,
            planned: planned
                .iter()
                .map(|(cluster, target)| PlannedCluster {
                    cluster: (*cluster).into(),
                    target: *target,
                })
                .collect(),
        }
    }

    fn counts(pairs: &[(&str, u64)]) -> BTreeMap<String, u64> {
        pairs.iter().map(|(k, v)| ((*k).to_owned(), *v)).collect()
    }

    fn row(cells: &[&str]) -> Vec<String> {
        cells.iter().map(|c| (*c).to_owned()).collect()
    }

    #[test]
    fn a_cluster_is_its_fields_values_joined() {
        let columns = [Some(2), Some(0)];
        assert_eq!(
            cluster_of(&row(&["3", "x", "dharan"]), &columns),
            "dharan / 3"
        );
        assert_eq!(
            cluster_of(&row(&["", "x", "dharan"]), &columns),
            "dharan / "
        );
        assert_eq!(cluster_of(&row(&[" ", "x", ""]), &columns), "");
        // A field the form does not have reads as empty.
        assert_eq!(
            cluster_of(&row(&["3", "x", "dharan"]), &[Some(2), None]),
            "dharan / "
        );
    }

    #[test]
    fn listed_clusters_keep_the_plans_order_and_others_are_outside_it() {
        let sampling = tally(
            &plan(
                20,
                &[("janakpur / 1", 10), ("dharan / 3", 5), ("birgunj / 2", 8)],
            ),
            "baseline",
            counts(&[("dharan / 3", 7), ("janakpur / 1", 4), ("itahari / 9", 2)]),
        );
        let seen: Vec<(&str, u64, u64, bool)> = sampling
            .clusters
            .iter()
            .map(|c| (c.cluster.as_str(), c.count, c.target, c.planned))
            .collect();
        assert_eq!(
            seen,
            [
                ("janakpur / 1", 4, 10, true),
                ("dharan / 3", 7, 5, true),
                ("birgunj / 2", 0, 8, true),
                ("itahari / 9", 2, 0, false),
            ]
        );
        assert_eq!(sampling.target_total, 23);
        // Beyond a cluster's target and outside the plan do not count towards it.
        assert_eq!(sampling.towards_target, 4 + 5);
        assert_eq!(sampling.round, "baseline");
    }

    #[test]
    fn without_a_list_every_cluster_met_gets_the_per_cluster_target() {
        let sampling = tally(
            &plan(6, &[]),
            "endline",
            counts(&[("dharan / 3", 7), ("birgunj / 1", 2)]),
        );
        let seen: Vec<(&str, u64, u64, bool)> = sampling
            .clusters
            .iter()
            .map(|c| (c.cluster.as_str(), c.count, c.target, c.planned))
            .collect();
        assert_eq!(
            seen,
            [("birgunj / 1", 2, 6, true), ("dharan / 3", 7, 6, true)]
        );
        assert_eq!((sampling.target_total, sampling.towards_target), (12, 8));
    }
}
