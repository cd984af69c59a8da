//! User functions in rhai, sandboxed.
//!
//! The engine starts from `Engine::new_raw()` with only arithmetic, logic, maths, string and
//! array functions: no modules (`import` does not exist), no `eval`, no file, network or
//! time functions, and limits on operations, call depth, expression depth and the size
//! of strings, arrays and maps, so a runaway script stops within a second.
//!
//! Values cross the boundary exactly: rhai is built without floats, so every number in a
//! script, literals included, is a `Decimal` (the same `rust_decimal` type as the engine's);
//! numbers go in and come out as such, and whole numbers returned as rhai integers are
//! accepted. Text and set members go in as
//! strings, truth values as booleans. A missing argument is not passed to the script:
//! the result is missing, with the argument's reason.

use super::budget::ScriptBudget;
use super::column::Column;
use crate::ast::{DefKind, ScriptDef};
use crate::diagnostic::codes::Code;
use crate::diagnostic::Diagnostic;
use crate::source::{SourceFile, Span};
use crate::value::{approx, Bound, Value};
use rhai::packages::{
    ArithmeticPackage, BasicArrayPackage, BasicMathPackage, BasicStringPackage, LanguageCorePackage, LogicPackage,
    Package,
};
use rhai::{Dynamic, Engine, EvalAltResult, ParseErrorType, Position, Scope, AST};
use std::collections::HashMap;
use std::path::Path;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Mutex;

/// Sandbox limits.
pub const MAX_OPERATIONS: u64 = 1_000_000;
pub const MAX_CALL_LEVELS: usize = 32;
pub const MAX_EXPR_DEPTH: usize = 64;
pub const MAX_STRING: usize = 10_000;
pub const MAX_ARRAY: usize = 10_000;
pub const MAX_MAP: usize = 1_000;

struct Function {
    ast: std::sync::Arc<AST>,
    source: usize,
    /// The `script` definition that declares it, in its rule file.
    script: Span,
}

pub struct ScriptHost {
    engine: Engine,
    functions: HashMap<String, Function>,
    /// Script texts by source index, to point at a function that fails without a position.
    texts: HashMap<usize, String>,
    /// Report each failing function once, however many rows fail.
    reported: Mutex<Vec<String>>,
    /// The operations the command's scripts may take together, shared with other hosts.
    budget: ScriptBudget,
    /// Whether a call of this host's was stopped, or refused, for want of budget.
    starved: AtomicBool,
}

/// The sandboxed engine, counting every operation against `budget`.
pub fn engine(budget: &ScriptBudget) -> Engine {
    let mut engine = Engine::new_raw();
    engine.register_global_module(LanguageCorePackage::new().as_shared_module());
    engine.register_global_module(ArithmeticPackage::new().as_shared_module());
    engine.register_global_module(LogicPackage::new().as_shared_module());
    engine.register_global_module(BasicMathPackage::new().as_shared_module());
    engine.register_global_module(BasicStringPackage::new().as_shared_module());
    engine.register_global_module(BasicArrayPackage::new().as_shared_module());
    engine.disable_symbol("eval");
    engine.set_max_operations(MAX_OPERATIONS);
    engine.set_max_call_levels(MAX_CALL_LEVELS);
    engine.set_max_expr_depths(MAX_EXPR_DEPTH, MAX_EXPR_DEPTH);
    engine.set_max_string_size(MAX_STRING);
    engine.set_max_array_size(MAX_ARRAY);
    engine.set_max_map_size(MAX_MAP);
    // Called for every operation: stop the call (rhai's `ErrorTerminated`) once the
    // operation would be one more than the command's budget allows.
    let budget = budget.clone();
    engine.on_progress(move |_| if budget.spend() { None } else { Some(Dynamic::UNIT) });
    engine
}

