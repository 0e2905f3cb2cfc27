//! The function library: names as written in forms, resolved once at parse time to [`Func`] so
//! evaluation never compares function names, with ODK's arities.
//!
//! Name resolution follows ODK Web Forms' `XFormsXPathEvaluator`: unprefixed names are looked up
//! in the Enketo, XForms and XPath libraries (in that order, so `format-date` is Enketo's alias of
//! `format-date-time`, and `round`/`number`/`position`/`concat` are the XForms overrides), while
//! `choice-name` and `itext` exist only with the `jr:` prefix.

/// A supported function, resolved from its written name.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum Func {
    // Booleans and control.
    True,
    False,
    Boolean,
    Not,
    BooleanFromString,
    If,
    Checklist,
    WeightedChecklist,
    // Node-sets and context.
    Count,
    CountNonEmpty,
    Current,
    Last,
    Position,
    LocalName,
    Name,
    IndexedRepeat,
    Instance,
    Once,
    Randomize,
    // Numbers.
    Number,
    Int,
    Sum,
    Floor,
    Ceiling,
    Round,
    Abs,
    Pow,
    Log,
    Log10,
    Exp,
    Exp10,
    Sqrt,
    Sin,
    Cos,
    Tan,
    Asin,
    Acos,
    Atan,
    Atan2,
    Pi,
    Min,
    Max,
    Random,
    // Strings.
    String,
    Concat,
    Join,
    Coalesce,
    Contains,
    StartsWith,
    EndsWith,
    Substring,
    Substr,
    SubstringBefore,
    SubstringAfter,
    StringLength,
    NormalizeSpace,
    Translate,
    Regex,
    Uuid,
    Digest,
    Base64Decode,
    Pulldata,
    // Selects and labels.
    Selected,
    SelectedAt,
    CountSelected,
    ChoiceName,
    Itext,
    // Dates.
    Today,
    Now,
    Date,
    DecimalDateTime,
    DecimalTime,
    FormatDate,
    FormatDateTime,
    // Geography.
    Area,
    Distance,
    Geofence,
}

/// Upper bound used for variadic functions.
const MANY: u8 = u8::MAX;

/// (written name, function, minimum arguments, maximum arguments)
const TABLE: &[(&str, Func, u8, u8)] = &[
    ("true", Func::True, 0, 0),
    ("false", Func::False, 0, 0),
    ("boolean", Func::Boolean, 1, 1),
    ("not", Func::Not, 1, 1),
    ("boolean-from-string", Func::BooleanFromString, 1, 1),
    ("if", Func::If, 3, 3),
    ("checklist", Func::Checklist, 2, MANY),
    ("weighted-checklist", Func::WeightedChecklist, 2, MANY),
    ("count", Func::Count, 1, 1),
    ("count-non-empty", Func::CountNonEmpty, 1, 1),
    ("current", Func::Current, 0, 0),
    ("last", Func::Last, 0, 0),
    ("position", Func::Position, 0, 1),
    ("local-name", Func::LocalName, 0, 1),
    ("name", Func::Name, 0, 1),
    ("indexed-repeat", Func::IndexedRepeat, 3, MANY),
    ("instance", Func::Instance, 1, 1),
    ("once", Func::Once, 1, 1),
    ("randomize", Func::Randomize, 1, 2),
    ("number", Func::Number, 0, 1),
    ("int", Func::Int, 1, 1),
    ("sum", Func::Sum, 1, 1),
    ("floor", Func::Floor, 1, 1),
    ("ceiling", Func::Ceiling, 1, 1),
    ("round", Func::Round, 1, 2),
    ("abs", Func::Abs, 1, 1),
    ("pow", Func::Pow, 2, 2),
    ("log", Func::Log, 1, 1),
    ("log10", Func::Log10, 1, 1),
    ("exp", Func::Exp, 1, 1),
    ("exp10", Func::Exp10, 1, 1),
    ("sqrt", Func::Sqrt, 1, 1),
    ("sin", Func::Sin, 1, 1),
    ("cos", Func::Cos, 1, 1),
    ("tan", Func::Tan, 1, 1),
    ("asin", Func::Asin, 1, 1),
    ("acos", Func::Acos, 1, 1),
    ("atan", Func::Atan, 1, 1),
    ("atan2", Func::Atan2, 2, 2),
    ("pi", Func::Pi, 0, 0),
    ("min", Func::Min, 0, MANY),
    ("max", Func::Max, 0, MANY),
    ("random", Func::Random, 0, 0),
    ("string", Func::String, 0, 1),
    ("concat", Func::Concat, 0, MANY),
    ("join", Func::Join, 1, MANY),
    ("coalesce", Func::Coalesce, 2, 2),
    ("contains", Func::Contains, 2, 2),
    ("starts-with", Func::StartsWith, 2, 2),
    ("ends-with", Func::EndsWith, 2, 2),
    ("substring", Func::Substring, 2, 3),
    ("substr", Func::Substr, 2, 3),
    ("substring-before", Func::SubstringBefore, 2, 2),
    ("substring-after", Func::SubstringAfter, 2, 2),
    ("string-length", Func::StringLength, 0, 1),
    ("normalize-space", Func::NormalizeSpace, 0, 1),
    ("translate", Func::Translate, 3, 3),
    ("regex", Func::Regex, 2, 2),
    ("uuid", Func::Uuid, 0, 1),
    ("digest", Func::Digest, 2, 3),
    ("base64-decode", Func::Base64Decode, 1, 1),
    ("pulldata", Func::Pulldata, 4, 4),
    ("selected", Func::Selected, 2, 2),
    ("selected-at", Func::SelectedAt, 2, 2),
    ("count-selected", Func::CountSelected, 1, 1),
    ("jr:choice-name", Func::ChoiceName, 2, 2),
    ("jr:itext", Func::Itext, 1, 1),
    ("today", Func::Today, 0, 0),
    ("now", Func::Now, 0, 0),
    ("date", Func::Date, 1, 1),
    // Enketo alias, resolvable unprefixed in ODK.
    ("date-time", Func::Date, 1, 1),
    ("decimal-date-time", Func::DecimalDateTime, 1, 1),
    ("decimal-time", Func::DecimalTime, 1, 1),
    // Unprefixed `format-date` resolves to Enketo's alias of `format-date-time` in ODK, so it
    // formats times too. `Func::FormatDate` (date fields only) is what `xf:format-date` means.
    ("format-date", Func::FormatDateTime, 2, 2),
    ("xf:format-date", Func::FormatDate, 2, 2),
    ("format-date-time", Func::FormatDateTime, 2, 2),
    ("area", Func::Area, 1, MANY),
    ("distance", Func::Distance, 1, MANY),
    ("geofence", Func::Geofence, 2, 2),
];

