//! A whole evaluation: load the datasets, build each period's frame, compute the selected
//! KPIs and methodologies with their totals, and collect the results with their stamp.

use super::engine::{Env, Evaluator, Target};
use super::frame::{self, Frame};
use super::model::Model;
use super::script::ScriptHost;
use super::value::{Column, Value};
use crate::ast::{DefKind, IndexDecl, MethodologyDef, UnitExpr};
use crate::check::suggest;
use crate::check::symbols::Item;
use crate::codes::Code;
use crate::data::{self, LoadContext, RowCounts, Table};
use crate::diagnostic::Diagnostic;
use crate::load::RuleTree;
use crate::source::{SourceFile, Spanned};
use crate::stamp::Stamp;
use rayon::prelude::*;
use rust_decimal::Decimal;
use std::collections::HashMap;
use std::path::PathBuf;
use std::sync::Arc;

#[derive(Debug, Clone, Default)]
pub struct Request {
    pub data_dir: PathBuf,
    pub period: Option<String>,
    /// Methodologies to evaluate; empty means all.
    pub methodologies: Vec<String>,
    /// Figures to report: a KPI (entity by entity), a methodology (its totals), or
    /// `methodology.figure` (entity by entity); empty means all.
    pub select: Vec<String>,
}

/// How a unit is shown.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct UnitOut {
    /// As declared: `GBP`, `percent`, `GBP / FTE`.
    pub name: String,
    /// As read: `£`, `%`, `£ / FTE`.
    pub symbol: String,
    pub percent: bool,
    pub money: bool,
}

#[derive(Debug, Clone)]
pub struct FigureOut {
    pub name: String,
    pub methodology: Option<String>,
    /// (index set, member) for each index.
    pub index: Vec<(String, String)>,
    pub unit: UnitOut,
    pub values: Column,
}

#[derive(Debug, Clone)]
pub struct TotalRow {
    pub dims: Vec<String>,
    pub value: Value,
    /// Values summed, and values left out because they were missing.
    pub count: usize,
    pub missing: usize,
}

#[derive(Debug, Clone)]
pub struct TotalOut {
    pub methodology: String,
    pub figure: String,
    pub by: Vec<String>,
    pub unit: UnitOut,
    pub scaled: bool,
    pub rows: Vec<TotalRow>,
    pub grand: TotalRow,
    /// False when a dimension is a set of alternatives (low and high): its rows are the
    /// totals, and adding them up would mean nothing.
    pub has_grand: bool,
}

#[derive(Debug, Clone)]
pub struct PeriodResult {
    pub period: String,
    pub entities: Vec<Arc<str>>,
    pub figures: Vec<FigureOut>,
    pub totals: Vec<TotalOut>,
}

#[derive(Debug, Clone)]
pub struct Results {
    pub stamp: Stamp,
    /// Lines every report starts with, such as a data folder's NOTICE ("synthetic data").
    pub notices: Vec<String>,
    pub methodologies: Vec<String>,
    pub counts: Vec<(String, RowCounts)>,
    pub periods: Vec<PeriodResult>,
}

