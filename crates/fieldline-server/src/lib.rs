//! The campaign server: the versioned HTTP API under `/api/v1` (the sync protocol of
//! `fieldline_protocol` for devices, and what people use), the dashboard pages, and the storage
//! behind them.

pub mod access;
pub mod api;
pub mod auth;
pub mod secrets;
pub mod storage;

use std::{future::Future, net::SocketAddr, sync::Arc};

pub use storage::{
    open_storage, DatabaseUrl, ServerInfo, SqliteStorage, Storage, StorageError, UnsupportedUrl,
};
use tokio::net::TcpListener;

#[derive(Debug, thiserror::Error)]
pub enum ServeError {
    #[error("cannot listen on {addr}: {source}; is another server using that port? Choose another with --listen")]
    Bind {
        addr: SocketAddr,
        #[source]
        source: std::io::Error,
    },
    #[error("the server stopped: {0}")]
    Io(#[from] std::io::Error),
}

/// A server bound to its port, ready to serve.
pub struct Server {
    listener: TcpListener,
    storage: Arc<dyn Storage>,
}

impl Server {
    /// Binds `addr` (port 0 picks a free port; see [`Server::local_addr`]).
    pub async fn bind(addr: SocketAddr, storage: Arc<dyn Storage>) -> Result<Self, ServeError> {
        let listener = TcpListener::bind(addr)
            .await
            .map_err(|source| ServeError::Bind { addr, source })?;
        Ok(Self { listener, storage })
    }

    pub fn local_addr(&self) -> SocketAddr {
        self.listener
            .local_addr()
            .expect("a bound TCP listener has an address")
    }

    /// Serves until `shutdown` completes, then finishes the requests in flight.
    pub async fn run(
        self,
        shutdown: impl Future<Output = ()> + Send + 'static,
    ) -> Result<(), ServeError> {
        let app = api::router(self.storage);
        axum::serve(self.listener, app)
            .with_graceful_shutdown(shutdown)
            .await?;
        Ok(())
    }
}