/// Resolve a function name as written in an expression. `None` if unsupported.
pub(crate) fn lookup(name: &str) -> Option<(Func, u8, u8)> {
    let find = |n: &str| {
        TABLE
            .iter()
            .find(|(written, ..)| *written == n)
            .map(|&(_, f, min, max)| (f, min, max))
    };
    if let Some(found) = find(name) {
        return Some(found);
    }
    // Explicit XPath/XForms/Enketo prefixes name the same functions ODK resolves unprefixed.
    let local = name
        .strip_prefix("fn:")
        .or_else(|| name.strip_prefix("xf:"))
        .or_else(|| name.strip_prefix("enk:"))?;
    if local.contains(':') {
        return None;
    }
    find(local)
}

/// Whether a function of this name (as written, e.g. `jr:choice-name`) can be evaluated.
///
/// The form reader refuses forms that call anything for which this returns `false`.
pub fn is_supported_function(name: &str) -> bool {
    lookup(name).is_some()
}

/// Functions ODK documents that this crate deliberately does not evaluate, with the reason.
/// Kept as data so the form reader can explain a refusal.
pub const UNSUPPORTED_FUNCTIONS: &[(&str, &str)] = &[
    (
        "encrypt-string",
        "not implemented by ODK Web Forms; AES-GCM would add a crypto dependency",
    ),
    (
        "decimal-date",
        "not in ODK's function library (use decimal-date-time)",
    ),
    (
        "lower-case",
        "not in ODK's function library (XPath 2.0 only)",
    ),
    (
        "upper-case",
        "not in ODK's function library (XPath 2.0 only)",
    ),
    (
        "id",
        "needs DTD-declared ID attributes, which XForm instances do not have",
    ),
    (
        "lang",
        "needs xml:lang attributes, which XForm instances do not carry",
    ),
    (
        "namespace-uri",
        "instances have no namespaces that forms could test",
    ),
];

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn odk_resolution_rules() {
        assert!(is_supported_function("jr:choice-name"));
        assert!(!is_supported_function("choice-name"));
        assert!(is_supported_function("jr:itext"));
        assert!(!is_supported_function("itext"));
        assert_eq!(lookup("format-date").unwrap().0, Func::FormatDateTime);
        assert_eq!(lookup("date-time").unwrap().0, Func::Date);
        assert_eq!(lookup("fn:concat").unwrap().0, Func::Concat);
        assert!(!is_supported_function("lower-case"));
        assert!(!is_supported_function("encrypt-string"));
        assert!(!is_supported_function("foo:concat"));
        for (name, _) in UNSUPPORTED_FUNCTIONS {
            assert!(!is_supported_function(name), "{name}");
        }
    }
}
