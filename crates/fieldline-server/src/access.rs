//! Who may see and change what: every permission rule of the API, in one place.
//!
//! - **admin**: everything on the server.
//! - **manager**: everything in the campaigns their organization owns (every partner's devices
//!   and submissions); in a campaign their organization only partners in, what a partner-admin
//!   may do there.
//! - **partner-admin**: their organization's own devices and submissions in the campaigns it
//!   collects for (as owner or partner): read them, create enrollment codes for their
//!   organization, revoke their devices.
//! - **viewer**: reads what their organization may read (all of a campaign it owns, its own
//!   devices and submissions in one it partners in), changes nothing.
//!
//! The fields a form marks sensitive (names, phone numbers, places) are exported only to those
//! who may change what they read (admins, managers, partner-admins, each within their reach):
//! a viewer's export leaves them out, and asking for them is told 403.
//!
//! People: an admin lists and manages everyone; a manager or partner-admin their own
//! organization's people, never someone who ranks above them (admin > manager > partner-admin >
//! viewer), and gives no role above their own; a viewer is told 403. Nobody changes their own
//! access (409), so an organization cannot lose its last admin by a slip.
//!
//! The audit log (sign-ins, exports, revocations...) spans every campaign: admins alone read
//! it; anyone else signed in is told 403.
//!
//! Whatever lies outside a person's reach answers 404, as if it did not exist, so that one
//! partner cannot even learn of another's devices or of campaigns it does not work on; a viewer
//! asking to change something within their reach is told 403.

use crate::api::ApiError;
use crate::storage::{Campaign, Device, Id, Role, User};

/// How much of one campaign a person reaches.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Reach {
    /// Every organization's devices and submissions.
    All,
    /// Only this organization's.
    Organization(Id),
}

impl Reach {
    /// Whether data of `organization_id` is within reach.
    pub fn covers(&self, organization_id: &str) -> bool {
        match self {
            Reach::All => true,
            Reach::Organization(own) => own == organization_id,
        }
    }

    /// The organization listings are restricted to (`None`: all).
    pub fn only(&self) -> Option<Id> {
        match self {
            Reach::All => None,
            Reach::Organization(own) => Some(own.clone()),
        }
    }
}

/// A signed-in person's permissions.
#[derive(Debug, Clone)]
pub struct Access<'a> {
    user: &'a User,
}

impl<'a> Access<'a> {
    pub fn of(user: &'a User) -> Self {
        Self { user }
    }

    /// What the person reaches of `campaign`; `None` means it is to them as if it did not exist.
    pub fn campaign(&self, campaign: &Campaign) -> Option<Reach> {
        let own = &self.user.organization_id;
        if self.user.role == Role::Admin {
            return Some(Reach::All);
        }
        if *own == campaign.owner_id {
            return Some(match self.user.role {
                Role::Admin | Role::Manager | Role::Viewer => Reach::All,
                Role::PartnerAdmin => Reach::Organization(own.clone()),
            });
        }
        campaign
            .partner_ids
            .contains(own)
            .then(|| Reach::Organization(own.clone()))
    }

    /// The campaign's reach, or 404 for a campaign out of reach.
    pub fn read(&self, campaign: Option<&Campaign>) -> Result<Reach, ApiError> {
        campaign
            .and_then(|c| self.campaign(c))
            .ok_or_else(ApiError::no_campaign)
    }

    /// The reach for changing the campaign's devices (enrollment codes, revocations): 404 out
    /// of reach, 403 for a viewer.
    pub fn change_devices(&self, campaign: Option<&Campaign>) -> Result<Reach, ApiError> {
        let reach = self.read(campaign)?;
        match self.user.role {
            Role::Viewer => Err(ApiError::forbidden(
                "a viewer can read but not change anything; ask a partner-admin or manager",
            )),
            Role::Admin | Role::Manager | Role::PartnerAdmin => Ok(reach),
        }
    }

    /// Whether the person may export the fields a form marks sensitive: not a viewer (403).
    pub fn read_sensitive_fields(&self) -> Result<(), ApiError> {
        match self.user.role {
            Role::Admin | Role::Manager | Role::PartnerAdmin => Ok(()),
            Role::Viewer => Err(ApiError::forbidden(
                "a viewer's exports leave out the fields the form marks sensitive; export \
                 without sensitive=include, or ask a partner-admin or manager",
            )),
        }
    }

