//! Reading XLSForms into a validated form model.
//!
//! ```no_run
//! use fieldline_form::{Attachments, Form};
//! let bytes = std::fs::read("form.xlsx").unwrap();
//! match Form::from_xlsform_named("form.xlsx", &bytes, &Attachments::new()) {
//!     Ok(form) => println!("{:?}", form.summary()),
//!     Err(errors) => eprintln!("{errors}"),
//! }
//! ```
//!
//! The library is pure: the caller passes the workbook's bytes and the attached files, so it
//! runs the same natively and in `wasm32-unknown-unknown`. The model mirrors what pyxform
//! would produce: node names, nesting and order match the primary instance of the XForm
//! pyxform generates (including `meta/instanceID`), so engine paths such as `/data/hh[2]/age`
//! agree with ODK's.

mod attachments;
mod cells;
mod choices;
mod csv;
mod draft;
mod entities;
mod expression;
mod fields;
mod form;
mod headers;
mod indicators;
pub mod instance;
mod model;
mod problems;
mod select;
mod settings;
mod survey;
mod translations;
mod types;
mod validate;
mod workbook;

pub use expression::{Expr, Expression, ParseError};
pub use form::{Attachments, Summary};
pub use model::{
    Bind, Choice, ChoiceList, ChoiceSource, Form, Indicator, Node, NodeId, NodeKind, Translations,
};
pub use problems::{Column, FormErrors, Problem};
pub use settings::Settings;
pub use types::{DataType, QuestionType};
pub use workbook::{detect_format, Format};
