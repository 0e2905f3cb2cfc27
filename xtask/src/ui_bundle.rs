//! Builds the two Yew front ends: the field app's UI into `ui/dist`, the folder the Tauri app
//! embeds, and the server's dashboard into `dashboard/dist`, the folder `fieldline-server`
//! embeds. Each is a release wasm build, then wasm-bindgen for the JS glue, then the static
//! files. No trunk: it would try to download tools.

use std::{fs, path::Path};

use anyhow::Context as _;

use crate::process::{done, run, step};

/// One wasm front end.
struct Bundle {
    package: &'static str,
    /// The folder (under the workspace root) holding its sources, static files and `dist`.
    dir: &'static str,
    /// wasm-bindgen's output name (`NAME.js`, `NAME_bg.wasm`).
    out_name: &'static str,
    /// Static files copied into `dist`: (source in `dir`, name in `dist`).
    static_files: &'static [(&'static str, &'static str)],
}

const UI: Bundle = Bundle {
    package: "fieldline-ui",
    dir: "ui",
    out_name: "fieldline_ui",
    static_files: &[
        ("index.html", "index.html"),
        ("boot.js", "boot.js"),
        ("styles.css", "styles.css"),
    ],
};

/// The server serves these under `/assets/` (and `index.html` at `/`).
const DASHBOARD: Bundle = Bundle {
    package: "fieldline-dashboard",
    dir: "dashboard",
    out_name: "fieldline_dashboard",
    static_files: &[
        ("index.html", "index.html"),
        ("boot.js", "dashboard.js"),
        ("dashboard.css", "dashboard.css"),
    ],
};

/// Both bundles: the app and the server embed them at compile time, so this runs before
/// anything builds either.
pub fn build() -> anyhow::Result<()> {
    build_one(&UI)?;
    build_one(&DASHBOARD)
}

fn build_one(bundle: &Bundle) -> anyhow::Result<()> {
    let root = crate::workspace_root();
    let started = step(&format!(
        "{} bundle: cargo build (wasm32, release) + wasm-bindgen -> {}/dist",
        bundle.package, bundle.dir
    ));
    run(
        "cargo",
        [
            "build",
            "--package",
            bundle.package,
            "--target",
            "wasm32-unknown-unknown",
            "--release",
        ],
    )?;
    let wasm = crate::target_dir()
        .join("wasm32-unknown-unknown/release")
        .join(format!("{}.wasm", bundle.package));
    // wasm-bindgen writes into a staging folder; only files whose bytes changed are copied into
    // dist, so an unchanged bundle does not make cargo rebuild what embeds it.
    let staging = crate::target_dir().join(format!("{}-bundle", bundle.dir));
    fs::create_dir_all(&staging).with_context(|| format!("cannot create {}", staging.display()))?;
    run(
        "wasm-bindgen",
        [
            "--target".as_ref(),
            "web".as_ref(),
            "--no-typescript".as_ref(),
            "--out-name".as_ref(),
            bundle.out_name.as_ref(),
            "--out-dir".as_ref(),
            staging.as_os_str(),
            wasm.as_os_str(),
        ],
    )?;
    let dir = root.join(bundle.dir);
    let dist = dir.join("dist");
    fs::create_dir_all(&dist).with_context(|| format!("cannot create {}", dist.display()))?;
    for generated in [
        format!("{}.js", bundle.out_name),
        format!("{}_bg.wasm", bundle.out_name),
    ] {
        copy_if_changed(&staging.join(&generated), &dist.join(&generated))?;
    }
    for (source, name) in bundle.static_files {
        copy_if_changed(&dir.join(source), &dist.join(name))?;
    }
    done(started);
    Ok(())
}

fn copy_if_changed(source: &Path, dest: &Path) -> anyhow::Result<()> {
    let bytes = fs::read(source).with_context(|| format!("cannot read {}", source.display()))?;
    if fs::read(dest).ok().as_deref() != Some(bytes.as_slice()) {
        fs::write(dest, bytes).with_context(|| format!("cannot write {}", dest.display()))?;
    }
    Ok(())
}
