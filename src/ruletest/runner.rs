//! Running a test file's cases: inputs to a data folder, one evaluation per case, each
//! expectation compared exactly (or within its tolerance), a derivation for each failure.

use super::derivation::{derivation_for, show_target, show_value};
use super::inline;
use super::spec::{Case, Expectation, Expected, Inputs, Reader, TestFile};
use super::yaml;
use crate::ast::{IndexDecl, UnitExpr};
use crate::check::symbols::Item;
use crate::diagnostic::codes::Code;
use crate::diagnostic::Diagnostic;
use crate::eval::coverage::Recorder;
use crate::eval::engine::{Evaluator, Target};
use crate::eval::frame::Frame;
use crate::eval::model::Model;
use crate::eval::run::{unit_out, UnitOut};
use crate::load::RuleTree;
use crate::source::{SourceFile, Span, Spanned};
use rust_decimal::Decimal;
use std::path::Path;

/// How one case went.
#[derive(Debug, Clone)]
pub struct Outcome {
    /// `file: case name`.
    pub name: String,
    pub passed: bool,
    /// What went wrong, line by line (empty when it passed).
    pub report: Vec<String>,
}

/// Everything a test file gave: outcomes, problems in the file itself, coverage.
#[derive(Debug, Default)]
pub struct FileResult {
    pub outcomes: Vec<Outcome>,
    pub diagnostics: Vec<Diagnostic>,
    pub recorder: Recorder,
}

/// How test files are run.
#[derive(Debug, Clone, Default)]
pub struct Options {
    /// Record what the cases exercise, for `--coverage`.
    pub record: bool,
    /// The operations the scripts of every case of the command may take in all.
    pub budget: crate::eval::budget::ScriptBudget,
}

/// Read and run one test file against a checked rules tree. `sources` gains the test file
/// and the data files read, so diagnostics can point into them.
pub fn run_file(tree: &RuleTree, path: &Path, sources: &mut Vec<SourceFile>, options: &Options) -> FileResult {
    let mut result = FileResult::default();
    let name = crate::load::display(path);
    let (file, text) = match read(path, &name, sources) {
        Ok(read) => read,
        Err(d) => {
            result.diagnostics.push(*d);
            return result;
        }
    };
    let (spec, mut diags) = read_test_file(&text, &name, file);
    result.diagnostics.append(&mut diags);
    let model = Model::new(tree);
    let base = path.parent().unwrap_or(Path::new("."));
    for case in &spec.cases {
        let (outcome, mut diags, recorder) = run_case(tree, &model, case, base, &name, sources, options);
        result.outcomes.push(outcome);
        result.diagnostics.append(&mut diags);
        if let Some(r) = recorder {
            result.recorder.merge(r);
        }
    }
    result
}

/// A test file's text, added to `sources` (with its id), or why it cannot be read: not a
/// regular file, or not UTF-8 (the first bad byte underlined).
fn read(path: &Path, name: &str, sources: &mut Vec<SourceFile>) -> Result<(usize, String), Box<Diagnostic>> {
    let bytes = crate::source::read_input(path).map_err(|e| {
        Diagnostic::new(Code::IoError, format!("cannot read `{name}`: {e}"))
            .help("check that the file exists and is readable")
    })?;
    let file = sources.len();
    let (text, bad) = match String::from_utf8(bytes) {
        Ok(text) => (text, None),
        Err(e) => (String::from_utf8_lossy(e.as_bytes()).into_owned(), Some(e.utf8_error().valid_up_to())),
    };
    sources.push(SourceFile { name: name.to_string(), path: path.to_path_buf(), text: text.as_str().into() });
    match bad {
        None => Ok((file, text)),
        Some(at) => Err(Box::new(
            inline::invalid(
                Span::new(file, at, at.saturating_add(1)),
                format!("`{name}` is not UTF-8 text"),
                "this byte is not UTF-8",
            )
            .help("save the test file as UTF-8"),
        )),
    }
}

