//! Answers questions in a loop, printing `ack <instance id> <path> <value>` after each answer's
//! transaction has committed. The crash-safety test SIGKILLs it at random moments and checks that
//! every acknowledged answer survived.
//!
//! Usage: `answer_loop DATA_DIR FORM.xlsx [ANSWERS]` (stops after ANSWERS answers; default never).

use std::io::Write;
use std::path::Path;

use fieldline_device_store::DeviceStore;

/// Answers per draft before starting another, so resuming never replays an endless log.
const ANSWERS_PER_DRAFT: i64 = 150;
/// Repeat instances written in turn, so every answer of a draft stays visible in it.
const SLOTS: i64 = 25;

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let args: Vec<String> = std::env::args().collect();
    let (dir, form) = match &args[..] {
        [_, dir, form, ..] => (dir, form),
        _ => return Err("usage: answer_loop DATA_DIR FORM.xlsx [ANSWERS]".into()),
    };
    let limit: Option<u64> = args.get(3).map(|n| n.parse()).transpose()?;
    let mut store = DeviceStore::open(Path::new(dir))?;
    let imported = store.import_form(form, &std::fs::read(form)?)?;
    let stdout = std::io::stdout();
    let mut done = 0;
    while limit.is_none_or(|l| done < l) {
        // Continue the newest unfinished draft, as the app offers to after a crash.
        let current = store
            .list_drafts()?
            .into_iter()
            .find(|d| d.events < ANSWERS_PER_DRAFT);
        let (id, events) = match current {
            Some(d) => (d.instance_id, d.events),
            None => (
                store.start_draft(&imported.form_id, &imported.version, 0)?,
                0,
            ),
        };
        let (path, value) = if events == 0 {
            ("consent".to_owned(), "yes".to_owned())
        } else {
            (
                format!("/data/migrants[{}]/m_relation", events % SLOTS + 1),
                format!("ack-{events}"),
            )
        };
        let stored = store.record_answer(&id, &path, &value)?;
        let mut out = stdout.lock();
        writeln!(out, "ack {id} {stored} {value}")?;
        out.flush()?;
        done += 1;
    }
    Ok(())
}
