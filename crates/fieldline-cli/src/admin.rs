//! `fieldline admin`: set up a campaign from a script, directly on the server's database
//! (whether or not a server is running on it: SQLite's WAL lets both work at once).

use std::collections::HashMap;
use std::io::{BufRead as _, IsTerminal as _};
use std::path::{Path, PathBuf};
use std::process::ExitCode;

use anyhow::{bail, Context as _, Result};
use clap::{Args, Subcommand};
use fieldline_form::Form;
use fieldline_server::secrets;
use fieldline_server::storage::{
    open_storage, AuditAction, AuditEvent, Campaign, NewAuditEvent, NewRound, Organization, Role,
    Storage, SubmissionFilter, COMMAND_LINE_ACTOR,
};

/// The shortest password accepted.
const MIN_PASSWORD_CHARS: usize = 10;

#[derive(Args)]
pub struct AdminArgs {
    /// Database URL: sqlite:PATH. Default: sqlite:DATA_DIR/server.sqlite3, as `fieldline serve`
    #[arg(long, env = "FIELDLINE_DB", global = true)]
    db: Option<String>,
    /// Directory of the server's files. Default: $FIELDLINE_DATA_DIR, else ~/.local/share/fieldline
    #[arg(long, global = true)]
    data_dir: Option<PathBuf>,
    #[command(subcommand)]
    command: AdminCommand,
}

#[derive(Subcommand)]
enum AdminCommand {
    /// Organizations: the campaign owners and their NGO partners.
    Org {
        #[command(subcommand)]
        command: OrgCommand,
    },
    /// People who sign in to the dashboard.
    User {
        #[command(subcommand)]
        command: UserCommand,
    },
    /// Campaigns and their partners.
    Campaign {
        #[command(subcommand)]
        command: CampaignCommand,
    },
    /// Rounds (baseline, endline, midlines), each publishing one form version.
    Round {
        #[command(subcommand)]
        command: RoundCommand,
    },
    /// Print one-time codes that enroll devices for an organization in a campaign, one a line.
    EnrollCode {
        /// The campaign (id or exact name).
        #[arg(long)]
        campaign: String,
        /// The organization whose devices the codes enroll (id or exact name): the campaign's
        /// owner or one of its partners.
        #[arg(long)]
        org: String,
        /// How many codes.
        #[arg(long, default_value_t = 1, value_parser = clap::value_parser!(u32).range(1..=10_000))]
        count: u32,
    },
    /// List a campaign's submissions.
    Submissions {
        /// The campaign (id or exact name).
        #[arg(long)]
        campaign: String,
        /// Only this round (by name).
        #[arg(long)]
        round: Option<String>,
        /// One JSON object a line: instance_id, sha256, round, org, device, received_at...
        #[arg(long)]
        json: bool,
    },
    /// Print the audit log, oldest first: sign-ins (and refused ones), exports, key uploads,
    /// device revocations, enrollment codes, deletions, roles granted or changed.
    Audit {
        /// Only events after this one (its number, the first column).
        #[arg(long, default_value_t = 0)]
        after: i64,
        /// One JSON object a line: seq, at, action, actor, campaign_id, subject, client.
        #[arg(long)]
        json: bool,
    },
}

#[derive(Subcommand)]
enum OrgCommand {
    /// Create an organization; prints its id.
    Create {
        /// Its name, unique on the server.
        name: String,
    },
}

#[derive(Subcommand)]
enum UserCommand {
    /// Create a user; the password comes from $FIELDLINE_PASSWORD or is asked for.
    Create {
        /// The user's organization (id or exact name).
        #[arg(long)]
        org: String,
        /// The email they sign in with (unique, whatever its case).
        #[arg(long)]
        email: String,
        /// admin, manager, partner-admin or viewer.
        #[arg(long, value_parser = parse_role)]
        role: Role,
    },
    /// List people: email, role, organization, and whether disabled.
    List {
        /// Only this organization's (id or exact name).
        #[arg(long)]
        org: Option<String>,
        /// One JSON object a line: id, email, role, organization, disabled.
        #[arg(long)]
        json: bool,
    },
    /// Take a person's access away at once (their sessions end; the record and its audit trail
    /// stay).
    Disable {
        #[arg(long)]
        email: String,
    },
    /// Give a disabled person their access back.
    Enable {
        #[arg(long)]
        email: String,
    },
    /// Change a person's role.
    SetRole {
        #[arg(long)]
        email: String,
        /// admin, manager, partner-admin or viewer.
        #[arg(long, value_parser = parse_role)]
        role: Role,
    },
    /// Replace a person's password (from $FIELDLINE_PASSWORD or asked for); their sessions end.
    SetPassword {
        #[arg(long)]
        email: String,
    },
}

