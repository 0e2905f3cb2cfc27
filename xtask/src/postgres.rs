//! A throwaway PostgreSQL cluster for the server's storage tests: made fresh for one `cargo xtask
//! test` run, listening on a free loopback port, and stopped and removed when the run ends,
//! whether it passed or not.
//!
//! PostgreSQL refuses to run as root, and the tests may run as root: then the cluster belongs to
//! the `postgres` user of Debian's packages (`runuser -u postgres`), in a directory under /tmp that
//! the user owns. A run that was killed before it could clean up leaves its directory named after
//! its process id; the next run stops and removes it.

use std::{
    fs,
    net::TcpListener,
    path::{Path, PathBuf},
    process::Command,
};

use anyhow::{bail, Context as _};

use crate::process::{done, step};

/// The variable the storage tests read the server's URL from (plain TCP).
pub const URL_VAR: &str = "FIELDLINE_TEST_POSTGRES_URL";

/// The same server over TLS, its certificate verified against the run's own CA.
pub const TLS_URL_VAR: &str = "FIELDLINE_TEST_POSTGRES_TLS_URL";

/// Directories are `/tmp/fieldline-pg-<pid of the xtask that made it>`: /tmp itself, not
/// $TMPDIR, which may be a directory the `postgres` user cannot enter.
const PARENT: &str = "/tmp";
const DIR_PREFIX: &str = "fieldline-pg-";

/// The superuser the cluster is made with, and the database the tests start from.
const USER: &str = "fieldline";
const DATABASE: &str = "fieldline";

pub struct TestCluster {
    bin: PathBuf,
    dir: PathBuf,
    run_as: Option<&'static str>,
    url: String,
    tls_url: String,
}

impl TestCluster {
    /// Makes and starts a cluster (a couple of seconds), with an empty database `fieldline`.
    pub fn start() -> anyhow::Result<Self> {
        let started = step("PostgreSQL for the storage tests: a throwaway cluster");
        let bin = bin_dir()?;
        remove_stale(&bin);
        let run_as = crate::setup::is_root().then_some("postgres");
        let dir = Path::new(PARENT).join(format!("{DIR_PREFIX}{}", std::process::id()));
        if dir.exists() {
            fs::remove_dir_all(&dir).with_context(|| format!("cannot remove {}", dir.display()))?;
        }
        fs::create_dir_all(&dir).with_context(|| format!("cannot create {}", dir.display()))?;
        let mut cluster = Self {
            bin,
            dir,
            run_as,
            url: String::new(),
            tls_url: String::new(),
        };
        if let Some(user) = run_as {
            quiet(Command::new("chown").arg(user).arg(&cluster.dir))?;
        }
        let port = free_port()?;
        let data = cluster.data();
        // Trust on loopback only (listen_addresses below): a cluster for one test run, made and
        // removed by it. --no-sync and fsync=off: nothing here has to survive a power cut.
        quiet(
            cluster
                .command("initdb")
                .arg("--pgdata")
                .arg(&data)
                .args(["--username", USER, "--auth", "trust"])
                .args(["--encoding", "UTF8", "--no-locale", "--no-sync"]),
        )?;
        let tls = cluster.write_certificates()?;
        let options = format!(
            "-c listen_addresses=127.0.0.1 -c port={port} -c unix_socket_directories='{}' \
             -c fsync=off -c synchronous_commit=off -c full_page_writes=off \
             -c max_connections=200 \
             -c ssl=on -c ssl_cert_file='{}' -c ssl_key_file='{}'",
            cluster.dir.display(),
            tls.cert.display(),
            tls.key.display(),
        );
        quiet(
            cluster
                .command("pg_ctl")
                .arg("--pgdata")
                .arg(&data)
                .arg("--log")
                .arg(cluster.dir.join("server.log"))
                .args(["--wait", "--timeout", "60", "--options", &options, "start"]),
        )
        .with_context(|| cluster.log_tail())?;
        quiet(cluster.command("createdb").args([
            "--host",
            "127.0.0.1",
            "--port",
            &port.to_string(),
            "--username",
            USER,
            DATABASE,
        ]))?;
        cluster.url = format!("postgres://{USER}@127.0.0.1:{port}/{DATABASE}?sslmode=disable");
        cluster.tls_url = format!(
            "postgres://{USER}@127.0.0.1:{port}/{DATABASE}?sslmode=verify-full&sslrootcert={}",
            tls.ca.display()
        );
        done(started);
        println!("    {URL_VAR}={}", cluster.url);
        println!("    {TLS_URL_VAR}={}", cluster.tls_url);
        Ok(cluster)
    }

