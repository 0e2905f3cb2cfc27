//! Python for the tests that read exported Stata and SPSS files back with pyreadstat, the
//! reference reader (the writers are our own code, so a second implementation must judge them).

use std::path::PathBuf;
use std::process::Command;

use crate::process::{done, run_command, step};
use crate::setup::ensure_apt_packages;

/// The variable the export tests read the interpreter from.
pub const PYTHON_VAR: &str = "FIELDLINE_PYTHON";

/// pyreadstat's version installed into the project's own environment.
const PYREADSTAT: &str = "pyreadstat==1.3.7";

fn has_pyreadstat(python: &str) -> bool {
    Command::new(python)
        .args(["-c", "import pyreadstat"])
        .output()
        .is_ok_and(|out| out.status.success())
}

/// A Python interpreter that can `import pyreadstat`: the one on PATH when it can, else a
/// virtual environment under `target/python` made and filled here (Debian's own Python refuses
/// `pip install` outside one).
pub fn ensure_pyreadstat() -> anyhow::Result<PathBuf> {
    if has_pyreadstat("python3") {
        println!("==> Python with pyreadstat: present (python3)");
        return Ok(PathBuf::from("python3"));
    }
    let venv = crate::target_dir().join("python");
    let python = venv.join("bin").join("python3");
    if has_pyreadstat(&python.display().to_string()) {
        println!("==> Python with pyreadstat: present ({})", python.display());
        return Ok(python);
    }
    ensure_apt_packages(&["python3", "python3-venv", "python3-pip"])?;
    let at = step(&format!("Python with pyreadstat: {}", venv.display()));
    run_command(Command::new("python3").args(["-m", "venv"]).arg(&venv))?;
    run_command(Command::new(&python).args(["-m", "pip", "install", "--quiet", PYREADSTAT]))?;
    done(at);
    Ok(python)
}
