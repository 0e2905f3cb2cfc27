//! Load XLSForms and print their summary (or problems) and the load time:
//! `cargo run --release -p fieldline-form --example check -- FORM.xlsx [--tree]`.

use std::time::Instant;

use fieldline_form::{Attachments, Form};

fn main() {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let tree = args.iter().any(|a| a == "--tree");
    for path in args.iter().filter(|a| !a.starts_with("--")) {
        let bytes = std::fs::read(path).expect("readable file");
        let start = Instant::now();
        let result = Form::from_xlsform_named(path, &bytes, &Attachments::new());
        let elapsed = start.elapsed();
        println!("== {path} ({:.2} ms)", elapsed.as_secs_f64() * 1000.0);
        match result {
            Ok(form) => {
                println!("{:?}", form.summary());
                if tree {
                    for n in &form.nodes {
                        println!("{:>4} {:?} {}", n.row.unwrap_or(0), n.kind, n.path);
                    }
                }
            }
            Err(e) => println!("{e}"),
        }
    }
}