#[derive(Subcommand)]
enum CampaignCommand {
    /// Create a campaign; prints its id.
    Create {
        /// The organization running it (id or exact name).
        #[arg(long)]
        owner: String,
        /// Its name, unique on the server.
        #[arg(long)]
        name: String,
        /// End-to-end encrypt the campaign to the age public key(s) in this file (e.g. the
        /// `fieldline-recipient.txt` of `fieldline keys new`); repeat for more holders, such as
        /// an escrow key. Devices seal every submission to them; the server cannot read them.
        #[arg(long = "encrypt-to", value_name = "PUBLIC_KEY_FILE")]
        encrypt_to: Vec<PathBuf>,
    },
    /// Let an organization collect for a campaign.
    AddPartner {
        /// The campaign (id or exact name).
        #[arg(long)]
        campaign: String,
        /// The partner organization (id or exact name).
        #[arg(long)]
        org: String,
    },
}

#[derive(Subcommand)]
enum RoundCommand {
    /// Publish a round with its XLSForm (checked first; never changed after); prints its id.
    Create {
        /// The campaign (id or exact name).
        #[arg(long)]
        campaign: String,
        /// baseline, endline, midline-1...: unique in the campaign.
        #[arg(long)]
        name: String,
        /// The XLSForm (.xlsx or .xls); media files in FORM-media/ beside it.
        #[arg(long)]
        form: PathBuf,
    },
    /// Set the round's sampling plan (replacing any earlier one): the field(s) naming a cluster
    /// and the interviews each should yield; the dashboard shows fieldwork against it.
    Plan {
        /// The campaign (id or exact name).
        #[arg(long)]
        campaign: String,
        /// The round's name.
        #[arg(long)]
        round: String,
        /// A field of the round's form identifying the cluster (a village, a ward); repeat it
        /// when several fields together do (e.g. --cluster-field municipality --cluster-field ward).
        #[arg(long = "cluster-field", value_name = "FIELD", required = true)]
        cluster_fields: Vec<String>,
        /// Interviews per cluster: every cluster's target, or the target of listed clusters
        /// whose row has none.
        #[arg(long, value_name = "N")]
        per_cluster: Option<u32>,
        /// CSV of the clusters drawn for the sample: a column per cluster field and optionally
        /// `target`. Without it every cluster met in the submissions has --per-cluster as target.
        #[arg(long, value_name = "FILE.csv")]
        clusters: Option<PathBuf>,
    },
}

fn parse_role(value: &str) -> Result<Role, String> {
    Role::parse(value).ok_or_else(|| {
        let known: Vec<&str> = Role::ALL.iter().map(|r| r.as_str()).collect();
        format!("unknown role {value:?}: use one of {}", known.join(", "))
    })
}

pub fn run(args: AdminArgs) -> Result<ExitCode> {
    let url = crate::data_dir::database_url(args.db.as_deref(), args.data_dir.clone())?;
    // Read before the runtime starts: a prompt must not wait inside it.
    let password = match &args.command {
        AdminCommand::User {
            command: UserCommand::Create { email, .. } | UserCommand::SetPassword { email },
        } => Some(read_password(email)?),
        _ => None,
    };
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .context("cannot start the async runtime")?;
    runtime.block_on(async {
        let storage = open_storage(&url)
            .await
            .with_context(|| format!("cannot open the database {url}"))?;
        execute(storage.as_ref(), args.command, password).await
    })
}

