//! End-to-end encryption of submissions. A campaign that is end-to-end encrypted has recipients:
//! X25519 public keys (age's `age1...`) whose private halves stay with the campaign's manager
//! (and, say, an escrow holder). The device seals each finalized submission to them: the payload
//! and its files, compressed first (ciphertext does not compress), then encrypted with age
//! (age-encryption.org/v1: a random file key wrapped for every recipient, the body sealed with
//! ChaCha20-Poly1305 in authenticated chunks). The server stores what it cannot read; only a
//! holder of a private key ([`Identity`]) can [`open`] it, in the CLI or in the dashboard's page.
//!
//! A sealed submission names itself inside the encryption (instance id, form id and version),
//! and [`open`] checks that against where it was found: a ciphertext moved from one envelope to
//! another (swapped by a server, say) is refused rather than read as someone else's answers. age
//! authenticates every byte, so the names cannot be altered without the open failing.
//!
//! Pure: no I/O, builds for native and for wasm32 (the dashboard opens in the browser).

use std::io::{Read, Write};

use age::secrecy::ExposeSecret;
use flate2::read::DeflateDecoder;
use flate2::write::DeflateEncoder;
use flate2::Compression;
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

/// The most a sealed submission may hold once opened: a bound on what a hostile ciphertext
/// can make the opener allocate (a compression bomb), far above any interview with its photos.
pub const MAX_OPENED_BYTES: u64 = 512 * 1024 * 1024;

/// The inner format written by this version.
const FORMAT: u32 = 1;

#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum SealError {
    #[error("line {line} of the recipients is not an age public key (age1...): {reason}")]
    BadRecipient { line: usize, reason: String },
    #[error("there are no recipients: give at least one age public key (age1...)")]
    NoRecipients,
    #[error(
        "this is not an age identity (a line AGE-SECRET-KEY-1...): {0}; use the identity file \
         `fieldline keys new` wrote"
    )]
    BadIdentity(String),
    #[error(
        "this key cannot open the submission: it was sealed to other keys; use an identity \
         whose public key is among the campaign's recipients"
    )]
    NotForThisKey,
    #[error("the sealed submission is damaged: {0}")]
    Damaged(String),
    #[error("the sealed submission says it is {found}, but it arrived as {expected}: refused")]
    Mismatch { expected: String, found: String },
    #[error("the sealed submission opens to more than {MAX_OPENED_BYTES} bytes: refused")]
    TooLarge,
    #[error("sealing failed: {0}")]
    Sealing(String),
}

/// The public keys a campaign's submissions are sealed to.
#[derive(Clone)]
pub struct Recipients {
    keys: Vec<age::x25519::Recipient>,
}

impl std::fmt::Debug for Recipients {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_list().entries(self.keys()).finish()
    }
}

impl Recipients {
    /// Reads recipients as age writes them: one `age1...` key per line; blank lines and `#`
    /// comments are skipped. At least one key.
    pub fn parse(text: &str) -> Result<Self, SealError> {
        let mut keys = Vec::new();
        for (index, line) in text.lines().enumerate() {
            let line = line.trim();
            if line.is_empty() || line.starts_with('#') {
                continue;
            }
            let key = line.parse::<age::x25519::Recipient>().map_err(|reason| {
                SealError::BadRecipient {
                    line: index + 1,
                    reason: reason.to_string(),
                }
            })?;
            keys.push(key);
        }
        if keys.is_empty() {
            return Err(SealError::NoRecipients);
        }
        Ok(Self { keys })
    }

    /// The keys as text (`age1...`), one per recipient, in the order given.
    pub fn keys(&self) -> Vec<String> {
        self.keys.iter().map(ToString::to_string).collect()
    }
}

/// A private key that opens what was sealed to its public half.
pub struct Identity(age::x25519::Identity);

impl Identity {
    /// Reads an identity file: `#` comments, then one `AGE-SECRET-KEY-1...` line.
    pub fn parse(text: &str) -> Result<Self, SealError> {
        let line = text
            .lines()
            .map(str::trim)
            .find(|l| !l.is_empty() && !l.starts_with('#'))
            .ok_or_else(|| SealError::BadIdentity("the file has no key line".into()))?;
        line.parse::<age::x25519::Identity>()
            .map(Identity)
            .map_err(|reason| SealError::BadIdentity(reason.to_string()))
    }

    /// The public key (`age1...`) that seals to this identity.
    pub fn recipient(&self) -> String {
        self.0.to_public().to_string()
    }
}

/// A new key pair: the identity file's text (keep it secret, off the server) and the recipient
/// to give the campaign.
pub struct KeyPair {
    pub identity_file: String,
    pub recipient: String,
}

/// Generates a key pair; `created` is written as a comment in the identity file.
pub fn new_key_pair(created: &str) -> KeyPair {
    let identity = age::x25519::Identity::generate();
    let recipient = identity.to_public().to_string();
    let identity_file = format!(
        "# Fieldline campaign identity, created {created}\n\
         # public key: {recipient}\n\
         # Keep this file off the server and out of email; whoever holds it reads every answer.\n\
         {}\n",
        identity.to_string().expose_secret()
    );
    KeyPair {
        identity_file,
        recipient,
    }
}

/// What a sealed submission says it is: checked when it is opened.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Binding {
    pub instance_id: String,
    pub form_id: String,
    pub form_version: String,
}