/// Read a test file's text (source `file`, shown as `name`) into its cases, with a
/// diagnostic for each mistake in it; the cases that could be read are still returned.
pub fn read_test_file(text: &str, name: &str, file: usize) -> (TestFile, Vec<Diagnostic>) {
    let nothing = TestFile { cases: Vec::new() };
    let root = match yaml::parse(text) {
        Ok(Some(root)) => root,
        Ok(None) => {
            let d = inline::invalid(Span::new(file, 0, 0), format!("`{name}` is empty"), "no cases")
                .help(super::spec::EXAMPLE);
            return (nothing, vec![d]);
        }
        Err((why, at)) => {
            let d = inline::invalid(
                Span::new(file, at, at.saturating_add(1)),
                format!("`{name}` is not valid YAML: {why}"),
                "here",
            )
            .help("check the indentation and quoting around this point");
            return (nothing, vec![d]);
        }
    };
    let mut reader = Reader { file, diags: Vec::new() };
    let spec = reader.file(&root);
    (spec, reader.diags)
}

/// An expectation resolved against the rules: what to evaluate and how to show it.
struct Resolved<'e> {
    expectation: &'e Expectation,
    target: Target,
    key: Vec<String>,
    unit: Option<UnitOut>,
}

fn run_case(
    tree: &RuleTree,
    model: &Model<'_>,
    case: &Case,
    base: &Path,
    file_name: &str,
    sources: &mut Vec<SourceFile>,
    options: &Options,
) -> (Outcome, Vec<Diagnostic>, Option<Recorder>) {
    let record = options.record;
    let name = format!("{file_name}: {}", case.name);
    let fail = |report: Vec<String>| Outcome { name: name.clone(), passed: false, report };
    if let Some(c) = &case.classify {
        return classify_case(model, c, name, sources, record);
    }
    let mut invalid = Vec::new();
    let resolved: Vec<Resolved<'_>> =
        case.expect.iter().filter(|e| e.total.is_none()).filter_map(|e| resolve(model, e, &mut invalid)).collect();
    let totals: Vec<&Expectation> =
        case.expect.iter().filter(|e| e.total.is_some() && resolve_total(model, e, &mut invalid)).collect();
    if !invalid.is_empty() {
        return (
            fail(vec!["the case names something the rules do not define (see the diagnostics)".into()]),
            invalid,
            None,
        );
    }
    let (data_dir, written) = match inputs(model, case, base) {
        Ok(found) => found,
        Err((why, diags)) => return (fail(vec![why.into()]), diags, None),
    };
    if case.expect.is_empty() && !case.verdicts.is_empty() {
        return verdict_case(tree, case, &data_dir, name, sources, options);
    }
    let first_data_source = sources.len();
    let written_prefix = written.as_ref().map(|w: &inline::TempData| format!("{}/", crate::load::display(&w.dir)));
    // Each expectation's place in the test file, found now: the probe holds the sources.
    let places: Vec<String> = resolved.iter().map(|r| place(sources, r.expectation.span)).collect();
    let probe = crate::eval::probe::with_period(
        tree,
        &data_dir,
        case.period.as_deref(),
        record,
        &options.budget,
        sources,
        |ev, frame| {
            let compared = Compared { resolved: &resolved, places: &places, written_prefix: written_prefix.as_deref() };
            compared.report(tree, ev, frame)
        },
    );
    // Data files written for the case have throwaway names: show them as the test's.
    let loaded = probe.answer.is_some();
    let mut report = probe.answer.unwrap_or_default();
    let mut diagnostics = probe.diagnostics;
    if let Some(written) = &written {
        point_into_test(written, &mut diagnostics, sources, first_data_source, &format!("{file_name} ({})", case.name));
    }
    if loaded && !totals.is_empty() {
        report.extend(check_totals(tree, &data_dir, case.period.as_deref(), &totals, sources, &options.budget));
    }
    for (code, span) in &case.diagnostics {
        if !diagnostics.iter().any(|d| d.code == *code) {
            report.push(format!("{}: expected a `{code}` diagnostic; the run reported none", place(sources, *span)));
        }
    }
    let unexpected: Vec<&Diagnostic> =
        diagnostics.iter().filter(|d| d.is_error() && !case.diagnostics.iter().any(|(c, _)| *c == d.code)).collect();
    for d in &unexpected {
        report.push(format!("unexpected {} error: {}", d.code, d.message));
    }
    // Diagnostics the case expected are part of its passing, not problems to print.
    diagnostics.retain(|d| d.is_error() && !case.diagnostics.iter().any(|(c, _)| *c == d.code));
    let passed = report.is_empty();
    (Outcome { name, passed, report }, diagnostics, probe.recorder)
}

