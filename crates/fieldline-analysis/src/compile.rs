//! The form's indicators, compiled once: field references resolved to form nodes.

use std::collections::HashMap;

use fieldline_form::{Expr, Form, NodeId, Translations};

use crate::error::AnalysisError;
use crate::fast::Fast;

/// What to analyse beyond the form: the `--by`, `--cluster`, `--weight` and `--panel-id`
/// columns (each a header or a field name), and the instant `now()`/`today()` evaluate to.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Spec {
    pub by: Vec<String>,
    pub cluster: Option<String>,
    pub weight: Option<String>,
    pub panel_id: Option<String>,
    pub now_millis: f64,
}

impl Spec {
    /// Clustered and/or weighted: the survey (Taylor-linearised) design.
    pub fn is_survey(&self) -> bool {
        self.cluster.is_some() || self.weight.is_some()
    }
}

#[derive(Debug, Clone)]
pub(crate) struct CompiledIndicator {
    pub name: String,
    pub label: String,
    pub expression: Expr,
    pub denominator: Option<Expr>,
    /// The same, compiled for the common shapes (see [`crate::fast`]).
    pub fast_expression: Fast,
    pub fast_denominator: Option<Fast>,
    /// Nodes the expression and the denominator reference, in order of first use.
    pub refs: Vec<NodeId>,
}

/// A form ready to evaluate its indicators over submissions.
#[derive(Debug, Clone)]
pub struct Analysis {
    pub(crate) form: Form,
    pub(crate) spec: Spec,
    pub(crate) indicators: Vec<CompiledIndicator>,
    /// `${name}` -> node (the first node of that name, as the form engine resolves it).
    pub(crate) field_ids: HashMap<String, NodeId>,
}

impl Analysis {
    pub fn new(form: Form, spec: Spec) -> Result<Analysis, AnalysisError> {
        if form.indicators.is_empty() {
            return Err(AnalysisError::Form(format!(
                "the form {} has no indicators: add an 'indicators' sheet with the columns name, \
                 label, expression and optionally denominator",
                form.settings.form_id
            )));
        }
        let mut field_ids = HashMap::new();
        for node in &form.nodes {
            field_ids.entry(node.name.clone()).or_insert(node.id);
        }
        let mut indicators = Vec::new();
        for ind in &form.indicators {
            let mut refs = Vec::new();
            let exprs = std::iter::once(&ind.expression).chain(ind.denominator.as_ref());
            for e in exprs {
                for name in e.expr().field_refs() {
                    let Some(&id) = field_ids.get(name) else {
                        return Err(AnalysisError::Form(format!(
                            "indicator {} (indicators sheet, row {}) refers to ${{{name}}}, \
                             which is not a field of the form",
                            ind.name, ind.row
                        )));
                    };
                    if !refs.contains(&id) {
                        refs.push(id);
                    }
                }
            }
            indicators.push(CompiledIndicator {
                name: ind.name.clone(),
                label: text_in(&ind.label, &form.default_language)
                    .unwrap_or(&ind.name)
                    .to_string(),
                expression: ind.expression.expr().clone(),
                denominator: ind.denominator.as_ref().map(|d| d.expr().clone()),
                fast_expression: Fast::Const(false),
                fast_denominator: None,
                refs,
            });
        }
        let mut analysis = Analysis {
            form,
            spec,
            indicators,
            field_ids,
        };
        let compiled: Vec<(Fast, Option<Fast>)> = analysis
            .indicators
            .iter()
            .map(|i| {
                (
                    Fast::compile(&i.expression, &analysis),
                    i.denominator.as_ref().map(|d| Fast::compile(d, &analysis)),
                )
            })
            .collect();
        for (ind, (e, d)) in analysis.indicators.iter_mut().zip(compiled) {
            ind.fast_expression = e;
            ind.fast_denominator = d;
        }
        Ok(analysis)
    }

    pub fn form(&self) -> &Form {
        &self.form
    }

    pub fn spec(&self) -> &Spec {
        &self.spec
    }

    /// Indicator names in sheet order.
    pub fn indicator_names(&self) -> impl Iterator<Item = &str> {
        self.indicators.iter().map(|i| i.name.as_str())
    }
}

/// Text in `language`, else in the unnamed column, else the first language that has some.
pub(crate) fn text_in<'t>(t: &'t Translations, language: &str) -> Option<&'t str> {
    t.get(language)
        .or_else(|| t.get("default"))
        .or_else(|| t.values().find(|v| !v.is_empty()))
        .map(String::as_str)
        .filter(|s| !s.is_empty())
}
