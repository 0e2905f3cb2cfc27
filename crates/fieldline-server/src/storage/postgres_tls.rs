//! TLS to PostgreSQL: a database on another machine must not see interviews cross the network
//! in the clear, nor be impersonated.
//!
//! The URL speaks libpq's words, with safer defaults: `sslmode=disable` sends in the clear;
//! `require`, `verify-ca` and `verify-full` insist on TLS, and so does a URL without `sslmode`
//! naming a host other than this machine. `prefer` (use TLS when the server offers it) is only
//! accepted for this machine (`localhost`, `127.0.0.1`, `::1`, a Unix socket), the default there:
//! anyone on the path to another host could answer "no TLS here" and read everything.
//!
//! Unlike libpq, whenever TLS is used Fieldline verifies the server's certificate and name, in
//! every mode: against the PEM file `sslrootcert=PATH` names when there is one (a deployment's
//! own CA, or a self-signed server certificate; then it alone is trusted, as in libpq), else the
//! public certificate authorities. A connection that would be encrypted but not authenticated
//! protects nothing from the one who can read it, so it is refused with a message that says how
//! to fix it.

use std::path::{Path, PathBuf};
use std::sync::Arc;

use rustls::pki_types::{pem::PemObject, CertificateDer};
use tokio_postgres_rustls::MakeRustlsConnect;

use super::StorageError;

/// A PostgreSQL URL split into what the driver reads and the CA file it does not know about.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PostgresUrl {
    /// The URL for tokio-postgres: `sslrootcert` removed, `verify-ca`/`verify-full` as
    /// `require` (verification is always on here).
    pub driver_url: String,
    /// The certificates this server's must chain to (instead of the public authorities).
    pub root_cert: Option<PathBuf>,
    /// `sslmode` as the URL gave it, if it did.
    pub ssl_mode: Option<String>,
}

impl PostgresUrl {
    pub fn parse(url: &str) -> Self {
        let Some((base, query)) = url.split_once('?') else {
            return Self {
                driver_url: url.to_owned(),
                root_cert: None,
                ssl_mode: None,
            };
        };
        let mut root_cert = None;
        let mut ssl_mode = None;
        let mut kept = Vec::new();
        for pair in query.split('&').filter(|pair| !pair.is_empty()) {
            let (key, value) = pair.split_once('=').unwrap_or((pair, ""));
            match key {
                "sslrootcert" => root_cert = Some(PathBuf::from(percent_decoded(value))),
                "sslmode" => {
                    ssl_mode = Some(value.to_owned());
                    if matches!(value, "verify-ca" | "verify-full") {
                        kept.push("sslmode=require".to_owned());
                    } else {
                        kept.push(pair.to_owned());
                    }
                }
                _ => kept.push(pair.to_owned()),
            }
        }
        let driver_url = if kept.is_empty() {
            base.to_owned()
        } else {
            format!("{base}?{}", kept.join("&"))
        };
        Self {
            driver_url,
            root_cert,
            ssl_mode,
        }
    }

    /// Sets the driver's TLS mode by the rules above; refuses `prefer` for another machine.
    pub fn apply_ssl_policy(
        &self,
        config: &mut tokio_postgres::Config,
    ) -> Result<(), StorageError> {
        let local = config.get_hosts().iter().all(|host| match host {
            tokio_postgres::config::Host::Tcp(name) => is_this_machine(name),
            tokio_postgres::config::Host::Unix(_) => true,
        });
        match self.ssl_mode.as_deref() {
            None if !local => {
                config.ssl_mode(tokio_postgres::config::SslMode::Require);
            }
            Some("prefer") if !local => {
                return Err(StorageError::Backend(
                    "sslmode=prefer would let anyone on the way to the database answer that it \
                     has no TLS and then read everything: use sslmode=require (the default for \
                     another machine; add sslrootcert=/path/to/ca.pem for your own CA), or \
                     sslmode=disable on a network you trust"
                        .into(),
                ));
            }
            _ => {}
        }
        Ok(())
    }
}

/// `localhost` or a loopback address.
fn is_this_machine(host: &str) -> bool {
    host.eq_ignore_ascii_case("localhost")
        || host
            .trim_start_matches('[')
            .trim_end_matches(']')
            .parse::<std::net::IpAddr>()
            .is_ok_and(|ip| ip.is_loopback())
}

/// `%2F` and friends in a path given in a URL.
fn percent_decoded(value: &str) -> String {
    let bytes = value.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        let hex = bytes
            .get(i + 1..i + 3)
            .and_then(|h| std::str::from_utf8(h).ok())
            .and_then(|h| u8::from_str_radix(h, 16).ok());
        match (bytes[i], hex) {
            (b'%', Some(byte)) => {
                out.push(byte);
                i += 3;
            }
            (byte, _) => {
                out.push(byte);
                i += 1;
            }
        }
    }
    String::from_utf8_lossy(&out).into_owned()
}