    pub fn url(&self) -> &str {
        &self.url
    }

    pub fn tls_url(&self) -> &str {
        &self.tls_url
    }

    /// A CA made for this run and the server's certificate signed by it, for 127.0.0.1 and
    /// localhost; the key readable by the cluster's owner only, as PostgreSQL insists.
    fn write_certificates(&self) -> anyhow::Result<TlsFiles> {
        use rcgen::{BasicConstraints, CertificateParams, DnType, IsCa, KeyPair};
        let mut ca_params = CertificateParams::new(Vec::<String>::new())?;
        ca_params.is_ca = IsCa::Ca(BasicConstraints::Unconstrained);
        ca_params
            .distinguished_name
            .push(DnType::CommonName, "Fieldline test CA");
        let ca_key = KeyPair::generate()?;
        let ca = ca_params.self_signed(&ca_key)?;
        let server_key = KeyPair::generate()?;
        let server = CertificateParams::new(vec!["127.0.0.1".to_owned(), "localhost".to_owned()])?
            .signed_by(&server_key, &ca, &ca_key)?;
        let files = TlsFiles {
            ca: self.dir.join("ca.crt"),
            cert: self.dir.join("server.crt"),
            key: self.dir.join("server.key"),
        };
        fs::write(&files.ca, ca.pem())?;
        fs::write(&files.cert, server.pem())?;
        {
            use std::io::Write as _;
            use std::os::unix::fs::OpenOptionsExt as _;
            // Private from its first byte.
            fs::OpenOptions::new()
                .write(true)
                .create_new(true)
                .mode(0o600)
                .open(&files.key)?
                .write_all(server_key.serialize_pem().as_bytes())?;
        }
        if let Some(user) = self.run_as {
            quiet(
                Command::new("chown")
                    .arg(user)
                    .arg(&files.cert)
                    .arg(&files.key),
            )?;
        }
        Ok(files)
    }

    fn data(&self) -> PathBuf {
        self.dir.join("data")
    }

    /// One of PostgreSQL's programs, run as the cluster's owner.
    fn command(&self, program: &str) -> Command {
        program_command(&self.bin, program, self.run_as, &self.dir)
    }

    fn log_tail(&self) -> String {
        let log = fs::read_to_string(self.dir.join("server.log")).unwrap_or_default();
        let lines: Vec<&str> = log.lines().collect();
        format!(
            "PostgreSQL's log ends with:\n{}",
            lines[lines.len().saturating_sub(20)..].join("\n")
        )
    }
}

struct TlsFiles {
    ca: PathBuf,
    cert: PathBuf,
    key: PathBuf,
}

impl Drop for TestCluster {
    fn drop(&mut self) {
        let started = step("PostgreSQL for the storage tests: stopping and removing the cluster");
        stop(&self.bin, &self.data(), self.run_as, &self.dir);
        if let Err(e) = fs::remove_dir_all(&self.dir) {
            eprintln!("    cannot remove {}: {e}", self.dir.display());
        }
        done(started);
    }
}

/// `cargo xtask with-postgres COMMAND...`: the PostgreSQL package when missing, a throwaway
/// cluster, and COMMAND run with [`URL_VAR`] set to it.
pub fn with_postgres(command: &[String]) -> anyhow::Result<()> {
    crate::setup::ensure_apt_packages(&["postgresql"])?;
    let cluster = TestCluster::start()?;
    let (program, args) = command.split_first().context("name a command to run")?;
    crate::process::run_command(
        Command::new(program)
            .args(args)
            .env(URL_VAR, cluster.url())
            .env(TLS_URL_VAR, cluster.tls_url()),
    )
}

