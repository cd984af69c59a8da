//! Calls: built-in functions and statistics (with their options and groups), and script functions.

use super::{join_and, ExprChecker, Scope, Ty};
use crate::ast::*;
use crate::check::builtins::{self, Builtin, Range, Returns};
use crate::check::suggest;
use crate::check::symbols::Item;
use crate::check::units::Dim;
use crate::diagnostic::codes::Code;
use crate::diagnostic::Diagnostic;
use crate::source::{Name, Span};
use rust_decimal::Decimal;

impl<'c, 'a> ExprChecker<'c, 'a> {
    pub(super) fn over(&mut self, aggregate: &Expr, group: &Name, scope: &Scope<'_>) -> Ty {
        // A grouped policy's statistics are taken over its group's rows.
        if let (Some((var, _)), Some(_)) = (scope.policy, scope.group_by) {
            if group.node == var {
                let inner = Scope { in_group: true, ..scope.clone() };
                return match &aggregate.node {
                    ExprKind::Call { function, args } => self.call(aggregate.span, function, args, &inner, true),
                    _ => {
                        self.infer(aggregate, &inner);
                        self.error(
                            Diagnostic::new(Code::NotAnAggregate, "`over` must follow a statistic")
                                .primary(aggregate.span, "not a statistic")
                                .help(format!("write a statistic such as `any({var}.FIELD == ...) over {var}`")),
                        )
                    }
                };
            }
        }
        match group.node.as_str() {
            "all" => {}
            "peers" => {
                match scope.methodology {
                    Some((_, true)) => {}
                    Some((meth, false)) => {
                        self.error(
                        Diagnostic::new(Code::NoPeerGroup, format!("methodology `{meth}` declares no peer group"))
                            .primary(group.span, "`peers` is not declared")
                            .help("add `peers same FIELD minimum N` to the methodology, or take the statistic `over all`"),
                    );
                    }
                    None => {
                        self.error(
                            Diagnostic::new(Code::NoPeerGroup, "`over peers` outside a methodology")
                                .primary(group.span, "no peer group here")
                                .help("peer groups belong to methodologies; here use `over all`"),
                        );
                    }
                }
            }
            other => {
                self.error(
                    Diagnostic::new(Code::NoPeerGroup, format!("unknown group `{other}`"))
                        .primary(group.span, "not a group")
                        .help(match (scope.policy, scope.group_by) {
                            (Some((var, _)), None) => format!(
                                "a policy's statistics over its rows need groups: `for {var} in DATASET by FIELD`, then `... over {var}`"
                            ),
                            _ => suggest::help_for(
                                other,
                                ["peers", "all"],
                                "statistics are taken `over peers` or `over all`",
                            ),
                        }),
                );
            }
        }
        match &aggregate.node {
            ExprKind::Call { function, args } => self.call(aggregate.span, function, args, scope, true),
            _ => {
                self.infer(aggregate, scope);
                self.error(
                    Diagnostic::new(Code::NotAnAggregate, "`over` must follow a statistic")
                        .primary(aggregate.span, "not a statistic")
                        .help("write a statistic such as `median(x, missing: skip) over peers`"),
                )
            }
        }
    }

    pub(super) fn call(
        &mut self,
        span: Span,
        function: &Name,
        args: &[Argument],
        scope: &Scope<'_>,
        under_over: bool,
    ) -> Ty {
        let fname = function.node.as_str();
        if let Some(b) = builtins::lookup(fname, under_over) {
            if b.aggregate && !under_over {
                self.error(
                    Diagnostic::new(Code::NotAnAggregate, format!("`{fname}` is a statistic and needs a group"))
                        .primary(span, "no `over`")
                        .help(format!("write `{}`", b.signature)),
                );
            } else if !b.aggregate && under_over {
                self.error(
                    Diagnostic::new(Code::NotAnAggregate, format!("`{fname}` is not a statistic"))
                        .primary(span, "cannot be taken `over` a group")
                        .help("statistics are count, sum, mean, median, min, max, quantile, trimmed_mean, rank and percentile_rank"),
                );
            }
            return self.builtin(span, b, args, scope);
        }
        if let Some(Item::ScriptFn(f)) = self.syms.get(fname).map(|s| s.item) {
            return self.script_call(span, fname, f, args, scope);
        }
        for a in args {
            self.infer(&a.value, scope);
        }
        let mut names: Vec<&str> = builtins::names().collect();
        names.extend(self.syms.names_where(|i| matches!(i, Item::ScriptFn(_))));
        self.error(
            Diagnostic::new(Code::UnknownName, format!("unknown function `{fname}`"))
                .primary(function.span, "no built-in or script function has this name")
                .help(suggest::help_for(
                    fname,
                    names,
                    "declare it in a `script` block, or use a built-in such as `max` or `median`",
                )),
        )
    }