/// Evaluate a checked rules tree over the data folder. Errors stop the run; warnings are
/// returned with the results. `sources` gains the data files and scripts read.
pub fn run(tree: &RuleTree, request: &Request, sources: &mut Vec<SourceFile>) -> (Option<Results>, Vec<Diagnostic>) {
    let model = Model::new(tree);
    let mut diags = Vec::new();
    let methodologies = match select_methodologies(&model, &request.methodologies) {
        Ok(m) => m,
        Err(d) => return (None, vec![d]),
    };
    if let Err(d) = check_selection(&model, &request.select) {
        return (None, vec![d]);
    }
    // Load every dataset of entities (record datasets are for `classify` and policies),
    // converting the fields the selected figures need.
    let needed = needed_fields(&model, &methodologies, &request.select);
    let mut specs = model.entity_datasets();
    for spec in &mut specs {
        spec.fields.retain(|f| needed.contains(&f.key.field));
    }
    let mut ctx = LoadContext { sources, diagnostics: Vec::new() };
    let timer = crate::timing::Timer::start();
    let tables: Vec<Option<Table>> = specs
        .iter()
        .map(|s| match &s.classified {
            Some(t) => crate::classify::dataset::load(tree, s, t, &request.data_dir, &mut ctx),
            None => data::load(s, &request.data_dir, &mut ctx),
        })
        .collect();
    timer.lap("load data");
    diags.append(&mut ctx.diagnostics);
    if diags.iter().any(Diagnostic::is_error) {
        return (None, diags);
    }
    let mut tables: Vec<Table> = tables.into_iter().flatten().collect();
    tables.iter_mut().filter(|t| !t.records).for_each(Table::sort_by_key);
    timer.lap("sort tables by key");
    let scripts = ScriptHost::load(&model, ctx.sources, &mut diags);
    let script_sources: Vec<usize> = (tree.files.len()..ctx.sources.len()).collect();
    if diags.iter().any(Diagnostic::is_error) {
        super::script::resolve_positions(&mut diags, ctx.sources, &script_sources);
        return (None, diags);
    }
    let mut periods = frame::periods(&tables);
    if let Some(p) = &request.period {
        if !periods.iter().any(|x| x.as_ref() == p) {
            let shown: Vec<String> = periods.iter().map(|p| format!("`{p}`")).collect();
            diags.push(Diagnostic::new(Code::NoEntities, format!("no data for period `{p}`")).help(
                match suggest::did_you_mean(p, periods.iter().map(|x| x.as_ref())) {
                    Some(s) => format!("did you mean `{s}`? The data has {}", shown.join(", ")),
                    None => format!("the data has {}", shown.join(", ")),
                },
            ));
            return (None, diags);
        }
        periods.retain(|x| x.as_ref() == p);
    }
    let mut results = Vec::new();
    for period in &periods {
        let frame = frame::build(&tables, &specs, period);
        timer.lap("build frame");
        if frame.keys.is_empty() {
            continue;
        }
        let mut ev = Evaluator::new(&model, &frame, Some(&scripts));
        results.push(evaluate_period(&mut ev, &model, &frame, &methodologies, &request.select));
        ev.finish();
        timer.lap("evaluate");
        diags.append(&mut ev.diagnostics);
    }
    super::script::resolve_positions(&mut diags, ctx.sources, &script_sources);
    if results.is_empty() {
        diags.push(
            Diagnostic::new(Code::NoEntities, "no entity has data to evaluate")
                .help("check the data folder (`--data`) and the datasets' files"),
        );
    }
    if diags.iter().any(Diagnostic::is_error) {
        return (None, diags);
    }
    let stamp = Stamp::of(&tree.files, &tables);
    let notices = notice(&request.data_dir).into_iter().collect();
    let counts = tables.iter().map(|t| (t.dataset.clone(), t.counts)).collect();
    let methodologies = methodologies.iter().map(|(n, _)| n.to_string()).collect();
    (Some(Results { stamp, notices, methodologies, counts, periods: results }), diags)
}

/// The fields the selected KPIs and methodologies read.
fn needed_fields(
    model: &Model<'_>,
    methodologies: &[(&str, &MethodologyDef)],
    select: &[String],
) -> std::collections::HashSet<String> {
    let mut needs = super::needs::Needs::new(model);
    for kpi in model.kpi_names() {
        if selected(select, kpi, None) {
            needs.kpi(kpi);
        }
    }
    for (meth, _) in methodologies {
        let wanted = select.is_empty() || select.iter().any(|s| s == meth || s.starts_with(&format!("{meth}.")));
        if wanted {
            needs.methodology(meth);
        }
    }
    needs.fields
}

