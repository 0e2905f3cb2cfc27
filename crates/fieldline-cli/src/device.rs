//! `fieldline device`: a headless field device for scripts, tests and load. The same device
//! store and sync client as the field app, in a profile directory of its own.

use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::sync::Mutex;

use anyhow::{anyhow, bail, Context as _, Result};
use clap::{Args, Subcommand};
use fieldline_device_store::{DeviceStore, FinalizeOutcome, StoreError, SyncState};
use fieldline_sync::{ClientConfig, SyncClient};
use serde::Serialize;

/// Where every `fieldline device` command reads the enumerator's PIN: an environment variable,
/// not an argument, so the PIN stays out of the process list and the shell's history.
const PIN_VARIABLE: &str = "FIELDLINE_PIN";
/// Where `fieldline device change-pin` reads the new PIN.
const NEW_PIN_VARIABLE: &str = "FIELDLINE_NEW_PIN";

#[derive(Args)]
#[command(
    after_help = "With FIELDLINE_PIN set (6 to 16 digits), the profile's database is \
    encrypted at rest under a key derived from that PIN: a new profile is created encrypted, a \
    plain one is encrypted in place, an encrypted one needs the same PIN for every command."
)]
pub struct DeviceArgs {
    /// The device profile's directory (created when missing): its database holds the device's
    /// identity, enrollment, forms, drafts and outbox.
    #[arg(long, value_name = "DIR")]
    home: PathBuf,
    #[command(subcommand)]
    command: DeviceCommand,
}

#[derive(Subcommand)]
enum DeviceCommand {
    /// Enroll with a campaign server using a one-time code.
    Enroll {
        /// The server, e.g. http://127.0.0.1:8080.
        #[arg(long)]
        server: String,
        /// The one-time enrollment code.
        #[arg(long)]
        code: String,
        /// What the server's people see for this device (default: the device id).
        #[arg(long)]
        label: Option<String>,
    },
    /// Fetch the rounds and forms published for the device's campaign.
    Pull {
        /// Print what was fetched as JSON.
        #[arg(long)]
        json: bool,
    },
    /// Interview without a screen: start a draft, apply the answers through the form engine,
    /// finalize it; prints the instance id. Fails naming every problem (the draft is kept).
    Fill {
        /// The form id (the XLSForm's `form_id` setting).
        #[arg(long)]
        form: String,
        /// The round (baseline, endline...); default: the latest round of the form, else the
        /// form's only version on the device.
        #[arg(long)]
        round: Option<String>,
        /// A JSON object {"key": "value"} or array [["key", "value"], ...], as `fieldline form
        /// eval` takes; a key is a question name or an instance path such as /data/hh[2]/age.
        #[arg(long)]
        answers: PathBuf,
        /// The device's offset from UTC in minutes (local dates in the form).
        #[arg(long, default_value_t = 0, allow_negative_numbers = true)]
        utc_offset: i32,
    },
    /// Pull, then send every queued submission; prints what the server answered.
    Sync {
        /// Print the counts as JSON.
        #[arg(long)]
        json: bool,
        /// Send batches of this many payload bytes, always, instead of the size the device
        /// learned from its link (a lost batch then ends the run instead of being sent again
        /// smaller).
        #[arg(long, value_parser = clap::value_parser!(u32).range(1..))]
        batch_bytes: Option<u32>,
    },
    /// Counts of drafts and submissions.
    Status {
        /// Print {"drafts", "finalized", "pending", "sent", "rejected"} as JSON.
        #[arg(long)]
        json: bool,
    },
    /// Every finalized submission with its SHA-256 and sync state.
    Outbox {
        /// One JSON object per line: instance_id, sha256, state.
        #[arg(long)]
        json: bool,
    },
    /// Replace the PIN the profile is encrypted with: the current one in FIELDLINE_PIN, the new
    /// one in FIELDLINE_NEW_PIN.
    ChangePin,
}

