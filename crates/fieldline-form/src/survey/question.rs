//! One question row that is neither a select nor a container: its type (with pyxform's
//! legacy spellings and "did you mean"), its columns, and what its type implies (constraint,
//! preload, read-only notes).

use crate::draft::{Context, Draft};
use crate::expression::Expression;
use crate::fields::{default_is_dynamic, fill};
use crate::headers::{Row, Table};
use crate::model::NodeKind;
use crate::types::{simple_type, suggest, QuestionType};

/// The node for a question row, or `None` (with a problem) when its type is not known.
pub(super) fn question(
    ty: &str,
    name: String,
    row: &Row,
    table: &Table,
    cx: &mut Context,
) -> Option<Draft> {
    let sheet = &table.sheet;
    let type_col = table.header(&["type"]).map(|h| h.column());
    let osm = ty.strip_prefix("osm ").filter(|l| !l.contains(' '));
    let Some((qt, implied_constraint)) = simple_type(ty).or(osm.map(|_| (QuestionType::Osm, None)))
    else {
        if ty == "include" || ty.starts_with("include ") {
            cx.problems.at(
                sheet,
                row.number,
                type_col.clone(),
                "This section has not been included: the 'include' type (pyxform's legacy \
                 way to paste another XLSForm in) is not supported.",
                "copy the rows of the included form into this survey sheet",
            );
            return None;
        }
        let hint = match suggest(ty) {
            // A select written without its list: the type itself is right.
            Some(s) if s == ty => format!(
                "'{ty}' needs the name of its list from the choices sheet: write '{ty} \
                 list_name'"
            ),
            Some(s) => format!("did you mean '{s}'? See https://xlsform.org/#question-types"),
            None => "use a type from https://xlsform.org/#question-types".to_string(),
        };
        cx.problems.at(
            sheet,
            row.number,
            type_col.clone(),
            format!("Unknown question type '{ty}'."),
            hint,
        );
        return None;
    };
    let mut d = Draft::new(name, NodeKind::Question(qt));
    fill(&mut d.node, table, row, cx.lang, cx.problems);
    d.node.in_instance = qt.has_instance_node();
    if let Some(c) = implied_constraint {
        if d.node.bind.constraint.is_none() {
            d.node.bind.constraint = Expression::parse(c).ok();
        }
    }
    if let Some((p, params)) = qt.preload() {
        // pyxform writes the `uri:` spellings verbatim as preload parameters, which ODK
        // does not recognise, so such a field stays empty.
        let params = if ty.starts_with("uri:") { ty } else { params };
        d.node.bind.preload = Some((p.to_string(), params.to_string()));
    }
    if qt == QuestionType::Note && d.node.bind.readonly.is_none() {
        d.node.bind.readonly = Expression::parse("true()").ok();
    }
    let date_like = matches!(
        qt.data_type(),
        crate::types::DataType::Date
            | crate::types::DataType::DateTime
            | crate::types::DataType::Geopoint
            | crate::types::DataType::Geotrace
            | crate::types::DataType::Geoshape
    );
    let dynamic = d
        .node
        .default
        .as_deref()
        .is_some_and(|v| default_is_dynamic(v, date_like));
    let has_calculation = table.get(row, &["bind", "calculate"]).is_some();
    if qt == QuestionType::Calculate && !has_calculation && !dynamic {
        let col = table
            .header(&["bind", "calculate"])
            .map(|h| h.column())
            .or(type_col.clone());
        cx.problems.at(
            sheet,
            row.number,
            col,
            "Missing calculation.",
            "write the expression to compute in the calculation column",
        );
    }
    if qt == QuestionType::Range {
        crate::select::check_range(&d.node, table, row, cx.problems);
    }
    Some(d)
}
