//! Syntax errors: pest's failures turned into coded diagnostics in words people use.

use super::Rule;
use crate::codes::Code;
use crate::diagnostic::Diagnostic;
use crate::source::{FileId, Span};
use pest::error::{ErrorVariant, InputLocation};

/// What a grammar rule is called in an error message.
pub fn human_name(rule: Rule) -> &'static str {
    match rule {
        Rule::EOI => "end of file",
        Rule::definition | Rule::file => "a definition (`source`, `unit`, `class`, `set`, `function`, `dataset`, `param`, `kpi`, `methodology`, `classify`, `policy` or `script`)",
        Rule::ident | Rule::any_word | Rule::ident_char => "a name",
        Rule::keyword | Rule::item_keyword => "a keyword",
        Rule::string | Rule::string_body | Rule::title => "a quoted string",
        Rule::number | Rule::int_power | Rule::neg_number | Rule::digits | Rule::grouped => "a number",
        Rule::percent => "a percentage such as `25%`",
        Rule::money | Rule::currency | Rule::magnitude => "an amount such as `£1,000`",
        Rule::date => "a date such as `2011-04-01`",
        Rule::cite => "`cite`",
        Rule::property => "a property such as `document \"file.txt\"`",
        Rule::index_decls | Rule::index_decl => "an index such as `[f in function]`",
        Rule::unit_expr | Rule::unit_factor | Rule::unit_atom | Rule::unit_one => "a unit such as `GBP` or `GBP / FTE`",
        Rule::unit_op => "`*` or `/`",
        Rule::unit_alias => "`=` and a unit",
        Rule::unit_symbol => "`symbol`",
        Rule::set_member => "a set member such as `north \"North\"`",
        Rule::function_item => "`activity`, `parent`, `cite` or a property",
        Rule::parent => "`parent`",
        Rule::activity => "`activity`",
        Rule::resolves => "`resolves`",
        Rule::records_kw => "`records`",
        Rule::classified_from => "`from classify TABLE`",
        Rule::alternatives_kw => "`alternatives`",
        Rule::dataset_item => "`entity`, `period`, `field`, `file`, `exclude`, `missing`, `cite` or a property",
        Rule::entity_decl => "`entity`",
        Rule::period_decl => "`period`",
        Rule::missing_decl => "`missing`",
        Rule::field_decl => "`field`",
        Rule::field_type | Rule::text_type | Rule::date_type => "a field type (`text`, `date`, a unit or a set)",
        Rule::optional_kw => "`optional`",
        Rule::rollup => "`sum` or `same`",
        Rule::file_decl => "`file \"name\"`",
        Rule::exclude_decl => "`exclude \"column\" CELL`",
        Rule::param_short | Rule::param_block => "`=` and a value, or a `{` block of values",
        Rule::param_entry => "a parameter entry such as `north = 87%`",
        Rule::param_keys | Rule::param_key | Rule::star => "an index value or `*`",
        Rule::param_value => "a value",
        Rule::methodology_item => "`peers`, `let`, `scale`, `total` or `cite`",
        Rule::peers => "`peers`",
        Rule::peers_all | Rule::peers_same => "`same FIELD` or `all`",
        Rule::scale => "`scale`",
        Rule::total => "`total`",
        Rule::figure => "`let`",
        Rule::hit_policy => "a hit policy (`unique`, `first` or `collect`)",
        Rule::table_header | Rule::header_cell | Rule::output_marker => "a table header such as `| column | => output |`",
        Rule::table_row => "a table row starting with `|`",
        Rule::cell
        | Rule::any_cell
        | Rule::starts_cell
        | Rule::regex_cell
        | Rule::range_cell
        | Rule::compare_cell
        | Rule::set_cell
        | Rule::literal_cell => "a cell (`*`, a value, `starts \"..\"`, `matches \"..\"`, `a..b`, `< n` or `{a, b}`)",
        Rule::cell_literal => "a value",
        Rule::compare_op => "`<`, `<=`, `>` or `>=`",
        Rule::severity => "`error` or `warning`",
        Rule::policy_for => "`for NAME in DATASET: require CONDITION`",
        Rule::policy_message => "`message \"...\"`",
        Rule::script_fn => "`fn name(arg: unit) : unit`",
        Rule::script_param => "a parameter such as `x: ratio`",
        Rule::expr | Rule::if_expr | Rule::binary | Rule::unary | Rule::postfixed | Rule::primary | Rule::paren => "an expression",
        Rule::prefix | Rule::neg | Rule::not_op => "`-` or `not`",
        Rule::postfix | Rule::index | Rule::member | Rule::over => "`[`, `.` or `over`",
        Rule::infix => "an operator",
        Rule::boolean => "`true` or `false`",
        Rule::call | Rule::call_or_name => "a function call or a name",
        Rule::argument | Rule::named_arg => "an argument",
        Rule::source_def => "`source`",
        Rule::unit_def => "`unit`",
        Rule::class_def => "`class`",
        Rule::set_def => "`set`",
        Rule::function_def => "`function`",
        Rule::dataset_def => "`dataset`",
        Rule::param_def => "`param`",
        Rule::kpi_def => "`kpi`",
        Rule::methodology_def => "`methodology`",
        Rule::classify_def => "`classify`",
        Rule::policy_def => "`policy`",
        Rule::script_def => "`script`",
        Rule::WHITESPACE | Rule::COMMENT => "more input",
    }
}

