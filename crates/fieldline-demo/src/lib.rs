//! The demo campaign, shared by `cargo xtask run` (so a newcomer finds a campaign with a report
//! to read) and the end-to-end tests (so the dashboard is tested on the same data).
//!
//! Everything goes through the real `fieldline` binary, as a campaign's people would use it:
//! [`seed`] sets the campaign up with `fieldline admin` (a campaign office, two NGO partners, a
//! manager, the safe-migration KAP survey with a baseline and an endline round), and
//! [`generate_interviews`] enrolls headless `fieldline device`s for the partners, fills
//! generated interviews ([`respondents`]) in both rounds and syncs them to the server.

mod commands;
mod form_version;
pub mod respondents;

use std::ffi::OsStr;
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use anyhow::{bail, ensure, Context as _};
use serde::Deserialize;

pub use form_version::with_next_version;
use respondents::{interview, villages, Round, SplitMix64, Village};

/// The demo manager's sign-in.
pub const MANAGER_EMAIL: &str = "manager@demo.fieldline";
pub const MANAGER_PASSWORD: &str = "demo-manager-password";

/// The demo campaign's name on the server.
pub const CAMPAIGN_NAME: &str = "Safe migration radio drama";

/// The questionnaire's `form_id`.
pub const FORM_ID: &str = "safe_migration_kap";

/// The organization that runs the campaign (the manager's).
pub const OFFICE_NAME: &str = "Campaign office";

/// The partners that collect: how their tablets are labelled, and their organization's name.
const PARTNERS: [(&str, &str); 2] = [
    ("Shakti Vahini", "Shakti Vahini (demo partner)"),
    ("Maiti Nepal", "Maiti Nepal (demo partner)"),
];

/// The repository's top directory (this crate lives two levels below it).
pub fn workspace_root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .ancestors()
        .nth(2)
        .expect("fieldline-demo sits in crates/ of the workspace")
        .to_owned()
}

/// The campaign's questionnaire: `../shared/forms/fieldline/safe_migration_kap.xlsx`, beside
/// the repository.
pub fn kap_form() -> PathBuf {
    workspace_root().join("../shared/forms/fieldline/safe_migration_kap.xlsx")
}

/// The `fieldline` binary: `$FIELDLINE_BIN`, else the debug build in the target directory
/// (honouring `CARGO_TARGET_DIR`), which must exist.
pub fn fieldline_binary() -> anyhow::Result<PathBuf> {
    let path = std::env::var_os("FIELDLINE_BIN")
        .map(PathBuf::from)
        .unwrap_or_else(|| {
            std::env::var_os("CARGO_TARGET_DIR")
                .map(PathBuf::from)
                .unwrap_or_else(|| workspace_root().join("target"))
                .join("debug")
                .join("fieldline")
        });
    ensure!(
        path.is_file(),
        "{} is missing: build it with `cargo build -p fieldline-cli` (or set FIELDLINE_BIN)",
        path.display()
    );
    Ok(path)
}

/// The database URL `fieldline admin --db` takes for an SQLite file.
pub fn sqlite_url(db: &Path) -> String {
    format!("sqlite:{}", db.display())
}

/// An NGO partner of the demo campaign.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Partner {
    /// The organization's id on the server.
    pub id: String,
    /// The organization's name, "Shakti Vahini (demo partner)".
    pub name: String,
    /// What its tablets are labelled with, "Shakti Vahini".
    pub short_name: String,
}

/// The seeded campaign: the ids the dashboard and the devices need.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Demo {
    /// The server database the campaign was written to (what `fieldline admin --db` takes).
    pub db_url: String,
    pub campaign_id: String,
    /// The campaign office, which owns the campaign and employs the manager.
    pub office_id: String,
    /// The collecting partners, in the order their tablets are labelled.
    pub partners: Vec<Partner>,
    pub baseline_round_id: String,
    pub endline_round_id: String,
}

impl Demo {
    /// `count` new one-time codes that enroll devices for `org_id` in the campaign.
    pub fn enrollment_codes(
        &self,
        fieldline: &Path,
        org_id: &str,
        count: u32,
    ) -> anyhow::Result<Vec<String>> {
        let count = count.to_string();
        let codes = self.admin(
            fieldline,
            &[
                "enroll-code",
                "--campaign",
                &self.campaign_id,
                "--org",
                org_id,
                "--count",
                &count,
            ],
        )?;
        Ok(codes.lines().map(str::to_owned).collect())
    }

    /// Enrolls the device profile in `home` (the field app's, or a headless device's) for
    /// `org_id` with the server at `server_url`, under `label`.
    pub fn enroll_device(
        &self,
        fieldline: &Path,
        server_url: &str,
        home: &Path,
        org_id: &str,
        label: &str,
    ) -> anyhow::Result<()> {
        let code = self
            .enrollment_codes(fieldline, org_id, 1)?
            .pop()
            .context("fieldline admin enroll-code printed no code")?;
        enroll(fieldline, server_url, home, &code, label)
    }

