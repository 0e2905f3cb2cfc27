//! Variable names each format accepts, kept as close to the form's as the format allows and
//! unique.

use std::collections::HashSet;

/// Stata: letters, digits and `_`, not starting with a digit, at most 32 characters, not a
/// reserved word; unique (Stata's names are case-sensitive).
pub fn stata(names: &[&str]) -> Vec<String> {
    const RESERVED: [&str; 26] = [
        "_all",
        "_b",
        "byte",
        "_coef",
        "_cons",
        "double",
        "float",
        "if",
        "in",
        "int",
        "long",
        "_n",
        "_N",
        "_pi",
        "_pred",
        "_rc",
        "_skip",
        "strL",
        "using",
        "with",
        "str",
        "_se",
        "_weight",
        "_pi",
        "_merge",
        "_variables",
    ];
    unique(names, 32, false, |name| {
        let mut out: String = name
            .chars()
            .map(|c| {
                if c.is_ascii_alphanumeric() || c == '_' {
                    c
                } else {
                    '_'
                }
            })
            .collect();
        if out.is_empty() || out.starts_with(|c: char| c.is_ascii_digit()) {
            out.insert(0, '_');
        }
        if RESERVED.contains(&out.as_str()) {
            out.push('_');
        }
        out
    })
}

/// SPSS: letters, digits and `_ . @ #`, starting with a letter, not ending with `.`, at most
/// 64 bytes, not a reserved word; unique whatever the case.
pub fn spss(names: &[&str]) -> Vec<String> {
    const RESERVED: [&str; 13] = [
        "ALL", "AND", "BY", "EQ", "GE", "GT", "LE", "LT", "NE", "NOT", "OR", "TO", "WITH",
    ];
    unique(names, 64, true, |name| {
        let mut out: String = name
            .chars()
            .map(|c| {
                if c.is_ascii_alphanumeric() || matches!(c, '_' | '.' | '@' | '#') {
                    c
                } else {
                    '_'
                }
            })
            .collect();
        if !out.starts_with(|c: char| c.is_ascii_alphabetic()) {
            out.insert(0, 'v');
        }
        while out.ends_with('.') {
            out.pop();
            out.push('_');
        }
        if RESERVED.contains(&out.to_ascii_uppercase().as_str()) {
            out.push('_');
        }
        out
    })
}

fn unique(
    names: &[&str],
    max: usize,
    fold_case: bool,
    clean: impl Fn(&str) -> String,
) -> Vec<String> {
    let key = |s: &str| {
        if fold_case {
            s.to_ascii_lowercase()
        } else {
            s.to_owned()
        }
    };
    let mut taken = HashSet::new();
    names
        .iter()
        .map(|name| {
            let base = clean(name);
            let mut candidate = base[..base.len().min(max)].to_owned();
            let mut n = 1;
            while !taken.insert(key(&candidate)) {
                n += 1;
                let suffix = format!("_{n}");
                candidate = format!("{}{suffix}", &base[..base.len().min(max - suffix.len())]);
            }
            candidate
        })
        .collect()
}

#[cfg(test)]
mod tests {
    #[test]
    fn names_are_valid_and_unique() {
        assert_eq!(
            super::stata(&["age", "about/age", "2nd", "in", "a-b", "age"]),
            ["age", "about_age", "_2nd", "in_", "a_b", "age_2"]
        );
        assert_eq!(
            super::spss(&["age", "AGE", "_x", "by", "about/age", "x."]),
            ["age", "AGE_2", "v_x", "by_", "about_age", "x_"]
        );
        let long = "x".repeat(40);
        let stata = super::stata(&[&long, &long]);
        assert_eq!(stata[0].len(), 32);
        assert_eq!(stata[1], format!("{}_2", "x".repeat(30)));
    }
}
