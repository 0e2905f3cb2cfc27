//! `fieldline serve`

use std::{net::SocketAddr, path::PathBuf};

use anyhow::Context as _;
use clap::Args;
use fieldline_server::{open_storage, Server, TlsConfig};

#[derive(Args)]
pub struct ServeArgs {
    /// Database URL: sqlite:PATH or postgres://USER:PASSWORD@HOST:PORT/DATABASE. Default: sqlite:DATA_DIR/server.sqlite3
    #[arg(long, env = "FIELDLINE_DB")]
    db: Option<String>,
    /// Address to listen on; port 0 picks a free port and prints it.
    #[arg(long, env = "FIELDLINE_LISTEN", default_value = "127.0.0.1:8080")]
    listen: SocketAddr,
    /// Directory for the server's files. Default: $FIELDLINE_DATA_DIR, else ~/.local/share/fieldline
    #[arg(long)]
    data_dir: Option<PathBuf>,
    /// Serve HTTPS with this PEM certificate chain (the server's certificate first); needs --tls-key.
    #[arg(long, env = "FIELDLINE_TLS_CERT", requires = "tls_key")]
    tls_cert: Option<PathBuf>,
    /// The certificate's PEM private key (PKCS#8, RSA or EC, unencrypted); needs --tls-cert.
    #[arg(long, env = "FIELDLINE_TLS_KEY", requires = "tls_cert")]
    tls_key: Option<PathBuf>,
    /// Serve plain HTTP to a reverse proxy that gives browsers HTTPS: session cookies are marked Secure and responses carry HSTS.
    #[arg(long, conflicts_with = "tls_cert")]
    behind_https_proxy: bool,
}

pub fn run(args: ServeArgs) -> anyhow::Result<()> {
    let url = crate::data_dir::database_url(args.db.as_deref(), args.data_dir)?;
    let tls = match (&args.tls_cert, &args.tls_key) {
        (Some(cert), Some(key)) => Some(TlsConfig::from_pem_files(cert, key)?),
        _ => None,
    };
    let runtime = tokio::runtime::Runtime::new().context("cannot start the async runtime")?;
    runtime.block_on(async {
        let database = open_storage(&url).await?;
        let mut server = Server::bind(args.listen, database).await?;
        if let Some(tls) = tls {
            server = server.with_tls(tls);
        } else if args.behind_https_proxy {
            server = server.behind_https_proxy();
        }
        // Scripts and tests read this line to learn the address (useful with port 0).
        println!(
            "Fieldline server listening on {}://{}",
            server.scheme(),
            server.local_addr()
        );
        tracing::info!(database = %url, "serving");
        server.run(shutdown_signal()).await?;
        tracing::info!("stopped");
        anyhow::Ok(())
    })
}

async fn shutdown_signal() {
    let interrupt = tokio::signal::ctrl_c();
    #[cfg(unix)]
    {
        let mut terminate =
            tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate())
                .expect("a SIGTERM handler can be installed");
        tokio::select! {
            _ = interrupt => {},
            _ = terminate.recv() => {},
        }
    }
    #[cfg(not(unix))]
    let _ = interrupt.await;
}
