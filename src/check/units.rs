//! Units and dimensional analysis: declared base units, aliases, and their algebra.

use super::suggest;
use crate::ast::{DefKind, File, UnitDef, UnitExpr};
use crate::diagnostic::codes::Code;
use crate::diagnostic::Diagnostic;
use crate::source::Span;
use std::collections::{BTreeMap, HashMap};
use std::fmt::Write;

/// Units every rule set has: dimensionless ratios (shown as ratio or percent) and counts.
pub const BUILTIN_DIMENSIONLESS: &[&str] = &["ratio", "percent"];
pub const BUILTIN_BASES: &[&str] = &["count"];

/// A unit as a product of base units with integer powers; empty means dimensionless.
///
/// Percent and ratio are one dimension (10% is 0.1), so they compare equal; `percent`
/// only remembers that the author wrote a percentage (`percent`, `5%`, or something
/// computed from one), so that messages name the unit as the rule spells it.
#[derive(Debug, Clone, Default)]
pub struct Dim {
    powers: BTreeMap<String, i32>,
    percent: bool,
}

impl PartialEq for Dim {
    fn eq(&self, other: &Dim) -> bool {
        self.powers == other.powers
    }
}

impl Eq for Dim {}

impl std::hash::Hash for Dim {
    fn hash<H: std::hash::Hasher>(&self, state: &mut H) {
        self.powers.hash(state);
    }
}

impl PartialOrd for Dim {
    fn partial_cmp(&self, other: &Dim) -> Option<std::cmp::Ordering> {
        Some(self.cmp(other))
    }
}

impl Ord for Dim {
    fn cmp(&self, other: &Dim) -> std::cmp::Ordering {
        self.powers.cmp(&other.powers)
    }
}

impl Dim {
    /// A ratio: what `ratio` names, and what dividing money by money gives.
    pub fn dimensionless() -> Dim {
        Dim::default()
    }

    /// A ratio written as a percentage: `percent`, or a literal such as `5%`.
    pub fn percent() -> Dim {
        Dim { powers: BTreeMap::new(), percent: true }
    }

    pub fn base(name: &str) -> Dim {
        Dim { powers: BTreeMap::from([(name.to_string(), 1)]), percent: false }
    }

    pub fn is_dimensionless(&self) -> bool {
        self.powers.is_empty()
    }

    /// Whether this is a ratio the rules write as a percentage.
    pub fn is_percent(&self) -> bool {
        self.percent && self.is_dimensionless()
    }

    /// A product carries a percentage along (money × 10% ÷ money is a percentage).
    pub fn mul(&self, other: &Dim) -> Dim {
        self.combine(other, 1, self.percent || other.percent)
    }

    /// A percentage divided by a percentage is a plain ratio of the two.
    pub fn div(&self, other: &Dim) -> Dim {
        self.combine(other, -1, self.percent && !other.percent)
    }

    /// Powers beyond an `i32` saturate (see [`Dim::saturated`]) rather than wrap around to
    /// another unit.
    pub fn pow(&self, power: i32) -> Dim {
        Dim {
            powers: self
                .powers
                .iter()
                .map(|(k, v)| (k.clone(), v.saturating_mul(power)))
                .filter(|(_, v)| *v != 0)
                .collect(),
            percent: self.percent && power == 1,
        }
    }

    /// Whether a power has reached the limit of an `i32`: no unit has such a power, and
    /// past it two different units would compare equal.
    pub fn saturated(&self) -> bool {
        self.powers.values().any(|p| p.unsigned_abs() >= i32::MAX.unsigned_abs())
    }

    fn combine(&self, other: &Dim, sign: i32, percent: bool) -> Dim {
        let mut out = self.powers.clone();
        for (k, v) in &other.powers {
            let power = out.entry(k.clone()).or_insert(0);
            *power = power.saturating_add(v.saturating_mul(sign));
        }
        out.retain(|_, v| *v != 0);
        Dim { powers: out, percent }
    }
}

/// The units a rule set declares, for resolving unit expressions and printing units.
#[derive(Debug, Default)]
pub struct UnitTable {
    /// Base unit name to its display symbol (the name itself when none is declared).
    symbols: HashMap<String, String>,
    aliases: HashMap<String, Dim>,
    /// Currency sign (`£`) to the base unit that declares it as its symbol.
    pub currencies: HashMap<String, String>,
}

