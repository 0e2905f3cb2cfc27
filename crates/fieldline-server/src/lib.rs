//! The campaign server: the versioned HTTP API under `/api/v1` (the sync protocol of
//! `fieldline_protocol` for devices, and what people use), the dashboard pages, and the storage
//! behind them. It serves plain HTTP, or HTTPS itself (rustls) when given a certificate.

pub mod access;
pub mod api;
pub mod auth;
pub mod login_limit;
pub mod secrets;
pub mod storage;

use std::{future::Future, net::SocketAddr, path::Path, sync::Arc, time::Duration};

use axum::extract::ConnectInfo;
use axum::Router;
use hyper_util::rt::TokioIo;
use rustls::pki_types::{pem::PemObject, CertificateDer, PrivateKeyDer};
pub use storage::{
    open_storage, DatabaseUrl, ServerInfo, SqliteStorage, Storage, StorageError, UnsupportedUrl,
};
use tokio::net::TcpListener;

pub use auth::Transport;

/// How long a client may take to complete the TLS handshake before its connection is dropped,
/// so idle connections cannot pile up.
const TLS_HANDSHAKE_TIMEOUT: Duration = Duration::from_secs(10);

#[derive(Debug, thiserror::Error)]
pub enum ServeError {
    #[error("cannot listen on {addr}: {source}; is another server using that port? Choose another with --listen")]
    Bind {
        addr: SocketAddr,
        #[source]
        source: std::io::Error,
    },
    #[error("{0}")]
    Tls(String),
    #[error("the server stopped: {0}")]
    Io(#[from] std::io::Error),
}

/// The TLS setup of a server: its certificate chain and private key.
#[derive(Clone)]
pub struct TlsConfig(Arc<rustls::ServerConfig>);

impl TlsConfig {
    /// Reads a PEM certificate chain (the server's certificate first) and its PEM private key
    /// (PKCS#8, PKCS#1 or SEC1).
    pub fn from_pem_files(cert: &Path, key: &Path) -> Result<Self, ServeError> {
        let certs: Vec<CertificateDer<'static>> = CertificateDer::pem_file_iter(cert)
            .and_then(|certs| certs.collect())
            .map_err(|e| {
                ServeError::Tls(format!(
                    "cannot read the certificate {}: {e}; give --tls-cert a PEM file with the \
                     server's certificate first, then its intermediates",
                    cert.display()
                ))
            })?;
        if certs.is_empty() {
            return Err(ServeError::Tls(format!(
                "{} holds no certificate; give --tls-cert a PEM file with \
                 -----BEGIN CERTIFICATE----- blocks",
                cert.display()
            )));
        }
        let private_key = PrivateKeyDer::from_pem_file(key).map_err(|e| {
            ServeError::Tls(format!(
                "cannot read the private key {}: {e}; give --tls-key the certificate's PEM \
                 private key (PKCS#8, RSA or EC), unencrypted",
                key.display()
            ))
        })?;
        Self::new(certs, private_key)
    }

    /// A setup from a certificate chain and key already in memory.
    pub fn new(
        certs: Vec<CertificateDer<'static>>,
        private_key: PrivateKeyDer<'static>,
    ) -> Result<Self, ServeError> {
        let provider = Arc::new(rustls::crypto::ring::default_provider());
        let mut config = rustls::ServerConfig::builder_with_provider(provider)
            .with_safe_default_protocol_versions()
            .map_err(|e| ServeError::Tls(format!("TLS cannot be set up: {e}")))?
            .with_no_client_auth()
            .with_single_cert(certs, private_key)
            .map_err(|e| {
                ServeError::Tls(format!(
                    "the certificate and key do not make a TLS setup: {e}; check that the key \
                     is the certificate's own"
                ))
            })?;
        config.alpn_protocols = vec![b"http/1.1".to_vec()];
        Ok(Self(Arc::new(config)))
    }
}

/// A server bound to its port, ready to serve.
pub struct Server {
    listener: TcpListener,
    storage: Arc<dyn Storage>,
    tls: Option<TlsConfig>,
    transport: Transport,
}

impl Server {
    /// Binds `addr` (port 0 picks a free port; see [`Server::local_addr`]).
    pub async fn bind(addr: SocketAddr, storage: Arc<dyn Storage>) -> Result<Self, ServeError> {
        let listener = TcpListener::bind(addr)
            .await
            .map_err(|source| ServeError::Bind { addr, source })?;
        Ok(Self {
            listener,
            storage,
            tls: None,
            transport: Transport::default(),
        })
    }

