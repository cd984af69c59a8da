//! Coverage of the rules by their tests: which definitions (KPIs, parameters, methodology
//! figures) some case evaluated, and which arms of each `if` some entity took, per file.

use crate::ast::{DefKind, Expr, ExprKind};
use crate::eval::coverage::Recorder;
use crate::eval::engine::Target;
use crate::load::RuleTree;
use crate::source::Span;

/// One rule file's coverage.
#[derive(Debug, Clone)]
pub struct FileCoverage {
    pub file: String,
    pub definitions: usize,
    pub covered: usize,
    pub arms: usize,
    pub arms_taken: usize,
    /// Definitions no case evaluated: label and 1-based line.
    pub missed: Vec<(String, usize)>,
    /// Decision-table rows in the file (no command evaluates decision tables yet).
    pub table_rows: usize,
}

#[derive(Debug, Clone)]
pub struct Coverage {
    pub files: Vec<FileCoverage>,
}

impl Coverage {
    pub fn totals(&self) -> (usize, usize, usize, usize) {
        self.files
            .iter()
            .fold((0, 0, 0, 0), |(d, c, a, t), f| (d + f.definitions, c + f.covered, a + f.arms, t + f.arms_taken))
    }

    /// Covered definitions as a percentage of all coverable ones (100 when there are none).
    pub fn percent(&self) -> f64 {
        let (d, c, _, _) = self.totals();
        if d == 0 {
            100.0
        } else {
            c as f64 * 100.0 / d as f64
        }
    }
}

/// Measure what `recorder` saw against every coverable definition of the tree.
pub fn measure(tree: &RuleTree, recorder: &Recorder) -> Coverage {
    let mut files = Vec::new();
    for ast in &tree.asts {
        let Some(source) = tree.files.get(ast.id) else { continue };
        let mut fc = FileCoverage {
            file: source.name.clone(),
            definitions: 0,
            covered: 0,
            arms: 0,
            arms_taken: 0,
            missed: Vec::new(),
            table_rows: 0,
        };
        let mut ifs = Vec::new();
        for def in &ast.definitions {
            let name = &def.node.name.node;
            let mut coverable: Vec<(Target, String, Span)> = Vec::new();
            match &def.node.kind {
                DefKind::Kpi(k) => {
                    coverable.push((Target::Kpi(name.clone()), format!("kpi {name}"), def.node.name.span));
                    ifs_in(&k.formula, &mut ifs);
                }
                DefKind::Param(p) => {
                    coverable.push((Target::Param(name.clone()), format!("param {name}"), def.node.name.span));
                    p.entries.iter().for_each(|e| ifs_in(&e.node.value, &mut ifs));
                }
                DefKind::Methodology(m) => {
                    for f in &m.figures {
                        let fname = &f.node.name.node;
                        coverable.push((
                            Target::Figure(name.clone(), fname.clone()),
                            format!("{name}.{fname}"),
                            f.node.name.span,
                        ));
                        ifs_in(&f.node.formula, &mut ifs);
                    }
                }
                DefKind::Classify(c) => fc.table_rows += c.rows.len(),
                _ => {}
            }
            for (target, label, span) in coverable {
                fc.definitions += 1;
                if recorder.targets.contains(&target) {
                    fc.covered += 1;
                } else {
                    fc.missed.push((label, source.line_col(span.start).0));
                }
            }
        }
        for span in ifs {
            fc.arms += 2;
            let (then, otherwise) = recorder.arms.get(&span).copied().unwrap_or_default();
            fc.arms_taken += usize::from(then) + usize::from(otherwise);
        }
        if fc.definitions > 0 || fc.table_rows > 0 {
            files.push(fc);
        }
    }
    Coverage { files }
}

/// The span of every `if` in a formula (each has two arms).
fn ifs_in(e: &Expr, out: &mut Vec<Span>) {
    match &e.node {
        ExprKind::If { condition, then, otherwise } => {
            out.push(e.span);
            ifs_in(condition, out);
            ifs_in(then, out);
            ifs_in(otherwise, out);
        }
        ExprKind::Index { target, indices } => {
            ifs_in(target, out);
            indices.iter().for_each(|i| ifs_in(i, out));
        }
        ExprKind::Member { target, .. } => ifs_in(target, out),
        ExprKind::Call { args, .. } => args.iter().for_each(|a| ifs_in(&a.value, out)),
        ExprKind::Over { aggregate, .. } => ifs_in(aggregate, out),
        ExprKind::Unary { operand, .. } => ifs_in(operand, out),
        ExprKind::Binary { lhs, rhs, .. } => {
            ifs_in(lhs, out);
            ifs_in(rhs, out);
        }
        _ => {}
    }
}

/// The coverage table printed by `assay test --coverage`.
pub fn render(c: &Coverage) -> String {
    let mut out = String::from("\ncoverage: definitions evaluated by some case; `if` arms taken by some entity\n");
    let width = c.files.iter().map(|f| f.file.len()).max().unwrap_or(4).max(5);
    out.push_str(&format!("  {:<width$}  {:>18}  {:>9}\n", "file", "definitions", "if arms"));
    let row = |name: &str, d: usize, cov: usize, a: usize, t: usize| {
        let pct = if d == 0 { 100.0 } else { cov as f64 * 100.0 / d as f64 };
        let arms = if a == 0 { "-".to_string() } else { format!("{t}/{a}") };
        format!("  {name:<width$}  {:>10} {:>6.1}%  {arms:>9}\n", format!("{cov}/{d}"), pct)
    };
    for f in &c.files {
        if f.definitions > 0 {
            out.push_str(&row(&f.file, f.definitions, f.covered, f.arms, f.arms_taken));
        }
    }
    let (d, cov, a, t) = c.totals();
    out.push_str(&row("total", d, cov, a, t));
    let missed: Vec<String> = c
        .files
        .iter()
        .filter(|f| !f.missed.is_empty())
        .map(|f| {
            let names: Vec<String> = f.missed.iter().map(|(l, line)| format!("{l}:{line}")).collect();
            format!("  {}: {}\n", f.file, names.join(", "))
        })
        .collect();
    if !missed.is_empty() {
        out.push_str(&format!("not covered:\n{}", missed.concat()));
    }
    let rows: usize = c.files.iter().map(|f| f.table_rows).sum();
    if rows > 0 {
        out.push_str(&format!(
            "decision tables: {rows} rows not measured (no command evaluates decision tables yet)\n"
        ));
    }
    out
}