/// A policy case: its rows verified against the policies its verdicts name.
fn verdict_case(
    tree: &RuleTree,
    case: &Case,
    data_dir: &Path,
    name: String,
    sources: &mut Vec<SourceFile>,
    options: &Options,
) -> (Outcome, Vec<Diagnostic>, Option<Recorder>) {
    // A verdict naming no policy is pointed at in the test file (the run would name it
    // without a place, as it does for `--policy`).
    let known: Vec<&str> = tree
        .asts
        .iter()
        .flat_map(|f| &f.definitions)
        .filter(|d| matches!(d.node.kind, crate::ast::DefKind::Policy(_)))
        .map(|d| d.node.name.node.as_str())
        .collect();
    let unknown: Vec<Diagnostic> = case
        .verdicts
        .iter()
        .filter(|v| !known.contains(&v.name()))
        .map(|v| {
            Diagnostic::new(crate::diagnostic::codes::Code::UnknownSelection, format!("no policy `{}`", v.name()))
                .primary(v.span, "no policy by this name in the rules under test")
                .help(crate::check::suggest::help_for(v.name(), known.iter().copied(), "name a policy of the rules"))
        })
        .collect();
    if !unknown.is_empty() {
        let report = vec!["the case names a policy the rules do not have (see the diagnostics)".to_string()];
        return (Outcome { name, passed: false, report }, unknown, None);
    }
    let mut policies: Vec<String> = case.verdicts.iter().map(|v| v.name().to_string()).collect();
    policies.dedup();
    let request = crate::policy::Request {
        data_dir: data_dir.to_path_buf(),
        period: case.period.clone(),
        policies,
        budget: options.budget.clone(),
        keep_judged: true,
        spans: false,
    };
    let places: Vec<(Span, String)> = case.verdicts.iter().map(|v| (v.span, place(sources, v.span))).collect();
    let (verdicts, mut diagnostics) = crate::policy::verify(tree, &request, sources);
    let mut report = match &verdicts {
        Some(v) => super::verdicts::compare(&case.verdicts, v, &|span| {
            places.iter().find(|(s, _)| *s == span).map(|(_, p)| p.clone()).unwrap_or_default()
        }),
        None => vec!["the case's rows could not be verified (see the diagnostics)".into()],
    };
    for (code, span) in &case.diagnostics {
        if !diagnostics.iter().any(|d| d.code == *code) {
            report.push(format!("{}: expected a `{code}` diagnostic; the run reported none", place(sources, *span)));
        }
    }
    diagnostics.retain(|d| d.is_error() && !case.diagnostics.iter().any(|(c, _)| *c == d.code));
    let recorder = match (&verdicts, options.record) {
        (Some(v), true) => {
            let mut r = Recorder::default();
            super::verdicts::record(v, &mut r);
            Some(r)
        }
        _ => None,
    };
    let passed = report.is_empty() && diagnostics.is_empty();
    (Outcome { name, passed, report }, diagnostics, recorder)
}

/// A decision-table case: its records through the table.
fn classify_case(
    model: &Model<'_>,
    case: &super::spec::Classify,
    name: String,
    sources: &[SourceFile],
    record: bool,
) -> (Outcome, Vec<Diagnostic>, Option<Recorder>) {
    let mut recorder = Recorder::default();
    let (report, diags) = super::classify::run(model, case, &mut recorder, &|span| place(sources, span));
    let passed = report.is_empty() && diags.is_empty();
    let report = if diags.is_empty() {
        report
    } else {
        vec!["the case names something the table does not have (see the diagnostics)".into()]
    };
    (Outcome { name, passed, report }, diags, record.then_some(recorder))
}

/// Why a case has no data to run on (a line of its report), and the diagnostics.
type NoInputs = (&'static str, Vec<Diagnostic>);

/// A case's data folder: its rows written to a throwaway folder (kept alive by the
/// returned `TempData`), or a data folder beside the test. Or why it has none.
fn inputs(
    model: &Model<'_>,
    case: &Case,
    base: &Path,
) -> Result<(std::path::PathBuf, Option<inline::TempData>), NoInputs> {
    match &case.inputs {
        None => Err(("the case has no inputs", Vec::new())),
        Some(Inputs::Entities { dataset, rows, span }) => {
            match inline::write(model, dataset.as_ref(), rows, case.period.as_deref(), *span) {
                Ok(t) => Ok((t.dir.clone(), Some(t))),
                Err(diags) => Err(("its entities could not be written (see the diagnostics)", diags)),
            }
        }
        Some(Inputs::Data(dir, _)) => Ok((base.join(dir), None)),
    }
}

/// A case's figure expectations, with their places in the test file, to compare with what
/// the rules give.
struct Compared<'c, 'e> {
    resolved: &'c [Resolved<'e>],
    places: &'c [String],
    /// The throwaway folder of the case's own rows, left out of derivations.
    written_prefix: Option<&'c str>,
}

