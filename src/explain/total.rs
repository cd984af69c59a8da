//! A methodology total explained: its value (computed by the evaluator's own totals code,
//! so it is exactly eval's), and its largest contributions, each an entity's figure (times
//! the methodology's scale, when it declares one), explainable in turn.

use super::graph::*;
use super::trace::{labelled, same, Tracer};
use crate::ast::{IndexDecl, MethodologyDef, Total, UnitExpr};
use crate::diagnostic::codes::Code;
use crate::diagnostic::Diagnostic;
use crate::eval::column::Column;
use crate::eval::engine::{Env, Target};
use crate::eval::run::{self, unit_out, TotalOut, TotalRow, UnitOut};
use crate::source::Spanned;
use crate::value::{approx, Bound, Value};
use rust_decimal::Decimal;

/// The node of total number `index` of `meth`, for the group `by` (empty: the overall row).
pub fn explain<'m>(
    tracer: &mut Tracer<'_, 'm, '_>,
    meth: &str,
    index: usize,
    by: &[(String, String)],
    top: usize,
) -> Result<usize, Box<Diagnostic>> {
    let model = tracer.model;
    let internal = |m: &str| Box::new(Diagnostic::new(Code::InternalError, m.to_string()));
    let def = model.methodology(meth).ok_or_else(|| internal("no such methodology"))?;
    let t = def.totals.get(index).ok_or_else(|| internal("no such total"))?;
    let figure = &t.node.figure.node;
    let fig = def.figures.iter().find(|f| f.node.name.node == *figure);
    let decls: &[Spanned<IndexDecl>] = fig.map_or(&[], |f| &f.node.indices);
    let summed = Summed { meth, def, figure, decls };
    let out = crate::eval::totals::total(tracer.ev, model, meth, def, &t.node).ok_or_else(|| internal("no total"))?;
    let wanted = wanted_groups(decls, &t.node.by, by);
    let row = group_row(&out, &wanted, figure)?;
    let unit = fig
        .and_then(|f| f.node.unit.as_ref())
        .map_or_else(|| unit_out(model, &UnitExpr::default()), |u| unit_out(model, &u.node));
    let (count, missing) = (row.count, row.missing);
    let id = push_total(tracer, &summed, t, &wanted, row.value.clone(), unit.clone());

    // Every entity's contribution to this group: figure × scale, largest first.
    let meth_name = model.meth_name(meth);
    let env = Env { methodology: Some(meth_name), ..Env::default() };
    let scale = def.scale.as_ref().map(|s| tracer.ev.scale(s, &env));
    let (keys, mut contributions) = contributions(tracer, &summed, &wanted, scale.as_ref());
    let nonzero = contributions.len();
    keep_largest(&mut contributions, top);
    let inputs = if tracer_expands(tracer) {
        contribution_nodes(tracer, &summed, meth_name, &keys, &contributions, &unit, scale.as_ref())
    } else {
        Vec::new()
    };
    if let Some(node) = tracer.nodes.get_mut(id) {
        node.total = Some(TotalInfo {
            total_by: t.node.by.iter().map(|b| b.node.clone()).collect(),
            by: wanted,
            scaled: out.scaled,
            count,
            missing,
            shown: contributions.len(),
            nonzero,
        });
        node.truncated = inputs.is_empty() && nonzero > 0;
        node.inputs = inputs;
    }
    Ok(id)
}

/// What every piece of one total's explanation reads: the methodology and the figure it sums.
struct Summed<'d> {
    meth: &'d str,
    def: &'d MethodologyDef,
    figure: &'d String,
    /// The figure's indices (none for a plain figure).
    decls: &'d [Spanned<IndexDecl>],
}

/// One entity's share of a total: its value, its row, and the number of its index key.
/// An entity's part of a total (its value times its scale, with the bound of an approximate
/// one), its row and its key.
type Contribution = (approx::Near, usize, usize);

/// The dimension a `--by` name means: the user may name it by set, field or variable.
fn canonical<'d>(decls: &'d [Spanned<IndexDecl>], name: &'d str) -> &'d str {
    decls.iter().find(|d| d.node.var.node == name).map_or(name, |d| d.node.set.node.as_str())
}

