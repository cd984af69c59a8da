//! What `eval --select` asks for, and the index members a selector names
//! (`saving[finance]`): read and checked here for `eval` and `explain` alike.

use super::model::Model;
use crate::ast::IndexDecl;
use crate::check::suggest;
use crate::check::symbols::Item;
use crate::diagnostic::codes::Code;
use crate::diagnostic::Diagnostic;
use crate::source::Spanned;

/// One `--select`: a KPI, a methodology (its totals) or `methodology.figure`, the figures
/// with every combination of index members or, given `[member, ...]`, that one.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Selection {
    pub name: String,
    pub key: Option<Vec<String>>,
}

impl Selection {
    /// Is the KPI `name` (no methodology) or the figure `methodology.name`, with index
    /// members `key`, asked for?
    pub fn wants(&self, name: &str, methodology: Option<&str>, key: &[String]) -> bool {
        let named = match methodology {
            None => self.name == name,
            Some(m) => self.wants_figure(name, m),
        };
        named && self.key.as_deref().is_none_or(|k| k == key)
    }

    /// Is the figure `name` of methodology `meth` asked for, with some index members?
    pub fn wants_figure(&self, name: &str, meth: &str) -> bool {
        self.name.strip_prefix(meth).and_then(|r| r.strip_prefix('.')) == Some(name)
    }

    /// Are the totals of methodology `meth` asked for: by its name, or one of its figures'?
    pub fn wants_totals(&self, meth: &str) -> bool {
        self.name.strip_prefix(meth).is_some_and(|r| r.is_empty() || r.starts_with('.'))
    }
}

/// `--select` values, each a comma-separated list: split at the commas outside brackets,
/// so `a.saving[finance,small]` stays one selection.
pub fn split_list(values: &[String]) -> Vec<String> {
    let mut out = Vec::new();
    for value in values {
        let (mut depth, mut start) = (0usize, 0);
        for (at, c) in value.char_indices() {
            match c {
                '[' => depth = depth.saturating_add(1),
                ']' => depth = depth.saturating_sub(1),
                ',' if depth == 0 => {
                    out.push(value.get(start..at).unwrap_or("").trim().to_string());
                    start = at.saturating_add(','.len_utf8());
                }
                _ => {}
            }
        }
        out.push(value.get(start..).unwrap_or("").trim().to_string());
    }
    out.retain(|s| !s.is_empty());
    out
}

/// A selector's name and index members: `saving[finance, small]` is `saving` with
/// `finance` and `small`, `turnover` has none; `None` when the brackets do not close.
pub fn split_key(text: &str) -> Option<(&str, Option<Vec<String>>)> {
    match text.split_once('[') {
        Some((name, rest)) => {
            let inner = rest.strip_suffix(']')?;
            let key = inner.split(',').map(|s| s.trim().to_string()).filter(|s| !s.is_empty()).collect();
            Some((name.trim(), Some(key)))
        }
        None => Some((text.trim(), None)),
    }
}

fn usage(message: String, help: String) -> Box<Diagnostic> {
    Box::new(Diagnostic::new(Code::UnknownSelection, message).help(help))
}

/// That `key` gives `name` (indexed by `decls`) one member of each of its sets.
pub fn check_key(
    model: &Model<'_>,
    name: &str,
    decls: &[Spanned<IndexDecl>],
    key: &[String],
) -> Result<(), Box<Diagnostic>> {
    let sets: Vec<&str> = decls.iter().map(|d| d.node.set.node.as_str()).collect();
    if sets.len() != key.len() {
        let example = if sets.is_empty() { name.to_string() } else { format!("{name}[{}]", sets.join(", ")) };
        return Err(usage(
            format!(
                "`{name}` takes {} index{}, not {}",
                sets.len(),
                if sets.len() == 1 { "" } else { "es" },
                key.len()
            ),
            format!("write it as `{example}`, with a member of each set"),
        ));
    }
    for (set, member) in sets.iter().zip(key) {
        if !model.syms.is_member(set, member) {
            let members: Vec<String> =
                model.syms.members(set).unwrap_or_default().iter().map(|m| m.name.to_string()).collect();
            return Err(usage(
                format!("`{member}` is not a member of `{set}`"),
                suggest::help_for(
                    member,
                    members.iter().map(String::as_str),
                    &format!("the members are: {}", members.join(", ")),
                ),
            ));
        }
    }
    Ok(())
}