    fn builtin(&mut self, span: Span, b: &Builtin, args: &[Argument], scope: &Scope<'_>) -> Ty {
        let positional: Vec<&Argument> = args.iter().filter(|a| a.name.is_none()).collect();
        if positional.len() < b.min_args || positional.len() > b.max_args {
            for a in &positional {
                self.infer(&a.value, scope);
            }
            return self.error(
                Diagnostic::new(
                    Code::BadArgument,
                    format!("`{}` takes {}, given {}", b.name, count_words(b), positional.len()),
                )
                .primary(span, "wrong number of arguments")
                .help(format!("write `{}`", b.signature)),
            );
        }
        self.options(span, b, args, scope);
        let types: Vec<(Ty, Span)> = positional.iter().map(|a| (self.infer(&a.value, scope), a.value.span)).collect();
        match b.returns {
            Returns::SameAsArgs => self.same_as_args(b, &types, &positional),
            Returns::Count => Ty::Num(Dim::base("count")),
            Returns::Ratio => Ty::Num(Dim::dimensionless()),
            Returns::Bool => {
                if matches!(b.name, "any" | "all") {
                    if let Some((t, s)) = types.first().filter(|(t, _)| !matches!(t, Ty::Bool | Ty::Unknown)) {
                        self.mismatch(*s, t, "a condition", &format!("`{}` is taken over conditions", b.name));
                    }
                }
                Ty::Bool
            }
            Returns::FirstArg => {
                self.previous_allowed(span, scope);
                types.first().map_or(Ty::Unknown, |(t, _)| t.clone())
            }
            Returns::ClassOf => match types.first() {
                Some((Ty::Member(s), _)) if s == "activity" => Ty::Member("class".into()),
                Some((Ty::Unknown, _)) | None => Ty::Unknown,
                Some((t, s)) => self.mismatch(*s, t, "an activity", "`class` gives the class of an activity"),
            },
        }
    }

    /// `previous(x)` reads the period before: only a policy over entities, which are
    /// evaluated period after period, has one.
    fn previous_allowed(&mut self, span: Span, scope: &Scope<'_>) {
        let (message, help) = match scope.policy {
            Some((_, d)) if d.gives_entities() => return,
            Some(_) => (
                "`previous` needs a period before, and a policy over records sees one row at a time".to_string(),
                "compare a field of the row with another, or write the policy over a dataset of entities",
            ),
            None => (
                "`previous` is available in policies only".to_string(),
                "a policy over a dataset of entities may compare a value with the period before's",
            ),
        };
        self.error(Diagnostic::new(Code::WrongKind, message).primary(span, "no period before here").help(help));
    }

