//! Hostile nesting: expressions deep enough to overflow the stack of a recursive parser or
//! evaluator are refused with a parse error, and the deepest accepted ones still evaluate on
//! a small stack.

mod support;

use fieldline_xpath::{parse, MAX_DEPTH, MAX_NESTING};
use support::Doc;

/// The parse error for `src`, which must be refused for nesting too deeply.
fn refused_for_nesting(src: &str) -> fieldline_xpath::ParseError {
    refused_saying(src, &format!("nests more than {MAX_NESTING} levels"))
}

/// The parse error for `src`, which must be refused for a tree too deep.
fn refused_for_depth(src: &str) -> fieldline_xpath::ParseError {
    refused_saying(src, &format!("more than {MAX_DEPTH} levels deep"))
}

fn refused_saying(src: &str, words: &str) -> fieldline_xpath::ParseError {
    let err = parse(src).expect_err("a hostile nesting must not parse");
    assert!(err.message.contains(words), "{err}");
    err
}

#[test]
fn ten_thousand_nested_parentheses_are_a_parse_error() {
    let src = format!("{}1{}", "(".repeat(10_000), ")".repeat(10_000));
    let err = refused_for_nesting(&src);
    // The offset points where the limit was crossed, inside the parentheses.
    assert!(err.offset <= MAX_NESTING + 1, "{err}");
}

#[test]
fn ten_thousand_nested_nots_are_a_parse_error() {
    let src = format!("{}true(){}", "not(".repeat(10_000), ")".repeat(10_000));
    refused_for_nesting(&src);
}

#[test]
fn nested_predicates_and_signs_count_too() {
    refused_for_nesting(&format!("{}1", "-".repeat(10_000)));
    refused_for_nesting(&format!("{}1{}", "a[".repeat(10_000), "]".repeat(10_000)));
    refused_for_nesting(&format!(
        "{}1{}",
        "concat(".repeat(10_000),
        ")".repeat(10_000)
    ));
}

#[test]
fn a_chain_of_a_hundred_thousand_operators_is_a_parse_error() {
    // Left-associative: the tree is as deep as the chain is long, and dropping or evaluating
    // it recurses that deep.
    refused_for_depth(&vec!["1"; 100_000].join(" + "));
    refused_for_depth(&vec!["${a}"; 100_000].join(" or "));
    refused_for_depth(&vec!["a"; 100_000].join(" | "));
    // Chains inside nesting add up.
    let nested_chains = format!(
        "{}1{}",
        "(1 + 1 + 1 + 1 + 1 + 1 + ".repeat(MAX_NESTING - 1),
        ")".repeat(MAX_NESTING - 1)
    );
    refused_for_depth(&nested_chains);
}

#[test]
fn an_unclosed_flood_of_parentheses_is_a_parse_error_too() {
    refused_for_nesting(&"(".repeat(1_000_000));
}

#[test]
fn what_real_forms_write_still_parses() {
    // A sum of 150 answers and 40 nested if()s, longer than any calculation seen in a form.
    let sum = (1..=150)
        .map(|i| format!("${{q{i}}}"))
        .collect::<Vec<_>>()
        .join(" + ");
    parse(&sum).unwrap();
    let ifs = format!("{}0{}", "if(${a} > 1, 1, ".repeat(40), ")".repeat(40));
    parse(&ifs).unwrap();
}

/// Runs `check` on a thread with a 2 MiB stack, that of a spawned thread or a tokio worker.
fn on_a_small_stack(check: impl FnOnce() + Send + 'static) {
    std::thread::Builder::new()
        .stack_size(2 * 1024 * 1024)
        .spawn(check)
        .unwrap()
        .join()
        .unwrap();
}

#[test]
fn the_deepest_accepted_parentheses_evaluate_on_a_small_stack() {
    // The top level counts as one.
    let depth = MAX_NESTING - 1;
    let parens = format!("{}1{}", "(".repeat(depth), ")".repeat(depth));
    on_a_small_stack(move || assert_eq!(Doc::new().num(&parens), 1.0));
}

#[test]
fn the_deepest_accepted_calls_evaluate_on_a_small_stack() {
    let depth = MAX_NESTING - 1;
    let nots = format!("{}true(){}", "not(".repeat(depth), ")".repeat(depth));
    on_a_small_stack(move || assert!(!Doc::new().bool(&nots)));
}

#[test]
fn the_longest_accepted_chain_evaluates_and_prints_on_a_small_stack() {
    let chain = vec!["1"; MAX_DEPTH].join(" + ");
    on_a_small_stack(move || {
        assert_eq!(Doc::new().num(&chain), MAX_DEPTH as f64);
        assert!(!parse(&chain).unwrap().to_string().is_empty());
    });
}
