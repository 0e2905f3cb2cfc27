//! Reading XLSForms into a validated form model.
//!
//! ```no_run
//! # #[cfg(feature = "xlsform")] {
//! use fieldline_form::{Attachments, Form};
//! let bytes = std::fs::read("form.xlsx").unwrap();
//! match Form::from_xlsform_named("form.xlsx", &bytes, &Attachments::new()) {
//!     Ok(form) => println!("{:?}", form.summary()),
//!     Err(errors) => eprintln!("{errors}"),
//! }
//! # }
//! ```
//!
//! Reading workbooks is the default `xlsform` feature (`Form::from_xlsform*`, `Attachments`,
//! `detect_format`, and the `calamine` dependency). Without it the crate keeps the model and
//! its serde, expressions and the [`instance`] engine, for callers that receive forms already
//! parsed (as JSON, say), such as the field app's wasm UI.
//!
//! The library is pure: the caller passes the workbook's bytes and the attached files, so it
//! runs the same natively and in `wasm32-unknown-unknown`. The model mirrors what pyxform
//! would produce: node names, nesting and order match the primary instance of the XForm
//! pyxform generates (including `meta/instanceID`), so engine paths such as `/data/hh[2]/age`
//! agree with ODK's.

#[cfg(feature = "xlsform")]
mod attachments;
#[cfg(feature = "xlsform")]
mod cells;
#[cfg(feature = "xlsform")]
mod choices;
#[cfg(feature = "xlsform")]
mod csv;
#[cfg(feature = "xlsform")]
mod draft;
#[cfg(feature = "xlsform")]
mod entities;
mod expression;
mod fields;
mod form;
#[cfg(feature = "xlsform")]
mod headers;
#[cfg(feature = "xlsform")]
mod indicators;
pub mod instance;
mod model;
mod problems;
#[cfg(feature = "xlsform")]
mod select;
mod settings;
#[cfg(feature = "xlsform")]
mod survey;
mod translations;
mod types;
#[cfg(feature = "xlsform")]
mod validate;
#[cfg(feature = "xlsform")]
mod workbook;
#[cfg(feature = "xlsform")]
mod xls_guard;

pub use expression::{Expr, Expression, ParseError};
#[cfg(feature = "xlsform")]
pub use form::Attachments;
pub use form::Summary;
pub use model::{
    Bind, Choice, ChoiceList, ChoiceSource, Form, Indicator, Node, NodeId, NodeKind, Translations,
};
pub use problems::{column_letter, Column, FormErrors, Problem};
pub use settings::Settings;
pub use types::{DataType, QuestionType};
#[cfg(feature = "xlsform")]
pub use workbook::{detect_format, Format, MAX_SHEET_CELLS};
