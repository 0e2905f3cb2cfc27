//! XPath paths as the XForm writes them: made absolute, read out of expressions, and stripped of
//! repeat positions. Just enough XPath for the generator and the comparison, not an evaluator.

/// A body reference made absolute (pyxform writes absolute ones; relative ones are resolved against
/// the enclosing group or repeat).
pub fn resolve(context: &str, reference: &str) -> String {
    let reference = reference.trim();
    if reference.starts_with('/') {
        return reference.to_owned();
    }
    let mut steps: Vec<&str> = context.split('/').filter(|s| !s.is_empty()).collect();
    for step in reference.split('/') {
        match step {
            "." | "" => {}
            ".." => {
                steps.pop();
            }
            name => steps.push(name),
        }
    }
    format!("/{}", steps.join("/"))
}

/// The absolute paths an expression reads (relative ones resolved from its bind's node) and its
/// string and number literals.
pub fn scan(expr: &str, nodeset: &str) -> (Vec<String>, Vec<String>) {
    let mut paths = Vec::new();
    let mut literals = Vec::new();
    let chars: Vec<char> = expr.chars().collect();
    let mut i = 0;
    while i < chars.len() {
        let c = chars[i];
        if c == '\'' || c == '"' {
            let end = chars[i + 1..]
                .iter()
                .position(|&d| d == c)
                .map_or(chars.len(), |p| i + 1 + p);
            literals.push(chars[i + 1..end].iter().collect());
            i = end + 1;
            continue;
        }
        let is_path_char = |c: char| c.is_alphanumeric() || "_.:/-".contains(c);
        if is_path_char(c) {
            let start = i;
            while i < chars.len() && is_path_char(chars[i]) {
                i += 1;
            }
            let token: String = chars[start..i].iter().collect();
            if token.parse::<f64>().is_ok() {
                literals.push(token);
            } else if token.starts_with('/') {
                paths.push(token);
            } else if token.starts_with("..") || token == "." {
                paths.push(resolve(nodeset, &token));
            }
            continue;
        }
        i += 1;
    }
    (paths, literals)
}

/// `/data/hh[2]/age` → `/data/hh/age`: the key of a leaf in [`XForm::unstable`].
pub fn without_positions(path: &str) -> String {
    let mut out = String::with_capacity(path.len());
    let mut depth = 0;
    for c in path.chars() {
        match c {
            '[' => depth += 1,
            ']' => depth -= 1,
            _ if depth == 0 => out.push(c),
            _ => {}
        }
    }
    out
}
