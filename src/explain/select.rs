//! What a selector names: `saving[finance]` (with `--methodology`), `national_average.saving[finance]`,
//! a KPI `cost_share[finance]`, a parameter `rate[small]`, a field `turnover`, or a
//! total `total_saving` (with `--by size=small`).

use super::Request;
use crate::ast::IndexDecl;
use crate::check::suggest;
use crate::check::symbols::Item;
use crate::diagnostic::codes::Code;
use crate::diagnostic::Diagnostic;
use crate::eval::engine::Target;
use crate::eval::model::Model;
use crate::source::Spanned;

#[derive(Debug, Clone)]
pub enum Subject {
    /// A KPI, figure, parameter or field, with its index key.
    Target(Target, Vec<String>),
    /// The `total` declaration at this position in the methodology.
    Total { methodology: String, total: usize },
}

type Error = Box<Diagnostic>;

fn usage(message: String, help: String) -> Error {
    Box::new(Diagnostic::new(Code::UnknownSelection, message).help(help))
}

pub fn resolve(model: &Model<'_>, request: &Request) -> Result<Subject, Error> {
    resolve_key(model, request, true)
}

/// A figure with or without its index key (`cost_share` for every member): what a figure
/// depends on whatever its members.
pub fn resolve_any_key(model: &Model<'_>, request: &Request) -> Result<Subject, Error> {
    resolve_key(model, request, false)
}

fn resolve_key(model: &Model<'_>, request: &Request, check_key: bool) -> Result<Subject, Error> {
    let text = request.selector.trim();
    let (name, key) = crate::eval::select::split_key(text).ok_or_else(|| {
        usage(format!("`{text}` is not a selector"), "write a figure as `name[member, ...]`".to_string())
    })?;
    let key = key.unwrap_or_default();
    let (meth_prefix, name) = match name.split_once('.') {
        Some((m, n)) => (Some(m), n),
        None => (None, name),
    };
    let asked_meth = meth_prefix.or(request.methodology.as_deref());
    if let Some(m) = asked_meth {
        if model.methodology(m).is_none() {
            let names: Vec<&str> = model.methodologies().iter().map(|(n, _)| *n).collect();
            return Err(usage(
                format!("no methodology `{m}`"),
                suggest::help_for(m, names.iter().copied(), &format!("the methodologies are: {}", names.join(", "))),
            ));
        }
    }
    if let Some(figure) = name.strip_prefix("total_") {
        let meth = methodology_of(model, figure, asked_meth)?;
        return total(model, &meth, figure, &request.by).map(|total| Subject::Total { methodology: meth, total });
    }
    let is_figure = |m: &str| model.syms.figures.contains_key(&(m, name));
    let target = if let Some(m) = asked_meth.filter(|m| is_figure(m)) {
        Target::Figure(m.to_string(), name.to_string())
    } else {
        match model.syms.get(name).map(|s| s.item) {
            Some(Item::Kpi(_)) => Target::Kpi(name.to_string()),
            Some(Item::Param(_)) => Target::Param(name.to_string()),
            Some(Item::Field { .. }) => Target::Field(name.to_string()),
            _ => Target::Figure(methodology_of(model, name, asked_meth)?, name.to_string()),
        }
    };
    if check_key {
        crate::eval::select::check_key(model, name, index_decls(model, &target), &key)?;
    }
    Ok(Subject::Target(target, key))
}

/// The methodology a figure belongs to: the one asked for, or the only one defining it.
fn methodology_of(model: &Model<'_>, figure: &str, asked: Option<&str>) -> Result<String, Error> {
    let defining: Vec<&str> = model
        .methodologies()
        .iter()
        .map(|(n, _)| *n)
        .filter(|m| model.syms.figures.contains_key(&(*m, figure)))
        .collect();
    match (asked, defining.as_slice()) {
        (Some(m), _) if defining.contains(&m) => return Ok(m.to_string()),
        (Some(m), [_, ..]) => {
            return Err(usage(
                format!("methodology `{m}` has no figure `{figure}`"),
                format!("`{figure}` is a figure of {}", defining.join(", ")),
            ))
        }
        (None, [one]) => return Ok(one.to_string()),
        (None, [_, _, ..]) => {
            return Err(usage(
                format!("`{figure}` is a figure of several methodologies"),
                format!("give `--methodology`, one of: {}", defining.join(", ")),
            ))
        }
        _ => {}
    }
    let mut known: Vec<String> = model.kpi_names().iter().map(|s| s.to_string()).collect();
    for (_, def) in model.methodologies() {
        known.extend(def.figures.iter().map(|f| f.node.name.node.clone()));
    }
    Err(usage(
        format!("nothing named `{figure}` to explain"),
        suggest::help_for(
            figure,
            known.iter().map(String::as_str),
            "explain a KPI, a methodology figure, a parameter, a field, or `total_FIGURE`",
        ),
    ))
}

fn index_decls<'a>(model: &Model<'a>, target: &Target) -> &'a [Spanned<IndexDecl>] {
    match target {
        Target::Figure(m, f) => model.syms.figures.get(&(m.as_str(), f.as_str())).map_or(&[], |f| &f.node.indices),
        Target::Kpi(n) | Target::Param(n) | Target::Field(n) => match model.syms.get(n).map(|s| s.item) {
            Some(Item::Kpi(k)) => &k.indices,
            Some(Item::Param(p)) => &p.indices,
            Some(Item::Field { field, .. }) => &field.indices,
            _ => &[],
        },
    }
}

/// The `total FIGURE by ...` declaration whose dimensions are those of `--by` (none: the
/// grand total, or the first total of the figure, whose overall row it is).
fn total(model: &Model<'_>, meth: &str, figure: &str, by: &[(String, String)]) -> Result<usize, Error> {
    let def = model.methodology(meth).ok_or_else(|| usage(format!("no methodology `{meth}`"), String::new()))?;
    let fig = def.figures.iter().find(|f| f.node.name.node == figure);
    let canonical = |name: &str| -> String {
        fig.and_then(|f| f.node.indices.iter().find(|d| d.node.var.node == name))
            .map_or_else(|| name.to_string(), |d| d.node.set.node.clone())
    };
    let mut wanted: Vec<String> = by.iter().map(|(k, _)| canonical(k)).collect();
    wanted.sort();
    let of_figure: Vec<(usize, Vec<String>)> = def
        .totals
        .iter()
        .enumerate()
        .filter(|(_, t)| t.node.figure.node == figure)
        .map(|(i, t)| {
            let mut dims: Vec<String> = t.node.by.iter().map(|b| canonical(&b.node)).collect();
            dims.sort();
            (i, dims)
        })
        .collect();
    if let Some((i, _)) = of_figure.iter().find(|(_, d)| *d == wanted) {
        return Ok(*i);
    }
    match (by.is_empty(), of_figure.first()) {
        (true, Some((i, _))) => Ok(*i),
        _ => {
            let shown: Vec<String> =
                of_figure.iter().map(|(_, d)| if d.is_empty() { "(none)".to_string() } else { d.join(", ") }).collect();
            Err(usage(
                format!(
                    "`{meth}` has no total of `{figure}` by {}",
                    if wanted.is_empty() { "nothing".to_string() } else { wanted.join(", ") }
                ),
                if shown.is_empty() {
                    format!("`{meth}` declares no total of `{figure}`")
                } else {
                    format!("its totals of `{figure}` are by: {}", shown.join("; "))
                },
            ))
        }
    }
}
