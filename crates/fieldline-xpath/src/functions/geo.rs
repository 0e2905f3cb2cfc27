//! `area`, `distance` and `geofence` over ODK geo values: points as `lat lon [alt [acc]]`,
//! traces and shapes as points separated by `;`. Results are rounded to centimetres as ODK
//! does, using its spherical Earth radius.

use crate::ast::Expr;
use crate::context::Context;
use crate::error::EvalError;
use crate::eval::{Evaluator, Focus, Res, V};
use crate::func::Func;
use crate::value::Value;

const EARTH_RADIUS_M: f64 = 6_378_100.0;

#[derive(Debug, Clone, Copy, PartialEq)]
struct Point {
    lat: f64,
    lon: f64,
}

fn parse_point(s: &str) -> Option<Point> {
    let parts: Vec<&str> = s.split_whitespace().collect();
    if !(2..=4).contains(&parts.len()) {
        return None;
    }
    let lat = crate::value::js_number(parts[0]);
    let lon = crate::value::js_number(parts[1]);
    // NaN fails these comparisons in JavaScript too, so NaN coordinates pass through.
    if lat.abs() > 90.0 || lon.abs() > 180.0 {
        return None;
    }
    Some(Point { lat, lon })
}

/// A trace from one `;`-separated value, or from several values that are each a point.
fn parse_trace(values: &[String]) -> Option<Vec<Point>> {
    let points: Option<Vec<Point>> = match values {
        [] => return None,
        [one] => {
            let t = one.trim();
            let t = t.trim_end_matches(|c: char| c == ';' || c.is_whitespace());
            t.split(';').map(|p| parse_point(p.trim())).collect()
        }
        many => many.iter().map(|p| parse_point(p)).collect(),
    };
    points.filter(|p| p.len() >= 2)
}

fn to_cm(x: f64) -> f64 {
    if x == 0.0 {
        0.0
    } else {
        (super::strings::js_round(x * 100.0) / 100.0).abs()
    }
}

impl<'a, C: Context> Evaluator<'a, C> {
    pub(crate) fn geo_function(
        &self,
        func: Func,
        args: &'a [Expr],
        f: Focus<C::Node>,
    ) -> Res<V<'a, C>> {
        let mut values = Vec::new();
        self.item_strings(args, f, &mut values)?;
        let values: Vec<String> = values.into_iter().map(|v| v.into_owned()).collect();
        match func {
            Func::Area => {
                let points = parse_trace(&values).unwrap_or_default();
                Ok(Value::Number(to_cm(area(&points))))
            }
            Func::Distance => {
                let points = parse_trace(&values).ok_or_else(|| {
                    EvalError::func("distance", "the argument is not a valid geopoint list")
                })?;
                let total: f64 = points.windows(2).map(|w| distance(w[0], w[1])).sum();
                Ok(Value::Number(to_cm(total)))
            }
            Func::Geofence => Ok(Value::Boolean(geofence(&values))),
            _ => unreachable!("{func:?} is dispatched elsewhere"),
        }
    }
}

fn rad(d: f64) -> f64 {
    d * std::f64::consts::PI / 180.0
}

/// Spherical polygon area (the formula ODK uses), closing the ring if needed.
fn area(points: &[Point]) -> f64 {
    if points.len() < 2 {
        return 0.0;
    }
    let mut ring = points.to_vec();
    if points[0] != points[points.len() - 1] {
        ring.push(points[0]);
    }
    let total: f64 = ring
        .windows(2)
        .map(|w| rad(w[1].lon - w[0].lon) * (2.0 + rad(w[1].lat).sin() + rad(w[0].lat).sin()))
        .sum();
    total * EARTH_RADIUS_M * EARTH_RADIUS_M / 2.0
}

/// Great-circle distance by the spherical law of cosines.
fn distance(a: Point, b: Point) -> f64 {
    let dl = rad(a.lon - b.lon);
    let (p0, p1) = (rad(a.lat), rad(b.lat));
    (p0.sin() * p1.sin() + p0.cos() * p1.cos() * dl.cos()).acos() * EARTH_RADIUS_M
}

/// Point in a closed geoshape by ray casting (PNPOLY); an open or degenerate shape is false.
fn geofence(values: &[String]) -> bool {
    let (Some(point), Some(shape)) = (values.first(), values.get(1)) else {
        return false;
    };
    let (Some(p), Some(poly)) = (parse_point(point), parse_trace(std::slice::from_ref(shape)))
    else {
        return false;
    };
    if poly[0] != poly[poly.len() - 1] {
        return false;
    }
    let mut inside = false;
    for w in poly.windows(2) {
        let (a, b) = (w[0], w[1]);
        if (b.lat > p.lat) != (a.lat > p.lat)
            && p.lon < (a.lon - b.lon) * (p.lat - b.lat) / (a.lat - b.lat) + b.lon
        {
            inside = !inside;
        }
    }
    inside
}
