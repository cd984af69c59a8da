//! What a syntax error says was expected: grammar rules named in words people use, and
//! the literal tokens pest tried, each named once and in a stable order.

use super::Rule;
use std::collections::BTreeSet;

/// One thing a position accepts, as an error message names it.
#[derive(Clone, Copy)]
enum Item {
    /// A description, such as "a name" or "an expression".
    Phrase(&'static str),
    /// A literal keyword or punctuation mark, shown in backticks.
    Token(&'static str),
    /// A token the rule's description already stands for, so not listed beside it.
    Covered(&'static str),
}

use Item::{Covered as C, Phrase as P, Token as T};

/// What a grammar rule is called in an error message. A rule that is one of a few
/// keywords is named by those keywords, so that they merge with the tokens pest tried
/// instead of being listed twice. (Every rule has a name: see the test below.)
fn human_name(rule: Rule) -> &'static [Item] {
    lexical_name(rule)
        .or_else(|| definition_name(rule))
        .or_else(|| table_name(rule))
        .or_else(|| expression_name(rule))
        .unwrap_or(&[])
}

/// Names, literals and the clauses many definitions share.
fn lexical_name(rule: Rule) -> Option<&'static [Item]> {
    let items: &'static [Item] = match rule {
        Rule::EOI => &[P("end of file")],
        Rule::definition | Rule::file => &[P("a definition (`source`, `unit`, `class`, `set`, `function`, `dataset`, `param`, `kpi`, `methodology`, `classify`, `policy`, `script` or `report`)")],
        Rule::ident | Rule::any_word | Rule::ident_char => &[P("a name")],
        Rule::keyword | Rule::item_keyword => &[P("a keyword")],
        Rule::string | Rule::string_body | Rule::title => &[P("a quoted string")],
        Rule::number | Rule::int_power | Rule::neg_number | Rule::digits | Rule::grouped => &[P("a number")],
        Rule::percent => &[P("a percentage such as `25%`")],
        Rule::money | Rule::currency | Rule::magnitude => &[P("an amount such as `£1,000`")],
        Rule::date => &[P("a date such as `2011-04-01`")],
        Rule::cite => &[T("cite")],
        Rule::property => &[P("a property such as `document \"file.txt\"`")],
        Rule::index_decls | Rule::index_decl => &[P("an index such as `[f in function]`")],
        Rule::unit_expr | Rule::unit_factor | Rule::unit_atom | Rule::unit_one => &[P("a unit such as `GBP` or `GBP / FTE`")],
        Rule::unit_op => &[T("*"), T("/")],
        _ => return None,
    };
    Some(items)
}

/// The definitions and what their bodies hold.
fn definition_name(rule: Rule) -> Option<&'static [Item]> {
    let items: &'static [Item] = match rule {
        Rule::unit_alias => &[P("`=` and a unit")],
        Rule::unit_symbol => &[T("symbol")],
        Rule::set_member => &[P("a set member such as `north \"North\"`")],
        Rule::function_item => {
            &[T("activity"), T("parent"), T("cite"), P("a property such as `document \"file.txt\"`")]
        }
        Rule::parent => &[T("parent")],
        Rule::activity => &[T("activity")],
        Rule::resolves => &[T("resolves")],
        Rule::records_kw => &[T("records")],
        Rule::classified_from => &[P("`from classify TABLE`")],
        Rule::alternatives_kw => &[T("alternatives")],
        Rule::dataset_item => &[
            T("entity"),
            T("period"),
            T("field"),
            T("file"),
            T("exclude"),
            T("missing"),
            T("cite"),
            P("a property such as `document \"file.txt\"`"),
        ],
        Rule::entity_decl => &[T("entity")],
        Rule::period_decl => &[T("period")],
        Rule::missing_decl => &[T("missing")],
        Rule::field_decl => &[T("field")],
        Rule::field_type | Rule::text_type | Rule::date_type => &[P("a field type (`text`, `date`, a unit or a set)")],
        Rule::optional_kw => &[T("optional")],
        Rule::rollup => &[T("sum"), T("same")],
        Rule::file_decl => &[P("`file \"name\"`")],
        Rule::exclude_decl => &[P("`exclude \"column\" CELL`")],
        Rule::param_short | Rule::param_block => &[P("`=` and a value, or a `{` block of values")],
        Rule::param_entry => &[P("a parameter entry such as `north = 87%`")],
        Rule::param_keys | Rule::param_key | Rule::star => &[P("an index value or `*`")],
        Rule::param_value => &[P("a value")],
        Rule::methodology_item => &[T("peers"), T("let"), T("scale"), T("total"), T("cite")],
        Rule::peers => &[T("peers")],
        Rule::peers_all => &[T("all")],
        Rule::peers_same => &[T("same")],
        Rule::scale => &[T("scale")],
        Rule::total => &[T("total")],
        Rule::figure => &[T("let")],
        Rule::severity => &[T("error"), T("warning"), T("info")],
        Rule::policy_unless => &[P("`unless CONDITION`")],
        Rule::policy_by => &[P("`by FIELD, ...`")],
        Rule::file_or => &[P("`or \"OTHER NAME\"`")],
        Rule::policy_for => &[P("`for NAME in DATASET: require CONDITION`")],
        Rule::policy_message => &[P("`message \"...\"`")],
        Rule::script_fn => &[P("`fn name(arg: unit) : unit`")],
        Rule::script_param => &[P("a parameter such as `x: ratio`")],
        Rule::source_def => &[T("source")],
        Rule::unit_def => &[T("unit")],
        Rule::class_def => &[T("class")],
        Rule::set_def => &[T("set")],
        Rule::function_def => &[T("function")],
        Rule::dataset_def => &[T("dataset")],
        Rule::param_def => &[T("param")],
        Rule::kpi_def => &[T("kpi")],
        Rule::methodology_def => &[T("methodology")],
        Rule::classify_def => &[T("classify")],
        Rule::policy_def => &[T("policy")],
        Rule::script_def => &[T("script")],
        Rule::report_def => &[T("report")],
        Rule::report_each | Rule::each_kw => &[T("each")],
        Rule::report_label | Rule::label_kw => &[T("label")],
        Rule::report_section | Rule::section_kw => &[T("section")],
        Rule::report_item | Rule::report_kind => {
            &[T("table"), T("distribution"), T("compare"), T("trend"), T("totals")]
        }
        Rule::report_target | Rule::target_kw => &[T("target")],
        Rule::figure_ref => &[P("a KPI or `methodology.figure`")],
        _ => return None,
    };
    Some(items)
}

