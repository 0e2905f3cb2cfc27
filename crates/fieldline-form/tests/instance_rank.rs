//! rank questions behave as ODK's engine (`RankControl.setValues`): an answer must contain
//! every option offered now, or it is refused and the previous value stays.

mod support;

use fieldline_form::instance::{AnswerError, SetError};
use support::{instance, node, value};

/// A rank over four choices, and one whose options follow a filter.
fn ranks() -> fieldline_form::instance::Instance {
    instance(&[
        (
            "survey",
            &[
                &["type", "name", "label", "choice_filter"],
                &["rank abcd", "rank", "Rank", ""],
                &["select_one yn", "more", "More options?", ""],
                &[
                    "rank abcd",
                    "filtered",
                    "Filtered",
                    "name != 'd' or ${more} = 'yes'",
                ],
            ],
        ),
        (
            "choices",
            &[
                &["list_name", "name", "label"],
                &["abcd", "a", "A"],
                &["abcd", "b", "B"],
                &["abcd", "c", "C"],
                &["abcd", "d", "D"],
                &["yn", "yes", "Yes"],
                &["yn", "no", "No"],
            ],
        ),
    ])
}

#[test]
fn rank_answers_missing_an_option_are_refused_and_change_nothing() {
    let mut i = ranks();
    let err = i
        .set_answer("rank", "b d  b")
        .expect_err("a and c are missing");
    assert!(
        matches!(&err, AnswerError::Set(SetError::MissingRankOptions { missing, .. })
            if missing == &["a", "c"]),
        "{err:?}"
    );
    assert_eq!(err.kind(), "engine-error");
    assert!(
        err.to_string()
            .contains("There are missing options. Rank should have all options."),
        "{err}"
    );
    assert_eq!(value(&mut i, "rank"), "");

    i.set_answer("rank", "a c d b").expect("a complete ranking");
    assert_eq!(value(&mut i, "rank"), "a c d b");
    // Refused even as ODK replays it: the ranking given before stays.
    let rank = node(&mut i, "rank");
    assert!(i.set_value_as_odk(rank, "d  d").is_err());
    assert_eq!(value(&mut i, "rank"), "a c d b");
}

#[test]
fn rank_keeps_the_given_order_without_repeats_and_clears_with_blank() {
    let mut i = ranks();
    i.set_answer("rank", "d c b a c")
        .expect("every option is there");
    assert_eq!(value(&mut i, "rank"), "d c b a");
    i.set_answer("rank", "").expect("blank clears");
    assert_eq!(value(&mut i, "rank"), "");
}

#[test]
fn rank_appends_options_that_become_offered() {
    let mut i = ranks();
    i.set_answer("filtered", "c a b")
        .expect("d is not offered yet");
    assert_eq!(value(&mut i, "filtered"), "c a b");
    // ODK appends newly offered options after the ranked ones, in choice order...
    i.set_answer("more", "yes").unwrap();
    assert_eq!(value(&mut i, "filtered"), "c a b d");
    // ...and drops them again when they are no longer offered.
    i.set_answer("more", "no").unwrap();
    assert_eq!(value(&mut i, "filtered"), "c a b");
}
