//! The demo campaign `cargo xtask run` sets up on a fresh server database, so a newcomer can
//! interview and sync at once: the safe-migration KAP survey with a baseline and an endline
//! round, a campaign office and two NGO partners, a manager to sign in with, and the field app's
//! device enrolled for the first partner.

use std::path::{Path, PathBuf};
use std::process::Command;

use anyhow::{bail, Context as _};
use calamine::{open_workbook_auto, Data, Reader};

/// The demo manager's sign-in.
pub const MANAGER_EMAIL: &str = "manager@demo.fieldline";
pub const MANAGER_PASSWORD: &str = "demo-manager-password";

/// The campaign's questionnaire.
pub fn baseline_form() -> PathBuf {
    crate::workspace_root().join("../shared/forms/fieldline/safe_migration_kap.xlsx")
}

/// Sets the demo campaign up in the database at `db` (an SQLite file that does not exist yet)
/// with `fieldline admin`, and enrolls the device profile in `device_dir` with `fieldline device`
/// against the server at `server_url`.
pub fn seed(
    fieldline: &Path,
    db: &Path,
    work_dir: &Path,
    device_dir: &Path,
    server_url: &str,
) -> anyhow::Result<()> {
    let db_url = format!("sqlite:{}", db.display());
    let admin = |args: &[&str]| -> anyhow::Result<String> {
        let output = Command::new(fieldline)
            .arg("admin")
            .arg("--db")
            .arg(&db_url)
            .args(args)
            .env("FIELDLINE_PASSWORD", MANAGER_PASSWORD)
            .output()
            .with_context(|| format!("cannot run {}", fieldline.display()))?;
        if !output.status.success() {
            bail!(
                "fieldline admin {} failed: {}",
                args.join(" "),
                String::from_utf8_lossy(&output.stderr).trim()
            );
        }
        Ok(String::from_utf8_lossy(&output.stdout).trim().to_owned())
    };
    let office = admin(&["org", "create", "Campaign office"])?;
    let partner = admin(&["org", "create", "Shakti Vahini (demo partner)"])?;
    let other = admin(&["org", "create", "Maiti Nepal (demo partner)"])?;
    admin(&[
        "user",
        "create",
        "--org",
        &office,
        "--email",
        MANAGER_EMAIL,
        "--role",
        "manager",
    ])?;
    let campaign = admin(&[
        "campaign",
        "create",
        "--owner",
        &office,
        "--name",
        "Safe migration radio drama",
    ])?;
    for org in [&partner, &other] {
        admin(&[
            "campaign",
            "add-partner",
            "--campaign",
            &campaign,
            "--org",
            org,
        ])?;
    }
    let baseline = baseline_form();
    admin(&[
        "round",
        "create",
        "--campaign",
        &campaign,
        "--name",
        "baseline",
        "--form",
        &baseline.display().to_string(),
    ])?;
    // A round publishes one form version; the endline asks the same questions under the next
    // version, as a campaign republishes its questionnaire.
    let endline = work_dir.join("safe_migration_kap_endline.xlsx");
    with_next_version(&baseline, &endline)?;
    admin(&[
        "round",
        "create",
        "--campaign",
        &campaign,
        "--name",
        "endline",
        "--form",
        &endline.display().to_string(),
    ])?;
    let code = admin(&["enroll-code", "--campaign", &campaign, "--org", &partner])?;
    let enroll = Command::new(fieldline)
        .arg("device")
        .arg("--home")
        .arg(device_dir)
        .args(["enroll", "--server", server_url, "--code", &code, "--label"])
        .arg("Demo tablet")
        .output()
        .context("cannot run fieldline device")?;
    if !enroll.status.success() {
        bail!(
            "enrolling the field app failed: {}",
            String::from_utf8_lossy(&enroll.stderr).trim()
        );
    }
    Ok(())
}

/// Copies an XLSForm with its `version` setting increased by one (a number) or suffixed with
/// `-next` (anything else): every sheet's cells as text, which is how XLSForms are read.
pub fn with_next_version(source: &Path, target: &Path) -> anyhow::Result<()> {
    let mut workbook =
        open_workbook_auto(source).with_context(|| format!("cannot read {}", source.display()))?;
    let mut out = rust_xlsxwriter::Workbook::new();
    for name in workbook.sheet_names() {
        let range = workbook.worksheet_range(&name)?;
        let sheet = out.add_worksheet();
        sheet.set_name(&name)?;
        let mut version_column = None;
        for (r, row) in range.rows().enumerate() {
            for (c, cell) in row.iter().enumerate() {
                let mut text = match cell {
                    Data::Empty => continue,
                    Data::Float(f) if f.fract() == 0.0 => format!("{}", *f as i64),
                    other => other.to_string(),
                };
                if name == "settings" && r == 0 && text.trim() == "version" {
                    version_column = Some(c);
                }
                if name == "settings" && r == 1 && Some(c) == version_column {
                    text = match text.trim().parse::<u64>() {
                        Ok(n) => (n + 1).to_string(),
                        Err(_) => format!("{}-next", text.trim()),
                    };
                }
                sheet.write_string(r as u32, c as u16, &text)?;
            }
        }
    }
    out.save(target)
        .with_context(|| format!("cannot write {}", target.display()))?;
    Ok(())
}
