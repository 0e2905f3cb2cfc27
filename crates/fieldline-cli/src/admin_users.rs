//! `fieldline admin user list|disable|enable|set-role|set-password`: people's access from the
//! command line, for the server's operator (the dashboard's rules for who may change whom do not
//! apply here: whoever can open the database is its admin). Every change is audited as the
//! command line's.

use anyhow::{Context as _, Result};
use fieldline_server::secrets;
use fieldline_server::storage::{
    AuditAction, NewAuditEvent, Organization, Role, Storage, User, COMMAND_LINE_ACTOR,
};
use serde::Serialize;

/// A person as `user list --json` prints them (never the password hash).
#[derive(Serialize)]
struct Listed<'a> {
    id: &'a str,
    email: &'a str,
    role: &'a str,
    organization: &'a str,
    disabled: bool,
}

/// Prints people (of `org` when given), one a line or one JSON object a line.
pub async fn list(storage: &dyn Storage, org: Option<&Organization>, json: bool) -> Result<()> {
    let organizations = storage.organizations().await?;
    for user in storage.users(org.map(|o| o.id.as_str())).await? {
        let organization = organizations
            .iter()
            .find(|o| o.id == user.organization_id)
            .map_or(user.organization_id.as_str(), |o| o.name.as_str());
        if json {
            let listed = Listed {
                id: &user.id,
                email: &user.email,
                role: user.role.as_str(),
                organization,
                disabled: user.disabled,
            };
            println!("{}", serde_json::to_string(&listed)?);
        } else {
            println!(
                "{}\t{}\t{}{}",
                user.email,
                user.role.as_str(),
                organization,
                if user.disabled { "\tdisabled" } else { "" }
            );
        }
    }
    Ok(())
}

/// Disables (sessions ended at once) or enables the account with this email.
pub async fn set_disabled(storage: &dyn Storage, email: &str, disabled: bool) -> Result<()> {
    let user = by_email(storage, email).await?;
    storage
        .set_user_disabled(&user.id, disabled, user.role)
        .await?;
    let action = if disabled {
        AuditAction::UserDisabled
    } else {
        AuditAction::UserEnabled
    };
    audit(storage, action, user.email.clone()).await
}

pub async fn set_role(storage: &dyn Storage, email: &str, role: Role) -> Result<()> {
    let user = by_email(storage, email).await?;
    storage.set_user_role(&user.id, role, user.role).await?;
    let subject = format!(
        "{}: {} -> {}",
        user.email,
        user.role.as_str(),
        role.as_str()
    );
    audit(storage, AuditAction::RoleChanged, subject).await
}

/// Replaces the password (sessions ended at once).
pub async fn set_password(storage: &dyn Storage, email: &str, password: &str) -> Result<()> {
    let user = by_email(storage, email).await?;
    let hash = secrets::hash_password(password);
    storage.set_user_password(&user.id, &hash).await?;
    audit(storage, AuditAction::PasswordReset, user.email.clone()).await
}

async fn by_email(storage: &dyn Storage, email: &str) -> Result<User> {
    storage.user_by_email(email).await?.with_context(|| {
        format!(
            "no user has the email {:?}; `fieldline admin user list` shows who has",
            email.trim()
        )
    })
}

async fn audit(storage: &dyn Storage, action: AuditAction, subject: String) -> Result<()> {
    storage
        .record_audit(NewAuditEvent {
            action,
            actor: COMMAND_LINE_ACTOR.into(),
            campaign_id: None,
            subject,
            client: None,
        })
        .await?;
    Ok(())
}