/// The TLS connector: rustls with ring, trusting `root_cert`'s certificates when given, else the
/// public authorities.
pub fn connector(root_cert: Option<&Path>) -> Result<MakeRustlsConnect, StorageError> {
    let mut roots = rustls::RootCertStore::empty();
    if root_cert.is_none() {
        roots.roots = webpki_roots::TLS_SERVER_ROOTS.to_vec();
    }
    if let Some(path) = root_cert {
        let certificates: Vec<CertificateDer<'static>> = CertificateDer::pem_file_iter(path)
            .and_then(|certs| certs.collect())
            .map_err(|err| {
                StorageError::Backend(format!(
                    "cannot read sslrootcert {}: {err}; give it a PEM file with the \
                     certificate of the CA that signed the database server's certificate",
                    path.display()
                ))
            })?;
        if certificates.is_empty() {
            return Err(StorageError::Backend(format!(
                "sslrootcert {} holds no certificate; give it a PEM file with \
                 -----BEGIN CERTIFICATE----- blocks",
                path.display()
            )));
        }
        for certificate in certificates {
            roots.add(certificate).map_err(|err| {
                StorageError::Backend(format!(
                    "sslrootcert {} holds a certificate rustls cannot use: {err}",
                    path.display()
                ))
            })?;
        }
    }
    let config = rustls::ClientConfig::builder_with_provider(Arc::new(
        rustls::crypto::ring::default_provider(),
    ))
    .with_safe_default_protocol_versions()
    .map_err(|err| StorageError::Backend(format!("TLS cannot be set up: {err}")))?
    .with_root_certificates(roots)
    .with_no_client_auth();
    Ok(MakeRustlsConnect::new(config))
}

/// Advice for a connection refused over the server's certificate (rustls's words).
pub fn certificate_hint(message: &str) -> Option<&'static str> {
    if message.contains("NotValidForName") {
        Some(
            "the database server's certificate does not name the host in the URL: connect by \
             a name the certificate holds",
        )
    } else if message.contains("invalid peer certificate") {
        Some(
            "the database server's certificate could not be verified: add \
             sslrootcert=/path/to/ca.pem to the URL (the CA that signed it, or the certificate \
             itself when self-signed), or sslmode=disable to send everything in the clear on a \
             network you trust",
        )
    } else {
        None
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_ca_file_is_taken_out_and_verification_modes_become_require() {
        let url = PostgresUrl::parse(
            "postgres://u:p@db.example:5432/fieldline?sslmode=verify-full&sslrootcert=%2Fetc%2Fca.pem&connect_timeout=5",
        );
        assert_eq!(
            url.driver_url,
            "postgres://u:p@db.example:5432/fieldline?sslmode=require&connect_timeout=5"
        );
        assert_eq!(url.root_cert, Some(PathBuf::from("/etc/ca.pem")));
    }

    #[test]
    fn other_urls_pass_unchanged() {
        for url in [
            "postgres://u@127.0.0.1/fieldline",
            "postgres://u@127.0.0.1/fieldline?sslmode=disable",
            "postgresql://u@host/db?sslmode=require&application_name=fieldline",
        ] {
            assert_eq!(PostgresUrl::parse(url).driver_url, url);
            assert_eq!(PostgresUrl::parse(url).root_cert, None);
        }
        assert_eq!(
            PostgresUrl::parse("postgres://u@h/db?sslrootcert=ca.pem").driver_url,
            "postgres://u@h/db"
        );
    }

    #[test]
    fn another_machine_gets_tls_unless_told_otherwise_and_never_prefer() {
        let mode = |url: &str| {
            let parsed = PostgresUrl::parse(url);
            let mut config: tokio_postgres::Config = parsed.driver_url.parse().unwrap();
            parsed
                .apply_ssl_policy(&mut config)
                .map(|()| config.get_ssl_mode())
        };
        use tokio_postgres::config::SslMode;
        assert_eq!(mode("postgres://u@db.example/f").unwrap(), SslMode::Require);
        assert_eq!(mode("postgres://u@10.0.0.5/f").unwrap(), SslMode::Require);
        assert!(mode("postgres://u@db.example/f?sslmode=prefer")
            .unwrap_err()
            .to_string()
            .contains("sslmode=require"));
        assert_eq!(
            mode("postgres://u@db.example/f?sslmode=disable").unwrap(),
            SslMode::Disable
        );
        // This machine: TLS when offered, as libpq does.
        assert_eq!(mode("postgres://u@127.0.0.1/f").unwrap(), SslMode::Prefer);
        assert_eq!(mode("postgres://u@localhost/f").unwrap(), SslMode::Prefer);
        assert_eq!(
            mode("postgres://u@[::1]/f?sslmode=prefer").unwrap(),
            SslMode::Prefer
        );
    }

    #[test]
    fn the_hint_fits_the_refusal() {
        assert!(certificate_hint("invalid peer certificate: UnknownIssuer")
            .unwrap()
            .contains("sslrootcert="));
        assert!(
            certificate_hint("invalid peer certificate: NotValidForName")
                .unwrap()
                .contains("does not name the host")
        );
        assert_eq!(
            certificate_hint("cannot read sslrootcert /x: no certificate"),
            None
        );
    }

    #[test]
    fn an_unreadable_or_empty_ca_file_is_named() {
        let dir = tempfile::tempdir().unwrap();
        let missing = dir.path().join("missing.pem");
        let err = connector(Some(&missing)).err().unwrap().to_string();
        assert!(err.contains("missing.pem"), "{err}");
        let empty = dir.path().join("empty.pem");
        std::fs::write(&empty, "not a certificate\n").unwrap();
        let err = connector(Some(&empty)).err().unwrap().to_string();
        assert!(err.contains("holds no certificate"), "{err}");
    }
}
