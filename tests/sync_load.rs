//! Load (issue 5): 50 headless devices with 200 finalized interviews each sync at once against
//! one `fieldline serve` on loopback: nothing lost, nothing duplicated, no error visible to a
//! device (every `fieldline device sync` exits 0), and the throughput printed.
//!
//! The devices enroll and pull through the CLI; their interviews are made with the device store
//! library in each device's home (10,000 `fill` processes would take longer than the syncs).

use std::time::{Duration, Instant};

use anyhow::{ensure, Context as _, Result};
use fieldline_e2e::sync::{check_exactly_once, Campaign, Device, Fieldline, Server};

const DEVICES: usize = 50;
const INTERVIEWS: usize = 200;

/// Runs `work` on each device, spread over two threads (the machine's cores).
fn on_each(devices: &[Device], work: impl Fn(usize, &Device) -> Result<()> + Sync) -> Result<()> {
    let half = devices.len().div_ceil(2);
    std::thread::scope(|scope| {
        let work = &work;
        let handles: Vec<_> = devices
            .chunks(half)
            .enumerate()
            .map(|(chunk, part)| {
                scope.spawn(move || {
                    part.iter()
                        .enumerate()
                        .try_for_each(|(i, d)| work(chunk * half + i, d))
                })
            })
            .collect();
        handles
            .into_iter()
            .try_for_each(|h| h.join().expect("a setup thread panicked"))
    })
}

#[test]
fn fifty_devices_with_two_hundred_interviews_each_sync_at_once_and_each_arrives_once() -> Result<()>
{
    let started = Instant::now();
    let dir = tempfile::tempdir()?;
    let fieldline = Fieldline::locate()?;
    let server = Server::start(&fieldline, &dir.path().join("server"))?;
    let campaign = Campaign::create(&fieldline, &server.db_url())?;
    let codes = campaign.enroll_codes(DEVICES)?;
    let devices: Vec<Device> = (0..DEVICES)
        .map(|i| Device::new(&fieldline, &dir.path().join(format!("tablet-{i:02}"))))
        .collect();
    let drafts = std::sync::Mutex::new(Vec::new());
    on_each(&devices, |i, device| {
        device.enroll(&server.url(), &codes[i])?;
        let draft = device.leave_draft()?;
        drafts.lock().unwrap_or_else(|p| p.into_inner()).push(draft);
        Ok(())
    })?;
    let enrolled = started.elapsed();

    let filling = Instant::now();
    on_each(&devices, |i, device| {
        let ids = device.fill_directly(INTERVIEWS, i as u64)?;
        ensure!(ids.len() == INTERVIEWS);
        Ok(())
    })?;
    let filled = filling.elapsed();

    // All at once.
    let syncing = Instant::now();
    let processes = devices
        .iter()
        .map(|d| d.spawn(&["sync", "--json"]))
        .collect::<Result<Vec<_>>>()?;
    let mut ended: Vec<Option<Duration>> = vec![None; DEVICES];
    let deadline = syncing + Duration::from_secs(240);
    while ended.iter().any(Option::is_none) {
        for (i, process) in processes.iter().enumerate() {
            if ended[i].is_none() && process.try_status()?.is_some() {
                ended[i] = Some(syncing.elapsed());
            }
        }
        let waiting = ended.iter().filter(|e| e.is_none()).count();
        ensure!(
            Instant::now() < deadline,
            "{waiting} device syncs still running after {:?}",
            deadline - syncing
        );
        std::thread::sleep(Duration::from_millis(5));
    }
    let wall = syncing.elapsed();
    let mut failed = Vec::new();
    let mut accepted = 0;
    for (i, process) in processes.into_iter().enumerate() {
        let out = process.wait(Duration::from_secs(5))?;
        // A warning or an error logged counts as visible too.
        if !out.success() || !out.stderr.trim().is_empty() {
            failed.push(format!(
                "tablet-{i:02}: {} {}",
                out.status,
                out.stderr.trim()
            ));
            continue;
        }
        let summary: serde_json::Value = serde_json::from_str(out.stdout.trim())
            .with_context(|| format!("tablet-{i:02}'s sync printed {:?}", out.stdout))?;
        ensure!(
            summary["accepted"] == INTERVIEWS
                && summary["duplicate"] == 0
                && summary["pending"] == 0
                && summary["retry"] == 0,
            "tablet-{i:02}: {summary}"
        );
        accepted += INTERVIEWS;
    }
    ensure!(
        failed.is_empty(),
        "{} of {DEVICES} device syncs failed or complained:\n{}",
        failed.len(),
        failed.join("\n")
    );

    let drafts = drafts.into_inner().unwrap_or_else(|p| p.into_inner());
    let all: Vec<&Device> = devices.iter().collect();
    let settled = check_exactly_once(&campaign, &server.db_path(), &all, &drafts, true)?;
    ensure!(settled.submissions == DEVICES * INTERVIEWS, "{settled:?}");

    let mut times: Vec<Duration> = ended.into_iter().flatten().collect();
    times.sort();
    println!(
        "{DEVICES} devices x {INTERVIEWS} interviews: {accepted} accepted in {wall:.2?} of \
         concurrent syncs = {:.0} submissions/s (per device: first done {:.2?}, median {:.2?}, \
         last {:.2?}); setup: enroll+pull {enrolled:.1?}, {} interviews made in {filled:.1?}; \
         whole test {:.1?}",
        accepted as f64 / wall.as_secs_f64(),
        times[0],
        times[times.len() / 2],
        times[times.len() - 1],
        DEVICES * INTERVIEWS,
        started.elapsed()
    );
    Ok(())
}