impl Compared<'_, '_> {
    /// A report line for each expectation not met: where it is, expected, actual and the
    /// derivation of the actual value.
    fn report(&self, tree: &RuleTree, ev: &mut Evaluator<'_, '_>, frame: &Frame<'_>) -> Vec<String> {
        let mut report = Vec::new();
        for (r, at) in self.resolved.iter().zip(self.places) {
            let e = r.expectation;
            let shown = format!("{at}: {} for `{}`", show_target(&r.target, &r.key), e.entity);
            let Some(row) = frame.keys.iter().position(|k| k.as_ref() == e.entity) else {
                let some: Vec<&str> = frame.keys.iter().take(8).map(|k| k.as_ref()).collect();
                report.push(format!("{shown}: no entity `{}` in the data (it has {})", e.entity, some.join(", ")));
                continue;
            };
            let actual = ev.target(&r.target, &r.key).get(row).clone();
            if let Some(why) = mismatch(e, &actual, r.unit.as_ref()) {
                report.push(format!("{shown}:"));
                report.push(format!("    expected: {why}"));
                report.push(format!("    actual:   {}", show_value(&actual, r.unit.as_ref())));
                report.push("    derivation:".to_string());
                for line in derivation_for(ev, &tree.files, &r.target, &r.key, row) {
                    // Cells of the case's own rows live in a throwaway folder: name the file only.
                    let line = match self.written_prefix {
                        Some(prefix) => line.replace(prefix, ""),
                        None => line,
                    };
                    report.push(format!("      {line}"));
                }
            }
        }
        report
    }
}

/// `file:line:column` of a span in the test file, which terminals and editors link to.
fn place(sources: &[SourceFile], span: Span) -> String {
    match sources.get(span.file) {
        Some(f) => {
            let (line, column) = f.line_col(span.start);
            format!("{}:{line}:{column}", f.name)
        }
        None => "(unknown place)".to_string(),
    }
}

/// Why the actual value does not meet the expectation, as the expected side reads; `None`
/// when it does.
fn mismatch(e: &Expectation, actual: &crate::value::Value, unit: Option<&UnitOut>) -> Option<String> {
    use crate::value::Value;
    match (&e.expected, actual) {
        (Expected::Missing(reason), Value::Missing(r)) if r.0.contains(reason.as_str()) => None,
        (Expected::Missing(reason), _) if reason.is_empty() => Some("a missing value".to_string()),
        (Expected::Missing(reason), _) => Some(format!("a missing value ({reason})")),
        (Expected::Value(want), Value::Num(_) | Value::Approx(..)) => {
            let (got, bound) = actual.as_near()?;
            // Compared in the expectation's terms: percent for a percent figure. A value too
            // large to show in percent (or to subtract) cannot be within any tolerance.
            let percent = unit.is_some_and(|u| u.percent);
            let shown = if percent { crate::value::format::to_percent(got) } else { Some(got) };
            let Some(diff) = shown.and_then(|s| s.checked_sub(*want)).map(|d| d.abs()) else {
                return Some(format!("{}{}", show_expected(*want, unit), tolerance_text(e)));
            };
            // A number rounded on the way cannot be told from any value within its bound.
            let scale = if percent { 100.0 } else { 1.0 };
            let within_bound = !bound.is_zero()
                && rust_decimal::prelude::ToPrimitive::to_f64(&diff).is_some_and(|d| d <= bound.get() * scale);
            let within = diff.is_zero()
                || within_bound
                || e.tolerance.is_some_and(|t| diff <= t)
                || e.relative.is_some_and(|r| r.checked_mul(want.abs()).is_some_and(|r| diff <= r));
            if within {
                None
            } else {
                Some(format!("{}{}", show_expected(*want, unit), tolerance_text(e)))
            }
        }
        (Expected::Value(want), _) => Some(format!("{}{}", show_expected(*want, unit), tolerance_text(e))),
    }
}