/// The `--select` values read and checked: each names a KPI, a methodology or one of its
/// figures, and the members given are one of each of the figure's index sets.
pub fn parse(model: &Model<'_>, values: &[String]) -> Result<Vec<Selection>, Box<Diagnostic>> {
    let kpis = model.kpi_names();
    let methodologies = model.methodologies();
    let mut known: Vec<String> = kpis.iter().map(|s| s.to_string()).collect();
    for (m, def) in &methodologies {
        known.push(m.to_string());
        known.extend(def.figures.iter().map(|f| format!("{m}.{}", f.node.name.node)));
    }
    let mut out = Vec::new();
    for text in split_list(values) {
        let Some((name, key)) = split_key(&text) else {
            return Err(usage(
                format!("`{text}` is not a selection"),
                "give a figure's index members in brackets: `methodology.figure[member, ...]`".to_string(),
            ));
        };
        if !known.iter().any(|k| k == name) {
            return Err(usage(
                format!("nothing named `{name}` to select"),
                suggest::help_for(
                    name,
                    known.iter().map(String::as_str),
                    "select a KPI, a methodology, or one of its figures as `methodology.figure`",
                ),
            ));
        }
        if let Some(key) = &key {
            check_key(model, name, index_decls(model, name).unwrap_or_default(), key).map_err(|d| {
                if index_decls(model, name).is_some() {
                    d
                } else {
                    usage(
                        format!("`{name}` is a methodology: its totals take no index members"),
                        format!("select one of its figures with members, as `{name}.FIGURE[member, ...]`"),
                    )
                }
            })?;
        }
        out.push(Selection { name: name.to_string(), key });
    }
    Ok(out)
}

/// The index declarations of the KPI or `methodology.figure` named; `None` for a
/// methodology's name.
fn index_decls<'a>(model: &Model<'a>, name: &str) -> Option<&'a [Spanned<IndexDecl>]> {
    if let Some(Item::Kpi(k)) = model.syms.get(name).map(|s| s.item) {
        return Some(&k.indices);
    }
    let (meth, figure) = name.split_once('.')?;
    model.syms.figures.get(&(meth, figure)).map(|f| f.node.indices.as_slice())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lists_split_outside_brackets() {
        let values = ["a, b.c[x,y]".to_string(), "d[z]".to_string()];
        assert_eq!(split_list(&values), ["a", "b.c[x,y]", "d[z]"]);
        assert_eq!(split_key("b.c[x, y]"), Some(("b.c", Some(vec!["x".to_string(), "y".to_string()]))));
        assert_eq!(split_key("b.c"), Some(("b.c", None)));
        assert_eq!(split_key("b.c[x"), None);
    }

    #[test]
    fn a_selection_wants_its_figure_and_members() {
        let s = Selection { name: "m.saving".into(), key: Some(vec!["finance".into()]) };
        assert!(s.wants("saving", Some("m"), &["finance".to_string()]));
        assert!(!s.wants("saving", Some("m"), &["hr".to_string()]));
        assert!(!s.wants("saving", None, &["finance".to_string()]));
        assert!(s.wants_totals("m"));
        assert!(!s.wants_totals("m2"));
        let kpi = Selection { name: "share".into(), key: None };
        assert!(kpi.wants("share", None, &["hr".to_string()]));
        assert!(!kpi.wants_totals("sh"));
    }
}