/// A data folder's `NOTICE` file: its first line heads every report made from the data.
pub fn notice(data_dir: &std::path::Path) -> Option<String> {
    let text = std::fs::read_to_string(data_dir.join("NOTICE")).ok()?;
    text.lines().map(str::trim).find(|l| !l.is_empty()).map(str::to_string)
}

fn select_methodologies<'a>(
    model: &Model<'a>,
    asked: &[String],
) -> Result<Vec<(&'a str, &'a MethodologyDef)>, Diagnostic> {
    let all = model.methodologies();
    if asked.is_empty() {
        return Ok(all);
    }
    let mut chosen = Vec::new();
    for name in asked {
        match all.iter().find(|(n, _)| *n == name) {
            Some(m) => chosen.push(*m),
            None => {
                let names: Vec<&str> = all.iter().map(|(n, _)| *n).collect();
                return Err(Diagnostic::new(Code::UnknownSelection, format!("no methodology `{name}`")).help(
                    suggest::help_for(
                        name,
                        names.iter().copied(),
                        &format!("the methodologies are: {}", names.join(", ")),
                    ),
                ));
            }
        }
    }
    Ok(chosen)
}

fn check_selection(model: &Model<'_>, select: &[String]) -> Result<(), Diagnostic> {
    let mut known: Vec<String> = model.kpi_names().iter().map(|s| s.to_string()).collect();
    for (m, def) in model.methodologies() {
        known.push(m.to_string());
        known.extend(def.figures.iter().map(|f| format!("{m}.{}", f.node.name.node)));
    }
    for s in select {
        if !known.contains(s) {
            return Err(Diagnostic::new(Code::UnknownSelection, format!("nothing named `{s}` to select")).help(
                suggest::help_for(
                    s,
                    known.iter().map(String::as_str),
                    "select a KPI, a methodology, or one of its figures as `methodology.figure`",
                ),
            ));
        }
    }
    Ok(())
}

/// Is a figure asked for? With no `--select`, everything is; a methodology's name asks for
/// its totals, `methodology.figure` for that figure entity by entity.
fn selected(select: &[String], name: &str, methodology: Option<&str>) -> bool {
    select.is_empty()
        || select.iter().any(|s| match methodology {
            None => s == name,
            Some(m) => *s == format!("{m}.{name}"),
        })
}

fn evaluate_period(
    ev: &mut Evaluator<'_, '_>,
    model: &Model<'_>,
    frame: &Frame<'_>,
    methodologies: &[(&str, &MethodologyDef)],
    select: &[String],
) -> PeriodResult {
    let mut figures = Vec::new();
    for d in model.definitions() {
        let DefKind::Kpi(k) = &d.node.kind else { continue };
        let name = &d.node.name.node;
        if !selected(select, name, None) {
            continue;
        }
        let unit = unit_out(model, &k.unit.node);
        for key in combinations(model, &k.indices) {
            let values = ev.target(&Target::Kpi(name.clone()), &key);
            figures.push(FigureOut {
                name: name.clone(),
                methodology: None,
                index: labelled(&k.indices, &key),
                unit: unit.clone(),
                values,
            });
        }
    }
    let mut totals = Vec::new();
    for (meth, def) in methodologies {
        for f in &def.figures {
            let name = &f.node.name.node;
            let wanted = selected(select, name, Some(meth)) || def.totals.iter().any(|t| t.node.figure.node == *name);
            if !wanted {
                continue;
            }
            let unit = f
                .node
                .unit
                .as_ref()
                .map_or_else(|| unit_out(model, &UnitExpr::default()), |u| unit_out(model, &u.node));
            for key in combinations(model, &f.node.indices) {
                let values = ev.target(&Target::Figure(meth.to_string(), name.clone()), &key);
                if selected(select, name, Some(meth)) {
                    figures.push(FigureOut {
                        name: name.clone(),
                        methodology: Some(meth.to_string()),
                        index: labelled(&f.node.indices, &key),
                        unit: unit.clone(),
                        values,
                    });
                }
            }
        }
        if select.is_empty() || select.iter().any(|s| s == meth || s.starts_with(&format!("{meth}."))) {
            for t in &def.totals {
                totals.push(total(ev, model, meth, def, &t.node, frame));
            }
        }
    }
    PeriodResult { period: frame.period.to_string(), entities: frame.keys.clone(), figures, totals }
}