/// The user's `--by` in the total's order, each named as the total names it.
fn wanted_groups(
    decls: &[Spanned<IndexDecl>],
    total_by: &[Spanned<String>],
    by: &[(String, String)],
) -> Vec<(String, String)> {
    let mut wanted = Vec::new();
    for b in total_by {
        let dim = canonical(decls, &b.node);
        if let Some((_, v)) = by.iter().find(|(k, _)| canonical(decls, k) == dim) {
            wanted.push((b.node.clone(), v.clone()));
        }
    }
    wanted
}

/// The total's row for the wanted group (the overall row when none is wanted), or an error
/// listing the groups there are.
fn group_row<'o>(
    out: &'o TotalOut,
    wanted: &[(String, String)],
    figure: &str,
) -> Result<&'o TotalRow, Box<Diagnostic>> {
    let row = if wanted.is_empty() {
        Some(&out.grand)
    } else {
        out.rows.iter().find(|r| r.dims.iter().zip(wanted).all(|(d, (_, v))| d == v))
    };
    row.ok_or_else(|| {
        let groups: Vec<String> = out.rows.iter().map(|r| r.dims.join(", ")).collect();
        Box::new(
            Diagnostic::new(
                Code::UnknownSelection,
                format!(
                    "no group {} in the total of `{figure}`",
                    wanted.iter().map(|(k, v)| format!("{k}={v}")).collect::<Vec<_>>().join(", ")
                ),
            )
            .help(format!("its groups are: {}", groups.join("; "))),
        )
    })
}

/// The total's own node, named and selectable by its group; its inputs come later.
fn push_total(
    tracer: &mut Tracer<'_, '_, '_>,
    summed: &Summed<'_>,
    t: &Spanned<Total>,
    wanted: &[(String, String)],
    value: Value,
    unit: UnitOut,
) -> usize {
    let (meth, figure) = (summed.meth, summed.figure);
    let shown_by: Vec<String> = wanted.iter().map(|(k, v)| format!("{k}={v}")).collect();
    let name = if shown_by.is_empty() {
        format!("total {figure}")
    } else {
        format!("total {figure} by {}", shown_by.join(", "))
    };
    let mut node = Node::new(Kind::Total, name, value, unit);
    node.methodology = Some(meth.to_string());
    node.rule = Some(tracer.rule(t.span, Vec::new()));
    let mut args = vec![format!("total_{figure}"), "--methodology".to_string(), meth.to_string()];
    if !shown_by.is_empty() {
        args.extend(["--by".to_string(), shown_by.join(",")]);
    }
    node.selector = Some(args);
    let id = tracer.nodes.len();
    tracer.nodes.push(node);
    id
}

/// The figure's index keys in the wanted group, and every entity's nonzero contribution
/// (figure × scale) for each of them, in row order.
fn contributions(
    tracer: &mut Tracer<'_, '_, '_>,
    summed: &Summed<'_>,
    wanted: &[(String, String)],
    scale: Option<&Column>,
) -> (Vec<Vec<String>>, Vec<Contribution>) {
    let decls = summed.decls;
    let keys: Vec<Vec<String>> = run::combinations(tracer.model, decls)
        .into_iter()
        .filter(|key| {
            wanted.iter().all(|(dim, v)| match decls.iter().position(|d| d.node.set.node == canonical(decls, dim)) {
                Some(i) => key.get(i) == Some(v),
                None => true,
            })
        })
        .collect();
    // A `--by` dimension that is not one of the figure's indices is a field of the entity.
    let mut field_filters: Vec<(Column, String)> = Vec::new();
    for (dim, v) in wanted {
        if !decls.iter().any(|d| d.node.set.node == canonical(decls, dim)) {
            field_filters.push((tracer.ev.target(&Target::Field(dim.clone()), &[]), v.clone()));
        }
    }
    let n = tracer.ev.frame.keys.len();
    let mut contributions: Vec<Contribution> = Vec::new();
    for (k, key) in keys.iter().enumerate() {
        let column = tracer.ev.target(&Target::Figure(summed.meth.to_string(), summed.figure.clone()), key);
        for r in 0..n {
            if !field_filters.iter().all(|(c, v)| c.get(r).as_text().unwrap_or("(missing)") == v) {
                continue;
            }
            let factor = match scale.map(|s| s.get(r)) {
                None => Some((Decimal::ONE, Bound::ZERO)),
                Some(s) => s.as_near(),
            };
            if let (Some(v), Some(f)) = (column.get(r).as_near(), factor) {
                if let Some(c) = approx::mul(v, f).filter(|c| !c.0.is_zero()) {
                    contributions.push((c, r, k));
                }
            }
        }
    }
    (keys, contributions)
}