impl ScriptHost {
    /// Compile every `script` of the rules; each must define the functions it declares.
    /// Scripts are added to `sources` so that their errors show their lines.
    pub fn load(
        model: &super::model::Model<'_>,
        sources: &mut Vec<SourceFile>,
        diags: &mut Vec<Diagnostic>,
        budget: &ScriptBudget,
    ) -> ScriptHost {
        let engine = engine(budget);
        let mut functions = HashMap::new();
        let first_script = sources.len();
        for file in &model.tree.asts {
            let rule_path = model.tree.files.get(file.id).map(|f| f.path.clone()).unwrap_or_default();
            for def in &file.definitions {
                if let DefKind::Script(s) = &def.node.kind {
                    let declared = Declared { def: s, span: def.node.name.span.to(s.path.span), rule_path: &rule_path };
                    compile(&engine, &declared, sources, diags, &mut functions);
                }
            }
        }
        let texts =
            (first_script..sources.len()).filter_map(|i| sources.get(i).map(|s| (i, s.text.to_string()))).collect();
        let reported = Mutex::new(Vec::new());
        ScriptHost { engine, functions, texts, reported, budget: budget.clone(), starved: AtomicBool::new(false) }
    }

    /// Call `name` for every row (once if all arguments are the same for every row).
    pub fn call(&self, name: &str, args: &[Column], n: usize, call_span: Span, diags: &mut Vec<Diagnostic>) -> Column {
        let Some(f) = self.functions.get(name) else {
            return Column::Const(Value::missing(format!("script function `{name}` did not load")));
        };
        let all_const = args.iter().all(|a| matches!(a, Column::Const(_)));
        let rows = if all_const { 1 } else { n };
        let mut out = Vec::with_capacity(rows);
        let mut failed = false;
        for row in 0..rows {
            let values: Vec<&Value> = args.iter().map(|a| a.get(row)).collect();
            if let Some(Value::Missing(r)) = values.iter().find(|v| v.is_missing()) {
                out.push(Value::Missing(r.clone()));
                continue;
            }
            if failed {
                out.push(Value::missing(format!("script function `{name}` failed")));
                continue;
            }
            if self.budget.spent() {
                // Stop at once: the run fails, and every further call would too.
                self.starve(f, name);
                failed = true;
                out.push(Value::missing("the scripts' operation budget is spent"));
                continue;
            }
            self.budget.call();
            match self.call_near(f, name, &values) {
                Ok(v) => out.push(v),
                Err(err) if matches!(innermost(&err), EvalAltResult::ErrorTerminated(..)) => {
                    self.starve(f, name);
                    failed = true;
                    out.push(Value::missing("the scripts' operation budget is spent"));
                }
                Err(err) => {
                    failed = true;
                    self.report(name, &err, f.source, call_span, diags);
                    out.push(Value::missing(format!("script function `{name}` failed")));
                }
            }
        }
        if all_const {
            Column::Const(out.into_iter().next().unwrap_or_else(|| Value::missing("no value")))
        } else {
            Column::from_vec(out)
        }
    }

    /// One call, with the bound of its result when it is a number (see value::approx): the
    /// script's own rounding, judged from the result's digits, plus, when an argument is
    /// approximate, how far the result moves when each such argument is moved to either
    /// end of its bound (the function is called again at each end). That spread is a true
    /// bound for a function that is monotone in each argument, as phasing and tapering
    /// functions are; the README says so.
    fn call_near(&self, f: &Function, name: &str, values: &[&Value]) -> Result<Value, EvalAltResult> {
        let run = |args: Vec<Dynamic>| {
            let result = self.engine.call_fn::<Dynamic>(&mut Scope::new(), &f.ast, name, args);
            result.map_err(|e| *e).and_then(|d| from_dynamic(d, name))
        };
        let centre = run(values.iter().map(|v| to_dynamic(v)).collect())?;
        let Some((value, _)) = centre.as_near() else { return Ok(centre) };
        let mut spread = approx::rounding(value);
        for (i, v) in values.iter().enumerate() {
            let Value::Approx(d, b) = v else { continue };
            let Some(e) = rust_decimal::Decimal::from_f64_retain(b.get()) else {
                return Ok(Value::Approx(value, Bound::at_least(f64::INFINITY)));
            };
            for end in [d.checked_sub(e), d.checked_add(e)] {
                let moved = end.map(|end| {
                    let args =
                        values
                            .iter()
                            .enumerate()
                            .map(|(j, w)| if j == i { Dynamic::from_decimal(end) } else { to_dynamic(w) });
                    run(args.collect())
                });
                match moved.and_then(|r| r.ok()).and_then(|r| r.as_num()) {
                    Some(m) => {
                        spread += approx::rounding(m) + m.checked_sub(value).map_or(f64::INFINITY, approx::magnitude)
                    }
                    None => spread = f64::INFINITY,
                }
            }
        }
        Ok(Value::near((value, Bound::at_least(spread))))
    }

