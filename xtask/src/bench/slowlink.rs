//! `cargo xtask bench --only slowlink`: 500 submissions synced over a 100 kbit/s link with 600 ms
//! round trips and dropped connections (issue 5), against the physical limit and against the same
//! answers sent ODK-style.
//!
//! The link: a veth pair between this machine and a network namespace, shaped with `tc ... tbf
//! rate 100kbit` in both directions (these kernels have no netem). The server
//! (`bench_sync slowlink-serve`, with an OpenRosa-style endpoint beside it) runs inside the
//! namespace; the device (`bench_sync slowlink-device`) runs outside and talks to it through a
//! proxy of its own that adds 300 ms each way and resets every open connection on a fixed
//! schedule. The namespace and the veth pair are removed however the bench ends.

use std::{
    io::{BufRead, BufReader},
    path::Path,
    process::{Child, Command, Stdio},
};

use anyhow::Context as _;
use serde_json::Value;

use super::{ingest::build_example, json_output, Facts};
use crate::process::{done, step};

const FORM: &str = "../shared/forms/fieldline/safe_migration_kap.xlsx";
const NAMESPACE: &str = "fieldline-bench";
const HOST_IF: &str = "flbench-a";
const NS_IF: &str = "flbench-b";
const HOST_ADDR: &str = "10.77.0.1";
const NS_ADDR: &str = "10.77.0.2";
const RATE_KBIT: f64 = 100.0;
const LATENCY_MS_EACH_WAY: u32 = 300;
const FIRST_DROP_S: f64 = 5.0;
const DROP_EVERY_S: f64 = 10.0;

#[derive(clap::Args)]
pub struct SlowlinkArgs {
    /// Slow link: submissions synced.
    #[arg(long, default_value_t = 500)]
    slowlink_submissions: u32,
    /// Slow link: how many of them are also sent ODK-style (one POST each; about 0.7 s apiece on
    /// this link, so the default measures 100 and scales to the whole set).
    #[arg(long, default_value_t = 100)]
    odk_submissions: u32,
}

/// The namespace and the veth pair; removed when dropped.
struct Link;

impl Link {
    fn up() -> anyhow::Result<Self> {
        remove_link();
        let link = Link;
        let ns = |args: &[&str]| {
            let mut all = vec!["netns", "exec", NAMESPACE];
            all.extend_from_slice(args);
            ip_or_tc("ip", &all)
        };
        let tbf = format!("{}kbit", RATE_KBIT);
        ip_or_tc("ip", &["netns", "add", NAMESPACE])?;
        ip_or_tc(
            "ip",
            &[
                "link", "add", HOST_IF, "type", "veth", "peer", "name", NS_IF,
            ],
        )?;
        ip_or_tc("ip", &["link", "set", NS_IF, "netns", NAMESPACE])?;
        ip_or_tc(
            "ip",
            &["addr", "add", &format!("{HOST_ADDR}/24"), "dev", HOST_IF],
        )?;
        ip_or_tc("ip", &["link", "set", HOST_IF, "up"])?;
        ns(&["ip", "addr", "add", &format!("{NS_ADDR}/24"), "dev", NS_IF])?;
        ns(&["ip", "link", "set", NS_IF, "up"])?;
        ns(&["ip", "link", "set", "lo", "up"])?;
        let shape = [
            "qdisc", "add", "dev", HOST_IF, "root", "tbf", "rate", &tbf, "burst", "4kb", "latency",
            "400ms",
        ];
        ip_or_tc("tc", &shape)?;
        let mut inside = vec!["tc"];
        inside.extend_from_slice(&shape);
        inside[4] = NS_IF;
        ns(&inside)?;
        Ok(link)
    }
}

impl Drop for Link {
    fn drop(&mut self) {
        remove_link();
    }
}

/// Removes the namespace and the host's end of the veth pair (the other end goes with the
/// namespace), quietly: also what an earlier, killed run left behind.
fn remove_link() {
    let _ = Command::new("ip")
        .args(["netns", "del", NAMESPACE])
        .stderr(Stdio::null())
        .status();
    let _ = Command::new("ip")
        .args(["link", "del", HOST_IF])
        .stderr(Stdio::null())
        .status();
}

