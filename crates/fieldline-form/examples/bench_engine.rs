//! Times the form engine on one form and one answer sequence, for `cargo xtask bench`, which
//! runs it natively and as wasm32-unknown-unknown in Node beside ODK's engine (same form, same
//! answers) and writes BENCHMARKS.md.
//!
//! Native: `cargo run --release -p fieldline-form --example bench_engine -- FORM.xlsx ANSWERS.json [--runs N]`
//! Wasm: `xtask/bench/run-wasm.mjs` instantiates the build for wasm32-unknown-unknown, gives it
//! the same inputs through four plain imports (no wasm-bindgen) and calls its `main`.
//!
//! Each run loads the form (native: reads the .xlsx too; wasm: from the bytes Node read),
//! creates an instance, then applies every answer as `fieldline form eval` does (resolve the
//! key, set the value as ODK would), timing each answer alone. Prints JSON in the shape
//! tests/conformance/odk-engine/odk-bench.mjs prints, so the rows compare directly.

use std::{borrow::Cow, sync::Arc};

use fieldline_form::instance::{Environment, Instance};
use fieldline_form::{Attachments, Form};

fn main() {
    let input = host::input();
    let answers: Vec<(String, String)> = match serde_json::from_slice(&input.answers) {
        Ok(serde_json::Value::Array(items)) => items
            .into_iter()
            .filter_map(|pair| serde_json::from_value(pair).ok())
            .collect(),
        _ => panic!("the answers must be a JSON array of [key, value] pairs"),
    };
    let mut loads = Vec::new();
    let mut per_answer = Vec::new();
    let mut rejected = 0;
    // The slowest answer once the runtime has settled, over the second half of the runs. Early runs
    // also pay for cold caches and, in wasm, for V8 compiling code: first with its baseline compiler,
    // then again, over several runs, with its optimising one (with `node --no-liftoff` the spikes
    // of the early runs are gone). A long interview runs in that settled state.
    let mut max_warm: f64 = 0.0;
    let settled_from = input.runs / 2;
    for run in 0..input.runs {
        let started = host::now_ms();
        let bytes = input.form();
        let form = Form::from_xlsform_named(&input.form_name, &bytes, &Attachments::new())
            .unwrap_or_else(|e| panic!("{}: {e}", input.form_name));
        let mut instance = Instance::new(Arc::new(form), Environment::default());
        loads.push(host::now_ms() - started);
        for (key, value) in &answers {
            let started = host::now_ms();
            let taken = instance
                .resolve_key(key)
                .map_err(|_| ())
                .and_then(|node| instance.set_value_as_odk(node, value).map_err(|_| ()));
            let took = host::now_ms() - started;
            per_answer.push(took);
            if run >= settled_from {
                max_warm = max_warm.max(took);
            }
            // Every run sees the same answers: count the rejected ones of the first run.
            if run == 0 && taken.is_err() {
                rejected += 1;
            }
        }
    }
    let total: f64 = per_answer.iter().sum();
    loads.sort_by(f64::total_cmp);
    per_answer.sort_by(f64::total_cmp);
    let round = |ms: f64| (ms * 1e6).round() / 1e6;
    let report = serde_json::json!({
        "engine": "fieldline-form",
        "form": input.form_name,
        "answers": answers.len(),
        "runs": input.runs,
        "load_ms": {
            "median": round(quantile(&loads, 0.5)),
            "min": round(loads[0]),
            "max": round(loads[loads.len() - 1]),
        },
        "answer_ms": {
            "median": round(quantile(&per_answer, 0.5)),
            "p99": round(quantile(&per_answer, 0.99)),
            "max": round(per_answer.last().copied().unwrap_or(0.0)),
            "max_settled": round(max_warm),
            "total_per_run": round(total / f64::from(input.runs)),
        },
        "rejected_answers": rejected,
    });
    host::output(&report.to_string());
}

/// The same quantile as odk-bench.mjs: the value at rank ceil(q * n).
fn quantile(sorted: &[f64], q: f64) -> f64 {
    let rank = (q * sorted.len() as f64).ceil() as usize;
    sorted[rank.clamp(1, sorted.len()) - 1]
}

struct Input {
    /// Native: the path, read inside each run's timing.
    form_name: String,
    /// Wasm: the bytes Node read before the clock started (no file system there).
    form_bytes: Option<Vec<u8>>,
    answers: Vec<u8>,
    runs: u32,
}

impl Input {
    fn form(&self) -> Cow<'_, [u8]> {
        match &self.form_bytes {
            Some(bytes) => Cow::Borrowed(bytes),
            None => Cow::Owned(std::fs::read(&self.form_name).expect("readable form")),
        }
    }
}

#[cfg(not(target_arch = "wasm32"))]
mod host {
    use std::{sync::OnceLock, time::Instant};

    pub fn input() -> super::Input {
        let mut args: Vec<String> = std::env::args().skip(1).collect();
        let mut runs = 20;
        if let Some(at) = args.iter().position(|a| a == "--runs") {
            runs = args
                .get(at + 1)
                .and_then(|n| n.parse().ok())
                .expect("--runs N");
            args.drain(at..at + 2);
        }
        let [form, answers] = <[String; 2]>::try_from(args)
            .expect("usage: bench_engine FORM.xlsx ANSWERS.json [--runs N]");
        super::Input {
            form_bytes: None,
            answers: std::fs::read(&answers).expect("readable answers"),
            form_name: form,
            runs,
        }
    }

    pub fn now_ms() -> f64 {
        static START: OnceLock<Instant> = OnceLock::new();
        START.get_or_init(Instant::now).elapsed().as_secs_f64() * 1000.0
    }

    pub fn output(text: &str) {
        println!("{text}");
    }
}

#[cfg(target_arch = "wasm32")]
mod host {
    mod ffi {
        // Provided by xtask/bench/run-wasm.mjs.
        #[link(wasm_import_module = "host")]
        extern "C" {
            pub fn now_ms() -> f64;
            pub fn input_len(which: u32) -> usize;
            pub fn input_read(which: u32, ptr: *mut u8);
            pub fn output(ptr: *const u8, len: usize);
        }
    }

    fn read(which: u32) -> Vec<u8> {
        // SAFETY: the host copies exactly input_len(which) bytes into the buffer it is given.
        unsafe {
            let mut buffer = vec![0u8; ffi::input_len(which)];
            ffi::input_read(which, buffer.as_mut_ptr());
            buffer
        }
    }

    pub fn input() -> super::Input {
        let runs = String::from_utf8(read(2)).ok().and_then(|r| r.parse().ok());
        super::Input {
            form_name: String::from_utf8_lossy(&read(3)).into_owned(),
            form_bytes: Some(read(0)),
            answers: read(1),
            runs: runs.unwrap_or(20),
        }
    }

    pub fn now_ms() -> f64 {
        // SAFETY: a plain import returning a number.
        unsafe { ffi::now_ms() }
    }

    pub fn output(text: &str) {
        // SAFETY: the host reads `len` bytes at `ptr` before this returns.
        unsafe { ffi::output(text.as_ptr(), text.len()) }
    }
}