/// Every combination of index members, in declaration order.
pub fn combinations(model: &Model<'_>, decls: &[Spanned<IndexDecl>]) -> Vec<Vec<String>> {
    let mut out = vec![Vec::new()];
    for d in decls {
        let members = model.syms.members(&d.node.set.node).unwrap_or_default();
        out = out
            .into_iter()
            .flat_map(|prefix| {
                members.iter().map(move |m| {
                    let mut k = prefix.clone();
                    k.push(m.name.to_string());
                    k
                })
            })
            .collect();
    }
    out
}

fn labelled(decls: &[Spanned<IndexDecl>], key: &[String]) -> Vec<(String, String)> {
    decls.iter().zip(key).map(|(d, k)| (d.node.set.node.clone(), k.clone())).collect()
}

/// A running sum: total, values added, values missing.
/// A total's group: exact sums per scale factor, and how many values were summed or missing.
struct GroupSums {
    by_factor: Vec<super::exact_sum::ExactSum>,
    count: usize,
    missing: usize,
}

impl GroupSums {
    fn new(factors: usize) -> GroupSums {
        GroupSums { by_factor: vec![super::exact_sum::ExactSum::default(); factors], count: 0, missing: 0 }
    }

    fn merge(&mut self, other: &GroupSums) {
        for (a, b) in self.by_factor.iter_mut().zip(&other.by_factor) {
            a.merge(b);
        }
        self.count += other.count;
        self.missing += other.missing;
    }

    /// Σ factor × (exact sum of its rows), factors in order of first appearance.
    fn value(&self, factors: &[Decimal]) -> Option<Decimal> {
        let mut total = Decimal::ZERO;
        for (sum, factor) in self.by_factor.iter().zip(factors.iter().chain(std::iter::repeat(&Decimal::ONE))) {
            total = total.checked_add(sum.value()?.checked_mul(*factor)?)?;
        }
        Some(total)
    }
}

const MONEY_SIGNS: &[&str] = &["£", "$", "€"];

pub fn unit_out(model: &Model<'_>, u: &UnitExpr) -> UnitOut {
    let name = u
        .factors
        .iter()
        .map(|(n, p)| if *p == 1 { n.node.clone() } else { format!("{}^{p}", n.node) })
        .collect::<Vec<_>>()
        .join(" · ");
    let dim = model.units.resolve(u, &mut Vec::new()).unwrap_or_default();
    let percent = matches!(u.factors.as_slice(), [(n, 1)] if n.node == "percent");
    // Money is a unit whose symbol is a currency sign, the signs money literals use.
    let money = model
        .units
        .currencies
        .iter()
        .any(|(sign, c)| MONEY_SIGNS.contains(&sign.as_str()) && dim == crate::check::units::Dim::base(c));
    let symbol = if percent { "%".to_string() } else { model.units.show(&dim) };
    UnitOut { name: if name.is_empty() { "ratio".to_string() } else { name }, symbol, percent, money }
}