impl UnitTable {
    /// Collect unit definitions; aliases are resolved in order of need, with cycles refused.
    pub fn build(files: &[File], diags: &mut Vec<Diagnostic>) -> UnitTable {
        let mut table = UnitTable::default();
        for name in BUILTIN_BASES {
            table.symbols.insert((*name).to_string(), (*name).to_string());
        }
        let mut pending: Vec<(&str, Span, &UnitExpr)> = Vec::new();
        let mut symbol_spans: HashMap<&str, Span> = HashMap::new();
        for def in files.iter().flat_map(|f| &f.definitions) {
            if let DefKind::Unit(unit) = &def.node.kind {
                let name = def.node.name.node.as_str();
                if BUILTIN_DIMENSIONLESS.contains(&name) || BUILTIN_BASES.contains(&name) {
                    diags.push(
                        Diagnostic::new(Code::DuplicateName, format!("`{name}` is a built-in unit"))
                            .primary(def.node.name.span, "cannot be redefined")
                            .help("`ratio`, `percent` and `count` are built in; choose another name"),
                    );
                    continue;
                }
                match unit {
                    UnitDef::Base { symbol, .. } => {
                        let shown = symbol.as_ref().map_or(name, |s| s.node.as_str());
                        table.symbols.insert(name.to_string(), shown.to_string());
                        if let Some(sym) = symbol {
                            if let Some(first) = symbol_spans.get(sym.node.as_str()) {
                                diags.push(
                                    Diagnostic::new(
                                        Code::DuplicateName,
                                        format!("two units have the symbol `{}`", sym.node),
                                    )
                                    .primary(sym.span, format!("`{name}` claims it again"))
                                    .secondary(*first, "first claimed here")
                                    .help("a symbol names one unit, so that amounts such as `£5` have one meaning"),
                                );
                            } else {
                                symbol_spans.insert(sym.node.as_str(), sym.span);
                                table.currencies.insert(sym.node.clone(), name.to_string());
                            }
                        }
                    }
                    UnitDef::Alias { expr, .. } => pending.push((name, def.node.name.span, &expr.node)),
                }
            }
        }
        // Aliases may refer to aliases declared anywhere: resolve until nothing changes.
        let mut progress = true;
        while progress && !pending.is_empty() {
            progress = false;
            pending.retain(|(name, span, expr)| {
                let ready = expr
                    .factors
                    .iter()
                    .all(|(n, _)| !is_pending_alias(&n.node, files) || table.aliases.contains_key(&n.node));
                if ready {
                    let dim = table.resolve_quiet(expr).unwrap_or_default();
                    if dim.saturated() {
                        diags.push(
                            Diagnostic::new(Code::NumberOutOfRange, format!("a power of unit `{name}` is too large"))
                                .primary(*span, "its powers multiply past the largest power a unit may have")
                                .help("a unit is a product of units with small powers, such as `GBP / FTE` or `m ^ 2`"),
                        );
                    }
                    table.aliases.insert((*name).to_string(), dim);
                    progress = true;
                }
                !ready
            });
        }
        // What is left refers to itself through other aliases: one report for all of them,
        // and a placeholder for each so that their uses are not reported as unknown.
        if let Some((first, first_span, _)) = pending.first() {
            let names: Vec<String> = pending.iter().map(|(n, _, _)| format!("`{n}`")).collect();
            let mut diag = Diagnostic::new(
                Code::Cycle,
                format!("unit aliases defined in terms of each other: {}", names.join(", ")),
            )
            .primary(*first_span, format!("`{first}` needs itself"));
            for (name, span, _) in pending.iter().skip(1) {
                diag = diag.secondary(*span, format!("`{name}` is part of the circle"));
            }
            diags.push(diag.help("define at least one of these units as a base unit with a title"));
        }
        for (name, _, _) in pending {
            table.aliases.insert(name.to_string(), Dim::dimensionless());
        }
        table
    }

    fn resolve_quiet(&self, expr: &UnitExpr) -> Option<Dim> {
        let mut dim = Dim::dimensionless();
        for (name, power) in &expr.factors {
            dim = dim.mul(&self.lookup(&name.node)?.pow(*power));
        }
        Some(dim)
    }

    fn lookup(&self, name: &str) -> Option<Dim> {
        match name {
            "percent" => return Some(Dim::percent()),
            "ratio" => return Some(Dim::dimensionless()),
            _ => {}
        }
        if let Some(d) = self.aliases.get(name) {
            return Some(d.clone());
        }
        self.symbols.contains_key(name).then(|| Dim::base(name))
    }