async fn execute(
    storage: &dyn Storage,
    command: AdminCommand,
    password: Option<String>,
) -> Result<ExitCode> {
    match command {
        AdminCommand::Org {
            command: OrgCommand::Create { name },
        } => {
            let name = non_empty(&name, "the organization's name")?;
            let org = storage.create_organization(name).await?;
            println!("{}", org.id);
        }
        AdminCommand::User {
            command: UserCommand::Create { org, email, role },
        } => {
            let org = organization(storage, &org).await?;
            let email = email.trim();
            if !email.contains('@') || email.starts_with('@') || email.ends_with('@') {
                bail!("{email:?} is not an email address; give one like name@example.org");
            }
            let password = password.context("no password was read")?;
            let hash = secrets::hash_password(&password);
            let user = storage.create_user(&org.id, email, role, &hash).await?;
            storage
                .record_audit(NewAuditEvent {
                    action: AuditAction::RoleGranted,
                    actor: COMMAND_LINE_ACTOR.into(),
                    campaign_id: None,
                    subject: format!("{} as {} in {}", user.email, role.as_str(), org.name),
                    client: None,
                })
                .await?;
            println!("{}", user.id);
        }
        AdminCommand::User {
            command: UserCommand::List { org, json },
        } => {
            let org = match org {
                Some(key) => Some(organization(storage, &key).await?),
                None => None,
            };
            crate::admin_users::list(storage, org.as_ref(), json).await?;
        }
        AdminCommand::User {
            command: UserCommand::Disable { email },
        } => crate::admin_users::set_disabled(storage, &email, true).await?,
        AdminCommand::User {
            command: UserCommand::Enable { email },
        } => crate::admin_users::set_disabled(storage, &email, false).await?,
        AdminCommand::User {
            command: UserCommand::SetRole { email, role },
        } => crate::admin_users::set_role(storage, &email, role).await?,
        AdminCommand::User {
            command: UserCommand::SetPassword { email },
        } => {
            let password = password.context("no password was read")?;
            crate::admin_users::set_password(storage, &email, &password).await?;
        }
        AdminCommand::Campaign {
            command:
                CampaignCommand::Create {
                    owner,
                    name,
                    encrypt_to,
                },
        } => {
            let owner = organization(storage, &owner).await?;
            let name = non_empty(&name, "the campaign's name")?;
            // Every key is read and checked before the campaign exists.
            let recipients = crate::keys::recipients_from_files(&encrypt_to)?;
            let campaign = storage.create_campaign(&owner.id, name).await?;
            if !recipients.is_empty() {
                storage
                    .add_campaign_recipients(&campaign.id, &recipients)
                    .await?;
                storage
                    .record_audit(NewAuditEvent {
                        action: AuditAction::KeyUpload,
                        actor: COMMAND_LINE_ACTOR.into(),
                        campaign_id: Some(campaign.id.clone()),
                        subject: format!(
                            "{} encryption key(s) for {}: {}",
                            recipients.len(),
                            campaign.name,
                            recipients.join(", ")
                        ),
                        client: None,
                    })
                    .await?;
            }
            println!("{}", campaign.id);
        }
        AdminCommand::Campaign {
            command: CampaignCommand::AddPartner { campaign, org },
        } => {
            let campaign = campaign_named(storage, &campaign).await?;
            let org = organization(storage, &org).await?;
            if org.id == campaign.owner_id {
                bail!(
                    "{} owns the campaign {:?}: its devices enroll as the owner's; add another \
                     organization as a partner",
                    org.name,
                    campaign.name
                );
            }
            storage.add_partner(&campaign.id, &org.id).await?;
        }
        AdminCommand::Round {
            command:
                RoundCommand::Create {
                    campaign,
                    name,
                    form,
                },
        } => return create_round(storage, &campaign, &name, &form).await,
        AdminCommand::Round {
            command:
                RoundCommand::Plan {
                    campaign,
                    round,
                    cluster_fields,
                    per_cluster,
                    clusters,
                },
        } => {
            let campaign = campaign_named(storage, &campaign).await?;
            let request = crate::sampling_plan::PlanRequest {
                round: &round,
                cluster_fields: &cluster_fields,
                per_cluster,
                clusters_file: clusters.as_deref(),
            };
            println!(
                "{}",
                crate::sampling_plan::set_plan(storage, &campaign, &request).await?
            );
        }
        AdminCommand::EnrollCode {
            campaign,
            org,
            count,
        } => {
            let campaign = campaign_named(storage, &campaign).await?;
            let org = organization(storage, &org).await?;
            if org.id != campaign.owner_id && !campaign.partner_ids.contains(&org.id) {
                bail!(
                    "{} is neither the owner nor a partner of the campaign {:?}; add it first: \
                     fieldline admin campaign add-partner --campaign {} --org {}",
                    org.name,
                    campaign.name,
                    campaign.id,
                    org.id
                );
            }
            let codes: Vec<String> = (0..count).map(|_| secrets::new_enrollment_code()).collect();
            let hashes: Vec<String> = codes
                .iter()
                .map(|code| secrets::enrollment_code_hash(code))
                .collect();
            storage
                .create_enrollment_codes(&campaign.id, &org.id, &hashes)
                .await?;
            storage
                .record_audit(NewAuditEvent {
                    action: AuditAction::EnrollmentCodes,
                    actor: COMMAND_LINE_ACTOR.into(),
                    campaign_id: Some(campaign.id.clone()),
                    subject: format!("{count} code(s) for organization {}", org.id),
                    client: None,
                })
                .await?;
            for code in codes {
                println!("{code}");
            }
        }
        AdminCommand::Submissions {
            campaign,
            round,
            json,
        } => {
            let campaign = campaign_named(storage, &campaign).await?;
            if let Some(round) = &round {
                let rounds = storage.rounds(&campaign.id).await?;
                if !rounds.iter().any(|r| &r.name == round) {
                    let known: Vec<&str> = rounds.iter().map(|r| r.name.as_str()).collect();
                    bail!(
                        "the campaign {:?} has no round named {round:?}; its rounds: {}",
                        campaign.name,
                        list(&known)
                    );
                }
            }
            let names: HashMap<String, String> = storage
                .organizations()
                .await?
                .into_iter()
                .map(|o| (o.id, o.name))
                .collect();
            let filter = SubmissionFilter {
                campaign_id: campaign.id.clone(),
                round,
                organization_id: None,
            };
            for s in storage.submissions(&filter).await? {
                let org = names
                    .get(&s.organization_id)
                    .cloned()
                    .unwrap_or_else(|| s.organization_id.clone());
                if json {
                    let line = serde_json::json!({
                        "instance_id": s.instance_id,
                        "sha256": s.sha256,
                        "round": s.round,
                        "org": org,
                        "org_id": s.organization_id,
                        "device": s.device,
                        "device_seq": s.device_seq,
                        "received_at": s.received_at,
                    });
                    println!("{line}");
                } else {
                    println!(
                        "{}\t{}\t{}\t{}\t{}\t{}",
                        s.received_at, s.round, org, s.device, s.instance_id, s.sha256
                    );
                }
            }
        }
        AdminCommand::Audit { after, json } => print_audit_log(storage, after, json).await?,
    }
    Ok(ExitCode::SUCCESS)
}

