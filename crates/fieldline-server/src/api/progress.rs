//! `GET /api/v1/campaigns/{campaign}/progress`: fieldwork so far (see
//! [`fieldline_protocol::dashboard::Progress`]). A partner counts only its own organization's
//! devices and submissions, as every listing does.

use std::collections::HashMap;

use axum::extract::{Path, State};
use axum::Json;
use fieldline_protocol::dashboard::{Count, Problem, Progress, LATEST_PROBLEMS};

use super::{ApiError, AppState};
use crate::access::Access;
use crate::auth::PersonAuth;
use crate::storage::{Outcome, SubmissionFilter};

pub async fn progress(
    State(state): State<AppState>,
    PersonAuth(user): PersonAuth,
    Path(id): Path<String>,
) -> Result<Json<Progress>, ApiError> {
    let campaign = state.storage.campaign(&id).await?;
    let reach = Access::of(&user).read(campaign.as_ref())?;
    let filter = SubmissionFilter {
        campaign_id: id.clone(),
        round: None,
        organization_id: reach.only(),
    };
    let submissions = state.storage.submissions(&filter).await?;
    let set_aside = state.storage.set_aside(&filter).await?;
    let devices: HashMap<String, String> = state
        .storage
        .devices(&id)
        .await?
        .into_iter()
        .map(|d| (d.device_id, d.label))
        .collect();
    let mut organizations = HashMap::new();
    for org in state.storage.organizations().await? {
        organizations.insert(org.id, org.name);
    }
    let name_of = |org: &str| {
        organizations
            .get(org)
            .cloned()
            .unwrap_or_else(|| org.into())
    };
    let label_of = |device: &str| {
        devices
            .get(device)
            .cloned()
            .unwrap_or_else(|| device.into())
    };

    let mut per_day: Vec<Count> = Vec::new();
    let mut per_partner: Vec<Count> = Vec::new();
    let mut per_enumerator: Vec<Count> = Vec::new();
    let rounds = state.storage.rounds(&id).await?;
    let mut per_round: Vec<Count> = rounds
        .iter()
        .cloned()
        .map(|r| Count {
            label: r.name.clone(),
            key: r.name,
            count: 0,
        })
        .collect();
    let bump = |counts: &mut Vec<Count>, key: &str, label: &dyn Fn(&str) -> String| match counts
        .iter_mut()
        .find(|c| c.key == key)
    {
        Some(c) => c.count += 1,
        None => counts.push(Count {
            key: key.to_string(),
            label: label(key),
            count: 1,
        }),
    };
    for s in &submissions {
        let day = s.received_at.get(..10).unwrap_or(&s.received_at);
        bump(&mut per_day, day, &|d| d.to_string());
        bump(&mut per_partner, &s.organization_id, &name_of);
        bump(&mut per_enumerator, &s.device, &label_of);
        bump(&mut per_round, &s.round, &|r| r.to_string());
    }
    per_day.sort_by(|a, b| a.key.cmp(&b.key));
    for counts in [&mut per_partner, &mut per_enumerator] {
        counts.sort_by(|a, b| b.count.cmp(&a.count).then_with(|| a.label.cmp(&b.label)));
    }
    let latest_problems = set_aside
        .iter()
        .rev()
        .take(LATEST_PROBLEMS)
        .map(|s| Problem {
            instance_id: s.instance_id.clone(),
            organization: name_of(&s.organization_id),
            device: label_of(&s.device),
            outcome: match s.outcome {
                Outcome::Conflict => "conflict",
                _ => "rejected",
            }
            .into(),
            reason: s.reason.clone(),
            received_at: s.received_at.clone(),
        })
        .collect();
    let mut sampling = Vec::new();
    if let Some(campaign) = &campaign {
        for plan in state.storage.sampling_plans(&id).await? {
            if let Some(round) = rounds.iter().find(|r| r.id == plan.round_id) {
                sampling.push(
                    super::sampling::round_sampling(
                        &state.storage,
                        campaign,
                        &reach,
                        &round.name,
                        &plan,
                    )
                    .await?,
                );
            }
        }
    }
    Ok(Json(Progress {
        total: submissions.len() as u64,
        per_day,
        per_partner,
        per_enumerator,
        per_round,
        set_aside_total: set_aside.len() as u64,
        latest_problems,
        sampling,
    }))
}