    fn starve(&self, f: &Function, name: &str) {
        self.starved.store(true, Ordering::Relaxed);
        self.budget.ran_out(f.script, name);
    }

    /// The error of a run whose scripts ran out of budget, once this host's calls were
    /// stopped for it: the script that ran out and how many calls the run made.
    pub fn budget_diagnostic(&self) -> Option<Diagnostic> {
        if !self.starved.load(Ordering::Relaxed) {
            return None;
        }
        let out = self.budget.exhausted()?;
        let limit = crate::value::format::group_digits(&out.limit.to_string());
        let calls = crate::value::format::group_digits(&out.calls.to_string());
        let s = if out.calls == 1 { "" } else { "s" };
        Some(
            Diagnostic::new(
                Code::ScriptBudgetExceeded,
                format!("the scripts ran out of the run's {limit} operations after {calls} call{s}"),
            )
            .primary(out.script, format!("`{}` was running when the budget ran out", out.function))
            .help(format!(
                "the calls of scripts may take {limit} operations in all; if the work is expected, raise the budget with `--script-budget`, for example `--script-budget {}`",
                out.limit.saturating_mul(10)
            )),
        )
    }

    fn report(&self, name: &str, err: &EvalAltResult, source: usize, call_span: Span, diags: &mut Vec<Diagnostic>) {
        if let Ok(mut seen) = self.reported.lock() {
            if seen.iter().any(|s| s == name) {
                return;
            }
            seen.push(name.to_string());
        }
        let (code, help) = classify(err);
        let message = format!("script function `{name}` failed: {}", first_line(&err.to_string()));
        let d = match position_span(innermost_position(err), source) {
            Some(span) => Diagnostic::new(code, message).primary(span, "here").secondary(call_span, "called here"),
            // Limits reached inside the function carry no position: point at the function.
            None => match self.definition_span(name, source) {
                Some(span) => {
                    Diagnostic::new(code, message).primary(span, "in this function").secondary(call_span, "called here")
                }
                None => Diagnostic::new(code, message).primary(call_span, "called here"),
            },
        };
        diags.push(d.help(help));
    }
}

impl ScriptHost {
    /// Where `fn name` is written in its script, as an encoded position.
    fn definition_span(&self, name: &str, source: usize) -> Option<Span> {
        let text = self.texts.get(&source)?;
        let at = text.find(&format!("fn {name}"))?;
        // Counts within the text, from 1: far from overflowing.
        let line = text.get(..at)?.matches('\n').count().saturating_add(1);
        let col = text.get(..at)?.rsplit('\n').next().map_or(0, |l| l.chars().count()).saturating_add(1);
        Some(Span::new(source, encode(line, col), encode(line, col).saturating_add(1)))
    }
}

/// A (line, column) of a script, encoded as a span until [`resolve_positions`] has the text.
fn position_span(pos: Position, source: usize) -> Option<Span> {
    let line = pos.line()?;
    let col = pos.position().unwrap_or(1);
    Some(Span::new(source, encode(line, col), encode(line, col).saturating_add(1)))
}

/// Rhai reports (line, column); spans are byte offsets. Script positions are encoded and
/// turned into offsets in [`resolve_positions`], once the script's text is at hand.
fn encode(line: usize, col: usize) -> usize {
    (line << 20) | col.min((1 << 20) - 1)
}

