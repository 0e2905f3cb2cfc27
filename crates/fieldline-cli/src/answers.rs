//! Answer files, as `fieldline form eval` and `fieldline device fill` read them.

use std::path::Path;

use anyhow::{Context as _, Result};

/// `{"k": "v"}` or `[["k", "v"], ...]`, in the order written (a JSON object's entries are
/// visited in file order, which `serde_json::Value` would not keep).
pub(crate) fn read_answers(path: &Path) -> Result<Vec<(String, String)>> {
    let text =
        std::fs::read_to_string(path).with_context(|| format!("cannot read {}", path.display()))?;
    let answers: Answers = serde_json::from_str(&text)
        .with_context(|| format!("{}: cannot read the answers", path.display()))?;
    Ok(answers.0)
}

struct Answers(Vec<(String, String)>);

impl<'de> serde::Deserialize<'de> for Answers {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        d.deserialize_any(AnswersVisitor)
    }
}

struct AnswersVisitor;

impl<'de> serde::de::Visitor<'de> for AnswersVisitor {
    type Value = Answers;

    fn expecting(&self, f: &mut std::fmt::Formatter) -> std::fmt::Result {
        f.write_str(
            "an object {\"key\": \"value\"} or an array [[\"key\", \"value\"], ...] of XForm strings",
        )
    }

    fn visit_map<A: serde::de::MapAccess<'de>>(self, mut map: A) -> Result<Answers, A::Error> {
        let mut out = Vec::new();
        while let Some(pair) = map.next_entry::<String, String>()? {
            out.push(pair);
        }
        Ok(Answers(out))
    }

    fn visit_seq<A: serde::de::SeqAccess<'de>>(self, mut seq: A) -> Result<Answers, A::Error> {
        let mut out = Vec::new();
        while let Some(pair) = seq.next_element::<(String, String)>()? {
            out.push(pair);
        }
        Ok(Answers(out))
    }
}
