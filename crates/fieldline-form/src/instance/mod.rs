//! The instance model: one filled-in (or being filled-in) form, behaving as ODK's engine does.
//!
//! ```
//! # #[cfg(feature = "xlsform")] {
//! use std::sync::Arc;
//! use fieldline_form::{Attachments, Form};
//! use fieldline_form::instance::{Environment, Instance};
//!
//! let path = concat!(env!("CARGO_MANIFEST_DIR"), "/../../../shared/forms/fieldline/safe_migration_kap.xlsx");
//! let bytes = std::fs::read(path).unwrap();
//! let form = Arc::new(Form::from_xlsform(&bytes, &Attachments::new()).unwrap());
//! let mut interview = Instance::new(form, Environment::default());
//! interview.set_answer("consent", "yes").unwrap();
//! let age = interview.set_answer("age", "15").unwrap();
//! assert!(!interview.is_valid(age));
//! assert_eq!(interview.message(age, None).as_deref(), Some("Age must be 16 to 70"));
//! # }
//! ```
//!
//! # How it works
//! - [`Plan`] (built once per form, shared through an `Arc`) binds every expression to the
//!   definitions it reads, as pyxform would write it into the XForm, and ranks every
//!   computation (relevance, read-only, calculation, trigger, choices, required, constraint,
//!   repeat count) topologically.
//! - An [`Instance`] is an arena of nodes. Setting a value enqueues only the computations that
//!   read it, on the repeat instances concerned; they run in rank order, and each change they
//!   make enqueues its own readers. [`Instance::evaluations`] counts the computations run.
//! - Pure: the clock, time zone, device id, user name and random seed come from the
//!   [`Environment`]; nothing reads the system.
//!
//! # ODK behaviours reproduced
//! Typed normalisation on every write (decimal `10` → `10.0`, int truncation, dates, times,
//! geopoints); select_multiple stored in choice order, unknown choices dropped; a rank answer
//! refused unless it names every option offered now, and options offered later appended to it;
//! a select's value restricted to the choices currently offered; non-relevant values kept but
//! read as `""` and left out of the submission; calculations of non-relevant nodes not
//! recomputed; constraints not checked on empty or non-relevant values; relevance and read-only
//! inherited from groups (required not); writes to read-only nodes refused; one initial
//! instance of each repeat without `repeat_count`, none inside repeat instances added later;
//! dynamic defaults applied when the instance or the repeat instance is created (to relevant
//! nodes); `trigger` calculations run only when their trigger's value changes. Labels, hints
//! and messages show the current values of their `${name}` references, spaced as pyxform writes
//! its `<output>`s.

mod analyze;
mod answer;
mod choices;
mod codec;
mod defs;
mod error;
mod eval;
mod output;
mod plan;
mod recompute;
mod repeats;
mod secondary;
mod texts;
mod tree;

use std::cell::{Cell, RefCell};
use std::cmp::Reverse;
use std::collections::{BinaryHeap, HashMap};
use std::sync::Arc;

use fieldline_xpath::evaluate;

use crate::model::Form;
use crate::types::QuestionType;

pub use choices::OfferedChoice;
pub use codec::ValueKind;
pub use error::{AnswerError, KeyError, RepeatError, SetError};
pub use output::{xlsform_type, Blocker, LeafState, ProblemKind, SubmissionValue};
pub use plan::Plan;
pub use texts::FormText;

use eval::Ev;
use plan::DefId;
use tree::INode;

/// A node of an instance. Stable for the life of the instance (a removed repeat instance's
/// nodes are never reused).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct InstanceNodeId(pub(crate) u32);

impl InstanceNodeId {
    /// The raw handle, for storing alongside UI state.
    pub fn index(self) -> u32 {
        self.0
    }
}

/// What the engine takes from the device: it never reads a clock or the system itself.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Environment {
    /// Now, in milliseconds since 1970-01-01T00:00:00Z (`now()`, `today()`, `start`).
    pub now_millis: f64,
    /// The device's offset from UTC in minutes (dates are local, as in ODK).
    pub utc_offset_minutes: i32,
    /// The `deviceid` metadata.
    pub device_id: String,
    /// The `username` metadata.
    pub username: String,
    /// The `email` and `phonenumber` metadata.
    pub email: String,
    pub phone_number: String,
    /// Seed of `random()`, `uuid()` and, when `instance_id` is not given, the instance id.
    pub seed: u64,
    /// The id the interview already has (the device store's draft id), written as `uuid:ID` into
    /// the instanceID metadata so the submission and its envelope name the same interview. `None`
    /// draws one from `seed`, as ODK does.
    pub instance_id: Option<String>,
}

/// One instance of a form: answers, repeat instances and every node's computed state.
#[derive(Debug)]
pub struct Instance {
    plan: Arc<Plan>,
    nodes: Vec<INode>,
    env: Environment,
    rng: Cell<u64>,
    language: String,
    queue: BinaryHeap<Reverse<u64>>,
    evaluations: u64,
    /// Last value seen of each trigger-calculated node's trigger(s).
    trigger_seen: HashMap<u32, String>,
    /// Offered values of selects whose choices are another question's answers.
    answer_options: HashMap<u32, Vec<String>>,
    /// New nodes whose dynamic defaults apply once their state has settled.
    pending_defaults: Vec<u32>,
    /// Nodes created while building the initial tree.
    created: Vec<u32>,
    errors: RefCell<Vec<String>>,
}

