//! Parser behaviour other crates rely on: the public `parse` contract.

use fieldline_xpath::{is_supported_function, parse, BinOp, Expr, NodeTest, PathStart};

fn canon(src: &str) -> String {
    parse(src)
        .unwrap_or_else(|e| panic!("{src}: {e}"))
        .to_string()
}

#[test]
fn precedence_follows_xpath() {
    assert_eq!(canon("1 + 2 * 3"), "(1 + (2 * 3))");
    assert_eq!(canon("1 - 2 - 3"), "((1 - 2) - 3)");
    assert_eq!(
        canon("a or b and c"),
        "(child::a or (child::b and child::c))"
    );
    assert_eq!(canon("1 < 2 = true()"), "((1 < 2) = true())");
    assert_eq!(canon("-2 * 3"), "(-(2) * 3)");
    assert_eq!(canon("- - 1"), "-(-(1))");
    assert_eq!(canon("6 div 2 mod 4"), "((6 div 2) mod 4)");
    assert_eq!(canon("a | b"), "(child::a | child::b)");
}

#[test]
fn operator_names_are_also_element_names() {
    assert_eq!(canon("div div div"), "(child::div div child::div)");
    assert_eq!(canon("and"), "child::and");
    assert_eq!(canon("* * *"), "(child::* * child::*)");
}

#[test]
fn paths() {
    assert_eq!(canon("/data/hh/age"), "/child::data/child::hh/child::age");
    assert_eq!(canon("/"), "/");
    assert_eq!(canon("../name"), "parent::node()/child::name");
    assert_eq!(canon("."), "self::node()");
    assert_eq!(canon("//item"), "/descendant-or-self::node()/child::item");
    assert_eq!(
        canon("a//b"),
        "child::a/descendant-or-self::node()/child::b"
    );
    assert_eq!(canon("@id"), "attribute::id");
    assert_eq!(canon("ancestor::hh[1]"), "ancestor::hh[1]");
    assert_eq!(canon("text()"), "child::text()");
    assert_eq!(canon("h:body"), "child::h:body");
    assert_eq!(canon("jr:*"), "child::jr:*");
}

#[test]
fn instance_lookups_and_filters() {
    assert_eq!(
        canon("instance('list')/root/item[name = ${x}]/label"),
        "(instance('list'))/child::root/child::item[(child::name = ${x})]/child::label"
    );
    assert_eq!(canon("${x}[. = 'yes']"), "(${x})[(self::node() = 'yes')]");
    assert_eq!(canon("count(${hh})"), "count(${hh})");
    assert_eq!(canon("sum(${roster}/age)"), "sum((${roster})/child::age)");
    assert_eq!(
        canon("${hh}[position() = 2]/${age}"),
        "((${hh})[(position() = 2)])/${age}"
    );
    assert_eq!(
        canon("current()/../x"),
        "(current())/parent::node()/child::x"
    );
}

#[test]
fn literals_numbers_and_quotes() {
    assert_eq!(canon("\"it's\""), "\"it's\"");
    assert_eq!(canon("'say \"hi\"'"), "'say \"hi\"'");
    assert_eq!(canon(".5 + 10.25 + 3."), "((0.5 + 10.25) + 3)");
}

#[test]
fn field_refs_in_order_without_duplicates() {
    let e = parse("if(${b} > 3 and selected(${a}, 'x'), ${b}, sum(${roster}/${age}))").unwrap();
    assert_eq!(e.field_refs(), vec!["b", "a", "roster", "age"]);
    let e = parse("jr:choice-name(${x}, '${x_list}')").unwrap();
    assert_eq!(e.field_refs(), vec!["x", "x_list"]);
    let e = parse("instance('c')/root/item[name = ${x}][${y} != '']/label").unwrap();
    assert_eq!(e.field_refs(), vec!["x", "y"]);
    let e = parse("${hh}[position() = ${n}]/${age}").unwrap();
    assert_eq!(e.field_refs(), vec!["hh", "n", "age"]);
}

#[test]
fn function_names_as_written() {
    let e = parse("jr:choice-name(${x}, '${x}') != '' and selected(${y}, 'a') and selected(${z}, 'b') or lower-case(${w}) = 'q'").unwrap();
    assert_eq!(
        e.function_names(),
        vec!["jr:choice-name", "selected", "lower-case"]
    );
    assert_eq!(e.unsupported_functions(), vec!["lower-case"]);
}

