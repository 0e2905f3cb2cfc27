//! "Did you mean" for unknown types.

/// The documented type names, for "did you mean" suggestions.
pub const DOCUMENTED_TYPES: &[&str] = &[
    "text",
    "integer",
    "decimal",
    "select_one",
    "select_multiple",
    "select_one_from_file",
    "select_multiple_from_file",
    "rank",
    "range",
    "note",
    "date",
    "time",
    "dateTime",
    "geopoint",
    "geotrace",
    "geoshape",
    "image",
    "audio",
    "background-audio",
    "video",
    "file",
    "barcode",
    "acknowledge",
    "calculate",
    "hidden",
    "start",
    "end",
    "today",
    "deviceid",
    "username",
    "phonenumber",
    "email",
    "audit",
    "start-geopoint",
    "begin_group",
    "end_group",
    "begin_repeat",
    "end_repeat",
    "xml-external",
    "csv-external",
];

/// The closest documented type to a misspelling.
pub fn suggest(spelling: &str) -> Option<&'static str> {
    let lower = spelling.to_lowercase();
    // Compare begin/end rows whole ("begin grup"), other types by their first word
    // ("select_on list").
    let lower = if lower.starts_with("begin") || lower.starts_with("end") {
        lower.split_whitespace().collect::<Vec<_>>().join("_")
    } else {
        lower
            .split_whitespace()
            .next()
            .unwrap_or_default()
            .to_string()
    };
    DOCUMENTED_TYPES
        .iter()
        .map(|t| (strsim::damerau_levenshtein(&lower, &t.to_lowercase()), *t))
        .filter(|(d, t)| *d <= 3.max(t.len() / 3))
        .min_by_key(|(d, _)| *d)
        .map(|(_, t)| t)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn suggestions() {
        assert_eq!(suggest("intger"), Some("integer"));
        assert_eq!(suggest("Integer"), Some("integer"));
        assert_eq!(suggest("select_on"), Some("select_one"));
        assert_eq!(suggest("begin grup"), Some("begin_group"));
    }
}
