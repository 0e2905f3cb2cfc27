//! XPath values and the XPath 1.0 / ODK conversions between them.

/// Number to string as XPath 1.0 §4.2 prescribes: integers without a fractional part, no
/// exponent notation, `NaN`, `Infinity`, `-Infinity`, and `-0` as `0`.
///
/// Note: when *evaluating*, ODK converts NaN to the empty string instead (see
/// [`crate::value::odk_number_to_string`]); this function is the spec's rule, used for printing
/// expressions.
pub fn number_to_string(n: f64) -> String {
    if n.is_nan() {
        "NaN".to_string()
    } else {
        odk_number_to_string(n)
    }
}

/// Number to string as ODK's evaluator does it: like [`number_to_string`] but NaN (the result
/// of arithmetic on an empty answer) becomes the empty string.
pub fn odk_number_to_string(n: f64) -> String {
    if n.is_nan() {
        String::new()
    } else if n.is_infinite() {
        if n > 0.0 { "Infinity" } else { "-Infinity" }.to_string()
    } else if n == 0.0 {
        "0".to_string()
    } else {
        // Rust prints the shortest representation that round-trips, never with an exponent,
        // which is what XPath asks for; integers print without ".0".
        format!("{n}")
    }
}