fn show_expected(want: Decimal, unit: Option<&UnitOut>) -> String {
    let raw = if unit.is_some_and(|u| u.percent) { crate::value::format::from_percent(want) } else { want };
    show_value(&crate::value::Value::Num(raw), unit)
}

fn tolerance_text(e: &Expectation) -> String {
    match (e.tolerance, e.relative) {
        (Some(t), _) => format!(" ± {}", t.normalize()),
        (None, Some(r)) => format!(" ± {}%", crate::value::format::percent_exact(r)),
        (None, None) => " (exactly)".to_string(),
    }
}

/// Diagnostics about the data written for a case point at the test's own YAML instead:
/// each label on a written cell moves to the value it came from; the files are named after
/// the case, and messages lose the throwaway folder's path.
fn point_into_test(
    written: &inline::TempData,
    diagnostics: &mut [Diagnostic],
    sources: &mut [SourceFile],
    first_data_source: usize,
    shown: &str,
) {
    let prefix = format!("{}/", crate::load::display(&written.dir));
    // "(returns.csv:2:4)" in a message names the written file, which the user never sees.
    let name = written.file.strip_prefix(&written.dir).map(crate::load::display).unwrap_or_default();
    let place = regex::Regex::new(&format!(r" \({}:\d+:\d+\)", regex::escape(&name))).ok();
    for d in diagnostics.iter_mut() {
        d.message = d.message.replace(&prefix, "");
        if let Some(re) = &place {
            d.message = re.replace_all(&d.message, "").into_owned();
        }
        for l in &mut d.labels {
            let Some(file) = sources.get(l.span.file).filter(|f| f.path == written.file) else { continue };
            if let Some(span) = inline::origin(written, &file.text, l.span.start) {
                l.span = span;
            }
        }
    }
    for s in sources.iter_mut().skip(first_data_source).filter(|s| s.path.starts_with(&written.dir)) {
        if let Some(file) = Path::new(&s.name).file_name() {
            s.name = format!("{shown}: entities as {}", file.to_string_lossy());
        }
    }
}

/// Is `total: methodology.figure` with these `by` names one of the methodology's totals?
fn resolve_total(model: &Model<'_>, e: &Expectation, diags: &mut Vec<Diagnostic>) -> bool {
    let by: Vec<&str> = e.total.iter().flatten().map(|(k, _)| k.as_str()).collect();
    let (meth, fig) = e.figure.split_once('.').unwrap_or(("", e.figure.as_str()));
    let declared: Vec<String> = model
        .methodology(meth)
        .map(|m| {
            m.totals
                .iter()
                .filter(|t| t.node.figure.node == fig)
                .map(|t| t.node.by.iter().map(|b| b.node.clone()).collect::<Vec<_>>().join(", "))
                .collect()
        })
        .unwrap_or_default();
    let wanted = {
        let mut b = by.clone();
        b.sort_unstable();
        b
    };
    let found = declared.iter().any(|d| {
        let mut names: Vec<&str> = d.split(", ").filter(|x| !x.is_empty()).collect();
        names.sort_unstable();
        names == wanted
    });
    if !found {
        let help = if declared.is_empty() {
            format!(
                "`{}` has no `total`; totals are declared in the methodology (`total saving by org_type`)",
                e.figure
            )
        } else {
            let shown: Vec<String> = declared
                .iter()
                .map(|d| if d.is_empty() { "the grand total (no `by`)".to_string() } else { format!("by {d}") })
                .collect();
            format!("the totals of `{}` are: {}", e.figure, shown.join("; "))
        };
        diags.push(
            Diagnostic::new(
                Code::TestFileInvalid,
                format!(
                    "no total of `{}`{}",
                    e.figure,
                    if by.is_empty() { String::new() } else { format!(" by {}", by.join(", ")) }
                ),
            )
            .primary(e.figure_span, "not a declared total")
            .help(help),
        );
    }
    found
}

