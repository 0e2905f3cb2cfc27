//! Embeds the dashboard's wasm bundle (`dashboard/dist`, built by `cargo xtask ui`, which
//! `cargo xtask run` and `cargo xtask test` do before building the server). On a fresh clone
//! the bundle is not there yet: the server still builds, and its home page says how to build
//! the dashboard instead of showing one.

use std::path::{Path, PathBuf};
use std::{env, fs};

const FILES: [(&str, &str); 5] = [
    ("INDEX", "index.html"),
    ("CSS", "dashboard.css"),
    ("BOOT", "dashboard.js"),
    ("GLUE", "fieldline_dashboard.js"),
    ("WASM", "fieldline_dashboard_bg.wasm"),
];

const NOT_BUILT: &str = "<!doctype html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">\
<title>Fieldline dashboard</title></head><body>\n<h1>Fieldline dashboard</h1>\n\
<p id=\"not-built\">This server was built without the dashboard's bundle. Run \
<code>cargo xtask ui</code> (or <code>cargo xtask run</code>) to build it, then build the \
server again. The API under <code>/api/v1</code> works without it.</p>\n</body></html>\n";

fn main() {
    let manifest = PathBuf::from(env::var_os("CARGO_MANIFEST_DIR").expect("set by cargo"));
    let dashboard = manifest.join("../../dashboard");
    let dist = dashboard.join("dist");
    // The whole folder: the bundle appears (or changes) under it.
    println!("cargo:rerun-if-changed={}", dashboard.display());
    let out = PathBuf::from(env::var_os("OUT_DIR").expect("set by cargo"));
    let built = FILES.iter().all(|(_, f)| dist.join(f).is_file());
    let mut code = String::new();
    for (name, file) in FILES {
        let path = if built {
            dist.join(file)
        } else {
            let stand_in = out.join(file);
            let text = if file == "index.html" { NOT_BUILT } else { "" };
            fs::write(&stand_in, text).expect("OUT_DIR is writable");
            stand_in
        };
        code.push_str(&format!(
            "pub const {name}: &[u8] = include_bytes!({:?});\n",
            absolute(&path)
        ));
    }
    if !built {
        println!(
            "cargo:warning=the dashboard bundle is missing ({} has none); the server serves a \
             page saying to run `cargo xtask ui`",
            dist.display()
        );
    }
    fs::write(out.join("dashboard_bundle.rs"), code).expect("OUT_DIR is writable");
}

fn absolute(path: &Path) -> String {
    fs::canonicalize(path)
        .unwrap_or_else(|_| path.to_path_buf())
        .display()
        .to_string()
}
