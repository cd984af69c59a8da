//! Words run together. The grammar's keywords are literals, which pest matches without
//! asking that a word ends there: `kpiayslip "T" : ratio = x` would read as the KPI
//! `ayslip`, and `citesrc2010` as `cite src2010`. A name, word or number never starts
//! right after a letter, digit or `_`, so one that does is a keyword run into it.

use super::Rule;
use crate::diagnostic::codes::Code;
use crate::diagnostic::Diagnostic;
use crate::source::{FileId, Span};
use pest::iterators::Pairs;

/// The tokens that start with a word character: names, words, numbers and the keywords
/// matched as tokens of their own.
fn starts_a_word(rule: Rule) -> bool {
    matches!(
        rule,
        Rule::ident
            | Rule::any_word
            | Rule::number
            | Rule::percent
            | Rule::date
            | Rule::boolean
            | Rule::not_op
            | Rule::hit_policy
            | Rule::severity
            | Rule::records_kw
            | Rule::optional_kw
            | Rule::alternatives_kw
            | Rule::peers_all
            | Rule::rollup
            | Rule::text_type
            | Rule::date_type
    )
}

fn is_word_byte(b: u8) -> bool {
    b.is_ascii_alphanumeric() || b == b'_'
}

/// A syntax error for each token of `pairs` (parsed from `text` at `base`) that starts
/// inside a word.
pub fn glued_words(id: FileId, text: &str, base: usize, pairs: Pairs<'_, Rule>) -> Vec<Diagnostic> {
    let bytes = text.as_bytes();
    let mut diags = Vec::new();
    let mut last_reported = None;
    for pair in pairs.flatten().filter(|p| starts_a_word(p.as_rule())) {
        let at = base.saturating_add(pair.as_span().start());
        let glued = at.checked_sub(1).and_then(|i| bytes.get(i)).is_some_and(|b| is_word_byte(*b));
        // Nested tokens (a word inside a hit policy) start at the same place: one report.
        if !glued || last_reported == Some(at) {
            continue;
        }
        last_reported = Some(at);
        let start = bytes
            .get(..at)
            .map_or(at, |before| before.iter().rposition(|b| !is_word_byte(*b)).map_or(0, |i| i.saturating_add(1)));
        let end = base.saturating_add(pair.as_span().end());
        let keyword = text.get(start..at).unwrap_or_default();
        let rest = text.get(at..end).unwrap_or_default();
        diags.push(
            Diagnostic::new(Code::SyntaxError, format!("`{keyword}{rest}` runs two words together"))
                .primary(Span::new(id, start, end), format!("read as `{keyword}` then `{rest}`"))
                .help(format!("put a space after `{keyword}`; a name cannot start where `{keyword}` is expected")),
        );
    }
    diags
}

#[cfg(test)]
mod tests {
    use crate::diagnostic::codes::Code;
    use crate::source::SourceFile;

    fn errors(text: &str) -> Vec<String> {
        let (_, diags) = crate::parse::parse_file(0, &SourceFile::new("t.assay", text));
        diags.iter().filter(|d| d.code == Code::SyntaxError).map(|d| d.message.clone()).collect()
    }

    #[test]
    fn a_keyword_run_into_a_name_is_a_syntax_error() {
        // Found by fuzzing the formatter: this read as `kpi ayslip`, and `assay fmt`
        // refused it as a bug of its own (format-unsafe) because the words changed.
        let text = "kpi a \"A\" : ratio = x / y\n  cite s \"t\"\n\nkpiayslip \"B\" : ratio =\n  x / z\n";
        assert_eq!(errors(text), vec!["`kpiayslip` runs two words together"]);
        assert_eq!(errors("kpi k : ratio = ifx then 1 else 2\n"), vec!["`ifx` runs two words together"]);
        assert_eq!(errors("unit GBP \"pound\"\nkpi k : GBP = £1\n  citesrc2010\n").len(), 1);
        assert_eq!(errors("methodology m \"M\" { peers all minimum2 }\n").len(), 1);
    }

    #[test]
    fn words_apart_are_not_glued() {
        assert!(errors("kpi a \"A\" : ratio = x / y cite s \"t\"\nkpi b : ratio = if x>1 then 1 else 2\n").is_empty());
        assert!(errors("kpi c[f in function] : ratio = cost[f].title / £1,000k\n").is_empty());
    }
}
