//! Coverage of the rules by their tests: which definitions (KPIs, parameters, methodology
//! figures) some case evaluated, which policies some case made both pass and fail, and
//! which arms of each `if` some entity took, per file.

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
    /// Decision-table rows in the file, and those some record of a `classify` case matched.
    pub table_rows: usize,
    pub rows_matched: usize,
}

/// Sums over files: definitions (covered), `if` arms (taken), table rows (matched).
#[derive(Debug, Clone, Copy, Default)]
pub struct Totals {
    pub definitions: usize,
    pub covered: usize,
    pub arms: usize,
    pub arms_taken: usize,
    pub table_rows: usize,
    pub rows_matched: usize,
}

#[derive(Debug, Clone)]
pub struct Coverage {
    pub files: Vec<FileCoverage>,
}

impl Coverage {
    pub fn totals(&self) -> Totals {
        self.files.iter().fold(Totals::default(), |t, f| Totals {
            definitions: t.definitions.saturating_add(f.definitions),
            covered: t.covered.saturating_add(f.covered),
            arms: t.arms.saturating_add(f.arms),
            arms_taken: t.arms_taken.saturating_add(f.arms_taken),
            table_rows: t.table_rows.saturating_add(f.table_rows),
            rows_matched: t.rows_matched.saturating_add(f.rows_matched),
        })
    }

    /// Covered definitions as a percentage of all coverable ones (100 when there are none).
    pub fn percent(&self) -> f64 {
        let t = self.totals();
        if t.definitions == 0 {
            100.0
        } else {
            t.covered as f64 * 100.0 / t.definitions as f64
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
            rows_matched: 0,
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
                DefKind::Classify(c) => {
                    fc.table_rows = fc.table_rows.saturating_add(c.rows.len());
                    fc.rows_matched = fc.rows_matched.saturating_add(
                        (0..c.rows.len()).filter(|r| recorder.rows.contains(&(name.clone(), *r))).count(),
                    );
                }
                // A policy is covered when some case made a row pass it and one fail it.
                DefKind::Policy(_) => {
                    fc.definitions = fc.definitions.saturating_add(1);
                    match recorder.policies.get(name).copied().unwrap_or_default() {
                        (true, true) => fc.covered = fc.covered.saturating_add(1),
                        (passed, failed) => {
                            let never = match (passed, failed) {
                                (false, false) => "never verified",
                                (true, _) => "never failed",
                                (false, _) => "never passed",
                            };
                            let line = source.line_col(def.node.name.span.start).0;
                            fc.missed.push((format!("policy {name} ({never})"), line));
                        }
                    }
                }
                _ => {}
            }
            for (target, label, span) in coverable {
                fc.definitions = fc.definitions.saturating_add(1);
                if recorder.targets.contains(&target) {
                    fc.covered = fc.covered.saturating_add(1);
                } else {
                    fc.missed.push((label, source.line_col(span.start).0));
                }
            }
        }
        for span in ifs {
            fc.arms = fc.arms.saturating_add(2);
            let (then, otherwise) = recorder.arms.get(&span).copied().unwrap_or_default();
            fc.arms_taken = fc.arms_taken.saturating_add(usize::from(then)).saturating_add(usize::from(otherwise));
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
        ExprKind::Chain { first, links } => {
            ifs_in(first, out);
            links.iter().for_each(|l| ifs_in(&l.operand, out));
        }
        _ => {}
    }
}

/// The coverage table printed by `assay test --coverage`.
pub fn render(c: &Coverage) -> String {
    let mut out = String::from(
        "\ncoverage: definitions evaluated by some case (policies: made to pass and to fail); `if` arms taken and decision-table rows matched by some entity or record\n",
    );
    let width = c.files.iter().map(|f| f.file.len()).max().unwrap_or(4).max(5);
    out.push_str(&format!("  {:<width$}  {:>18}  {:>9}  {:>10}\n", "file", "definitions", "if arms", "table rows"));
    let ratio = |part: usize, whole: usize| if whole == 0 { "-".to_string() } else { format!("{part}/{whole}") };
    let row = |name: &str, t: Totals| {
        let defs = if t.definitions == 0 {
            "-".to_string()
        } else {
            format!("{:>10} {:>6.1}%", ratio(t.covered, t.definitions), t.covered as f64 * 100.0 / t.definitions as f64)
        };
        format!(
            "  {name:<width$}  {defs:>18}  {:>9}  {:>10}\n",
            ratio(t.arms_taken, t.arms),
            ratio(t.rows_matched, t.table_rows)
        )
    };
    for f in &c.files {
        let t = Totals {
            definitions: f.definitions,
            covered: f.covered,
            arms: f.arms,
            arms_taken: f.arms_taken,
            table_rows: f.table_rows,
            rows_matched: f.rows_matched,
        };
        out.push_str(&row(&f.file, t));
    }
    out.push_str(&row("total", c.totals()));
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
    out
}
