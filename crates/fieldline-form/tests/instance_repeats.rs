//! Repeats: adding and removing instances, aggregates and positions over them, references
//! inside an instance, repeat_count, and keys that add instances on demand.

mod support;

use fieldline_form::instance::{KeyError, RepeatError};
use support::{answer, instance, node, value};

fn household() -> fieldline_form::instance::Instance {
    instance(&[(
        "survey",
        &[
            &["type", "name", "label", "calculation", "default"],
            &["begin_repeat", "hh", "Member", "", ""],
            &["text", "name", "Name", "", ""],
            &["integer", "age", "Age", "", ""],
            &["calculate", "child", "", "if(${age} < 18, 'yes', 'no')", ""],
            &["calculate", "pos", "", "position(..)", ""],
            &["integer", "order", "Order", "", "position(..)"],
            &["end_repeat", "", "", "", ""],
            &["calculate", "n", "", "count(${hh})", ""],
            &["calculate", "total", "", "sum(${age})", ""],
            &[
                "calculate",
                "first_name",
                "",
                "indexed-repeat(${name}, ${hh}, 1)",
                "",
            ],
            &[
                "calculate",
                "second_age",
                "",
                "indexed-repeat(${age}, ${hh}, 2)",
                "",
            ],
        ],
    )])
}

#[test]
fn aggregates_positions_and_indexed_repeat_follow_instances() {
    let mut i = household();
    // pyxform's instance has one member to start with.
    assert_eq!(value(&mut i, "n"), "1");
    answer(
        &mut i,
        &[
            ("/data/hh[1]/name", "Ram"),
            ("/data/hh[1]/age", "30"),
            ("/data/hh[2]/name", "Sita"),
            ("/data/hh[2]/age", "5"),
        ],
    );
    assert_eq!(value(&mut i, "n"), "2");
    assert_eq!(value(&mut i, "total"), "35");
    assert_eq!(value(&mut i, "first_name"), "Ram");
    assert_eq!(value(&mut i, "second_age"), "5");
    // References inside an instance stay in that instance.
    assert_eq!(value(&mut i, "/data/hh[1]/child"), "no");
    assert_eq!(value(&mut i, "/data/hh[2]/child"), "yes");
    assert_eq!(value(&mut i, "/data/hh[2]/pos"), "2");
    // A dynamic default is evaluated when the instance is created.
    assert_eq!(value(&mut i, "/data/hh[2]/order"), "2");

    let first = node(&mut i, "/data/hh[1]/name");
    let member = i.parent(first).unwrap();
    i.remove_repeat(member).unwrap();
    assert_eq!(value(&mut i, "n"), "1");
    assert_eq!(value(&mut i, "total"), "5");
    assert_eq!(value(&mut i, "first_name"), "Sita");
    assert_eq!(value(&mut i, "second_age"), "");
    assert_eq!(value(&mut i, "/data/hh[1]/pos"), "1");
    // The default stays what it was when the instance was created.
    assert_eq!(value(&mut i, "/data/hh[1]/order"), "2");

    let root = i.root();
    let hh = i.form().find("hh").unwrap().id;
    let added = i.add_repeat(root, hh, Some(0)).unwrap();
    assert_eq!(i.path(added), "/data/hh[1]");
    assert_eq!(value(&mut i, "n"), "2");
    assert_eq!(value(&mut i, "/data/hh[2]/name"), "Sita");
    assert_eq!(value(&mut i, "/data/hh[2]/pos"), "2");
}

#[test]
fn repeat_count_sets_the_instances() {
    let mut i = instance(&[(
        "survey",
        &[
            &["type", "name", "label", "repeat_count", "calculation"],
            &["integer", "kids", "Children", "", ""],
            &["begin_repeat", "child", "Child", "${kids}", ""],
            &["text", "cname", "Name", "", ""],
            &["end_repeat", "", "", "", ""],
            &["calculate", "n", "", "", "count(${child})"],
        ],
    )]);
    assert_eq!(value(&mut i, "n"), "0");
    answer(&mut i, &[("kids", "3")]);
    assert_eq!(value(&mut i, "n"), "3");
    answer(&mut i, &[("/data/child[3]/cname", "Gita")]);
    answer(&mut i, &[("kids", "1")]);
    assert_eq!(value(&mut i, "n"), "1");
    assert!(matches!(
        i.resolve_key("/data/child[2]/cname"),
        Err(KeyError::BadPath { .. })
    ));
    let root = i.root();
    let child = i.form().find("child").unwrap().id;
    assert!(matches!(
        i.add_repeat(root, child, None),
        Err(RepeatError::Counted { .. })
    ));
    // A blank count keeps the instances (as ODK does).
    answer(&mut i, &[("kids", "")]);
    assert_eq!(value(&mut i, "n"), "1");
}
