//! `fieldline serve`

use std::{net::SocketAddr, path::PathBuf};

use anyhow::Context as _;
use clap::Args;
use fieldline_server::{open_storage, Server};

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
}

pub fn run(args: ServeArgs) -> anyhow::Result<()> {
    let url = crate::data_dir::database_url(args.db.as_deref(), args.data_dir)?;
    let runtime = tokio::runtime::Runtime::new().context("cannot start the async runtime")?;
    runtime.block_on(async {
        let database = open_storage(&url).await?;
        let server = Server::bind(args.listen, database).await?;
        // Scripts and tests read this line to learn the address (useful with port 0).
        println!(
            "Fieldline server listening on http://{}",
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
