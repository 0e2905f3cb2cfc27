//! Screens, overview and replay on the campaign's own form.

mod support;

use fieldline_form::instance::Instance;
use fieldline_interview::{
    apply, find_node, overview, screens, Action, QuestionStatus, ScreenKind,
};
use support::{facts, kap};

fn set(path: &str, value: &str) -> Action {
    Action::Set {
        path: path.into(),
        value: value.into(),
    }
}

fn keys(inst: &Instance) -> Vec<String> {
    screens(inst).into_iter().map(|s| s.key).collect()
}

#[test]
fn before_consent_only_the_location_and_consent_screens_are_shown() {
    let inst = Instance::from_plan(kap(), facts().environment());
    assert_eq!(
        keys(&inst),
        [
            "/data/province",
            "/data/municipality",
            "/data/ward",
            "/data/consent",
            "/data/end_note"
        ]
    );
}

#[test]
fn consent_opens_field_lists_single_questions_and_the_roster() {
    let mut inst = Instance::from_plan(kap(), facts().environment());
    apply(&mut inst, &set("consent", "yes")).unwrap();
    let all = screens(&inst);
    let about = all.iter().find(|s| s.key == "/data/about").unwrap();
    match &about.kind {
        ScreenKind::FieldList { questions, .. } => assert_eq!(questions.len(), 3),
        other => panic!("about should be one field-list screen, got {other:?}"),
    }
    // `know` is a plain group: one screen per question, headed by the group.
    let heard = all
        .iter()
        .find(|s| s.key == "/data/know/heard_trafficking")
        .unwrap();
    assert_eq!(heard.within.len(), 1);
    assert_eq!(inst.path(heard.within[0]), "/data/know");
    // channels appears only once trafficking is heard of.
    assert!(!keys(&inst).contains(&"/data/know/channels".to_string()));
    apply(&mut inst, &set("heard_trafficking", "yes")).unwrap();
    assert!(keys(&inst).contains(&"/data/know/channels".to_string()));
    // The roster: one initial member's questions, then the prompt to add another.
    let k = keys(&inst);
    let prompt = k.iter().position(|k| k == "/data/migrants").unwrap();
    assert_eq!(k[prompt - 1], "/data/migrants[1]/m_contract");
    assert_eq!(k[prompt + 1], "/data/end_note");
}

#[test]
fn adding_and_removing_members_changes_the_screens() {
    let mut inst = Instance::from_plan(kap(), facts().environment());
    apply(&mut inst, &set("consent", "yes")).unwrap();
    let added = apply(
        &mut inst,
        &Action::AddRepeat {
            path: "/data/migrants".into(),
        },
    )
    .unwrap();
    assert_eq!(added, "/data/migrants[2]");
    assert!(keys(&inst).contains(&"/data/migrants[2]/m_country".to_string()));
    let prompt = screens(&inst)
        .into_iter()
        .find(|s| s.key == "/data/migrants")
        .unwrap();
    match prompt.kind {
        ScreenKind::RepeatPrompt { instances, .. } => assert_eq!(instances.len(), 2),
        other => panic!("expected the repeat prompt, got {other:?}"),
    }
    apply(
        &mut inst,
        &Action::RemoveRepeat {
            path: "/data/migrants[1]".into(),
        },
    )
    .unwrap();
    assert!(!keys(&inst).contains(&"/data/migrants[2]/m_country".to_string()));
    assert!(find_node(&inst, "/data/migrants[1]").is_some());
    assert!(find_node(&inst, "/data/migrants[2]").is_none());
}

#[test]
fn the_overview_marks_answered_unanswered_and_invalid() {
    let mut inst = Instance::from_plan(kap(), facts().environment());
    apply(&mut inst, &set("province", "koshi")).unwrap();
    apply(&mut inst, &set("ward", "99")).unwrap();
    let all = screens(&inst);
    let status = |strict: bool, path: &str| {
        overview(&inst, &all, strict)
            .into_iter()
            .find(|e| inst.path(e.node) == path)
            .map(|e| e.status)
    };
    assert_eq!(
        status(false, "/data/province"),
        Some(QuestionStatus::Answered)
    );
    assert_eq!(status(false, "/data/ward"), Some(QuestionStatus::Invalid));
    assert_eq!(
        status(false, "/data/municipality"),
        Some(QuestionStatus::Unanswered)
    );
    assert_eq!(
        status(true, "/data/municipality"),
        Some(QuestionStatus::Invalid)
    );
    // The closing note is read-only: nothing to answer, so not listed.
    assert_eq!(status(false, "/data/end_note"), None);
}

#[test]
fn the_same_facts_and_log_give_the_same_instance() {
    let log = [
        set("consent", "yes"),
        set("age", "23"),
        Action::AddRepeat {
            path: "/data/migrants".into(),
        },
        set("/data/migrants[2]/m_country", "qatar"),
    ];
    let run = || {
        let mut inst = Instance::from_plan(kap(), facts().environment());
        for action in &log {
            apply(&mut inst, action).unwrap();
        }
        inst.submission()
    };
    let first = run();
    assert_eq!(first, run());
    let id = first
        .iter()
        .find(|v| v.path == "/data/meta/instanceID")
        .unwrap();
    assert_eq!(id.value, "uuid:0193a5b2-7c4d-7e8f-9a0b-1c2d3e4f5a6b");
    let youth = first.iter().find(|v| v.path == "/data/youth").unwrap();
    assert_eq!(youth.value, "yes");
}

#[test]
fn actions_travel_as_tagged_json() {
    let json = serde_json::to_string(&set("/data/ward", "4")).unwrap();
    assert_eq!(json, r#"{"action":"set","path":"/data/ward","value":"4"}"#);
    let back: Action = serde_json::from_str(r#"{"action":"add_repeat","path":"/data/m"}"#).unwrap();
    assert_eq!(back.path(), "/data/m");
}