pub fn run(args: DeviceArgs) -> Result<ExitCode> {
    std::fs::create_dir_all(&args.home)
        .with_context(|| format!("cannot create the device directory {}", args.home.display()))?;
    let pin = read_pin(PIN_VARIABLE)?;
    let mut store = open_store(&args.home, pin.as_deref())?;
    match args.command {
        DeviceCommand::Enroll {
            server,
            code,
            label,
        } => enroll(store, &server, &code, label.as_deref()),
        DeviceCommand::Pull { json } => pull(store, json),
        DeviceCommand::Fill {
            form,
            round,
            answers,
            utc_offset,
        } => fill(store, &form, round.as_deref(), &answers, utc_offset),
        DeviceCommand::Sync { json, batch_bytes } => sync(store, json, batch_bytes),
        DeviceCommand::Status { json } => status(&store, json),
        DeviceCommand::Outbox { json } => outbox(&store, json),
        DeviceCommand::ChangePin => change_pin(&mut store, pin.as_deref()),
    }
}

/// The PIN in the environment variable `name`, if it is set.
fn read_pin(name: &str) -> Result<Option<String>> {
    match std::env::var(name) {
        Ok(pin) => Ok(Some(pin)),
        Err(std::env::VarError::NotPresent) => Ok(None),
        Err(std::env::VarError::NotUnicode(_)) => {
            bail!("{name} is not text; set it to the PIN's digits")
        }
    }
}

fn open_store(home: &Path, pin: Option<&str>) -> Result<DeviceStore> {
    let opened = match pin {
        Some(pin) => DeviceStore::open_with_pin(home, pin),
        None => DeviceStore::open(home),
    };
    match opened {
        Ok(store) => Ok(store),
        Err(StoreError::PinRequired) => bail!(
            "the device in {} is encrypted with the enumerator's PIN: set {PIN_VARIABLE} to it \
             (e.g. `{PIN_VARIABLE}=123456 fieldline device --home DIR status`)",
            home.display()
        ),
        Err(e) => Err(e).with_context(|| format!("cannot open the device in {}", home.display())),
    }
}

fn change_pin(store: &mut DeviceStore, pin: Option<&str>) -> Result<ExitCode> {
    let Some(pin) = pin else {
        bail!(
            "this device has no PIN yet: set {PIN_VARIABLE} to the PIN to encrypt it with and run \
             any `fieldline device` command"
        );
    };
    let Some(new_pin) = read_pin(NEW_PIN_VARIABLE)? else {
        bail!("set {NEW_PIN_VARIABLE} to the new PIN ({PIN_VARIABLE} holds the current one)");
    };
    store.change_pin(pin, &new_pin)?;
    println!("the PIN was changed; from now on set {PIN_VARIABLE} to the new one");
    Ok(ExitCode::SUCCESS)
}

fn runtime() -> Result<tokio::runtime::Runtime> {
    tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .context("cannot start the network runtime")
}

fn enroll(store: DeviceStore, server: &str, code: &str, label: Option<&str>) -> Result<ExitCode> {
    let store = Mutex::new(store);
    let mut client = SyncClient::new(server, None)?;
    let enrolled = runtime()?.block_on(client.enroll_device(&store, code, label))?;
    println!(
        "enrolled with {} for campaign {} ({}) of {}",
        client.server_url(),
        enrolled.campaign.name,
        enrolled.campaign.id,
        enrolled.organization.name
    );
    Ok(ExitCode::SUCCESS)
}

/// The store back from its mutex once the network is done with it.
fn into_store(store: Mutex<DeviceStore>) -> DeviceStore {
    store
        .into_inner()
        .unwrap_or_else(|poisoned| poisoned.into_inner())
}

fn client_for(store: &Mutex<DeviceStore>) -> Result<SyncClient> {
    client_with(store, ClientConfig::default())
}

fn client_with(store: &Mutex<DeviceStore>, config: ClientConfig) -> Result<SyncClient> {
    SyncClient::for_store(store, config).map_err(|e| match e {
        fieldline_sync::SyncError::NotEnrolled => anyhow!(
            "this device is not enrolled; run `fieldline device --home DIR enroll --server URL \
             --code CODE` first"
        ),
        e => e.into(),
    })
}

