//! Numeric functions, with ODK's rules: NaN passes straight through, `sum` and `min`/`max` of
//! nothing are NaN, `round` rounds half away from zero and takes a digits argument.

use super::strings::js_round;
use crate::ast::Expr;
use crate::context::Context;
use crate::dates::{self, DAY_MILLIS};
use crate::eval::{Evaluator, Focus, Res, V};
use crate::func::Func;
use crate::value::{DateValue, Value};

impl<'a, C: Context> Evaluator<'a, C> {
    pub(crate) fn number_function(
        &self,
        func: Func,
        args: &'a [Expr],
        f: Focus<C::Node>,
    ) -> Res<V<'a, C>> {
        let n = |i: usize| self.eval_number(&args[i], f);
        let num = |x: f64| Ok(Value::Number(x));
        // Unary Math functions: NaN in, NaN out, without calling into libm.
        let unary = |op: fn(f64) -> f64| -> Res<V<'a, C>> {
            let x = n(0)?;
            Ok(Value::Number(if x.is_nan() { x } else { op(x) }))
        };
        match func {
            Func::Number => self.number(args, f),
            Func::Int => unary(f64::trunc),
            Func::Sum => {
                let mut total: Option<f64> = None;
                for item in self.items(&args[0], f)? {
                    let x = item.to_number(self.ctx);
                    if x.is_nan() {
                        return num(f64::NAN);
                    }
                    total = Some(total.map_or(x, |t| t + x));
                }
                num(total.unwrap_or(f64::NAN))
            }
            Func::Floor => unary(f64::floor),
            Func::Ceiling => unary(f64::ceil),
            Func::Round => {
                let x = n(0)?;
                if x.is_nan() {
                    return num(x);
                }
                let digits = match args.get(1) {
                    Some(_) => n(1)?,
                    None => 0.0,
                };
                if digits.is_nan() {
                    return num(f64::NAN);
                }
                let sign = if x < 0.0 { -1.0 } else { 1.0 };
                let scale = 10f64.powf(digits);
                num(js_round(x.abs() * scale) / scale * sign)
            }
            Func::Abs => unary(f64::abs),
            Func::Pow => {
                let (x, y) = (n(0)?, n(1)?);
                // JavaScript: (±1) ** ±Infinity is NaN, where Rust says 1.
                if x.is_nan() || y.is_nan() || (x.abs() == 1.0 && y.is_infinite()) {
                    return num(f64::NAN);
                }
                num(x.powf(y))
            }
            Func::Log => unary(f64::ln),
            Func::Log10 => unary(f64::log10),
            Func::Exp => unary(f64::exp),
            Func::Exp10 => num(10f64.powf(n(0)?)),
            Func::Sqrt => unary(f64::sqrt),
            Func::Sin => unary(f64::sin),
            Func::Cos => unary(f64::cos),
            Func::Tan => unary(f64::tan),
            Func::Asin => unary(f64::asin),
            Func::Acos => unary(f64::acos),
            Func::Atan => unary(f64::atan),
            Func::Atan2 => {
                let y = n(0)?;
                if y.is_nan() {
                    return num(y);
                }
                num(y.atan2(n(1)?))
            }
            Func::Pi => num(std::f64::consts::PI),
            Func::Random => num(self.ctx.random()),
            Func::Min | Func::Max => {
                let mut best: Option<f64> = None;
                for arg in args {
                    for item in self.items(arg, f)? {
                        let x = item.to_number(self.ctx);
                        if x.is_nan() {
                            return num(f64::NAN);
                        }
                        best = Some(match best {
                            None => x,
                            Some(b) if func == Func::Min => b.min(x),
                            Some(b) => b.max(x),
                        });
                    }
                }
                num(best.unwrap_or(f64::NAN))
            }
            _ => unreachable!("{func:?} is dispatched elsewhere"),
        }
    }

    /// ODK's `number()`: a date or date-time string becomes a date value (numerically days
    /// since the epoch, written as the whole day count); numbers pass through unchanged.
    fn number(&self, args: &'a [Expr], f: Focus<C::Node>) -> Res<V<'a, C>> {
        let v = self.arg_or_context(args, f)?;
        if let Value::NodeSet(_) | Value::String(_) = v {
            let s = v.to_str(self.ctx);
            if let Some(ms) = dates::parse_date_time(self.ctx, &s) {
                let days = ms / DAY_MILLIS;
                return Ok(Value::Date(DateValue {
                    days,
                    truthy: true,
                    text: crate::value::odk_number_to_string(days.floor()),
                }));
            }
        }
        if v.is_numeric() {
            return Ok(v);
        }
        let x = v.to_number(self.ctx);
        Ok(Value::Number(x))
    }
}