    fn admin(&self, fieldline: &Path, args: &[&str]) -> anyhow::Result<String> {
        admin(fieldline, &self.db_url, args)
    }
}

fn admin(fieldline: &Path, db_url: &str, args: &[&str]) -> anyhow::Result<String> {
    commands::fieldline(
        fieldline,
        ["admin", "--db", db_url].iter().chain(args),
        &[("FIELDLINE_PASSWORD", MANAGER_PASSWORD)],
    )
}

fn device(fieldline: &Path, home: &Path, args: &[&str]) -> anyhow::Result<String> {
    let mut command: Vec<&OsStr> = vec!["device".as_ref(), "--home".as_ref(), home.as_os_str()];
    command.extend(args.iter().map(OsStr::new));
    commands::fieldline(fieldline, command, &[])
}

fn enroll(
    fieldline: &Path,
    server_url: &str,
    home: &Path,
    code: &str,
    label: &str,
) -> anyhow::Result<()> {
    device(
        fieldline,
        home,
        &[
            "enroll", "--server", server_url, "--code", code, "--label", label,
        ],
    )?;
    Ok(())
}

/// Sets the demo campaign up in the server database at `db_url` (e.g. [`sqlite_url`] of the
/// server's `server.sqlite3`; it must not hold the demo yet) with `fieldline admin`. The
/// endline's copy of the form is written to `work_dir`.
pub fn seed(fieldline: &Path, db_url: &str, work_dir: &Path) -> anyhow::Result<Demo> {
    seed_with_keys(fieldline, db_url, work_dir, &[])
}

/// As [`seed`], with the campaign end-to-end encrypted to the age public keys in
/// `recipient_files` (`fieldline admin campaign create --encrypt-to`): the devices seal every
/// interview and the server stores what it cannot read.
pub fn seed_with_keys(
    fieldline: &Path,
    db_url: &str,
    work_dir: &Path,
    recipient_files: &[PathBuf],
) -> anyhow::Result<Demo> {
    let admin = |args: &[&str]| admin(fieldline, db_url, args);
    let office_id = admin(&["org", "create", OFFICE_NAME])?;
    let mut partners = Vec::new();
    for (short_name, name) in PARTNERS {
        partners.push(Partner {
            id: admin(&["org", "create", name])?,
            name: name.to_owned(),
            short_name: short_name.to_owned(),
        });
    }
    admin(&[
        "user",
        "create",
        "--org",
        &office_id,
        "--email",
        MANAGER_EMAIL,
        "--role",
        "manager",
    ])?;
    let mut create = vec![
        "campaign".to_owned(),
        "create".into(),
        "--owner".into(),
        office_id.clone(),
        "--name".into(),
        CAMPAIGN_NAME.into(),
    ];
    for file in recipient_files {
        create.extend(["--encrypt-to".to_owned(), file.display().to_string()]);
    }
    let create: Vec<&str> = create.iter().map(String::as_str).collect();
    let campaign_id = admin(&create)?;
    for partner in &partners {
        admin(&[
            "campaign",
            "add-partner",
            "--campaign",
            &campaign_id,
            "--org",
            &partner.id,
        ])?;
    }
    let baseline = kap_form();
    let baseline_round_id = admin(&[
        "round",
        "create",
        "--campaign",
        &campaign_id,
        "--name",
        Round::Baseline.name(),
        "--form",
        &baseline.display().to_string(),
    ])?;
    std::fs::create_dir_all(work_dir)
        .with_context(|| format!("cannot create {}", work_dir.display()))?;
    let endline = work_dir.join("safe_migration_kap_endline.xlsx");
    with_next_version(&baseline, &endline)?;
    let endline_round_id = admin(&[
        "round",
        "create",
        "--campaign",
        &campaign_id,
        "--name",
        Round::Endline.name(),
        "--form",
        &endline.display().to_string(),
    ])?;
    plan_sampling(&admin, &campaign_id, work_dir)?;
    Ok(Demo {
        db_url: db_url.to_owned(),
        campaign_id,
        office_id,
        partners,
        baseline_round_id,
        endline_round_id,
    })
}

/// Interviews each village should yield in each round of the demo's sampling plan.
pub const INTERVIEWS_PER_VILLAGE: u32 = 6;