fn ip_or_tc(program: &str, args: &[&str]) -> anyhow::Result<()> {
    let output = Command::new(program)
        .args(args)
        .output()
        .with_context(|| format!("cannot start {program}"))?;
    anyhow::ensure!(
        output.status.success(),
        "{program} {} failed: {}",
        args.join(" "),
        String::from_utf8_lossy(&output.stderr).trim()
    );
    Ok(())
}

/// The server in the namespace; asked to stop (its standard input closed) when dropped, and
/// killed if it does not within 10 s.
struct NamespacedServer {
    child: Option<Child>,
    code: String,
}

impl NamespacedServer {
    fn start(example: &Path, dir: &Path, form: &Path) -> anyhow::Result<Self> {
        let mut child = Command::new("ip")
            .args(["netns", "exec", NAMESPACE])
            .arg(example)
            .arg("slowlink-serve")
            .args(["--listen", &format!("{NS_ADDR}:7001")])
            .args(["--sink", &format!("{NS_ADDR}:7002")])
            .arg("--dir")
            .arg(dir)
            .arg("--form")
            .arg(form)
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .spawn()
            .context("cannot start the server in the namespace")?;
        let stdout = child.stdout.take().context("the server's output")?;
        let mut server = Self {
            child: Some(child),
            code: String::new(),
        };
        let mut line = String::new();
        BufReader::new(stdout).read_line(&mut line)?;
        let ready: Value = serde_json::from_str(line.trim())
            .with_context(|| format!("the server in the namespace did not start: {line:?}"))?;
        server.code = ready["code"].as_str().unwrap_or_default().to_owned();
        anyhow::ensure!(!server.code.is_empty(), "no enrollment code in {line:?}");
        Ok(server)
    }
}

impl Drop for NamespacedServer {
    fn drop(&mut self) {
        let Some(mut child) = self.child.take() else {
            return;
        };
        drop(child.stdin.take());
        for _ in 0..100 {
            if let Ok(Some(_)) = child.try_wait() {
                return;
            }
            std::thread::sleep(std::time::Duration::from_millis(100));
        }
        let _ = child.kill();
        let _ = child.wait();
    }
}

pub fn bench(args: &SlowlinkArgs, facts: &Facts) -> anyhow::Result<String> {
    let root = crate::workspace_root();
    anyhow::ensure!(
        root.join(FORM).is_file(),
        "{FORM} is missing (the shared forms sit beside the clone)"
    );
    anyhow::ensure!(
        crate::setup::is_root(),
        "the slow link bench makes a network namespace and shapes it with tc: run it as root"
    );
    crate::setup::ensure_apt_packages(&["iproute2"])?;
    let example = build_example()?;
    let form = root.join(FORM);
    let scratch = crate::target_dir().join("bench-slowlink");
    let _ = std::fs::remove_dir_all(&scratch);
    std::fs::create_dir_all(&scratch)?;

    let at = step(&format!(
        "bench: a {RATE_KBIT} kbit/s link to a network namespace ({HOST_IF} <-> {NS_IF})"
    ));
    let link = Link::up()?;
    done(at);
    let result = {
        let server = NamespacedServer::start(&example, &scratch.join("server"), &form)?;
        let at = step(&format!(
            "bench: {} submissions over the slow link, then {} ODK-style",
            args.slowlink_submissions, args.odk_submissions
        ));
        let result = json_output(
            Command::new(&example)
                .arg("slowlink-device")
                .args(["--server", &format!("{NS_ADDR}:7001")])
                .args(["--sink", &format!("{NS_ADDR}:7002")])
                .args(["--code", &server.code])
                .arg("--dir")
                .arg(scratch.join("device"))
                .args(["--submissions", &args.slowlink_submissions.to_string()])
                .args(["--odk-submissions", &args.odk_submissions.to_string()])
                .args(["--latency-ms", &LATENCY_MS_EACH_WAY.to_string()])
                .args(["--first-drop-s", &FIRST_DROP_S.to_string()])
                .args(["--drop-every-s", &DROP_EVERY_S.to_string()])
                .args(["--iface", HOST_IF]),
        );
        done(at);
        result
    };
    drop(link);
    let _ = std::fs::remove_dir_all(&scratch);
    let result = result?;
    println!("    {result}");
    Ok(section(args, facts, &result))
}