#[test]
fn unsupported_functions_parse_but_are_marked() {
    let e = parse("encrypt-string(${a}, 'k')").unwrap();
    match e {
        Expr::Call { func, name, .. } => {
            assert!(func.is_none());
            assert_eq!(name, "encrypt-string");
        }
        other => panic!("{other:?}"),
    }
    assert!(!is_supported_function("encrypt-string"));
}

#[test]
fn errors_point_at_the_problem() {
    let src = "if(${a} = 'x', 1";
    let e = parse(src).unwrap_err();
    assert_eq!(e.offset, src.len());
    assert_eq!(e.to_string(), format!("expected ')' at byte {}", src.len()));

    let e = parse("concat(${a}, 'b'))").unwrap_err();
    assert_eq!(e.offset, 17);
    assert!(e.message.contains("unmatched ')'"));

    let e = parse("${a} = ").unwrap_err();
    assert_eq!(e.offset, 7);

    let e = parse("${a} 'b'").unwrap_err();
    assert_eq!(e.offset, 5);
    assert!(e.message.contains("expected an operator"), "{}", e.message);

    let e = parse("").unwrap_err();
    assert_eq!(e.message, "empty expression");

    let e = parse("a[]").unwrap_err();
    assert_eq!(e.offset, 2);

    let e = parse("${}").unwrap_err();
    assert_eq!(e.offset, 0);

    let e = parse("1 # 2").unwrap_err();
    assert_eq!(e.offset, 2);
}

#[test]
fn arity_is_checked_at_parse_time_for_known_functions() {
    let e = parse("x + if(${a}, 1)").unwrap_err();
    assert_eq!(e.offset, 4);
    assert_eq!(e.message, "if() takes 3 arguments, got 2");
    let e = parse("round(1, 2, 3)").unwrap_err();
    assert_eq!(e.message, "round() takes 1 to 2 arguments, got 3");
    let e = parse("join()").unwrap_err();
    assert_eq!(e.message, "join() takes at least 1 argument, got 0");
    assert!(parse("concat()").is_ok());
    assert!(parse("unknown-fn(1, 2, 3, 4)").is_ok());
}

#[test]
fn caret_under_devanagari() {
    let src = "${नाम} = 'हाँ' and )";
    let e = parse(src).unwrap_err();
    let caret = e.caret(src);
    let lines: Vec<&str> = caret.lines().collect();
    assert_eq!(lines[0], src);
    let col = lines[1].chars().count() - 1;
    assert_eq!(src.chars().nth(col), Some(')'));
}

#[test]
fn ast_shape_for_form_layer() {
    match parse("${x}[. = 'yes']").unwrap() {
        Expr::Filter(primary, preds) => {
            assert_eq!(*primary, Expr::Field("x".into()));
            assert_eq!(preds.len(), 1);
        }
        other => panic!("{other:?}"),
    }
    match parse("${a} = 'yes'").unwrap() {
        Expr::Binary(BinOp::Eq, a, _) => assert_eq!(*a, Expr::Field("a".into())),
        other => panic!("{other:?}"),
    }
    match parse("${hh}/${age}").unwrap() {
        Expr::Path(p) => {
            assert!(matches!(p.start, PathStart::Expr(_)));
            assert_eq!(p.steps[0].test, NodeTest::Field("age".into()));
        }
        other => panic!("{other:?}"),
    }
}

#[test]
fn display_round_trips() {
    for src in [
        "if(${b} > 3 and selected(${a}, 'x'), ${b}, sum(${roster}/${age}))",
        "instance('list')/root/item[name = ${x}]/label",
        "-(1) - -2 * ../a[@b != 'c'] | //d",
        "format-date(today(), '%Y-%m-%d')",
        "${hh}[position() = 2]/${age}",
        "/",
        "preceding-sibling::*[1] and following::node()",
    ] {
        let e = parse(src).unwrap();
        let printed = e.to_string();
        // The printed form is fully parenthesised, so equal prints mean equal trees (offsets
        // aside, which necessarily differ).
        assert_eq!(parse(&printed).unwrap().to_string(), printed, "{src}");
    }
}