/// Decision tables (`classify`): the hit policy, header, rows and cells.
fn table_name(rule: Rule) -> Option<&'static [Item]> {
    let items: &'static [Item] = match rule {
        Rule::hit_policy => &[P("a hit policy (`unique`, `first` or `collect`)")],
        Rule::table_header | Rule::header_cell | Rule::output_marker => {
            &[P("a table header such as `| column | => output |`")]
        }
        Rule::table_row => &[P("a table row starting with `|`")],
        Rule::cell
        | Rule::any_cell
        | Rule::starts_cell
        | Rule::regex_cell
        | Rule::range_cell
        | Rule::compare_cell
        | Rule::set_cell
        | Rule::literal_cell => {
            &[P("a cell (`*`, a value, `starts \"..\"`, `matches \"..\"`, `a..b`, `< n` or `{a, b}`)")]
        }
        Rule::cell_literal => &[P("a value")],
        Rule::compare_op => &[T("<"), T("<="), T(">"), T(">=")],
        _ => return None,
    };
    Some(items)
}

/// Expressions, and the whitespace and comments between tokens.
fn expression_name(rule: Rule) -> Option<&'static [Item]> {
    let items: &'static [Item] = match rule {
        Rule::expr | Rule::if_expr | Rule::binary | Rule::unary | Rule::postfixed | Rule::primary | Rule::paren => {
            &[P("an expression")]
        }
        Rule::prefix | Rule::neg | Rule::not_op => &[T("-"), T("not")],
        Rule::postfix | Rule::index | Rule::member | Rule::over => &[T("["), T("."), T("over")],
        Rule::infix => &[P("an operator"), C("and"), C("or")],
        Rule::boolean => &[T("true"), T("false")],
        Rule::call | Rule::call_or_name => &[P("a function call or a name")],
        Rule::argument | Rule::named_arg => &[P("an argument")],
        Rule::WHITESPACE | Rule::COMMENT => &[P("more input")],
        _ => return None,
    };
    Some(items)
}

/// What a position accepts, each thing once: descriptions in the order the rules were
/// tried (pest reports them in grammar order), then keywords, then punctuation marks,
/// each alphabetically, so the same mistake always reads the same.
#[derive(Default)]
pub struct Expected {
    phrases: Vec<&'static str>,
    /// `(is punctuation, token)`: sorts keywords before punctuation.
    tokens: BTreeSet<(bool, String)>,
    covered: Vec<&'static str>,
}

impl Expected {
    pub fn rule(&mut self, rule: Rule) {
        for item in human_name(rule) {
            match *item {
                P(phrase) => {
                    if !self.phrases.contains(&phrase) {
                        self.phrases.push(phrase);
                    }
                }
                T(token) => self.token(token),
                C(token) => self.covered.push(token),
            }
        }
    }

    pub fn token(&mut self, token: &str) {
        let punctuation = !token.starts_with(|c: char| c.is_ascii_alphabetic());
        self.tokens.insert((punctuation, token.to_string()));
    }

    /// The list as shown: a token a description already names (`=` in "`=` and a
    /// value") is left out.
    pub fn into_list(self) -> Vec<String> {
        let named = |t: &str| {
            let (alone, leading) = (format!("`{t}`"), format!("`{t} "));
            self.covered.contains(&t) || self.phrases.iter().any(|p| p.contains(&alone) || p.contains(&leading))
        };
        let tokens: Vec<String> =
            self.tokens.iter().filter(|(_, t)| !named(t)).map(|(_, t)| format!("`{t}`")).collect();
        self.phrases.iter().map(ToString::to_string).chain(tokens).collect()
    }
}

/// The rule to name for a call stack pest cut short at `rule` (it does so past a few
/// alternatives). Cut at `binary` or `postfixed`, the stack stands for what may follow a
/// complete operand, an operator or a postfix, not for "an expression", which is what
/// those rules mean where an expression starts.
pub fn continuing(rule: Rule) -> Rule {
    match rule {
        Rule::binary => Rule::infix,
        Rule::postfixed => Rule::postfix,
        other => other,
    }
}

/// The rules in words, for pest's plain "expected" and "unexpected" lists.
pub fn names(rules: &[Rule]) -> Vec<String> {
    let mut expected = Expected::default();
    for r in rules {
        expected.rule(*r);
    }
    expected.into_list()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_rule_has_a_name() {
        for &rule in Rule::all_rules().iter().chain([Rule::EOI].iter()) {
            assert!(!human_name(rule).is_empty(), "{rule:?} has no name for error messages");
        }
    }
}