/// Replace encoded (line, column) spans of script diagnostics by byte offsets.
pub fn resolve_positions(diags: &mut [Diagnostic], sources: &[SourceFile], script_sources: &[usize]) {
    for d in diags.iter_mut() {
        for l in d.labels.iter_mut().filter(|l| script_sources.contains(&l.span.file)) {
            if l.span.start >= 1 << 20 {
                let (line, col) = (l.span.start >> 20, l.span.start & ((1 << 20) - 1));
                let offset = sources.get(l.span.file).map_or(0, |s| offset_of(&s.text, line, col));
                let end = sources.get(l.span.file).map_or(offset, |s| token_end(&s.text, offset));
                l.span = Span::new(l.span.file, offset, end);
            }
        }
    }
}

fn offset_of(text: &str, line: usize, col: usize) -> usize {
    let start = text.split_inclusive('\n').take(line.saturating_sub(1)).map(str::len).sum::<usize>();
    let line_text = text.get(start..).unwrap_or("");
    // Both offsets are within the text.
    start.saturating_add(line_text.char_indices().nth(col.saturating_sub(1)).map_or(0, |(b, _)| b))
}

fn token_end(text: &str, offset: usize) -> usize {
    let rest = text.get(offset..).unwrap_or("");
    let word = rest.chars().take_while(|c| c.is_alphanumeric() || *c == '_').map(char::len_utf8).sum::<usize>();
    offset.saturating_add(word.max(rest.chars().next().map_or(0, char::len_utf8)))
}

/// A `script` definition: what it declares, where, and the rule file it is in.
struct Declared<'d> {
    def: &'d ScriptDef,
    span: Span,
    rule_path: &'d Path,
}

fn compile(
    engine: &Engine,
    declared: &Declared<'_>,
    sources: &mut Vec<SourceFile>,
    diags: &mut Vec<Diagnostic>,
    functions: &mut HashMap<String, Function>,
) {
    let s = declared.def;
    let base = declared.rule_path.parent().filter(|p| !p.as_os_str().is_empty()).unwrap_or(Path::new("."));
    let path = base.join(&s.path.node);
    // A byte-order mark is not code, as in rule and data files.
    let read =
        crate::source::read_input_text(&path).map(|t| t.strip_prefix('\u{feff}').map(str::to_string).unwrap_or(t));
    let Ok(text) = read else {
        diags.push(
            Diagnostic::new(
                Code::MissingScript,
                format!("script file `{}` cannot be read", crate::load::display(&path)),
            )
            .primary(s.path.span, "declared here")
            .help("script paths are relative to the rule file that declares them"),
        );
        return;
    };
    let source = sources.len();
    sources.push(SourceFile { name: crate::load::display(&path), path: path.clone(), text: text.as_str().into() });
    let ast = match engine.compile(&text) {
        Ok(ast) => ast,
        Err(err) => {
            let (code, help) = match err.0.as_ref() {
                ParseErrorType::Reserved(word) => (
                    Code::ScriptLimit,
                    format!("`{word}` is not available in scripts: they run sandboxed, without modules or `eval`"),
                ),
                // A symbol switched off for the sandbox (`eval`) is refused the same way.
                other if other.to_string().contains("is disabled") => (
                    Code::ScriptLimit,
                    "`eval` is not available in scripts: they run sandboxed, without modules or `eval`".to_string(),
                ),
                _ => (Code::ScriptError, "fix the script; it must compile before any figure uses it".to_string()),
            };
            let mut d =
                Diagnostic::new(code, format!("script `{}` does not compile: {}", crate::load::display(&path), err.0))
                    .help(help);
            if let Some(span) = position_span(err.1, source) {
                d = d.primary(span, "here");
            }
            diags.push(d);
            return;
        }
    };
    let ast = std::sync::Arc::new(ast);
    for f in &s.functions {
        let name = f.node.name.node.as_str();
        let found = ast.iter_functions().find(|m| m.name == name).map(|m| m.params.len());
        match found {
            Some(arity) if arity == f.node.params.len() => {
                functions.insert(name.to_string(), Function { ast: ast.clone(), source, script: declared.span });
            }
            Some(arity) => diags.push(
                Diagnostic::new(
                    Code::ScriptError,
                    format!(
                        "script function `{name}` takes {arity} arguments, but is declared with {}",
                        f.node.params.len()
                    ),
                )
                .primary(f.node.name.span, "declared here")
                .help("make the declaration and the script agree"),
            ),
            None => diags.push(
                Diagnostic::new(
                    Code::ScriptError,
                    format!("`{}` defines no function `{name}`", crate::load::display(&path)),
                )
                .primary(f.node.name.span, "declared here")
                .help("define it in the script: `fn name(a, b) { ... }`"),
            ),
        }
    }
}

