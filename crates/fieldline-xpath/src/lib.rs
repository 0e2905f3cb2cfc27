//! Fieldline's XPath engine: the XLSForm/ODK dialect of XPath 1.0.
//!
//! Pure (no I/O, threads or clock: the [`Context`] supplies time, time zone and randomness),
//! so it runs the same in the UI (wasm), on the device store and on the server. Semantics
//! follow ODK Web Forms' evaluator (`@getodk/xpath`), including its deviations from XPath 1.0
//! (listed below), because forms must behave exactly as in ODK.
//!
//! ```
//! let expr = fieldline_xpath::parse("${a} = 'yes' and ${b} > 3").unwrap();
//! assert_eq!(expr.field_refs(), vec!["a", "b"]);
//! ```
//!
//! # Not supported
//! [`is_supported_function`] returns `false` for these, and the form reader refuses forms using
//! them (see [`UNSUPPORTED_FUNCTIONS`] for the reasons as data):
//! - `encrypt-string`: not implemented by ODK Web Forms either; would need AES-GCM.
//! - `decimal-date`, `lower-case`, `upper-case`: not in ODK's function library.
//! - `id`, `lang`, `namespace-uri`: need DTD IDs, `xml:lang` or namespaces, which form
//!   instances do not have.
//! - XPath variables (`$x`) parse but fail to evaluate: forms have none.
//! - `text()`, `comment()` and `processing-instruction()` node tests select nothing: the
//!   [`Context`] exposes elements (and optionally attributes) with values, not text nodes.
//! - `regex()` uses Rust's `regex` syntax, which lacks JavaScript's backreferences and
//!   lookaround; such a pattern is an evaluation error.
//!
//! # ODK semantics worth knowing (deliberately reproduced)
//! - NaN converts to the empty string (XPath says `"NaN"`), so `${a} + ${b}` with an empty
//!   answer stores "". [`value::number_to_string`] is the XPath rule, for printing.
//! - Strings convert to numbers as JavaScript's `Number()` (`" 12 "`, `"1e3"`, `"0x10"`) except
//!   that "" is NaN, and ISO dates convert to days since 1970-01-01 as an instant in the
//!   context's time zone (so `'2024-01-02' > '2024-01-01'`).
//! - `sum()`, `min()`, `max()` of an empty node-set are NaN (XPath: `sum` is 0).
//! - `today()`, `now()`, `date()` yield a number whose string value is an ISO date/date-time.
//! - `substring-after` skips one character past the match start rather than the needle's
//!   length; `substring` swaps reversed bounds; `normalize-space` keeps single tabs; `%a` is
//!   empty on Sundays; string lengths count UTF-16 units.
//! - `concat()` and `join()` flatten node-sets (`concat(${repeated})` joins every instance).
//! - `format-date` unprefixed is Enketo's alias of `format-date-time` (formats times too).
//! - `jr:choice-name(value, 'path')` takes the select's path as a *string* and evaluates it.

mod ast;
mod axes;
mod context;
mod dates;
mod error;
mod eval;
mod func;
mod functions;
mod lexer;
mod parser;
pub mod value;

pub use ast::{Axis, BinOp, Expr, NodeTest, Path, PathStart, Step};
pub use context::{Context, NodeSet};
pub use dates::civil_from_days;
pub use error::{EvalError, ParseError};
pub use eval::{evaluate, evaluate_boolean, evaluate_in, evaluate_string, Focus};
pub use func::{is_supported_function, Func, UNSUPPORTED_FUNCTIONS};
pub use parser::{parse, MAX_DEPTH, MAX_NESTING};
pub use value::{DateValue, Value};