    /// The named options of a built-in: each known, given once, with a good value, and
    /// every required one stated.
    fn options(&mut self, span: Span, b: &Builtin, args: &[Argument], scope: &Scope<'_>) {
        let mut seen: Vec<&str> = Vec::new();
        let mut unknown_option = false;
        for a in args {
            let Some(n) = &a.name else { continue };
            let Some(opt) = b.options.iter().find(|o| o.name == n.node) else {
                unknown_option = true;
                let names: Vec<&str> = b.options.iter().map(|o| o.name).collect();
                self.error(
                    Diagnostic::new(Code::BadArgument, format!("`{}` has no option `{}`", b.name, n.node))
                        .primary(n.span, "unknown option")
                        .help(suggest::help_for(&n.node, names, &format!("write `{}`", b.signature))),
                );
                continue;
            };
            if seen.contains(&opt.name) {
                self.error(
                    Diagnostic::new(Code::BadArgument, format!("option `{}` is given twice", opt.name))
                        .primary(n.span, "again here")
                        .help("give each option once"),
                );
            }
            seen.push(opt.name);
            self.option_value(b, opt, &a.value, scope);
        }
        let missing: Vec<_> = b.options.iter().filter(|o| o.required && !seen.contains(&o.name)).collect();
        // A misspelt option is reported above; saying it is also missing would be noise.
        if let (Some(first), false) = (missing.first(), unknown_option) {
            let list: Vec<String> = missing.iter().map(|o| format!("`{}`", o.name)).collect();
            self.error(
                Diagnostic::new(Code::UnstatedChoice, format!("`{}` needs {} stated", b.name, join_and(&list)))
                    .primary(span, format!("`{}`: {}", first.name, first.meaning))
                    .help(format!("state every choice: `{}`", b.signature)),
            );
        }
    }

    /// A built-in that gives the unit of its values (`max`, `median`): they must be
    /// numbers in one unit.
    fn same_as_args(&mut self, b: &Builtin, types: &[(Ty, Span)], positional: &[&Argument]) -> Ty {
        // quantile's second argument is the fraction, not a value.
        let values = if b.name == "quantile" { types.get(..1).unwrap_or_default() } else { types };
        if let (true, Some((t, s))) = (b.name == "quantile", types.get(1)) {
            self.expect_ratio(t, *s, "the quantile is a fraction such as 25%");
        }
        if let (true, Some(p)) = (b.name == "quantile", positional.get(1)) {
            self.in_range("the quantile", builtins::QUANTILE, &p.value, "the fraction of values below it, such as 25%");
        }
        let mut acc: Option<(Ty, Span)> = None;
        for (t, s) in values {
            if !matches!(t, Ty::Num(_) | Ty::Lit | Ty::Unknown) {
                self.mismatch(*s, t, "a number", &format!("`{}` works on numbers", b.name));
                acc = Some((Ty::Unknown, *s));
                continue;
            }
            acc = Some(match acc {
                None => (t.clone(), *s),
                Some((a, sa)) => {
                    (self.unify(&a, sa, t, *s, &format!("the arguments of `{}` have different units", b.name)), sa)
                }
            });
        }
        acc.map_or(Ty::Lit, |(t, _)| t)
    }

    fn expect_ratio(&mut self, t: &Ty, span: Span, help: &str) {
        match t {
            Ty::Lit | Ty::Unknown => {}
            Ty::Num(d) if d.is_dimensionless() => {}
            other => {
                self.mismatch(span, other, "a ratio", help);
            }
        }
    }

    fn option_value(&mut self, b: &Builtin, opt: &builtins::Opt, value: &Expr, scope: &Scope<'_>) {
        if opt.words.is_empty() {
            let t = self.infer(value, scope);
            self.expect_ratio(&t, value.span, opt.meaning);
            if let Some(range) = opt.range {
                self.in_range(&format!("`{}` of `{}`", opt.name, b.name), range, value, opt.meaning);
            }
            return;
        }
        let word = match &value.node {
            ExprKind::Name(w) => Some(w.as_str()),
            _ => None,
        };
        if !word.is_some_and(|w| opt.words.contains(&w)) {
            let allowed: Vec<String> = opt.words.iter().map(|w| format!("`{w}`")).collect();
            self.error(
                Diagnostic::new(
                    Code::BadArgument,
                    format!("`{}` of `{}` must be one of {}", opt.name, b.name, allowed.join(", ")),
                )
                .primary(value.span, "not one of the choices")
                .help(match word.and_then(|w| suggest::did_you_mean(w, opt.words.iter().copied())) {
                    Some(s) => format!("did you mean `{s}`? ({})", opt.meaning),
                    None => format!("`{}`: {}", opt.name, opt.meaning),
                }),
            );
        }
    }

