//! The app's own words (buttons, titles, messages; not the form's questions), in the enumerator's
//! language, through Fluent. The messages live in `ui/locales/<code>/fieldline.ftl` and are built
//! into the binary. A message missing in a language falls back to English; one missing in English
//! too shows its id, which the tests below keep out of the screens.

use std::cell::RefCell;
use std::fmt;
use std::rc::Rc;

use fluent_bundle::{FluentArgs, FluentBundle, FluentResource, FluentValue};
use unic_langid::LanguageIdentifier;

/// A language the app's own words are written in.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum AppLanguage {
    English,
    Hindi,
}

impl AppLanguage {
    pub const ALL: [AppLanguage; 2] = [AppLanguage::English, AppLanguage::Hindi];

    /// The BCP 47 language code: "en", "hi".
    pub fn code(self) -> &'static str {
        match self {
            AppLanguage::English => "en",
            AppLanguage::Hindi => "hi",
        }
    }

    /// The language of a code such as "hi", "hi-IN" or "en_US" (case does not matter).
    pub fn from_code(code: &str) -> Option<Self> {
        let primary = code
            .trim()
            .split(['-', '_'])
            .next()
            .unwrap_or_default()
            .to_ascii_lowercase();
        AppLanguage::ALL
            .into_iter()
            .find(|language| language.code() == primary)
    }

    /// The language's name in itself, for the language picker.
    pub fn native_name(self) -> &'static str {
        match self {
            AppLanguage::English => "English",
            AppLanguage::Hindi => "हिन्दी",
        }
    }

    /// The messages of this language, as written in its .ftl file.
    fn source(self) -> &'static str {
        match self {
            AppLanguage::English => include_str!("../locales/en/fieldline.ftl"),
            AppLanguage::Hindi => include_str!("../locales/hi/fieldline.ftl"),
        }
    }
}

type Bundle = FluentBundle<FluentResource>;

/// One language's messages, ready to format.
fn build_bundle(language: AppLanguage) -> Bundle {
    let langid: LanguageIdentifier = language
        .code()
        .parse()
        .expect("every AppLanguage code is a valid language identifier");
    // A parse error drops only the broken entry; the tests make sure there is none.
    let resource = FluentResource::try_new(language.source().to_owned())
        .unwrap_or_else(|(partial, _errors)| partial);
    let mut bundle = FluentBundle::new(vec![langid]);
    // Isolation marks around placeables would show up as stray characters in the webview.
    bundle.set_use_isolating(false);
    // Only an id defined twice fails here, and the first definition is kept.
    let _ = bundle.add_resource(resource);
    bundle
}

thread_local! {
    /// Built bundles, one per language: the .ftl files are parsed once per page load.
    static BUNDLES: RefCell<Vec<(AppLanguage, Rc<Bundle>)>> = const { RefCell::new(Vec::new()) };
}

fn bundle(language: AppLanguage) -> Rc<Bundle> {
    BUNDLES.with(|bundles| {
        if let Some((_, built)) = bundles.borrow().iter().find(|(l, _)| *l == language) {
            return Rc::clone(built);
        }
        let built = Rc::new(build_bundle(language));
        bundles.borrow_mut().push((language, Rc::clone(&built)));
        built
    })
}

/// A value for a message's variable.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Arg<'a> {
    Str(&'a str),
    /// Formats as a number, so plural selectors pick the right variant.
    Num(i64),
}

impl<'a> From<&'a str> for Arg<'a> {
    fn from(value: &'a str) -> Self {
        Arg::Str(value)
    }
}

impl<'a> From<&'a String> for Arg<'a> {
    fn from(value: &'a String) -> Self {
        Arg::Str(value)
    }
}

impl From<i64> for Arg<'_> {
    fn from(value: i64) -> Self {
        Arg::Num(value)
    }
}

impl From<i32> for Arg<'_> {
    fn from(value: i32) -> Self {
        Arg::Num(value.into())
    }
}

impl From<u32> for Arg<'_> {
    fn from(value: u32) -> Self {
        Arg::Num(value.into())
    }
}

impl From<u64> for Arg<'_> {
    fn from(value: u64) -> Self {
        Arg::Num(i64::try_from(value).unwrap_or(i64::MAX))
    }
}

impl From<usize> for Arg<'_> {
    fn from(value: usize) -> Self {
        Arg::Num(i64::try_from(value).unwrap_or(i64::MAX))
    }
}

/// The app's words in one language. Cheap to clone (Rc inside); PartialEq compares the language.
#[derive(Clone)]
pub struct Texts {
    language: AppLanguage,
    /// The language's own bundle, then English for what it lacks.
    bundles: Rc<[Rc<Bundle>]>,
}