    pub fn is_unit(&self, name: &str) -> bool {
        self.lookup(name).is_some()
    }

    /// Resolve a unit expression, reporting each unknown unit once.
    pub fn resolve(&self, expr: &UnitExpr, diags: &mut Vec<Diagnostic>) -> Option<Dim> {
        let mut dim = Some(Dim::dimensionless());
        for (name, power) in &expr.factors {
            match self.lookup(&name.node) {
                Some(d) => dim = dim.map(|acc| acc.mul(&d.pow(*power))),
                None => {
                    let known = self.names();
                    diags.push(
                        Diagnostic::new(Code::UnknownUnit, format!("unknown unit `{}`", name.node))
                            .primary(name.span, "not a declared unit")
                            .help(suggest::help_for(
                                &name.node,
                                known.iter().map(String::as_str),
                                &format!("declare it: `unit {} \"title\"`", name.node),
                            )),
                    );
                    dim = None;
                }
            }
        }
        dim
    }

    fn names(&self) -> Vec<String> {
        let mut names: Vec<String> = self.symbols.keys().chain(self.aliases.keys()).cloned().collect();
        names.extend(BUILTIN_DIMENSIONLESS.iter().map(|s| (*s).to_string()));
        names.sort();
        names
    }

    /// A unit as people read it: `£`, `£ / FTE`, `ratio`, `percent`.
    pub fn show(&self, dim: &Dim) -> String {
        if dim.is_percent() {
            return "percent".to_string();
        }
        if dim.is_dimensionless() {
            return "ratio".to_string();
        }
        let mut out = String::new();
        let part = |out: &mut String, name: &str, power: i32| {
            let shown = self.symbols.get(name).map_or(name, String::as_str);
            if !out.is_empty() {
                out.push_str(" · ");
            }
            out.push_str(shown);
            if power != 1 {
                let _ = write!(out, "^{power}");
            }
        };
        for (name, power) in dim.powers.iter().filter(|(_, p)| **p > 0) {
            part(&mut out, name, *power);
        }
        if out.is_empty() {
            out.push('1');
        }
        let below: Vec<_> = dim.powers.iter().filter(|(_, p)| **p < 0).collect();
        if !below.is_empty() {
            let mut den = String::new();
            for (name, power) in below {
                part(&mut den, name, power.saturating_neg());
            }
            let _ = write!(out, " / {den}");
        }
        out
    }
}

fn is_pending_alias(name: &str, files: &[File]) -> bool {
    files
        .iter()
        .flat_map(|f| &f.definitions)
        .any(|d| d.node.name.node == name && matches!(d.node.kind, DefKind::Unit(UnitDef::Alias { .. })))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn algebra() {
        let gbp = Dim::base("GBP");
        let fte = Dim::base("FTE");
        assert!(gbp.div(&gbp).is_dimensionless());
        assert_eq!(gbp.div(&fte).mul(&fte), gbp);
        assert_eq!(gbp.pow(2).div(&gbp), gbp);
        let mut t = UnitTable::default();
        t.symbols.insert("GBP".into(), "£".into());
        t.symbols.insert("FTE".into(), "FTE".into());
        assert_eq!(t.show(&gbp.div(&fte)), "£ / FTE");
        assert_eq!(t.show(&Dim::dimensionless().div(&fte)), "1 / FTE");
        assert_eq!(t.show(&Dim::dimensionless()), "ratio");
    }

    #[test]
    fn powers_saturate_instead_of_overflowing() {
        // `GBP ^ 99` raised to 99 five times: the power overflowed an i32 and panicked.
        let huge = (0..5).fold(Dim::base("GBP"), |d, _| d.pow(99));
        assert!(huge.saturated());
        assert!(huge.mul(&huge).saturated() && Dim::dimensionless().div(&huge).saturated());
        assert!(!Dim::base("GBP").pow(99).pow(99).saturated());
    }

    #[test]
    fn percent_is_a_ratio_shown_as_written() {
        let gbp = Dim::base("GBP");
        let t = UnitTable::default();
        assert_eq!(Dim::percent(), Dim::dimensionless());
        assert_eq!(t.show(&Dim::percent()), "percent");
        assert_eq!(t.show(&gbp.div(&gbp)), "ratio");
        assert_eq!(t.show(&gbp.mul(&Dim::percent()).div(&gbp)), "percent");
        assert_eq!(t.show(&Dim::percent().div(&Dim::percent())), "ratio");
        assert_eq!(t.show(&Dim::percent().mul(&gbp)), "GBP");
    }
}
