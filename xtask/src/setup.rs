//! Installs what a task needs and is missing; skips what is present. Each check is cheap, so a warm
//! machine pays a second or two, and a fresh Debian machine gets everything from the package
//! registries alone (no prebuilt binaries from elsewhere).

use std::process::Command;

use anyhow::{bail, Context as _};

use crate::process::{done, on_path, output_of, run, run_command, step};

/// Debian packages to build the Tauri app (WebKitGTK and friends) and the bundled C code; and for
/// the app on Linux, a Devanagari font so Hindi and Nepali show as text, not boxes, and
/// GStreamer's common codecs so a form's audio prompts play (Android has both built in).
const APT_BUILD: &[&str] = &[
    "fonts-lohit-deva",
    "gstreamer1.0-plugins-good",
    "build-essential",
    "pkg-config",
    "libssl-dev",
    "libwebkit2gtk-4.1-dev",
    "libgtk-3-dev",
    "libsoup-3.0-dev",
    "librsvg2-dev",
    "libayatana-appindicator3-dev",
    "libxdo-dev",
    "file",
];

/// Debian packages the tests drive: a virtual display, the webview's WebDriver, and Chromium with
/// its driver for the dashboard (end to end); PostgreSQL for the server's storage tests (a
/// throwaway cluster per run, see `postgres.rs`).
const APT_TEST: &[&str] = &[
    "xvfb",
    "xauth",
    "webkit2gtk-driver",
    "chromium",
    "chromium-driver",
    "postgresql",
];

pub const WASM_TARGET: &str = "wasm32-unknown-unknown";

/// What a task needs installed.
pub struct Need {
    test_tools: bool,
}

impl Need {
    /// Enough to build the UI bundle, the app and the server.
    pub fn build() -> Self {
        Self { test_tools: false }
    }

    /// Everything `cargo xtask test` drives as well.
    pub fn test() -> Self {
        Self { test_tools: true }
    }
}

pub fn ensure(need: &Need) -> anyhow::Result<()> {
    let mut packages = APT_BUILD.to_vec();
    if need.test_tools {
        packages.extend_from_slice(APT_TEST);
        // ODK's engine for the conformance suite runs in Node.
        if !on_path("node") {
            packages.push("nodejs");
        }
    }
    ensure_apt_packages(&packages)?;
    if need.test_tools && !on_path("npm") {
        // Node.js builds that do not bundle npm leave it to its own package.
        ensure_apt_packages(&["npm"])?;
    }
    ensure_wasm_target()?;
    ensure_wasm_bindgen()?;
    if need.test_tools {
        ensure_cargo_tool("tauri-driver", &["install", "tauri-driver", "--locked"])?;
        ensure_odk_engine()?;
    }
    Ok(())
}

/// Where the conformance test and the benchmark drive ODK's form engine in Node.
pub const ODK_ENGINE_DIR: &str = "tests/conformance/odk-engine";

/// The engine's README asks for Node 20.19 or later (it runs ODK's engine with jsdom).
const NODE_MIN: (u32, u32) = (20, 19);

/// Installs ODK's engine and jsdom with `npm ci` (exactly package-lock.json) when node_modules is
/// missing or older than the lockfile. Node itself comes from the system's packages (see `ensure`).
pub fn ensure_odk_engine() -> anyhow::Result<()> {
    let how = "install Node.js 20.19+ with npm (a Debian `nodejs` package of version 20, e.g. \
               NodeSource's; Debian 12's own is 18)";
    let version =
        output_of("node", &["--version"]).with_context(|| format!("node is missing: {how}"))?;
    let mut parts = version.trim().trim_start_matches('v').split('.');
    let mut next = || {
        parts
            .next()
            .and_then(|p| p.parse::<u32>().ok())
            .unwrap_or(0)
    };
    let found = (next(), next());
    if found < NODE_MIN {
        bail!(
            "node {} is too old for ODK's engine (needs {}.{}+): {how}",
            version.trim(),
            NODE_MIN.0,
            NODE_MIN.1
        );
    }
    if !on_path("npm") {
        bail!("npm is missing: {how}");
    }
    let dir = crate::workspace_root().join(ODK_ENGINE_DIR);
    let modified =
        |path: std::path::PathBuf| std::fs::metadata(path).and_then(|m| m.modified()).ok();
    let lock = modified(dir.join("package-lock.json"))
        .with_context(|| format!("{ODK_ENGINE_DIR}/package-lock.json is missing"))?;
    // npm ci writes node_modules/.package-lock.json last, so its time says when it finished.
    let installed = modified(dir.join("node_modules/.package-lock.json"));
    if installed.is_some_and(|installed| installed >= lock) {
        println!(
            "==> ODK engine (node {}): node_modules up to date",
            version.trim()
        );
        return Ok(());
    }
    let started = step(&format!("ODK engine: npm ci in {ODK_ENGINE_DIR}"));
    run_command(
        Command::new("npm")
            .args(["ci", "--no-audit", "--no-fund"])
            .current_dir(&dir),
    )?;
    done(started);
    Ok(())
}

