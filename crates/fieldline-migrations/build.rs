//! Compiles every SQL file under `migrations/<database>/` into the crate, so adding a migration is
//! adding a file: nothing else to register, nothing to forget.

use std::{env, fmt::Write as _, fs, path::Path};

const DATABASES: &[(&str, &str)] = &[
    ("device", "DEVICE"),
    ("server-sqlite", "SERVER_SQLITE"),
    ("server-postgres", "SERVER_POSTGRES"),
];

fn main() {
    // Read at run time, not compiled in: a build script built for one checkout can be reused by
    // another sharing its target directory.
    let manifest_dir = env::var("CARGO_MANIFEST_DIR").expect("cargo sets CARGO_MANIFEST_DIR");
    let root = Path::new(&manifest_dir).join("../../migrations");
    let mut out = String::new();
    for (folder, constant) in DATABASES {
        let dir = root.join(folder);
        println!("cargo:rerun-if-changed={}", dir.display());
        let mut files: Vec<_> = fs::read_dir(&dir)
            .unwrap_or_else(|e| panic!("cannot read {}: {e}", dir.display()))
            .map(|entry| entry.expect("readable directory entry").path())
            .filter(|path| path.extension().is_some_and(|ext| ext == "sql"))
            .collect();
        files.sort();
        writeln!(out, "pub const {constant}: &[Migration] = &[").unwrap();
        for (index, path) in files.iter().enumerate() {
            println!("cargo:rerun-if-changed={}", path.display());
            let name = path.file_stem().unwrap().to_str().expect("UTF-8 file name");
            let version: u32 = name
                .split('_')
                .next()
                .and_then(|n| n.parse().ok())
                .unwrap_or_else(|| {
                    panic!(
                        "{}: name must start with a number, e.g. 0002_add_x.sql",
                        path.display()
                    )
                });
            assert_eq!(
                version as usize,
                index + 1,
                "{}: migrations must be numbered 1, 2, 3... without gaps",
                path.display()
            );
            let absolute = fs::canonicalize(path).unwrap();
            writeln!(
                out,
                "    Migration {{ version: {version}, name: {name:?}, sql: include_str!({:?}) }},",
                absolute.display().to_string()
            )
            .unwrap();
        }
        writeln!(out, "];").unwrap();
    }
    let dest = Path::new(&env::var("OUT_DIR").unwrap()).join("migrations.rs");
    fs::write(dest, out).unwrap();
}
