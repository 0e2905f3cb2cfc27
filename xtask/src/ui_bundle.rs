//! Builds the Yew UI into `ui/dist`, the folder the Tauri app embeds: a release wasm build, then
//! wasm-bindgen for the JS glue, then the static files. No trunk: it would try to download tools.

use std::{fs, path::Path};

use anyhow::Context as _;

use crate::process::{done, run, step};

pub fn build() -> anyhow::Result<()> {
    let root = crate::workspace_root();
    let started = step("UI bundle: cargo build (wasm32, release) + wasm-bindgen -> ui/dist");
    run(
        "cargo",
        [
            "build",
            "--package",
            "fieldline-ui",
            "--target",
            "wasm32-unknown-unknown",
            "--release",
        ],
    )?;
    let wasm = crate::target_dir().join("wasm32-unknown-unknown/release/fieldline-ui.wasm");
    // wasm-bindgen writes into a staging folder; only files whose bytes changed are copied into
    // ui/dist, so an unchanged UI does not make cargo rebuild the app that embeds it.
    let staging = crate::target_dir().join("ui-bundle");
    fs::create_dir_all(&staging).with_context(|| format!("cannot create {}", staging.display()))?;
    run(
        "wasm-bindgen",
        [
            "--target".as_ref(),
            "web".as_ref(),
            "--no-typescript".as_ref(),
            "--out-name".as_ref(),
            "fieldline_ui".as_ref(),
            "--out-dir".as_ref(),
            staging.as_os_str(),
            wasm.as_os_str(),
        ],
    )?;
    let dist = root.join("ui/dist");
    fs::create_dir_all(&dist).with_context(|| format!("cannot create {}", dist.display()))?;
    let generated = ["fieldline_ui.js", "fieldline_ui_bg.wasm"].map(|f| staging.join(f));
    let static_files = ["index.html", "boot.js", "styles.css"].map(|f| root.join("ui").join(f));
    for source in generated.iter().chain(&static_files) {
        let name = source.file_name().expect("a file name");
        copy_if_changed(source, &dist.join(name))?;
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