/// Keep the `top` largest contributions by size, largest first, ties in row then key
/// order; a partial selection first, so a million entities are not all sorted.
fn keep_largest(contributions: &mut Vec<Contribution>, top: usize) {
    let order =
        |a: &Contribution, b: &Contribution| b.0 .0.abs().cmp(&a.0 .0.abs()).then(a.1.cmp(&b.1)).then(a.2.cmp(&b.2));
    if contributions.len() > top && top > 0 {
        contributions.select_nth_unstable_by(top.saturating_sub(1), order);
        contributions.truncate(top);
    }
    contributions.sort_by(order);
    contributions.truncate(top);
}

/// A node for each contribution shown, with (below `--depth 1`) its figure and the
/// entity's scale traced as its inputs; an entity's scale is traced once, however many of
/// its keys contribute.
fn contribution_nodes<'m>(
    tracer: &mut Tracer<'_, 'm, '_>,
    summed: &Summed<'_>,
    meth_name: &'m str,
    keys: &[Vec<String>],
    contributions: &[Contribution],
    unit: &UnitOut,
    scale: Option<&Column>,
) -> Vec<usize> {
    let (meth, figure, def) = (summed.meth, summed.figure, summed.def);
    let mut inputs = Vec::new();
    let mut scales: std::collections::HashMap<usize, usize> = std::collections::HashMap::new();
    for (c, r, k) in contributions {
        let key = keys.get(*k).cloned().unwrap_or_default();
        let target = Target::Figure(meth.to_string(), figure.clone());
        let mut contribution = Node::new(
            Kind::Contribution,
            if key.is_empty() { figure.clone() } else { format!("{figure}[{}]", key.join(",")) },
            Value::near(*c),
            unit.clone(),
        );
        contribution.methodology = Some(meth.to_string());
        contribution.entity = tracer.ev.frame.keys.get(*r).map(|k| k.to_string());
        contribution.index = labelled(summed.decls, &key);
        contribution.selector = Some(tracer.selector(&target, &key, Some(*r)));
        contribution.scaled = def.scale.is_some();
        // At `--depth 1` the contributions alone; deeper, each one's figure and scale.
        if tracer.max_depth().is_some_and(|m| m < 2) {
            contribution.truncated = true;
            inputs.push(tracer.nodes.len());
            tracer.nodes.push(contribution);
            continue;
        }
        let fig_id = tracer.definition(&target, &key, *r, 2);
        contribution.inputs.push(fig_id);
        if let Some(s) = &def.scale {
            let scale_id = match scales.get(r) {
                Some(id) => *id,
                None => {
                    let id = scale_node(tracer, s, meth_name, *r, scale);
                    scales.insert(*r, id);
                    id
                }
            };
            contribution.inputs.push(scale_id);
        }
        inputs.push(tracer.nodes.len());
        tracer.nodes.push(contribution);
    }
    inputs
}

fn tracer_expands(tracer: &Tracer<'_, '_, '_>) -> bool {
    tracer.max_depth().is_none_or(|m| m > 0)
}

/// The methodology's scale for one entity, traced (shared by the entity's contributions).
fn scale_node<'m>(
    tracer: &mut Tracer<'_, 'm, '_>,
    scale: &crate::ast::Expr,
    meth: &'m str,
    row: usize,
    fast: Option<&Column>,
) -> usize {
    let (value, unit, rule, inputs) = tracer.trace_expr(scale, meth, row, 2);
    let fast = fast.map(|c| c.get(row).clone()).unwrap_or_else(|| Value::Num(Decimal::ONE));
    if !same(&value, &fast) {
        tracer.problems.push(
            Diagnostic::new(
                Code::InternalError,
                format!("explaining the scale gives {value} but evaluation gives {fast}"),
            )
            .primary(scale.span, "traced here"),
        );
    }
    let mut node = Node::new(Kind::Scale, "scale".to_string(), value, unit);
    node.methodology = Some(meth.to_string());
    node.entity = tracer.ev.frame.keys.get(row).map(|k| k.to_string());
    node.rule = Some(rule);
    node.inputs = inputs;
    let id = tracer.nodes.len();
    tracer.nodes.push(node);
    id
}
