//! Date functions (see `crate::dates` for ODK's representation of dates).

use std::borrow::Cow;

use crate::ast::Expr;
use crate::context::Context;
use crate::dates::{self, DAY_MILLIS};
use crate::error::EvalError;
use crate::eval::{Evaluator, Focus, Res, V};
use crate::func::Func;
use crate::value::{DateValue, Value};

impl<'a, C: Context> Evaluator<'a, C> {
    pub(crate) fn date_function(
        &self,
        func: Func,
        args: &'a [Expr],
        f: Focus<C::Node>,
    ) -> Res<V<'a, C>> {
        let ctx = self.ctx;
        match func {
            Func::Now => Ok(Value::Date(DateValue::at(ctx, Some(ctx.now_millis())))),
            Func::Today => {
                let now = ctx.now_millis();
                let l = dates::to_local(ctx, now);
                let midnight = dates::days_from_civil(l.year, l.month, l.day) as f64 * DAY_MILLIS;
                Ok(Value::Date(DateValue::at(
                    ctx,
                    Some(dates::from_local(ctx, midnight)),
                )))
            }
            Func::Date => {
                let v = self.eval(&args[0], f)?;
                match &v {
                    Value::Boolean(_) => return Ok(Value::String(Cow::Borrowed(""))),
                    Value::NodeSet(_) | Value::String(_) => {
                        let s = v.to_str(ctx);
                        if s.is_empty() {
                            return Ok(Value::String(Cow::Borrowed("")));
                        }
                        if !has_date_prefix(&s) {
                            // ODK pads an unpadded month/day (2024-1-5) before parsing.
                            let padded = pad_month_day(&s);
                            let ms = padded.and_then(|p| dates::parse_date_time(ctx, &p));
                            return Ok(Value::Date(DateValue::at(ctx, ms)));
                        }
                    }
                    _ => {}
                }
                let ms = self.instant_of(&v)?;
                Ok(Value::Date(DateValue::at(ctx, ms)))
            }
            Func::DecimalDateTime => {
                let v = self.eval(&args[0], f)?;
                Ok(Value::Number(
                    self.instant_of(&v)?.map_or(f64::NAN, |ms| ms / DAY_MILLIS),
                ))
            }
            Func::DecimalTime => {
                let s = self.eval_string(&args[0], f)?;
                Ok(Value::Number(dates::decimal_time(ctx, &s)))
            }
            Func::FormatDate | Func::FormatDateTime => {
                let value = self.eval_string(&args[0], f)?;
                let pattern = self.eval_string(&args[1], f)?;
                let Some(ms) = dates::parse_date_time(ctx, &value) else {
                    return Ok(Value::String(Cow::Borrowed("")));
                };
                let local = dates::to_local(ctx, ms);
                let with_time = func == Func::FormatDateTime;
                Ok(Value::String(Cow::Owned(dates::format_pattern(
                    &local, &pattern, with_time,
                ))))
            }
            _ => unreachable!("{func:?} is dispatched elsewhere"),
        }
    }

    /// ODK's `evaluateDateTime`: numbers are days since the epoch, strings ISO dates.
    fn instant_of(&self, v: &V<'a, C>) -> Res<Option<f64>> {
        match v {
            Value::Number(_) | Value::Date(_) => {
                let days = v.to_number(self.ctx);
                Ok((!days.is_nan()).then(|| (days * DAY_MILLIS).round()))
            }
            Value::Boolean(_) => Err(EvalError::func(
                "date",
                "expected a number or string for date-time conversion, got a boolean",
            )),
            _ => Ok(dates::parse_date_time(self.ctx, &v.to_str(self.ctx))),
        }
    }
}

/// ODK's DATE_OR_DATE_TIME_PATTERN is effectively `^\d{4}-\d{2}-\d{2}`: its time part is
/// optional and the pattern is not anchored at the end.
fn has_date_prefix(s: &str) -> bool {
    let b = s.as_bytes();
    let d = |r: std::ops::Range<usize>| b.get(r).is_some_and(|x| x.iter().all(u8::is_ascii_digit));
    d(0..4) && b.get(4) == Some(&b'-') && d(5..7) && b.get(7) == Some(&b'-') && d(8..10)
}

/// `YYYY-M-D[Trest]` → `YYYY-MM-DD[Trest]`, or `None` when not of that shape.
fn pad_month_day(s: &str) -> Option<String> {
    let (date, rest) = match s.find('T') {
        Some(i) => (&s[..i], &s[i..]),
        None => (s, ""),
    };
    let mut parts = date.split('-');
    let (y, m, d) = (parts.next()?, parts.next()?, parts.next()?);
    let ok = |p: &str, max: usize| {
        !p.is_empty() && p.len() <= max && p.bytes().all(|c| c.is_ascii_digit()) && p != "0"
    };
    if parts.next().is_some()
        || y.len() != 4
        || !y.bytes().all(|c| c.is_ascii_digit())
        || !ok(m, 2)
        || !ok(d, 2)
    {
        return None;
    }
    Some(format!("{y}-{m:0>2}-{d:0>2}{rest}"))
}