impl PartialEq for Texts {
    fn eq(&self, other: &Self) -> bool {
        self.language == other.language
    }
}

impl fmt::Debug for Texts {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Texts")
            .field("language", &self.language)
            .finish_non_exhaustive()
    }
}

impl Texts {
    pub fn new(language: AppLanguage) -> Self {
        let mut bundles = vec![bundle(language)];
        if language != AppLanguage::English {
            bundles.push(bundle(AppLanguage::English));
        }
        Texts {
            language,
            bundles: bundles.into(),
        }
    }

    pub fn language(&self) -> AppLanguage {
        self.language
    }

    /// The message `id` with no arguments.
    pub fn t(&self, id: &str) -> String {
        self.format(id, None)
    }

    /// The message `id` with named arguments; numbers format as numbers (plural selectors work).
    pub fn t_args(&self, id: &str, args: &[(&str, Arg)]) -> String {
        let mut fluent_args = FluentArgs::with_capacity(args.len());
        for (name, value) in args {
            match *value {
                Arg::Str(text) => fluent_args.set(*name, FluentValue::from(text)),
                Arg::Num(number) => fluent_args.set(*name, FluentValue::from(number)),
            }
        }
        self.format(id, Some(&fluent_args))
    }

    fn format(&self, id: &str, args: Option<&FluentArgs>) -> String {
        for bundle in self.bundles.iter() {
            let Some(pattern) = bundle.get_message(id).and_then(|message| message.value()) else {
                continue;
            };
            // A missing variable shows as `{$name}` in place; still the best text there is.
            let mut errors = Vec::new();
            return bundle
                .format_pattern(pattern, args, &mut errors)
                .into_owned();
        }
        id.to_owned()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use fluent_syntax::ast;
    use std::collections::{BTreeMap, BTreeSet};
    use std::path::Path;

    /// Hindi messages that are rightly the same as the English ones.
    const SAME_IN_HINDI: &[&str] = &[
        // The product's name.
        "app-title",
        // Only the form's label and a number: "{ $label } { $position }".
        "repeat-item",
    ];

    /// Variables that always hold numbers.
    const NUMERIC_VARIABLES: &[&str] = &[
        "count",
        "current",
        "drafts",
        "finalized",
        "not_sent",
        "position",
        "seq",
        "total",
    ];

    fn line_of(source: &str, byte: usize) -> usize {
        source[..byte.min(source.len())].matches('\n').count() + 1
    }

    fn parsed(language: AppLanguage) -> ast::Resource<&'static str> {
        fluent_syntax::parser::parse(language.source()).unwrap_or_else(|(_, errors)| {
            let described: Vec<String> = errors
                .iter()
                .map(|e| format!("line {}: {e}", line_of(language.source(), e.pos.start)))
                .collect();
            panic!(
                "locales/{}/fieldline.ftl does not parse:\n{}",
                language.code(),
                described.join("\n")
            )
        })
    }

    /// Every message of a language with the variables its value uses, and whether each one is
    /// a plural selector.
    fn messages(language: AppLanguage) -> BTreeMap<String, BTreeMap<String, bool>> {
        let mut found = BTreeMap::new();
        for entry in parsed(language).body {
            match entry {
                ast::Entry::Message(message) => {
                    let id = message.id.name.to_owned();
                    let value = message
                        .value
                        .unwrap_or_else(|| panic!("{}: {id} has no value", language.code()));
                    let mut variables = BTreeMap::new();
                    pattern_variables(&value, &mut variables);
                    assert!(
                        found.insert(id.clone(), variables).is_none(),
                        "{}: {id} is defined twice",
                        language.code()
                    );
                }
                ast::Entry::Junk { content } => {
                    panic!("{}: unparsable text {content:?}", language.code())
                }
                _ => {}
            }
        }
        found
    }

    fn pattern_variables(pattern: &ast::Pattern<&str>, out: &mut BTreeMap<String, bool>) {
        for element in &pattern.elements {
            if let ast::PatternElement::Placeable { expression } = element {
                expression_variables(expression, out);
            }
        }
    }

    fn expression_variables(expression: &ast::Expression<&str>, out: &mut BTreeMap<String, bool>) {
        match expression {
            ast::Expression::Select { selector, variants } => {
                if let ast::InlineExpression::VariableReference { id } = selector {
                    out.insert(id.name.to_owned(), true);
                } else {
                    inline_variables(selector, out);
                }
                for variant in variants {
                    pattern_variables(&variant.value, out);
                }
            }
            ast::Expression::Inline(inline) => inline_variables(inline, out),
        }
    }