    /// Serves HTTPS with this certificate instead of plain HTTP.
    pub fn with_tls(mut self, tls: TlsConfig) -> Self {
        self.tls = Some(tls);
        self.transport.https = true;
        self
    }

    /// Browsers reach this plain-HTTP server through a proxy that terminates HTTPS: session
    /// cookies are `Secure` and responses carry HSTS as if it served HTTPS itself.
    pub fn behind_https_proxy(mut self) -> Self {
        self.transport.https = true;
        self
    }

    pub fn local_addr(&self) -> SocketAddr {
        self.listener
            .local_addr()
            .expect("a bound TCP listener has an address")
    }

    /// `https` when it serves TLS itself, else `http`.
    pub fn scheme(&self) -> &'static str {
        if self.tls.is_some() {
            "https"
        } else {
            "http"
        }
    }

    /// Serves until `shutdown` completes, then finishes the requests in flight.
    pub async fn run(
        self,
        shutdown: impl Future<Output = ()> + Send + 'static,
    ) -> Result<(), ServeError> {
        let app = api::router_for(self.storage, self.transport);
        match self.tls {
            None => {
                axum::serve(
                    self.listener,
                    app.into_make_service_with_connect_info::<SocketAddr>(),
                )
                .with_graceful_shutdown(shutdown)
                .await?
            }
            Some(tls) => serve_tls(self.listener, app, tls, shutdown).await,
        }
        Ok(())
    }
}

/// Accepts TLS connections and serves HTTP/1.1 on each until `shutdown`, then waits for the
/// connections' requests in flight.
async fn serve_tls(
    listener: TcpListener,
    app: Router,
    tls: TlsConfig,
    shutdown: impl Future<Output = ()> + Send + 'static,
) {
    let acceptor = tokio_rustls::TlsAcceptor::from(tls.0);
    let graceful = hyper_util::server::graceful::GracefulShutdown::new();
    tokio::pin!(shutdown);
    loop {
        let (stream, remote) = tokio::select! {
            accepted = listener.accept() => match accepted {
                Ok(accepted) => accepted,
                Err(err) => {
                    // Out of file descriptors, or a connection reset before it was taken: the
                    // listener itself is fine, so wait a moment and go on.
                    tracing::warn!(error = %err, "a connection could not be accepted");
                    tokio::time::sleep(Duration::from_millis(50)).await;
                    continue;
                }
            },
            () = &mut shutdown => break,
        };
        let (acceptor, app, watcher) = (acceptor.clone(), app.clone(), graceful.watcher());
        tokio::spawn(async move {
            let stream =
                match tokio::time::timeout(TLS_HANDSHAKE_TIMEOUT, acceptor.accept(stream)).await {
                    Ok(Ok(stream)) => stream,
                    Ok(Err(err)) => {
                        tracing::debug!(%remote, error = %err, "TLS handshake failed");
                        return;
                    }
                    Err(_) => {
                        tracing::debug!(%remote, "TLS handshake timed out");
                        return;
                    }
                };
            let service = hyper::service::service_fn(
                move |mut request: axum::http::Request<hyper::body::Incoming>| {
                    // What `into_make_service_with_connect_info` gives plain HTTP: the client's
                    // address, for the sign-in rate limit and the audit log.
                    request.extensions_mut().insert(ConnectInfo(remote));
                    tower_service::Service::call(&mut app.clone(), request)
                },
            );
            let connection = hyper::server::conn::http1::Builder::new()
                .serve_connection(TokioIo::new(stream), service);
            if let Err(err) = watcher.watch(connection).await {
                tracing::debug!(%remote, error = %err, "a TLS connection ended with an error");
            }
        });
    }
    graceful.shutdown().await;
}
