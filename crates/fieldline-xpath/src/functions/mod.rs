//! Function dispatch. Each family lives in its own module; arguments are evaluated lazily by
//! the implementations (so `if()` and `coalesce()` only evaluate the branch they need).

mod datetime;
mod geo;
mod hash;
mod nodes;
mod numbers;
mod strings;

use std::borrow::Cow;

use crate::ast::Expr;
use crate::context::Context;
use crate::eval::{Evaluator, Focus, Res, V};
use crate::func::Func;
use crate::value::Value;

impl<'a, C: Context> Evaluator<'a, C> {
    pub(crate) fn call(&self, func: Func, args: &'a [Expr], f: Focus<C::Node>) -> Res<V<'a, C>> {
        use Func::*;
        match func {
            True => Ok(Value::Boolean(true)),
            False => Ok(Value::Boolean(false)),
            Boolean => Ok(Value::Boolean(self.eval_bool(&args[0], f)?)),
            Not => Ok(Value::Boolean(!self.eval_bool(&args[0], f)?)),
            If => {
                let branch = if self.eval_bool(&args[0], f)? { 1 } else { 2 };
                self.eval(&args[branch], f)
            }
            BooleanFromString => {
                let s = self.eval_string(&args[0], f)?;
                Ok(Value::Boolean(s == "1" || s == "true"))
            }
            Checklist | WeightedChecklist => self.checklist(func, args, f),
            Count | CountNonEmpty | Current | Last | Position | LocalName | Name
            | IndexedRepeat | Instance | Once | Randomize => self.node_function(func, args, f),
            Selected | SelectedAt | CountSelected | ChoiceName | Itext => {
                self.select_function(func, args, f)
            }
            Number | Int | Sum | Floor | Ceiling | Round | Abs | Pow | Log | Log10 | Exp
            | Exp10 | Sqrt | Sin | Cos | Tan | Asin | Acos | Atan | Atan2 | Pi | Min | Max
            | Random => self.number_function(func, args, f),
            Today | Now | Date | DecimalDateTime | DecimalTime | FormatDate | FormatDateTime => {
                self.date_function(func, args, f)
            }
            Area | Distance | Geofence => self.geo_function(func, args, f),
            Digest => self.digest(args, f),
            _ => self.string_function(func, args, f),
        }
    }

    /// The argument or, when omitted, the context node (XPath's `string()` = `string(.)`).
    pub(crate) fn arg_or_context(&self, args: &'a [Expr], f: Focus<C::Node>) -> Res<V<'a, C>> {
        match args.first() {
            Some(e) => self.eval(e, f),
            None => Ok(Value::NodeSet(smallvec::smallvec![f.node])),
        }
    }

    /// Every item's string: each node of a node-set, or the value itself (ODK's `toStrings`).
    pub(crate) fn item_strings(
        &self,
        args: &'a [Expr],
        f: Focus<C::Node>,
        out: &mut Vec<Cow<'a, str>>,
    ) -> Res<()> {
        for arg in args {
            match self.eval(arg, f)? {
                Value::NodeSet(nodes) => {
                    out.extend(nodes.iter().map(|&n| self.ctx.string_value(n)));
                }
                other => out.push(other.into_string(self.ctx)),
            }
        }
        Ok(())
    }

    /// Every item's value: each node of a node-set as a one-node set, or the value itself.
    pub(crate) fn items(&self, e: &'a Expr, f: Focus<C::Node>) -> Res<Vec<V<'a, C>>> {
        Ok(match self.eval(e, f)? {
            Value::NodeSet(nodes) => nodes
                .iter()
                .map(|&n| Value::NodeSet(smallvec::smallvec![n]))
                .collect(),
            other => vec![other],
        })
    }
}