/// Both rounds' sampling plan: the 24 villages drawn, named by municipality and ward, each with
/// [`INTERVIEWS_PER_VILLAGE`] interviews to make, so the dashboard shows fieldwork per village.
fn plan_sampling(
    admin: &dyn Fn(&[&str]) -> anyhow::Result<String>,
    campaign_id: &str,
    work_dir: &Path,
) -> anyhow::Result<()> {
    let clusters = work_dir.join("villages.csv");
    let mut csv = String::from("municipality,ward,target\n");
    for village in villages() {
        csv.push_str(&format!(
            "{},{},{INTERVIEWS_PER_VILLAGE}\n",
            village.municipality, village.ward
        ));
    }
    std::fs::write(&clusters, csv)
        .with_context(|| format!("cannot write {}", clusters.display()))?;
    let clusters = clusters.display().to_string();
    for round in [Round::Baseline, Round::Endline] {
        admin(&[
            "round",
            "plan",
            "--campaign",
            campaign_id,
            "--round",
            round.name(),
            "--cluster-field",
            "municipality",
            "--cluster-field",
            "ward",
            "--clusters",
            &clusters,
        ])?;
    }
    Ok(())
}

/// How much fieldwork [`generate_interviews`] does.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Plan {
    /// Interviews per round, refusals included (each is a submission).
    pub baseline: usize,
    pub endline: usize,
    /// Headless devices enrolled for each partner.
    pub devices_per_partner: usize,
    /// The same seed gives the same respondents and answers.
    pub seed: u64,
}

impl Default for Plan {
    /// 150 interviews a round, on 2 tablets per partner: enough for clear confidence intervals
    /// and a breakdown by gender, few enough to generate in seconds.
    fn default() -> Self {
        Self {
            baseline: 150,
            endline: 150,
            devices_per_partner: 2,
            seed: 2026,
        }
    }
}

/// One headless device's fieldwork.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DeviceWork {
    /// "Shakti Vahini tablet 1", as the server lists the device.
    pub label: String,
    /// The partner organization's id.
    pub partner_id: String,
    /// The device profile's directory (the answer files it filled are in `answers/` there).
    pub home: PathBuf,
    /// The wards of the villages it worked.
    pub wards: Vec<u32>,
    /// Interviews it filled and synced per round, and how many of them were refusals.
    pub baseline: usize,
    pub endline: usize,
    pub refused: usize,
}

/// What [`generate_interviews`] made.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Generated {
    /// Interviews the server accepted per round, refusals included.
    pub baseline: usize,
    pub endline: usize,
    /// Of them, people who declined the interview.
    pub refused: usize,
    /// Partners whose devices collected.
    pub partners: usize,
    pub devices: Vec<DeviceWork>,
    pub elapsed: Duration,
}

impl Generated {
    /// "150 baseline and 150 endline interviews from 4 tablets of 2 partners synced".
    pub fn summary(&self) -> String {
        format!(
            "{} baseline and {} endline interviews from {} tablets of {} partners synced",
            self.baseline,
            self.endline,
            self.devices.len(),
            self.partners
        )
    }
}

/// What `fieldline device sync --json` prints that the demo checks.
#[derive(Deserialize)]
struct SyncCounts {
    accepted: usize,
    duplicate: usize,
    rejected: usize,
    conflict: usize,
    pending: i64,
}

/// One device's share of the fieldwork, decided before any process runs.
struct Assignment {
    label: String,
    partner_id: String,
    home: PathBuf,
    code: String,
    villages: Vec<Village>,
    /// (round, interview number in the round, village).
    interviews: Vec<(Round, u64, Village)>,
}

/// Enrolls `plan.devices_per_partner` headless devices per partner of `demo` (profiles in
/// `work_dir`, which must not hold them yet) with the server at `server_url`, and on each:
/// pulls the rounds, fills its baseline interviews and syncs, then its endline interviews and
/// syncs, as a tablet would after each round's fieldwork. The devices work in parallel, each
/// in its own villages. Fails unless the server accepted every interview.
pub fn generate_interviews(
    fieldline: &Path,
    server_url: &str,
    demo: &Demo,
    work_dir: &Path,
    plan: &Plan,
) -> anyhow::Result<Generated> {
    let started = Instant::now();
    ensure!(
        plan.devices_per_partner >= 1 && !demo.partners.is_empty(),
        "the demo's fieldwork needs at least one device of one partner"
    );
    let assignments = assign(fieldline, demo, work_dir, plan)?;
    let devices = std::thread::scope(|scope| {
        let running: Vec<_> = assignments
            .iter()
            .map(|assignment| {
                scope.spawn(move || fieldwork(fieldline, server_url, plan.seed, assignment))
            })
            .collect();
        running
            .into_iter()
            .map(|thread| thread.join().expect("a device's fieldwork panicked"))
            .collect::<anyhow::Result<Vec<_>>>()
    })?;
    Ok(Generated {
        baseline: devices.iter().map(|d| d.baseline).sum(),
        endline: devices.iter().map(|d| d.endline).sum(),
        refused: devices.iter().map(|d| d.refused).sum(),
        partners: demo.partners.len(),
        devices,
        elapsed: started.elapsed(),
    })
}

