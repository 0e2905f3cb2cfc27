//! Text per language: shared by the sheet reader (headers) and the form model, so neither
//! has to depend on the other.

use std::collections::BTreeMap;

/// Text in each language, keyed by language name as written in the column header
/// (`"Hindi (hi)"`). Text from a column without a language is keyed by the form's default
/// language, which is `"default"` unless the settings name one, as pyxform does.
pub type Translations = BTreeMap<String, String>;