/// Prints the audit log after `after`, a page at a time so a long log is never held whole.
async fn print_audit_log(storage: &dyn Storage, after: i64, json: bool) -> Result<()> {
    const PAGE: usize = 1000;
    let mut after = after;
    loop {
        let events = storage.audit_events(after, PAGE).await?;
        for event in &events {
            if json {
                println!("{}", serde_json::to_string(event)?);
            } else {
                println!("{}", audit_line(event));
            }
        }
        match events.last() {
            Some(last) if events.len() == PAGE => after = last.seq,
            _ => return Ok(()),
        }
    }
}

/// `SEQ  AT  ACTION  ACTOR  SUBJECT [campaign C] [from CLIENT]`, tab-separated.
fn audit_line(event: &AuditEvent) -> String {
    let mut line = format!(
        "{}\t{}\t{}\t{}\t{}",
        event.seq,
        event.at,
        event.action.as_str(),
        event.actor,
        event.subject
    );
    if let Some(campaign) = &event.campaign_id {
        line.push_str(&format!("\tcampaign {campaign}"));
    }
    if let Some(client) = &event.client {
        line.push_str(&format!("\tfrom {client}"));
    }
    line
}

async fn create_round(
    storage: &dyn Storage,
    campaign: &str,
    name: &str,
    file: &Path,
) -> Result<ExitCode> {
    let campaign = campaign_named(storage, campaign).await?;
    let name = non_empty(name, "the round's name")?;
    let bytes = std::fs::read(file).with_context(|| format!("cannot read {}", file.display()))?;
    let shown = file.to_string_lossy();
    let form = match Form::from_xlsform_named(&shown, &bytes, &crate::form::attachments(file)?) {
        Ok(form) => form,
        Err(errors) => {
            for p in &errors.problems {
                eprintln!("{}: {p}\n", file.display());
            }
            eprintln!(
                "{}: {} problem(s); the form cannot be used, so no round was created",
                file.display(),
                errors.problems.len()
            );
            return Ok(ExitCode::from(1));
        }
    };
    for w in &form.warnings {
        eprintln!("{}: warning: {}", file.display(), w.message);
    }
    for f in &form.missing_files {
        eprintln!(
            "{}: warning: attachment {f} not found beside the form; its choices are empty",
            file.display()
        );
    }
    let summary = form.summary();
    let Some(version) = summary.version.filter(|v| !v.trim().is_empty()) else {
        bail!(
            "{}: the form has no version; a round publishes one form version, never changed \
             after: set `version` in the form's settings sheet (for example 2026112201)",
            file.display()
        );
    };
    let definition = serde_json::to_string(&form).context("cannot write the form's definition")?;
    let round = storage
        .create_round(NewRound {
            campaign_id: campaign.id,
            name: name.to_owned(),
            form_id: summary.form_id,
            form_version: version,
            title: summary.title,
            file_name: file
                .file_name()
                .map(|n| n.to_string_lossy().into_owned())
                .unwrap_or_else(|| "form.xlsx".into()),
            sha256: secrets::sha256_hex(&bytes),
            xlsform: bytes,
            definition,
        })
        .await?;
    println!("{}", round.id);
    Ok(ExitCode::SUCCESS)
}