fn pull(store: DeviceStore, json: bool) -> Result<ExitCode> {
    let store = Mutex::new(store);
    let client = client_for(&store)?;
    let report = runtime()?.block_on(client.pull(&store))?;
    if json {
        println!("{}", serde_json::to_string(&report)?);
    } else {
        let rounds = into_store(store).rounds()?;
        println!(
            "{} new round(s), {} new form(s); rounds on this device:",
            report.new_rounds.len(),
            report.new_forms
        );
        for r in rounds {
            println!(
                "  {} ({}): form {} version {:?}",
                r.name, r.title, r.form_id, r.form_version
            );
        }
    }
    Ok(ExitCode::SUCCESS)
}

fn fill(
    mut store: DeviceStore,
    form_id: &str,
    round: Option<&str>,
    answers_path: &Path,
    utc_offset: i32,
) -> Result<ExitCode> {
    let answers = crate::answers::read_answers(answers_path)?;
    let rounds: Vec<_> = store
        .rounds()?
        .into_iter()
        .filter(|r| r.form_id == form_id)
        .collect();
    let instance_id = match round {
        Some(name) => {
            let Some(r) = rounds.iter().rev().find(|r| r.name == name) else {
                let known: Vec<_> = rounds.iter().map(|r| r.name.as_str()).collect();
                bail!(
                    "form {form_id} has no round {name:?} on this device (rounds: {}); run \
                     `fieldline device --home DIR pull` first",
                    if known.is_empty() {
                        "none".to_owned()
                    } else {
                        known.join(", ")
                    }
                );
            };
            store.start_round_draft(&r.round_id, utc_offset)?
        }
        None => match rounds.last() {
            Some(r) => store.start_round_draft(&r.round_id, utc_offset)?,
            None => {
                let versions: Vec<_> = store
                    .list_forms()?
                    .into_iter()
                    .filter(|f| f.form_id == form_id)
                    .map(|f| f.version)
                    .collect();
                match versions.as_slice() {
                    [version] => store.start_draft(form_id, version, utc_offset)?,
                    [] => bail!(
                        "form {form_id} is not on this device; run `fieldline device --home DIR \
                         pull` first"
                    ),
                    _ => bail!(
                        "form {form_id} has several versions on this device ({}); name the round \
                         with --round",
                        versions.join(", ")
                    ),
                }
            }
        },
    };

    let mut problems = Vec::new();
    for (index, (key, value)) in answers.iter().enumerate() {
        if let Err(e) = store.record_answer(&instance_id, key, value) {
            problems.push(format!("answer {index} {key:?}: {e}"));
        }
    }
    if problems.is_empty() {
        let instance = store.open_draft(&instance_id)?;
        for leaf in instance.leaves(None) {
            if let Some(message) = instance.message(leaf.node, None) {
                let why = if !message.is_empty() {
                    message
                } else if leaf.valid {
                    "required and not answered".to_owned()
                } else {
                    "the answer breaks the question's constraint".to_owned()
                };
                problems.push(format!("{}: {why}", leaf.path));
            }
        }
    }
    if problems.is_empty() {
        match store.finalize(&instance_id, None)? {
            FinalizeOutcome::Finalized { instance_id, .. } => {
                println!("{instance_id}");
                return Ok(ExitCode::SUCCESS);
            }
            FinalizeOutcome::Blocked { path, message } => {
                problems.push(format!("{path}: {message}"))
            }
        }
    }
    bail!(
        "{}: the interview cannot be finalized (kept as draft {instance_id}):\n  {}",
        answers_path.display(),
        problems.join("\n  ")
    )
}

/// What `sync --json` prints.
#[derive(Serialize)]
struct SyncSummary {
    new_rounds: usize,
    accepted: usize,
    duplicate: usize,
    rejected: usize,
    conflict: usize,
    retry: usize,
    /// Sent but not listed by the reply, or held back for a file not uploaded: still queued.
    unanswered: usize,
    held_back: usize,
    batches: usize,
    /// Compressed request bytes of the batches (lost ones included).
    batch_bytes: u64,
    /// Batches lost on the link and sent again at once as smaller ones.
    batches_resent_smaller: usize,
    /// Payload bytes a batch may hold now.
    batch_limit: usize,
    attachment_bytes: u64,
    /// Every submission up to this device sequence number is on the server.
    server_contiguous_seq: Option<i64>,
    pending: i64,
}

