//! `fieldline admin` as a script uses it: a whole campaign set up on a fresh database, the
//! mistakes people make refused with advice, and the submissions listed.

use std::path::Path;
use std::process::{Command, Output};

use fieldline_server::secrets::{enrollment_code_hash, sha256_hex};
use fieldline_server::storage::{open_storage, DatabaseUrl, Incoming, Outcome, PayloadEncoding};

const PASSWORD: &str = "correct horse battery staple";

fn kap_form() -> &'static str {
    concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../../../shared/forms/fieldline/safe_migration_kap.xlsx"
    )
}

fn bad_form() -> &'static str {
    concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../../../shared/forms/public/pyxform/bad_calc.xlsx"
    )
}

struct Admin {
    db: String,
}

impl Admin {
    fn run(&self, args: &[&str]) -> Output {
        self.run_with_password(args, PASSWORD)
    }

    fn run_with_password(&self, args: &[&str], password: &str) -> Output {
        Command::new(env!("CARGO_BIN_EXE_fieldline"))
            .arg("admin")
            .arg("--db")
            .arg(&self.db)
            .args(args)
            .env("FIELDLINE_PASSWORD", password)
            .env_remove("FIELDLINE_DB")
            .env("FIELDLINE_LOG", "warn")
            .output()
            .expect("the fieldline binary runs")
    }

    /// Runs a command that must succeed; returns its standard output.
    fn ok(&self, args: &[&str]) -> String {
        let out = self.run(args);
        assert!(
            out.status.success(),
            "fieldline admin {args:?} failed:\n{}",
            String::from_utf8_lossy(&out.stderr)
        );
        String::from_utf8(out.stdout).unwrap()
    }

    /// Runs a command that must fail; returns its standard error.
    fn fails(&self, args: &[&str]) -> String {
        let out = self.run(args);
        assert!(
            !out.status.success(),
            "fieldline admin {args:?} should have failed; it printed:\n{}",
            String::from_utf8_lossy(&out.stdout)
        );
        String::from_utf8(out.stderr).unwrap()
    }
}

fn is_id(text: &str) -> bool {
    uuid_like(text.trim())
}

fn uuid_like(text: &str) -> bool {
    text.len() == 36 && text.chars().all(|c| c.is_ascii_hexdigit() || c == '-')
}