impl Instance {
    /// A new instance of `form` (compiles the form; use [`Instance::from_plan`] to share one
    /// compilation between many instances).
    pub fn new(form: Arc<Form>, env: Environment) -> Instance {
        Instance::from_plan(Arc::new(Plan::new(form)), env)
    }

    /// A new instance: defaults, metadata (start, end, today, deviceid, username,
    /// instanceID), calculations, relevance and validity all computed; then dynamic defaults.
    pub fn from_plan(plan: Arc<Plan>, env: Environment) -> Instance {
        let language = odk_default_language(&plan.form);
        let mut inst = Instance {
            rng: Cell::new(env.seed),
            plan,
            nodes: Vec::new(),
            env,
            language,
            queue: BinaryHeap::new(),
            evaluations: 0,
            trigger_seen: HashMap::new(),
            answer_options: HashMap::new(),
            pending_defaults: Vec::new(),
            created: Vec::new(),
            errors: RefCell::new(Vec::new()),
        };
        inst.new_tree();
        let created = std::mem::take(&mut inst.created);
        inst.preload(&created);
        inst.push_all(&created);
        inst.pending_defaults = created;
        inst.run();
        inst
    }

    /// The compiled form.
    pub fn plan(&self) -> &Arc<Plan> {
        &self.plan
    }

    /// The form.
    pub fn form(&self) -> &Form {
        &self.plan.form
    }

    /// The language `jr:itext`, `jr:choice-name`, labels and messages use by default.
    pub fn language(&self) -> &str {
        &self.language
    }

    /// Switch language; expressions that use labels are recomputed.
    pub fn set_language(&mut self, language: &str) {
        if self.language == language {
            return;
        }
        self.language = language.to_string();
        let plan = self.plan.clone();
        for r in &plan.language {
            self.push_targets(*r, tree::DOC);
        }
        self.run();
    }

    /// Computations run so far (to check that a change recomputes only its dependents).
    pub fn evaluations(&self) -> u64 {
        self.evaluations
    }

    /// Expressions that failed to evaluate (each fell back to its default: relevant,
    /// not required, valid, empty), with the node's path. At most 100 are kept.
    pub fn evaluation_errors(&self) -> Vec<String> {
        self.errors.borrow().clone()
    }

    /// Set the clock (e.g. before finalizing) and record it in every `end` field, as ODK
    /// does when the form is finalized.
    pub fn finalize_time(&mut self, now_millis: f64) {
        self.env.now_millis = now_millis;
        let ends: Vec<u32> = self
            .leaf_nodes()
            .into_iter()
            .filter(|&n| self.question_type(n) == Some(QuestionType::End))
            .collect();
        for n in ends {
            let v = three_digit_millis(&self.eval_source("now()", n));
            self.store(
                n,
                self.plan.defs[self.nodes[n as usize].def as DefId].normalize(&v),
            );
        }
        self.run();
    }

    fn question_type(&self, node: u32) -> Option<QuestionType> {
        self.plan.form.nodes[self.nodes[node as usize].def as DefId].question_type()
    }

    /// Evaluate a fixed expression (preloads) as a string at `node`.
    fn eval_source(&self, source: &str, node: u32) -> String {
        let Ok(expr) = fieldline_xpath::parse(source) else {
            return String::new();
        };
        let ev = Ev(self);
        evaluate(&expr, &ev, node)
            .map(|v| v.into_string(&ev).into_owned())
            .unwrap_or_default()
    }

    /// Metadata values, set once when the instance is created (as ODK's preloads), except
    /// `end`, which is set when finalizing.
    fn preload(&mut self, created: &[u32]) {
        for &n in created {
            let def = self.nodes[n as usize].def as DefId;
            let Some((kind, params)) = self.plan.form.nodes[def].bind.preload.clone() else {
                continue;
            };
            let value = match (kind.as_str(), params.as_str()) {
                // ODK fills `end` when the form is finalized (see `finalize_time`).
                ("timestamp", "end") => continue,
                ("timestamp", _) => three_digit_millis(&self.eval_source("now()", n)),
                ("date", _) => self.eval_source("today()", n),
                ("uid", _) => match &self.env.instance_id {
                    Some(id) => format!("uuid:{id}"),
                    None => self.eval_source("concat('uuid:', uuid())", n),
                },
                ("property", "deviceid") => self.env.device_id.clone(),
                ("property", "username") => self.env.username.clone(),
                ("property", "email") => self.env.email.clone(),
                ("property", "phonenumber") => self.env.phone_number.clone(),
                _ => continue,
            };
            let value = self.plan.defs[def].normalize(&value);
            self.nodes[n as usize].value = value;
        }
    }
}

/// ODK writes timestamps with exactly three fraction digits (`10:00:00.500`, not `.5`).
fn three_digit_millis(stamp: &str) -> String {
    let Some(dot) = stamp.find('.') else {
        return stamp.to_string();
    };
    let digits = stamp[dot + 1..]
        .bytes()
        .take_while(u8::is_ascii_digit)
        .count();
    let mut out = stamp[..dot + 1 + digits.min(3)].to_string();
    out.extend(std::iter::repeat_n('0', 3usize.saturating_sub(digits)));
    out.push_str(&stamp[dot + 1 + digits..]);
    out
}

/// The language ODK's engine starts in: the translation pyxform marks as default (the form's
/// default language when it has texts in it), else the first.
pub fn odk_default_language(form: &Form) -> String {
    if form.languages.is_empty() || form.languages.contains(&form.default_language) {
        form.default_language.clone()
    } else {
        form.languages[0].clone()
    }
}