    /// A number a built-in reads, when written as a literal, must be in its range: an
    /// out-of-range `trim` or quantile would otherwise make every value of the figure
    /// missing at run time, with nothing said.
    fn in_range(&mut self, what: &str, range: Range, value: &Expr, meaning: &str) {
        let Some((ratio, percent)) = literal(value) else { return };
        if range.holds(ratio) {
            return;
        }
        let written = if percent { format!("{}%", as_percent(ratio)) } else { ratio.normalize().to_string() };
        let (note, help) = match (range, percent) {
            // `trim: 25` meant 25%: say so, and suggest the `%` when the number fits as one.
            (Range::Share { .. }, false) => (
                format!(" (a bare number is a ratio: `{written}` is {}%)", as_percent(ratio)),
                if range.holds(crate::value::format::from_percent(ratio)) {
                    format!("did you mean `{written}%`? a share is written with `%`")
                } else {
                    format!("{}: {meaning}", range.describe())
                },
            ),
            _ => (String::new(), format!("{}: {meaning}", range.describe())),
        };
        self.error(
            Diagnostic::new(Code::OutOfRange, format!("{what} must be {}, given `{written}`{note}", range.describe()))
                .primary(value.span, "out of range")
                .help(help),
        );
    }

    fn script_call(&mut self, span: Span, fname: &str, f: &ScriptFn, args: &[Argument], scope: &Scope<'_>) -> Ty {
        if let Some(named) = args.iter().find_map(|a| a.name.as_ref()) {
            self.error(
                Diagnostic::new(Code::BadArgument, format!("script function `{fname}` takes no named options"))
                    .primary(named.span, "named argument")
                    .help("pass script arguments by position"),
            );
        }
        if args.len() != f.params.len() {
            for a in args {
                self.infer(&a.value, scope);
            }
            let sig: Vec<String> = f.params.iter().map(|(n, _)| n.node.clone()).collect();
            return self.error(
                Diagnostic::new(
                    Code::BadArgument,
                    format!("`{fname}` takes {} arguments, given {}", f.params.len(), args.len()),
                )
                .primary(span, "wrong number of arguments")
                .help(format!("write `{fname}({})`", sig.join(", "))),
            );
        }
        for (a, (pname, punit)) in args.iter().zip(&f.params) {
            let t = self.infer(&a.value, scope);
            let want = self.unit_ty(&punit.node);
            if let (Ty::Num(got), Ty::Num(w)) = (&t, &want) {
                if got != w {
                    self.error(
                        Diagnostic::new(
                            Code::UnitMismatch,
                            format!("`{fname}` expects `{}` in {}", pname.node, self.units.show(w)),
                        )
                        .primary(a.value.span, format!("this is {}", self.units.show(got)))
                        .secondary(punit.span, "declared here")
                        .help("pass a value in the declared unit"),
                    );
                }
            } else if !matches!(t, Ty::Num(_) | Ty::Lit | Ty::Unknown) {
                self.mismatch(a.value.span, &t, "a number", "script functions take numbers");
            }
        }
        self.unit_ty(&f.returns.node)
    }
}

/// The value of a number written as a literal (`25%` is 0.25, `-1` is -1), and whether it
/// was written as a percentage; `None` for anything computed.
fn literal(e: &Expr) -> Option<(Decimal, bool)> {
    match &e.node {
        ExprKind::Number(d) => Some((*d, false)),
        ExprKind::Percent(p) => Some((crate::value::format::from_percent(*p), true)),
        ExprKind::Unary { op: UnaryOp::Neg, operand } => literal(operand).map(|(d, p)| (-d, p)),
        _ => None,
    }
}

/// A ratio as a percentage (0.25 as 25), or as written when too large to multiply.
fn as_percent(ratio: Decimal) -> String {
    ratio.checked_mul(Decimal::ONE_HUNDRED).map_or_else(|| format!("{ratio} × 100"), |p| p.normalize().to_string())
}

fn count_words(b: &Builtin) -> String {
    match (b.min_args, b.max_args) {
        (0, 0) => "no value arguments".to_string(),
        (1, 1) => "one value".to_string(),
        (lo, hi) if lo == hi => format!("{lo} values"),
        (lo, _) => format!("at least {lo} values"),
    }
}
