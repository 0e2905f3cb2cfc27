//! `fieldline form check` and `fieldline form eval`: load an XLSForm, print its summary or its
//! problems; replay answers through the engine and print every leaf's state (the output the
//! ODK conformance harness in tests/conformance/odk-engine prints for ODK's engine).

use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::sync::Arc;

use anyhow::{Context as _, Result};
use clap::{Args, Subcommand};
use fieldline_form::instance::{odk_default_language, AnswerError, Environment, Instance};
use fieldline_form::{Attachments, Form};

#[derive(Args)]
pub struct FormArgs {
    #[command(subcommand)]
    command: FormCommand,
}

#[derive(Subcommand)]
enum FormCommand {
    /// Load a form: print its summary (exit 0) or every problem (exit 1).
    Check {
        /// The XLSForm (.xlsx or .xls).
        file: PathBuf,
        /// Print JSON instead of text.
        #[arg(long)]
        json: bool,
    },
    /// Apply answers in order and print the state of every leaf in document order. Exit 2
    /// (after printing) when an answer was not taken as given.
    Eval {
        /// The XLSForm (.xlsx or .xls).
        file: PathBuf,
        /// A JSON object {"key": "value"} or array [["key", "value"], ...]; a key is a leaf
        /// name or an instance path such as /data/hh[2]/age.
        #[arg(long)]
        answers: PathBuf,
        /// Print the leaves as a JSON array (the default is a table).
        #[arg(long)]
        json: bool,
    },
}

pub fn run(args: FormArgs) -> Result<ExitCode> {
    match args.command {
        FormCommand::Check { file, json } => check(&file, json),
        FormCommand::Eval {
            file,
            answers,
            json,
        } => eval(&file, &answers, json),
    }
}

/// Files in `FORM-media/` (ODK's convention: the form's name without extension, then
/// `-media`) next to the form, if that folder exists.
pub(crate) fn attachments(file: &Path) -> Result<Attachments> {
    let mut out = Attachments::new();
    let stem = file.file_stem().unwrap_or_default().to_string_lossy();
    let full = file.file_name().unwrap_or_default().to_string_lossy();
    let parent = file.parent().unwrap_or(Path::new("."));
    let dir = [format!("{stem}-media"), format!("{full}-media")]
        .into_iter()
        .map(|d| parent.join(d))
        .find(|d| d.is_dir());
    if let Some(dir) = dir {
        for entry in std::fs::read_dir(&dir).with_context(|| format!("{}", dir.display()))? {
            let path = entry?.path();
            if path.is_file() {
                let name = path.file_name().unwrap_or_default().to_string_lossy();
                let bytes = std::fs::read(&path).with_context(|| format!("{}", path.display()))?;
                out.insert(name.to_string(), bytes);
            }
        }
    }
    Ok(out)
}

/// Load the form, or print its problems compiler-style and return `None`.
fn load(file: &Path, json: bool) -> Result<Option<Form>> {
    let bytes = std::fs::read(file).with_context(|| format!("cannot read {}", file.display()))?;
    let name = file.to_string_lossy();
    match Form::from_xlsform_named(&name, &bytes, &attachments(file)?) {
        Ok(form) => Ok(Some(form)),
        Err(errors) => {
            if json {
                println!("{}", serde_json::to_string_pretty(&errors.problems)?);
            } else {
                for p in &errors.problems {
                    eprintln!("{}: {p}\n", file.display());
                }
                eprintln!(
                    "{}: {} problem(s); the form cannot be used",
                    file.display(),
                    errors.problems.len()
                );
            }
            Ok(None)
        }
    }
}

fn check(file: &Path, json: bool) -> Result<ExitCode> {
    let Some(form) = load(file, json)? else {
        return Ok(ExitCode::from(1));
    };
    let s = form.summary();
    if json {
        println!("{}", serde_json::to_string_pretty(&s)?);
        return Ok(ExitCode::SUCCESS);
    }
    println!("form_id:    {}", s.form_id);
    println!("version:    {}", s.version.as_deref().unwrap_or("-"));
    println!("title:      {}", s.title);
    println!("languages:  {}", list(&s.languages));
    println!("questions:  {}", s.questions);
    println!("groups:     {}", s.groups);
    println!("repeats:    {}", s.repeats);
    println!("choices:    {} in {} list(s)", s.choices, s.choice_lists);
    println!("indicators: {}", list(&s.indicators));
    if !s.missing_files.is_empty() {
        println!("missing attachments: {}", list(&s.missing_files));
    }
    for w in &form.warnings {
        eprintln!("{}: warning: {}", file.display(), w.message);
    }
    Ok(ExitCode::SUCCESS)
}

fn list(items: &[String]) -> String {
    if items.is_empty() {
        "-".into()
    } else {
        items.join(", ")
    }
}

fn eval(file: &Path, answers_path: &Path, json: bool) -> Result<ExitCode> {
    let answers = crate::answers::read_answers(answers_path)?;
    let Some(form) = load(file, false)? else {
        return Ok(ExitCode::from(1));
    };
    for f in &form.missing_files {
        eprintln!(
            "{}: attachment {f} not found; its choices are empty",
            file.display()
        );
    }
    let env = Environment {
        now_millis: now_millis(),
        device_id: "fieldline-conformance".into(),
        seed: now_millis() as u64,
        ..Environment::default()
    };
    let language = odk_default_language(&form);
    let mut inst = Instance::new(Arc::new(form), env);
    let mut rejected = Vec::new();
    for (index, (key, value)) in answers.iter().enumerate() {
        let result = inst
            .resolve_key(key)
            .map_err(AnswerError::from)
            .and_then(|node| {
                inst.set_value_as_odk(node, value)
                    .map_err(AnswerError::from)
            });
        if let Err(e) = result {
            rejected.push(format!(
                "{}: answer {index} {key:?}: {}: {e}",
                file.display(),
                e.kind()
            ));
        }
    }
    let leaves = inst.leaves_as_odk(&language);
    if json {
        println!("{}", serde_json::to_string_pretty(&leaves)?);
    } else {
        for l in &leaves {
            let flags = format!(
                "{}{}{}{}",
                if l.relevant { "" } else { " hidden" },
                if l.required { " required" } else { "" },
                if l.readonly { " readonly" } else { "" },
                if l.valid { "" } else { " INVALID" },
            );
            println!("{} [{}{}] = {:?}", l.path, l.type_name, flags, l.value);
            if !l.message.is_empty() {
                println!("    ! {}", l.message);
            }
        }
    }
    for r in &rejected {
        eprintln!("{r}");
    }
    for e in inst.evaluation_errors() {
        eprintln!(
            "{}: warning: expression failed, default used: {e}",
            file.display()
        );
    }
    Ok(if rejected.is_empty() {
        ExitCode::SUCCESS
    } else {
        ExitCode::from(2)
    })
}

/// The only place the clock is read: the engine itself takes time from its environment.
fn now_millis() -> f64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0.0, |d| d.as_millis() as f64)
}