/// A methodology total: the figure times the scale factor, summed over entities (and over
/// the figure's indices not named in `by`), grouped by the `by` dimensions.
pub fn total(
    ev: &mut Evaluator<'_, '_>,
    model: &Model<'_>,
    meth: &str,
    def: &MethodologyDef,
    t: &crate::ast::Total,
    frame: &Frame<'_>,
) -> TotalOut {
    let fig = def.figures.iter().find(|f| f.node.name.node == t.figure.node);
    let decls: &[Spanned<IndexDecl>] = fig.map_or(&[], |f| &f.node.indices);
    let unit = fig
        .and_then(|f| f.node.unit.as_ref())
        .map_or_else(|| unit_out(model, &UnitExpr::default()), |u| unit_out(model, &u.node));
    let env = Env { bindings: Vec::new(), methodology: Some(model.meth_name(meth)) };
    let scale = def.scale.as_ref().map(|s| ev.scale(s, &env));
    // Each dimension is an index of the figure (by set or variable name) or a field.
    enum Dim {
        Index(usize, String),
        Field(Column, Option<String>),
    }
    let dims: Vec<Dim> =
        t.by.iter()
            .map(|b| match decls.iter().position(|d| d.node.set.node == b.node || d.node.var.node == b.node) {
                Some(i) => Dim::Index(i, decls.get(i).map(|d| d.node.set.node.clone()).unwrap_or_default()),
                None => {
                    let set = match model.syms.get(&b.node).map(|s| s.item) {
                        Some(Item::Field { field, .. }) => match &field.ty.node {
                            crate::ast::FieldType::Unit(u) => u.factors.first().map(|(n, _)| n.node.clone()),
                            _ => None,
                        },
                        _ => None,
                    };
                    Dim::Field(ev.target(&Target::Field(b.node.clone()), &[]), set)
                }
            })
            .collect();
    // The field dimensions of each row, as small ids, worked out once for all index keys.
    let n = frame.keys.len();
    let mut field_ids: crate::fasthash::FastMap<Vec<&str>, usize> = crate::fasthash::map();
    let mut field_parts: Vec<Vec<String>> = Vec::new();
    let mut parts: Vec<&str> = Vec::new();
    let mut row_field: Vec<usize> = Vec::with_capacity(n);
    for row in 0..n {
        parts.clear();
        for d in &dims {
            if let Dim::Field(c, _) = d {
                parts.push(c.get(row).as_text().unwrap_or("(missing)"));
            }
        }
        let id = match field_ids.get(parts.as_slice()) {
            Some(id) => *id,
            None => {
                field_parts.push(parts.iter().map(|s| s.to_string()).collect());
                field_ids.insert(parts.clone(), field_parts.len() - 1);
                field_parts.len() - 1
            }
        };
        row_field.push(id);
    }
    // Each row's scale factor, as an index into the distinct factors (found once per row,
    // not once per row and key), numbered in order of first appearance.
    let mut factor_ids: crate::fasthash::FastMap<Decimal, usize> = crate::fasthash::map();
    let mut factors: Vec<Decimal> = Vec::new();
    let mut id_of = |v: &Value| match v {
        Value::Num(s) => Some(*factor_ids.entry(*s).or_insert_with(|| {
            factors.push(*s);
            factors.len() - 1
        })),
        _ => None,
    };
    let row_factor: Vec<Option<usize>> = match scale.as_ref() {
        None => vec![Some(0); n],
        // A factor per group (`1 / rate[org_type]`): looked up once per group, not per row.
        Some(Column::Grouped(g)) => {
            let ungrouped = g.values.len();
            let mut of_group: Vec<Option<Option<usize>>> = vec![None; ungrouped + 1];
            (0..n)
                .map(|row| {
                    let (group, value) = match g.of_row.get(row)? {
                        Some(k) => (*k, g.values.get(*k)?),
                        None => (ungrouped, &g.ungrouped),
                    };
                    *of_group.get_mut(group)?.get_or_insert_with(|| id_of(value))
                })
                .collect()
        }
        Some(s) => (0..n).map(|row| id_of(s.get(row))).collect(),
    };
    if scale.is_none() {
        factors.push(Decimal::ONE);
    }
    // Exact sums per group and scale factor (see `exact_sum`): a total's value does not
    // depend on row order or on how rows were grouped, so the overall row of `total x` and
    // of `total x by y` agree to the last digit.
    let width = factors.len().max(1);
    let mut groups: HashMap<Vec<String>, GroupSums> = HashMap::new();
    let mut grand = GroupSums::new(width);
    let keys = combinations(model, decls);
    let columns: Vec<Column> =
        keys.iter().map(|key| ev.target(&Target::Figure(meth.to_string(), t.figure.node.clone()), key)).collect();
    // Sums per field group and factor for each key, the keys in parallel. Rows that share a
    // scale factor are summed first and multiplied once: s·a + s·b = s·(a + b).
    let partials: Vec<Vec<GroupSums>> = columns
        .par_iter()
        .map(|column| {
            let mut sums: Vec<GroupSums> = (0..field_parts.len()).map(|_| GroupSums::new(width)).collect();
            for (row, (group, factor)) in row_field.iter().zip(&row_factor).enumerate() {
                let Some(entry) = sums.get_mut(*group) else { continue };
                match (column.get(row), factor) {
                    (Value::Num(v), Some(f)) => {
                        if let Some(sum) = entry.by_factor.get_mut(*f) {
                            sum.add(*v);
                            entry.count += 1;
                        }
                    }
                    _ => entry.missing += 1,
                }
            }
            sums
        })
        .collect();
    for (key, sums) in keys.iter().zip(partials) {
        for (parts, sums) in field_parts.iter().zip(sums) {
            let mut fields = parts.iter();
            let dim_values: Vec<String> = dims
                .iter()
                .map(|d| match d {
                    Dim::Index(i, _) => key.get(*i).cloned().unwrap_or_default(),
                    Dim::Field(..) => fields.next().cloned().unwrap_or_default(),
                })
                .collect();
            groups.entry(dim_values).or_insert_with(|| GroupSums::new(width)).merge(&sums);
            grand.merge(&sums);
        }
    }
    let groups: HashMap<Vec<String>, (Option<Decimal>, usize, usize)> =
        groups.into_iter().map(|(dims, g)| (dims, (g.value(&factors), g.count, g.missing))).collect();
    let grand = (grand.value(&factors), grand.count, grand.missing);
    let shown = |sum: Option<Decimal>, count: usize| match (sum, count) {
        (_, 0) => Value::missing("every value is missing"),
        (None, _) => Value::missing("total too large"),
        (Some(v), _) => Value::Num(v),
    };
    let rank = |d: &Dim, v: &str| match d {
        Dim::Index(_, set) | Dim::Field(_, Some(set)) => model.member_rank(set, v),
        Dim::Field(_, None) => usize::MAX,
    };
    // A total without `by` is its grand total alone.
    let groups = if t.by.is_empty() { HashMap::new() } else { groups };
    let mut rows: Vec<TotalRow> = groups
        .into_iter()
        .map(|(dims, (sum, count, missing))| TotalRow { dims, value: shown(sum, count), count, missing })
        .collect();
    rows.sort_by(|a, b| {
        let ka: Vec<(usize, &String)> = dims.iter().zip(&a.dims).map(|(d, v)| (rank(d, v), v)).collect();
        let kb: Vec<(usize, &String)> = dims.iter().zip(&b.dims).map(|(d, v)| (rank(d, v), v)).collect();
        ka.cmp(&kb)
    });
    let grand_value = shown(grand.0, grand.1);
    TotalOut {
        methodology: meth.to_string(),
        figure: t.figure.node.clone(),
        by: t.by.iter().map(|b| b.node.clone()).collect(),
        unit,
        scaled: scale.is_some(),
        rows,
        grand: TotalRow { dims: Vec::new(), value: grand_value, count: grand.1, missing: grand.2 },
        has_grand: !dims.iter().any(|d| match d {
            Dim::Index(_, set) | Dim::Field(_, Some(set)) => {
                model.syms.sets.get(set.as_str()).is_some_and(|(_, s)| s.alternatives)
            }
            Dim::Field(_, None) => false,
        }),
    }
}