pub(crate) fn ensure_apt_packages(packages: &[&str]) -> anyhow::Result<()> {
    let missing: Vec<&str> = packages
        .iter()
        .copied()
        .filter(|package| !apt_installed(package))
        .collect();
    if missing.is_empty() {
        println!("==> Debian packages: all {} present", packages.len());
        return Ok(());
    }
    if !on_path("apt-get") {
        bail!(
            "missing system packages {} and no apt-get here: install them with your system's package manager",
            missing.join(" ")
        );
    }
    let started = step(&format!(
        "Debian packages: installing {}",
        missing.join(" ")
    ));
    let sudo = !is_root();
    let apt = |args: &[&str]| {
        let mut command = if sudo {
            let mut c = Command::new("sudo");
            c.arg("apt-get");
            c
        } else {
            Command::new("apt-get")
        };
        command.args(args).env("DEBIAN_FRONTEND", "noninteractive");
        run_command(&mut command)
    };
    apt(&["update", "-qq"])?;
    let mut install = vec!["install", "-y", "-qq", "--no-install-recommends"];
    install.extend(&missing);
    apt(&install)?;
    done(started);
    Ok(())
}

fn apt_installed(package: &str) -> bool {
    output_of("dpkg-query", &["-W", "-f=${Status}", package])
        .is_some_and(|status| status.ends_with("install ok installed"))
}

pub(crate) fn is_root() -> bool {
    output_of("id", &["-u"]).is_some_and(|uid| uid.trim() == "0")
}

pub fn ensure_wasm_target() -> anyhow::Result<()> {
    let installed = output_of("rustup", &["target", "list", "--installed"]).unwrap_or_default();
    if installed.lines().any(|line| line.trim() == WASM_TARGET) {
        println!("==> rust target {WASM_TARGET}: present");
        return Ok(());
    }
    let started = step(&format!("rust target {WASM_TARGET}: installing"));
    run("rustup", ["target", "add", WASM_TARGET])?;
    done(started);
    Ok(())
}

/// wasm-bindgen's CLI must match the `wasm-bindgen` crate in Cargo.lock exactly, or the generated
/// glue and the wasm disagree at run time.
fn ensure_wasm_bindgen() -> anyhow::Result<()> {
    let wanted = locked_version("wasm-bindgen")?;
    let present = output_of("wasm-bindgen", &["--version"]).unwrap_or_default();
    if present.split_whitespace().nth(1) == Some(wanted.as_str()) {
        println!("==> wasm-bindgen-cli {wanted}: present");
        return Ok(());
    }
    let started = step(&format!(
        "wasm-bindgen-cli {wanted}: installing (a few minutes, once)"
    ));
    // Not --locked: the CLI's own lockfile pins a webpki-roots release the registry no longer serves.
    run(
        "cargo",
        ["install", "wasm-bindgen-cli", "--version", &wanted],
    )?;
    done(started);
    Ok(())
}

fn ensure_cargo_tool(binary: &str, install: &[&str]) -> anyhow::Result<()> {
    if on_path(binary) {
        println!("==> {binary}: present");
        return Ok(());
    }
    let started = step(&format!("{binary}: installing"));
    run("cargo", install)?;
    done(started);
    Ok(())
}

/// The version of `package` recorded in Cargo.lock.
pub fn locked_version(package: &str) -> anyhow::Result<String> {
    let lock = std::fs::read_to_string(crate::workspace_root().join("Cargo.lock"))
        .context("cannot read Cargo.lock")?;
    let needle = format!("name = \"{package}\"");
    let mut lines = lock.lines();
    while let Some(line) = lines.next() {
        if line.trim() == needle {
            if let Some(version) = lines
                .next()
                .and_then(|next| next.trim().strip_prefix("version = \""))
            {
                return Ok(version.trim_end_matches('"').to_owned());
            }
        }
    }
    bail!("Cargo.lock has no {package}: run `cargo generate-lockfile`")
}