    /// Whose people this person may list and manage: `None` for everyone (an admin), else
    /// their own organization's; 403 for a viewer.
    pub fn people(&self) -> Result<Option<Id>, ApiError> {
        match self.user.role {
            Role::Admin => Ok(None),
            Role::Manager | Role::PartnerAdmin => Ok(Some(self.user.organization_id.clone())),
            Role::Viewer => Err(ApiError::forbidden(
                "a viewer cannot manage people; ask a partner-admin or manager",
            )),
        }
    }

    /// Whether this person may change `target`'s access: 404 out of reach, 403 for a viewer or
    /// a target ranking above them, 409 for themselves.
    pub fn manage_user<'u>(&self, target: Option<&'u User>) -> Result<&'u User, ApiError> {
        let within = self.people()?;
        let target = target
            .filter(|t| within.as_ref().is_none_or(|org| *org == t.organization_id))
            .ok_or_else(|| ApiError::not_found("there is no such person in your reach"))?;
        if target.id == self.user.id {
            return Err(ApiError::new(
                axum::http::StatusCode::CONFLICT,
                "nobody changes their own access; ask another admin of your organization",
            ));
        }
        if rank(target.role) > rank(self.user.role) {
            return Err(ApiError::forbidden(format!(
                "a {} cannot change the access of a {}",
                self.user.role.as_str(),
                target.role.as_str()
            )));
        }
        Ok(target)
    }

    /// Whether this person may give `role`: none above their own (403).
    pub fn grant(&self, role: Role) -> Result<(), ApiError> {
        self.people()?;
        if rank(role) > rank(self.user.role) {
            return Err(ApiError::forbidden(format!(
                "a {} cannot make anyone a {}",
                self.user.role.as_str(),
                role.as_str()
            )));
        }
        Ok(())
    }

    /// Whether the person may read the audit log: admins only, 403 for anyone else.
    pub fn read_audit_log(&self) -> Result<(), ApiError> {
        match self.user.role {
            Role::Admin => Ok(()),
            Role::Manager | Role::PartnerAdmin | Role::Viewer => Err(ApiError::forbidden(
                "only an admin of this server may read the audit log",
            )),
        }
    }

    /// Whether a device is within `reach` in `campaign`; 404 otherwise.
    pub fn device<'d>(
        reach: &Reach,
        campaign: &Campaign,
        device: Option<&'d Device>,
    ) -> Result<&'d Device, ApiError> {
        device
            .filter(|d| d.campaign_id == campaign.id && reach.covers(&d.organization_id))
            .ok_or_else(|| ApiError::not_found("there is no such device in this campaign"))
    }

    /// The organization enrollment codes are made for: the one asked for (any collecting for
    /// the campaign, within reach), else the person's own; 404 for one out of reach.
    pub fn enrolling_organization(
        &self,
        reach: &Reach,
        campaign: &Campaign,
        asked: Option<&str>,
    ) -> Result<Id, ApiError> {
        let org = asked.unwrap_or(&self.user.organization_id);
        let collects = campaign.owner_id == org || campaign.partner_ids.iter().any(|p| p == org);
        if collects && reach.covers(org) {
            Ok(org.to_string())
        } else {
            Err(ApiError::not_found(
                "there is no such organization collecting for this campaign; name one with \
                 organization_id",
            ))
        }
    }

    /// The campaign as this person may see it: other partners are left out unless they are
    /// within reach.
    pub fn visible_partners(reach: &Reach, campaign: &Campaign) -> Vec<Id> {
        campaign
            .partner_ids
            .iter()
            .filter(|p| reach.covers(p))
            .cloned()
            .collect()
    }
}

