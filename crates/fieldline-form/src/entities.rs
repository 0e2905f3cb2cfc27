//! A minimal reading of the `entities` sheet: the form-level entity declaration pyxform puts
//! in `meta/entity` (with its `label`), so instance paths match. Saving questions to entity
//! properties (`save_to`) is kept as a bind attribute on the question.

use crate::draft::Draft;
use crate::expression::Expression;
use crate::headers::{self, Vocabulary};
use crate::model::NodeKind;
use crate::problems::Problems;
use crate::types::QuestionType;
use crate::workbook::Workbook;

/// The `meta/entity` node for the first declaration, if the form has an entities sheet.
pub fn read(wb: &Workbook, problems: &mut Problems) -> Option<Draft> {
    let sheet = wb.sheet("entities")?;
    let table = headers::table(sheet, Vocabulary::Indicators, false, problems);
    let row = table.rows.first()?;
    // Entity columns are matched case-insensitively, as pyxform does.
    let get = |k: &str| {
        row.cells.iter().find_map(|(h, v)| {
            let original = &table.headers[*h].original;
            original
                .trim()
                .eq_ignore_ascii_case(k)
                .then(|| v.to_string())
        })
    };
    let dataset = get("dataset").or_else(|| get("list_name"))?;
    let mut entity = Draft::new("entity", NodeKind::Group);
    entity.node.row = Some(row.number);
    entity.node.attributes.insert("dataset".into(), dataset);
    for key in ["create_if", "update_if", "entity_id"] {
        if let Some(v) = get(key) {
            entity.node.attributes.insert(key.into(), v);
        }
    }
    if let Some(label) = get("label") {
        let mut l = Draft::new("label", NodeKind::Question(QuestionType::Calculate));
        l.node.bind.readonly = Expression::parse("true()").ok();
        l.node.bind.calculate = Expression::parse(&label).ok();
        entity.children.push(l);
    }
    Some(entity)
}