#[test]
fn a_whole_campaign_is_set_up_from_a_script() {
    let dir = tempfile::tempdir().unwrap();
    let db_path = dir.path().join("server.sqlite3");
    let admin = Admin {
        db: format!("sqlite:{}", db_path.display()),
    };

    // Organizations, and a name taken twice.
    let owner = admin.ok(&["org", "create", "Owner NGO"]);
    assert!(is_id(&owner), "{owner}");
    let owner = owner.trim().to_owned();
    let partner_a = admin.ok(&["org", "create", "Partner A"]).trim().to_owned();
    admin.ok(&["org", "create", "Partner B"]);
    admin.ok(&["org", "create", "Outsider"]);
    let err = admin.fails(&["org", "create", "Partner A"]);
    assert!(err.contains("already exists"), "{err}");

    // Users: a good password, a short one, an unknown role, an unknown organization.
    let user = admin.ok(&[
        "user",
        "create",
        "--org",
        "Owner NGO",
        "--email",
        "manager@example.org",
        "--role",
        "manager",
    ]);
    assert!(is_id(&user), "{user}");
    let short = admin.run_with_password(
        &[
            "user",
            "create",
            "--org",
            &partner_a,
            "--email",
            "lead@partner-a.org",
            "--role",
            "partner-admin",
        ],
        "short",
    );
    assert!(!short.status.success());
    let err = String::from_utf8_lossy(&short.stderr);
    assert!(err.contains("at least 10"), "{err}");
    let err = admin.fails(&[
        "user",
        "create",
        "--org",
        &partner_a,
        "--email",
        "lead@partner-a.org",
        "--role",
        "boss",
    ]);
    assert!(err.contains("partner-admin"), "{err}");
    let err = admin.fails(&[
        "user",
        "create",
        "--org",
        "Nobody",
        "--email",
        "x@example.org",
        "--role",
        "viewer",
    ]);
    assert!(
        err.contains("Owner NGO") && err.contains("org create"),
        "{err}"
    );
    let err = admin.fails(&[
        "user",
        "create",
        "--org",
        &owner,
        "--email",
        "MANAGER@example.org",
        "--role",
        "viewer",
    ]);
    assert!(err.contains("already exists"), "{err}");

    // The campaign and its partners, by name and by id.
    let campaign = admin.ok(&[
        "campaign",
        "create",
        "--owner",
        "Owner NGO",
        "--name",
        "Safe migration 2026",
    ]);
    assert!(is_id(&campaign), "{campaign}");
    let campaign = campaign.trim().to_owned();
    admin.ok(&[
        "campaign",
        "add-partner",
        "--campaign",
        "Safe migration 2026",
        "--org",
        "Partner A",
    ]);
    admin.ok(&[
        "campaign",
        "add-partner",
        "--campaign",
        &campaign,
        "--org",
        "Partner B",
    ]);
    let err = admin.fails(&[
        "campaign",
        "add-partner",
        "--campaign",
        "Safe migration 2099",
        "--org",
        "Partner B",
    ]);
    assert!(err.contains("Safe migration 2026"), "{err}");

    // Rounds: a form that cannot be used, then the real one, then the same version again.
    let out = admin.run(&[
        "round",
        "create",
        "--campaign",
        &campaign,
        "--name",
        "baseline",
        "--form",
        bad_form(),
    ]);
    assert!(!out.status.success());
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("the form cannot be used"), "{err}");
    assert!(err.contains("bad_calc.xlsx"), "{err}");
    let baseline = admin.ok(&[
        "round",
        "create",
        "--campaign",
        &campaign,
        "--name",
        "baseline",
        "--form",
        kap_form(),
    ]);
    assert!(is_id(&baseline), "{baseline}");
    let err = admin.fails(&[
        "round",
        "create",
        "--campaign",
        &campaign,
        "--name",
        "endline",
        "--form",
        kap_form(),
    ]);
    assert!(err.contains("version"), "{err}");

    // Enrollment codes: three distinct ones for a partner, none for an outsider.
    let codes = admin.ok(&[
        "enroll-code",
        "--campaign",
        &campaign,
        "--org",
        "Partner A",
        "--count",
        "3",
    ]);
    let codes: Vec<&str> = codes.lines().collect();
    assert_eq!(codes.len(), 3, "{codes:?}");
    let distinct: std::collections::HashSet<&&str> = codes.iter().collect();
    assert_eq!(distinct.len(), 3, "{codes:?}");
    for code in &codes {
        assert_eq!(code.len(), 14, "{code}");
        assert_eq!(code.matches('-').count(), 2, "{code}");
    }
    let err = admin.fails(&["enroll-code", "--campaign", &campaign, "--org", "Outsider"]);
    assert!(err.contains("add-partner"), "{err}");

    // A device enrolls with one of the codes and sends two interviews; the listing shows them.
    let instance = submit_two(&db_path, codes[0]);
    let listed = admin.ok(&["submissions", "--campaign", "Safe migration 2026", "--json"]);
    let lines: Vec<serde_json::Value> = listed
        .lines()
        .map(|line| serde_json::from_str(line).unwrap())
        .collect();
    assert_eq!(lines.len(), 2, "{listed}");
    assert_eq!(lines[0]["instance_id"], instance);
    assert_eq!(lines[0]["sha256"], sha256_hex(br#"{"n":1}"#));
    assert_eq!(lines[0]["round"], "baseline");
    assert_eq!(lines[0]["org"], "Partner A");
    assert_eq!(lines[0]["device"], "fieldline:test-device");
    assert!(lines[0]["received_at"].as_str().unwrap().contains('T'));
    let baseline_only = admin.ok(&[
        "submissions",
        "--campaign",
        &campaign,
        "--round",
        "baseline",
        "--json",
    ]);
    assert_eq!(baseline_only.lines().count(), 2);
    let err = admin.fails(&[
        "submissions",
        "--campaign",
        &campaign,
        "--round",
        "endline",
        "--json",
    ]);
    assert!(err.contains("baseline"), "{err}");
}

/// Enrolls a device with `code` and stores two submissions; returns the first one's id.
fn submit_two(db: &Path, code: &str) -> String {
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    runtime.block_on(async {
        let storage = open_storage(&DatabaseUrl::Sqlite(db.to_owned()))
            .await
            .unwrap();
        // Codes are typed by people: lowercase and without dashes is the same code.
        let typed = code.replace('-', " ").to_lowercase();
        let device = storage
            .enroll(
                &enrollment_code_hash(&typed),
                "fieldline:test-device",
                "Asha",
                "token-hash",
            )
            .await
            .unwrap();
        let campaign = storage
            .campaign(&device.campaign_id)
            .await
            .unwrap()
            .unwrap();
        let round = storage.rounds(&campaign.id).await.unwrap().remove(0);
        let items = (1..=2)
            .map(|n| {
                let payload = format!(r#"{{"n":{n}}}"#);
                Incoming {
                    device: device.id.clone(),
                    instance_id: format!("uuid:0000000{n}-test"),
                    device_seq: n,
                    form_id: round.form_id.clone(),
                    form_version: round.form_version.clone(),
                    round_id: Some(round.id.clone()),
                    sha256: sha256_hex(payload.as_bytes()),
                    encoding: PayloadEncoding::Json,
                    payload: payload.into_bytes(),
                    attachments: "[]".into(),
                    rejection: None,
                }
            })
            .collect();
        assert_eq!(
            storage.store_submissions(items).await.unwrap(),
            vec![Outcome::Accepted, Outcome::Accepted]
        );
        "uuid:00000001-test".to_owned()
    })
}

#[test]
fn a_rounds_sampling_plan_is_checked_against_its_form_and_replaced_when_set_again() {
    let dir = tempfile::tempdir().unwrap();
    let db_path = dir.path().join("server.sqlite3");
    let admin = Admin {
        db: format!("sqlite:{}", db_path.display()),
    };
    let owner = admin.ok(&["org", "create", "Owner NGO"]).trim().to_owned();
    let campaign = admin
        .ok(&["campaign", "create", "--owner", &owner, "--name", "KAP"])
        .trim()
        .to_owned();
    let round_id = admin
        .ok(&[
            "round",
            "create",
            "--campaign",
            &campaign,
            "--name",
            "baseline",
            "--form",
            kap_form(),
        ])
        .trim()
        .to_owned();
    let plan = |args: &[&str]| {
        let mut all = vec!["round", "plan", "--campaign", "KAP", "--round", "baseline"];
        all.extend_from_slice(args);
        all.into_iter().map(str::to_owned).collect::<Vec<_>>()
    };
    let run = |args: Vec<String>, ok: bool| {
        let args: Vec<&str> = args.iter().map(String::as_str).collect();
        if ok {
            admin.ok(&args)
        } else {
            admin.fails(&args)
        }
    };

    // Mistakes, each named.
    let err = run(
        plan(&["--cluster-field", "village", "--per-cluster", "20"]),
        false,
    );
    assert!(
        err.contains("no field \"village\"") && err.contains("municipality"),
        "{err}"
    );
    let err = run(plan(&["--cluster-field", "ward"]), false);
    assert!(err.contains("--per-cluster N"), "{err}");
    let err = run(
        vec![
            "round",
            "plan",
            "--campaign",
            "KAP",
            "--round",
            "endline",
            "--cluster-field",
            "ward",
            "--per-cluster",
            "5",
        ]
        .into_iter()
        .map(str::to_owned)
        .collect(),
        false,
    );
    assert!(
        err.contains("no round named \"endline\"") && err.contains("baseline"),
        "{err}"
    );
    let csv = dir.path().join("clusters.csv");
    std::fs::write(&csv, "municipality,ward,target\ndharan,3,25\nDharan,4,20\n").unwrap();
    let csv_arg = csv.display().to_string();
    let err = run(
        plan(&[
            "--cluster-field",
            "municipality",
            "--cluster-field",
            "ward",
            "--clusters",
            &csv_arg,
        ]),
        false,
    );
    assert!(
        err.contains("clusters.csv row 3 column 1 (municipality): \"Dharan\" is not a choice"),
        "{err}"
    );

    // A plan with a per-cluster target, then replaced by the clusters drawn.
    let said = run(
        plan(&["--cluster-field", "ward", "--per-cluster", "20"]),
        true,
    );
    assert_eq!(said.trim(), "baseline: 20 interviews per cluster of ward");
    std::fs::write(
        &csv,
        "ward,municipality,target\n3,dharan,25\n4,dharan,\n1,janakpur,12\n",
    )
    .unwrap();
    let said = run(
        plan(&[
            "--cluster-field",
            "municipality",
            "--cluster-field",
            "ward",
            "--per-cluster",
            "15",
            "--clusters",
            &csv_arg,
        ]),
        true,
    );
    assert_eq!(
        said.trim(),
        "baseline: 3 clusters of municipality, ward, 52 interviews planned"
    );
    let runtime = tokio::runtime::Runtime::new().unwrap();
    let plans = runtime.block_on(async {
        let storage = open_storage(&DatabaseUrl::Sqlite(db_path.clone()))
            .await
            .unwrap();
        storage.sampling_plans(&campaign).await.unwrap()
    });
    assert_eq!(plans.len(), 1);
    assert_eq!(plans[0].round_id, round_id);
    assert_eq!(plans[0].cluster_fields, ["municipality", "ward"]);
    let planned: Vec<(&str, u32)> = plans[0]
        .planned
        .iter()
        .map(|c| (c.cluster.as_str(), c.target))
        .collect();
    assert_eq!(
        planned,
        [("dharan / 3", 25), ("dharan / 4", 15), ("janakpur / 1", 12)]
    );
}

#[test]
fn the_audit_log_lists_roles_granted_and_codes_made_oldest_first() {
    let dir = tempfile::tempdir().unwrap();
    let admin = Admin {
        db: format!("sqlite:{}", dir.path().join("server.sqlite3").display()),
    };
    assert_eq!(admin.ok(&["audit"]), "", "a new server's log is empty");
    admin.ok(&["org", "create", "Owner NGO"]);
    admin.ok(&[
        "user",
        "create",
        "--org",
        "Owner NGO",
        "--email",
        "lead@example.org",
        "--role",
        "admin",
    ]);
    let campaign = admin.ok(&[
        "campaign",
        "create",
        "--owner",
        "Owner NGO",
        "--name",
        "KAP",
    ]);
    admin.ok(&[
        "enroll-code",
        "--campaign",
        "KAP",
        "--org",
        "Owner NGO",
        "--count",
        "3",
    ]);

    let lines: Vec<serde_json::Value> = admin
        .ok(&["audit", "--json"])
        .lines()
        .map(|line| serde_json::from_str(line).unwrap())
        .collect();
    assert_eq!(lines.len(), 2, "{lines:?}");
    assert_eq!(lines[0]["action"], "role-granted");
    assert_eq!(lines[0]["actor"], "fieldline admin");
    assert_eq!(
        lines[0]["subject"],
        "lead@example.org as admin in Owner NGO"
    );
    assert_eq!(lines[1]["action"], "enrollment-codes");
    assert_eq!(lines[1]["campaign_id"], campaign.trim());
    assert!(lines[1]["subject"]
        .as_str()
        .unwrap()
        .starts_with("3 code(s) for organization "));
    assert!(lines[0]["seq"].as_i64().unwrap() < lines[1]["seq"].as_i64().unwrap());

    // As text: a tab-separated line per event; --after pages on.
    let text = admin.ok(&["audit"]);
    let first: Vec<&str> = text.lines().next().unwrap().split('\t').collect();
    assert_eq!(first[0], lines[0]["seq"].to_string());
    assert_eq!(
        &first[2..],
        [
            "role-granted",
            "fieldline admin",
            "lead@example.org as admin in Owner NGO"
        ]
    );
    let after = admin.ok(&["audit", "--after", &lines[0]["seq"].to_string()]);
    assert_eq!(after.lines().count(), 1);
    assert!(after.contains("enrollment-codes"), "{after}");
}

#[test]
fn a_person_who_leaves_is_disabled_their_role_and_password_changed_from_a_script() {
    let dir = tempfile::tempdir().unwrap();
    let db_path = dir.path().join("server.sqlite3");
    let admin = Admin {
        db: format!("sqlite:{}", db_path.display()),
    };
    admin.ok(&["org", "create", "Owner NGO"]);
    admin.ok(&["org", "create", "Partner NGO"]);
    for (org, email, role) in [
        ("Owner NGO", "lead@owner.org", "manager"),
        ("Partner NGO", "field@partner.org", "viewer"),
    ] {
        admin.ok(&[
            "user", "create", "--org", org, "--email", email, "--role", role,
        ]);
    }
    let listed = |args: &[&str]| -> Vec<serde_json::Value> {
        let mut all = vec!["user", "list", "--json"];
        all.extend(args);
        admin
            .ok(&all)
            .lines()
            .map(|line| serde_json::from_str(line).unwrap())
            .collect()
    };
    let people = listed(&[]);
    assert_eq!(people.len(), 2);
    assert!(people.iter().all(|p| p.get("password_hash").is_none()));
    let partner = listed(&["--org", "Partner NGO"]);
    assert_eq!(partner.len(), 1);
    assert_eq!(
        (
            &partner[0]["email"],
            &partner[0]["role"],
            &partner[0]["disabled"]
        ),
        (&"field@partner.org".into(), &"viewer".into(), &false.into())
    );

    // A session the leaver holds ends when they are disabled.
    let runtime = tokio::runtime::Runtime::new().unwrap();
    let storage = runtime
        .block_on(open_storage(&DatabaseUrl::Sqlite(db_path.clone())))
        .unwrap();
    let leaver_id = partner[0]["id"].as_str().unwrap().to_string();
    runtime
        .block_on(storage.create_session(&leaver_id, "leaver-session", "2999-01-01T00:00:00Z"))
        .unwrap();
    admin.ok(&["user", "disable", "--email", "Field@Partner.org"]);
    assert_eq!(listed(&["--org", "Partner NGO"])[0]["disabled"], true);
    let session = runtime
        .block_on(storage.session_user("leaver-session", "2026-01-01T00:00:00Z"))
        .unwrap();
    assert_eq!(session, None, "the disabled person's session still works");
    let plain = admin.ok(&["user", "list"]);
    assert!(
        plain.contains("field@partner.org\tviewer\tPartner NGO\tdisabled"),
        "{plain}"
    );

    admin.ok(&["user", "enable", "--email", "field@partner.org"]);
    admin.ok(&[
        "user",
        "set-role",
        "--email",
        "field@partner.org",
        "--role",
        "partner-admin",
    ]);
    let after = listed(&["--org", "Partner NGO"]);
    assert_eq!(
        (&after[0]["role"], &after[0]["disabled"]),
        (&"partner-admin".into(), &false.into())
    );
    let old_hash = runtime
        .block_on(storage.user(&leaver_id))
        .unwrap()
        .unwrap()
        .password_hash;
    let out = admin.run_with_password(
        &["user", "set-password", "--email", "field@partner.org"],
        "a new long passphrase",
    );
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let new_hash = runtime
        .block_on(storage.user(&leaver_id))
        .unwrap()
        .unwrap()
        .password_hash;
    assert_ne!(new_hash, old_hash);
    assert!(fieldline_server::secrets::verify_password(
        "a new long passphrase",
        &new_hash
    ));

    // Someone unknown is named in the refusal, with where to look.
    let err = admin.fails(&["user", "disable", "--email", "nobody@example.org"]);
    assert!(
        err.contains("nobody@example.org") && err.contains("user list"),
        "{err}"
    );
    let actions: Vec<String> = admin
        .ok(&["audit", "--json"])
        .lines()
        .map(|line| serde_json::from_str::<serde_json::Value>(line).unwrap()["action"].to_string())
        .collect();
    for action in [
        "user-disabled",
        "user-enabled",
        "role-changed",
        "password-reset",
    ] {
        assert!(
            actions.contains(&format!("\"{action}\"")),
            "{action} not audited: {actions:?}"
        );
    }
}

#[test]
fn without_fieldline_password_the_password_is_read_from_standard_input() {
    use std::io::Write as _;
    let dir = tempfile::tempdir().unwrap();
    let db = format!("sqlite:{}", dir.path().join("server.sqlite3").display());
    let admin = Admin { db: db.clone() };
    admin.ok(&["org", "create", "Owner NGO"]);
    let create = |email: &str, stdin: &str| {
        let mut child = Command::new(env!("CARGO_BIN_EXE_fieldline"))
            .args(["admin", "--db", &db, "user", "create", "--org", "Owner NGO"])
            .args(["--email", email, "--role", "viewer"])
            .env_remove("FIELDLINE_PASSWORD")
            .env_remove("FIELDLINE_DB")
            .stdin(std::process::Stdio::piped())
            .stdout(std::process::Stdio::piped())
            .stderr(std::process::Stdio::piped())
            .spawn()
            .unwrap();
        child
            .stdin
            .take()
            .unwrap()
            .write_all(stdin.as_bytes())
            .unwrap();
        child.wait_with_output().unwrap()
    };
    let made = create("reader@example.org", "a long enough passphrase\n");
    assert!(
        made.status.success(),
        "{}",
        String::from_utf8_lossy(&made.stderr)
    );
    let runtime = tokio::runtime::Runtime::new().unwrap();
    let storage = runtime
        .block_on(open_storage(&DatabaseUrl::Sqlite(
            dir.path().join("server.sqlite3"),
        )))
        .unwrap();
    let user = runtime
        .block_on(storage.user_by_email("reader@example.org"))
        .unwrap()
        .unwrap();
    assert!(fieldline_server::secrets::verify_password(
        "a long enough passphrase",
        &user.password_hash
    ));
    // Too short: refused in words, nobody created.
    let refused = create("short@example.org", "short\n");
    assert!(!refused.status.success());
    let said = String::from_utf8_lossy(&refused.stderr);
    assert!(said.contains("10"), "{said}");
    assert!(runtime
        .block_on(storage.user_by_email("short@example.org"))
        .unwrap()
        .is_none());
}