fn to_dynamic(v: &Value) -> Dynamic {
    match v {
        Value::Num(d) | Value::Approx(d, _) => Dynamic::from_decimal(*d),
        Value::Text(t) | Value::Member(t) => Dynamic::from(t.to_string()),
        Value::Bool(b) => Dynamic::from_bool(*b),
        Value::Date(d) => Dynamic::from(d.to_string()),
        Value::Missing(_) => Dynamic::UNIT,
    }
}

fn from_dynamic(d: Dynamic, name: &str) -> Result<Value, EvalAltResult> {
    if let Ok(x) = d.as_decimal() {
        return Ok(Value::Num(x));
    }
    if let Ok(i) = d.as_int() {
        return Ok(Value::Num(rust_decimal::Decimal::from(i)));
    }
    if let Ok(b) = d.as_bool() {
        return Ok(Value::Bool(b));
    }
    Err(EvalAltResult::ErrorMismatchOutputType(
        "a decimal".into(),
        format!("{} from `{name}`", d.type_name()),
        Position::NONE,
    ))
}

/// The code and help for a runtime failure.
fn classify(err: &EvalAltResult) -> (Code, String) {
    let inner = innermost(err);
    match inner {
        EvalAltResult::ErrorTooManyOperations(_) => (
            Code::ScriptLimit,
            format!("scripts may run at most {MAX_OPERATIONS} operations per call; look for a loop that never ends"),
        ),
        EvalAltResult::ErrorStackOverflow(_) => (
            Code::ScriptLimit,
            format!("scripts may nest calls at most {MAX_CALL_LEVELS} deep; look for unbounded recursion"),
        ),
        EvalAltResult::ErrorDataTooLarge(..) => (
            Code::ScriptLimit,
            format!("strings may hold {MAX_STRING} characters, arrays {MAX_ARRAY} items, maps {MAX_MAP}"),
        ),
        EvalAltResult::ErrorTooManyVariables(_) | EvalAltResult::ErrorTooManyModules(_) => {
            (Code::ScriptLimit, "the script uses more than the sandbox allows".to_string())
        }
        EvalAltResult::ErrorFunctionNotFound(..) => (
            Code::ScriptError,
            "scripts can use arithmetic, maths, logic, string and array functions only: no files, network or time"
                .to_string(),
        ),
        EvalAltResult::ErrorMismatchOutputType(..) => {
            (Code::ScriptError, "return a number; every number in a script is an exact decimal".to_string())
        }
        _ => (Code::ScriptError, "fix the script: nothing is written while it fails".to_string()),
    }
}

fn innermost(err: &EvalAltResult) -> &EvalAltResult {
    match err {
        EvalAltResult::ErrorInFunctionCall(_, _, inner, _) | EvalAltResult::ErrorInModule(_, inner, _) => {
            innermost(inner)
        }
        other => other,
    }
}

fn innermost_position(err: &EvalAltResult) -> Position {
    let inner = innermost(err);
    let p = inner.position();
    if p.is_none() {
        err.position()
    } else {
        p
    }
}

fn first_line(text: &str) -> String {
    text.lines().next().unwrap_or("").to_string()
}
