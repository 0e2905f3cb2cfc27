//! pyxform's header vocabulary: the columns each sheet knows, their aliases (aliases.py), and
//! how one header text becomes a token path.

/// Media column kinds pyxform knows.
pub const MEDIA_KINDS: [&str; 4] = ["image", "big-image", "audio", "video"];

/// Which sheet's vocabulary to use.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Vocabulary {
    Survey,
    Choices,
    Settings,
    Indicators,
}

/// Columns each sheet knows by name (after snake-casing), as pyxform's element slots.
fn known_columns(v: Vocabulary) -> &'static [&'static str] {
    match v {
        Vocabulary::Survey => &[
            "type",
            "name",
            "label",
            "hint",
            "guidance_hint",
            "default",
            "trigger",
            "bind",
            "choice_filter",
            "control",
            "media",
            "parameters",
            "instance",
            "query",
            "sms_field",
            "choices",
            "itemset",
            "list_name",
        ],
        Vocabulary::Choices => &["name", "label", "media", "sms_option", "list name"],
        Vocabulary::Settings => &[
            "id_string",
            "title",
            "version",
            "default_language",
            "public_key",
            "submission_url",
            "auto_send",
            "auto_delete",
            "style",
            "instance_name",
            "name",
            "namespaces",
            "allow_choice_duplicates",
            "clean_text_values",
            "omit_instanceID",
            "instance_id",
            "sms_keyword",
            "client_editable",
        ],
        Vocabulary::Indicators => &["name", "label", "expression", "denominator"],
    }
}

/// pyxform's header aliases (aliases.py) for each sheet.
fn alias(v: Vocabulary, header: &str) -> Option<&'static [&'static str]> {
    let a: &[&str] = match (v, header) {
        (Vocabulary::Survey, h) => match h {
            "read_only" | "readonly" => &["bind", "readonly"],
            "relevant" | "relevance" => &["bind", "relevant"],
            "caption" => &["label"],
            "appearance" => &["control", "appearance"],
            "required" => &["bind", "required"],
            "constraint" => &["bind", "constraint"],
            "constraining_message" | "constraint_message" => &["bind", "jr:constraintMsg"],
            "calculation" | "calculate" => &["bind", "calculate"],
            "command" => &["type"],
            "tag" | "value" => &["name"],
            "image" => &["media", "image"],
            "big-image" => &["media", "big-image"],
            "audio" => &["media", "audio"],
            "video" => &["media", "video"],
            "count" | "repeat_count" | "jr:count" => &["control", "jr:count"],
            "autoplay" => &["control", "autoplay"],
            "rows" => &["control", "rows"],
            "noapperrorstring" | "no_app_error_string" => &["bind", "jr:noAppErrorString"],
            "requiredmsg" | "required_message" => &["bind", "jr:requiredMsg"],
            "body" => &["control"],
            "compact_tag" => &["instance", "odk:tag"],
            "save_to" => &["bind", "entities:saveto"],
            "sms_field" => &["sms_field"],
            _ => return None,
        },
        (Vocabulary::Choices, h) => match h {
            "caption" => &["label"],
            "list_name" => &["list name"],
            "value" => &["name"],
            "image" => &["media", "image"],
            "big-image" => &["media", "big-image"],
            "audio" => &["media", "audio"],
            "video" => &["media", "video"],
            _ => return None,
        },
        (Vocabulary::Settings, h) => match h {
            "form_title" | "set_form_title" => &["title"],
            "form_id" | "set_form_id" => &["id_string"],
            "prefix" => &["prefix"],
            _ => return None,
        },
        (Vocabulary::Indicators, _) => return None,
    };
    Some(a)
}

/// `"Default  Language"` -> `"default_language"`.
fn snake_case(value: &str) -> String {
    value
        .split_whitespace()
        .collect::<Vec<_>>()
        .join("_")
        .to_lowercase()
}

/// pyxform's process_header: the token path for one header.
pub(super) fn tokens_for(header: &str, double_colon: bool, v: Vocabulary) -> Vec<String> {
    let known = known_columns(v);
    if known.contains(&header) && alias(v, header).is_none() {
        return vec![header.to_string()];
    }
    let normalised = snake_case(header);
    if known.contains(&normalised.as_str()) && alias(v, &normalised).is_none() {
        return vec![normalised];
    }
    let mut tokens: Vec<String> = if double_colon || header.contains("::") {
        header.split("::").map(|t| t.trim().to_string()).collect()
    } else {
        let mut t: Vec<String> = header.split(':').map(|t| t.trim().to_string()).collect();
        // Single colons also separate XML namespaces: rejoin `jr:count`-style pairs.
        if let Some(i) = t.iter().position(|x| x == "jr") {
            if i + 1 < t.len() {
                let joined = format!("jr:{}", t[i + 1]);
                t.splice(i..i + 2, [joined]);
            }
        }
        t
    };
    let first = snake_case(&tokens[0]);
    if let Some(a) = alias(v, &first) {
        let mut out: Vec<String> = a.iter().map(|s| s.to_string()).collect();
        out.extend(tokens.drain(1..));
        out
    } else if known.contains(&first.as_str()) {
        tokens[0] = first;
        tokens
    } else {
        tokens
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn t(h: &str, v: Vocabulary) -> Vec<String> {
        tokens_for(h, h.contains("::"), v)
    }

    #[test]
    fn aliases_and_languages() {
        use Vocabulary::*;
        assert_eq!(t("Relevance", Survey), ["bind", "relevant"]);
        assert_eq!(t("TYPE", Survey), ["type"]);
        assert_eq!(t("label::Hindi (hi)", Survey), ["label", "Hindi (hi)"]);
        assert_eq!(t("Label::Hindi (hi)", Survey), ["label", "Hindi (hi)"]);
        assert_eq!(t("image::fr", Survey), ["media", "image", "fr"]);
        assert_eq!(t("media::image::fr", Survey), ["media", "image", "fr"]);
        assert_eq!(
            t("constraint_message::en", Survey),
            ["bind", "jr:constraintMsg", "en"]
        );
        assert_eq!(t("bind:relevant", Survey), ["bind", "relevant"]);
        assert_eq!(t("jr:count", Survey), ["control", "jr:count"]);
        assert_eq!(t("repeat_count", Survey), ["control", "jr:count"]);
        assert_eq!(t("Comments", Survey), ["Comments"]);
        assert_eq!(t("list_name", Choices), ["list name"]);
        assert_eq!(t("List Name", Choices), ["list name"]);
        assert_eq!(t("form_id", Settings), ["id_string"]);
        assert_eq!(t("Form Title", Settings), ["title"]);
        assert_eq!(t("Default Language", Settings), ["default_language"]);
    }
}
