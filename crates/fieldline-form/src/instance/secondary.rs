//! Secondary instances: each choice list as pyxform writes it into the XForm,
//! `<instance id="list"><root><item><name/><label/>...</item></root></instance>`, so
//! `instance('list')/root/item[name = ${x}]/label` lookups and choice filters see what ODK sees.
//! Built once per form and never changed.

use std::collections::HashMap;

use crate::model::{ChoiceList, Form};

#[derive(Debug)]
pub(crate) struct SNode {
    pub name: String,
    pub value: String,
    pub parent: Option<u32>,
    pub children: Vec<u32>,
}

#[derive(Debug, Default)]
pub(crate) struct Secondary {
    pub nodes: Vec<SNode>,
    /// Instance id -> its document node.
    pub documents: HashMap<String, u32>,
    /// For each choice list (same index as `Form::choice_lists`), its item nodes in order.
    pub items: Vec<Vec<u32>>,
}

/// Whether pyxform writes the list's labels as itext references (translated or with media)
/// rather than as a plain `label` child.
pub(crate) fn uses_itext(list: &ChoiceList, default_language: &str) -> bool {
    list.choices
        .iter()
        .any(|c| !c.media.is_empty() || c.label.keys().any(|k| k != default_language))
}

impl Secondary {
    pub fn build(form: &Form) -> Secondary {
        let mut s = Secondary::default();
        for list in &form.choice_lists {
            let doc = s.add("", String::new(), None);
            let root = s.add("root", String::new(), Some(doc));
            let itext = uses_itext(list, &form.default_language);
            let mut items = Vec::with_capacity(list.choices.len());
            for (i, c) in list.choices.iter().enumerate() {
                let item = s.add("item", String::new(), Some(root));
                items.push(item);
                if itext {
                    s.add("itextId", format!("{}-{i}", list.name), Some(item));
                }
                s.add("name", c.name.clone(), Some(item));
                if !itext {
                    let label = c
                        .label
                        .get(&form.default_language)
                        .or_else(|| c.label.values().next())
                        .cloned()
                        .unwrap_or_default();
                    s.add("label", label, Some(item));
                }
                for (k, v) in &c.extra {
                    s.add(k, v.clone(), Some(item));
                }
            }
            s.items.push(items);
            s.documents.insert(list.name.clone(), doc);
            // `select_one_from_file cities.csv` is `instance('cities')` in the XForm.
            if let Some((stem, _)) = list.name.rsplit_once('.') {
                s.documents.entry(stem.to_string()).or_insert(doc);
            }
        }
        s
    }

    fn add(&mut self, name: &str, value: String, parent: Option<u32>) -> u32 {
        let id = self.nodes.len() as u32;
        self.nodes.push(SNode {
            name: name.to_string(),
            value,
            parent,
            children: Vec::new(),
        });
        if let Some(p) = parent {
            self.nodes[p as usize].children.push(id);
        }
        id
    }

    /// The document node above `node`.
    pub fn document(&self, mut node: u32) -> u32 {
        while let Some(p) = self.nodes[node as usize].parent {
            node = p;
        }
        node
    }

    /// XPath string value: the text of the node and its descendants.
    pub fn string_value(&self, node: u32) -> std::borrow::Cow<'_, str> {
        let n = &self.nodes[node as usize];
        if n.children.is_empty() {
            return std::borrow::Cow::Borrowed(&n.value);
        }
        let mut out = String::new();
        self.collect(node, &mut out);
        std::borrow::Cow::Owned(out)
    }

    fn collect(&self, node: u32, out: &mut String) {
        let n = &self.nodes[node as usize];
        out.push_str(&n.value);
        for &c in &n.children {
            self.collect(c, out);
        }
    }
}