fn non_empty<'a>(value: &'a str, what: &str) -> Result<&'a str> {
    let value = value.trim();
    if value.is_empty() {
        bail!("{what} is empty; give one");
    }
    Ok(value)
}

fn list(items: &[&str]) -> String {
    if items.is_empty() {
        "none yet".into()
    } else {
        items.join(", ")
    }
}

/// An organization by id or exact name.
async fn organization(storage: &dyn Storage, key: &str) -> Result<Organization> {
    if let Some(org) = storage.organization(key).await? {
        return Ok(org);
    }
    let all = storage.organizations().await?;
    if let Some(org) = all.iter().find(|o| o.name == key) {
        return Ok(org.clone());
    }
    let known: Vec<&str> = all.iter().map(|o| o.name.as_str()).collect();
    bail!(
        "no organization has the id or name {key:?}; known organizations: {} (create one with \
         `fieldline admin org create NAME`)",
        list(&known)
    )
}

/// A campaign by id or exact name (also for `fieldline export`).
pub(crate) async fn campaign_named(storage: &dyn Storage, key: &str) -> Result<Campaign> {
    if let Some(campaign) = storage.campaign(key).await? {
        return Ok(campaign);
    }
    let all = storage.campaigns().await?;
    if let Some(campaign) = all.iter().find(|c| c.name == key) {
        return Ok(campaign.clone());
    }
    let known: Vec<&str> = all.iter().map(|c| c.name.as_str()).collect();
    bail!(
        "no campaign has the id or name {key:?}; known campaigns: {} (create one with \
         `fieldline admin campaign create --owner ORG --name NAME`)",
        list(&known)
    )
}

/// The new user's password: $FIELDLINE_PASSWORD, else asked on the terminal (twice), else one
/// line of standard input.
fn read_password(email: &str) -> Result<String> {
    let password = if let Some(password) = std::env::var_os("FIELDLINE_PASSWORD") {
        password
            .into_string()
            .map_err(|_| anyhow::anyhow!("FIELDLINE_PASSWORD is not valid UTF-8"))?
    } else if std::io::stdin().is_terminal() {
        let first = rpassword::prompt_password(format!("Password for {}: ", email.trim()))
            .context("cannot read the password from the terminal")?;
        check_password(&first)?;
        let again = rpassword::prompt_password("The same password again: ")
            .context("cannot read the password from the terminal")?;
        if again != first {
            bail!("the two passwords differ; run the command again");
        }
        first
    } else {
        let mut line = String::new();
        std::io::stdin()
            .lock()
            .read_line(&mut line)
            .context("cannot read the password from standard input")?;
        line.trim_end_matches(['\r', '\n']).to_owned()
    };
    check_password(&password)?;
    Ok(password)
}

fn check_password(password: &str) -> Result<()> {
    let chars = password.chars().count();
    if chars < MIN_PASSWORD_CHARS {
        bail!(
            "the password has {chars} character(s); use at least {MIN_PASSWORD_CHARS} (a few \
             words make a long password that is easy to remember). Give it in FIELDLINE_PASSWORD \
             or type it when asked"
        );
    }
    Ok(())
}
