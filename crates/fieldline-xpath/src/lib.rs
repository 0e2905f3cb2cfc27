//! Fieldline's XPath engine: the XLSForm/ODK dialect of XPath 1.0.
//!
//! Pure (no I/O, threads or clock), so it runs the same in the UI (wasm), on the device store
//! and on the server. Semantics follow ODK Web Forms' evaluator (`@getodk/xpath`).
//!
//! ```
//! let expr = fieldline_xpath::parse("${a} = 'yes' and ${b} > 3").unwrap();
//! assert_eq!(expr.field_refs(), vec!["a", "b"]);
//! ```

mod ast;
mod error;
mod func;
mod lexer;
mod parser;
pub mod value;

pub use ast::{Axis, BinOp, Expr, NodeTest, Path, PathStart, Step};
pub use error::{EvalError, ParseError};
pub use func::{is_supported_function, Func, UNSUPPORTED_FUNCTIONS};
pub use parser::parse;