    fn inline_variables(inline: &ast::InlineExpression<&str>, out: &mut BTreeMap<String, bool>) {
        match inline {
            ast::InlineExpression::VariableReference { id } => {
                out.entry(id.name.to_owned()).or_insert(false);
            }
            ast::InlineExpression::FunctionReference { arguments, .. }
            | ast::InlineExpression::TermReference {
                arguments: Some(arguments),
                ..
            } => {
                for argument in &arguments.positional {
                    inline_variables(argument, out);
                }
                for argument in &arguments.named {
                    inline_variables(&argument.value, out);
                }
            }
            ast::InlineExpression::Placeable { expression } => {
                expression_variables(expression, out)
            }
            _ => {}
        }
    }

    #[test]
    fn both_ftl_files_parse_without_errors() {
        for language in AppLanguage::ALL {
            parsed(language);
            if let Err((_, errors)) = FluentResource::try_new(language.source().to_owned()) {
                panic!("{}: {errors:?}", language.code());
            }
        }
    }

    #[test]
    fn every_language_defines_the_same_messages_with_the_same_variables() {
        let english = messages(AppLanguage::English);
        for language in AppLanguage::ALL {
            let other = messages(language);
            let missing: Vec<&String> = english
                .keys()
                .filter(|id| !other.contains_key(*id))
                .collect();
            let extra: Vec<&String> = other
                .keys()
                .filter(|id| !english.contains_key(*id))
                .collect();
            assert!(
                missing.is_empty() && extra.is_empty(),
                "{}: missing {missing:?}, not in English {extra:?}",
                language.code()
            );
            for (id, variables) in &english {
                let names: BTreeSet<&String> = variables.keys().collect();
                let other_names: BTreeSet<&String> = other[id].keys().collect();
                assert_eq!(
                    names,
                    other_names,
                    "{}: {id} uses other variables than in English",
                    language.code()
                );
            }
        }
    }

    #[test]
    fn every_hindi_message_is_translated() {
        let english = Texts::new(AppLanguage::English);
        let hindi = Texts::new(AppLanguage::Hindi);
        let untranslated: Vec<String> = messages(AppLanguage::English)
            .into_keys()
            .filter(|id| !SAME_IN_HINDI.contains(&id.as_str()))
            .filter(|id| {
                let english_source = english.bundles[0].get_message(id).and_then(|m| m.value());
                let hindi_source = hindi.bundles[0].get_message(id).and_then(|m| m.value());
                english_source == hindi_source
            })
            .collect();
        assert!(
            untranslated.is_empty(),
            "same in Hindi as in English: {untranslated:?}"
        );
    }

    #[test]
    fn every_message_formats_without_errors() {
        for language in AppLanguage::ALL {
            let bundle = build_bundle(language);
            for (id, variables) in messages(language) {
                let pattern = bundle
                    .get_message(&id)
                    .and_then(|message| message.value())
                    .unwrap_or_else(|| panic!("{}: {id} is not in the bundle", language.code()));
                for sample in [0_i64, 1, 2, 5] {
                    let mut args = FluentArgs::new();
                    for (name, is_selector) in &variables {
                        if *is_selector || NUMERIC_VARIABLES.contains(&name.as_str()) {
                            args.set(name.clone(), FluentValue::from(sample));
                        } else {
                            args.set(name.clone(), FluentValue::from("x"));
                        }
                    }
                    let mut errors = Vec::new();
                    let text = bundle.format_pattern(pattern, Some(&args), &mut errors);
                    assert!(
                        errors.is_empty(),
                        "{}: {id} with {sample}: {errors:?}",
                        language.code()
                    );
                    assert!(
                        !text.trim().is_empty(),
                        "{}: {id} is empty",
                        language.code()
                    );
                    assert!(
                        !text.contains('{') && !text.contains('\u{2068}'),
                        "{}: {id} formats as {text:?}",
                        language.code()
                    );
                }
            }
        }
    }

    #[test]
    fn repeat_count_is_plural_aware() {
        let english = Texts::new(AppLanguage::English);
        assert_eq!(
            english.t_args("repeat-count", &[("count", 1.into())]),
            "1 added"
        );
        assert_eq!(
            english.t_args("repeat-count", &[("count", Arg::Num(3))]),
            "3 added"
        );
        assert_eq!(
            english.t_args("drafts-answers", &[("count", 1_usize.into())]),
            "1 answer"
        );
        assert_eq!(
            english.t_args("drafts-answers", &[("count", 4_i64.into())]),
            "4 answers"
        );

        let hindi = Texts::new(AppLanguage::Hindi);
        assert_eq!(
            hindi.t_args("repeat-count", &[("count", 1.into())]),
            "1 जोड़ा गया"
        );
        assert_eq!(
            hindi.t_args("repeat-count", &[("count", 3.into())]),
            "3 जोड़े गए"
        );
        assert_ne!(
            hindi.t_args("repeat-count", &[("count", 0.into())]),
            english.t_args("repeat-count", &[("count", 0.into())])
        );
    }