/// admin > manager > partner-admin > viewer.
fn rank(role: Role) -> u8 {
    match role {
        Role::Viewer => 0,
        Role::PartnerAdmin => 1,
        Role::Manager => 2,
        Role::Admin => 3,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn user(org: &str, role: Role) -> User {
        User {
            id: format!("{org}-{}", role.as_str()),
            organization_id: org.into(),
            email: "x@example.org".into(),
            role,
            password_hash: String::new(),
            disabled: false,
        }
    }

    fn campaign() -> Campaign {
        Campaign {
            id: "c".into(),
            name: "KAP".into(),
            owner_id: "owner".into(),
            partner_ids: vec!["p1".into(), "p2".into()],
        }
    }

    #[test]
    fn reach_follows_role_and_organization() {
        let c = campaign();
        let reach = |org, role| Access::of(&user(org, role)).campaign(&c);
        assert_eq!(reach("elsewhere", Role::Admin), Some(Reach::All));
        assert_eq!(reach("owner", Role::Manager), Some(Reach::All));
        assert_eq!(reach("owner", Role::Viewer), Some(Reach::All));
        assert_eq!(
            reach("owner", Role::PartnerAdmin),
            Some(Reach::Organization("owner".into()))
        );
        assert_eq!(
            reach("p1", Role::Manager),
            Some(Reach::Organization("p1".into()))
        );
        assert_eq!(
            reach("p2", Role::Viewer),
            Some(Reach::Organization("p2".into()))
        );
        assert_eq!(reach("elsewhere", Role::Manager), None);
        assert_eq!(
            Access::visible_partners(&Reach::Organization("p1".into()), &c),
            ["p1"]
        );
    }

    #[test]
    fn people_are_managed_within_the_organization_and_never_upwards() {
        let status = |actor: &User, target: &User| {
            Access::of(actor)
                .manage_user(Some(target))
                .map(|_| ())
                .map_err(|e| e.status.as_u16())
        };
        let admin = user("owner", Role::Admin);
        let manager = user("owner", Role::Manager);
        let partner_admin = user("p1", Role::PartnerAdmin);
        let partner_viewer = user("p1", Role::Viewer);
        let other_partner_viewer = user("p2", Role::Viewer);
        assert_eq!(status(&admin, &other_partner_viewer), Ok(()));
        assert_eq!(status(&manager, &user("owner", Role::PartnerAdmin)), Ok(()));
        assert_eq!(status(&manager, &admin), Err(403));
        assert_eq!(status(&manager, &partner_viewer), Err(404));
        assert_eq!(status(&partner_admin, &partner_viewer), Ok(()));
        assert_eq!(status(&partner_admin, &user("p1", Role::Manager)), Err(403));
        assert_eq!(status(&partner_admin, &other_partner_viewer), Err(404));
        assert_eq!(status(&partner_viewer, &partner_admin), Err(403));
        assert_eq!(status(&admin, &admin), Err(409));
        assert_eq!(
            Access::of(&admin).manage_user(None).unwrap_err().status,
            404
        );

        let grant = |actor: &User, role| Access::of(actor).grant(role).map_err(|e| e.status);
        assert!(grant(&admin, Role::Admin).is_ok());
        assert!(grant(&manager, Role::Manager).is_ok());
        assert_eq!(grant(&manager, Role::Admin).unwrap_err(), 403);
        assert!(grant(&partner_admin, Role::Viewer).is_ok());
        assert_eq!(grant(&partner_admin, Role::Manager).unwrap_err(), 403);
        assert_eq!(grant(&partner_viewer, Role::Viewer).unwrap_err(), 403);
    }

    #[test]
    fn only_admins_read_the_audit_log() {
        assert!(Access::of(&user("owner", Role::Admin))
            .read_audit_log()
            .is_ok());
        for role in [Role::Manager, Role::PartnerAdmin, Role::Viewer] {
            let err = Access::of(&user("owner", role))
                .read_audit_log()
                .unwrap_err();
            assert_eq!(err.status, axum::http::StatusCode::FORBIDDEN, "{role:?}");
        }
    }

    #[test]
    fn viewers_change_nothing_and_partners_enroll_only_their_own_devices() {
        let c = campaign();
        let viewer = user("owner", Role::Viewer);
        assert_eq!(
            Access::of(&viewer)
                .change_devices(Some(&c))
                .unwrap_err()
                .status,
            axum::http::StatusCode::FORBIDDEN
        );
        let partner = user("p1", Role::PartnerAdmin);
        let access = Access::of(&partner);
        let reach = access.change_devices(Some(&c)).unwrap();
        assert_eq!(
            access.enrolling_organization(&reach, &c, None).unwrap(),
            "p1"
        );
        assert_eq!(
            access
                .enrolling_organization(&reach, &c, Some("p2"))
                .unwrap_err()
                .status,
            axum::http::StatusCode::NOT_FOUND
        );
    }
}