fn sync(store: DeviceStore, json: bool, fixed_batch_bytes: Option<u32>) -> Result<ExitCode> {
    let store = Mutex::new(store);
    let mut config = ClientConfig::default();
    if let Some(bytes) = fixed_batch_bytes {
        config.batch_bytes = bytes as usize;
        config.learn_batch_size = false;
    }
    let client = client_with(&store, config)?;
    let report = runtime()?.block_on(client.sync(&store))?;
    let counts = into_store(store).sync_counts()?;
    let push = &report.push;
    let summary = SyncSummary {
        new_rounds: report.pull.new_rounds.len(),
        accepted: push.results.accepted,
        duplicate: push.results.duplicate,
        rejected: push.results.rejected,
        conflict: push.results.conflict,
        retry: push.results.retry,
        unanswered: push.unanswered,
        held_back: push.held_back,
        batches: push.batches,
        batch_bytes: push.batch_bytes,
        batches_resent_smaller: push.batches_resent_smaller,
        batch_limit: push.batch_limit,
        attachment_bytes: push.attachment_bytes,
        server_contiguous_seq: push.status.as_ref().map(|s| s.contiguous_seq),
        pending: counts.pending,
    };
    if json {
        println!("{}", serde_json::to_string(&summary)?);
    } else {
        println!(
            "accepted {}, duplicate {}, rejected {}, conflict {}, retry {}; {} batch(es), {} \
             bytes sent compressed, {} attachment bytes; {} still pending",
            summary.accepted,
            summary.duplicate,
            summary.rejected,
            summary.conflict,
            summary.retry,
            summary.batches,
            summary.batch_bytes,
            summary.attachment_bytes,
            summary.pending
        );
        for problem in &push.problems {
            eprintln!("{problem}");
        }
    }
    Ok(ExitCode::SUCCESS)
}

fn status(store: &DeviceStore, json: bool) -> Result<ExitCode> {
    let c = store.sync_counts()?;
    if json {
        // Exactly these keys, in this order, spaced as the issue writes them. `rejected`
        // counts rejections and conflicts together: neither will be sent again, so
        // finalized = pending + sent + rejected.
        println!(
            "{{\"drafts\": {}, \"finalized\": {}, \"pending\": {}, \"sent\": {}, \"rejected\": {}}}",
            c.drafts,
            c.finalized,
            c.pending,
            c.sent,
            c.rejected + c.conflict
        );
    } else {
        let enrollment = store.enrollment()?;
        match enrollment {
            Some(e) => println!(
                "enrolled with {} for {} ({})",
                e.server_url, e.campaign.name, e.organization.name
            ),
            None => println!("not enrolled"),
        }
        println!(
            "drafts {}, finalized {}: pending {}, sent {}, rejected {}, conflict {}",
            c.drafts, c.finalized, c.pending, c.sent, c.rejected, c.conflict
        );
    }
    Ok(ExitCode::SUCCESS)
}

#[derive(Serialize)]
struct OutboxLine<'a> {
    instance_id: &'a str,
    sha256: &'a str,
    state: &'static str,
    #[serde(skip_serializing_if = "Option::is_none")]
    reason: Option<&'a str>,
}

fn outbox(store: &DeviceStore, json: bool) -> Result<ExitCode> {
    for entry in store.list_outbox()? {
        let state = match entry.state {
            SyncState::Queued => "pending",
            SyncState::Sent => "sent",
            SyncState::Rejected => "rejected",
            SyncState::Conflict => "conflict",
        };
        if json {
            let line = OutboxLine {
                instance_id: &entry.instance_id,
                sha256: &entry.sha256,
                state,
                reason: entry.reason.as_deref(),
            };
            println!("{}", serde_json::to_string(&line)?);
        } else {
            println!(
                "{} {} {state}{}",
                entry.instance_id,
                entry.sha256,
                entry
                    .reason
                    .as_deref()
                    .map(|r| format!(": {r}"))
                    .unwrap_or_default()
            );
        }
    }
    Ok(ExitCode::SUCCESS)
}
