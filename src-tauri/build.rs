fn main() {
    // `tauri::generate_context!` embeds the UI bundle at compile time; say how to make it instead of
    // failing inside the macro.
    let dist = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../ui/dist/index.html");
    println!("cargo:rerun-if-changed={}", dist.display());
    if !dist.exists() {
        panic!(
            "the UI bundle {} is missing: build it first with `cargo xtask ui` \
             (or run `cargo xtask run` / `cargo xtask test`, which do it for you)",
            dist.display()
        );
    }
    tauri_build::build()
}