impl std::fmt::Display for Binding {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "{} of form {} version {}",
            self.instance_id, self.form_id, self.form_version
        )
    }
}

/// A file that travels inside a sealed submission (a photo, a recording, the audit log).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SealedFile {
    pub name: String,
    pub media_type: String,
    pub bytes: Vec<u8>,
}

/// What a sealed submission holds: the payload (the device store's canonical JSON) and its files.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Contents {
    pub payload: Vec<u8>,
    pub files: Vec<SealedFile>,
}

/// The first line inside the compression: who this is and where the bytes after it split.
#[derive(Serialize, Deserialize)]
struct Header {
    format: u32,
    #[serde(flatten)]
    binding: Binding,
    payload: u64,
    files: Vec<FileHeader>,
}

#[derive(Serialize, Deserialize)]
struct FileHeader {
    name: String,
    media_type: String,
    size: u64,
}

/// Seals `contents` as `binding` to every recipient.
pub fn seal(
    recipients: &Recipients,
    binding: &Binding,
    contents: &Contents,
) -> Result<Vec<u8>, SealError> {
    let header = Header {
        format: FORMAT,
        binding: binding.clone(),
        payload: contents.payload.len() as u64,
        files: contents
            .files
            .iter()
            .map(|f| FileHeader {
                name: f.name.clone(),
                media_type: f.media_type.clone(),
                size: f.bytes.len() as u64,
            })
            .collect(),
    };
    let sealing = |e: std::io::Error| SealError::Sealing(e.to_string());
    let mut compressor = DeflateEncoder::new(Vec::new(), Compression::default());
    serde_json::to_writer(&mut compressor, &header)
        .map_err(|e| SealError::Sealing(e.to_string()))?;
    compressor.write_all(b"\n").map_err(sealing)?;
    compressor.write_all(&contents.payload).map_err(sealing)?;
    for file in &contents.files {
        compressor.write_all(&file.bytes).map_err(sealing)?;
    }
    let compressed = compressor.finish().map_err(sealing)?;

    let encryptor =
        age::Encryptor::with_recipients(recipients.keys.iter().map(|k| k as &dyn age::Recipient))
            .map_err(|e| SealError::Sealing(e.to_string()))?;
    let mut sealed = Vec::with_capacity(compressed.len() + 256);
    let mut writer = encryptor.wrap_output(&mut sealed).map_err(sealing)?;
    writer.write_all(&compressed).map_err(sealing)?;
    writer.finish().map_err(sealing)?;
    Ok(sealed)
}

/// Opens a sealed submission found as `expected`; refuses one that names itself otherwise.
pub fn open(identity: &Identity, expected: &Binding, sealed: &[u8]) -> Result<Contents, SealError> {
    let decryptor = age::Decryptor::new(sealed).map_err(|e| SealError::Damaged(e.to_string()))?;
    let reader = decryptor
        .decrypt(std::iter::once(&identity.0 as &dyn age::Identity))
        .map_err(|e| match e {
            age::DecryptError::NoMatchingKeys => SealError::NotForThisKey,
            other => SealError::Damaged(other.to_string()),
        })?;
    let mut opened = Vec::new();
    DeflateDecoder::new(reader)
        .take(MAX_OPENED_BYTES + 1)
        .read_to_end(&mut opened)
        .map_err(|e| SealError::Damaged(e.to_string()))?;
    if opened.len() as u64 > MAX_OPENED_BYTES {
        return Err(SealError::TooLarge);
    }
    let newline = opened
        .iter()
        .position(|&b| b == b'\n')
        .ok_or_else(|| SealError::Damaged("no header line".into()))?;
    let header: Header = serde_json::from_slice(&opened[..newline])
        .map_err(|e| SealError::Damaged(format!("unreadable header: {e}")))?;
    if header.format != FORMAT {
        return Err(SealError::Damaged(format!(
            "inner format {} is not known to this version; upgrade Fieldline",
            header.format
        )));
    }
    if &header.binding != expected {
        return Err(SealError::Mismatch {
            expected: expected.to_string(),
            found: header.binding.to_string(),
        });
    }
    let mut rest = &opened[newline + 1..];
    let mut take = |size: u64, what: &str| -> Result<Vec<u8>, SealError> {
        let size = usize::try_from(size).map_err(|_| SealError::TooLarge)?;
        if size > rest.len() {
            return Err(SealError::Damaged(format!("{what} is cut short")));
        }
        let (head, tail) = rest.split_at(size);
        rest = tail;
        Ok(head.to_vec())
    };
    let payload = take(header.payload, "the payload")?;
    let mut files = Vec::with_capacity(header.files.len());
    for file in header.files {
        let bytes = take(file.size, &format!("the file {}", file.name))?;
        files.push(SealedFile {
            name: file.name,
            media_type: file.media_type,
            bytes,
        });
    }
    if !rest.is_empty() {
        return Err(SealError::Damaged(format!(
            "{} bytes follow the last file",
            rest.len()
        )));
    }
    Ok(Contents { payload, files })
}

/// Lowercase hex SHA-256, as envelopes name their bytes.
pub fn sha256_hex(bytes: &[u8]) -> String {
    Sha256::digest(bytes)
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect()
}

#[cfg(test)]
mod tests;
