//! A round's stored submissions, a page at a time, as their answers: opened with the campaign's
//! identity when it is end-to-end encrypted (the decrypted answers stay in this process's
//! memory). What `fieldline export` and `fieldline analyze --db` share.

use anyhow::{bail, Context as _, Result};
use fieldline_export::{Layout, PayloadValues, RowWriter};
use fieldline_form::Form;
use fieldline_seal::{Binding, Identity};
use fieldline_server::storage::{Campaign, PayloadEncoding, Round, Storage};

/// Submissions read from the database at a time.
const PAGE: usize = 1000;

/// One stored submission's answers and where it came from.
pub struct StoredAnswers {
    pub values: Vec<(String, String)>,
    pub instance_id: String,
    pub device: String,
    pub received_at: String,
}

/// Refuses to go on without the key an encrypted campaign needs, or with a key that is not
/// one of its recipients, before anything is written.
pub async fn check_identity(
    storage: &dyn Storage,
    campaign: &Campaign,
    identity: Option<&Identity>,
) -> Result<()> {
    let recipients = storage.campaign_recipients(&campaign.id).await?;
    match identity {
        None if !recipients.is_empty() => bail!(
            "the campaign {:?} is end-to-end encrypted: its answers open only with one of its \
             keys; give --identity FILE (the fieldline-identity.txt of `fieldline keys new`)",
            campaign.name
        ),
        Some(identity) if !recipients.is_empty() && !recipients.contains(&identity.recipient()) => {
            bail!(
                "the identity's public key {} is not one of the campaign {:?}'s keys ({}); use \
                 the identity made for this campaign",
                identity.recipient(),
                campaign.name,
                recipients.join(", ")
            )
        }
        _ => Ok(()),
    }
}

/// Calls `each` with every stored submission of `round` in the order received; returns how
/// many there were. A sealed submission is opened with `identity` (and refused when it does
/// not name itself as the submission it was stored as).
pub async fn for_each(
    storage: &dyn Storage,
    round: &Round,
    identity: Option<&Identity>,
    mut each: impl FnMut(StoredAnswers) -> Result<()>,
) -> Result<u64> {
    let mut after = 0;
    let mut count = 0;
    loop {
        let page = storage.round_payloads_after(&round.id, after, PAGE).await?;
        let Some(last) = page.last() else { break };
        after = last.seq;
        for item in page {
            let values = match item.encoding {
                PayloadEncoding::Json => PayloadValues::parse(&item.payload),
                PayloadEncoding::Age => {
                    let identity = identity.with_context(|| {
                        format!(
                            "submission {} is end-to-end encrypted: give --identity FILE",
                            item.instance_id
                        )
                    })?;
                    let binding = Binding {
                        instance_id: item.instance_id.clone(),
                        form_id: round.form_id.clone(),
                        form_version: round.form_version.clone(),
                    };
                    let opened = fieldline_seal::open(identity, &binding, &item.payload)
                        .with_context(|| format!("submission {}", item.instance_id))?;
                    PayloadValues::parse(&opened.payload)
                }
            }
            .with_context(|| format!("the payload of {} cannot be read", item.instance_id))?;
            count += 1;
            each(StoredAnswers {
                values: values.values,
                instance_id: item.instance_id,
                device: item.device,
                received_at: item.received_at,
            })?;
        }
    }
    Ok(count)
}

/// The form a round publishes, as the server stored its definition.
pub async fn round_form(storage: &dyn Storage, campaign: &Campaign, round: &Round) -> Result<Form> {
    let (_, definition) = storage
        .round_for_form(&campaign.id, &round.form_id, &round.form_version)
        .await?
        .with_context(|| format!("the round {:?} has no form definition", round.name))?;
    serde_json::from_str(&definition)
        .with_context(|| format!("cannot read the form definition of round {:?}", round.name))
}

/// Writes the rows `layout` makes of every stored submission of `round` (see [`for_each`])
/// into `writer`; returns how many submissions there were.
pub async fn write_rows(
    storage: &dyn Storage,
    round: &Round,
    identity: Option<&Identity>,
    layout: &Layout,
    writer: &mut dyn RowWriter,
) -> Result<u64> {
    for_each(storage, round, identity, |answers| {
        for row in layout.rows(
            &answers.values,
            &answers.instance_id,
            &answers.device,
            &answers.received_at,
        ) {
            writer.write_row(&row)?;
        }
        Ok(())
    })
    .await
}