/// Evaluate the methodologies the totals belong to, as `assay eval` does, and compare.
fn check_totals(
    tree: &RuleTree,
    data_dir: &Path,
    period: Option<&str>,
    totals: &[&Expectation],
    sources: &[SourceFile],
    budget: &crate::eval::budget::ScriptBudget,
) -> Vec<String> {
    let mut methodologies: Vec<String> =
        totals.iter().filter_map(|e| e.figure.split_once('.').map(|(m, _)| m.to_string())).collect();
    methodologies.dedup();
    let request = crate::eval::run::Request {
        data_dir: data_dir.to_path_buf(),
        period: period.map(str::to_string),
        methodologies: methodologies.clone(),
        select: methodologies,
        budget: budget.clone(),
        ..Default::default()
    };
    let mut scratch = sources.to_vec();
    let (results, diags) = crate::eval::run::run(tree, &request, &mut scratch);
    let Some(results) = results.filter(|_| !diags.iter().any(Diagnostic::is_error)) else {
        return vec!["the totals could not be evaluated (see the diagnostics of the figures)".to_string()];
    };
    let mut report = Vec::new();
    for e in totals {
        let by: &[(String, String)] = e.total.as_deref().unwrap_or(&[]);
        let (meth, fig) = e.figure.split_once('.').unwrap_or(("", e.figure.as_str()));
        let shown_by: Vec<&str> = by.iter().map(|(_, m)| m.as_str()).collect();
        let at = place(sources, e.span);
        let label = if by.is_empty() {
            format!("{at}: total {}", e.figure)
        } else {
            let sets: Vec<&str> = by.iter().map(|(s, _)| s.as_str()).collect();
            format!("{at}: total {} by {} ({})", e.figure, sets.join(", "), shown_by.join(", "))
        };
        let found = results.periods.iter().flat_map(|p| &p.totals).find(|t| {
            let mut a: Vec<&str> = t.by.iter().map(String::as_str).collect();
            let mut b: Vec<&str> = by.iter().map(|(s, _)| s.as_str()).collect();
            a.sort_unstable();
            b.sort_unstable();
            t.methodology == meth && t.figure == fig && a == b
        });
        let Some(t) = found else {
            report.push(format!("{label}: not computed"));
            continue;
        };
        let row = if by.is_empty() {
            Some(&t.grand)
        } else {
            t.rows
                .iter()
                .find(|r| t.by.iter().zip(&r.dims).all(|(set, dim)| by.iter().any(|(s, m)| s == set && m == dim)))
        };
        let Some(row) = row else {
            report.push(format!("{label}: no such row (no entity in that group)"));
            continue;
        };
        if let Some(why) = mismatch(e, &row.value, Some(&t.unit)) {
            report.push(format!("{label}:"));
            report.push(format!("    expected: {why}"));
            report.push(format!("    actual:   {}", show_value(&row.value, Some(&t.unit))));
            report.push(format!(
                "    derivation: the sum of `{}` over {} value{}{}{}",
                e.figure,
                row.count,
                if row.count == 1 { "" } else { "s" },
                if row.missing > 0 { format!(" ({} missing, left out)", row.missing) } else { String::new() },
                if t.scaled { ", each times the methodology's `scale`" } else { "" }
            ));
        }
    }
    report
}

/// What an expectation's figure names: the target, its index declarations and its unit.
type Definition<'m> = (Target, &'m [Spanned<IndexDecl>], Option<&'m UnitExpr>);