/// Debian keeps each major version's programs in /usr/lib/postgresql/<version>/bin: the newest
/// one with initdb, else whatever initdb is on PATH.
fn bin_dir() -> anyhow::Result<PathBuf> {
    let mut versions: Vec<(u32, PathBuf)> = fs::read_dir("/usr/lib/postgresql")
        .into_iter()
        .flatten()
        .flatten()
        .filter_map(|entry| {
            let version = entry.file_name().to_str()?.parse().ok()?;
            let bin = entry.path().join("bin");
            bin.join("initdb").is_file().then_some((version, bin))
        })
        .collect();
    versions.sort();
    if let Some((_, bin)) = versions.pop() {
        return Ok(bin);
    }
    if let Some(dir) = std::env::var_os("PATH")
        .and_then(|paths| std::env::split_paths(&paths).find(|dir| dir.join("initdb").is_file()))
    {
        return Ok(dir);
    }
    bail!(
        "PostgreSQL's initdb is not in /usr/lib/postgresql/*/bin nor on PATH: install the Debian \
         package `postgresql`"
    )
}

fn program_command(bin: &Path, program: &str, run_as: Option<&str>, cwd: &Path) -> Command {
    let mut command = match run_as {
        Some(user) => {
            let mut c = Command::new("runuser");
            c.args(["-u", user, "--"]).arg(bin.join(program));
            c
        }
        None => Command::new(bin.join(program)),
    };
    // The owner may not be allowed into the caller's directory.
    command.current_dir(cwd);
    command
}

/// Runs a command with its output kept, shown only when it fails.
fn quiet(command: &mut Command) -> anyhow::Result<()> {
    let shown = format!("{command:?}");
    let output = command
        .output()
        .with_context(|| format!("cannot start {shown}"))?;
    if !output.status.success() {
        bail!(
            "{shown} failed ({}):\n{}{}",
            output.status,
            String::from_utf8_lossy(&output.stdout),
            String::from_utf8_lossy(&output.stderr)
        );
    }
    Ok(())
}

fn stop(bin: &Path, data: &Path, run_as: Option<&str>, cwd: &Path) {
    if !data.join("postmaster.pid").exists() {
        return;
    }
    // Immediate: nothing in a throwaway cluster needs a clean shutdown.
    let stopped = quiet(
        program_command(bin, "pg_ctl", run_as, cwd)
            .arg("--pgdata")
            .arg(data)
            .args(["--mode", "immediate", "--wait", "stop"]),
    );
    if let Err(e) = stopped {
        eprintln!("    {e:#}");
    }
}

/// Stops and removes clusters left by runs that were killed before they could.
fn remove_stale(bin: &Path) {
    let Ok(entries) = fs::read_dir(PARENT) else {
        return;
    };
    for entry in entries.flatten() {
        let name = entry.file_name();
        let Some(pid) = name
            .to_str()
            .and_then(|name| name.strip_prefix(DIR_PREFIX))
            .and_then(|pid| pid.parse::<u32>().ok())
        else {
            continue;
        };
        if Path::new(&format!("/proc/{pid}")).exists() {
            continue;
        }
        let dir = entry.path();
        println!("    removing {} left by an earlier run", dir.display());
        let run_as = crate::setup::is_root().then_some("postgres");
        stop(bin, &dir.join("data"), run_as, Path::new(PARENT));
        let _ = fs::remove_dir_all(&dir);
    }
}

/// A port nothing listens on now (the kernel's pick; PostgreSQL binds it a moment later).
fn free_port() -> anyhow::Result<u16> {
    let listener =
        TcpListener::bind("127.0.0.1:0").context("cannot find a free port on 127.0.0.1")?;
    Ok(listener.local_addr()?.port())
}
