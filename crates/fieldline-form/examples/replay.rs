//! Time the engine on a form and an answer sequence (release build):
//! `cargo run --release -p fieldline-form --example replay -- FORM.xlsx ANSWERS.json [--runs N]`.
//! Prints load, instance creation and per-answer times (median, p99, max) and the number of
//! computations each answer ran.

use std::sync::Arc;
use std::time::Instant;

use fieldline_form::instance::{Environment, Instance, Plan};
use fieldline_form::{Attachments, Form};

fn main() {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let runs: usize = args
        .iter()
        .position(|a| a == "--runs")
        .and_then(|i| args.get(i + 1))
        .and_then(|n| n.parse().ok())
        .unwrap_or(5);
    let form_path = &args[0];
    let answers: Vec<(String, String)> = {
        let text = std::fs::read_to_string(&args[1]).expect("answers file");
        let v: Vec<(String, String)> = match serde_json::from_str(&text) {
            Ok(pairs) => pairs,
            Err(_) => serde_json::from_str::<std::collections::BTreeMap<String, String>>(&text)
                .expect("answers JSON")
                .into_iter()
                .collect(),
        };
        v
    };
    let bytes = std::fs::read(form_path).expect("form file");
    let mut per_answer = Vec::new();
    let mut loads = Vec::new();
    let mut evaluations = Vec::new();
    for _ in 0..runs {
        let t = Instant::now();
        let form =
            Form::from_xlsform_named(form_path, &bytes, &Attachments::new()).expect("form loads");
        let read = t.elapsed();
        let plan = Arc::new(Plan::new(Arc::new(form)));
        let compiled = t.elapsed();
        let mut inst = Instance::from_plan(plan, Environment::default());
        let created = t.elapsed();
        loads.push((read, compiled, created));
        for (k, v) in &answers {
            let before = inst.evaluations();
            let t = Instant::now();
            let node = inst.resolve_key(k);
            let resolved = t.elapsed();
            if let Ok(node) = node {
                let _ = inst.set_value_as_odk(node, v);
            }
            let us = t.elapsed().as_secs_f64() * 1e6;
            if us > 500.0 && std::env::var_os("REPLAY_SLOW").is_some() {
                eprintln!(
                    "slow: {k} = {v:?}: {us:.0} us (key {:?}), {} computations, errors {:?}",
                    resolved,
                    inst.evaluations() - before,
                    inst.evaluation_errors()
                );
            }
            per_answer.push(us);
            evaluations.push(inst.evaluations() - before);
        }
    }
    per_answer.sort_by(f64::total_cmp);
    evaluations.sort();
    let pct = |p: f64| per_answer[((per_answer.len() - 1) as f64 * p) as usize];
    let best = loads.iter().min_by_key(|l| l.2).unwrap();
    println!(
        "load: read {:.2} ms, compile {:.2} ms, instance {:.2} ms (best of {runs})",
        best.0.as_secs_f64() * 1e3,
        (best.1 - best.0).as_secs_f64() * 1e3,
        (best.2 - best.1).as_secs_f64() * 1e3
    );
    println!(
        "per answer ({} answers x {runs}): median {:.1} us, p99 {:.1} us, max {:.1} us",
        answers.len(),
        pct(0.5),
        pct(0.99),
        per_answer.last().unwrap()
    );
    println!(
        "computations per answer: median {}, max {}",
        evaluations[evaluations.len() / 2],
        evaluations.last().unwrap()
    );
}
