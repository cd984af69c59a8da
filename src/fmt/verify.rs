//! The formatter's safety net: its output must read back as the same rules.
//!
//! The tree is compared spans aside; the comments by count and text. The words and string
//! literals outside comments are compared as multisets too, because the tree does not
//! hold everything a user wrote (a second `parent` line replaces the first), and nothing
//! written may silently disappear.

use crate::ast::File;
use crate::source::SourceFile;

/// `Ok` when `formatted` parses cleanly to the tree, comments and words of the original.
pub fn same_meaning(original: &File, original_text: &str, formatted: &str) -> Result<(), String> {
    let source = SourceFile::new("formatted", formatted);
    let (ast, diags) = crate::parse::parse_file(0, &source);
    let Some(ast) = ast.filter(|_| diags.is_empty()) else {
        return Err("the result does not parse".to_string());
    };
    if ast.definitions != original.definitions {
        return Err("the result reads as different rules".to_string());
    }
    let texts = |f: &File| f.comments.iter().map(|c| (c.node.doc, c.node.text.clone())).collect::<Vec<_>>();
    if texts(&ast) != texts(original) {
        return Err("the comments would change".to_string());
    }
    if words(original_text) != words(formatted) {
        return Err("some words would be lost or added".to_string());
    }
    Ok(())
}

/// The words and string literals of a rule text outside comments, sorted.
fn words(text: &str) -> Vec<&str> {
    let mut out = Vec::new();
    let mut start: Option<usize> = None;
    let mut chars = text.char_indices().peekable();
    while let Some((i, c)) = chars.next() {
        let word_char = c.is_alphanumeric() || c == '_';
        match (start, word_char) {
            (None, true) => start = Some(i),
            (Some(s), false) => {
                out.extend(text.get(s..i));
                start = None;
            }
            _ => {}
        }
        if c == '"' {
            let mut escaped = false;
            let mut end = text.len();
            for (j, d) in chars.by_ref() {
                if escaped {
                    escaped = false;
                } else if d == '\\' {
                    escaped = true;
                } else if d == '"' || d == '\n' {
                    end = j.saturating_add(1);
                    break;
                }
            }
            out.extend(text.get(i..end));
        } else if c == '#' {
            for (_, d) in chars.by_ref() {
                if d == '\n' {
                    break;
                }
            }
        }
    }
    if let Some(s) = start {
        out.extend(text.get(s..));
    }
    out.sort_unstable();
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(text: &str) -> File {
        crate::parse::parse_file(0, &SourceFile::new("t.assay", text)).0.unwrap()
    }

    #[test]
    fn a_different_tree_is_refused() {
        let a = "kpi k : ratio = a / b\n";
        assert!(same_meaning(&parse(a), a, "kpi k : ratio = a / c\n").is_err());
        assert!(same_meaning(&parse(a), a, "kpi k : ratio = (a / b\n").is_err());
        assert!(same_meaning(&parse(a), a, "kpi k : ratio =  a/b\n").is_ok());
    }

    #[test]
    fn lost_comments_and_words_are_refused() {
        let a = "# note\nkpi k : ratio = a / b\n";
        assert!(same_meaning(&parse(a), a, "kpi k : ratio = a / b\n").is_err());
        let b = "function f \"F\" {\n  parent x\n  parent y\n}\n";
        assert!(same_meaning(&parse(b), b, "function f \"F\" {\n  parent y\n}\n").is_err());
    }

    #[test]
    fn words_skip_comments_and_keep_strings_whole() {
        assert_eq!(words("a \"b # c\" d # e f\ng"), vec!["\"b # c\"", "a", "d", "g"]);
    }
}