/// `cost_share[finance]`, `national_average.saving[finance]`, `rate[small]`.
fn resolve<'e>(model: &Model<'_>, e: &'e Expectation, diags: &mut Vec<Diagnostic>) -> Option<Resolved<'e>> {
    let bad = |message: String, help: String| {
        Diagnostic::new(Code::TestFileInvalid, message).primary(e.figure_span, "in this figure").help(help)
    };
    let text = e.figure.trim();
    let (head, key) = match text.split_once('[') {
        Some((h, rest)) => {
            let inner = rest.strip_suffix(']').unwrap_or(rest);
            (h.trim(), inner.split(',').map(|s| s.trim().to_string()).filter(|s| !s.is_empty()).collect())
        }
        None => (text, Vec::new()),
    };
    let found: Option<Definition<'_>> = match head.split_once('.') {
        Some((m, f)) => model.syms.figures.get(&(m, f)).map(|fig| {
            (
                Target::Figure(m.to_string(), f.to_string()),
                &fig.node.indices[..],
                fig.node.unit.as_ref().map(|u| &u.node),
            )
        }),
        None => match model.syms.get(head).map(|s| s.item) {
            Some(Item::Kpi(k)) => Some((Target::Kpi(head.to_string()), &k.indices[..], Some(&k.unit.node))),
            Some(Item::Param(p)) => Some((Target::Param(head.to_string()), &p.indices[..], Some(&p.unit.node))),
            _ => None,
        },
    };
    let Some((target, decls, unit)) = found else {
        let mut known: Vec<String> = model.kpi_names().iter().map(|s| s.to_string()).collect();
        for (m, def) in model.methodologies() {
            known.extend(def.figures.iter().map(|f| format!("{m}.{}", f.node.name.node)));
        }
        let help = crate::check::suggest::help_for(
            head,
            known.iter().map(String::as_str),
            "name a KPI, a parameter, or a methodology's figure as `methodology.figure`",
        );
        diags.push(bad(format!("no KPI, parameter or figure `{head}`"), help));
        return None;
    };
    if decls.len() != key.len() {
        let sets: Vec<&str> = decls.iter().map(|d| d.node.set.node.as_str()).collect();
        diags.push(bad(
            format!(
                "`{head}` takes {} index{}, the test gives {}",
                decls.len(),
                if decls.len() == 1 { "" } else { "es" },
                key.len()
            ),
            format!("write `{head}[{}]`", sets.join(", ")),
        ));
        return None;
    }
    for (d, k) in decls.iter().zip(&key) {
        let set = d.node.set.node.as_str();
        if !model.syms.is_member(set, k) {
            let members: Vec<String> =
                model.syms.members(set).unwrap_or_default().iter().map(|m| m.name.to_string()).collect();
            let help = crate::check::suggest::help_for(
                k,
                members.iter().map(String::as_str),
                &format!("the members of `{set}` are: {}", members.join(", ")),
            );
            diags.push(bad(format!("`{k}` is not a member of `{set}`"), help));
            return None;
        }
    }
    let unit = unit.map(|u| unit_out(model, u)).or_else(|| Some(unit_out(model, &UnitExpr::default())));
    Some(Resolved { expectation: e, target, key, unit })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::value::Value;
    use std::str::FromStr;

    fn d(s: &str) -> Decimal {
        Decimal::from_str(s).unwrap_or_default()
    }

    fn expect(value: &str, tolerance: Option<&str>, relative: Option<&str>) -> Expectation {
        Expectation {
            figure: "x".into(),
            entity: "A".into(),
            total: None,
            expected: Expected::Value(d(value)),
            tolerance: tolerance.map(d),
            relative: relative.map(d),
            span: Span::default(),
            figure_span: Span::default(),
        }
    }

    fn percent() -> UnitOut {
        UnitOut { name: "percent".into(), symbol: "%".into(), percent: true, money: false }
    }

    #[test]
    fn values_compare_exactly_unless_a_tolerance_is_given() {
        // 1/3 is not 0.3333 exactly; within 0.0001 it is.
        let third = Value::Num(Decimal::ONE / Decimal::from(3));
        assert!(mismatch(&expect("0.3333", None, None), &third, None).is_some());
        assert!(mismatch(&expect("0.3333", Some("0.0001"), None), &third, None).is_none());
        // Relative: 1% of 200 is 2.
        assert!(mismatch(&expect("200", None, Some("0.01")), &Value::Num(d("202")), None).is_none());
        assert!(mismatch(&expect("200", None, Some("0.01")), &Value::Num(d("202.01")), None).is_some());
        // Scale never matters: 2.50 is 2.5.
        assert!(mismatch(&expect("2.5", None, None), &Value::Num(d("2.50")), None).is_none());
    }

    #[test]
    fn percentages_are_expected_in_percent() {
        assert!(mismatch(&expect("25", None, None), &Value::Num(d("0.25")), Some(&percent())).is_none());
        let why = mismatch(&expect("24", None, None), &Value::Num(d("0.25")), Some(&percent()));
        assert_eq!(why.as_deref(), Some("24% (exactly)"));
    }

    #[test]
    fn a_missing_value_matches_by_reason() {
        let gap = Value::missing("peer group of 3, below the minimum of 4");
        let e = |r: &str| Expectation { expected: Expected::Missing(r.into()), ..expect("0", None, None) };
        assert!(mismatch(&e(""), &gap, None).is_none());
        assert!(mismatch(&e("below the minimum"), &gap, None).is_none());
        assert!(mismatch(&e("division by zero"), &gap, None).is_some());
        assert!(mismatch(&e(""), &Value::Num(Decimal::ONE), None).is_some());
        assert!(mismatch(&expect("1", None, None), &gap, None).is_some());
    }
}
