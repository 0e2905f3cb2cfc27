//! `fieldline keys new --out DIR`: the key pair of an end-to-end encrypted campaign, made on the
//! manager's own machine. The public key goes to the server (`fieldline admin campaign create
//! --encrypt-to`); the identity file never does: `export`, `analyze` and the dashboard's page
//! open the submissions with it.

use std::path::{Path, PathBuf};
use std::process::ExitCode;

use anyhow::{bail, Context as _, Result};
use clap::{Args, Subcommand};
use fieldline_seal::{Identity, Recipients};

/// The identity file's name in `--out DIR`.
pub const IDENTITY_FILE: &str = "fieldline-identity.txt";
/// The public key's file name in `--out DIR`.
pub const RECIPIENT_FILE: &str = "fieldline-recipient.txt";

#[derive(Args)]
pub struct KeysArgs {
    #[command(subcommand)]
    command: KeysCommand,
}

#[derive(Subcommand)]
enum KeysCommand {
    /// Make a key pair: DIR/fieldline-identity.txt (private: readable by you only) and
    /// DIR/fieldline-recipient.txt (the public key to give the campaign).
    New {
        /// Where to write the two files (created if missing; existing key files are never
        /// overwritten).
        #[arg(long, value_name = "DIR")]
        out: PathBuf,
    },
}

pub fn run(args: KeysArgs) -> Result<ExitCode> {
    match args.command {
        KeysCommand::New { out } => {
            let (identity, recipient) = new_pair(&out)?;
            println!("{recipient}");
            eprintln!(
                "Wrote {} (private: keep it off the server, back it up; without it nobody can \
                 read the campaign's answers) and {} (give this one to the campaign: fieldline \
                 admin campaign create ... --encrypt-to {}).",
                identity.display(),
                out.join(RECIPIENT_FILE).display(),
                out.join(RECIPIENT_FILE).display()
            );
            Ok(ExitCode::SUCCESS)
        }
    }
}

/// Writes a new key pair into `dir`; returns the identity file's path and the public key.
fn new_pair(dir: &Path) -> Result<(PathBuf, String)> {
    std::fs::create_dir_all(dir).with_context(|| format!("cannot create {}", dir.display()))?;
    let identity_path = dir.join(IDENTITY_FILE);
    let recipient_path = dir.join(RECIPIENT_FILE);
    for path in [&identity_path, &recipient_path] {
        if path.exists() {
            bail!(
                "{} already exists: a key pair is never overwritten (the campaign's answers \
                 would become unreadable); choose another --out directory",
                path.display()
            );
        }
    }
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.as_millis() as i64);
    let created = fieldline_device_store::payload::utc_timestamp(now);
    let pair = fieldline_seal::new_key_pair(&created);
    write_private(&identity_path, pair.identity_file.as_bytes())?;
    std::fs::write(&recipient_path, format!("{}\n", pair.recipient))
        .with_context(|| format!("cannot write {}", recipient_path.display()))?;
    Ok((identity_path, pair.recipient))
}

/// Creates `path` readable and writable by its owner only, before any byte is in it.
fn write_private(path: &Path, bytes: &[u8]) -> Result<()> {
    use std::io::Write as _;
    let mut options = std::fs::OpenOptions::new();
    options.write(true).create_new(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt as _;
        options.mode(0o600);
    }
    let mut file = options
        .open(path)
        .with_context(|| format!("cannot create {}", path.display()))?;
    file.write_all(bytes)
        .and_then(|()| file.sync_all())
        .with_context(|| format!("cannot write {}", path.display()))
}

/// The public keys in these files, in order, each checked (`--encrypt-to`).
pub fn recipients_from_files(files: &[PathBuf]) -> Result<Vec<String>> {
    let mut keys: Vec<String> = Vec::new();
    for file in files {
        let text = std::fs::read_to_string(file)
            .with_context(|| format!("cannot read {}", file.display()))?;
        if text.contains("AGE-SECRET-KEY-") {
            bail!(
                "{} holds a private key: give the public key file (fieldline-recipient.txt); \
                 the private one must never reach the server",
                file.display()
            );
        }
        let recipients = Recipients::parse(&text).with_context(|| format!("{}", file.display()))?;
        for key in recipients.keys() {
            if !keys.contains(&key) {
                keys.push(key);
            }
        }
    }
    Ok(keys)
}

/// Reads the identity file given with `--identity`.
pub fn identity_from_file(file: &Path) -> Result<Identity> {
    let text =
        std::fs::read_to_string(file).with_context(|| format!("cannot read {}", file.display()))?;
    Identity::parse(&text).with_context(|| format!("{}", file.display()))
}
