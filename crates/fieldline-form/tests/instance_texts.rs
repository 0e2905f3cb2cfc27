//! Form texts with `${name}` references (pyxform's `<output value="..."/>`): labels, hints
//! and messages show the referenced values, evaluated in the node's context and spaced as
//! ODK's engine shows what pyxform writes.

mod support;

use fieldline_form::instance::FormText;
use support::{answer, instance, node, shared};

const UCL: &str = "public/pyxform/UCL_Biomass_Plot_Form.xlsx";

#[test]
fn constraint_messages_show_referenced_values_as_odk_does() {
    let mut i = shared(UCL);
    answer(
        &mut i,
        &[
            ("/data/any_trees", "yes"),
            ("/data/trees[3]/stem_count", "2"),
        ],
    );
    let cbh = node(&mut i, "/data/trees[3]/stems[1]/cbh");
    i.set_answer("/data/trees[3]/stems/cbh", "5").unwrap();
    assert!(!i.is_valid(cbh));
    // What ODK's engine reports for this answer, spaces included: pyxform writes the text
    // as ` Kiwango ... <output value=" ../../size_constraint "/> cm. `.
    let odk = " Kiwango cha chini cha circumference kwa sehemu hii ya plot ni 6 cm. ";
    assert_eq!(i.message(cbh, None).as_deref(), Some(odk));
    assert_eq!(i.leaf_state(cbh, None).message, odk);
    assert_eq!(
        i.render_text(cbh, FormText::ConstraintMessage, None)
            .as_deref(),
        Some(odk)
    );
}

/// A form whose texts reference other questions, inside and outside a repeat.
fn referencing() -> fieldline_form::instance::Instance {
    instance(&[
        (
            "survey",
            &[
                &[
                    "type",
                    "name",
                    "label",
                    "hint",
                    "constraint",
                    "constraint_message",
                    "required",
                    "required_message",
                ],
                &["text", "village", "Village", "", "", "", "", ""],
                &["integer", "limit", "Limit", "", "", "", "", ""],
                &[
                    "begin_repeat",
                    "hh",
                    "Household in ${village}",
                    "",
                    "",
                    "",
                    "",
                    "",
                ],
                &["text", "head", "Head", "", "", "", "", ""],
                &[
                    "integer",
                    "size",
                    "${head}",
                    "${head}${village}",
                    ". <= ${limit}",
                    "At most ${limit} in ${village}, not ${size}",
                    "yes",
                    "Size of ${head}'s household?",
                ],
                &["end_repeat", "", "", "", "", "", "", ""],
            ],
        ),
        ("settings", &[&["form_id"], &["texts"]]),
    ])
}

#[test]
fn texts_follow_pyxform_spacing_and_the_current_values() {
    let mut i = referencing();
    answer(
        &mut i,
        &[
            ("village", "Ilala"),
            ("limit", "6"),
            ("/data/hh[2]/head", "Asha"),
        ],
    );
    let size = node(&mut i, "/data/hh[2]/size");
    let group = i.parent(size).expect("the repeat instance");
    // Text then a reference: a space before the text and after the last piece.
    assert_eq!(
        i.render_text(group, FormText::Label, None).as_deref(),
        Some(" Household in Ilala ")
    );
    // A reference alone is written bare, and so are references with no text between them
    // (pyxform pads only mixed text; the shared XForms are written without indentation).
    assert_eq!(
        i.render_text(size, FormText::Label, None).as_deref(),
        Some("Asha")
    );
    assert_eq!(
        i.render_text(size, FormText::Hint, None).as_deref(),
        Some("AshaIlala")
    );
    // A contextual reference reads this repeat instance; the first is still unanswered.
    let first = node(&mut i, "/data/hh[1]/size");
    assert_eq!(
        i.message(first, None).as_deref(),
        Some(" Size of 's household? ")
    );
    assert_eq!(
        i.message(size, None).as_deref(),
        Some(" Size of Asha's household? ")
    );
    i.set_answer("/data/hh[2]/size", "9").unwrap();
    assert_eq!(
        i.message(size, None).as_deref(),
        Some(" At most 6 in Ilala, not 9 ")
    );
    // Current after an answer to a question the message reads, elsewhere in the form.
    answer(&mut i, &[("village", "Temeke"), ("limit", "8")]);
    assert_eq!(
        i.message(size, None).as_deref(),
        Some(" At most 8 in Temeke, not 9 ")
    );
    // A text without references is left as written; a missing text is None.
    assert_eq!(
        i.render_text(first, FormText::ConstraintMessage, None)
            .as_deref(),
        Some(" At most 8 in Temeke, not  ")
    );
    let head = node(&mut i, "/data/hh[1]/head");
    assert_eq!(
        i.render_text(head, FormText::Label, None).as_deref(),
        Some("Head")
    );
    assert_eq!(i.render_text(head, FormText::Hint, None), None);
}
