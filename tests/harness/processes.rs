//! Child processes that die with the test: each wrapper kills and reaps its process on drop.

use std::{
    io::{BufRead, BufReader},
    net::{SocketAddr, TcpListener, TcpStream},
    path::{Path, PathBuf},
    process::{Child, Command, Stdio},
    time::{Duration, Instant},
};

use anyhow::{bail, Context as _};

use crate::TIMEOUT;

/// A started process, killed and reaped when dropped.
struct Guard {
    name: &'static str,
    child: Child,
}

impl Guard {
    fn spawn(name: &'static str, command: &mut Command) -> anyhow::Result<Self> {
        let child = command
            .spawn()
            .with_context(|| format!("cannot start {name} ({command:?}); is it installed?"))?;
        Ok(Self { name, child })
    }

    /// Fails if the process already exited, with its status: a crashed helper explains a timeout.
    fn check_alive(&mut self) -> anyhow::Result<()> {
        if let Some(status) = self.child.try_wait()? {
            bail!("{} exited early ({status})", self.name);
        }
        Ok(())
    }
}

impl Drop for Guard {
    fn drop(&mut self) {
        // SIGTERM first so servers close cleanly; SIGKILL if that is not enough.
        let _ = Command::new("kill")
            .arg(self.child.id().to_string())
            .status();
        let deadline = Instant::now() + Duration::from_secs(5);
        while Instant::now() < deadline {
            if let Ok(Some(_)) = self.child.try_wait() {
                return;
            }
            std::thread::sleep(Duration::from_millis(50));
        }
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// A loopback port free at the time of asking.
fn free_port() -> anyhow::Result<u16> {
    Ok(TcpListener::bind("127.0.0.1:0")?.local_addr()?.port())
}

/// Waits until something accepts connections on `port`, failing early if `guard`'s process dies.
fn wait_for_port(guard: &mut Guard, port: u16) -> anyhow::Result<()> {
    let addr = SocketAddr::from(([127, 0, 0, 1], port));
    let deadline = Instant::now() + TIMEOUT;
    while Instant::now() < deadline {
        guard.check_alive()?;
        if TcpStream::connect_timeout(&addr, Duration::from_millis(200)).is_ok() {
            return Ok(());
        }
        std::thread::sleep(Duration::from_millis(50));
    }
    bail!(
        "{} did not listen on port {port} within {TIMEOUT:?}",
        guard.name
    )
}

/// An Xvfb display for the app's window.
pub struct VirtualDisplay {
    display: String,
    _xvfb: Guard,
}

impl VirtualDisplay {
    pub fn start() -> anyhow::Result<Self> {
        // Xvfb picks a free display number itself and writes it to the given descriptor; stdout
        // (descriptor 1) is a pipe we read it from.
        let mut xvfb = Guard::spawn(
            "Xvfb",
            Command::new("Xvfb")
                .args([
                    "-displayfd",
                    "1",
                    "-screen",
                    "0",
                    "1280x800x24",
                    "-nolisten",
                    "tcp",
                ])
                .stdout(Stdio::piped())
                .stderr(Stdio::null()),
        )?;
        let stdout = xvfb.child.stdout.take().expect("stdout is piped");
        let mut line = String::new();
        BufReader::new(stdout).read_line(&mut line)?;
        let number: u32 = line
            .trim()
            .parse()
            .with_context(|| format!("Xvfb did not report its display number (said {line:?})"))?;
        xvfb.check_alive()?;
        Ok(Self {
            display: format!(":{number}"),
            _xvfb: xvfb,
        })
    }

    pub fn display(&self) -> &str {
        &self.display
    }
}

/// tauri-driver, which starts WebKitWebDriver, which starts the app.
pub struct TauriDriver {
    port: u16,
    _driver: Guard,
}

impl TauriDriver {
    pub fn start(display: &VirtualDisplay) -> anyhow::Result<Self> {
        let port = free_port()?;
        let native_port = free_port()?;
        // WebKitWebDriver and every app it launches write where tauri-driver does: keep it, so
        // a start that hangs or an app that crashes can be read about after the test.
        let log_path = crate::log_dir()?.join(format!("tauri-driver-{port}.log"));
        let log = std::fs::File::create(&log_path)
            .with_context(|| format!("cannot create {}", log_path.display()))?;
        let mut driver = Guard::spawn(
            "tauri-driver",
            Command::new("tauri-driver")
                .args(["--port", &port.to_string()])
                .args(["--native-port", &native_port.to_string()])
                .env("DISPLAY", display.display())
                .stdout(log.try_clone()?)
                .stderr(log),
        )?;
        wait_for_port(&mut driver, port)?;
        // tauri-driver listens before the WebKitWebDriver it launched does; a session requested in
        // between fails at once. Wait for both.
        wait_for_port(&mut driver, native_port)?;
        Ok(Self {
            port,
            _driver: driver,
        })
    }

    pub fn url(&self) -> String {
        format!("http://127.0.0.1:{}", self.port)
    }
}

/// chromedriver for the dashboard tests.
pub struct ChromeDriver {
    port: u16,
    _driver: Guard,
}

impl ChromeDriver {
    pub fn start() -> anyhow::Result<Self> {
        let port = free_port()?;
        let mut driver = Guard::spawn(
            "chromedriver",
            Command::new("chromedriver")
                .arg(format!("--port={port}"))
                .stdout(Stdio::null())
                .stderr(Stdio::null()),
        )?;
        wait_for_port(&mut driver, port)?;
        Ok(Self {
            port,
            _driver: driver,
        })
    }

    pub fn url(&self) -> String {
        format!("http://127.0.0.1:{}", self.port)
    }
}

/// `fieldline serve` on a random loopback port with its own data directory.
pub struct FieldlineServer {
    url: String,
    _server: Guard,
}

impl FieldlineServer {
    pub fn start(binary: &Path, data_dir: &Path) -> anyhow::Result<Self> {
        let mut server = Guard::spawn(
            "fieldline serve",
            Command::new(binary)
                .args(["serve", "--listen", "127.0.0.1:0", "--data-dir"])
                .arg(data_dir)
                .stdout(Stdio::piped()),
        )?;
        let stdout = server.child.stdout.take().expect("stdout is piped");
        let mut line = String::new();
        BufReader::new(stdout).read_line(&mut line)?;
        server.check_alive()?;
        let url = line
            .trim()
            .strip_prefix("Fieldline server listening on ")
            .with_context(|| format!("unexpected first line from the server: {line:?}"))?
            .to_owned();
        Ok(Self {
            url,
            _server: server,
        })
    }

    pub fn url(&self) -> &str {
        &self.url
    }

    pub fn database_path(data_dir: &Path) -> PathBuf {
        data_dir.join("server.sqlite3")
    }
}