/// Turn a pest error in the text that starts at `base` into a diagnostic.
pub fn syntax_error(id: FileId, text: &str, base: usize, err: &pest::error::Error<Rule>) -> Diagnostic {
    let mut pos = base
        + match err.location {
            InputLocation::Pos(p) => p,
            InputLocation::Span((s, _)) => s,
        };
    // With error detail on, pest knows the literal tokens tried at the furthest position.
    // Use them only when a punctuation mark or keyword was expected there (a missing `:`):
    // other tokens are the first characters of names and expressions, which rules say better.
    let detail: Option<Vec<String>> = err.parse_attempts().and_then(|a| {
        let tokens: Vec<String> =
            a.expected_tokens().iter().map(ToString::to_string).filter(|t| telling_token(t)).collect();
        if tokens.is_empty() || base + a.max_position < pos {
            return None;
        }
        pos = base + a.max_position;
        let rules: Vec<Rule> =
            a.call_stacks().iter().filter_map(|c| c.deepest.get_rule().copied().or(c.parent)).collect();
        Some(attempted(&rules, &tokens))
    });
    let found = token_at(text, pos);
    // When the unexpected token starts a later line (a formula cut short, say), point at
    // the end of what came before: that is where something is missing.
    let before = text.get(..pos).unwrap_or("");
    let trimmed = before.trim_end();
    let (label_start, label_end) =
        if before.get(trimmed.len()..).is_some_and(|gap| gap.contains('\n')) && !trimmed.is_empty() {
            let last = trimmed.chars().next_back().map_or(1, char::len_utf8);
            (trimmed.len() - last, trimmed.len())
        } else {
            (pos, pos + found.len())
        };
    let (expected, unexpected) = match (&detail, &err.variant) {
        (Some(list), _) => (list.clone(), Vec::new()),
        (None, ErrorVariant::ParsingError { positives, negatives }) => (names(positives), names(negatives)),
        (None, ErrorVariant::CustomError { message }) => (vec![message.clone()], Vec::new()),
    };
    let found_text = if found.is_empty() { "end of file".to_string() } else { format!("`{found}`") };
    let message = if !expected.is_empty() {
        format!("expected {}, found {found_text}", join_or(&expected))
    } else if !unexpected.is_empty() {
        format!("unexpected {}", join_or(&unexpected))
    } else {
        format!("unexpected {found_text}")
    };
    let label = match (expected.is_empty(), label_start == pos) {
        (true, _) => "not expected here".to_string(),
        (false, true) => format!("expected {}", join_or(&expected)),
        (false, false) => format!("expected {} after this", join_or(&expected)),
    };
    Diagnostic::new(Code::SyntaxError, message)
        .primary(Span::new(id, label_start, label_end), label)
        .help(help_for(&found, &expected))
}

/// A literal token worth naming in "expected ...": closing or separating punctuation and
/// keywords, not the characters that merely start a name, number or expression.
fn telling_token(t: &str) -> bool {
    const PUNCTUATION: &[&str] = &[":", "=", ",", "{", "}", "[", "]", ")", "|", "=>", "..", "->"];
    PUNCTUATION.contains(&t)
        || (t.len() > 1
            && t.chars().all(|c| c.is_ascii_lowercase() || c == '_')
            && !matches!(t, "true" | "false" | "not"))
}

/// What pest tried at the furthest position: the rules (in words) and literal tokens.
fn attempted(rules: &[Rule], tokens: &[String]) -> Vec<String> {
    let mut out = names(rules);
    for t in tokens {
        let shown = format!("`{t}`");
        if !out.contains(&shown) {
            out.push(shown);
        }
    }
    out
}

fn names(rules: &[Rule]) -> Vec<String> {
    let mut out: Vec<String> = Vec::new();
    for r in rules {
        let n = human_name(*r).to_string();
        if !out.contains(&n) {
            out.push(n);
        }
    }
    out
}

fn join_or(items: &[String]) -> String {
    match items {
        [] => String::new(),
        [one] => one.clone(),
        [init @ .., last] => format!("{} or {last}", init.join(", ")),
    }
}

/// The word or character at `pos`, for "found `x`".
fn token_at(text: &str, pos: usize) -> String {
    let rest = text.get(pos..).unwrap_or("");
    let word: String = rest.chars().take_while(|c| c.is_alphanumeric() || *c == '_').take(40).collect();
    if !word.is_empty() {
        return word;
    }
    rest.chars().next().filter(|c| !c.is_whitespace()).map(String::from).unwrap_or_default()
}

fn help_for(found: &str, expected: &[String]) -> String {
    const RESERVED: &[&str] =
        &["if", "then", "else", "and", "or", "not", "over", "in", "true", "false", "cite", "since"];
    if RESERVED.contains(&found) && expected.iter().any(|e| e == "a name") {
        return format!("`{found}` is a reserved word and cannot be used as a name");
    }
    if expected.iter().any(|e| e.starts_with("a definition")) {
        return "each definition starts with its keyword; check that the previous definition is complete and its braces match".to_string();
    }
    "see the grammar in grammar/assay.pest for what this position accepts".to_string()
}