fn kb(bytes: f64) -> String {
    format!("{:.1} KB", bytes / 1000.0)
}

fn section(args: &SlowlinkArgs, facts: &Facts, r: &Value) -> String {
    let f = |v: &Value| v.as_f64().unwrap_or(0.0);
    let submissions = f(&r["submissions"]);
    let compressed = f(&r["compressed_bytes"]);
    let bytes_per_second = RATE_KBIT * 1000.0 / 8.0;
    let limit_s = compressed / bytes_per_second;
    let sync = &r["sync"];
    let sync_s = f(&sync["seconds"]);
    let sync_http = f(&sync["link"]["bytes"]);
    let sync_wire = f(&sync["wire"]["bytes"]);
    let odk = &r["odk"];
    let odk_n = f(&odk["submissions"]);
    let scale = submissions / odk_n.max(1.0);
    let odk_s = f(&odk["seconds"]);
    let odk_http = f(&odk["link"]["bytes"]);
    let odk_wire = f(&odk["wire"]["bytes"]);
    let odk_xml = f(&odk["xml_bytes"]);
    let odk_limit_s = odk_xml * scale / bytes_per_second;
    let failed_pushes = sync["failures"].as_array().map_or(0, Vec::len);
    let resent = sync["batches_resent_smaller"].as_u64().unwrap_or(0) as usize;

    let mut md = String::from("## Sync over a slow link (issue 5)\n\n");
    md += &format!(
        "{submissions} finalized safe_migration_kap interviews (`{FORM}`, filled by the real device store) synced from a \
device to the campaign server over a {RATE_KBIT} kbit/s link with {} ms round trips and dropped connections: the \
server runs in a network namespace behind a veth pair shaped with `tc qdisc add dev IF root tbf rate 100kbit burst \
4kb latency 400ms` in both directions (these kernels have no netem); the device talks to it through a proxy in the \
bench that delays every chunk {LATENCY_MS_EACH_WAY} ms each way (pipelined, so the delay costs round trips, not \
bandwidth) and resets every open connection {FIRST_DROP_S} s after the start and then every {DROP_EVERY_S} s. The \
device pushes with the sync client (`SyncClient::push`, default settings: batches of up to {} KB of payload, gzip, \
a lost batch sent again at once as half as many bytes, the size learned kept for the next push) and, after a push that \
fails, pushes again 1 s later (the sync loop's first backoff step), until the outbox is empty. The same \
answers are then sent ODK-style over the same kind of link: each submission as its OpenRosa XML (`<data \
id=\"safe_migration_kap\" version=\"...\">` with an element per path, built from the payload's values), one \
`multipart/form-data` POST of `xml_submission_file` each, one after another on a keep-alive connection, to an \
endpoint in the namespace that reads the body and answers `201` with ODK Central's reply; a POST that fails is sent \
again 1 s later.\n\n",
        2 * LATENCY_MS_EACH_WAY,
        f(&r["batch_bytes_limit"]) / 1024.0,
    );
    md += &format!(
        "Produced by `cargo xtask bench --only slowlink --slowlink-submissions {} --odk-submissions {}` on {} (as \
root), which runs `target/release/examples/bench_sync` (`crates/fieldline-sync/examples/bench_sync.rs`, built by `cargo \
build --release -p fieldline-sync --example bench_sync`): `ip netns exec {NAMESPACE} bench_sync slowlink-serve` inside \
and `bench_sync slowlink-device` outside.\n\n",
        args.slowlink_submissions, args.odk_submissions, facts.date
    );
    md += &format!("Machine: {}.\n\n", facts.machine);
    md += "| what | submissions | time | bytes through the proxy (HTTP) | bytes on the veth (packets) | link drops | failed attempts |\n";
    md += "| --- | --- | --- | --- | --- | --- | --- |\n";
    md += &format!(
        "| **Fieldline sync** | {submissions} in {} batches answered | **{:.1} s** | {} | {} | {} | {} |\n",
        sync["batches_answered"],
        sync_s,
        kb(sync_http),
        kb(sync_wire),
        sync["link"]["drops"],
        failed_pushes + resent,
    );
    md += &format!(
        "| physical limit: the batches' compressed bytes / {RATE_KBIT} kbit/s | {submissions} | {:.1} s | {} | | | |\n",
        limit_s,
        kb(compressed)
    );
    md += &format!(
        "| ODK-style, measured | {odk_n} | {:.1} s | {} | {} | {} | {} |\n",
        odk_s,
        kb(odk_http),
        kb(odk_wire),
        odk["link"]["drops"],
        odk["failed_attempts"],
    );
    md += &format!(
        "| ODK-style, for {submissions} (measured x {scale:.0}) | {submissions} | **{:.0} s** | {} | {} | | |\n",
        odk_s * scale,
        kb(odk_http * scale),
        kb(odk_wire * scale),
    );
    md += &format!(
        "\nFieldline's sync took {:.1}x the physical limit and sent {:.1}x its bytes (HTTP); the ODK-style upload of the \
same answers takes {:.0}x Fieldline's time and {:.1}x its bytes on the veth. The uncompressed payloads are {} \
({:.0} bytes a submission, {:.0} compressed in their batches); their XML is {:.0} bytes a submission ({:.0} s at the \
link's rate for all {submissions}, before any header or round trip).\n\n",
        sync_s / limit_s,
        sync_http / compressed,
        odk_s * scale / sync_s,
        odk_wire * scale / sync_wire.max(1.0),
        kb(f(&r["payload_bytes"])),
        f(&r["payload_bytes"]) / submissions,
        compressed / submissions,
        odk_xml / odk_n.max(1.0),
        odk_limit_s,
    );
    let largest = f(&r["largest_batch_bytes"]);
    md += &format!(
        "The target: issue 5 sets no figure for the slow link; it asks for the time and bytes against the physical \
limit (here {:.1}x the time) and against ODK-style uploads (here {:.0}x faster). What the drops cost: a batch is \
answered as a whole, so a drop while one crosses loses all of it. A full batch here is up to {} compressed, {:.1} s \
on this link at best; a lost one is sent again at once as half as many bytes ({resent} batch(es) here, and {failed_pushes} \
push(es) that failed outright), and the device ended with batches of up to {:.0} KB of payload, the size it starts \
the next sync from, so a link that drops more often than a full batch takes still carries every interview \
(`tests/sync_faults.rs` proves it on a link that cuts every request after 12 KB).\n\n",
        sync_s / limit_s,
        odk_s * scale / sync_s,
        kb(largest),
        largest / bytes_per_second,
        f(&sync["learned_batch_bytes"]) / 1024.0,
    );
    md += "How it is measured: the clock starts at the first push (enrollment, pulling the form and filling the \
interviews happen before, straight to the server) and stops when the outbox is empty (every item answered and \
recorded sent; the run checks the count); for ODK-style, from the first POST to the last `201`. \"Bytes through the \
proxy\" are the HTTP bytes the proxy passed on in both directions, including requests cut by a reset and sent again; \
\"bytes on the veth\" are the host interface's transmit and receive counters over the same interval, so they include \
TCP/IP headers, handshakes and retransmissions. The proxy ends TCP on the device's side, so the 600 ms are felt per \
HTTP exchange, and TCP over the shaped link itself sees no added delay. The ODK-style figures are generous to ODK: \
plain HTTP, no authentication (Central's Digest or Basic adds a round trip or a header), no HEAD request before \
the upload, and no media.\n";
    md
}