/// Gives each device a run of villages (so each works one area) and deals the interviews out
/// evenly among the devices, each in one of its villages chosen at random.
fn assign(
    fieldline: &Path,
    demo: &Demo,
    work_dir: &Path,
    plan: &Plan,
) -> anyhow::Result<Vec<Assignment>> {
    let per_partner = u32::try_from(plan.devices_per_partner)?;
    let mut assignments = Vec::new();
    for partner in &demo.partners {
        let codes = demo.enrollment_codes(fieldline, &partner.id, per_partner)?;
        for (number, code) in (1..).zip(codes) {
            let label = format!("{} tablet {number}", partner.short_name);
            let home = work_dir.join(label.to_lowercase().replace(' ', "-"));
            if home.exists() {
                bail!(
                    "{} already exists: the demo's devices are enrolled once; choose a new \
                     directory",
                    home.display()
                );
            }
            assignments.push(Assignment {
                label,
                partner_id: partner.id.clone(),
                home,
                code,
                villages: Vec::new(),
                interviews: Vec::new(),
            });
        }
    }
    let villages = villages();
    let devices = assignments.len();
    for (index, assignment) in assignments.iter_mut().enumerate() {
        // More devices than villages share the last ones.
        let from = (index * villages.len() / devices).min(villages.len() - 1);
        let to = ((index + 1) * villages.len() / devices).max(from + 1);
        assignment.villages = villages[from..to].to_vec();
    }
    for (round, count) in [
        (Round::Baseline, plan.baseline),
        (Round::Endline, plan.endline),
    ] {
        for number in 0..count as u64 {
            let assignment = &mut assignments[number as usize % devices];
            let mut rng = SplitMix64::derived(plan.seed, &[0x0056_494C, round.tag(), number]);
            let village = assignment.villages[rng.below(assignment.villages.len())];
            assignment.interviews.push((round, number, village));
        }
    }
    Ok(assignments)
}

/// One device's day in the field: enroll, pull, then each round's interviews and a sync.
fn fieldwork(
    fieldline: &Path,
    server_url: &str,
    seed: u64,
    assignment: &Assignment,
) -> anyhow::Result<DeviceWork> {
    let home = &assignment.home;
    let answers_dir = home.join("answers");
    std::fs::create_dir_all(&answers_dir)
        .with_context(|| format!("cannot create {}", answers_dir.display()))?;
    enroll(
        fieldline,
        server_url,
        home,
        &assignment.code,
        &assignment.label,
    )?;
    device(fieldline, home, &["pull", "--json"])?;
    let mut work = DeviceWork {
        label: assignment.label.clone(),
        partner_id: assignment.partner_id.clone(),
        home: home.clone(),
        wards: assignment.villages.iter().map(|v| v.ward).collect(),
        baseline: 0,
        endline: 0,
        refused: 0,
    };
    for round in [Round::Baseline, Round::Endline] {
        let mut filled = 0;
        for &(_, number, village) in assignment.interviews.iter().filter(|i| i.0 == round) {
            let interview = interview(seed, round, number, village);
            let file = answers_dir.join(format!("{}-{number:04}.json", round.name()));
            std::fs::write(&file, interview.answers_json())
                .with_context(|| format!("cannot write {}", file.display()))?;
            let file = file.display().to_string();
            device(
                fieldline,
                home,
                &[
                    "fill",
                    "--form",
                    FORM_ID,
                    "--round",
                    round.name(),
                    "--answers",
                    &file,
                ],
            )?;
            filled += 1;
            if !interview.consented {
                work.refused += 1;
            }
        }
        let synced = sync(fieldline, home, &assignment.label)?;
        ensure!(
            synced == filled,
            "{}: the server accepted {synced} of the {filled} {} interviews sent",
            assignment.label,
            round.name()
        );
        match round {
            Round::Baseline => work.baseline = filled,
            Round::Endline => work.endline = filled,
        }
    }
    Ok(work)
}

/// Syncs the device and answers how many submissions the server took; fails if any was
/// refused or is still queued.
fn sync(fieldline: &Path, home: &Path, label: &str) -> anyhow::Result<usize> {
    let printed = device(fieldline, home, &["sync", "--json"])?;
    let counts: SyncCounts = serde_json::from_str(&printed)
        .with_context(|| format!("{label}: unexpected sync report {printed:?}"))?;
    ensure!(
        counts.rejected == 0 && counts.conflict == 0 && counts.pending == 0,
        "{label}: the sync left {} rejected, {} in conflict and {} pending ({printed})",
        counts.rejected,
        counts.conflict,
        counts.pending
    );
    Ok(counts.accepted + counts.duplicate)
}