    #[test]
    fn string_arguments_are_placed_without_isolation_marks() {
        let english = Texts::new(AppLanguage::English);
        let name = String::from("Asha");
        assert_eq!(
            english.t_args("home-name-saved", &[("name", (&name).into())]),
            "Saved as Asha"
        );
        assert_eq!(
            english.t_args("home-imported", &[("title", "Baseline".into())]),
            "Imported “Baseline”."
        );
        let hindi = Texts::new(AppLanguage::Hindi);
        assert_eq!(
            hindi.t_args("outbox-reason", &[("reason", "x".into())]),
            "कारण: x"
        );
    }

    #[test]
    fn unknown_ids_fall_back_to_english_then_to_the_id() {
        // Through a variable, so the scan of the screens' ids below does not see it.
        let unknown = "no-such-message";
        assert_eq!(Texts::new(AppLanguage::Hindi).t(unknown), unknown);
        assert_eq!(Texts::new(AppLanguage::English).t(unknown), unknown);

        // A Hindi bundle without the message: English fills in.
        let english_only = Texts {
            language: AppLanguage::Hindi,
            bundles: vec![
                Rc::new(FluentBundle::new(vec!["hi".parse().unwrap()])),
                bundle(AppLanguage::English),
            ]
            .into(),
        };
        assert_eq!(english_only.t("nav-back"), "Back");
    }

    #[test]
    fn languages_round_trip_through_their_codes() {
        for language in AppLanguage::ALL {
            assert_eq!(AppLanguage::from_code(language.code()), Some(language));
            assert_eq!(Texts::new(language).language(), language);
        }
        assert_eq!(AppLanguage::from_code("en-US"), Some(AppLanguage::English));
        assert_eq!(AppLanguage::from_code("hi-IN"), Some(AppLanguage::Hindi));
        assert_eq!(AppLanguage::from_code("HI_in"), Some(AppLanguage::Hindi));
        assert_eq!(AppLanguage::from_code("fr"), None);
        assert_eq!(AppLanguage::from_code(""), None);
        assert_eq!(AppLanguage::Hindi.native_name(), "हिन्दी");
        assert_eq!(Texts::new(AppLanguage::Hindi).t("nav-back"), "वापस");
        assert!(Texts::new(AppLanguage::Hindi) != Texts::new(AppLanguage::English));
    }

    /// The string literal ids that the screens pass to `.t(` and `.t_args(`.
    fn ids_used_in(source: &str) -> Vec<String> {
        let mut ids = Vec::new();
        // Spelled in pieces so that this scanner does not find its own patterns.
        for call in [".t", ".t_args"] {
            let pattern = format!("{call}({}", '"');
            let mut rest = source;
            while let Some(start) = rest.find(&pattern) {
                rest = &rest[start + pattern.len()..];
                if let Some(end) = rest.find('"') {
                    ids.push(rest[..end].to_owned());
                }
            }
        }
        ids
    }

    fn rust_files(dir: &Path, out: &mut Vec<std::path::PathBuf>) {
        for entry in std::fs::read_dir(dir).unwrap() {
            let path = entry.unwrap().path();
            if path.is_dir() {
                rust_files(&path, out);
            } else if path.extension().is_some_and(|e| e == "rs") {
                out.push(path);
            }
        }
    }

    #[test]
    fn every_id_the_screens_use_is_in_english() {
        let english = messages(AppLanguage::English);
        let src = Path::new(env!("CARGO_MANIFEST_DIR")).join("src");
        let mut files = Vec::new();
        rust_files(&src, &mut files);
        let mut unknown = Vec::new();
        let mut seen = 0;
        for file in files {
            let source = std::fs::read_to_string(&file).unwrap();
            for id in ids_used_in(&source) {
                seen += 1;
                if !english.contains_key(&id) {
                    unknown.push(format!("{}: {id}", file.display()));
                }
            }
        }
        assert!(
            seen > 0,
            "the scan found no ids at all under {}",
            src.display()
        );
        assert!(
            unknown.is_empty(),
            "ids not in locales/en/fieldline.ftl:\n{}",
            unknown.join("\n")
        );
    }

    #[test]
    fn the_id_scan_reads_both_call_forms() {
        let sample = concat!(
            "texts.t(\"nav-home\"); texts.t_args(\"repeat-add\", &[]);",
            " texts.t(id); x.t_args(\"outbox-seq\",&[])"
        );
        assert_eq!(
            ids_used_in(sample),
            ["nav-home", "repeat-add", "outbox-seq"]
        );
    }
}
