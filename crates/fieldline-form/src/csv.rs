//! A small RFC 4180 CSV reader for `select_*_from_file` attachments (quoted fields, doubled
//! quotes, CRLF or LF line ends, a UTF-8 byte-order mark).

/// Rows of fields. Blank lines are skipped.
pub fn parse(text: &str) -> Vec<Vec<String>> {
    let text = text.strip_prefix('\u{feff}').unwrap_or(text);
    let mut rows = Vec::new();
    let mut row: Vec<String> = Vec::new();
    let mut field = String::new();
    let mut in_quotes = false;
    let mut chars = text.chars().peekable();
    while let Some(c) = chars.next() {
        if in_quotes {
            match c {
                '"' if chars.peek() == Some(&'"') => {
                    field.push('"');
                    chars.next();
                }
                '"' => in_quotes = false,
                _ => field.push(c),
            }
            continue;
        }
        match c {
            '"' => in_quotes = true,
            ',' => row.push(std::mem::take(&mut field)),
            '\r' if chars.peek() == Some(&'\n') => {}
            '\n' | '\r' => {
                row.push(std::mem::take(&mut field));
                if row.iter().any(|f| !f.is_empty()) {
                    rows.push(std::mem::take(&mut row));
                } else {
                    row.clear();
                }
            }
            _ => field.push(c),
        }
    }
    row.push(field);
    if row.iter().any(|f| !f.is_empty()) {
        rows.push(row);
    }
    rows
}

#[cfg(test)]
mod tests {
    use super::parse;

    #[test]
    fn quoted_fields_and_line_ends() {
        let rows = parse("\u{feff}name,label\r\n\"a,b\",\"say \"\"hi\"\"\"\n\nc,line\nbreak\n");
        assert_eq!(rows[0], ["name", "label"]);
        assert_eq!(rows[1], ["a,b", "say \"hi\""]);
        assert_eq!(rows[2], ["c", "line"]);
        assert_eq!(rows[3], ["break"]);
        assert_eq!(rows.len(), 4);
        let rows = parse("x,\"multi\nline\"");
        assert_eq!(rows, vec![vec!["x".to_string(), "multi\nline".to_string()]]);
    }
}
